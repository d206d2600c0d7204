"""Milliseconds per frame of the renderers (avatar per signer, stick figure, skeleton) and mp4.

``python -m benchmarks.render_speed [--repeats 5]`` prints medians over the repeats of one
sentence's keypoints from the shipped lexicon backend. The avatar renders live (the app
draws it per request; about 2 ms per frame on an idle core, budget 12 ms); the stick figure
is the learned pose-to-video models' input, drawn for every frame they render or train on.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from sign_pipeline import render
from sign_pipeline.gloss import text_to_gloss
from sign_pipeline.pose2video.appearances import get_appearance
from sign_pipeline.pose2video.avatar import AvatarRenderer
from sign_pipeline.pose2video.stickfigure import draw_stick_figure
from sign_pipeline.registry import load

SENTENCE = "서울역까지 가려면 지하철 몇호선으로 환승 해야하나요?"


def _median_ms_per_frame(fn, n_frames: int, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) / n_frames * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()

    pose = load("text2pose", "lexicon").sign(text_to_gloss(SENTENCE).glosses, signer=1)
    kp, mask, n = pose.keypoints, pose.mask, len(pose)
    avatar = AvatarRenderer()
    print(f"{n} frames of keypoints ({SENTENCE})\n")
    print("| renderer | ms / frame (median) |")
    print("|---|---:|")
    avatar.render(kp[:3], mask[:3], 1)  # warm the palette and background caches
    for number in (1, 2, 3, 4, 6):
        ms = _median_ms_per_frame(lambda s=number: avatar.render(kp, mask, s), n, args.repeats)
        print(f"| avatar, signer {number} ({get_appearance(number).name}) | {ms:.2f} |")
    for size in (256, 512):
        ms = _median_ms_per_frame(
            lambda s=size: draw_stick_figure(kp, mask, 1, size=s), n, args.repeats
        )
        print(f"| stick figure {size}x{size} (GAN input) | {ms:.2f} |")
    ms = _median_ms_per_frame(lambda: render.draw_skeleton(kp, mask), n, args.repeats)
    print(f"| skeleton panel | {ms:.2f} |")
    frames = render.side_by_side(render.draw_skeleton(kp, mask), avatar.render(kp, mask, 1))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.mp4"
        ms = _median_ms_per_frame(lambda: render.write_mp4(frames, path), n, args.repeats)
    print(f"| mp4 writing (H.264, 516x256) | {ms:.2f} |")


if __name__ == "__main__":
    main()
