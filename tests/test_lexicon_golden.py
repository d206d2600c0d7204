"""The lexicon backend's output on the example sentences is pinned (refactors change nothing).

The one intended change since the pin: in a multi-sentence input only the question sentence
gets the question face (before, the last sentence's glosses got it whatever it was).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from sign_pipeline import skeleton as sk
from sign_pipeline.gloss import text_to_gloss
from sign_pipeline.text2pose.base import GlossInput
from sign_pipeline.text2pose.lexicon import LexiconText2Pose
from tests.make_lexicon_golden import (
    CHECKPOINT,
    GOLDEN,
    MULTI_SENTENCE,
    checkpoint_sha256,
    fingerprint,
)

GOLD = json.loads(GOLDEN.read_text("utf-8"))


@pytest.fixture(scope="module")
def lexicon() -> LexiconText2Pose:
    assert (CHECKPOINT / "config.json").is_file(), f"shipped checkpoint missing: {CHECKPOINT}"
    return LexiconText2Pose.from_pretrained(CHECKPOINT)


def test_golden_file_belongs_to_the_shipped_checkpoint():
    assert GOLD["checkpoint_sha256"] == checkpoint_sha256(), (
        "checkpoints/lexicon changed: if on purpose, run python -m tests.make_lexicon_golden"
    )


@pytest.mark.parametrize("row", GOLD["rows"], ids=lambda r: f"{r['signer']}-{r['text'][:12]}")
def test_examples_sign_as_before(lexicon, row):
    g = text_to_gloss(row["text"], vocabulary=lexicon.known_glosses())
    kp = lexicon.sign(GlossInput.from_gloss_result(g), signer=row["signer"]).keypoints
    assert len(kp) == row["frames"]
    got = fingerprint(kp)
    for block, (total, squares) in row["fingerprint"].items():
        if block == "face" and row.get("face_changed_by_question_fix"):
            assert not np.isclose(got[block][1], squares, rtol=0, atol=1e-3)
            continue
        assert got[block][0] == pytest.approx(total, abs=2e-3), block
        assert got[block][1] == pytest.approx(squares, rel=1e-6, abs=2e-3), block


def test_only_the_question_sentence_gets_the_question_face(lexicon):
    g = text_to_gloss(MULTI_SENTENCE, vocabulary=lexicon.known_glosses())
    inp = GlossInput.from_gloss_result(g)
    assert [s.question for s in inp.sentences] == ["wh", None]
    out = lexicon.sign(inp, signer=1)
    plain = GlossInput.from_glosses(inp.glosses)
    ref = lexicon.sign(plain, signer=1).keypoints
    brows = np.r_[sk.FACE.start + 17 : sk.FACE.start + 27]
    n_first = len(inp.sentences[0].glosses)
    q_end = out.timings[n_first - 1].end
    second = slice(q_end + 6, None)  # after the face has ramped out
    # brows differ from the plain signing during the question, are the same afterwards
    assert np.abs(out.keypoints[:q_end, brows] - ref[:q_end, brows]).max() > 0.01
    np.testing.assert_allclose(out.keypoints[second, brows], ref[second, brows], atol=1e-6)
