"""Real data sources into ``training.prepare`` (issue 10 items 6-8): AI Hub naming variants,
``.skels`` in the seed's image units, own videos with labels and their own frame rate, and
bad input. Every fixture is written here, in temporary folders."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sign_pipeline import skeleton
from sign_pipeline.formats.aihub import GlossSpan, find_clips, write_aihub_clip
from sign_pipeline.formats.skels import SkelsSequence, write_skels
from sign_pipeline.skeleton import PoseSequence
from sign_pipeline.text2pose.lexicon import LexiconText2Pose
from tests.test_prepare import make_clip
from training.build_lexicon import build
from training.dataset import load_clip, load_manifest, load_summary
from training.prepare import (
    ClipLabel,
    PrepareError,
    even_spans,
    label_from_name,
    main,
    prepare,
    read_labels,
    signer_id,
    signing_span,
)

ROOT = Path(__file__).resolve().parents[1]
VIDEO = Path(__file__).parent / "data" / "test_video.mp4"
QUIET = dict(workers=1, progress=False, verbose=False)


def _shoulder_width(kp: np.ndarray) -> np.ndarray:
    return np.linalg.norm(kp[:, skeleton.R_SHOULDER] - kp[:, skeleton.L_SHOULDER], axis=-1)


# ---------------------------------------------------------------------------- AI Hub variants


def write_release_clip(
    root: Path,
    name: str,
    spans: list[GlossSpan],
    n_frames: int = 40,
    sep: str = "_",
    tag: str = "",
    folder_suffix: str = "",
    scale: float = 1.0,
) -> PoseSequence:
    """One clip laid out like a CROWD release: ``키포인트Json/{name}{folder_suffix}/`` holding
    ``{tag}{name}{sep}{frame:012d}_keypoints.json``, ``형태소Json/{name}_morpheme.json`` and
    ``영상/{name}.mp4``."""
    seq = make_clip(n_frames, spans[0].start, spans[-1].end, scale)
    staging = root / ".staging"
    write_aihub_clip(staging, name, seq, spans, exported_on="2020/11/26")
    base = root / "CROWD_REAL004" / "CROWD_REAL012"
    frames = base / "키포인트Json" / f"{name}{folder_suffix}"
    frames.mkdir(parents=True)
    for i, f in enumerate(sorted((staging / "keypoints" / name).iterdir())):
        f.rename(frames / f"{tag}{name}{sep}{i:012d}_keypoints.json")
    (base / "형태소Json").mkdir(exist_ok=True)
    shutil.move(staging / "morpheme" / f"{name}_morpheme.json", base / "형태소Json")
    (base / "영상").mkdir(exist_ok=True)
    (base / "영상" / f"{name}.mp4").write_bytes(b"")
    shutil.rmtree(staging)
    return seq


SPANS = [GlossSpan("지하철", 6, 14), GlossSpan("가다", 14, 22), GlossSpan("빨리", 22, 30)]
VARIANTS = {
    "two underscores": ("NIA_SL_SEN0001_REAL02_F", dict(sep="__"), "REAL02"),
    "tag in brackets": ("NIA_SL_FS0429_CROWD13_F", dict(sep="__", tag="[SHANA]"), "CROWD13"),
    "folder named .mp4": ("NIA_SL_SEN0002_REAL02_F", dict(folder_suffix=".mp4"), "REAL02"),
    "CROWD / FS": ("NIA_SL_FS0539_CROWD06_F", dict(), "CROWD06"),
    "all at once": (
        "NIA_SL_FS0572_CROWD10_F",
        dict(sep="__", tag="[SHANA]", folder_suffix=".mp4"),
        "CROWD10",
    ),
}


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_aihub_naming_variant_is_paired_and_prepared(tmp_path, variant):
    name, layout, signer = VARIANTS[variant]
    seq = write_release_clip(tmp_path / "raw", name, SPANS, **layout)
    (clip,) = find_clips(tmp_path / "raw")
    assert clip.name == name
    assert clip.keypoint_dir.name == name + layout.get("folder_suffix", "")
    assert clip.video_path is not None and clip.video_path.is_file()  # the file, not the folder

    summary = prepare(tmp_path / "out", aihub=[str(tmp_path / "raw")], dtype="float32", **QUIET)
    assert summary["clips"] == 1 and summary["failed_clips"] == []
    assert summary["keypoints_without_morpheme"] == summary["morpheme_without_keypoints"] == []
    (record,) = load_manifest(tmp_path / "out")
    assert record["clip_id"] == name and record["signer"] == signer
    assert record["signer_index"] == int(signer[-2:]) - 1  # CROWD06 -> signer id 6
    assert record["kind"] == name.split("_")[2][:-4]  # SEN or FS
    assert record["trim"] == [6, 30] and record["n_frames"] == 24
    assert [(g["gloss"], g["start"], g["end"]) for g in record["glosses"]] == [
        ("지하철", 0, 8), ("가다", 8, 16), ("빨리", 16, 24),
    ]  # fmt: skip
    assert record["video"] == str(clip.video_path)
    # frame k of the file names is time slot k: the keypoints are the written ones
    clip_arrays = load_clip(tmp_path / "out", name)
    norm = skeleton.Normalization(tuple(clip_arrays["center"]), float(clip_arrays["scale"]))
    np.testing.assert_allclose(norm.undo(clip_arrays["keypoints"]), seq.keypoints[6:30], atol=1e-3)


def test_crowd_release_builds_a_lexicon_for_each_signer(tmp_path):
    raw = tmp_path / "raw"
    for (name, layout, _), scale in zip(VARIANTS.values(), (1.0, 1.1, 0.9, 1.2, 1.05), strict=True):
        write_release_clip(raw, name, SPANS, scale=scale, **layout)
    prepare(tmp_path / "prepared", aihub=[str(raw)], **QUIET)
    summary = build(tmp_path / "prepared", tmp_path / "ckpt" / "lexicon")
    assert summary["signers"] == [2, 6, 10, 13]
    assert {"지하철", "가다", "빨리"} <= set(summary["gloss_list"])
    lexicon = LexiconText2Pose.from_pretrained(tmp_path / "ckpt" / "lexicon")
    for signer in (2, 6, 10, 13):
        for gloss in ("지하철", "가다", "빨리"):
            assert (signer, gloss) in lexicon.clips


# ---------------------------------------------------------------------------- .skels


def _skels_line(glosses: str, name: str, n: int, scale: float, text: str | None = None):
    seq = make_clip(n, 2, n - 2, scale)
    values = skeleton.flatten(seq.keypoints / np.float32(skeleton.SEED_SCALE))
    return SkelsSequence(values.astype(np.float32), None, glosses, name, text), seq


def test_skels_in_image_units_give_a_full_size_lexicon_of_every_gloss(tmp_path):
    lines = [
        _skels_line(
            "지하철 가다 빨리", "train/NIA_SL_SEN0001_REAL02_F", 36, 1.0, "지하철 빨리 가요"
        ),
        _skels_line("택시 기본 요금 얼마", "train/NIA_SL_SEN0002_REAL06_F", 48, 1.3),
        _skels_line("난방 끄다", "train/NIA_SL_SEN0003_REAL06_F", 24, 1.3),
        _skels_line("카드", "dev/NIA_SL_WORD0004_REAL02_F", 16, 1.0),
    ]
    write_skels(tmp_path / "skels" / "train", [s for s, _ in lines[:3]])
    write_skels(tmp_path / "skels" / "dev", [s for s, _ in lines[3:]])
    summary = prepare(tmp_path / "prepared", skels=[str(tmp_path / "skels")], **QUIET)
    assert summary["clips"] == 4 and summary["failed_clips"] == []
    records = {r["clip_id"]: r for r in load_manifest(tmp_path / "prepared")}
    first = records["NIA_SL_SEN0001_REAL02_F"]
    assert first["sentence"] == "지하철 빨리 가요" and first["split"] == "train"
    assert first["gloss_timing"].startswith("even split")
    # 36 frames, 3 glosses: 12 frames each
    assert [(g["gloss"], g["start"], g["end"]) for g in first["glosses"]] == [
        ("지하철", 0, 12), ("가다", 12, 24), ("빨리", 24, 36),
    ]  # fmt: skip
    assert records["NIA_SL_WORD0004_REAL02_F"]["split"] == "dev"

    lex = build(tmp_path / "prepared", tmp_path / "ckpt" / "lexicon")
    all_glosses = {g for s, _ in lines for g in s.gloss.split()}
    assert set(lex["gloss_list"]) == all_glosses  # every gloss, not one of them
    assert lex["signers"] == [2, 6]
    lexicon = LexiconText2Pose.from_pretrained(tmp_path / "ckpt" / "lexicon")
    for clip in lexicon.clips.values():
        # the normalised frame, not 0-1 image units: the avatar is full size
        np.testing.assert_allclose(_shoulder_width(clip), 1.0, atol=0.02)
        assert np.abs(clip[:, skeleton.NECK]).max() < 0.02


def test_skels_prepared_by_an_older_version_are_redone(tmp_path):
    line, _ = _skels_line("지하철 가다", "NIA_SL_SEN0001_REAL02_F", 20, 1.0)
    write_skels(tmp_path / "skels" / "train", [line])
    prepare(tmp_path / "out", skels=[str(tmp_path / "skels")], **QUIET)
    sidecar = tmp_path / "out" / "clips" / "NIA_SL_SEN0001_REAL02_F.json"
    again = prepare(tmp_path / "out", skels=[str(tmp_path / "skels")], **QUIET)
    assert again["this_run"]["written"] == 0 and again["this_run"]["already_done"] == 1
    sidecar.write_text(sidecar.read_text().replace('"neck_shoulder"', '"skels"'))
    redone = prepare(tmp_path / "out", skels=[str(tmp_path / "skels")], **QUIET)
    assert redone["this_run"]["written"] == 1
    assert '"neck_shoulder"' in sidecar.read_text()


# ---------------------------------------------------------------------------- labels


def test_label_from_file_name():
    assert label_from_name("가다.mp4") == ClipLabel(("가다",), None, None, "file name")
    assert label_from_name("REAL06_가다.mp4").signer == "REAL06"
    assert label_from_name("REAL06_가다.mp4").glosses == ("가다",)
    assert label_from_name("지하철_가다_2.mp4").glosses == ("지하철", "가다")
    assert label_from_name("8번-출구 take3.mov").glosses == ("8번", "출구")
    named = label_from_name("NIA_SL_SEN0009_REAL05_F.mp4")
    assert named.glosses == () and named.signer == "REAL05"
    assert label_from_name("/v/REAL02/가다.mp4", root="/v").signer == "REAL02"
    assert label_from_name("/v/CROWD11/x/가다.mp4", root="/v").signer == "CROWD11"
    assert label_from_name("/REAL02/가다.mp4", root="/elsewhere").signer is None


def test_signer_ids():
    assert signer_id("6") == "REAL06" and signer_id(" real6 ") == "REAL06"
    assert signer_id("CROWD13") == "CROWD13" and signer_id("SYN2") == "SYN02"
    for bad in ("kim", "0", "17", "REAL40"):
        with pytest.raises(ValueError):
            signer_id(bad)


def _videos(tmp_path: Path, names: list[str]) -> Path:
    folder = tmp_path / "videos"
    for name in names:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(b"")
    return folder


def test_read_labels_csv(tmp_path):
    videos = _videos(tmp_path, ["a.mp4", "sub/b.mp4", "c.webm", "d.mp4", "e.pose", "REAL05/f.mp4"])
    labels = tmp_path / "meta" / "labels.csv"
    labels.parent.mkdir()
    labels.write_text(
        "File,Gloss,Sentence,Signer\n"
        "a.mp4,지하철 가다,,6\n"
        "sub/b.mp4,,지하철 가요,REAL10\n"
        ",,,\n"
        f"{videos / 'c.webm'},택시,택시 타요,crowd3\n"
        "d.mp4,,,\n"
        "../videos/e.pose,카드,,\n"
        "f.mp4,오다,,\n",  # signer from its folder
        encoding="utf-8-sig",  # what Excel writes
    )
    got = read_labels(labels, [videos])
    key = {p.name: p for p in got}
    assert got[key["a.mp4"]] == ClipLabel(("지하철", "가다"), None, "REAL06", "labels.csv line 2")
    assert got[key["b.mp4"]].glosses == ("지하철", "가다")  # sentence -> text_to_gloss
    assert got[key["b.mp4"]].sentence == "지하철 가요" and got[key["b.mp4"]].signer == "REAL10"
    assert got[key["c.webm"]].glosses == ("택시",) and got[key["c.webm"]].signer == "CROWD03"
    assert got[key["d.mp4"]].glosses == ()  # no gloss, no Hangul in the name
    assert got[key["e.pose"]].glosses == ("카드",) and got[key["e.pose"]].signer is None
    assert key["b.mp4"] == (videos / "sub" / "b.mp4").resolve()
    assert got[key["f.mp4"]] == ClipLabel(("오다",), None, "REAL05", "labels.csv line 8")


def test_read_labels_korean_excel_encoding(tmp_path):
    videos = _videos(tmp_path, ["가다.mp4"])
    labels = tmp_path / "labels.csv"
    labels.write_bytes("file,gloss,signer\n가다.mp4,가다,2\n".encode("cp949"))
    (label,) = read_labels(labels, [videos]).values()
    assert label.glosses == ("가다",) and label.signer == "REAL02"


@pytest.mark.parametrize(
    "rows, message",
    [
        ("a.mp4,가다,\nnone.mp4,가다,\nb/none2.mp4,,\n",
         "2 listed file(s) not found: line 3: none.mp4; line 4: b/none2.mp4"),
        ("a.mp4,가다,\na.mp4,오다,\n", "line 3: a.mp4 is already labelled on line 2"),
        ("a.mp4,가다,kim\n", "line 2: signer 'kim' is not a number or REALnn"),
        ("notes.txt,가다,\n", "line 2: notes.txt is not a video"),
    ],
)  # fmt: skip
def test_bad_labels_stop_before_anything_is_written(tmp_path, rows, message):
    videos = _videos(tmp_path, ["a.mp4"])
    (videos / "notes.txt").write_text("x")
    labels = tmp_path / "labels.csv"
    labels.write_text("file,gloss,signer\n" + rows, encoding="utf-8")
    out = tmp_path / "out"
    with pytest.raises(PrepareError) as err:
        prepare(out, videos=[str(videos)], labels=labels, **QUIET)
    assert str(err.value).startswith(f"{labels}: ") and message in str(err.value)
    assert not out.exists()


def test_labels_without_a_file_column(tmp_path):
    labels = tmp_path / "labels.csv"
    labels.write_text("video,gloss\na.mp4,가다\n", encoding="utf-8")
    with pytest.raises(PrepareError, match="no 'file' column"):
        read_labels(labels)
    labels.write_text("file,signer\na.mp4,2\n", encoding="utf-8")
    with pytest.raises(PrepareError, match="needs a 'gloss' or a 'sentence' column"):
        read_labels(labels)


# ---------------------------------------------------------------------------- recordings


def test_even_spans():
    assert even_spans(["a", "b", "c"], 10) == [
        GlossSpan("a", 0, 3), GlossSpan("b", 3, 7), GlossSpan("c", 7, 10),
    ]  # fmt: skip
    assert even_spans(["a"], 5) == [GlossSpan("a", 0, 5)]
    assert even_spans(["a", "b"], 1) == [GlossSpan("a", 0, 1), GlossSpan("b", 0, 1)]


def test_signing_span_keeps_the_raised_hands():
    seq = make_clip(60, 20, 40, 1.0)  # hands rest at 1.27 shoulder widths under the neck
    first, last = signing_span(seq.keypoints, seq.mask, fps=30)
    wrists = seq.keypoints[:, [skeleton.R_WRIST, skeleton.R_HAND_WRIST], 1].min(axis=1)
    raised = np.flatnonzero((wrists - 400) / 300 < 1.0)  # the same test by hand
    assert (first, last) == (raised[0] - 3, raised[-1] + 4)
    assert 20 <= raised[0] and raised[-1] < 40
    still = make_clip(30, 0, 1, 1.0)
    still.keypoints[:] = still.keypoints[:1]
    assert signing_span(still.keypoints, still.mask, fps=30) == (0, 30)  # nothing raised


@pytest.fixture
def fake_video(monkeypatch):
    """``extract_video`` replaced by a stand-in: the clip of a file is looked up by name."""
    import sign_pipeline.formats.video as video

    clips: dict[str, PoseSequence] = {}
    calls: list[str] = []

    def fake_extract(path, progress=False):
        calls.append(Path(path).name)
        return clips[Path(path).name]

    monkeypatch.setattr(video, "extract_video", fake_extract)
    return clips, calls


def test_own_frame_rate_is_kept_and_resampled(tmp_path, fake_video):
    """The same signing recorded at 30 and 15 fps gives the same motion at 30 fps."""
    clips, _ = fake_video
    fast = make_clip(60, 16, 46, 1.0)
    slow = PoseSequence(fast.keypoints[::2], fast.mask[::2], fps=15.0)
    clips.update({"가다.mp4": fast, "REAL03_가다.mp4": slow})
    videos = _videos(tmp_path, list(clips))
    prepare(tmp_path / "out", videos=[str(videos)], dtype="float32", **QUIET)
    records = {r["clip_id"]: r for r in load_manifest(tmp_path / "out")}
    a, b = records["가다"], records["REAL03_가다"]
    assert (a["source_fps"], b["source_fps"], a["fps"], b["fps"]) == (30, 15, 30, 30)
    assert a["signer"] == "REAL01" and b["signer"] == "REAL03"
    assert a["kind"] == b["kind"] == "WORD"
    assert a["glosses"] == [{"gloss": "가다", "start": 0, "end": a["n_frames"]}]
    # same duration in seconds, not half of it
    assert abs(a["n_frames"] / 30 - b["n_frames"] / 30) <= 2 / 30
    assert b["n_frames"] == round((b["trim"][1] - b["trim"][0]) * 2)
    # the wrist peaks at the same time of the recording
    ka = load_clip(tmp_path / "out", "가다")["keypoints"]
    kb = load_clip(tmp_path / "out", "REAL03_가다")["keypoints"]
    peak_a = a["trim"][0] / 30 + np.argmin(ka[:, skeleton.R_WRIST, 1]) / 30
    peak_b = b["trim"][0] / 15 + np.argmin(kb[:, skeleton.R_WRIST, 1]) / 30
    assert abs(peak_a - peak_b) <= 1 / 15


def test_a_recording_is_redone_when_its_label_changes(tmp_path, fake_video):
    clips, calls = fake_video
    clips["a.mp4"] = make_clip(30, 8, 22, 1.0)
    videos = _videos(tmp_path, ["a.mp4"])
    labels = tmp_path / "labels.csv"
    labels.write_text("file,gloss,signer\na.mp4,가다,4\n", encoding="utf-8")
    prepare(tmp_path / "out", videos=[str(videos)], labels=labels, **QUIET)
    prepare(tmp_path / "out", videos=[str(videos)], labels=labels, **QUIET)
    assert calls == ["a.mp4"]  # the second run reuses it
    labels.write_text("file,gloss,signer\n,,\na.mp4,오다,4\n", encoding="utf-8")  # row moved
    summary = prepare(tmp_path / "out", videos=[str(videos)], labels=labels, **QUIET)
    assert calls == ["a.mp4", "a.mp4"] and summary["glosses"] == {"오다": 1}


def test_labels_for_clips_already_prepared_update_them_not_copy_them(tmp_path, fake_video):
    clips, calls = fake_video
    clips["a.mp4"] = make_clip(30, 8, 22, 1.0)
    videos = _videos(tmp_path, ["a.mp4"])
    first = prepare(tmp_path / "out", videos=[str(videos)], **QUIET)  # labelled by file name
    assert first["clips"] == 1 and [r["signer"] for r in load_manifest(tmp_path / "out")] == ["REAL01"]
    labels = tmp_path / "labels.csv"
    labels.write_text("file,gloss,signer\na.mp4,가다,4\n", encoding="utf-8")
    again = prepare(tmp_path / "out", videos=[str(videos)], labels=labels, **QUIET)
    records = load_manifest(tmp_path / "out")
    assert again["clips"] == 1 and len(records) == 1  # the same clip, updated
    assert records[0]["clip_id"] == "a" and records[0]["signer"] == "REAL04"
    assert [g["gloss"] for g in records[0]["glosses"]] == ["가다"]
    assert sorted(p.name for p in (tmp_path / "out" / "clips").iterdir()) == ["a.json", "a.npz"]
    assert calls == ["a.mp4", "a.mp4"]


def test_unlabelled_and_failing_recordings_are_named(tmp_path, fake_video, capsys):
    clips, _ = fake_video
    clips["home.mp4"] = make_clip(20, 5, 15, 1.0)
    headless = make_clip(20, 5, 15, 1.0)
    headless.mask[:, skeleton.NECK] = False
    clips["REAL02_가다.mp4"] = headless
    videos = _videos(tmp_path, list(clips))
    summary = prepare(tmp_path / "out", videos=[str(videos)], workers=1, progress=False)
    (failed,) = summary["failed_clips"]
    assert failed["clip"] == "REAL02_가다" and failed["path"] == str(videos / "REAL02_가다.mp4")
    assert "neck or shoulders never detected" in failed["reason"]
    assert [e["clip"] for e in summary["recordings_without_glosses"]] == ["home"]
    printed = capsys.readouterr().out
    assert "failed clips (skipped): 1" in printed and "REAL02_가다.mp4" in printed
    assert "recordings without gloss labels" in printed and "home" in printed


# ---------------------------------------------------------------------------- the real video


@pytest.fixture(scope="module")
def real_videos(tmp_path_factory) -> dict:
    """The real signing video (MIT), as is and re-encoded at 15 fps, through MediaPipe."""
    import cv2
    import imageio_ffmpeg

    base = tmp_path_factory.mktemp("real_videos")
    videos = base / "videos"
    (videos / "REAL06").mkdir(parents=True)
    shutil.copy(VIDEO, videos / "REAL06" / "가다.mp4")  # gloss + signer from the path
    cap = cv2.VideoCapture(str(VIDEO))
    frames = []
    while True:
        ok, bgr = cap.read()
        if not ok:
            break
        frames.append(np.ascontiguousarray(bgr[:, :, ::-1]))
    cap.release()
    writer = imageio_ffmpeg.write_frames(
        str(videos / "slow.mp4"), (540, 720), fps=15, macro_block_size=1,
        output_params=["-crf", "18"],
    )  # fmt: skip
    writer.send(None)
    for rgb in frames[::2]:
        writer.send(rgb.tobytes())
    writer.close()
    labels = base / "labels.csv"
    labels.write_text("file,sentence,signer\nslow.mp4,지하철 가요,10\n", encoding="utf-8")
    out = base / "prepared"
    summary = prepare(out, videos=[str(videos)], labels=labels, **QUIET)
    return {"out": out, "summary": summary, "videos": videos}


def test_real_videos_keep_labels_signers_and_one_hand(real_videos):
    summary = real_videos["summary"]
    assert summary["failed_clips"] == [] and summary["clips"] == 2
    assert summary["signers"] == {"REAL06": 1, "REAL10": 1}
    assert summary["recordings_not_in_labels"] == [
        str(real_videos["videos"] / "REAL06" / "가다.mp4")
    ]
    records = {r["clip_id"]: r for r in load_manifest(real_videos["out"])}
    word, sentence = records["REAL06_가다"], records["REAL10_slow"]
    assert word["kind"] == "WORD" and [g["gloss"] for g in word["glosses"]] == ["가다"]
    assert sentence["sentence"] == "지하철 가요"
    assert [g["gloss"] for g in sentence["glosses"]] == ["지하철", "가다"]
    assert sentence["label"]["origin"] == "labels.csv line 2"
    # the right hand signs between frames ~13 and ~41 of 58: the rest before and after is
    # trimmed off and kept as the rest pose
    first, last = word["trim"]
    assert 6 <= first <= 13 and 41 <= last <= 52 and word["rest_frames"] == 58 - (last - first)
    clip = load_clip(real_videos["out"], "REAL06_가다")
    assert "rest" in clip
    # one-handed: the left hand is never found, and the clip is kept anyway
    assert not clip["mask"][:, skeleton.LEFT_HAND].any()
    assert clip["mask"][:, skeleton.RIGHT_HAND].any(axis=1).mean() > 0.5
    np.testing.assert_allclose(np.median(_shoulder_width(clip["keypoints"])), 1.0, atol=0.05)
    # 15 fps: resampled to 30, so both recordings last as long as the signing did
    assert sentence["source_fps"] == 15 and sentence["fps"] == word["fps"] == 30
    assert abs(sentence["n_frames"] - word["n_frames"]) <= 3
    assert load_summary(real_videos["out"])["config"]["fps"] == 30


def test_real_one_handed_videos_build_a_lexicon(real_videos, tmp_path):
    summary = build(real_videos["out"], tmp_path / "lexicon")
    assert summary["signers"] == [6, 10] and "가다" in summary["gloss_list"]


# ---------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("flag", ["aihub", "skels", "poses", "videos"])
def test_a_folder_with_nothing_usable_is_named(tmp_path, flag):
    empty = tmp_path / "data"
    (empty / "sub").mkdir(parents=True)
    (empty / "sub" / "readme.txt").write_text("nothing here")
    out = tmp_path / "out"
    with pytest.raises(PrepareError) as err:
        prepare(out, **{flag: [str(empty)]}, **QUIET)
    assert str(err.value).startswith(f"{empty} (--{flag}): ")
    assert not out.exists()
    with pytest.raises(PrepareError, match="no such folder"):
        prepare(out, **{flag: [str(tmp_path / "missing")]}, **QUIET)


def test_aihub_folder_with_only_keypoints_says_so(tmp_path):
    write_release_clip(tmp_path / "raw", "NIA_SL_SEN0001_REAL02_F", SPANS)
    next((tmp_path / "raw").rglob("*_morpheme.json")).unlink()
    with pytest.raises(PrepareError) as err:
        prepare(tmp_path / "out", aihub=[str(tmp_path / "raw")], **QUIET)
    assert "1 keypoint folder(s) without a morpheme file (e.g. NIA_SL_SEN0001_REAL02_F)" in str(
        err.value
    )
    assert not (tmp_path / "out").exists()


def test_when_every_clip_fails_nothing_is_left_behind(tmp_path):
    write_release_clip(tmp_path / "raw", "NIA_SL_SEN0001_REAL02_F", SPANS)
    for f in (tmp_path / "raw").rglob("*_keypoints.json"):
        f.write_text("{")
    out = tmp_path / "out"
    with pytest.raises(PrepareError) as err:
        prepare(out, aihub=[str(tmp_path / "raw")], **QUIET)
    assert "no clip could be prepared; all 1 failed: NIA_SL_SEN0001_REAL02_F (" in str(err.value)
    assert "none of the 40 frame files could be read" in str(err.value)
    assert not out.exists()
    # a folder that held a dataset before keeps it untouched
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(PrepareError):
        prepare(out, aihub=[str(tmp_path / "raw")], **QUIET)
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]


def test_command_line_exit_code_2_with_the_message(tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["--videos", str(empty), "--out", str(tmp_path / "out"), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {empty} (--videos): no ") and ".mp4" in err
    proc = subprocess.run(
        [sys.executable, "-m", "training.prepare", "--labels", str(tmp_path / "none.csv"),
         "--out", str(tmp_path / "out")],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2 and "none.csv: labels file not found" in proc.stderr
    assert not (tmp_path / "out").exists()
