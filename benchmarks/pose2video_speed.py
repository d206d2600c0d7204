"""Milliseconds per 256 x 256 frame of EDN and StyleGAN2 generator sizes (the speed half of
their speed/quality tables), and of the installed pose-to-video backends.

``python -m benchmarks.pose2video_speed [--repeats 5] [--threads 2]`` renders one sentence's
keypoints (the shipped lexicon backend, 30 frames) frame by frame as the app does, and
prints medians over the repeats: untrained generators of each size (speed does not depend
on the weights) with their parameter count, then every installed backend as shipped. Real
time at 30 fps is 33 ms a frame, at 25 fps 40 ms.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from sign_pipeline import registry
from sign_pipeline.gloss import text_to_gloss
from sign_pipeline.pose2video.edn import EDN, EDNConfig, EDNModel
from sign_pipeline.pose2video.stylegan2 import StyleGAN2, StyleGAN2Config, StyleGAN2Model
from sign_pipeline.text2pose.base import GlossInput

SENTENCE = "서울역까지 가려면 지하철 몇호선으로 환승 해야하나요?"
#: (ngf, residual blocks, refiner channels) tried for EDN; the shipped size is in its config.
SIZES = [(16, 4, 16), (24, 4, 24), (24, 6, 24), (32, 6, 32)]
#: Synthesis channels 8 x 8 ... 256 x 256 tried for StyleGAN2 (the shipped one is the second).
STYLEGAN2_SIZES = [
    [96, 96, 64, 48, 24, 12],
    [128, 128, 96, 64, 32, 16],
    [192, 192, 128, 96, 48, 24],
]
PLACEMENT = {"1": [128.0, 110.0, 78.0]}


def _ms_per_frame(backend, kp, mask, signer: int, repeats: int) -> float:
    backend.draw(kp[:2], mask[:2], signer)  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        backend.draw(kp, mask, signer)
        times.append(time.perf_counter() - t0)
    return statistics.median(times) / len(kp) * 1000


def _size_row(label: str, backend, kp, mask, args) -> str:
    """A table row: the size, its parameter count and its milliseconds per frame."""
    params = sum(p.numel() for p in backend.model.parameters()) / 1e6
    return f"| {label} | {params:.2f} M | {_ms_per_frame(backend, kp, mask, 1, args.repeats):.1f} |"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    lexicon = registry.load("text2pose", "lexicon")
    out = lexicon.sign(GlossInput.from_gloss_result(text_to_gloss(SENTENCE)), signer=1)
    kp, mask = out.keypoints[:30], out.mask[:30]
    print(f"{len(kp)} frames, {args.threads} torch threads, median of {args.repeats}\n")
    print("| EDN generator (ngf, blocks, refiner) | parameters | ms/frame |")
    print("|---|---|---|")
    for ngf, blocks, refine in SIZES:
        cfg = EDNConfig(ngf=ngf, n_blocks=blocks, refine_channels=refine, signers=[1],
                        placements=PLACEMENT)  # fmt: skip
        print(_size_row(f"{ngf}, {blocks}, {refine}", EDN(EDNModel(cfg)), kp, mask, args))
    print("\n| StyleGAN2 synthesis channels (8 ... 256 px) | parameters | ms/frame |")
    print("|---|---|---|")
    for channels in STYLEGAN2_SIZES:
        cfg = StyleGAN2Config(channels=channels, signers=[1], placements=PLACEMENT)
        label = ", ".join(map(str, channels))
        print(_size_row(label, StyleGAN2(StyleGAN2Model(cfg)), kp, mask, args))
    print("\n| installed backend | ms/frame |")
    print("|---|---|")
    for name in registry.available("pose2video"):
        backend = registry.load("pose2video", name)
        signer = (backend.signers() or [1])[0]
        print(f"| {name} | {_ms_per_frame(backend, kp, mask, signer, args.repeats):.1f} |")


if __name__ == "__main__":
    main()
