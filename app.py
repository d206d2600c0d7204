"""Gradio page: type a Korean transit sentence, see its glosses and the signing; compare models.

``python app.py`` serves on 127.0.0.1:7860 (``--host 0.0.0.0`` opens it to the network,
``--port``, ``--checkpoints``, ``--data`` for the compare view's reference clips). The page
only talks to :class:`sign_pipeline.pipeline.SignPipeline` and
:mod:`sign_pipeline.compare`. API endpoints: ``translate`` (the sentence alone; every other
input has a default) and ``compare`` (the sentence on several backend pairs).
"""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import argparse  # noqa: E402
import ctypes  # noqa: E402
import html  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import typing  # noqa: E402
from collections import OrderedDict  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import gradio as gr  # noqa: E402
import numpy as np  # noqa: E402
from gradio.data_classes import FileData  # noqa: E402

from sign_pipeline import compare as cmp  # noqa: E402
from sign_pipeline import registry, render  # noqa: E402
from sign_pipeline.gloss.examples import SHOWCASE as EXAMPLES  # noqa: E402
from sign_pipeline.pipeline import PipelineError, SignPipeline  # noqa: E402

ROOT = Path(__file__).resolve().parent
README = ROOT / "README.md"
#: Served to the browser: Korean shows with no font installed on the viewer's machine.
FONT = ROOT / "assets" / "NanumGothic-subset.woff2"
OUT_ROOT = Path(tempfile.gettempdir()) / "ksl_app_outputs"
#: Run folders kept (oldest removed first): temporary files stay bounded under load.
KEEP_RUNS = 48
#: Gradio's own cache (files it copies to serve): cleaned every 10 min of files over 10 min old.
DELETE_CACHE = (600, 600)
MAX_CHARS = 300
#: Signing work (a pipeline stage, a comparison's pair) runs in at most this many threads at
#: once, whatever asked for it: the machine has 2 cores.
WORK_SLOTS = 2
WORK = threading.BoundedSemaphore(WORK_SLOTS)
#: A backend slower than real time (a GAN: seconds per clip) signs in this one slot of its
#: own, so heavy requests queue behind each other, never in front of light ones.
HEAVY = threading.BoundedSemaphore(1)
#: Requests in progress at once per event; they wait for a work slot, so an answer from the
#: cache or a bad call's message never waits behind signing. Comparisons run one at a time
#: in their own queue and take one work slot per pair, so a long comparison never blocks
#: sentences.
CONCURRENCY = 8
#: Frames per streamed piece for a backend slower than real time (half a second at 30 fps).
STREAM_CHUNK = 15

log = logging.getLogger("ksl.app")

SOURCE_COLORS = {
    "lexicon": "#2e7d32",
    "synonym": "#00838f",
    "number": "#6a1b9a",
    "fingerspelling": "#e65100",
}

CSS = """
@font-face { font-family: 'KSLKorean'; src: url('/gradio_api/file=%s') format('woff2');
             font-display: swap; }
body, .gradio-container { font-family: 'Source Sans Pro', 'KSLKorean', sans-serif; }
.notice { font-size: 0.92em; padding: 6px 10px; border-left: 4px solid #e65100; background: #fff4e5; }
.gloss-line { display: flex; flex-wrap: wrap; align-items: flex-end; gap: 4px; }
.gloss-chip { display: inline-flex; flex-direction: column; align-items: center; padding: 3px 9px;
              border-radius: 10px; border: 2px solid; background: #fff; transition: all .1s; }
.gloss-chip.playing { background: #fff59d; transform: scale(1.12); box-shadow: 0 0 0 2px #f9a825; }
.gloss-name { font-size: 1.25em; font-weight: 600; line-height: 1.3; }
.gloss-src { font-size: 0.72em; opacity: 0.9; }
.gloss-word { display: inline-flex; flex-direction: column; padding: 2px 4px;
              border: 1px dashed #e65100; border-radius: 10px; }
.gloss-word-label { font-size: 0.8em; color: #e65100; text-align: center; }
.gloss-word-letters { display: flex; gap: 3px; }
#now-signing { min-height: 2.4em; text-align: center; font-size: 1.8em; font-weight: 700; }
#now-signing .next { color: #777; font-weight: 500; }
.error-box { color: #b71c1c; background: #ffebee; padding: 6px 10px; border-radius: 6px; }
.compare-grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); gap: 8px; }
.compare-cell { border: 1px solid #ccc; border-radius: 8px; padding: 4px; }
.compare-cell video { width: 100%%; display: block; }
.compare-cell .pair { font-weight: 700; }
.compare-cell.failed { background: #ffebee; }
.compare-table { font-size: 0.9em; border-collapse: collapse; overflow-x: auto; display: block; }
.compare-table td, .compare-table th { border: 1px solid #ddd; padding: 2px 6px; text-align: right; }
.compare-table td:first-child, .compare-table th:first-child { text-align: left; }
@media (max-width: 600px) {
  #sign_video video { max-height: 45vh; }
  .gloss-name { font-size: 1.05em; }
  #options { flex-wrap: wrap; }
  #options > * { min-width: 100%% !important; }
}
"""

#: Page script: the gloss being signed under the video and the playing chip highlighted;
#: the compare grid's videos start (and restart) together.
HEAD = """
<script>
(() => {
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
  function tick() { try { nowSigning(); compareGrid(); } catch (e) {} requestAnimationFrame(tick); }
  requestAnimationFrame(tick);
})();
</script>
"""

# ---------------------------------------------------------------------------- HTML pieces


def _marks(g) -> list[str]:
    marks = []
    if g.question:
        kind = g.question_type or "yes_no"
        marks.append(
            "wh-question (lowered, knitted brows)" if kind == "wh"
            else "yes/no question (raised brows)"
        )  # fmt: skip
    if g.negation:
        marks.append("negation (head shake)")
    return marks


def _gloss_html(result) -> str:
    """Each gloss as a chip coloured by its source; fingerspelled letters grouped by word.

    Once the pose exists, ``data-spans`` holds ``[chip index, gloss, start s, end s]`` per
    signed gloss, read by the page script to show the gloss being signed.
    """
    g = result.gloss
    items = g.to_dict().get("items") or []
    parts: list[str] = []
    open_group = None
    for it in items:
        name = html.escape(str(it.get("gloss", "")))
        src = str(it.get("source", "lexicon"))
        color = SOURCE_COLORS.get(src, "#455a64")
        group = it.get("group")
        spelled = src == "fingerspelling"
        if open_group is not None and (not spelled or group != open_group):
            parts.append("</span></span>")
            open_group = None
        if spelled and open_group is None:
            word = html.escape(str(it.get("word") or it.get("surface") or ""))
            parts.append(
                f'<span class="gloss-word"><span class="gloss-word-label">{word} · '
                'fingerspelled</span><span class="gloss-word-letters">'
            )
            open_group = group
        parts.append(
            f'<span class="gloss-chip" style="border-color:{color};color:{color}"'
            f' data-source="{src}" title="{html.escape(str(it.get("surface", "")))}">'
            f'<span class="gloss-name">{name}</span><span class="gloss-src">{src}</span></span>'
        )
    if open_group is not None:
        parts.append("</span></span>")
    spans = []
    if result.pose is not None:
        chip = 0
        for t in result.pose.timings:
            while chip < len(g.glosses) and g.glosses[chip] != t.gloss:
                chip += 1
            if chip >= len(g.glosses):
                break
            spans.append([chip, t.gloss, round(t.start / result.fps, 3),
                          round(t.end / result.fps, 3)])  # fmt: skip
            chip += 1
    cov = ", ".join(f"{k}: {v}" for k, v in g.coverage.items() if v)
    lines = [
        f'<div class="gloss-line" data-glosses="{html.escape(" ".join(g.glosses))}"'
        f" data-spans='{html.escape(json.dumps(spans, ensure_ascii=False))}'>",
        "".join(parts),
        "</div>",
        f"<p><b>Coverage</b> — {html.escape(cov) or 'none'}",
    ]
    marks = _marks(g)
    if marks:
        lines.append(' · <b>Marks</b> — <span id="marks">' + html.escape(", ".join(marks)) + "</span>")
    lines.append("</p>")
    if g.skipped:
        skipped = ", ".join(html.escape(f"{s.text} ({s.reason})") for s in g.skipped)
        lines.append(f"<p><b>Skipped</b> — {skipped}</p>")
    if g.message:
        lines.append(f"<p><i>{html.escape(g.message)}</i></p>")
    return "".join(lines)


def _timings_md(res) -> str:
    rows = ["| stage | ms |", "|---|---:|"]
    for k, v in res.timings.items():
        rows.append(f"| {k} | {v * 1000:.0f} |")
    rows.append(f"| **clip length** | {res.duration_s * 1000:.0f} |")
    return "\n".join(rows)


def _error_html(message: str) -> str:
    return f'<p class="error-box" id="error">⚠ {html.escape(message)}</p>'


def _file_url(path: Path) -> str:
    return f"/gradio_api/file={html.escape(str(path))}"


def _fmt(value, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "n/a"
    return f"{value:.{digits}f}" if isinstance(value, float) else html.escape(str(value))


def _grid_html(results: list[cmp.PairResult], pending: list[str]) -> str:
    """One cell per pair: its labelled video, its error, or "running"."""
    cells = []
    for r in results:
        label = html.escape(r.label)
        if r.ok and r.kind == "reference":
            cells.append(
                f'<div class="compare-cell reference" data-reference="{html.escape(r.text2pose)}">'
                f'<div class="pair">{label} ({html.escape(r.text2pose)})</div>'
                f'<video src="{_file_url(r.video)}" muted playsinline preload="auto"></video></div>'
            )
        elif r.ok:
            cells.append(
                f'<div class="compare-cell" data-pair="{label}"><div class="pair">{label}</div>'
                f'<video src="{_file_url(r.video)}" muted playsinline preload="auto"></video>'
                + (f'<img alt="attention" src="{_file_url(r.attention_png)}" width="100%">'
                   if r.attention_png else "")
                + "</div>"
            )  # fmt: skip
        else:
            cells.append(
                f'<div class="compare-cell failed" data-pair="{label}"><div class="pair">{label}'
                f'</div><p class="error-box">⚠ {html.escape(r.error or "")}</p></div>'
            )
    for label in pending:
        cells.append(
            f'<div class="compare-cell pending" data-pair="{html.escape(label)}"><div class="pair">'
            f"{html.escape(label)}</div><p>running…</p></div>"
        )
    button = '<button class="play-all" type="button">▶ Play all together</button>'
    return f'{button}<div class="compare-grid">{"".join(cells)}</div>'


def _table_html(results: list[cmp.PairResult], reference: dict | None) -> str:
    """Figures per pair: length, per-stage ms, back-translation WER, motion, DTW."""
    stages = []
    for r in results:
        stages += [s for s in r.timings_ms if s not in stages]
    motion_heads = ["wrist speed mean", "wrist speed p95", "non-dom ratio", "hand size",
                    "articulation"]  # fmt: skip
    head = (["pair", "frames", "seconds"] + [f"{s} ms" for s in stages]
            + ["BT WER", "read back"] + motion_heads + ["DTW vs reference"])  # fmt: skip
    rows = ["<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head) + "</tr>"]
    for r in results:
        if not r.ok:
            rows.append(
                f'<tr class="failed"><td>{html.escape(r.label)}</td>'
                f'<td colspan="{len(head) - 1}">failed: {html.escape(r.error or "")}</td></tr>'
            )
            continue
        mo = r.motion or {}
        name = html.escape(r.label if r.kind == "pair" else f"{r.label} ({r.text2pose})")
        cells = [name, str(r.n_frames), _fmt(r.duration_s)]
        cells += [_fmt(r.timings_ms.get(s), 0) for s in stages]
        cells += [_fmt(r.wer), html.escape(" ".join(r.read_back)) if r.read_back else "n/a"]
        cells += [_fmt(mo.get(k), 3) for k in cmp.MOTION_KEYS]
        cells.append(_fmt(r.dtw, 3))
        attr = (f'data-pair="{html.escape(r.label)}"' if r.kind == "pair"
                else 'class="reference-clip"')  # fmt: skip
        rows.append(f"<tr {attr}>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    if reference:
        cells = ["corpus reference clips (evaluation, all test clips)", "", ""]
        cells += [""] * len(stages) + ["", ""]
        cells += [_fmt(reference.get(k), 3) for k in cmp.MOTION_KEYS] + [""]
        rows.append('<tr class="reference">' + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return f'<table class="compare-table" id="cmp-table-rows">{"".join(rows)}</table>'


def _about_models_html(evaluation: dict | None) -> str:
    """The evaluation command's results: test-split figures per backend, date and command."""
    if not evaluation:
        return (
            "<p>No evaluation results yet (<code>docs/evaluation.json</code>): run "
            "<code>python -m training.evaluate --data data/prepared</code>.</p>"
        )
    data = evaluation.get("data", {})
    rows = ["<tr><th>text to pose</th><th>clips</th><th>DTW</th><th>hands DTW</th>"
            "<th>length err</th><th>BT WER</th><th>wrist speed mean</th><th>articulation</th>"
            "<th>ms / sentence</th></tr>"]  # fmt: skip
    for row in evaluation.get("text2pose", []):
        mo = row.get("motion") or {}
        name = html.escape(str(row.get("name"))) + (" (reference)" if row.get("kind") == "reference" else "")
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in [
            name, row.get("clips"), _fmt(row.get("dtw"), 3), _fmt(row.get("hands_dtw"), 3),
            _fmt(row.get("length_error"), 3), _fmt(row.get("wer"), 3),
            _fmt(mo.get("wrist_speed_mean"), 2), _fmt(mo.get("articulation"), 3),
            _fmt(row.get("ms_per_sentence"), 1)]) + "</tr>")  # fmt: skip
    video = ["<tr><th>pose to video</th><th>clips</th><th>PSNR dB</th><th>SSIM</th>"
             "<th>SSIM face</th><th>rel. flicker</th><th>ms / frame</th></tr>"]  # fmt: skip
    for row in evaluation.get("pose2video", []):
        video.append("<tr>" + "".join(f"<td>{c}</td>" for c in [
            html.escape(str(row.get("name"))), row.get("clips"), _fmt(row.get("psnr")),
            _fmt(row.get("ssim"), 3), _fmt(row.get("ssim_face"), 3),
            _fmt(row.get("relative_flicker")), _fmt(row.get("ms_per_frame"))]) + "</tr>")  # fmt: skip
    return (
        f'<p id="about-models-source">Measured on {data.get("evaluated_clips", "?")} test clips '
        f"({html.escape(str(data.get('path', '?')))}), {html.escape(str(evaluation.get('date')))}, "
        f"by <code>{html.escape(str(evaluation.get('command')))}</code>. Lower DTW and WER are "
        "better; the reference rows are the floor.</p>"
        f'<table class="compare-table">{"".join(rows)}</table>'
        + (f'<table class="compare-table">{"".join(video)}</table>' if len(video) > 1 else "")
    )


# ---------------------------------------------------------------------------- runs


def _readme_section(heading: str) -> str:
    """One ``## `` section of the README (shown on the page instead of raw markdown)."""
    lines = README.read_text(encoding="utf-8").splitlines()
    try:
        start = lines.index(heading)
    except ValueError:
        return "See README.md."
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    return "\n".join(lines[start + 1 : end])


def _new_run_dir() -> Path:
    """A fresh folder for one run's files; the oldest are removed beyond ``KEEP_RUNS``."""
    OUT_ROOT.mkdir(parents=True, exist_ok=True)
    runs = sorted(OUT_ROOT.iterdir(), key=lambda p: p.stat().st_mtime)
    for old in runs[: max(0, len(runs) - KEEP_RUNS + 1)]:
        shutil.rmtree(old, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix="run_", dir=OUT_ROOT))


def _validate_text(text) -> str:
    """The sentence, or PipelineError with a message for the user."""
    if not isinstance(text, str):
        raise PipelineError("Please type a Korean sentence (text).")
    if not text.strip():
        raise PipelineError("The sentence is empty: please type a Korean sentence.")
    if len(text) > MAX_CHARS:
        raise PipelineError(
            f"The sentence has {len(text)} characters; at most {MAX_CHARS} can be signed at "
            "once. Please split it."
        )
    return text


def _api_error(endpoint: str, exc: Exception) -> gr.Error:
    """One log line for a bad call, and the error the caller sees (no traceback)."""
    if isinstance(exc, PipelineError):
        log.warning("bad %s call: %s", endpoint, exc)
        return gr.Error(str(exc), print_exception=False)
    log.error("failed %s call: %s: %s", endpoint, type(exc).__name__, exc)
    return gr.Error(f"could not sign this: {type(exc).__name__}: {exc}", print_exception=False)


class AnswerCache:
    """The last ``size`` translate answers by (sentence, signer, backends, speed): a station
    page asks the same few sentences over and over, and an answer already made is served
    without signing it again. Bounded; an entry whose file was cleaned up is made again.

    :meth:`fetch` also shares work in flight: a request for an answer that another request
    is making right now waits for that one instead of signing the same sentence twice (when
    the maker fails, the next waiter makes it and gets its own error)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[tuple, tuple[Path, dict]] = OrderedDict()
        self._making: dict[tuple, threading.Event] = {}
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def _get(self, key: tuple) -> tuple[Path, dict] | None:
        """The entry if its file still exists (call holding the lock)."""
        item = self._items.get(key)
        if item is not None and item[0].is_file():
            self._items.move_to_end(key)
            self.hits += 1
            return item
        self.misses += 1
        return None

    def put(self, key: tuple, video: Path, summary: dict) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._items[key] = (video, summary)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def fetch(
        self, key: tuple, make: typing.Callable[[], tuple[Path, dict]], wait_s: float = 300.0
    ) -> tuple[Path, dict, bool]:
        """The cached answer (``True``), or ``make()``'s, made once for all who ask at the
        same time (``False`` for the maker, ``True`` for those who waited for it)."""
        if self.size <= 0:
            return (*make(), False)
        while True:
            with self._lock:
                item = self._get(key)
                if item is not None:
                    return (*item, True)
                event = self._making.get(key)
                maker = event is None
                if maker:
                    event = self._making[key] = threading.Event()
            if not maker:
                event.wait(wait_s)  # then look again: made, or failed (make it ourselves)
                continue
            try:
                video, summary = make()
                self.put(key, video, summary)
                return video, summary, False
            finally:
                with self._lock:
                    self._making.pop(key, None)
                event.set()


def _slots(pose2video: object) -> threading.BoundedSemaphore:
    """The work slots a request with this pose-to-video backend signs in (:data:`HEAVY` for
    one slower than real time, else :data:`WORK`)."""
    try:
        heavy = registry.backend_class("pose2video", str(pose2video)).streams
    except (ImportError, KeyError):  # an unknown name: the pipeline says so, in a light slot
        heavy = False
    return HEAVY if heavy else WORK


def _one_slot_per_step(steps: Iterator, slots: threading.BoundedSemaphore = WORK):
    """Yield from ``steps``, computing each item while holding one of ``slots`` (released
    between items, so an abandoned generator never keeps one)."""
    while True:
        with slots:
            try:
                item = next(steps)
            except StopIteration:
                return
        yield item


def _release_memory() -> None:
    """Hand freed memory back to the system after a request: each holds a few hundred MB of
    frames, and glibc otherwise keeps it in per-thread arenas (the server grew ~350 MB over
    100 requests without this)."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to do
        pass


def _typed(fn):
    """``fn`` with its return annotation resolved: gradio's API docs read it from the
    signature, where ``from __future__ import annotations`` leaves a string ("Any")."""
    fn.__annotations__["return"] = typing.get_type_hints(fn)["return"]
    return fn


def _file_data(path: Path) -> FileData:
    return FileData(path=str(path), orig_name=path.name, mime_type="video/mp4")


def build(
    pipe: SignPipeline | None = None, data: str | Path | None = None, cache: int = KEEP_RUNS // 2,
    processes: int = 0,
) -> gr.Blocks:
    """The page. Backends are loaded once, in ``pipe``; ``data`` is a prepared corpus folder
    whose clips the compare view measures DTW against (when the sentence is in it);
    ``cache`` translate answers are kept and served again (0: none); ``processes`` > 0 signs
    ``translate`` requests in that many worker processes (0: in this process's threads)."""
    pipe = pipe or SignPipeline()
    answers = AnswerCache(min(cache, KEEP_RUNS // 2))
    workers = None
    if processes > 0:
        from sign_pipeline.workers import SigningProcesses

        print(f"starting {processes} signing processes for the API …", flush=True)
        workers = SigningProcesses(pipe.checkpoints, processes)
        workers.warm_up()
    print(f"loading the gloss stage and the default backends from {pipe.checkpoints} …",
          flush=True)  # fmt: skip
    t0 = time.perf_counter()
    pipe.warm_up()
    print(f"  loaded in {time.perf_counter() - t0:.1f} s", flush=True)
    signer_labels = [label for _, label in pipe.signers()]
    t2p_names = registry.available("text2pose", pipe.checkpoints)
    p2v_names = registry.available("pose2video", pipe.checkpoints)
    pairs = cmp.installed_pairs(pipe.checkpoints)
    pair_labels = [cmp.pair_label(*p) for p in pairs]
    print(f"  text-to-pose: {', '.join(t2p_names)}; pose-to-video: {', '.join(p2v_names)}; "
          f"{len(signer_labels)} signers", flush=True)  # fmt: skip
    references = None
    if data is not None:
        try:
            references = cmp.References(data)
            print(f"  reference clips for the compare view: {data} "
                  f"({len(references.by_sentence)} sentences)", flush=True)  # fmt: skip
        except (OSError, ValueError) as exc:
            print(f"  no reference clips ({exc}): the DTW column shows n/a", flush=True)
    evaluation = cmp.load_evaluation()
    reference_motion = cmp.reference_motion(evaluation)

    def signer_number(value) -> int | str:
        """The id in front of a dropdown label ("6 · REAL06 · ..."), or the value itself."""
        head = str(value).split("·")[0].strip()
        return int(head) if head.isdigit() else value

    def signer_choices(t2p_name, p2v_name, current):
        """The signers both chosen backends know; keep the current one when it is among them."""
        try:
            labels = [label for _, label in pipe.signers(t2p_name, p2v_name)]
        except PipelineError:
            return gr.update()
        keep = current if current in labels else (labels[0] if labels else None)
        return gr.update(choices=labels, value=keep)

    def run_page(text, signer_label, t2p, p2v, speed):
        """Stream the result to the page; bad input becomes a message, never a crash."""
        started = time.perf_counter()
        drawn, shown_frames = [], 0  # a slow backend's pieces, and how many frames are shown
        try:
            text = _validate_text(text)
            out_dir = _new_run_dir()
            stages = pipe.stages(
                text,
                signer=signer_number(signer_label),
                speed=speed,
                text2pose=t2p,
                pose2video=p2v,
                out_dir=out_dir,
                files="video",
                stream=STREAM_CHUNK,
            )
            for res in _one_slot_per_step(stages, _slots(p2v)):
                if res.stage == "gloss":
                    yield {
                        status: "Glosses ready — generating the signing…",
                        gloss_box: _gloss_html(res),
                        sign_video: None,
                        attention_img: gr.update(value=None, visible=False),
                        downloads: gr.update(value=None, visible=False),
                        timings: "",
                    }
                elif res.stage == "text2pose":
                    # the skeleton at once (a quick encode), while the signer is drawn
                    preview = render.write_mp4(res.skeleton_frames, out_dir / "skeleton.mp4",
                                               res.fps, preset="ultrafast")  # fmt: skip
                    shown = {status: "Skeleton ready — drawing the signer…",
                             sign_video: str(preview)}  # fmt: skip
                    if res.pose.extras.get("attention") is not None:
                        # a learned backend's alignment (Tacotron, Transformer)
                        png = cmp.attention_plot(res.pose.extras["attention"],
                                                 [t.gloss for t in res.pose.timings],
                                                 out_dir / "attention.png")  # fmt: skip
                        shown[attention_img] = gr.update(value=str(png), visible=True)
                    yield shown
                elif res.stage == "pose2video_chunk":
                    # a slow backend: what is drawn so far plays at once, in the same player;
                    # it grows each time it has doubled (a handful of quick re-encodes)
                    drawn.append(res.chunk)
                    done_frames = res.chunk_start + len(res.chunk)
                    if done_frames >= 2 * shown_frames and done_frames < res.n_frames:
                        frames = render.side_by_side(res.skeleton_frames[:done_frames],
                                                     np.concatenate(drawn))  # fmt: skip
                        path = render.write_mp4(frames, out_dir / f"drawn_{done_frames:05d}.mp4",
                                                res.fps, preset="ultrafast")  # fmt: skip
                        shown_frames = done_frames
                        yield {
                            status: f"Drawing the signer — {done_frames} of {res.n_frames} "
                            "frames (playing what is drawn)…",
                            sign_video: str(path),
                        }
                elif res.stage == "videos":
                    yield {
                        status: "Video ready — writing the downloads…",
                        gloss_box: _gloss_html(res),
                        sign_video: str(res.files["video"]),
                    }
                    t0 = time.perf_counter()
                    with _slots(p2v):
                        res.files.update(pipe.write_keypoint_files(res, out_dir))
                    res.timings["files"] = time.perf_counter() - t0
                    f = res.files
                    yield {
                        status: f"Done in {time.perf_counter() - started:.2f} s "
                        f"({res.n_frames} frames, {res.duration_s:.1f} s of signing).",
                        downloads: gr.update(
                            value=[str(f[k]) for k in ("video", "pose", "openpose_zip",
                                                       "gloss_json")],  # fmt: skip
                            visible=True,
                        ),
                        timings: _timings_md(res),
                    }
        except Exception as exc:  # a message on the page, one line in the log
            yield {
                status: _error_html(str(_api_error("page", exc).message)),
                gloss_box: "",
                sign_video: None,
                attention_img: gr.update(value=None, visible=False),
                downloads: gr.update(value=None, visible=False),
                timings: "",
            }
        finally:
            _release_memory()

    def translate(
        text: str,
        signer: int | None = None,
        text2pose: str = "lexicon",
        pose2video: str = "avatar",
        speed: float = 1.0,
    ) -> tuple[FileData, dict]:
        """Sign a Korean sentence: returns the side-by-side mp4 (skeleton | signer) and the
        result (glosses, frames, timings). ``signer`` None is the first signer both backends
        know."""
        try:
            text = _validate_text(text)
            key = (text.strip(), repr(signer), repr(text2pose), repr(pose2video), repr(speed))

            def make() -> tuple[Path, dict]:
                kwargs = {"signer": signer, "speed": speed, "text2pose": text2pose,
                          "pose2video": pose2video}  # fmt: skip
                with _slots(pose2video):
                    if workers is not None:
                        return workers.sign(text, _new_run_dir(), **kwargs)
                    res = pipe.run(text, out_dir=_new_run_dir(), files="video", **kwargs)
                return res.files["video"], res.summary()

            video, summary, shared = answers.fetch(key, make)
        except Exception as exc:
            raise _api_error("translate", exc) from None
        finally:
            _release_memory()
        return _file_data(video), ({**summary, "cached": True} if shared else summary)

    def parse_pairs(value) -> list[tuple[str, str]]:
        if value is None or value == [] or value == "":
            return list(pairs)
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, (list, tuple)):
            raise PipelineError("pairs must be a list like ['text2pose + pose2video', …]")
        return [cmp.parse_pair(v) for v in value]

    def run_compare_page(text, chosen, signer_label, speed):
        """Stream the comparison: each pair's cell and row as soon as it is done."""
        try:
            text = _validate_text(text)
            chosen_pairs = parse_pairs(chosen)
            out_dir = _new_run_dir()
            done: list[cmp.PairResult] = []
            labels = [cmp.pair_label(*p) for p in chosen_pairs]
            yield {
                cmp_status: f"Signing with {len(labels)} pairs…",
                cmp_grid: _grid_html([], labels),
                cmp_table: "",
                cmp_tiled: gr.update(value=None, visible=False),
            }
            steps = cmp.compare(pipe, text, chosen_pairs, signer_number(signer_label), speed,
                                out_dir, references)  # fmt: skip
            for r in _one_slot_per_step(steps):
                done.append(r)
                n_pairs = sum(d.kind == "pair" for d in done)
                yield {
                    cmp_status: f"{n_pairs} of {len(labels)} pairs done…",
                    cmp_grid: _grid_html(done, labels[len(done):]),
                    cmp_table: _table_html(done, reference_motion),
                }
            videos = [r.video for r in done if r.ok]
            with WORK:
                tiled = cmp.write_tiled(videos, out_dir / "comparison.mp4") if videos else None
            pair_results = [r for r in done if r.kind == "pair"]
            failed = sum(not r.ok for r in pair_results)
            yield {
                cmp_status: f"Done: {len(pair_results) - failed} of {len(pair_results)} pairs signed"
                + (f", {failed} failed" if failed else "") + ".",
                cmp_tiled: gr.update(value=str(tiled) if tiled else None, visible=bool(tiled)),
            }
        except Exception as exc:  # a message on the page, one line in the log
            yield {
                cmp_status: _error_html(str(_api_error("compare page", exc).message)),
                cmp_grid: "",
                cmp_table: "",
                cmp_tiled: gr.update(value=None, visible=False),
            }
        finally:
            _release_memory()

    def compare(
        text: str,
        pairs: list[str] | None = None,
        signer: int | None = None,
        speed: float = 1.0,
    ) -> tuple[FileData, list[dict]]:
        """Sign a sentence with several ``"text2pose + pose2video"`` pairs (default: every
        installed pair): returns the tiled mp4 of every pair that worked and one row per pair
        (frames, per-stage ms, motion, back-translation WER, DTW, or its error)."""
        try:
            text = _validate_text(text)
            chosen = parse_pairs(pairs)
            out_dir = _new_run_dir()
            steps = cmp.compare(pipe, text, chosen, signer, speed, out_dir, references)
            rows = list(_one_slot_per_step(steps))
            videos = [r.video for r in rows if r.ok]
            if not any(r.ok and r.kind == "pair" for r in rows):
                raise PipelineError("; ".join(f"{r.label}: {r.error}" for r in rows))
            with WORK:
                tiled = cmp.write_tiled(videos, out_dir / "comparison.mp4")
        except Exception as exc:
            raise _api_error("compare", exc) from None
        finally:
            _release_memory()
        return _file_data(tiled), [r.to_dict() for r in rows]

    with gr.Blocks(title="수어 생성 · KSL for transit", delete_cache=DELETE_CACHE) as demo:
        gr.Markdown("# 수어 생성 · Korean Sign Language for transit")
        about = pipe.about()
        if about["synthetic"]:
            gr.HTML(
                '<p class="notice" id="notice">The signs shown are <b>placeholders</b> from a '
                "synthetic demo corpus, not validated Korean Sign Language. "
                '<a href="#training-on-real-data">Train on real data</a> (below, from the '
                "README).</p>"
            )
        else:
            gr.HTML(
                f'<p class="data-note" id="data-note">Signs from {html.escape(about["trained_on"])}'
                f" (checkpoints: {html.escape(str(pipe.checkpoints))}).</p>"
            )
        with gr.Tab("Sign a sentence", elem_id="tab-sign"):
            with gr.Row(equal_height=True):
                text = gr.Textbox(
                    label="Korean sentence / 문장 (Enter signs it)",
                    placeholder="예: 서울역까지 가려면 지하철 몇호선으로 환승 해야하나요?",
                    lines=1,
                    max_lines=4,
                    scale=5,
                    elem_id="sentence",
                )
                go = gr.Button("수어로 보기 · Sign it", variant="primary", scale=1, elem_id="go")
            examples = gr.Examples(EXAMPLES, inputs=[text], label="Examples (click one to sign it)",
                                   elem_id="examples")  # fmt: skip
            with gr.Row(elem_id="options"):
                signer = gr.Dropdown(
                    signer_labels, value=signer_labels[0], label="Signer", elem_id="signer"
                )
                t2p = gr.Radio(t2p_names, value=t2p_names[0], label="Text → pose", elem_id="t2p")
                p2v = gr.Radio(p2v_names, value=p2v_names[0], label="Pose → video", elem_id="p2v")
                speed = gr.Slider(0.5, 2.0, value=1.0, step=0.1, label="Speed", elem_id="speed")
            status = gr.HTML("", elem_id="status")
            gloss_box = gr.HTML("", label="Glosses", elem_id="glosses")
            sign_video = gr.Video(
                label="Skeleton | signer", autoplay=True, loop=True, elem_id="sign_video"
            )
            gr.HTML('<div id="now-signing"></div>', elem_id="now-signing-box")
            attention_img = gr.Image(
                label="Attention: which gloss each frame is signing (learned backends)",
                visible=False, interactive=False, elem_id="attention",
            )  # fmt: skip
            downloads = gr.File(label="Downloads", file_count="multiple", elem_id="downloads")
            timings = gr.Markdown("", elem_id="timings")

        with gr.Tab("Compare models", elem_id="tab-compare"):
            gr.Markdown(
                "One sentence signed by every chosen text-to-pose × pose-to-video pair; the "
                "videos start together. Figures per pair below; measured quality of each "
                "model (test split) under *About the models*."
            )
            with gr.Row(equal_height=True):
                cmp_text = gr.Textbox(
                    label="Korean sentence / 문장", value=EXAMPLES[0], lines=1, max_lines=4,
                    scale=5, elem_id="cmp-sentence",
                )  # fmt: skip
                cmp_go = gr.Button("Compare", variant="primary", scale=1, elem_id="cmp-go")
            with gr.Row():
                cmp_pairs = gr.CheckboxGroup(
                    pair_labels, value=pair_labels, label="Pairs (text → pose + pose → video)",
                    elem_id="cmp-pairs",
                )  # fmt: skip
                cmp_signers = [lab for _, lab in cmp.common_signers(pipe, pairs)] or signer_labels
                cmp_signer = gr.Dropdown(
                    cmp_signers, value=cmp_signers[0], label="Signer", elem_id="cmp-signer"
                )
                cmp_speed = gr.Slider(0.5, 2.0, value=1.0, step=0.1, label="Speed",
                                      elem_id="cmp-speed")  # fmt: skip
            cmp_status = gr.HTML("", elem_id="cmp-status")
            cmp_grid = gr.HTML("", elem_id="cmp-grid")
            cmp_table = gr.HTML("", elem_id="cmp-table")
            cmp_tiled = gr.File(label="The whole comparison as one mp4", visible=False,
                                elem_id="cmp-tiled")  # fmt: skip
            with gr.Accordion("About the models (measured on the test split)", open=True):
                gr.HTML(_about_models_html(evaluation), elem_id="about-models")

        with gr.Accordion("Training on real data (from the README)", open=False,
                          elem_id="training-on-real-data"):
            gr.Markdown(_readme_section("## Training on real data"))

        inputs = [text, signer, t2p, p2v, speed]
        outputs = [status, gloss_box, sign_video, attention_img, downloads, timings]
        light = {"concurrency_id": "light", "concurrency_limit": CONCURRENCY}
        # a click while a sentence is being signed runs once the current one is done
        for trigger in (go.click, text.submit):
            trigger(run_page, inputs, outputs, api_visibility="private",
                    trigger_mode="always_last", scroll_to_output=True, **light)  # fmt: skip
        examples.load_input_event.then(run_page, inputs, outputs, api_visibility="private",
                                       scroll_to_output=True, **light)  # fmt: skip

        def rerun_for_signer(text_value, *rest):
            """Switching the signer re-signs the current sentence (if there is one)."""
            if isinstance(text_value, str) and text_value.strip():
                yield from run_page(text_value, *rest)

        signer.change(rerun_for_signer, inputs, outputs, api_visibility="private", **light)
        for radio in (t2p, p2v):
            radio.change(
                signer_choices, [t2p, p2v, signer], [signer], api_visibility="private"
            )
        heavy = {"concurrency_id": "compare", "concurrency_limit": 1}
        cmp_inputs = [cmp_text, cmp_pairs, cmp_signer, cmp_speed]
        cmp_outputs = [cmp_status, cmp_grid, cmp_table, cmp_tiled]
        for trigger in (cmp_go.click, cmp_text.submit):
            trigger(run_compare_page, cmp_inputs, cmp_outputs, api_visibility="private",
                    trigger_mode="always_last", **heavy)  # fmt: skip

        def rerun_compare_for_signer(text_value, *rest):
            """Switching the signer compares the current sentence again."""
            if isinstance(text_value, str) and text_value.strip():
                yield from run_compare_page(text_value, *rest)

        cmp_signer.change(rerun_compare_for_signer, cmp_inputs, cmp_outputs,
                          api_visibility="private", **heavy)  # fmt: skip
        gr.api(_typed(translate), api_name="translate", **light)
        gr.api(_typed(compare), api_name="compare", **heavy)
    return demo


def launch_kwargs() -> dict:
    theme = gr.themes.Default(
        font=[gr.themes.LocalFont("Source Sans Pro"), "KSLKorean", "sans-serif"],
        font_mono=[gr.themes.LocalFont("IBM Plex Mono"), "ui-monospace", "KSLKorean",
                   "monospace"],
    )  # fmt: skip
    return {
        "css": CSS % FONT,
        "head": HEAD,
        "theme": theme,
        "allowed_paths": [str(FONT), str(README), str(OUT_ROOT)],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description="KSL transit signing demo")
    ap.add_argument("--host", default="127.0.0.1",
                    help="address to serve on (0.0.0.0 opens it to the network)")  # fmt: skip
    ap.add_argument("--port", type=int, default=7860)
    ap.add_argument(
        "--checkpoints",
        default=None,
        help="checkpoint folder (default: $KSL_CHECKPOINTS or the shipped checkpoints/)",
    )
    ap.add_argument(
        "--data",
        default=None,
        help="prepared corpus folder (training.prepare) for the compare view's DTW column "
        "(default: data/prepared when it exists)",
    )
    ap.add_argument(
        "--processes",
        type=int,
        default=WORK_SLOTS,
        help="worker processes signing translate (API) requests (0: threads of the server)",
    )
    ap.add_argument(
        "--cache",
        type=int,
        default=KEEP_RUNS // 2,
        help=f"translate answers kept and served again for the same input (0: none; at most "
        f"{KEEP_RUNS // 2})",
    )
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    data = args.data
    if data is None and (ROOT / "data" / "prepared" / "manifest.jsonl").is_file():
        data = ROOT / "data" / "prepared"
    demo = build(SignPipeline(checkpoints=args.checkpoints), data=data, cache=args.cache,
                 processes=args.processes)  # fmt: skip
    print(f"serving on http://{args.host}:{args.port}/", flush=True)
    demo.queue(default_concurrency_limit=CONCURRENCY, max_size=128).launch(
        server_name=args.host, server_port=args.port, **launch_kwargs()
    )


if __name__ == "__main__":
    main()
