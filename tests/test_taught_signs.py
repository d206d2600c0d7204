"""Taught signs: from a real recording to a stored clip, and every backend signing with it."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import zipfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from sign_pipeline import skeleton as sk
from sign_pipeline.formats.pose import write_pose
from sign_pipeline.pipeline import PipelineError, SignPipeline
from sign_pipeline.signs import TaughtSigns, TeachError
from sign_pipeline.signs.__main__ import builtin_glosses
from sign_pipeline.signs.retarget import fit_clip, proportions_of
from sign_pipeline.signs.teach import signing_span
from sign_pipeline.text2pose.base import GlossInput

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).resolve().parent.parent


def fake_recording(raised: tuple[int, int] | None, frames: int = 60, fps: float = 30.0,
                   person: bool = True) -> sk.PoseSequence:  # fmt: skip
    """A person at rest (pixels: neck at (300, 200), shoulder width 120) who raises the right
    hand over frames ``raised`` and waves it; no face (as a recording may have none)."""
    rest = sk.neutral_pose()
    kp = np.repeat(rest[None], frames, axis=0)
    if raised is not None:
        a, b = raised
        t = np.arange(b - a)
        up = np.array([0.3, -0.9], np.float32) + np.stack([0.2 * np.sin(t / 3), 0 * t], 1)
        right = np.r_[sk.R_WRIST, np.arange(sk.RIGHT_HAND.start, sk.RIGHT_HAND.stop)]
        kp[a:b, right] += up[:, None, :].astype(np.float32)
    px = kp * 120 + np.array([300, 200], np.float32)
    mask = np.ones(kp.shape[:2], bool)
    mask[:, sk.FACE] = False
    if not person:
        mask[:, : sk.FACE.start] = False
    return sk.PoseSequence(np.where(mask[..., None], px, 0), mask, fps=fps, width=640, height=480)


def write_recording(tmp_path: Path, name: str, seq: sk.PoseSequence) -> Path:
    return write_pose(seq, tmp_path / name)


def folder_state(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (lock file aside) -> its bytes' hash."""
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): hashlib.sha1(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != ".lock"}  # fmt: skip


@pytest.fixture
def signs(tmp_path) -> TaughtSigns:
    return TaughtSigns(tmp_path / "signs")


# ---------------------------------------------------------------------------- teaching


def test_the_signing_span_is_where_a_hand_is_raised_and_the_rest_is_trimmed(tmp_path, signs):
    seq = fake_recording((20, 41), frames=70)
    kp, _ = sk.normalize(seq.keypoints, seq.mask)
    assert signing_span(kp, seq.mask, seq.fps) == (20, 41)
    # stored: the raise plus 2 frames (0.07 s) each side
    entry = signs.add(write_recording(tmp_path, "wave.pose", seq), "손흔들기")
    assert entry.frames == 25 and entry.fps == 30.0 and entry.source == "wave.pose"
    clip = signs.clip("손흔들기")
    # normalised like every clip: neck at 0, shoulder width 1
    assert np.allclose(clip.keypoints[:, sk.NECK], 0, atol=1e-3)
    width = np.linalg.norm(clip.keypoints[:, sk.R_SHOULDER] - clip.keypoints[:, sk.L_SHOULDER], axis=1)
    assert np.allclose(width, 1.0, atol=1e-3)
    expected, _ = sk.normalize(seq.keypoints, seq.mask)
    assert np.allclose(clip.keypoints[:, sk.RIGHT_HAND], expected[18:43, sk.RIGHT_HAND], atol=1e-3)


@pytest.mark.slow
def test_teaching_from_the_real_video_keeps_the_signing_and_its_frame_rate(signs):
    entry = signs.add(DATA / "test_video.mp4", "안녕")
    # the real webcam clip (58 frames): hands down for ~13 frames at each end
    assert 25 <= entry.frames <= 45, entry
    assert entry.fps == pytest.approx(29.92, abs=0.05)
    clip = signs.clip("안녕")
    wrist_y = clip.keypoints[clip.mask[:, sk.R_WRIST], sk.R_WRIST, 1]
    assert wrist_y.min() < 0.3  # the signing hand comes up to the chest/face


def test_real_keypoint_files_become_signs(signs):
    expected = {"mediapipe.pose": (24.0, 100, 170), "openpose.pose": (24.0, 40, 80),
                "openpose_json": (30.0, 9, 9)}  # fmt: skip
    for k, (source, (fps, low, high)) in enumerate(expected.items()):
        entry = signs.add(DATA / source, f"단어{k}")
        assert entry.fps == fps and low <= entry.frames <= high, entry
    assert [e.source for e in signs.entries()] == list(expected)


def test_taught_signs_survive_a_restart_and_export_import_gives_the_same_entries(tmp_path, signs):
    signs.add(write_recording(tmp_path, "a.pose", fake_recording((10, 30))), "광화문")
    signs.add(write_recording(tmp_path, "b.pose", fake_recording((5, 40))), "우리역")
    again = TaughtSigns(signs.folder)  # a new process would see this
    assert [e.gloss for e in again.entries()] == ["광화문", "우리역"]
    assert again.export(tmp_path / "signs.zip") == 2
    other = TaughtSigns(tmp_path / "other")
    other.import_zip(tmp_path / "signs.zip")
    for a, b in zip(signs.entries(), other.entries(), strict=True):
        assert (a.gloss, a.source, a.frames, a.fps) == (b.gloss, b.source, b.frames, b.fps)
        ca, cb = signs.clip(a.gloss), other.clip(b.gloss)
        assert np.array_equal(ca.mask, cb.mask)
        assert np.allclose(ca.keypoints, cb.keypoints, atol=1e-4)


def test_rename_and_remove(tmp_path, signs):
    signs.add(write_recording(tmp_path, "a.pose", fake_recording((10, 30))), "광화문")
    old_file = signs.get("광화문").file
    signs.rename("광화문", "광화문역사")
    assert signs.glosses() == {"광화문역사"} and signs.get("광화문역사").file == old_file
    signs.remove("광화문역사")
    assert len(signs) == 0 and not (signs.folder / old_file).exists()


def _bad_inputs(tmp_path: Path) -> list[tuple[dict, str]]:
    ok = write_recording(tmp_path, "ok.pose", fake_recording((10, 30)))
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "broken.mp4").write_bytes(b"not a video at all")
    (tmp_path / "fake.zip").write_bytes(b"PK not really")
    with zipfile.ZipFile(tmp_path / "other.zip", "w") as z:
        z.writestr("index.json", json.dumps({"format": "something else", "signs": []}))
    return [
        (dict(source=write_recording(tmp_path, "nobody.pose", fake_recording((10, 30), person=False)),
              gloss="낱말일"), "no person found"),
        (dict(source=write_recording(tmp_path, "rest.pose", fake_recording(None)), gloss="낱말이"),
         "no hand raised"),
        (dict(source=write_recording(tmp_path, "short.pose", fake_recording((10, 13))),
              gloss="낱말삼"), "at least 0.2 s"),
        (dict(source=write_recording(tmp_path, "long.pose",
                                     fake_recording((5, 340), frames=350)), gloss="낱말사"),
         "more than 10 s"),
        (dict(source=tmp_path / "notes.txt", gloss="낱말오"), "unsupported file type .txt"),
        (dict(source=tmp_path / "broken.mp4", gloss="낱말육"), "cannot be read"),
        (dict(source=tmp_path / "missing.mp4", gloss="낱말칠"), "no such file"),
        (dict(source=ok, gloss="  "), "the word is empty"),
        (dict(source=ok, gloss="서울 역"), "has spaces"),
        (dict(source=ok, gloss="역!"), "has symbols (!)"),
        (dict(source=ok, gloss="지하철"), "built-in placeholder sign; add --replace"),
        (dict(source=ok, gloss="광화문"), "already taught; add --replace"),
        (dict(zip=tmp_path / "fake.zip"), "is not an export of taught signs"),
        (dict(zip=tmp_path / "other.zip"), "is not an export of taught signs"),
    ]  # fmt: skip


def test_every_bad_input_names_the_problem_and_changes_nothing(tmp_path, signs):
    signs.add(write_recording(tmp_path, "first.pose", fake_recording((10, 30))), "광화문")
    before = folder_state(signs.folder)
    for case, message in _bad_inputs(tmp_path):
        with pytest.raises(TeachError, match=re.escape(message)):
            if "zip" in case:
                signs.import_zip(case["zip"])
            else:
                signs.add(case["source"], case["gloss"], builtin=builtin_glosses())
        assert folder_state(signs.folder) == before, case


def test_replace_takes_over_a_built_in_gloss_and_a_taught_one(tmp_path, signs):
    one = write_recording(tmp_path, "one.pose", fake_recording((10, 30)))
    two = write_recording(tmp_path, "two.pose", fake_recording((10, 50)))
    e = signs.add(one, "지하철", replace=True, builtin=builtin_glosses())
    assert e.replaces_builtin and e.frames == 24
    first_file = e.file
    e = signs.add(two, "지하철", replace=True, builtin=builtin_glosses())
    assert e.frames == 44 and not (signs.folder / first_file).exists()


def _add_many(folder: str, words: list[str]) -> list[str]:
    store = TaughtSigns(folder)
    rec = fake_recording((0, 20), frames=20)
    clip = sk.PoseSequence(sk.normalize(rec.keypoints, rec.mask)[0], rec.mask, fps=rec.fps)
    for w in words:
        store.add_clip(clip, w, "test")
    return words


def test_two_concurrent_adds_both_land(tmp_path):
    folder = str(tmp_path / "shared")
    words = [[f"가{i}" for i in range(6)], [f"나{i}" for i in range(6)]]
    with ProcessPoolExecutor(2) as pool:
        list(pool.map(_add_many, [folder, folder], words))
    store = TaughtSigns(folder)
    assert store.glosses() == set(words[0] + words[1])
    names = {e.file for e in store.entries()}
    assert names == {p.name for p in Path(folder).glob("*.pose")}  # no orphan, none missing


# ---------------------------------------------------------------------------- using


def test_retargeting_gives_the_signer_their_own_arm_lengths(tmp_path, signs):
    signs.add(write_recording(tmp_path, "wave.pose", fake_recording((10, 40))), "손흔들기")
    clip = signs.clip("손흔들기")
    short, long = sk.neutral_pose(), sk.neutral_pose()
    long[[sk.R_WRIST, sk.L_WRIST]] += np.array([0, 0.3], np.float32)  # forearms 0.3 longer
    long[sk.RIGHT_HAND] += np.array([0, 0.3], np.float32)
    long[sk.LEFT_HAND] += np.array([0, 0.3], np.float32)
    measured = []
    for rest in (short, long):
        out = fit_clip(clip.keypoints, clip.mask, clip.fps, rest, 30.0)
        forearm = np.median(np.linalg.norm(out[:, sk.R_WRIST] - out[:, sk.R_ELBOW], axis=1))
        assert forearm == pytest.approx(proportions_of(rest).forearm, rel=0.04)
        measured.append(forearm)
    target = proportions_of(long).forearm - proportions_of(short).forearm
    assert measured[1] - measured[0] == pytest.approx(target, abs=0.02)


@pytest.fixture(scope="module")
def taught_folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("taught")
    TaughtSigns(folder).add(DATA / "openpose.pose", "광화문")
    return folder


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["lexicon", "Transformer", "Tacotron"])
def test_a_sentence_with_a_taught_word_signs_the_taught_clip(taught_folder, backend):
    pipe = SignPipeline(backend, "avatar", signs=taught_folder)
    res = pipe.run("광화문역에서 내려요", signer=2)
    assert res.gloss.glosses == ["광화문", "지하철", "내리다"]
    assert [it.source for it in res.gloss.items][0] == "taught"
    assert res.gloss.coverage["taught"] == 1
    (span,) = [t for t in res.pose.timings if t.gloss == "광화문"]
    assert [t.gloss for t in res.pose.timings] == ["광화문", "지하철", "내리다"]
    stored = pipe.signs.clip("광화문")
    rest = pipe.text2pose(backend).rest_pose(2)
    expected = fit_clip(stored.keypoints, stored.mask, stored.fps, rest, res.pose.fps)
    got = res.pose.keypoints[span.start : span.end]
    assert got.shape == expected.shape
    assert np.allclose(got, expected, atol=1e-5)
    # and it is the recorded motion: the wrist path follows the stored clip's
    ok = stored.mask[:, sk.R_WRIST]
    recorded = np.interp(np.linspace(0, 1, len(got)), np.linspace(0, 1, ok.sum()),
                         stored.keypoints[ok, sk.R_WRIST, 1])  # fmt: skip
    assert np.corrcoef(recorded, got[:, sk.R_WRIST, 1])[0, 1] > 0.95
    assert res.pose.extras["taught"] == ["광화문"]


@pytest.mark.slow
def test_taught_only_captions_what_was_not_taught_over_the_rest_pose(taught_folder):
    pipe = SignPipeline("lexicon", "avatar", signs=taught_folder)
    res = pipe.run("광화문역에서 내려요", signer=1, taught_only=True)
    assert res.pose.extras["not_signed"] == ["지하철", "내리다"]
    rest = pipe.text2pose("lexicon", taught_only=True).rest_pose(1)
    for t in res.pose.timings[1:]:
        assert np.allclose(res.pose.keypoints[t.start : t.end], rest, atol=1e-5), t
    assert "지하철" in res.pose.gloss_per_frame()  # captioned
    from sign_pipeline.pipeline import signer_captions

    captions = signer_captions(res.pose, "signer")
    held = res.pose.timings[1]
    assert captions[held.start : held.end] == ["지하철 (not taught)"] * (held.end - held.start)
    assert captions[res.pose.timings[0].start] == "signer"
    plain = pipe.run("광화문역에서 내려요", signer=1)
    assert plain.pose.extras["not_signed"] == []


@pytest.mark.slow
def test_taught_finger_letters_are_used_when_a_name_is_fingerspelled(tmp_path):
    store = TaughtSigns(tmp_path / "letters")
    store.add(DATA / "openpose_json", "ㅏ", replace=True, builtin=builtin_glosses())
    pipe = SignPipeline("lexicon", "avatar", signs=store)
    res = pipe.run("짜장면", signer=1)
    assert res.gloss.glosses == ["ㅉ", "ㅏ", "ㅈ", "ㅏ", "ㅇ", "ㅁ", "ㅕ", "ㄴ"]
    assert res.gloss.fingerspelled_words() == ["짜장면"]
    assert res.pose.extras["taught"] == ["ㅏ", "ㅏ"]
    stored = store.clip("ㅏ")
    rest = pipe.text2pose("lexicon").rest_pose(1)
    expected = fit_clip(stored.keypoints, stored.mask, stored.fps, rest, res.pose.fps)
    for t in [t for t in res.pose.timings if t.gloss == "ㅏ"]:
        assert np.allclose(res.pose.keypoints[t.start : t.end], expected, atol=1e-5)
    only = pipe.run("짜장면", signer=1, taught_only=True)
    assert set(only.pose.extras["not_signed"]) == set(res.gloss.glosses) - {"ㅏ"}


def test_the_cli_teaches_lists_and_refuses_with_exit_2(tmp_path):
    src = write_recording(tmp_path, "wave.pose", fake_recording((10, 40)))
    folder = tmp_path / "cli_signs"

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "sign_pipeline.signs", "--signs", str(folder),
                               *map(str, args)], capture_output=True, text=True, cwd=ROOT)  # fmt: skip

    done = cli("add", src, "--gloss", "우리역")
    assert done.returncode == 0, done.stderr
    assert "taught 우리역: 34 frames" in done.stdout
    listed = json.loads(cli("list", "--json").stdout)
    assert [e["gloss"] for e in listed] == ["우리역"]
    refused = cli("add", src, "--gloss", "지하철")
    assert refused.returncode == 2 and "add --replace" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_a_pipeline_without_taught_signs_is_unchanged(tmp_path):
    empty = SignPipeline("lexicon", "avatar", signs=tmp_path / "none")
    res = empty.run("화장실이 어디예요?", signer=1)
    inputs = GlossInput.from_gloss_result(res.gloss)
    base = empty.backend("text2pose", "lexicon").sign(inputs, 1, 1.0)
    assert np.array_equal(res.pose.keypoints, base.keypoints)
    assert "taught" not in res.gloss.coverage
    with pytest.raises(PipelineError):
        empty.run("", signer=1)


@pytest.mark.slow
def test_the_sign_command_uses_taught_signs_and_taught_only(taught_folder, tmp_path):
    done = subprocess.run([sys.executable, "-m", "sign_pipeline", "광화문역에서 내려요", "--signs",
                           str(taught_folder), "--taught-only", "-o", str(tmp_path / "a.mp4")],
                          capture_output=True, text=True, cwd=ROOT)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "taught signs: 광화문" in done.stdout
    assert "not taught (shown as text): 지하철 내리다" in done.stdout
    assert (tmp_path / "a.mp4").stat().st_size > 10_000
