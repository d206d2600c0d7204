// Page script: the gloss being signed under the video and the playing chip highlighted;
// a signer drawn in pieces plays on from where it was when the next piece (or the whole
// clip) replaces it, instead of restarting; the compare grid's videos start (and restart)
// together.
(() => {
  // The player shows "drawn_NNNNN.mp4" pieces of a signer being drawn, each the one before
  // and more; it waits at the end of a piece (no loop) and goes on from the same moment in
  // the next one. The skeleton preview and finished clips are not pieces: they loop.
  // (seeking: the new clip has not gone on yet; until it has, the time to go on from stays
  // the one it is going to, not the new clip's own start)
  const follow = {src: '', time: 0, piece: false, seeking: false};
  const isPiece = src => /drawn_\d+\.mp4/.test(src);
  function followPieces() {
    const v = document.querySelector('#sign_video video');
    if (!v) return;
    const src = v.currentSrc || v.getAttribute('src') || '';
    if (!src) return;
    if (src === follow.src) {
      if (!follow.seeking) follow.time = v.currentTime;
      return;
    }
    const fromPiece = follow.piece, at = follow.time;
    follow.src = src; follow.piece = isPiece(src); follow.time = 0; follow.seeking = false;
    v.loop = !follow.piece;
    if (!fromPiece || at <= 0) return;
    follow.time = at; follow.seeking = true;
    const goOn = () => {
      if (follow.src !== src) return;  // replaced again before it loaded: that one goes on
      const to = isFinite(v.duration) ? Math.min(at, Math.max(0, v.duration - 0.05)) : at;
      // where it landed, for the tests: [new clip, time it was at, time it goes on from]
      v.addEventListener('seeked', () => {
        (window.kslPlayedOn = window.kslPlayedOn || []).push([src, at, v.currentTime]);
        if (follow.src === src) follow.seeking = false;
      }, {once: true});
      v.currentTime = to;
      follow.time = to;
      v.play().catch(() => {});
    };
    if (v.readyState >= 1) goOn(); else v.addEventListener('loadedmetadata', goOn, {once: true});
  }
  function nowSigning() {
    const v = document.querySelector('#sign_video video');
    const box = document.querySelector('#now-signing');
    const line = document.querySelector('#glosses .gloss-line');
    if (!box) return;
    let spans = [];
    try { spans = JSON.parse(line.dataset.spans); } catch (e) { spans = []; }
    if (!v || !spans.length) { box.textContent = ''; box.dataset.text = ''; return; }
    const t = v.currentTime; let cur = -1, nxt = -1;
    for (let i = 0; i < spans.length; i++) {
      if (t >= spans[i][2] && t < spans[i][3]) { cur = i; break; }
      if (t < spans[i][2]) { nxt = i; break; }
    }
    const chips = line.querySelectorAll('.gloss-chip');
    const on = cur >= 0 ? spans[cur][0] : -1;
    chips.forEach((c, i) => c.classList.toggle('playing', i === on));
    const text = cur >= 0 ? spans[cur][1] : (nxt >= 0 ? '→ ' + spans[nxt][1] : '');
    const cls = cur >= 0 ? 'now' : 'next';
    if (box.dataset.text !== text) {
      box.dataset.text = text; box.textContent = '';
      const s = document.createElement('span'); s.className = cls; s.textContent = text;
      box.appendChild(s);
    }
  }
  function restart(vids) { vids.forEach(v => { v.currentTime = 0; v.play().catch(() => {}); }); }
  function compareGrid() {
    const grid = document.querySelector('#cmp-grid .compare-grid');
    if (!grid) return;
    const vids = [...grid.querySelectorAll('video')];
    if (!vids.length) return;
    if (!grid.dataset.started && vids.every(v => v.readyState >= 3)) {
      grid.dataset.started = '1'; restart(vids);
    } else if (grid.dataset.started && vids.every(v => v.ended)) { restart(vids); }
  }
  // on a narrow screen, signing scrolls to where the result appears
  function toResult() {
    if (window.innerWidth > 700) return;
    setTimeout(() => { const s = document.querySelector('#status');
      if (s) s.scrollIntoView({block: 'start'}); }, 150);
  }
  document.addEventListener('click', e => {
    if (!e.target.closest) return;
    if (e.target.closest('.play-all')) {
      restart([...document.querySelectorAll('#cmp-grid video')]);
    }
    if (e.target.closest('#go') || e.target.closest('#examples button')) toResult();
  });
  document.addEventListener('keydown', e => {
    if (e.key === 'Enter' && !e.shiftKey && e.target.closest && e.target.closest('#sentence')) {
      toResult();
    }
  });
  function tick() {
    try { followPieces(); nowSigning(); compareGrid(); } catch (e) {}
    requestAnimationFrame(tick);
  }
  requestAnimationFrame(tick);
})();
