"""Command line: a real video -> keypoints in the 127-point layout (MediaPipe Holistic).

    python -m sign_pipeline.extract VIDEO -o OUT [--max-frames N] [--no-progress]

``OUT`` ending in ``.pose`` is written as a pose-format file; anything else is a folder of
OpenPose-style JSON frames named ``{video stem}_{i:012d}_keypoints.json`` (the AI Hub
layout). Prints a summary (frames, fps, size, share of frames with pose/face/hands).
Bad input (missing file, not a video, no frames) exits with status 2 and one line.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sign_pipeline.formats import FormatError
from sign_pipeline.skeleton import PoseSequence

_BLOCK_LABELS = {
    "pose": "pose",
    "face": "face",
    "left_hand": "left hand",
    "right_hand": "right hand",
}


def write_keypoints(seq: PoseSequence, out: str | Path, clip_name: str) -> Path:
    """Write ``seq`` to ``out``: a ``.pose`` file, or else a folder of OpenPose JSON frames."""
    out = Path(out)
    if out.suffix.lower() == ".pose":
        from sign_pipeline.formats.pose import write_pose

        out.parent.mkdir(parents=True, exist_ok=True)
        write_pose(seq, out)
    else:
        from sign_pipeline.formats.openpose import write_openpose_folder

        write_openpose_folder(seq, out, clip_name)
    return out


def summary(seq: PoseSequence) -> str:
    """One line: frame count, fps, size and the share of frames with each part detected."""
    from sign_pipeline.formats.video import detection_rates

    rates = detection_rates(seq)
    parts = ", ".join(f"{_BLOCK_LABELS[k]} {100 * v:.1f}%" for k, v in rates.items())
    return f"{len(seq)} frames, {seq.fps:.2f} fps, {seq.width}x{seq.height}; detected in: {parts}"


#: File starts of still images, which OpenCV would otherwise read as a one-frame "video".
_IMAGE_MAGIC = {b"\x89PNG": "PNG", b"\xff\xd8\xff": "JPEG", b"GIF8": "GIF", b"BM": "BMP",
                b"RIFF": "WebP", b"II*\x00": "TIFF", b"MM\x00*": "TIFF"}  # fmt: skip


def image_kind(path: Path) -> str | None:
    """"PNG", "JPEG", ... when ``path`` is a still image, else None (WebP checked by its tag)."""
    try:
        with open(path, "rb") as f:
            head = f.read(12)
    except OSError:
        return None
    for magic, kind in _IMAGE_MAGIC.items():
        if head.startswith(magic) and (kind != "WebP" or head[8:12] == b"WEBP"):
            return kind
    return None


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m sign_pipeline.extract",
        description="Extract 127-point keypoints from a video with MediaPipe Holistic.",
    )
    parser.add_argument("video", type=Path, help="input video file (mp4, avi, ...)")
    parser.add_argument(
        "-o",
        "--out",
        type=Path,
        required=True,
        help="output: a .pose file, or a folder for OpenPose-style JSON frames",
    )
    parser.add_argument(
        "--max-frames", type=_positive_int, default=None, help="stop after N frames"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 2 bad input)."""
    args = build_parser().parse_args(argv)
    from sign_pipeline.formats.video import extract_video

    kind = image_kind(args.video)
    if kind is not None:
        print(f"error: {args.video} is a {kind} image, not a video: nothing written",
              file=sys.stderr)  # fmt: skip
        return 2
    try:
        seq = extract_video(args.video, progress=not args.no_progress, max_frames=args.max_frames)
    except (FileNotFoundError, FormatError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        out = write_keypoints(seq, args.out, clip_name=args.video.stem)
    except OSError as exc:
        print(f"error: cannot write {args.out}: {exc}", file=sys.stderr)
        return 2
    print(summary(seq))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
