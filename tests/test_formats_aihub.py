"""AI Hub layout: clip names, morpheme JSON, finding clips in nested trees, round trips."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from sign_pipeline.formats import FormatError
from sign_pipeline.formats.aihub import (
    GlossSpan,
    canonical_clip_name,
    find_clips,
    parse_clip_name,
    read_aihub_clip,
    read_morpheme,
    read_morpheme_meta,
    write_aihub_clip,
    write_morpheme,
)
from sign_pipeline.formats.openpose import read_openpose_folder
from sign_pipeline.skeleton import PoseSequence

DATA = Path(__file__).parent / "data" / "openpose_json"


def test_parse_clip_name():
    p = parse_clip_name("NIA_SL_SEN0330_REAL10_F")
    assert (p.kind, p.number, p.signer, p.view) == ("SEN", 330, "REAL10", "F")
    p = parse_clip_name("NIA_SL_WORD1501_SYN02_L")
    assert (p.kind, p.number, p.signer, p.view) == ("WORD", 1501, "SYN02", "L")
    p = parse_clip_name("my_recording")  # lenient: still usable
    assert (p.name, p.kind, p.number, p.signer, p.view) == ("my_recording", None, None, None, None)
    p = parse_clip_name("station_SEN12_REAL03_take2")
    assert (p.kind, p.number, p.signer, p.view) == ("SEN", 12, "REAL03", None)
    # CROWD subsets: clip type FS, signer CROWDnn
    p = parse_clip_name("NIA_SL_FS0539_CROWD06_F")
    assert (p.kind, p.number, p.signer, p.view) == ("FS", 539, "CROWD06", "F")
    assert parse_clip_name("OFFS12").kind is None  # FS inside a word is not a clip type


@pytest.mark.parametrize(
    "name",
    [
        "NIA_SL_FS0429_CROWD13_F",
        "[SHANA]NIA_SL_FS0429_CROWD13_F",
        "NIA_SL_FS0429_CROWD13_F.mp4",
        "NIA_SL_FS0429_CROWD13_F_",
        "[SHANA]NIA_SL_FS0429_CROWD13_F.MP4",
    ],
)
def test_canonical_clip_name(name):
    assert canonical_clip_name(name) == "NIA_SL_FS0429_CROWD13_F"


def test_frame_file_variants_read_in_frame_order(tmp_path):
    """``{clip}__{frame}`` and ``[TAG]{clip}__{frame}`` files in a ``{clip}.mp4`` folder:
    the clip name pairs with the plain morpheme file and frame k lands in slot k."""
    name = "NIA_SL_FS0539_CROWD06_F"
    seq = _seq(5, 3)
    write_aihub_clip(tmp_path / "staging", name, seq, [GlossSpan("가다", 1, 4)])
    folder = tmp_path / "release" / "키포인트Json" / f"{name}.mp4"
    folder.mkdir(parents=True)
    for i in range(5):
        tag = "[SHANA]" if i % 2 else ""
        src = tmp_path / "staging" / "keypoints" / name / f"{name}_{i:012d}_keypoints.json"
        shutil.copy(src, folder / f"{tag}{name}__{i:012d}_keypoints.json")
    morpheme = tmp_path / "release" / "형태소Json" / f"{name}_morpheme.json"
    morpheme.parent.mkdir()
    shutil.copy(tmp_path / "staging" / "morpheme" / f"{name}_morpheme.json", morpheme)
    (clip,) = find_clips(tmp_path / "release")
    assert (clip.name, clip.keypoint_dir, clip.morpheme_path) == (name, folder, morpheme)
    assert clip.video_path is None  # a folder named .mp4 is not a video
    read, spans = read_aihub_clip(clip)
    np.testing.assert_array_equal(read.keypoints, seq.keypoints)
    assert spans == [GlossSpan("가다", 1, 4)] and read.meta["signer"] == "CROWD06"


def test_read_morpheme_real_layout(tmp_path):
    path = tmp_path / "NIA_SL_SEN0514_SYN05_D_morpheme.json"
    path.write_text(
        json.dumps(
            {
                "metaData": {
                    "url": "https://x/NIA_SL_SEN0514_SYN05_D.mp4",
                    "name": "NIA_SL_SEN0514_SYN05_D.mp4",
                    "duration": 3.233,
                    "exportedOn": "2020/11/26",
                },
                "data": [
                    {"start": 1.708, "end": 2.5, "attributes": [{"name": "켜다"}]},
                    {"start": 1.113, "end": 1.708, "attributes": [{"name": "에어컨"}]},
                    {"start": 2.6, "end": 2.6, "attributes": [{"name": "A"}, {"name": "B"}]},
                ],
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    spans = read_morpheme(path)
    # seconds * 30, rounded; end exclusive; sorted by start; empty spans get one frame
    assert spans == [
        GlossSpan("에어컨", 33, 51),
        GlossSpan("켜다", 51, 75),
        GlossSpan("A", 78, 79),
        GlossSpan("B", 78, 79),
    ]
    assert read_morpheme(path, fps=10)[0] == GlossSpan("에어컨", 11, 17)
    assert read_morpheme_meta(path)["duration"] == 3.233


def test_morpheme_errors(tmp_path):
    path = tmp_path / "x_morpheme.json"
    path.write_text('{"metaData": {}, "data": [{"start": 1.0, "end": 2')
    with pytest.raises(FormatError, match=r"x_morpheme.json: invalid JSON \("):
        read_morpheme(path)
    path.write_text('{"metaData": {}}')
    with pytest.raises(FormatError) as err:
        read_morpheme(path)
    assert str(err.value) == (
        f"{path}: not a morpheme file (expected an object with a 'data' list)"
    )
    path.write_text('{"data": [{"start": "a", "end": 1, "attributes": [{"name": "x"}]}]}')
    with pytest.raises(FormatError) as err:
        read_morpheme(path)
    assert str(err.value) == f"{path}: data[0] start/end must be numbers (seconds), got 'a', 1"
    path.write_text('{"data": [{"start": 1, "end": 2, "attributes": []}]}')
    with pytest.raises(FormatError, match=r"data\[0\] has no gloss"):
        read_morpheme(path)


def test_write_morpheme_round_trip(tmp_path):
    spans = [GlossSpan("지하철", 10, 25), GlossSpan("환풍구", 25, 41), GlossSpan("빠지다", 44, 60)]
    path = write_morpheme(
        tmp_path / "c_morpheme.json", "c", spans, fps=30, n_frames=75, sentence="가방이 빠졌어요"
    )
    assert read_morpheme(path, fps=30) == spans
    text = path.read_text(encoding="utf-8")
    assert "환풍구" in text  # UTF-8, not \\u escapes
    meta = read_morpheme_meta(path)
    assert meta["sentence"] == "가방이 빠졌어요"
    assert meta["name"] == "c.mp4" and meta["duration"] == 2.5
    data = json.loads(text)["data"]
    assert data[0] == {"start": 0.333, "end": 0.833, "attributes": [{"name": "지하철"}]}


def _seq(n: int, seed: int) -> PoseSequence:
    rng = np.random.default_rng(seed)
    kp = rng.uniform(10, 1000, size=(n, 127, 2)).astype(np.float32)
    mask = rng.random((n, 127)) > 0.1
    return PoseSequence(kp, mask, fps=30.0)


def test_find_clips_in_nested_differently_named_folders(tmp_path):
    staging = tmp_path / "staging"
    names = [
        "NIA_SL_SEN0001_REAL01_F",
        "NIA_SL_SEN0002_REAL02_L",
        "NIA_SL_WORD0003_REAL01_F",
    ]
    seqs = {n: _seq(6 + i, i) for i, n in enumerate(names)}
    spans = {n: [GlossSpan("지하철", 1, 3), GlossSpan("가다", 3, 5)] for n in names}
    for n in names:
        write_aihub_clip(staging, n, seqs[n], spans[n], sentence=f"{n} 문장")
    # rearrange like a real release: per-signer Korean folders, folder names != clip names
    root = tmp_path / "release"
    layout = {
        "NIA_SL_SEN0001_REAL01_F": ("01_REAL01/키포인트/묶음_1/clip_a", "라벨/REAL01"),
        "NIA_SL_SEN0002_REAL02_L": ("02_REAL02/kp/deeper/still/b", "morph/x/y/z"),
        "NIA_SL_WORD0003_REAL01_F": ("단어/json", "단어/라벨"),
    }
    for n, (kp_dir, morph_dir) in layout.items():
        shutil.copytree(staging / "keypoints" / n, root / kp_dir)
        (root / morph_dir).mkdir(parents=True, exist_ok=True)
        shutil.copy(staging / "morpheme" / f"{n}_morpheme.json", root / morph_dir)
    # one clip with only keypoints, one with only a morpheme file
    shutil.copytree(staging / "keypoints" / names[0], root / "orphans" / "kp_only")
    for f in (root / "orphans" / "kp_only").iterdir():
        f.rename(f.with_name(f.name.replace("SEN0001", "SEN0099")))
    write_morpheme(root / "orphans" / "NIA_SL_SEN0098_REAL01_F_morpheme.json", "x", [], 30, 1)
    (root / "video").mkdir()
    (root / "video" / "NIA_SL_SEN0002_REAL02_L.mp4").write_bytes(b"")

    clips = find_clips(root)
    assert [c.name for c in clips] == names
    assert clips[0].keypoint_dir == root / "01_REAL01/키포인트/묶음_1/clip_a"
    assert clips[1].morpheme_path == root / "morph/x/y/z/NIA_SL_SEN0002_REAL02_L_morpheme.json"
    assert clips[1].video_path == root / "video" / "NIA_SL_SEN0002_REAL02_L.mp4"
    assert clips[0].video_path is None
    assert clips.keypoints_only == [("NIA_SL_SEN0099_REAL01_F", root / "orphans" / "kp_only")]
    assert clips.morpheme_only == [
        ("NIA_SL_SEN0098_REAL01_F", root / "orphans" / "NIA_SL_SEN0098_REAL01_F_morpheme.json")
    ]

    for clip in clips:
        seq, got_spans = read_aihub_clip(clip)
        np.testing.assert_array_equal(seq.keypoints, seqs[clip.name].keypoints)
        np.testing.assert_array_equal(seq.mask, seqs[clip.name].mask)
        assert got_spans == spans[clip.name]
        assert seq.meta["sentence"] == f"{clip.name} 문장"
        assert seq.meta["signer"] == parse_clip_name(clip.name).signer
        assert seq.meta["kind"] == parse_clip_name(clip.name).kind
        assert seq.meta["report"].skipped == []


def test_write_aihub_clip_layout(tmp_path):
    seq = _seq(4, 7)
    folder = write_aihub_clip(tmp_path, "NIA_SL_SEN0005_REAL03_F", seq, [GlossSpan("택시", 0, 4)])
    assert folder == tmp_path / "keypoints" / "NIA_SL_SEN0005_REAL03_F"
    assert sorted(p.name for p in folder.iterdir())[-1] == (
        "NIA_SL_SEN0005_REAL03_F_000000000003_keypoints.json"
    )
    morpheme = tmp_path / "morpheme" / "NIA_SL_SEN0005_REAL03_F_morpheme.json"
    assert "sentence" not in read_morpheme_meta(morpheme)


def test_real_frames_as_an_aihub_clip(tmp_path):
    """The real OpenPose frames, renamed like AI Hub files, read as a clip."""
    kp_dir = tmp_path / "kp"
    kp_dir.mkdir()
    for src in DATA.glob("*.json"):
        number = int(src.name.split("_")[1])
        shutil.copy(src, kp_dir / f"NIA_SL_SEN0330_REAL10_F_{number:012d}_keypoints.json")
    write_morpheme(
        tmp_path / "NIA_SL_SEN0330_REAL10_F_morpheme.json",
        "NIA_SL_SEN0330_REAL10_F",
        [GlossSpan("지하철", 2, 7)],
        30,
        9,
    )
    (clip,) = find_clips(tmp_path)
    seq, spans = read_aihub_clip(clip)
    real, _ = read_openpose_folder(DATA)
    np.testing.assert_array_equal(seq.keypoints, real.keypoints)
    assert spans == [GlossSpan("지하철", 2, 7)] and seq.meta["signer"] == "REAL10"
