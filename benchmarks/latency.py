"""Per-stage and end-to-end latency over the app's example sentences.

``python -m benchmarks.latency [--repeats 3] [--text2pose lexicon] [--pose2video avatar]``
prints one row per sentence (medians over the repeats) and a summary row. The first run of
each backend (loading) is reported separately and not counted.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from sign_pipeline.pipeline import SignPipeline

STAGES = ("gloss", "text2pose", "skeleton", "pose2video", "videos", "files")


def main() -> None:
    from app import EXAMPLES

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--text2pose", default="lexicon")
    ap.add_argument("--pose2video", default="avatar")
    ap.add_argument("--signer", type=int, default=1)
    args = ap.parse_args()

    pipe = SignPipeline(args.text2pose, args.pose2video)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        pipe.run(EXAMPLES[0], signer=args.signer, out_dir=Path(tmp))
    print(f"first run (loads Kiwi and backends): {time.perf_counter() - t0:.2f} s\n")

    header = (
        ["sentence", "frames", "clip s"] + [f"{s} ms" for s in STAGES] + ["total ms", "ready/clip"]
    )
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    ratios, totals, glosses = [], [], []
    for text in EXAMPLES:
        runs = []
        for _ in range(args.repeats):
            with tempfile.TemporaryDirectory() as tmp:
                runs.append(pipe.run(text, signer=args.signer, out_dir=Path(tmp)))
        med = {s: statistics.median(r.timings.get(s, 0.0) for r in runs) for s in STAGES}
        total = statistics.median(sum(r.timings.get(s, 0.0) for s in STAGES) for r in runs)
        clip = runs[0].duration_s
        ratios.append(total / clip)
        totals.append(total)
        glosses.append(med["gloss"])
        cells = [text[:18], str(runs[0].n_frames), f"{clip:.2f}"]
        cells += [f"{med[s] * 1000:.0f}" for s in STAGES]
        cells += [f"{total * 1000:.0f}", f"{total / clip:.2f}"]
        print("| " + " | ".join(cells) + " |")
    print()
    print(
        f"median end-to-end: {statistics.median(totals) * 1000:.0f} ms; "
        f"worst ready/clip ratio: {max(ratios):.2f} (below 1 = ready before the clip would end); "
        f"median gloss stage: {statistics.median(glosses) * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main()
