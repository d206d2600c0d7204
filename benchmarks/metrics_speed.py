"""How long the ruler takes: DTW, SSIM, PSNR, pose consistency and the recogniser.

``python -m benchmarks.metrics_speed [--repeats 3]`` prints medians over the repeats on one
sentence's keypoints from the shipped lexicon backend and its avatar frames. These times
decide how ``python -m training.evaluate`` samples: DTW runs on every clip, SSIM and
MediaPipe (pose consistency) only on sampled frames.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from sign_pipeline import metrics
from sign_pipeline.gloss import text_to_gloss
from sign_pipeline.pose2video.avatar import AvatarRenderer
from sign_pipeline.pose2video.placement import to_pixels
from sign_pipeline.registry import load
from sign_pipeline.text2pose.base import GlossInput

SENTENCE = "서울역까지 가려면 지하철 몇호선으로 환승 해야하나요?"


def _median_ms(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--frames", type=int, default=24, help="frames for SSIM and MediaPipe")
    args = ap.parse_args()

    inputs = GlossInput.from_gloss_result(text_to_gloss(SENTENCE))
    lexicon = load("text2pose", "lexicon")
    a = lexicon.sign(inputs, signer=1)
    b = lexicon.sign(inputs, signer=2)
    kp, mask, n = a.keypoints, a.mask, len(a)
    frames = AvatarRenderer().draw(kp, mask, 1)
    shifted = np.roll(frames, 2, axis=2)  # a slightly different video of the same size
    idx = np.linspace(0, n - 1, min(n, args.frames)).round().astype(int)
    px = to_pixels(kp, 1, mask)
    print(f"{n} frames ({SENTENCE}); SSIM and MediaPipe on {len(idx)} of them\n")
    print("| metric | input | ms (median) | per unit |")
    print("|---|---|---:|---:|")
    ms = _median_ms(lambda: metrics.dtw(kp, b.keypoints, mask, b.mask), args.repeats)
    print(f"| DTW, all 127 points | {n} x {len(b)} frames | {ms:.1f} | {ms:.1f} ms / pair |")
    ms = _median_ms(lambda: metrics.hands_dtw(kp, b.keypoints, mask, b.mask), args.repeats)
    print(f"| DTW, hands | {n} x {len(b)} frames | {ms:.1f} | {ms:.1f} ms / pair |")
    ms = _median_ms(lambda: metrics.motion_stats(kp, mask, a.fps), args.repeats)
    print(f"| motion statistics | {n} frames | {ms:.1f} | {ms / n:.3f} ms / frame |")
    ms = _median_ms(lambda: metrics.psnr(frames[idx], shifted[idx]), args.repeats)
    print(f"| PSNR | {len(idx)} frames 256² | {ms:.1f} | {ms / len(idx):.2f} ms / frame |")
    ms = _median_ms(lambda: metrics.ssim(frames[idx], shifted[idx]), args.repeats)
    print(f"| SSIM | {len(idx)} frames 256² | {ms:.1f} | {ms / len(idx):.2f} ms / frame |")
    ms = _median_ms(
        lambda: metrics.crop_ssim(frames[idx], shifted[idx], px[idx], mask[idx], "right_hand"),
        args.repeats,
    )
    print(
        f"| SSIM, right-hand crop | {len(idx)} frames | {ms:.1f} | {ms / len(idx):.2f} ms / frame |"
    )
    ms = _median_ms(lambda: metrics.relative_flicker(frames, shifted), args.repeats)
    print(f"| relative flicker | {n} frames 256² | {ms:.1f} | {ms / n:.2f} ms / frame |")
    ms = _median_ms(lambda: metrics.pose_consistency(frames[idx], px[idx], mask[idx]), args.repeats)
    print(
        f"| pose consistency (MediaPipe) | {len(idx)} frames 256² | {ms:.0f} "
        f"| {ms / len(idx):.1f} ms / frame |"
    )
    try:
        from sign_pipeline.backtranslation import BackTranslator

        bt = BackTranslator.load()
    except Exception as exc:  # noqa: BLE001 - no recogniser checkpoint: say so
        print(f"| back-translation recogniser | — | not available ({exc}) | |")
        return
    bt.recognise(kp, mask, a.fps)
    ms = _median_ms(lambda: bt.recognise(kp, mask, a.fps), max(args.repeats, 10))
    print(f"| back-translation recogniser | {n} frames | {ms:.1f} | {ms:.1f} ms / sentence |")


if __name__ == "__main__":
    main()
