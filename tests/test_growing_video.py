"""render.GrowingMp4: one encoder for a clip still being drawn; snapshots of it are playable
H.264 mp4s holding every frame added but the last, without encoding anything twice."""

from __future__ import annotations

import numpy as np
import pytest

from sign_pipeline import render


def _frames(start: int, n: int, size=(48, 64)) -> np.ndarray:
    """Frames whose brightness counts them (frame i is i * 4 grey), to read back in order."""
    out = np.zeros((n, *size, 3), np.uint8)
    for i in range(n):
        out[i] = (start + i) * 4
    return out


def test_snapshots_grow_hold_all_but_the_last_frame_and_play_in_order(tmp_path):
    grow = render.GrowingMp4(tmp_path / "drawing.mp4", fps=30)
    sizes = []
    try:
        for k in range(4):
            grow.add(_frames(15 * k, 15))
            path, frames = grow.snapshot(tmp_path / f"drawn_{k}.mp4")
            assert frames == 15 * (k + 1) - 1
            info = render.probe_video(path)
            assert (info["codec"], info["pix_fmt"], info["frames"]) == ("h264", "yuv420p", frames)
            sizes.append(path.stat().st_size)
    finally:
        grow.close()
    assert sizes == sorted(sizes)
    import imageio_ffmpeg

    reader = imageio_ffmpeg.read_frames(str(tmp_path / "drawn_3.mp4"))
    next(reader)
    grey = [float(np.frombuffer(f, np.uint8).mean()) for f in reader]
    assert np.allclose(grey, [i * 4 for i in range(59)], atol=3)  # every frame, in order
    assert render.probe_video(tmp_path / "drawing.mp4")["frames"] == 60  # closed: all of them
    # each snapshot is the start of the next: pieces never re-encode what was drawn
    first = (tmp_path / "drawn_0.mp4").read_bytes()
    assert (tmp_path / "drawn_1.mp4").read_bytes()[: len(first)] == first


def test_odd_frame_sizes_are_refused(tmp_path):
    grow = render.GrowingMp4(tmp_path / "x.mp4")
    with pytest.raises(ValueError, match="even frame sizes"):
        grow.add(np.zeros((2, 49, 64, 3), np.uint8))
    grow.close()
