"""The text-to-pose interface: structured input, and speed/smoothing done for a backend."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sign_pipeline import motion
from sign_pipeline.gloss import text_to_gloss
from sign_pipeline.text2pose.base import GlossInput, PoseOutput, SentencePlan, Text2Pose


class Jittery(Text2Pose):
    """10 frames per gloss of a right wrist that jumps every frame (no speed, no smoothing)."""

    name = "jittery"
    handles_speed = False
    smooths = False

    @classmethod
    def from_pretrained(cls, path: str | Path) -> Jittery:
        return cls()

    def generate(self, inputs: GlossInput, signer: int = 1, speed: float = 1.0) -> PoseOutput:
        assert speed == 1.0  # sign() does the speed for this backend
        n = 10 * len(inputs)
        kp = np.zeros((n, 127, 2), np.float32)
        kp[:, 4, 0] = np.where(np.arange(n) % 2, 1.0, -1.0)  # the body's right wrist
        timings = [motion.GlossTiming(g, 10 * i, 10 * i + 10) for i, g in enumerate(inputs.glosses)]
        return PoseOutput(kp, np.ones((n, 127), bool), 30.0, timings)


def test_sign_applies_speed_and_smoothing_for_a_backend_that_cannot():
    b = Jittery()
    slow = b.sign(["가다", "오다", "내리다"], speed=0.5)
    fast = b.sign(["가다", "오다", "내리다"], speed=2.0)
    normal = b.sign(["가다", "오다", "내리다"])
    assert len(normal) == 30 and len(slow) == 60 and len(fast) == 15
    assert fast.timings[-1].end == 15 and slow.timings[1].start == 20
    # the 15 Hz jitter is gone after the 6 Hz low-pass (the face is never filtered)
    assert np.abs(np.diff(normal.keypoints[5:-5, 4, 0])).max() < 0.2


def test_gloss_input_keeps_each_sentence_and_its_marks():
    g = text_to_gloss("화장실이 어디예요? 지하철 환풍구에 가방이 빠졌어요.")
    inp = GlossInput.from_gloss_result(g)
    assert inp.glosses == g.glosses
    first, second = inp.sentences
    assert first.question == "wh" and first.glosses[first.question_start] == "어디"
    assert second.question is None and second.question_start == len(second.glosses)
    marks = inp.marks()
    assert [m["question"] for m in marks] == [None, "wh"] + [None] * len(second.glosses)
    assert {m["sentence"] for m in marks[2:]} == {1}


def test_negation_and_tense_reach_the_backend():
    inp = GlossInput.from_gloss_result(text_to_gloss("표를 못 샀어요"))
    (s,) = inp.sentences
    assert s.negation and s.tense == "past"
    assert all(m["negation"] for m in inp.marks())


def test_question_span_of_a_yes_no_question_is_its_last_two_glosses():
    inp = GlossInput.from_glosses(["교통카드", "충전", "되다"], question="yes_no")
    assert inp.sentences[0].question_start == 1
    with pytest.raises(ValueError, match="question"):
        SentencePlan(("가다",), question="why")
