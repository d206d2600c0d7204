"""training.prepare on a synthetic AI Hub tree: trimming, normalisation, split, resume."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sign_pipeline import skeleton
from sign_pipeline.formats.aihub import GlossSpan, write_aihub_clip
from sign_pipeline.formats.skels import SkelsSequence, write_skels
from sign_pipeline.skeleton import PoseSequence
from training.dataset import denormalized_keypoints, load_clip, load_manifest, load_summary
from training.prepare import assign_splits, prepare, trim_to_glosses

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data"

SENTENCES = {
    1: ("지하철 환풍구에 가방이 빠졌어요", ["지하철", "환풍구", "가방", "빠지다"]),
    2: ("택시 기본 요금이 얼마예요", ["택시", "기본", "요금", "얼마"]),
    3: ("명동 가는 지하철 어디예요", ["여기", "명동", "지하철"]),
    4: ("카드가 안 돼요", ["카드", "불량", "잘", "안되다"]),
    5: ("난방 꺼 주세요", ["난방", "끄다"]),
}
CORRUPT_CLIP = "NIA_SL_SEN0002_REAL02_F"
CORRUPT_FRAME = 20  # raw frame number, inside the signing part


def template(scale: float) -> np.ndarray:
    """A standing signer in 1920x1080 pixels; shoulder width 300 * scale."""
    kp = np.zeros((127, 2), np.float32)
    neck = np.array([960.0, 400.0])
    body = {
        "nose": (0, -120), "neck": (0, 0), "right_shoulder": (-150, 0),
        "right_elbow": (-180, 200), "right_wrist": (-150, 380), "left_shoulder": (150, 0),
        "left_elbow": (180, 200), "left_wrist": (150, 380), "mid_hip": (0, 450),
        "right_hip": (-90, 450), "left_hip": (90, 450), "right_eye": (-30, -140),
        "left_eye": (30, -140), "right_ear": (-70, -120), "left_ear": (70, -120),
    }  # fmt: skip
    for name, (dx, dy) in body.items():
        kp[skeleton.index(name)] = neck + scale * np.array([dx, dy])
    angles = np.linspace(0, 2 * np.pi, 70, endpoint=False)
    kp[skeleton.FACE] = neck + scale * np.stack(
        [60 * np.cos(angles), -130 + 75 * np.sin(angles)], axis=1
    )
    fingers = np.stack([np.linspace(-30, 30, 21), -np.linspace(10, 90, 21)], axis=1)
    kp[skeleton.RIGHT_HAND] = kp[skeleton.R_WRIST] + scale * fingers
    kp[skeleton.LEFT_HAND] = kp[skeleton.L_WRIST] + scale * fingers * [-1, 1]
    return kp


def make_clip(n_frames: int, start: int, end: int, scale: float) -> PoseSequence:
    """Rest pose, then both hands rise and circle during [start, end), then rest again."""
    base = template(scale)
    kp = np.repeat(base[None], n_frames, axis=0)
    t = np.arange(n_frames)
    phase = np.clip((t - start) / (end - start), 0, 1)
    active = (t >= start) & (t < end)
    dx = np.where(active, 60 * np.sin(2 * np.pi * phase), 0.0) * scale
    dy = np.where(active, -250 * np.sin(np.pi * phase), 0.0) * scale
    moving = [skeleton.R_WRIST, skeleton.L_WRIST, skeleton.R_ELBOW, skeleton.L_ELBOW]
    moving += list(range(skeleton.LEFT_HAND.start, skeleton.RIGHT_HAND.stop))
    kp[:, moving, 0] += dx[:, None]
    kp[:, moving, 1] += dy[:, None]
    return PoseSequence(kp, np.ones((n_frames, 127), bool), fps=30.0)


def clip_specs() -> dict[str, dict]:
    specs = {}
    for number, (sentence, glosses) in SENTENCES.items():
        for signer, scale in (("REAL01", 1.0), ("REAL02", 1.25)):
            name = f"NIA_SL_SEN{number:04d}_{signer}_F"
            rest_before, rest_after, per_gloss = 5 + number, 4 + number % 3, 6 + number % 2
            starts = [rest_before + k * per_gloss for k in range(len(glosses))]
            spans = [GlossSpan(g, s, s + per_gloss) for g, s in zip(glosses, starts, strict=True)]
            n = spans[-1].end + rest_after
            specs[name] = {"sentence": sentence, "spans": spans, "n": n, "scale": scale}
    for number, gloss in ((1, "지하철"), (2, "택시")):
        name = f"NIA_SL_WORD{number:04d}_REAL01_F"
        specs[name] = {"sentence": None, "spans": [GlossSpan(gloss, 4, 14)], "n": 20, "scale": 1.0}
    return specs


@pytest.fixture(scope="module")
def aihub_tree(tmp_path_factory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("aihub")
    specs = clip_specs()
    for name, spec in specs.items():
        first, last = spec["spans"][0].start, spec["spans"][-1].end
        seq = make_clip(spec["n"], first, last, spec["scale"])
        spec["seq"] = seq
        nested = root / ("수어_문장" if "SEN" in name else "단어") / name[-9:-2]
        write_aihub_clip(nested, name, seq, spec["spans"], sentence=spec["sentence"])
    bad = next(root.rglob(f"{CORRUPT_CLIP}_{CORRUPT_FRAME:012d}_keypoints.json"))
    bad.write_text(bad.read_text()[:300])
    return root, specs


@pytest.fixture(scope="module")
def prepared(aihub_tree, tmp_path_factory) -> tuple[Path, dict]:
    root, _ = aihub_tree
    out = tmp_path_factory.mktemp("prepared")
    summary = prepare(
        out, aihub=[str(root)], workers=1, dev_frac=0.2, test_frac=0.2, seed=0,
        progress=False, verbose=False,
    )  # fmt: skip
    return out, summary


def test_trim_to_glosses_unit():
    kp = np.zeros((30, 127, 2), np.float32)
    mask = np.ones((30, 127), bool)
    out, m, spans, bounds = trim_to_glosses(
        kp, mask, [GlossSpan("a", 5, 10), GlossSpan("b", 10, 22)]
    )
    assert len(out) == 17 and bounds == (5, 22)
    assert spans == [GlossSpan("a", 0, 5), GlossSpan("b", 5, 17)]
    assert trim_to_glosses(kp, mask, [])[3] == (0, 30)
    with pytest.raises(ValueError, match="lie outside the 30 keypoint frames"):
        trim_to_glosses(kp, mask, [GlossSpan("a", 40, 50)])


def test_every_clip_prepared_with_exact_trimming(prepared, aihub_tree):
    out, summary = prepared
    _, specs = aihub_tree
    assert summary["clips"] == 12 and summary["this_run"]["written"] == 12
    assert summary["failed_clips"] == []
    records = {r["clip_id"]: r for r in load_manifest(out)}
    assert sorted(records) == sorted(specs)
    for name, spec in specs.items():
        r = records[name]
        first, last = spec["spans"][0].start, spec["spans"][-1].end
        assert r["n_frames"] == last - first
        assert r["n_frames_raw"] == spec["n"] and r["trim"] == [first, last]
        assert [(g["gloss"], g["start"], g["end"]) for g in r["glosses"]] == [
            (s.gloss, s.start - first, s.end - first) for s in spec["spans"]
        ]
        assert r["gloss_sequence"] == " ".join(s.gloss for s in spec["spans"])
        assert r["sentence"] == spec["sentence"]
        assert r["signer_index"] == int(r["signer"][-2:]) - 1
        assert r["kind"] == ("SEN" if "SEN" in name else "WORD")
        clip = load_clip(out, name)
        assert clip["keypoints"].shape == (last - first, 127, 2)
        assert clip["keypoints"].dtype == np.float32 and clip["mask"].all()
        assert clip["signer_onehot"][r["signer_index"]] == 1 and clip["signer_onehot"].sum() == 1
    assert summary["n_signers"] == 2 and summary["signers"] == {"REAL01": 7, "REAL02": 5}
    assert summary["n_glosses"] == 16


def test_normalisation_neck_zero_shoulder_width_one(prepared, aihub_tree):
    out, _ = prepared
    _, specs = aihub_tree
    for name in ("NIA_SL_SEN0001_REAL01_F", "NIA_SL_SEN0003_REAL02_F"):
        clip = load_clip(out, name)
        kp = clip["keypoints"]
        assert np.abs(kp[:, skeleton.NECK]).max() == 0
        width = np.linalg.norm(kp[:, skeleton.R_SHOULDER] - kp[:, skeleton.L_SHOULDER], axis=-1)
        np.testing.assert_allclose(width, 1.0, atol=1e-3)
        spec = specs[name]
        assert clip["scale"] == pytest.approx(300 * spec["scale"])
        np.testing.assert_allclose(clip["center"], [960, 400])
        first, last = spec["spans"][0].start, spec["spans"][-1].end
        # float16 storage: undoing the normalisation is within a pixel
        np.testing.assert_allclose(
            denormalized_keypoints(clip), spec["seq"].keypoints[first:last], atol=1.0
        )


def test_split_by_sentence(prepared):
    out, summary = prepared
    records = load_manifest(out)
    by_split: dict[str, set] = {s: set() for s in ("train", "dev", "test")}
    for r in records:
        key = r["sentence"] or r["gloss_sequence"]
        if r["kind"] == "WORD":
            assert r["split"] == "train"
            continue
        by_split[r["split"]].add(key)
    assert by_split["test"] and by_split["dev"]
    assert not by_split["test"] & by_split["train"]
    assert not by_split["dev"] & by_split["train"]
    assert not by_split["dev"] & by_split["test"]
    assert {k: v["clips"] for k, v in summary["splits"].items()} == {
        "train": 8, "dev": 2, "test": 2,
    }  # fmt: skip
    assert len(load_manifest(out, split="test")) == 2


def test_assign_splits_deterministic():
    keys = [f"문장 {i}" for i in range(20)]
    a = assign_splits(keys, 0.1, 0.2, seed=1)
    assert a == assign_splits(reversed(keys), 0.1, 0.2, seed=1)
    assert sorted(a.values()).count("test") == 4 and sorted(a.values()).count("dev") == 2
    assert a != assign_splits(keys, 0.1, 0.2, seed=2)


def test_corrupted_frame_skipped_reported_and_filled(prepared, aihub_tree):
    out, summary = prepared
    _, specs = aihub_tree
    bad_name = f"{CORRUPT_CLIP}_{CORRUPT_FRAME:012d}_keypoints.json"
    (entry,) = summary["skipped_files"]
    assert entry["clip"] == CORRUPT_CLIP and entry["file"] == bad_name
    assert entry["reason"].startswith("invalid JSON (")
    (record,) = [r for r in load_manifest(out) if r["clip_id"] == CORRUPT_CLIP]
    assert record["skipped_frames"] == [[bad_name, entry["reason"]]]
    assert record["filled_points"] == 127
    # the lost frame (one isolated frame) is the linear interpolation of its neighbours
    clip = load_clip(out, CORRUPT_CLIP)
    t = CORRUPT_FRAME - specs[CORRUPT_CLIP]["spans"][0].start
    assert clip["mask"][t].all()
    expected = (clip["keypoints"][t - 1] + clip["keypoints"][t + 1]) / 2
    np.testing.assert_allclose(clip["keypoints"][t], expected, atol=2e-3)
    assert (out / "summary.json").is_file()
    assert load_summary(out)["skipped_files"][0]["file"] == bad_name


def test_second_run_skips_everything(prepared, aihub_tree):
    out, _ = prepared
    root, _ = aihub_tree
    npz = out / "clips" / "NIA_SL_SEN0001_REAL01_F.npz"
    before = npz.stat().st_mtime_ns
    manifest = (out / "manifest.jsonl").read_text(encoding="utf-8")
    summary = prepare(out, aihub=[str(root)], workers=1, dev_frac=0.2, test_frac=0.2,
                      progress=False, verbose=False)  # fmt: skip
    assert summary["this_run"]["written"] == 0 and summary["this_run"]["already_done"] == 12
    assert npz.stat().st_mtime_ns == before
    assert (out / "manifest.jsonl").read_text(encoding="utf-8") == manifest


def test_resume_after_a_killed_run(aihub_tree, tmp_path):
    root, _ = aihub_tree
    prepare(tmp_path, aihub=[str(root)], workers=1, progress=False, verbose=False)
    # a killed run: one sidecar never written, one temp file left behind
    (tmp_path / "clips" / "NIA_SL_SEN0004_REAL01_F.json").unlink()
    (tmp_path / "clips" / ".NIA_SL_SEN0005_REAL01_F.npz.tmp999").write_bytes(b"half")
    summary = prepare(tmp_path, aihub=[str(root)], workers=1, progress=False, verbose=False)
    assert summary["this_run"]["written"] == 1 and summary["clips"] == 12
    assert len(load_manifest(tmp_path)) == 12


def test_subprocess_with_two_workers(aihub_tree, prepared, tmp_path):
    root, specs = aihub_tree
    out = tmp_path / "out"
    cmd = [
        sys.executable, "-m", "training.prepare", "--aihub", str(root), "--out", str(out),
        "--workers", "2", "--dev-frac", "0.2", "--test-frac", "0.2", "--seed", "0",
        "--dtype", "float32", "--no-progress",
    ]  # fmt: skip
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "dataset: 12 clips" in proc.stdout
    assert "skipped frame files: 1" in proc.stdout
    assert load_summary(out)["this_run"]["workers"] == 2
    ours = {r["clip_id"]: r for r in load_manifest(out)}
    theirs = {r["clip_id"]: r for r in load_manifest(prepared[0])}
    assert {k: r["split"] for k, r in ours.items()} == {k: r["split"] for k, r in theirs.items()}
    assert {k: r["n_frames"] for k, r in ours.items()} == {
        k: r["n_frames"] for k, r in theirs.items()
    }
    name = "NIA_SL_SEN0002_REAL01_F"
    spec = specs[name]
    first, last = spec["spans"][0].start, spec["spans"][-1].end
    np.testing.assert_allclose(
        denormalized_keypoints(load_clip(out, name)), spec["seq"].keypoints[first:last], atol=1e-3
    )


def test_prepare_pose_files(tmp_path):
    poses = tmp_path / "poses"
    poses.mkdir()
    (poses / "openpose.pose").write_bytes((DATA / "openpose.pose").read_bytes())
    (poses / "signer_REAL03_clip.pose").write_bytes((DATA / "mediapipe.pose").read_bytes())
    summary = prepare(tmp_path / "out", poses=[str(poses)], workers=1, progress=False,
                      verbose=False)  # fmt: skip
    records = {r["clip_id"]: r for r in load_manifest(tmp_path / "out")}
    # 24 fps files resampled to the common 30 fps: same duration, 1.25x the frames
    assert records["openpose"]["n_frames_raw"] == 93 and records["openpose"]["n_frames"] == 116
    assert records["openpose"]["source_fps"] == 24 and records["openpose"]["fps"] == 30
    assert records["openpose"]["signer"] == "REAL01"
    assert records["signer_REAL03_clip"]["signer_index"] == 2
    assert records["signer_REAL03_clip"]["n_frames"] == round(170 * 1.25)
    assert all(r["glosses"] == [] and r["split"] == "train" for r in records.values())
    assert summary["sources"] == {"pose": 2}
    assert len(summary["recordings_without_glosses"]) == 2  # named, not silently useless
    assert {e["clip"] for e in summary["recordings_without_signer"]} == {"openpose"}


def test_prepare_skels(tmp_path):
    """.skels in the seed's image units (x/2048, y/1152) come out in the normalised frame,
    with the glosses of the .gloss line spread evenly over the clip."""
    seq = make_clip(6, 1, 5, 1.0)
    values = skeleton.flatten(seq.keypoints / np.float32(skeleton.SEED_SCALE))
    values[2, :10] = 0  # 5 missing points
    split = tmp_path / "skels"
    write_skels(
        split / "dev",
        [SkelsSequence(values, None, "지하철 가다", "dev/NIA_SL_SEN0007_REAL04_F", "지하철 가요")],
    )
    write_skels(split / "phoenix" / "train", [SkelsSequence(values[:, :150], None, "g", "p")])
    summary = prepare(tmp_path / "out", skels=[str(split)], workers=1, dtype="float32",
                      progress=False, verbose=False)  # fmt: skip
    (record,) = load_manifest(tmp_path / "out")
    assert record["clip_id"] == "NIA_SL_SEN0007_REAL04_F" and record["split"] == "dev"
    assert record["source"] == "skels" and record["normalization"] == "neck_shoulder"
    assert record["skels_units"] == "image"
    assert record["sentence"] == "지하철 가요" and record["signer_index"] == 3
    assert [(g["gloss"], g["start"], g["end"]) for g in record["glosses"]] == [
        ("지하철", 0, 3), ("가다", 3, 6),
    ]  # fmt: skip
    clip = load_clip(tmp_path / "out", record["clip_id"])
    kp = clip["keypoints"]
    assert np.abs(kp[:, skeleton.NECK]).max() < 1e-6
    width = np.linalg.norm(kp[:, skeleton.R_SHOULDER] - kp[:, skeleton.L_SHOULDER], axis=-1)
    np.testing.assert_allclose(width, 1.0, atol=1e-5)
    # the picture's aspect is back: the normalised pose is the pixel template's
    norm = skeleton.Normalization((960.0, 400.0), 300.0)
    np.testing.assert_allclose(kp[[0, 1, 3]], norm.apply(seq.keypoints[[0, 1, 3]]), atol=1e-4)
    np.testing.assert_allclose(denormalized_keypoints(clip)[0], seq.keypoints[0], atol=0.05)
    assert clip["mask"][2, :5].all()  # isolated missing frame filled
    (failed,) = summary["failed_clips"]
    assert "D=150" in failed["reason"] and "does not fit the 127-point layout" in failed["reason"]


def test_prepare_videos_uses_extract_video(tmp_path, monkeypatch):
    """--videos: whole clip, no glosses, signer from the name (MediaPipe itself is
    tested with the video reader; here extract_video is replaced by a stand-in)."""
    import sign_pipeline.formats.video as video

    calls = []

    def fake_extract(path, progress=False):
        calls.append(Path(path).name)
        return make_clip(12, 3, 9, 1.0)

    monkeypatch.setattr(video, "extract_video", fake_extract)
    videos = tmp_path / "videos" / "nested"
    videos.mkdir(parents=True)
    (videos / "NIA_SL_SEN0009_REAL05_F.mp4").write_bytes(b"")
    (videos / "home.webm").write_bytes(b"")
    (videos / "notes.txt").write_text("not a video")
    summary = prepare(tmp_path / "out", videos=[str(tmp_path / "videos")], workers=1,
                      progress=False, verbose=False)  # fmt: skip
    assert sorted(calls) == ["NIA_SL_SEN0009_REAL05_F.mp4", "home.webm"]
    records = {r["clip_id"]: r for r in load_manifest(tmp_path / "out")}
    assert records["NIA_SL_SEN0009_REAL05_F"]["signer_index"] == 4
    assert records["home"]["signer"] == "REAL01"
    for r in records.values():
        assert r["n_frames"] == 12 and r["trim"] == [0, 12] and r["glosses"] == []
        assert r["source"] == "video" and r["split"] == "train"
    assert summary["sources"] == {"video": 2}


def test_rest_pose_is_kept_from_the_trimmed_frames(prepared, aihub_tree):
    out, _ = prepared
    _, specs = aihub_tree
    name = "NIA_SL_SEN0001_REAL01_F"
    clip = load_clip(out, name)
    assert clip["rest_mask"].all()
    # the resting frames are the template pose: in the normalised frame of the clip
    spec = specs[name]
    norm = skeleton.Normalization(tuple(clip["center"]), float(clip["scale"]))
    expected = norm.apply(template(spec["scale"]))
    np.testing.assert_allclose(clip["rest"], expected, atol=1e-3)
    # the wrist rests below where it is while signing
    assert clip["rest"][skeleton.R_WRIST, 1] > clip["keypoints"][:, skeleton.R_WRIST, 1].mean()


def test_a_synthetic_corpus_is_known_as_such_from_the_manifest_alone(small_prepared, tmp_path):
    from training.dataset import data_origin

    records = load_manifest(small_prepared)
    assert all(r["corpus_note"] for r in records)
    assert data_origin(records)[1] is True
    # on a machine with the manifest only (no corpus folder to look into) it still knows
    moved = [{**r, "source_path": str(tmp_path / "elsewhere")} for r in records]
    assert data_origin(moved) == data_origin(records)
    # real data (no corpus note, no corpus folder) is described as the user's own
    real = [{**r, "corpus_note": None} for r in moved]
    origin, synthetic = data_origin(real)
    assert synthetic is False and origin.startswith("your data")
