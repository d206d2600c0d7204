"""The lexicon (concatenation) backend on small hand-made clips."""

from __future__ import annotations

import numpy as np
import pytest

from sign_pipeline import skeleton as sk
from sign_pipeline.motion import minimum_jerk, resample
from sign_pipeline.text2pose.base import GlossInput
from sign_pipeline.text2pose.lexicon import (
    QUANTUM,
    LexiconConfig,
    LexiconText2Pose,
    decode_clips,
    encode_clips,
)

REST = np.zeros((127, 2), np.float32)
REST[sk.R_HAND_WRIST] = (-0.6, 2.0)


def _clip(x: float, n: int = 30) -> np.ndarray:
    """The right hand sweeps from x to x + 0.5 (everything else at rest)."""
    c = np.repeat(REST[None], n, axis=0)
    c[:, sk.RIGHT_HAND, 0] = np.linspace(x, x + 0.5, n)[:, None]
    c[:, sk.RIGHT_HAND, 1] = 0.5
    return c


@pytest.fixture
def backend() -> LexiconText2Pose:
    clips = {(1, "가다"): _clip(0.0), (1, "오다"): _clip(1.0, 40), (1, "ㄱ"): _clip(-1.0, 10)}
    clips[(1, "ㅏ")] = _clip(-0.5, 10)
    return LexiconText2Pose(clips, {1: REST.copy()}, LexiconConfig())


def test_encode_decode_round_trip_within_quantum():
    rng = np.random.default_rng(0)
    clips = [rng.normal(size=(n, 127, 2)).astype(np.float32) for n in (3, 17, 1)]
    back = decode_clips(*encode_clips(clips))
    assert [len(c) for c in back] == [3, 17, 1]
    for a, b in zip(clips, back):
        assert np.abs(a - b).max() <= QUANTUM / 2 + 1e-6


def test_minimum_jerk_starts_and_ends_at_rest_velocity():
    a, b = np.zeros((127, 2), np.float32), np.ones((127, 2), np.float32)
    path = minimum_jerk(a, b, 9)[:, 0, 0]
    assert len(path) == 9 and np.all(np.diff(path) > 0)
    steps = np.diff(np.r_[0.0, path, 1.0])
    assert steps[0] < steps[4] and steps[-1] < steps[4]  # slow - fast - slow
    assert path[4] == pytest.approx(0.5, abs=1e-6)


def test_resample_changes_length_and_keeps_ends():
    c = _clip(0.0, 30)
    fast = resample(c, 0.5)
    assert len(fast) == 15
    assert np.allclose(fast[0], c[0]) and np.allclose(fast[-1], c[-1])


def test_generate_plays_glosses_in_order_from_rest_to_rest(backend):
    out = backend.sign(["가다", "오다"], signer=1)
    assert [t.gloss for t in out.timings] == ["가다", "오다"]
    a, b = out.timings
    assert 0 < a.start < a.end <= b.start < b.end < len(out)
    assert np.allclose(out.keypoints[0], REST, atol=1e-3)
    assert np.allclose(out.keypoints[-1], REST, atol=1e-3)
    # during 오다 the right hand is where that clip puts it (x in 1.0 .. 1.5)
    mid = (b.start + b.end) // 2
    assert 1.0 <= out.keypoints[mid, sk.R_HAND_WRIST, 0] <= 1.5
    assert out.mask.all()
    # smooth: no frame-to-frame jump larger than a fraction of a shoulder width
    assert np.abs(np.diff(out.keypoints, axis=0)).max() < 0.25


def test_unknown_gloss_is_a_clear_error_not_a_silent_drop(backend):
    with pytest.raises(ValueError, match="cannot sign 없는말"):
        backend.sign(["가다", "없는말", "오다"])


def test_speed_and_final_letter_hold(backend):
    normal = backend.sign(["가다", "오다"], speed=1.0)
    fast = backend.sign(["가다", "오다"], speed=2.0)
    assert len(fast) < 0.7 * len(normal)
    spelled = backend.sign(["ㄱ", "ㅏ"])
    first, last = spelled.timings
    assert (last.end - last.start) > 1.5 * (first.end - first.start)  # last letter held


def test_bad_signer_and_speed(backend):
    with pytest.raises(ValueError, match=r"signer 3 .*choose one of \[1\]"):
        backend.sign(["가다"], signer=3)
    with pytest.raises(ValueError, match="speed"):
        backend.sign(["가다"], speed=10)
    with pytest.raises(ValueError, match="no glosses"):
        backend.sign([])


def test_save_and_load_round_trip(backend, tmp_path):
    backend.save_pretrained(tmp_path)
    loaded = LexiconText2Pose.from_pretrained(tmp_path)
    assert loaded.known_glosses() == backend.known_glosses()
    a = backend.sign(["가다", "오다"])
    b = loaded.sign(["가다", "오다"])
    assert len(a) == len(b)
    assert np.abs(a.keypoints - b.keypoints).max() < 2e-3


def test_question_face_raises_or_knits_the_brows_on_the_last_signs(backend):
    plain = backend.sign(["가다", "오다"])
    yes_no = backend.generate(GlossInput.from_glosses(["가다", "오다"], question="yes_no"))
    wh = backend.generate(GlossInput.from_glosses(["가다", "오다"], question="wh"))
    brows = np.r_[sk.FACE.start + 17 : sk.FACE.start + 27]
    first, last = plain.timings
    mid_last = (last.start + last.end) // 2
    # the face is untouched before the question part (yes/no: the last two signs here)
    assert np.array_equal(plain.keypoints[:, sk.POSE], yes_no.keypoints[:, sk.POSE])
    assert np.array_equal(plain.keypoints[0], yes_no.keypoints[0])
    # yes/no: brows up (smaller y) by 0.05 shoulder widths at full strength
    lift = plain.keypoints[mid_last, brows, 1] - yes_no.keypoints[mid_last, brows, 1]
    assert np.allclose(lift, 0.05, atol=1e-5)
    # wh: brows lower and drawn together
    drop = wh.keypoints[mid_last, brows, 1] - plain.keypoints[mid_last, brows, 1]
    assert np.allclose(drop, 0.02, atol=1e-5)
    with pytest.raises(ValueError, match="question"):
        GlossInput.from_glosses(["가다"], question="maybe")
