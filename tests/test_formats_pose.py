"""pose-format .pose files (real OpenPose and MediaPipe samples) and the MediaPipe tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pose_format import Pose

from sign_pipeline import skeleton
from sign_pipeline.formats import FormatError
from sign_pipeline.formats.mediapipe_map import (
    MEDIAPIPE_FACE_TO_FACE70,
    MEDIAPIPE_POSE_TO_BODY15,
    holistic_to_127,
    holistic_to_127_batch,
)
from sign_pipeline.formats.pose import read_pose, write_pose
from sign_pipeline.skeleton import PoseSequence

DATA = Path(__file__).parent / "data"
OPENPOSE = DATA / "openpose.pose"
MEDIAPIPE = DATA / "mediapipe.pose"
F = skeleton.FACE.start


def raw_pose(path: Path) -> Pose:
    return Pose.read(path.read_bytes())


def raw_point(pose: Pose, component: str, point: str, frame: int) -> tuple[np.ndarray, bool]:
    idx = pose.header.get_point_index(component, point)
    xy = np.ma.getdata(pose.body.data)[frame, 0, idx, :2]
    ok = (not np.ma.getmaskarray(pose.body.data)[frame, 0, idx].any()) and (
        pose.body.confidence[frame, 0, idx] > 0
    )
    return xy, bool(ok)


def test_openpose_pose_file():
    seq = read_pose(OPENPOSE)
    assert len(seq) == 93 and seq.fps == 24 and (seq.width, seq.height) == (1000, 1000)
    assert seq.meta["layout"] == "openpose"
    raw = raw_pose(OPENPOSE)
    for ours, (comp, name) in {
        skeleton.NECK: ("pose_keypoints_2d", "Neck"),
        skeleton.L_SHOULDER: ("pose_keypoints_2d", "LShoulder"),
        skeleton.index("left_ear"): ("pose_keypoints_2d", "LEar"),
        F + 30: ("face_keypoints_2d", "FN_30"),
        F + 68: ("face_keypoints_2d", "FP_68"),
        skeleton.R_HAND_MIDDLE_TIP: ("hand_right_keypoints_2d", "M_DIP"),
        skeleton.L_HAND_WRIST: ("hand_left_keypoints_2d", "BASE"),
    }.items():
        for frame in (0, 50):
            xy, ok = raw_point(raw, comp, name, frame)
            assert seq.mask[frame, ours] == ok
            if ok:
                np.testing.assert_array_equal(seq.keypoints[frame, ours], xy)
    np.testing.assert_allclose(seq.keypoints[0, skeleton.NECK], [160.907, 127.787], atol=1e-3)
    # mask = confidence > 0 for every mapped point
    conf = raw.body.confidence[:, 0]
    cols = np.concatenate([list(skeleton.BODY25_INDICES), 25 + np.arange(70), 95 + np.arange(42)])
    np.testing.assert_array_equal(seq.mask, conf[:, cols] > 0)
    assert seq.mask[0].sum() == 102


def test_mediapipe_reduced_pose_file():
    seq = read_pose(MEDIAPIPE)
    raw = raw_pose(MEDIAPIPE)
    assert len(seq) == 170 and seq.fps == 24 and seq.meta["layout"] == "holistic"
    t = 60
    ls, _ = raw_point(raw, "POSE_LANDMARKS", "LEFT_SHOULDER", t)
    rs, _ = raw_point(raw, "POSE_LANDMARKS", "RIGHT_SHOULDER", t)
    np.testing.assert_allclose(seq.keypoints[t, skeleton.NECK], (ls + rs) / 2, rtol=1e-6)
    np.testing.assert_array_equal(seq.keypoints[t, skeleton.R_SHOULDER], rs)
    np.testing.assert_array_equal(seq.keypoints[t, skeleton.L_SHOULDER], ls)
    # the reduced file has no nose/eyes/ears: missing, never guessed
    for name in ("nose", "right_eye", "left_eye", "right_ear", "left_ear"):
        assert not seq.mask[:, skeleton.index(name)].any()
    # face: chin = mesh point 152, right mouth corner = 61
    chin, _ = raw_point(raw, "FACE_LANDMARKS", "152", t)
    np.testing.assert_array_equal(seq.keypoints[t, F + 8], chin)
    corner, _ = raw_point(raw, "FACE_LANDMARKS", "61", t)
    np.testing.assert_array_equal(seq.keypoints[t, F + 48], corner)
    # 61 of the 70 face points exist in this reduced mesh (contours only, no nose points)
    assert np.flatnonzero(~seq.mask[t, skeleton.FACE]).tolist() == list(range(27, 36))
    # no iris points: the pupil is the mean of the eye corners and lid midpoints
    eye = [raw_point(raw, "FACE_LANDMARKS", str(i), t)[0] for i in (33, 133, 159, 145)]
    np.testing.assert_allclose(seq.keypoints[t, F + 68], np.mean(eye, axis=0), rtol=1e-6)
    wrist, ok = raw_point(raw, "RIGHT_HAND_LANDMARKS", "WRIST", t)
    assert seq.mask[t, skeleton.R_HAND_WRIST] == ok
    if ok:
        np.testing.assert_array_equal(seq.keypoints[t, skeleton.R_HAND_WRIST], wrist)


def test_mediapipe_face_geometry_is_plausible():
    """Jaw along the jaw, eyes on eyes: checked on every frame of the real file."""
    seq = read_pose(MEDIAPIPE)
    ok = seq.mask[:, F + 0] & seq.mask[:, F + 8] & seq.mask[:, F + 16]
    face = seq.keypoints[ok][:, skeleton.FACE]
    jaw = face[:, 0:17]
    assert (jaw[:, 8, 1] >= jaw[:, :, 1].max(axis=1) - 1e-3).all()  # chin lowest
    assert (jaw[:, 0, 0] < jaw[:, 8, 0]).all() and (jaw[:, 8, 0] < jaw[:, 16, 0]).all()
    right_eye, left_eye = face[:, 36:42].mean(axis=1), face[:, 42:48].mean(axis=1)
    assert (right_eye[:, 0] < left_eye[:, 0]).all()  # signer's right is image left
    brows = face[:, 17:27, 1].mean(axis=1)
    assert (brows < right_eye[:, 1]).all() and (right_eye[:, 1] < face[:, 51, 1]).all()
    np.testing.assert_allclose(face[:, 68], right_eye, atol=8)  # pupil inside the eye


@pytest.mark.parametrize("path", [OPENPOSE, MEDIAPIPE], ids=["openpose", "mediapipe"])
def test_pose_round_trip(tmp_path, path):
    seq = read_pose(path)
    out = write_pose(seq, tmp_path / "x.pose")
    back = read_pose(out)
    np.testing.assert_array_equal(back.keypoints, seq.keypoints)
    np.testing.assert_array_equal(back.mask, seq.mask)
    assert back.fps == seq.fps and back.width == seq.width and back.height == seq.height


def test_written_pose_is_a_pose_format_openpose_file(tmp_path):
    rng = np.random.default_rng(1)
    kp = rng.uniform(1, 500, size=(5, 127, 2)).astype(np.float32)
    mask = rng.random((5, 127)) > 0.3
    seq = PoseSequence(kp, mask, fps=29.97)
    write_pose(seq, tmp_path / "x.pose")
    raw = raw_pose(tmp_path / "x.pose")
    comps = [(c.name, len(c.points), c.format) for c in raw.header.components]
    assert comps == [
        ("pose_keypoints_2d", 25, "XYC"),
        ("face_keypoints_2d", 70, "XYC"),
        ("hand_left_keypoints_2d", 21, "XYC"),
        ("hand_right_keypoints_2d", 21, "XYC"),
    ]
    assert raw.header.components[0].points[:2] == ["Nose", "Neck"]
    assert (raw.header.dimensions.width, raw.header.dimensions.height) == (1000, 1000)
    conf = raw.body.confidence[:, 0]
    assert (conf[:, [10, 11, 13, 14, 19, 20, 21, 22, 23, 24]] == 0).all()  # legs, feet
    np.testing.assert_array_equal(conf[:, 1], mask[:, skeleton.NECK])
    back = read_pose(tmp_path / "x.pose")
    np.testing.assert_array_equal(back.keypoints, seq.keypoints)
    np.testing.assert_array_equal(back.mask, seq.mask)
    assert back.fps == 29.97


def test_unknown_pose_layout(tmp_path):
    from pose_format.numpy.pose_body import NumPyPoseBody
    from pose_format.pose_header import PoseHeader, PoseHeaderComponent, PoseHeaderDimensions

    comp = PoseHeaderComponent("FOO", ["a", "b"], [(0, 1)], [(255, 0, 0)], "XYC")
    header = PoseHeader(0.2, PoseHeaderDimensions(10, 10, 0), [comp])
    body = NumPyPoseBody(24, np.ones((2, 1, 2, 2), np.float32), np.ones((2, 1, 2), np.float32))
    path = tmp_path / "foo.pose"
    with open(path, "wb") as f:
        Pose(header, body).write(f)
    with pytest.raises(FormatError) as err:
        read_pose(path)
    assert str(err.value).startswith(
        f"{path}: unknown .pose layout, components found: ['FOO'] (expected OpenPose"
    )


def test_garbage_pose_file(tmp_path):
    path = tmp_path / "bad.pose"
    path.write_bytes(b"\x00\x01not a pose file")
    with pytest.raises(FormatError, match=r"bad.pose: not a readable .pose file \("):
        read_pose(path)
    truncated = tmp_path / "cut.pose"
    truncated.write_bytes(OPENPOSE.read_bytes()[:3000])
    with pytest.raises(FormatError, match=r"cut.pose: not a readable .pose file"):
        read_pose(truncated)


# ---------------------------------------------------------------------------- mediapipe_map


def test_tables_shape():
    assert len(MEDIAPIPE_POSE_TO_BODY15) == 15 and MEDIAPIPE_POSE_TO_BODY15[1] == (11, 12)
    assert MEDIAPIPE_POSE_TO_BODY15[8] == (23, 24)
    assert len(MEDIAPIPE_FACE_TO_FACE70) == 70 and MEDIAPIPE_FACE_TO_FACE70[8] == (152,)


def test_holistic_to_127_pixels_midpoints_and_pupils():
    rng = np.random.default_rng(3)
    pose33 = rng.uniform(0, 1, (33, 3))
    face = rng.uniform(0, 1, (478, 3))
    left = rng.uniform(0, 1, (21, 3))
    kp, mask = holistic_to_127(pose33, face, left, None, 640, 480)
    scale = np.array([640, 480])
    np.testing.assert_allclose(
        kp[skeleton.NECK], (pose33[11, :2] + pose33[12, :2]) / 2 * scale, rtol=1e-6
    )
    np.testing.assert_allclose(kp[skeleton.R_WRIST], pose33[16, :2] * scale, rtol=1e-6)
    np.testing.assert_allclose(
        kp[skeleton.MID_HIP], (pose33[23, :2] + pose33[24, :2]) / 2 * scale, rtol=1e-6
    )
    np.testing.assert_allclose(kp[F + 68], face[468, :2] * scale, rtol=1e-6)  # iris centre
    np.testing.assert_allclose(kp[F + 69], face[473, :2] * scale, rtol=1e-6)
    np.testing.assert_allclose(kp[skeleton.L_HAND_WRIST + 4], left[4, :2] * scale, rtol=1e-6)
    assert mask[:106].all() and not mask[106:].any() and not kp[106:].any()
    # 468-point mesh: pupils from the eye points
    kp2, mask2 = holistic_to_127(pose33, face[:468], None, None, 640, 480)
    expected = face[[362, 263, 386, 374], :2].mean(axis=0) * scale
    np.testing.assert_allclose(kp2[F + 69], expected, rtol=1e-6)
    assert mask2[skeleton.FACE].all()
    # NaN landmark and low visibility -> missing
    pose33[0] = np.nan
    vis = np.ones(33)
    vis[16] = 0.1
    kp3, mask3 = holistic_to_127(
        pose33, None, None, None, 1, 1, pose_visibility=vis, min_visibility=0.5
    )
    assert not mask3[skeleton.NOSE] and not mask3[skeleton.R_WRIST] and mask3[skeleton.L_WRIST]
    assert not mask3[skeleton.FACE].any()
    kp4, mask4 = holistic_to_127(None, None, None, None, 1, 1)
    assert kp4.shape == (127, 2) and not mask4.any()


def test_holistic_batch_matches_single_frames():
    rng = np.random.default_rng(4)
    pose = rng.uniform(0, 1, (3, 33, 2))
    pose[1, 11] = np.nan  # neck missing in frame 1
    kp, mask = holistic_to_127_batch(pose, None, None, None, 100, 200)
    for t in range(3):
        k1, m1 = holistic_to_127(pose[t], None, None, None, 100, 200)
        np.testing.assert_array_equal(kp[t], k1)
        np.testing.assert_array_equal(mask[t], m1)
    assert not mask[1, skeleton.NECK] and mask[0, skeleton.NECK]
