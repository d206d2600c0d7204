"""Milliseconds per 256 x 256 frame of every installed pose-to-video backend, eager PyTorch
against the inference runtime (OpenVINO), with the PSNR between their frames; and of EDN
and StyleGAN2 generator sizes (``--sizes``: the speed half of their speed/quality tables).

``python -m benchmarks.pose2video_speed [--repeats 5] [--threads 2] [--frames 60] [--sizes]``
renders the first example sentence's keypoints (the shipped lexicon backend) frame by frame
as the app does, and prints medians over the repeats, eager and runtime interleaved so a
busy machine slows both alike. The PSNR is the lowest over the frames (EDN draws each frame
from its own previous one, so a difference would add up along the clip). Real time at
30 fps is 33 ms a frame, at 25 fps 40 ms. ``--sizes`` adds untrained generators of each
size (speed does not depend on the weights), eagerly, with their parameter count.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np
import torch

from sign_pipeline import registry, runtime
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
    backend.draw(kp[:2], mask[:2], signer)  # warm-up (and, for the runtime, conversion)
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


def _load(name: str, runtime_name: str, kp, mask):
    """The shipped backend ``name`` drawing with ``runtime_name`` ("eager" or "openvino"),
    its network converted on the first two frames of ``kp``."""
    before = os.environ.get(runtime.RUNTIME_ENV)
    os.environ[runtime.RUNTIME_ENV] = runtime_name
    try:
        backend = registry.load("pose2video", name)
        signer = (backend.signers() or [1])[0]
        backend.draw(kp[:2], mask[:2], signer)  # the runtime converts on its first frames
    finally:
        if before is None:
            os.environ.pop(runtime.RUNTIME_ENV, None)
        else:
            os.environ[runtime.RUNTIME_ENV] = before
    return backend, signer


def _psnr_min(a: np.ndarray, b: np.ndarray) -> float:
    """The lowest per-frame PSNR (dB) between two clips of uint8 frames."""
    mse = ((a.astype(np.float64) - b.astype(np.float64)) ** 2).mean(axis=(1, 2, 3))
    return float((10 * np.log10(255**2 / np.maximum(mse, 1e-12))).min())


def backend_table(kp, mask, repeats: int) -> list[str]:
    """Eager vs runtime ms/frame, speed-up and PSNR of every installed backend."""
    rows = ["| backend | runtime | eager ms/frame | runtime ms/frame | speed-up | PSNR (dB, "
            "lowest frame) |", "|---|---|---|---|---|---|"]  # fmt: skip
    for name in registry.available("pose2video"):
        eager, signer = _load(name, "eager", kp, mask)
        fast, _ = _load(name, "openvino", kp, mask)
        if fast.runtime() == "drawn":
            ms = statistics.median(_ms_per_frame(fast, kp, mask, signer, 1)
                                   for _ in range(repeats))  # fmt: skip
            rows.append(f"| {registry.label('pose2video', name)} | drawn (no network) | "
                        f"{ms:.1f} | {ms:.1f} | 1.00x | - |")  # fmt: skip
            continue
        e_times, f_times = [], []
        for _ in range(repeats):  # interleaved: the machine's load falls on both
            e_times.append(_ms_per_frame(eager, kp, mask, signer, 1))
            f_times.append(_ms_per_frame(fast, kp, mask, signer, 1))
        e_ms, f_ms = statistics.median(e_times), statistics.median(f_times)
        psnr = _psnr_min(fast.draw(kp, mask, signer), eager.draw(kp, mask, signer))
        rows.append(f"| {registry.label('pose2video', name)} | {fast.runtime()} | {e_ms:.1f} | "
                    f"{f_ms:.1f} | {e_ms / f_ms:.2f}x | {psnr:.1f} |")  # fmt: skip
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--frames", type=int, default=60, help="frames of the sentence drawn")
    ap.add_argument("--sizes", action="store_true", help="also the generator size tables")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    lexicon = registry.load("text2pose", "lexicon")
    out = lexicon.sign(GlossInput.from_gloss_result(text_to_gloss(SENTENCE)), signer=1)
    kp, mask = out.keypoints[: args.frames], out.mask[: args.frames]
    print(f"{len(kp)} frames, {args.threads} torch threads, median of {args.repeats}; "
          f"bf16 native on this CPU: {runtime.native_bf16()}\n")  # fmt: skip
    print("\n".join(backend_table(kp, mask, args.repeats)))
    if not args.sizes:
        return
    os.environ[runtime.RUNTIME_ENV] = "eager"
    print("\n| EDN generator (ngf, blocks, refiner), eager | parameters | ms/frame |")
    print("|---|---|---|")
    for ngf, blocks, refine in SIZES:
        cfg = EDNConfig(ngf=ngf, n_blocks=blocks, refine_channels=refine, signers=[1],
                        placements=PLACEMENT)  # fmt: skip
        print(_size_row(f"{ngf}, {blocks}, {refine}", EDN(EDNModel(cfg)), kp, mask, args))
    print("\n| StyleGAN2 synthesis channels (8 ... 256 px), eager | parameters | ms/frame |")
    print("|---|---|---|")
    for channels in STYLEGAN2_SIZES:
        cfg = StyleGAN2Config(channels=channels, signers=[1], placements=PLACEMENT)
        label = ", ".join(map(str, channels))
        print(_size_row(label, StyleGAN2(StyleGAN2Model(cfg)), kp, mask, args))


if __name__ == "__main__":
    main()
