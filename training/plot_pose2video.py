"""Look at what the pose-to-video backends make of test clips, beside the real frames.

    python -m training.plot_pose2video --data data/prepared_v --out docs/images/edn.png \
        [--backends edn avatar] [--clips 4] [--frames 3] [--zoom]

One PNG: per test clip with a video, ``--frames`` frames at equal shares of the signing,
each as a row of panels: the stick figure the learned models read | each backend's frame
(rendered as the app renders: the whole clip, frame by frame, from the clip's normalised
keypoints) | the real video frame. ``--zoom`` adds a row of right-hand crops and one of face
crops under each, 4x.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from sign_pipeline import registry
from sign_pipeline.pose2video import gan
from training.dataset import load_manifest
from training.train_pose2video import dev_segments


def _label(img: np.ndarray, text: str) -> np.ndarray:
    import cv2

    out = img.copy()
    cv2.putText(out, text, (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 3, cv2.LINE_AA)
    cv2.putText(out, text, (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1, cv2.LINE_AA)
    return out


def plot(data: str | Path, out: str | Path, backends: list[str] | None = None, clips: int = 4,
         frames: int = 3, zoom: bool = False, length: int = 48) -> Path:  # fmt: skip
    """Draw the grid; returns its path."""
    from PIL import Image

    data = Path(data)
    names = backends or registry.available("pose2video")
    loaded = {n: registry.load("pose2video", n) for n in names}
    records = [r for r in load_manifest(data, "test") if r.get("video")]
    segments = dev_segments(data, records, clips, length, 256)
    if not segments:
        raise SystemExit(f"{data}: no test clip with a readable video")
    rows = []
    for seg in segments:
        outputs = {
            n: b.draw(seg["keypoints"], seg["mask"], seg["signer"]) for n, b in loaded.items()
        }
        n = len(seg["real"])
        for t in np.linspace(0, n - 1, frames + 2).round().astype(int)[1:-1]:
            stick = gan.draw_sticks(seg["px"][t : t + 1], seg["mask"][t : t + 1], 256)[0]
            panels = [_label(stick, "input")]
            panels += [_label(o[t], name) for name, o in outputs.items()]
            panels.append(_label(seg["real"][t], "real"))
            rows.append(np.concatenate(panels, axis=1))
            if zoom:
                corners, present = gan.crop_corners(seg["px"][t : t + 1], seg["mask"][t : t + 1],
                                                    (64, 64, 64), 256)  # fmt: skip
                for part in (2, 0):  # the right hand, then the face
                    if present[0, part]:
                        x, y = corners[0, part]
                        crops = [np.kron(p[y : y + 64, x : x + 64], np.ones((4, 4, 1), np.uint8))
                                 for p in [stick, *(o[t] for o in outputs.values()),
                                           seg["real"][t]]]  # fmt: skip
                        rows.append(np.concatenate(crops, axis=1))
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.concatenate(rows, axis=0)).save(out, optimize=True)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", required=True, help="a prepared dataset with videos")
    ap.add_argument("--out", required=True, help="PNG to write")
    ap.add_argument("--backends", nargs="*", help="pose-to-video backends (default: installed)")
    ap.add_argument("--clips", type=int, default=4)
    ap.add_argument("--frames", type=int, default=3)
    ap.add_argument("--zoom", action="store_true", help="add right-hand and face crops, 4x")
    args = ap.parse_args(argv)
    if Path(args.out).suffix.lower() != ".png" or Path(args.out).is_dir():
        ap.error(f"--out {args.out}: name the PNG file to write (*.png)")
    path = plot(args.data, args.out, args.backends, args.clips, args.frames, args.zoom)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
