"""The avatar renderer: API, missing points, retargeting, speed."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from sign_pipeline import registry
from sign_pipeline import skeleton as sk
from sign_pipeline.formats.openpose import read_openpose_folder
from sign_pipeline.pose2video.avatar import (
    SIGNERS,
    SIGNERS_BY_ID,
    Appearance,
    AvatarRenderer,
    _background,
    get_appearance,
    render_avatar,
    retarget,
    to_signer_frame,
)
from training.corpus.motion import synthesize
from training.corpus.signers import get_style

REAL = Path(__file__).parent / "data" / "openpose_json"  # real OpenPose frames (MIT, see NOTICE)


@pytest.fixture(scope="module")
def clip():
    syn = synthesize(["지하철", "어디"], get_style("REAL01"), np.random.default_rng(0))
    return syn


def test_shapes_and_types(clip):
    kp = clip.keypoints
    frames = render_avatar(kp[:5], None, "REAL01")
    assert frames.shape == (5, 256, 256, 3) and frames.dtype == np.uint8
    one = render_avatar(kp[0], np.ones(127, bool), SIGNERS[0])
    assert one.shape == (256, 256, 3)
    np.testing.assert_array_equal(one, frames[0])
    small = render_avatar(kp[0], None, "REAL01", size=128)
    assert small.shape == (128, 128, 3)
    with pytest.raises(ValueError, match=r"\[T, 127, 2\]"):
        render_avatar(np.zeros((3, 100, 2)), None, "REAL01")


def test_signers_and_lookup():
    assert len(SIGNERS) >= 4 and [a.name for a in SIGNERS[:4]] == [
        "REAL01",
        "REAL02",
        "REAL03",
        "REAL04",
    ]
    assert get_appearance("REAL03") is SIGNERS_BY_ID["REAL03"] is get_appearance(3)
    assert get_appearance(None) is SIGNERS[0]
    app = SIGNERS[1]
    assert get_appearance(app) is app and isinstance(app, Appearance)
    assert get_appearance("REAL07").name == "REAL07"  # real data ids beyond the four reuse them
    with pytest.raises(ValueError):
        get_appearance("nobody")
    # each identity looks different: hair, clothing, skin, proportions
    looks = {(a.skin, a.hair, a.hair_style, a.shirt) for a in SIGNERS}
    assert len(looks) == len(SIGNERS)
    assert len({(a.upper_arm, a.forearm, a.hand, a.face_width) for a in SIGNERS}) == len(SIGNERS)
    assert all(a.label.startswith(a.name) for a in SIGNERS)


def test_nothing_present_draws_only_the_background():
    kp = np.zeros((127, 2), np.float32)
    frame = render_avatar(kp, np.zeros(127, bool), "REAL02")
    np.testing.assert_array_equal(frame, _background(SIGNERS[1], 256))


def test_missing_hand_is_not_drawn(clip):
    t = clip.spans[0][1] + 8
    kp = clip.keypoints[t]
    full = render_avatar(kp, np.ones(127, bool), "REAL01")
    mask = np.ones(127, bool)
    mask[sk.RIGHT_HAND] = False
    no_hand = render_avatar(kp, mask, "REAL01")
    xy = np.round(kp[sk.RIGHT_HAND][[4, 8, 12, 16, 20]]).astype(int)  # fingertips
    diff = np.abs(full[xy[:, 1], xy[:, 0]].astype(int) - no_hand[xy[:, 1], xy[:, 0]]).sum(-1)
    assert (diff > 0).mean() >= 0.8
    # a hand with fewer than 10 of its 21 points is not drawn either
    mask2 = np.ones(127, bool)
    mask2[sk.RIGHT_HAND.start + 1 : sk.RIGHT_HAND.start + 13] = False
    np.testing.assert_array_equal(render_avatar(kp, mask2, "REAL01"), no_hand)


def test_missing_face_falls_back_to_a_head_from_the_pose_points(clip):
    kp = clip.keypoints[0]
    mask = np.ones(127, bool)
    mask[sk.FACE] = False
    frame = render_avatar(kp, mask, "REAL01")
    nose = np.round(kp[sk.NOSE]).astype(int)
    skin = np.array(SIGNERS[0].skin)
    assert np.abs(frame[nose[1], nose[0]].astype(int) - skin).sum() < 60


def test_front_hand_decides_overlap():
    syn = synthesize(["감사"], get_style("REAL01"), np.random.default_rng(0), citation=True)
    _, s, e = syn.spans[0]
    t = (s + e) // 2
    kp = syn.keypoints[t]
    right = render_avatar(kp, None, "REAL01", front_hand="right")
    left = render_avatar(kp, None, "REAL01", front_hand="left")
    assert np.abs(right.astype(int) - left.astype(int)).sum() > 0
    per_frame = render_avatar(syn.keypoints[t : t + 2], None, "REAL01", front_hand=[True, True])
    np.testing.assert_array_equal(per_frame[0], right)
    with pytest.raises(ValueError, match="front_hand"):
        render_avatar(kp, None, "REAL01", front_hand="middle")


def test_to_signer_frame_places_neck_and_shoulders():
    app = SIGNERS[2]
    norm = np.zeros((1, 127, 2), np.float32)
    norm[0, sk.R_SHOULDER] = (-0.5, 0.0)
    norm[0, sk.L_SHOULDER] = (0.5, 0.0)
    norm[0, sk.R_WRIST] = (-0.3, 1.0)
    mask = np.zeros((1, 127), bool)
    mask[0, [sk.NECK, sk.R_SHOULDER, sk.L_SHOULDER, sk.R_WRIST]] = True
    px = to_signer_frame(norm, app, mask)
    np.testing.assert_allclose(px[0, sk.NECK], app.neck)
    assert px[0, sk.L_SHOULDER, 0] - px[0, sk.R_SHOULDER, 0] == pytest.approx(app.shoulder_width)
    np.testing.assert_allclose(
        px[0, sk.R_WRIST],
        (app.neck[0] - 0.3 * app.shoulder_width, app.neck[1] + app.shoulder_width),
        rtol=1e-6,
    )
    assert (px[0, ~mask[0]] == 0).all()


def test_retarget_a_real_person_into_the_signer_frame():
    seq, _ = read_openpose_folder(REAL)
    app = get_appearance("REAL02")
    px = retarget(seq.keypoints, seq.mask, app, rescale_bones=False)
    norm = sk.estimate_normalization(px, seq.mask)
    assert norm.center == pytest.approx(app.neck, abs=1e-3)
    assert norm.scale == pytest.approx(app.shoulder_width, rel=1e-4)
    assert (px[seq.mask] > -40).all() and (px[seq.mask] < 300).all()
    # bone rescaling gives the signer's forearm length
    px2 = retarget(seq.keypoints, seq.mask, app, rescale_bones=True)
    ok = seq.mask[:, sk.R_ELBOW] & seq.mask[:, sk.R_WRIST]
    fore = np.median(np.linalg.norm(px2[ok, sk.R_ELBOW] - px2[ok, sk.R_WRIST], axis=-1))
    assert fore == pytest.approx(app.forearm * app.shoulder_width, rel=1e-3)
    frames = render_avatar(px2, seq.mask, app)
    assert frames.shape == (len(seq), 256, 256, 3)


def test_backend_renders_normalised_keypoints_per_signer(clip):
    backend = registry.load("pose2video", "avatar")
    assert isinstance(backend, AvatarRenderer)
    kp, mask = clip.keypoints[:4], np.ones((4, 127), bool)
    norm, _ = sk.normalize(kp, mask)
    one = backend.render(norm, mask, signer=1)
    two = backend.render(norm, mask, signer=2)
    assert one.shape == (4, 256, 256, 3)
    assert np.abs(one.astype(int) - two.astype(int)).mean() > 5


def test_fast_enough_to_render_live(clip):
    kp = clip.keypoints
    render_avatar(kp[:3], None, "REAL02")  # warm caches
    t0 = time.perf_counter()
    frames = render_avatar(kp, None, "REAL02")
    per_frame = (time.perf_counter() - t0) / len(frames)
    assert per_frame < 0.012, f"{per_frame * 1000:.1f} ms per frame"  # ~2 ms on an idle core
