"""``training.build_lexicon`` on a prepared small corpus."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sign_pipeline.text2pose.base import GlossInput
from sign_pipeline.text2pose.lexicon import LexiconText2Pose
from training.build_lexicon import build
from training.dataset import load_manifest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def built(small_prepared, tmp_path_factory):
    out = tmp_path_factory.mktemp("lex") / "lexicon"
    return out, build(small_prepared, out)


def test_every_split_gives_glosses_by_default(small_prepared, built):
    out, summary = built
    lex = LexiconText2Pose.from_pretrained(out)
    records = load_manifest(small_prepared)
    data_glosses = {g["gloss"] for r in records for g in r["glosses"]}
    assert lex.known_glosses() == data_glosses == set(summary["gloss_list"])
    assert lex.signers() == sorted({r["signer_index"] + 1 for r in records})
    only_train = build(small_prepared, out.parent / "train_only", ("train",))
    assert set(only_train["gloss_list"]) < data_glosses  # test sentences bring their own


def test_a_word_clip_is_what_the_lexicon_signs(small_prepared, built):
    out, _ = built
    lex = LexiconText2Pose.from_pretrained(out)
    word = next(r for r in load_manifest(small_prepared) if r["kind"] == "WORD")
    gloss, signer = word["glosses"][0]["gloss"], word["signer_index"] + 1
    stored = lex.clips[(signer, gloss)]
    assert len(stored) == word["n_frames"]
    res = lex.sign(GlossInput.from_glosses([gloss]), signer=signer)
    t = res.timings[0]
    played = res.keypoints[t.start : t.end]
    # the played clip is the stored one (low-passed once more as part of the sentence)
    n = min(len(played), len(stored))
    mid = slice(n // 4, 3 * n // 4)
    assert np.abs(played[mid] - stored[: len(played)][mid]).mean() < 0.03


def test_command_prints_what_it_has_and_lacks(small_prepared, tmp_path):
    out = tmp_path / "lex"
    proc = subprocess.run(
        [sys.executable, "-m", "training.build_lexicon", "--data", str(small_prepared),
         "--out", str(out)],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "glosses:" in proc.stdout and "gloss-stage glosses with no clip" in proc.stdout
    assert json.loads((out / "config.json").read_text("utf-8"))["splits"] == ["train", "dev", "test"]


def test_no_usable_data_is_a_clear_error_and_writes_nothing(tmp_path):
    empty = tmp_path / "prepared"
    empty.mkdir()
    (empty / "manifest.jsonl").write_text("")
    out = tmp_path / "lex"
    with pytest.raises(ValueError, match="no clips"):
        build(empty, out)
    assert not out.exists()
    proc = subprocess.run(
        [sys.executable, "-m", "training.build_lexicon", "--data", str(tmp_path / "nothing"),
         "--out", str(out)],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2 and "no manifest" in proc.stderr and not out.exists()


def test_a_hand_never_seen_hangs_from_its_wrist_and_a_clip_without_shoulders_is_unusable():
    from sign_pipeline import skeleton as sk
    from training.build_lexicon import complete, rest_pose

    kp = np.repeat(sk.neutral_pose()[None], 6, axis=0)
    kp[:, sk.L_WRIST] += np.linspace(0, 0.5, 6)[:, None]  # the left arm moves
    mask = np.ones(kp.shape[:2], bool)
    mask[:, sk.LEFT_HAND] = False  # a one-handed sign: the left hand is never found
    mask[2, sk.R_ELBOW] = False  # a dropped detection inside the clip
    out = complete(kp, mask)
    assert out is not None
    expected = kp[:, sk.L_WRIST][:, None] + sk.neutral_hand("left")[None]
    np.testing.assert_allclose(out[:, sk.LEFT_HAND], expected, atol=1e-6)
    np.testing.assert_allclose(out[2, sk.R_ELBOW], kp[2, sk.R_ELBOW], atol=1e-6)
    mask[:, sk.R_SHOULDER] = False
    assert complete(kp, mask) is None
    # a rest pose with hands out of the picture: hands on the wrists, not at the neck (0, 0)
    rest = sk.neutral_pose()
    rest[sk.RIGHT_HAND] = np.nan
    r = rest_pose([rest, rest])
    np.testing.assert_allclose(r[sk.RIGHT_HAND], sk.neutral_pose()[sk.RIGHT_HAND], atol=1e-6)


def test_rebuilding_replaces_the_lexicon_files_and_keeps_the_rest(small_prepared, tmp_path):
    out = tmp_path / "lexicon"
    build(small_prepared, out, ("train",))
    (out / "README.md").write_text("model card")
    summary = build(small_prepared, out)  # every split: more glosses than the first build
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "clips.npz", "config.json"]
    assert (out / "README.md").read_text() == "model card"
    assert LexiconText2Pose.from_pretrained(out).known_glosses() == set(summary["gloss_list"])
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no build left over
