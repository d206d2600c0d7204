"""The parametric signer's kinematics and timeline."""

from __future__ import annotations

import numpy as np
import pytest

from sign_pipeline import skeleton as sk
from sign_pipeline.metrics import pooled_motion_stats
from sign_pipeline.motion import minimum_jerk_profile
from training.corpus import kinematics as kin
from training.corpus.noise import add_detection_noise
from training.corpus.parametric_signer import (
    Body,
    build_timeline,
    plan_sign,
    synthesize,
    transition,
)
from training.corpus.sentences import all_sentences
from training.corpus.signer_styles import STYLES, get_style
from training.corpus.stats import check, format_table


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def test_arm_ik_reaches_and_keeps_bone_lengths():
    shoulder = np.array([[-0.5, 0.0, 0.0]] * 3)
    target = np.array([[0.0, -0.4, 0.4], [-0.3, 0.6, 0.5], [0.2, 0.5, 0.6]])
    elbow, wrist = kin.arm_ik(shoulder, target, 0.8, 0.7, outward=-1.0)
    np.testing.assert_allclose(wrist, target, atol=1e-9)
    np.testing.assert_allclose(np.linalg.norm(elbow - shoulder, axis=-1), 0.8, atol=1e-9)
    np.testing.assert_allclose(np.linalg.norm(wrist - elbow, axis=-1), 0.7, atol=1e-9)
    # the elbow hangs below the line shoulder -> wrist and outside (right arm: x smaller)
    mid = (shoulder + wrist) / 2
    assert (elbow[:, 1] > mid[:, 1]).all()
    # unreachable targets are pulled onto the shell
    far = np.array([[3.0, 0.0, 0.0]])
    e, w = kin.arm_ik(shoulder[:1], far, 0.8, 0.7, outward=-1.0)
    assert np.linalg.norm(w - shoulder[:1]) == pytest.approx(1.5 * 0.995)


def test_hand_frame_thumb_side():
    # right hand, palm toward the camera, fingers up: the thumb is on the image right
    rot = kin.hand_frame(np.array([0.0, 0.0, 1.0]), np.array([0.0, -1.0, 0.0]), "right")
    np.testing.assert_allclose(rot[:, 1], [1.0, 0.0, 0.0], atol=1e-12)
    rot_l = kin.hand_frame(np.array([0.0, 0.0, 1.0]), np.array([0.0, -1.0, 0.0]), "left")
    np.testing.assert_allclose(rot_l[:, 1], [-1.0, 0.0, 0.0], atol=1e-12)


def test_quaternions_round_trip_and_slerp_ends():
    rot = kin.axis_angle(np.array([[0.3, 0.5, 0.8]]), np.array([1.1]))
    q = kin.quat_from_matrix(rot)
    np.testing.assert_allclose(kin.matrix_from_quat(q), rot, atol=1e-9)
    q2 = kin.quat_from_matrix(np.eye(3)[None])
    np.testing.assert_allclose(kin.slerp(q, q2, np.array([0.0])), q, atol=1e-9)
    np.testing.assert_allclose(np.abs(kin.slerp(q, q2, np.array([1.0]))), np.abs(q2), atol=1e-9)


def test_transitions_follow_the_shared_minimum_jerk_profile():
    q = kin.quat_from_matrix(np.eye(3)[None])[0]
    a = (np.zeros(3), q, np.zeros(kin.N_ANGLES))
    b = (np.array([1.0, -0.5, 0.2]), q, np.ones(kin.N_ANGLES))
    tr = transition(a, b, 9)
    s = minimum_jerk_profile(np.arange(1, 10) / 10)
    np.testing.assert_allclose(tr.pos, s[:, None] * b[0], atol=1e-12)
    np.testing.assert_allclose(tr.shape[:, 0], s, atol=1e-12)
    assert not hasattr(kin, "minimum_jerk")  # one minimum-jerk curve: sign_pipeline.motion's


def test_citation_signs_are_longer_and_larger_than_in_a_sentence():
    style = get_style("REAL01")
    body = Body(style)
    for gloss in ("가다", "지하철", "감사"):
        word = plan_sign(gloss, body, style, _rng(0), 1.0, citation=True)
        inside = plan_sign(gloss, body, style, _rng(0), 1.0)
        assert len(word.dom) > 1.3 * len(inside.dom)
        assert word.n_pre + word.n_post > inside.n_pre + inside.n_post

        def extent(track):
            return np.linalg.norm(np.ptp(track.pos, axis=0))

        assert extent(word.dom) > 1.1 * extent(inside.dom)


def test_signing_moves_at_real_ksl_speed():
    """Wrist speed and hand size of a few clean sentences against the realism targets."""
    sentences = all_sentences()[::40]
    seqs = []
    for signer in ("REAL01", "REAL03"):
        for i, s in enumerate(sentences):
            syn = synthesize(list(s.glosses), get_style(signer), _rng(i), sentence=s.text)
            a, b = syn.spans[0][1], syn.spans[-1][2]
            seqs.append((syn.keypoints[a:b], np.ones((b - a, sk.NUM_POINTS), bool)))
    figures = pooled_motion_stats(seqs, 30.0, dominant="right")
    rows = [r for r in check(figures) if r.target.key in figures]
    assert len(rows) == 4 and all(r.ok for r in rows), format_table(rows)


def test_synthesize_shapes_spans_and_rest_pose():
    style = get_style("REAL01")
    syn = synthesize(["지하철", "어디"], style, _rng(), sentence="지하철 어디예요?")
    t_len = len(syn.keypoints)
    assert syn.keypoints.shape == (t_len, 127, 2) and syn.keypoints.dtype == np.float32
    assert [g for g, _, _ in syn.spans] == ["지하철", "어디"]
    s0, e0 = syn.spans[0][1], syn.spans[-1][2]
    assert 5 < s0 < e0 < t_len - 5
    for (_, a, b), (_, c, _) in zip(syn.spans, syn.spans[1:]):
        assert a < b == c  # contiguous, each non-empty
    # resting pose before and after: the dominant wrist is low and still
    wr = syn.keypoints[:, sk.R_WRIST]
    assert np.abs(wr[0] - wr[3]).max() < 1.0
    assert wr[0, 1] > wr[s0:e0].mean(0)[1] + 10
    assert np.abs(wr[-1] - wr[0]).max() < 3.0
    # everything inside the 256 x 256 frame
    assert syn.keypoints.min() > 0 and syn.keypoints.max() < 256


def test_final_sign_is_lengthened():
    style = get_style("REAL01")
    lengths = {"mid": [], "final": []}
    for seed in range(6):
        syn = synthesize(["표", "사다", "표"], style, _rng(seed))
        lengths["mid"].append(syn.spans[0][2] - syn.spans[0][1])
        lengths["final"].append(syn.spans[2][2] - syn.spans[2][1])
    assert np.mean(lengths["final"]) > np.mean(lengths["mid"]) + 3


def test_faster_signer_makes_shorter_clips():
    glosses = ["서울", "기차", "가다", "목적", "지하철", "바꾸다", "몇호"]
    fast = [len(synthesize(glosses, STYLES["REAL02"], _rng(s)).keypoints) for s in range(3)]
    slow = [len(synthesize(glosses, STYLES["REAL03"], _rng(s)).keypoints) for s in range(3)]
    assert np.mean(fast) < np.mean(slow) * 0.92


def test_handshape_change_is_anticipated():
    """The next sign's handshape starts forming before the hand leaves the previous sign
    and is complete before it arrives."""
    style = get_style("REAL01")
    body = Body(style)
    tl = build_timeline(["여기", "감사"], style, body, _rng(1))
    a, b = tl.transitions[1]  # the transition between the two signs
    shape = tl.dom.shape
    held = shape[tl.sign_ranges[0][1] - 4]  # still the first sign's handshape
    target = shape[b + 1]
    total = np.abs(target - held).sum()
    assert total > 1.0  # index -> flat hand
    # at the start of the location transition the shape has already moved
    assert np.abs(shape[a] - held).sum() > 0.05 * total
    # two frames before the hand arrives the new shape is complete
    np.testing.assert_allclose(shape[b - 2], target, atol=1e-9)
    # the location transition itself is minimum-jerk: slow - fast - slow
    speed = np.linalg.norm(np.diff(tl.dom.pos[a - 1 : b + 1], axis=0), axis=-1)
    assert speed[len(speed) // 2] > 2 * max(speed[0], speed[-1])


def test_question_and_negation_face_marks():
    style = get_style("REAL01")
    f = sk.FACE.start

    def brow_height(sentence, glosses):
        syn = synthesize(glosses, style, _rng(3), sentence=sentence)
        kp = syn.body_units
        _, s, e = syn.spans[-1]
        brow = kp[s:e, f + 17 : f + 27, 1].mean()
        eye = kp[s:e, f + 36 : f + 48, 1].mean()
        return eye - brow, syn

    q, _ = brow_height("표 있어요?", ["표", "있다"])
    n, _ = brow_height("표 있어요.", ["표", "있다"])
    assert q > n + 0.005  # raised brows on a yes/no question
    syn = synthesize(["표", "없다"], style, _rng(3), sentence="표 없어요.")
    nose_x = syn.body_units[:, sk.NOSE, 0] - syn.body_units[:, f + 8, 0]
    _, s, e = syn.spans[-1]
    assert np.ptp(nose_x[s:e]) > 2 * np.ptp(nose_x[: syn.spans[0][1]])  # head shake


def test_signer_bodies_differ():
    bodies = {k: Body(v) for k, v in STYLES.items()}
    props = {k: (b.upper, b.fore, b.hand, b.face_width) for k, b in bodies.items()}
    assert len(set(props.values())) == len(props)
    px = {k: v.appearance.shoulder_width for k, v in STYLES.items()}
    assert len(set(px.values())) == len(px)


def test_detection_noise_is_small_and_drops_points():
    style = get_style("REAL01")
    syn = synthesize(["가다", "오다", "가다", "오다"], style, _rng(0))
    noisy, mask = add_detection_noise(syn.keypoints, _rng(1), 78.0, 1.0)
    assert noisy.dtype == np.float32
    err = np.linalg.norm(noisy - syn.keypoints, axis=-1)[mask]
    assert np.median(err) < 1.0 and err.max() < 6.0
    assert (~mask).any() and mask.mean() > 0.9
    assert (noisy[~mask] == 0).all()
    # rounded like OpenPose output (3 decimals)
    np.testing.assert_allclose(noisy, np.round(noisy, 3), atol=1e-4)
