"""Video -> keypoints with MediaPipe Holistic, on a real signing video (tests/data/test_video.mp4).

The video (MIT, see tests/data/NOTICE.md) is 58 frames, 540x720, 29.92 fps: a person at a
webcam whose right hand (image left) signs between frames ~13 and ~41; the left hand stays
under the bottom edge of the picture, the hips too.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from sign_pipeline import skeleton as S
from sign_pipeline.extract import main
from sign_pipeline.formats import FormatError
from sign_pipeline.formats.openpose import read_openpose_folder
from sign_pipeline.formats.pose import read_pose
from sign_pipeline.formats.video import detection_rates, extract_video

# MediaPipe runs once per session (module fixture, ~2.5 s) plus two short CLI runs: the
# whole file takes ~8 s on 2 shared CPU cores, so it is not marked slow.
VIDEO = Path(__file__).parent / "data" / "test_video.mp4"
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def seq() -> S.PoseSequence:
    """The whole test video through MediaPipe once per test session."""
    return extract_video(VIDEO)


@pytest.fixture(scope="module")
def shoulder_width(seq: S.PoseSequence) -> np.ndarray:
    kp = seq.keypoints
    return np.linalg.norm(kp[:, S.L_SHOULDER] - kp[:, S.R_SHOULDER], axis=-1)


def _right_hand_frames(seq: S.PoseSequence) -> np.ndarray:
    return seq.mask[:, S.RIGHT_HAND].any(axis=1)


# ---------------------------------------------------------------------------- the file


def test_every_frame_is_read_with_fps_and_size_of_the_file(seq: S.PoseSequence) -> None:
    cap = cv2.VideoCapture(str(VIDEO))
    fps = cap.get(cv2.CAP_PROP_FPS)
    cap.release()
    assert len(seq) == 58
    assert seq.keypoints.shape == (58, 127, 2) and seq.keypoints.dtype == np.float32
    assert seq.mask.shape == (58, 127) and seq.mask.dtype == bool
    assert seq.fps == pytest.approx(fps) == pytest.approx(29.9167, abs=1e-3)
    assert (seq.width, seq.height) == (540, 720)
    assert seq.meta["model_complexity"] == 1
    assert seq.meta["refine_face_landmarks"] is True


# ---------------------------------------------------------------------------- detection


def test_pose_and_face_are_found_in_most_frames(seq: S.PoseSequence) -> None:
    rates = detection_rates(seq)
    assert rates["pose"] >= 0.9 and rates["face"] >= 0.9  # measured: 1.0 and 1.0
    face = seq.mask[:, S.FACE]
    # a face is all 70 points (68 landmarks + iris-centre pupils) or none
    assert np.all(face.all(axis=1) | ~face.any(axis=1))
    # head and shoulders are always in the picture and always visible
    for point in (S.NOSE, S.NECK, S.R_SHOULDER, S.L_SHOULDER, S.index("right_eye")):
        assert seq.mask[:, point].mean() >= 0.9, S.NAMES[point]


def test_the_signing_right_hand_is_detected_and_the_hidden_left_is_not(
    seq: S.PoseSequence,
) -> None:
    right = _right_hand_frames(seq)
    left = seq.mask[:, S.LEFT_HAND].any(axis=1)
    assert right.sum() >= 15  # measured 20 of 58: the hand is up in frames ~13-41
    assert right[:10].sum() == 0 and right[-10:].sum() == 0  # at rest, below the picture
    assert left.sum() <= 3  # measured 0: the left hand never enters the picture
    # a detected hand has all 21 points
    assert seq.mask[right][:, S.RIGHT_HAND].all()
    # the signer's right hand is on the image left (signer faces the camera)
    hand_x = seq.keypoints[right, S.R_HAND_WRIST, 0]
    assert np.all(hand_x < seq.keypoints[right, S.NOSE, 0])


def test_missing_parts_are_masked_not_zero_coordinates(seq: S.PoseSequence) -> None:
    no_hand = ~_right_hand_frames(seq)
    assert no_hand.any()
    assert np.all(seq.keypoints[no_hand][:, S.RIGHT_HAND] == 0)
    # every point marked present has a real coordinate, never the (0, 0) "missing" code
    present = seq.keypoints[seq.mask]
    assert np.all(np.any(present != 0, axis=-1))
    # hips are under the frame: MediaPipe visibility ~0.02 < 0.1, so they are missing
    for name in ("mid_hip", "right_hip", "left_hip"):
        assert not seq.mask[:, S.index(name)].any(), name


def test_points_below_the_visibility_threshold_are_kept_when_asked() -> None:
    low = extract_video(VIDEO, max_frames=2, min_visibility=0.0)
    assert len(low) == 2
    hips = low.keypoints[:, S.MID_HIP]
    assert low.mask[:, S.MID_HIP].all()
    # kept with MediaPipe's extrapolated coordinates, below the 720 px frame
    assert np.all(hips[:, 1] > 720)
    assert low.meta["min_pose_visibility"] == 0.0


# ---------------------------------------------------------------------------- geometry


def test_face_and_hand_points_are_inside_the_frame(seq: S.PoseSequence) -> None:
    w, h = seq.width, seq.height
    face = seq.keypoints[seq.mask[:, S.FACE].all(axis=1)][:, S.FACE]
    assert np.all((face[..., 0] >= 0) & (face[..., 0] < w))
    assert np.all((face[..., 1] >= 0) & (face[..., 1] < h))
    head = seq.keypoints[:, [S.NOSE, S.NECK, S.R_SHOULDER, S.L_SHOULDER]]
    assert np.all((head[..., 0] >= 0) & (head[..., 0] < w) & (head[..., 1] >= 0))
    assert np.all(head[..., 1] < h)
    # a hand entering from the bottom edge may reach a little past it (measured 749 px)
    right = _right_hand_frames(seq)
    hand = seq.keypoints[right][:, S.RIGHT_HAND]
    assert np.all((hand[..., 0] >= 0) & (hand[..., 0] < w) & (hand[..., 1] >= 0))
    assert np.all(hand[..., 1] < 1.1 * h)


def test_body_layout_is_anatomically_plausible(
    seq: S.PoseSequence, shoulder_width: np.ndarray
) -> None:
    kp = seq.keypoints
    sw = shoulder_width
    assert np.all((sw > 200) & (sw < 400))  # measured 284-310 px
    # nose well above the neck; left shoulder and eye on the image right
    assert np.all(kp[:, S.NECK, 1] - kp[:, S.NOSE, 1] > 0.3 * sw)
    assert np.all(kp[:, S.L_SHOULDER, 0] - kp[:, S.R_SHOULDER, 0] > 0.8 * sw)
    assert np.all(kp[:, S.index("left_eye"), 0] > kp[:, S.index("right_eye"), 0])
    assert np.all(kp[:, S.index("left_ear"), 0] > kp[:, S.index("right_ear"), 0])
    # the neck is the midpoint of the shoulders
    mid = (kp[:, S.L_SHOULDER] + kp[:, S.R_SHOULDER]) / 2
    np.testing.assert_allclose(kp[:, S.NECK], mid, atol=1e-3)


def test_face_points_sit_around_the_nose(seq: S.PoseSequence, shoulder_width: np.ndarray) -> None:
    kp = seq.keypoints
    face = kp[:, S.FACE]
    nose = kp[:, S.NOSE]
    sw = shoulder_width[:, None]
    # the face's centre is at the pose nose, its width about half the shoulder width
    assert np.all(np.linalg.norm(face.mean(axis=1) - nose, axis=-1) < 0.15 * sw[:, 0])
    width = face[..., 0].max(axis=1) - face[..., 0].min(axis=1)
    assert np.all((width > 0.4 * sw[:, 0]) & (width < 0.8 * sw[:, 0]))  # measured 0.52-0.59
    # dlib/OpenPose order: jaw from the signer's right (image left), chin (8) lowest
    f = S.FACE.start
    assert np.all(face[:, 0, 0] < face[:, 16, 0])
    assert np.all(face[:, 8, 1] == face[:, :17, 1].max(axis=1))
    assert np.all(face[:, 8, 1] > nose[:, 1])
    # eyes above the nose tip (30) above the mouth (62 inner upper lip)
    assert np.all(kp[:, f + 36, 1] < kp[:, f + 30, 1])
    assert np.all(kp[:, f + 30, 1] < kp[:, f + 62, 1])
    # pupils (68 right, 69 left) inside their eye's corners
    for pupil, outer, inner in ((68, 36, 39), (69, 45, 42)):
        lo = np.minimum(face[:, outer, 0], face[:, inner, 0])
        hi = np.maximum(face[:, outer, 0], face[:, inner, 0])
        assert np.all((face[:, pupil, 0] > lo) & (face[:, pupil, 0] < hi))


def test_hand_wrist_is_near_the_pose_wrist(seq: S.PoseSequence, shoulder_width: np.ndarray) -> None:
    both = _right_hand_frames(seq) & seq.mask[:, S.R_WRIST]
    assert both.sum() >= 15
    dist = np.linalg.norm(
        seq.keypoints[both, S.R_HAND_WRIST] - seq.keypoints[both, S.R_WRIST], axis=-1
    )
    ratio = dist / shoulder_width[both]
    assert np.median(ratio) < 0.1  # measured 0.056
    assert ratio.max() < 0.35  # measured 0.225 (a motion-blurred frame)
    # hand size (wrist to middle fingertip): an open hand is ~2/3 of the shoulder width
    # (measured 0.67); curled or foreshortened hands are shorter, never longer
    size = np.linalg.norm(
        seq.keypoints[both, S.R_HAND_MIDDLE_TIP] - seq.keypoints[both, S.R_HAND_WRIST], axis=-1
    )
    ratio = size / shoulder_width[both]
    assert 0.5 < ratio.max() < 0.9
    assert np.all(ratio > 0.05)


# ---------------------------------------------------------------------------- errors


def test_a_missing_file_is_reported_by_name(tmp_path: Path) -> None:
    missing = tmp_path / "nope.mp4"
    with pytest.raises(FileNotFoundError, match="nope.mp4: no such video file"):
        extract_video(missing)


def test_a_file_that_is_not_a_video_is_a_format_error(tmp_path: Path) -> None:
    fake = tmp_path / "notes.mp4"
    fake.write_text("this is not a video")
    with pytest.raises(FormatError, match=r"notes\.mp4: cannot be read as a video"):
        extract_video(fake)
    with pytest.raises(FormatError, match="is a folder, not a video file"):
        extract_video(tmp_path)


def test_a_video_without_frames_is_a_format_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty.y4m"  # a valid YUV4MPEG2 header, no frame after it
    empty.write_bytes(b"YUV4MPEG2 W64 H48 F30:1 Ip A1:1 C420jpeg\n")
    with pytest.raises(FormatError, match=r"empty\.y4m: the video has no frames"):
        extract_video(empty)


def test_max_frames_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_frames must be at least 1, got 0"):
        extract_video(VIDEO, max_frames=0)


# ---------------------------------------------------------------------------- command line


def _run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sign_pipeline.extract", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


def test_cli_writes_a_pose_file_that_reads_back(seq: S.PoseSequence, tmp_path: Path) -> None:
    out = tmp_path / "clip.pose"
    proc = _run_cli(str(VIDEO), "-o", str(out), "--max-frames", "25", "--no-progress")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(
        "25 frames, 29.92 fps, 540x720; detected in: pose 100.0%, face 100.0%"
    )
    assert f"wrote {out}" in proc.stdout
    assert proc.stderr == ""  # MediaPipe's native start-up logs are silenced
    back = read_pose(out)
    assert len(back) == 25 and (back.width, back.height) == (540, 720)
    assert back.fps == pytest.approx(seq.fps, abs=1e-3)
    # MediaPipe is deterministic on CPU: the same frames give the same keypoints
    np.testing.assert_array_equal(back.mask, seq.mask[:25])
    np.testing.assert_allclose(back.keypoints, seq.keypoints[:25], atol=1e-2)


def test_cli_writes_openpose_json_frames_that_read_back(
    seq: S.PoseSequence, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "frames"
    assert main([str(VIDEO), "-o", str(out), "--max-frames", "20", "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("20 frames, 29.92 fps, 540x720; detected in: pose 100.0%")
    files = sorted(p.name for p in out.iterdir())
    assert files == [f"test_video_{i:012d}_keypoints.json" for i in range(20)]
    first = json.loads((out / files[0]).read_text())
    assert len(first["people"][0]["pose_keypoints_2d"]) == 75
    assert len(first["people"][0]["face_keypoints_2d"]) == 210
    back, report = read_openpose_folder(out, fps=seq.fps)
    assert report.skipped == [] and report.gaps == []
    np.testing.assert_array_equal(back.mask, seq.mask[:20])
    np.testing.assert_allclose(back.keypoints, seq.keypoints[:20], atol=1e-2)


def test_cli_reports_bad_input_in_one_line_with_status_2(tmp_path: Path) -> None:
    fake = tmp_path / "fake.mp4"
    fake.write_bytes(b"\x00\x01 not a video")
    for video, message in (
        (tmp_path / "missing.mp4", "missing.mp4: no such video file"),
        (fake, "fake.mp4: cannot be read as a video"),
    ):
        proc = _run_cli(str(video), "-o", str(tmp_path / "out.pose"))
        assert proc.returncode == 2
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0]
        assert "Traceback" not in proc.stderr
    assert not (tmp_path / "out.pose").exists()
