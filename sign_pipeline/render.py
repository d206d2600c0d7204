"""Skeleton drawing, subtitles, side-by-side composition and browser-playable mp4 writing.

Keypoints given to :func:`draw_skeleton` are in the signer-independent frame of
``skeleton.normalize`` (neck at 0, shoulder width 1) unless ``pixel=True``; they are
placed like the signer's video (:func:`sign_pipeline.pose2video.placement.to_pixels`), so
the skeleton panel and the signer line up.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .pose2video.stickfigure import StickStyle, draw_stick_figure

BG = (250, 250, 247)
COLORS = {
    "pose": (70, 70, 80),
    "face": (150, 120, 110),
    "left_hand": (40, 120, 220),  # signer's left hand: blue
    "right_hand": (220, 80, 40),  # signer's right hand: orange
}
#: The skeleton panel: the stick-figure rasteriser in light, readable colours.
SKELETON_PANEL = StickStyle(
    background=BG,
    trunk=COLORS["pose"],
    right_arm=COLORS["pose"],
    left_arm=COLORS["pose"],
    face=COLORS["face"],
    right_hand=(COLORS["right_hand"],) * 5,
    left_hand=(COLORS["left_hand"],) * 5,
    body_width=3.0,
    face_width=1.0,
    finger_width=1.0,
    joint=3.0,
)


def draw_skeleton(
    keypoints: np.ndarray,
    mask: np.ndarray | None = None,
    size: int = 256,
    pixel: bool = False,
    signer: int = 1,
) -> np.ndarray:
    """Draw a stick figure per frame: uint8 ``[T, size, size, 3]`` (or one frame for [127, 2]).

    Placed like ``signer``'s video; with ``pixel`` the keypoints are already pixels of the
    signer's 256 x 256 frame.
    """
    return draw_stick_figure(keypoints, mask, signer, size, pixel=pixel, style=SKELETON_PANEL)


# ---------------------------------------------------------------------------- text


def korean_font_path() -> Path:
    """A Korean TTF shipped with the requirements (koreanize-matplotlib's NanumGothic)."""
    spec = importlib.util.find_spec("koreanize_matplotlib")
    candidates = []
    if spec and spec.origin:
        candidates.append(Path(spec.origin).parent / "fonts" / "NanumGothic.ttf")
    candidates += [
        Path("/usr/share/fonts/truetype/nanum/NanumGothic.ttf"),
        Path(os.environ.get("KSL_FONT", "/nonexistent")),
    ]
    for path in candidates:
        if path.is_file():
            return path
    raise FileNotFoundError(
        "no Korean font found: pip install koreanize-matplotlib (in requirements.txt)"
    )


@lru_cache(maxsize=8)
def korean_font(size: int = 16) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(korean_font_path()), size)


@lru_cache(maxsize=256)
def _caption_strip(text: str, width: int, height: int) -> np.ndarray:
    strip = Image.new("RGB", (width, height), (30, 30, 36))
    draw = ImageDraw.Draw(strip)
    font_size = max(10, int(height * 0.6))
    font = korean_font(font_size)
    while font_size > 8 and draw.textlength(text, font=font) > width - 8:
        font_size -= 1
        font = korean_font(font_size)
    tw = draw.textlength(text, font=font)
    draw.text(((width - tw) / 2, height / 2), text, font=font, fill=(255, 255, 255), anchor="lm")
    return np.asarray(strip)


def add_captions(
    frames: np.ndarray, captions: Sequence[str], height: int | None = None
) -> np.ndarray:
    """Append a caption strip under each frame (one caption per frame; "" for none)."""
    frames = np.asarray(frames)
    t, h, w, _ = frames.shape
    if len(captions) != t:
        raise ValueError(f"{len(captions)} captions for {t} frames")
    height = height or max(20, h // 8)
    out = np.empty((t, h + height, w, 3), np.uint8)
    out[:, :h] = frames
    for i, text in enumerate(captions):
        out[i, h:] = _caption_strip(text, w, height)
    return out


def side_by_side(*videos: np.ndarray, gap: int = 4) -> np.ndarray:
    """Place equally long frame sequences next to each other (heights padded to the tallest)."""
    if not videos:
        raise ValueError("nothing to compose")
    t = len(videos[0])
    if any(len(v) != t for v in videos):
        raise ValueError(f"frame counts differ: {[len(v) for v in videos]}")
    h = max(v.shape[1] for v in videos)
    w = sum(v.shape[2] for v in videos) + gap * (len(videos) - 1)
    out = np.full((t, h, w, 3), 255, np.uint8)
    x = 0
    for v in videos:
        out[:, : v.shape[1], x : x + v.shape[2]] = v
        x += v.shape[2] + gap
    return out


# ---------------------------------------------------------------------------- video


def write_mp4(
    frames: Iterable[np.ndarray] | np.ndarray,
    path: str | Path,
    fps: float = 30.0,
    preset: str = "veryfast",
) -> Path:
    """Write RGB frames as H.264 + yuv420p mp4 (what browsers play) with imageio-ffmpeg's
    ffmpeg. ``preset``: x264's speed/size trade-off ("ultrafast" for a quick preview).
    A ``.ts`` path gives an MPEG-TS segment instead (for streaming)."""
    import imageio_ffmpeg

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    it = iter(frames)
    first = np.asarray(next(it))
    h, w = first.shape[:2]
    if h % 2 or w % 2:
        raise ValueError(f"H.264 yuv420p needs even frame sizes, got {w}x{h}")
    writer = imageio_ffmpeg.write_frames(
        str(path),
        (w, h),
        fps=fps,
        codec="libx264",
        pix_fmt_out="yuv420p",
        macro_block_size=2,
        quality=None,
        output_params=["-crf", "20", "-preset", preset]
        + ([] if path.suffix == ".ts" else ["-movflags", "+faststart"]),
    )
    writer.send(None)
    writer.send(np.ascontiguousarray(first, np.uint8))
    for frame in it:
        writer.send(np.ascontiguousarray(frame, np.uint8))
    writer.close()
    return path


class GrowingMp4:
    """One H.264 encoder for a clip that is still being drawn: frames go in as they come
    (:meth:`add`), and :meth:`snapshot` writes what is encoded so far as a playable mp4 of
    its own, without encoding anything again (a fragmented mp4, one fragment a frame:
    browsers play and seek it when it is served with byte ranges). So a page can show a
    growing clip as often as it likes for the cost of copying a file."""

    def __init__(self, path: str | Path, fps: float = 30.0, preset: str = "ultrafast") -> None:
        self.path = Path(path)
        self.fps = fps
        self.preset = preset
        self.sent = 0
        self._writer = None

    def add(self, frames: np.ndarray) -> None:
        """Encode these frames after the ones before (the first call fixes the size)."""
        import imageio_ffmpeg

        frames = np.asarray(frames, np.uint8)
        if self._writer is None:
            h, w = frames.shape[1:3]
            if h % 2 or w % 2:
                raise ValueError(f"H.264 yuv420p needs even frame sizes, got {w}x{h}")
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._writer = imageio_ffmpeg.write_frames(
                str(self.path), (w, h), fps=self.fps, codec="libx264", pix_fmt_out="yuv420p",
                macro_block_size=2, quality=None,
                output_params=["-crf", "20", "-preset", self.preset, "-tune", "zerolatency",
                               "-movflags", "frag_every_frame+empty_moov+default_base_moof",
                               "-flush_packets", "1"],
            )  # fmt: skip
            self._writer.send(None)
        for frame in frames:
            self._writer.send(np.ascontiguousarray(frame))
        self.sent += len(frames)

    def snapshot(self, path: str | Path, timeout: float = 5.0) -> tuple[Path, int]:
        """Write the frames encoded so far to ``path`` (complete fragments only) and return
        it with how many frames it holds: all that were added but the last, which the muxer
        writes when the next one comes (waits up to ``timeout`` s for the encoder)."""
        import time

        want = max(1, self.sent - 1)
        deadline = time.perf_counter() + timeout
        while True:
            data = self.path.read_bytes() if self.path.is_file() else b""
            frames, end = _fragments(data)
            if frames >= want or time.perf_counter() > deadline:
                break
            time.sleep(0.005)
        if not frames:
            raise RuntimeError(f"{self.path}: the encoder wrote no frame")
        path = Path(path)
        path.write_bytes(data[:end])
        return path, frames

    def close(self) -> None:
        """Stop the encoder (the growing file stays, complete)."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None


def _fragments(data: bytes) -> tuple[int, int]:
    """(frames, bytes) of the complete part of a fragmented mp4 with one fragment a frame:
    the top-level boxes are walked and cut after the last whole one."""
    offset = end = frames = 0
    while offset + 8 <= len(data):
        size = int.from_bytes(data[offset : offset + 4], "big")
        kind = data[offset + 4 : offset + 8]
        if size < 8 or offset + size > len(data):
            break
        offset += size
        if kind == b"moof":
            frames += 1
        elif kind in (b"ftyp", b"moov", b"mdat"):
            end = offset
    if frames and end < offset:  # a moof without its mdat yet: not a whole frame
        frames -= 1
    return frames, end


def probe_video(path: str | Path) -> dict:
    """Codec, pixel format, size and frame count of a video file (via ffmpeg)."""
    import subprocess

    import imageio_ffmpeg

    proc = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(path), "-map", "0:v:0",
         "-f", "null", "-"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    err = proc.stderr
    info: dict = {"codec": None, "pix_fmt": None, "frames": None}
    for line in err.splitlines():
        line = line.strip()
        if line.startswith("Stream") and "Video:" in line and info["codec"] is None:
            desc = line.split("Video:", 1)[1].strip()
            info["codec"] = desc.split()[0]
            info["pix_fmt"] = desc.split(",")[1].strip().split("(")[0].strip()
        if line.startswith("frame="):
            try:
                info["frames"] = int(line.split("frame=")[1].split()[0])
            except (ValueError, IndexError):
                pass
    return info
