"""Animate any keypoints or recording as one of our signers (python -m sign_pipeline.animate)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest

from sign_pipeline import render
from sign_pipeline import skeleton as sk
from sign_pipeline.animate import animate, read_input
from sign_pipeline.formats.pose import read_pose
from sign_pipeline.formats.skels import SkelsSequence, make_counter, write_skels
from sign_pipeline.pipeline import PipelineError, SignPipeline

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).resolve().parent.parent


def read_frames(path: Path) -> tuple[np.ndarray, float]:
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    w, h = meta["size"]
    frames = np.stack([np.frombuffer(f, np.uint8).reshape(h, w, 3) for f in reader])
    return frames, float(meta["fps"])


def skels_file(tmp_path: Path) -> Path:
    """A two-line .skels split in the seed's image units, line 2 from the real .pose file."""
    real = read_pose(DATA / "openpose.pose")
    units = np.where(real.mask[..., None], real.keypoints / np.float32([2048, 1152]), 0)
    values = sk.flatten(units)
    lines = [SkelsSequence(values[:10], make_counter(10), "A", "first"),
             SkelsSequence(values, make_counter(len(values)), "B", "second")]  # fmt: skip
    return write_skels(tmp_path / "test", lines)["skels"]


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["pose", "openpose", "skels", "video"])
def test_each_input_kind_is_animated_at_its_own_length_and_the_signer_moves(tmp_path, kind):
    source, args, frames, fps = {
        "pose": (DATA / "openpose.pose", [], 93, 24.0),
        "openpose": (DATA / "openpose_json", ["--fps", "25"], 9, 25.0),
        "skels": (None, ["--line", "2", "--fps", "24"], 93, 24.0),
        "video": (DATA / "test_video.mp4", [], 58, 29.92),
    }[kind]  # fmt: skip
    source = skels_file(tmp_path) if kind == "skels" else source
    out = tmp_path / "out.mp4"
    done = subprocess.run([sys.executable, "-m", "sign_pipeline.animate", str(source), "--signer",
                           "3", "-o", str(out), "--keypoints", str(tmp_path / "kp.pose"), *args],
                          capture_output=True, text=True, cwd=ROOT)  # fmt: skip
    assert done.returncode == 0, done.stderr
    video, video_fps = read_frames(out)
    assert len(video) == frames and video_fps == pytest.approx(fps, abs=0.01)
    assert render.probe_video(out)["codec"] == "h264"
    signer = video[:, :, video.shape[2] // 2 :].astype(np.int16)
    motion = np.abs(np.diff(signer, axis=0)).mean(axis=(1, 2, 3))
    if kind == "openpose":  # nine frames of one held handshape: little, but not nothing
        assert motion.max() > 0.05
    else:
        assert motion.max() > 1.0, motion.max()  # the signer's arms move
    kp = read_pose(tmp_path / "kp.pose")
    assert len(kp) == frames and kp.fps == pytest.approx(fps, abs=0.01)


def test_the_motion_is_retargeted_to_the_chosen_signer(tmp_path):
    pipe = SignPipeline("lexicon", "avatar", signs=tmp_path / "none")
    seq = read_input(DATA / "openpose.pose")
    forearms = []
    for signer in (1, 4):
        res = animate(seq, pipe, "avatar", signer)
        kp = res.pose.keypoints
        forearms.append(np.median(np.linalg.norm(kp[:, sk.R_WRIST] - kp[:, sk.R_ELBOW], axis=1)))
        rest = pipe.backend("text2pose", "lexicon").rest[signer]
        expected = np.mean([np.linalg.norm(rest[sk.R_WRIST] - rest[sk.R_ELBOW]),
                            np.linalg.norm(rest[sk.L_WRIST] - rest[sk.L_ELBOW])])  # fmt: skip
        assert forearms[-1] == pytest.approx(expected, rel=0.05)
    assert len(res.signer_frames) == len(seq) and res.fps == 24.0


def test_bad_inputs_are_messages_with_exit_2(tmp_path):
    (tmp_path / "notes.txt").write_text("x")

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "sign_pipeline.animate", *map(str, args)],
                              capture_output=True, text=True, cwd=ROOT)  # fmt: skip

    for args, message in [
        ((tmp_path / "notes.txt", "-o", tmp_path / "a.mp4"), "unsupported file type"),
        ((tmp_path / "missing.pose", "-o", tmp_path / "a.mp4"), "no such file"),
        ((skels_file(tmp_path), "-o", tmp_path / "a.mp4"), "give --line K"),
        ((skels_file(tmp_path), "--line", "5", "-o", tmp_path / "a.mp4"), "has lines 1..2"),
        ((DATA / "openpose.pose", "-o", tmp_path / "a.mp4", "--signer", "99"), "outside 1..16"),
        ((DATA / "openpose.pose", "-o", tmp_path / "a.mp4", "--pose2video", "nope"),
         "unknown pose2video backend"),
    ]:  # fmt: skip
        done = cli(*args)
        assert done.returncode == 2 and message in done.stderr, (args, done.stderr)
        assert "Traceback" not in done.stderr
        assert not (tmp_path / "a.mp4").exists()
    with pytest.raises(PipelineError, match="give --line K"):
        read_input(skels_file(tmp_path))
