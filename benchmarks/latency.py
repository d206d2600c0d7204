"""Per-stage and end-to-end latency over the app's example sentences.

    python -m benchmarks.latency [--repeats 3] [--text2pose lexicon] [--pose2video avatar]
        [--files video|all] [--api http://127.0.0.1:7860/]

In-process (default) it prints one row per sentence (medians over the repeats) and a
summary row; the first run of each backend (loading) is reported separately and not
counted. ``--files video`` (the default) is what the page and the API do before answering:
the side-by-side mp4 only; ``--files all`` also writes the separate skeleton and signer
mp4s, the ``.pose``, the OpenPose zip and the gloss JSON. Each run does what the page does:
as soon as the keypoints exist it encodes the skeleton alone as a quick preview ("preview
ms"; "skeleton shown s" is when it can play). "first frame s" is when the first frame of
the signer video can be shown (wall clock from the request): for a backend slower than real
time (the GANs) the page shows what is drawn so far: one growing encode
(``render.GrowingMp4``), copied out as a piece when ``ui.serving.PieceSchedule`` says (the first
once the rest will be drawn in time, by the backend's measured speed), so it is when the first
piece plays ("stream ms": composing and encoding the pieces, copying them out). The page's script plays each piece on from where the last one
was, so pieces do not restart the player; "waits s" is how long a player starting at the first
piece would wait at the end of a piece for the next one (simulated from the times the pieces
were ready, playing at the clip's frame rate). For the others it is when the whole video is
ready. As the page does, the GAN signers are timed once after loading
(``SignPipeline.prepare_renderers``).

``--compare`` times the compare view instead: every installed pair on the first example
sentence (as the page's "Compare" button with every pair ticked), each pair's seconds and
the total, medians over the repeats.

``--api URL`` measures the same sentences through a running server's ``translate``
endpoint with gradio_client (one warm-up call not counted): wall time per answer, the
answer's video downloaded.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from sign_pipeline import render
from sign_pipeline.gloss.examples import SHOWCASE as EXAMPLES
from sign_pipeline.pipeline import SignPipeline, SignResult
from ui.serving import STREAM_CHUNK, PieceSchedule  # the page's pieces (no gradio in there)

STAGES = ("gloss", "text2pose", "skeleton", "preview", "pose2video", "stream", "videos",
          "files")  # fmt: skip


def page_run(pipe: SignPipeline, text: str, signer, out_dir: Path, files: str) -> SignResult:
    """One sentence as the page signs it: the skeleton preview mp4 once the keypoints
    exist (timed as ``preview``), what is drawn so far when the backend is slower than real
    time (``stream``), then the side-by-side video. ``res.first_frame_s``: wall
    time until the first signer frame can play."""
    res, start, first = None, time.perf_counter(), None
    pieces, growing = None, None
    player = {"at": 0.0, "frame": 0.0, "waits": 0.0}  # a player following the pieces
    try:
        for res in pipe.stages(text, signer=signer, out_dir=out_dir, files=files,
                               stream=STREAM_CHUNK):  # fmt: skip
            t0 = time.perf_counter()
            if res.stage == "text2pose":
                render.write_mp4(res.skeleton_frames, out_dir / "skeleton.mp4", res.fps,
                                 preset="ultrafast")  # fmt: skip
                res.timings["preview"] = time.perf_counter() - t0
            elif res.stage == "pose2video_chunk":  # as the page: one growing encode, pieces
                if not res.chunk_start:
                    speed = pipe.backend("pose2video", res.pose2video).ms_per_frame
                    pieces = PieceSchedule(res.n_frames, speed, res.fps)
                    growing = render.GrowingMp4(out_dir / "drawing.mp4", res.fps)
                a, done = res.chunk_start, res.chunk_start + len(res.chunk)
                growing.add(render.side_by_side(res.skeleton_frames[a:done], res.chunk))
                if pieces.due(done, time.perf_counter()):
                    _, frames = growing.snapshot(out_dir / f"drawn_{done:05d}.mp4")
                    now = time.perf_counter()
                    _follow(player, now, pieces.shown, res.fps, first is None)
                    pieces.mark(frames, now)
                    first = first or now - start
                res.timings["stream"] = res.timings.get("stream", 0.0) + time.perf_counter() - t0
            elif res.stage == "videos":
                if first is not None:
                    _follow(player, time.perf_counter(), pieces.shown, res.fps, False)
                first = first or time.perf_counter() - start
    finally:
        if growing is not None:
            growing.close()
    res.first_frame_s = first
    res.waits_s = player["waits"]
    return res


def _follow(player: dict, now: float, shown: int, fps: float, starts: bool) -> None:
    """A player that started at the first piece and plays on through each next one: the
    time it spent waiting at the end of what was shown before ``now``."""
    if not starts:
        frame = player["frame"] + (now - player["at"]) * fps
        if frame > shown:
            player["waits"] += (frame - shown) / fps
            frame = shown
        player["frame"] = frame
    player["at"] = now


def in_process(args) -> None:
    pipe = SignPipeline(args.text2pose, args.pose2video)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        pipe.run(EXAMPLES[0], signer=args.signer, out_dir=Path(tmp), files=args.files)
    print(f"first run (loads Kiwi and backends): {time.perf_counter() - t0:.2f} s")
    for name, (how, ms) in pipe.prepare_renderers().items():
        print(f"{name}: {how}, {ms:.1f} ms a frame (keeps up with 30 fps: {ms <= 1000 / 30})")
    print()
    stages = STAGES if args.files == "all" else STAGES[:-1]
    header = (
        ["sentence", "frames", "clip s"]
        + [f"{s} ms" for s in stages]
        + ["total ms", "skeleton shown s", "first frame s", "waits s", "ready/clip"]
    )
    print(f"{args.text2pose} + {args.pose2video}, --files {args.files}\n")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    ratios, totals, glosses, skeletons, firsts = [], [], [], [], []
    for text in EXAMPLES:
        runs = []
        for _ in range(args.repeats):
            with tempfile.TemporaryDirectory() as tmp:
                runs.append(page_run(pipe, text, args.signer, Path(tmp), args.files))
        med = {s: statistics.median(r.timings.get(s, 0.0) for r in runs) for s in stages}
        total = statistics.median(sum(r.timings.get(s, 0.0) for s in stages) for r in runs)
        first_frame = statistics.median(r.first_frame_s for r in runs)
        firsts.append(first_frame)
        clip = runs[0].duration_s
        ratios.append(total / clip)
        totals.append(total)
        glosses.append(med["gloss"])
        skeletons.append(med["gloss"] + med["text2pose"] + med["skeleton"] + med["preview"])
        cells = [text[:18], str(runs[0].n_frames), f"{clip:.2f}"]
        cells += [f"{med[s] * 1000:.0f}" for s in stages]
        waits = statistics.median(r.waits_s for r in runs)
        cells += [f"{total * 1000:.0f}", f"{skeletons[-1]:.2f}", f"{first_frame:.2f}",
                  f"{waits:.2f}", f"{total / clip:.2f}"]  # fmt: skip
        print("| " + " | ".join(cells) + " |")
    print()
    print(
        f"median end-to-end: {statistics.median(totals) * 1000:.0f} ms; "
        f"worst ready/clip ratio: {max(ratios):.2f} (below 0.5 = ready before half the clip); "
        f"median gloss stage: {statistics.median(glosses) * 1000:.1f} ms; "
        f"skeleton shown (gloss + text2pose + drawing + preview): median "
        f"{statistics.median(skeletons) * 1000:.0f} ms, worst {max(skeletons) * 1000:.0f} ms; "
        f"first signer frame: median {statistics.median(firsts):.2f} s, worst {max(firsts):.2f} s"
    )


def compare_view(args) -> None:
    from sign_pipeline import compare as cmp

    pipe = SignPipeline(args.text2pose, args.pose2video)
    pipe.warm_up()
    for name, (how, ms) in pipe.prepare_renderers().items():
        print(f"{name}: {how}, {ms:.1f} ms a frame")
    pairs = cmp.installed_pairs(pipe.checkpoints)
    with tempfile.TemporaryDirectory() as tmp:
        list(cmp.compare(pipe, "지하철", pairs[:1], out_dir=Path(tmp)))  # loads the recogniser
    per_pair: dict[str, list[float]] = {cmp.pair_label(*p): [] for p in pairs}
    totals = []
    for _ in range(args.repeats):
        with tempfile.TemporaryDirectory() as tmp:
            start = last = time.perf_counter()
            for r in cmp.compare(pipe, EXAMPLES[0], pairs, out_dir=Path(tmp)):
                now = time.perf_counter()
                if r.kind == "pair":
                    per_pair[r.label].append(now - last)
                last = now
            totals.append(time.perf_counter() - start)
    print(f"\ncompare view, {len(pairs)} pairs, {EXAMPLES[0]}\n")
    print("| pair | seconds (median) |")
    print("|---|---|")
    for label, times in per_pair.items():
        print(f"| {label} | {statistics.median(times):.1f} |")
    print(f"| **all {len(pairs)} pairs** | **{statistics.median(totals):.1f}** |")


def through_api(args) -> None:
    from gradio_client import Client

    client = Client(args.api, verbose=False)
    kwargs = {"text2pose": args.text2pose, "pose2video": args.pose2video, "signer": args.signer}
    client.predict(EXAMPLES[0], api_name="/translate", **kwargs)
    print(f"through {args.api} translate ({args.text2pose} + {args.pose2video})\n")
    print("| sentence | clip s | answer s (median) | answer / clip |")
    print("|---|---|---|---|")
    ratios, walls = [], []
    for text in EXAMPLES:
        times, clip = [], 0.0
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            _, result = client.predict(text, api_name="/translate", **kwargs)
            times.append(time.perf_counter() - t0)
            clip = result["duration_s"]
        wall = statistics.median(times)
        walls.append(wall)
        ratios.append(wall / clip)
        print(f"| {text[:18]} | {clip:.2f} | {wall:.2f} | {wall / clip:.2f} |")
    print(
        f"\nmedian answer: {statistics.median(walls):.2f} s; "
        f"median answer/clip {statistics.median(ratios):.2f}, worst {max(ratios):.2f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--text2pose", default="lexicon")
    ap.add_argument("--pose2video", default="avatar")
    ap.add_argument("--signer", type=int, default=1)
    ap.add_argument("--files", choices=("video", "all"), default="video")
    ap.add_argument("--api", default=None, help="URL of a running app: measure its translate")
    ap.add_argument("--compare", action="store_true", help="time the compare view instead")
    args = ap.parse_args()
    if args.compare:
        compare_view(args)
    elif args.api:
        through_api(args)
    else:
        in_process(args)


if __name__ == "__main__":
    main()
