"""OpenPose per-frame JSON: real frames (tests/data/openpose_json), writing, bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from sign_pipeline import skeleton
from sign_pipeline.formats import FormatError
from sign_pipeline.formats.openpose import (
    frame_number,
    read_openpose_folder,
    read_openpose_frame,
    write_openpose_folder,
)
from sign_pipeline.skeleton import PoseSequence

DATA = Path(__file__).parent / "data" / "openpose_json"
FRAME0 = DATA / "video_000000000000_keypoints.json"


def raw(path: Path = FRAME0) -> dict:
    return json.loads(path.read_text())["people"][0]


def test_real_frame_points_match_raw_json():
    kp, mask = read_openpose_frame(FRAME0)
    person = raw()
    assert kp.shape == (127, 2) and kp.dtype == np.float32 and mask.shape == (127,)
    pose = person["pose_keypoints_2d"]
    # neck of frame 0 = pose_keypoints_2d[3:5]
    np.testing.assert_array_equal(kp[skeleton.NECK], np.float32(pose[3:5]))
    assert kp[skeleton.NECK].tolist() == pytest.approx([633.285, 362.953])
    np.testing.assert_array_equal(kp[skeleton.NOSE], np.float32(pose[0:2]))
    # BODY_25 joint 15 (right eye) is our point 11, joint 18 (left ear) our point 14
    np.testing.assert_array_equal(kp[skeleton.index("right_eye")], np.float32(pose[45:47]))
    np.testing.assert_array_equal(kp[skeleton.index("left_ear")], np.float32(pose[54:56]))
    face = person["face_keypoints_2d"]
    np.testing.assert_array_equal(kp[skeleton.FACE.start], np.float32(face[0:2]))
    np.testing.assert_array_equal(kp[skeleton.FACE.start + 69], np.float32(face[207:209]))
    left, right = person["hand_left_keypoints_2d"], person["hand_right_keypoints_2d"]
    np.testing.assert_array_equal(kp[skeleton.L_HAND_WRIST], np.float32(left[0:2]))
    np.testing.assert_array_equal(kp[skeleton.R_HAND_MIDDLE_TIP], np.float32(right[36:38]))


def test_real_frame_mask_where_confidence_zero():
    kp, mask = read_openpose_frame(FRAME0)
    pose = np.array(raw()["pose_keypoints_2d"]).reshape(25, 3)
    # mid hip (8), right hip (9), left hip (12) have confidence 0 in this frame
    assert pose[[8, 9, 12], 2].tolist() == [0, 0, 0]
    missing = np.flatnonzero(~mask).tolist()
    assert missing == [skeleton.MID_HIP, skeleton.index("right_hip"), skeleton.index("left_hip")]
    assert mask.sum() == 124
    assert (kp[~mask] == 0).all()


def test_real_folder_reads_nine_frames_in_order():
    seq, report = read_openpose_folder(DATA, fps=24)
    assert len(seq) == 9 and report.n_frames == 9
    assert report.skipped == [] and report.gaps == [] and report.multi_person == 0
    assert seq.fps == 24
    for i in (0, 4, 8):
        kp, _ = read_openpose_frame(DATA / f"video_{i:012d}_keypoints.json")
        np.testing.assert_array_equal(seq.keypoints[i], kp)
    assert seq.mask.sum(axis=1).tolist() == [124] * 9


def test_round_trip_real_folder(tmp_path):
    seq, _ = read_openpose_folder(DATA)
    paths = write_openpose_folder(seq, tmp_path, "NIA_SL_SEN0001_REAL01_F")
    assert [p.name for p in paths[:2]] == [
        "NIA_SL_SEN0001_REAL01_F_000000000000_keypoints.json",
        "NIA_SL_SEN0001_REAL01_F_000000000001_keypoints.json",
    ]
    back, report = read_openpose_folder(tmp_path)
    np.testing.assert_array_equal(back.keypoints, seq.keypoints)
    np.testing.assert_array_equal(back.mask, seq.mask)
    assert report.skipped == []


def test_written_file_looks_like_openpose_1_3(tmp_path):
    seq, _ = read_openpose_folder(DATA)
    path = write_openpose_folder(seq, tmp_path, "clip")[0]
    data = json.loads(path.read_text())
    assert data["version"] == 1.3 and len(data["people"]) == 1
    person = data["people"][0]
    assert person["person_id"] == [-1]
    lengths = {k: len(v) for k, v in person.items() if k.endswith("_2d")}
    assert lengths == {
        "pose_keypoints_2d": 75,
        "face_keypoints_2d": 210,
        "hand_left_keypoints_2d": 63,
        "hand_right_keypoints_2d": 63,
    }
    for key in ("pose", "face", "hand_left", "hand_right"):
        assert person[f"{key}_keypoints_3d"] == []
    pose = np.array(person["pose_keypoints_2d"]).reshape(25, 3)
    assert pose[1].tolist() == [633.285, 362.953, 1.0]  # shortest float32 text, conf 1.0
    assert pose[8].tolist() == [0, 0, 0]  # missing mid hip
    assert (pose[[10, 11, 13, 14, 19, 20, 21, 22, 23, 24]] == 0).all()  # legs and feet
    assert set(pose[:, 2].tolist()) == {0.0, 1.0}
    # the original file's text matches for the coordinates
    assert '"pose_keypoints_2d":[627.385,245.392,1.0,' in path.read_text()


def test_people_as_dict_3d_arrays_and_no_person(tmp_path):
    person = raw()
    person["pose_keypoints_3d"] = [1.0] * 100  # present 3D arrays are ignored
    single = tmp_path / "a_000000000000_keypoints.json"
    single.write_text(json.dumps({"version": 1.3, "people": person}))
    keyed = tmp_path / "a_000000000001_keypoints.json"
    keyed.write_text(json.dumps({"version": 1.3, "people": {"0": person}}))
    empty = tmp_path / "a_000000000002_keypoints.json"
    empty.write_text(json.dumps({"version": 1.3, "people": []}))
    expected, expected_mask = read_openpose_frame(FRAME0)
    for path in (single, keyed):
        kp, mask = read_openpose_frame(path)
        np.testing.assert_array_equal(kp, expected)
        np.testing.assert_array_equal(mask, expected_mask)
    kp, mask = read_openpose_frame(empty)
    assert not mask.any() and not kp.any()


def test_several_people_take_the_first(tmp_path):
    first = raw()
    second = raw(DATA / "video_000000000005_keypoints.json")
    path = tmp_path / "x_000000000000_keypoints.json"
    path.write_text(json.dumps({"version": 1.3, "people": [first, second]}))
    kp, _ = read_openpose_frame(path)
    np.testing.assert_array_equal(kp[skeleton.NECK], np.float32(first["pose_keypoints_2d"][3:5]))
    _, report = read_openpose_folder(tmp_path)
    assert report.multi_person == 1


def test_frames_sorted_by_number_not_name(tmp_path):
    # unpadded numbers: by name "x_10" < "x_9"; by number 9 < 10
    for number, src in ((9, 0), (10, 1), (11, 2)):
        shutil.copy(
            DATA / f"video_{src:012d}_keypoints.json", tmp_path / f"x_{number}_keypoints.json"
        )
    seq, report = read_openpose_folder(tmp_path)
    assert len(seq) == 12  # frame k -> slot k; 0..8 have no file
    assert report.gaps == list(range(9))
    assert not seq.mask[:9].any()
    for number, src in ((9, 0), (10, 1), (11, 2)):
        kp, _ = read_openpose_frame(DATA / f"video_{src:012d}_keypoints.json")
        np.testing.assert_array_equal(seq.keypoints[number], kp)
    assert frame_number("NIA_SL_SEN0330_REAL10_F_000000000046_keypoints.json") == 46


def test_truncated_json_gives_one_clear_error(tmp_path):
    path = tmp_path / "bad_000000000000_keypoints.json"
    path.write_text(FRAME0.read_text()[:500])
    with pytest.raises(FormatError) as err:
        read_openpose_frame(path)
    message = str(err.value)
    assert message.startswith(f"{path}: invalid JSON (")
    assert "truncated file?" in message


def test_wrong_list_length_error(tmp_path):
    person = raw()
    person["pose_keypoints_2d"] = person["pose_keypoints_2d"][:-1]
    path = tmp_path / "bad_000000000000_keypoints.json"
    path.write_text(json.dumps({"version": 1.3, "people": [person]}))
    with pytest.raises(FormatError) as err:
        read_openpose_frame(path)
    assert str(err.value) == (
        f"{path}: pose_keypoints_2d has 74 values, expected 75 (25 points x (x, y, confidence))"
    )
    person = raw()
    person["hand_right_keypoints_2d"] = ["a"] * 63
    path.write_text(json.dumps({"version": 1.3, "people": [person]}))
    with pytest.raises(FormatError, match="hand_right_keypoints_2d holds a non-number"):
        read_openpose_frame(path)


def test_no_people_key_error(tmp_path):
    path = tmp_path / "x_000000000000_keypoints.json"
    path.write_text('{"version": 1.3}')
    with pytest.raises(FormatError) as err:
        read_openpose_frame(path)
    assert str(err.value) == f"{path}: no 'people' key (not an OpenPose keypoints file?)"


def test_empty_folder_raises(tmp_path):
    with pytest.raises(FormatError) as err:
        read_openpose_folder(tmp_path)
    assert str(err.value) == f"{tmp_path}: empty folder (no OpenPose *_keypoints.json files)"
    with pytest.raises(FormatError, match="not a folder"):
        read_openpose_folder(tmp_path / "nope")


def test_bad_frame_is_skipped_counted_and_keeps_its_slot(tmp_path):
    for src in DATA.glob("*.json"):
        shutil.copy(src, tmp_path / src.name)
    bad = tmp_path / "video_000000000004_keypoints.json"
    bad.write_text(bad.read_text()[:100])
    seq, report = read_openpose_folder(tmp_path)
    assert len(seq) == 9 and report.n_frames == 9
    assert len(report.skipped) == 1
    name, reason = report.skipped[0]
    assert name == bad.name and reason.startswith("invalid JSON (")
    assert not seq.mask[4].any() and not seq.keypoints[4].any()  # nothing invented
    assert seq.mask[[3, 5]].all(axis=0).sum() == 124


def test_all_frames_bad_raises(tmp_path):
    (tmp_path / "x_000000000000_keypoints.json").write_text("{")
    (tmp_path / "x_000000000001_keypoints.json").write_text("")
    with pytest.raises(FormatError) as err:
        read_openpose_folder(tmp_path)
    assert str(err.value).startswith(
        f"{tmp_path}: none of the 2 frame files could be read (first: x_000000000000_keypoints.json: invalid JSON"
    )


def test_write_synthetic_round_trip_and_empty_frame(tmp_path):
    rng = np.random.default_rng(0)
    kp = rng.uniform(1, 1900, size=(3, 127, 2)).astype(np.float32)
    mask = rng.random((3, 127)) > 0.2
    mask[1] = False  # a frame with nobody
    seq = PoseSequence(kp, mask)
    write_openpose_folder(seq, tmp_path, "c")
    assert json.loads((tmp_path / "c_000000000001_keypoints.json").read_text())["people"] == []
    back, _ = read_openpose_folder(tmp_path)
    np.testing.assert_array_equal(back.keypoints, seq.keypoints)
    np.testing.assert_array_equal(back.mask, seq.mask)
    # a shorter rewrite leaves no stale frames behind
    write_openpose_folder(PoseSequence(kp[:1], mask[:1]), tmp_path, "c")
    assert len(read_openpose_folder(tmp_path)[0]) == 1
