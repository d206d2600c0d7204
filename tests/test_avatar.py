"""The avatar: drawing, missing points, the appearance of every signer id, the backend.

Placement and retargeting are tested in test_placement.py, speed in benchmarks/render_speed.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from sign_pipeline import registry, signers
from sign_pipeline import skeleton as sk
from sign_pipeline.pose2video.appearances import (
    _HANDMADE,
    SIGNERS,
    SIGNERS_BY_ID,
    Appearance,
    derived_appearance,
    get_appearance,
)
from sign_pipeline.pose2video.avatar import AvatarRenderer
from sign_pipeline.pose2video.avatar_drawing import _background, render_avatar
from sign_pipeline.pose2video.placement import to_pixels
from training.corpus.parametric_signer import synthesize
from training.corpus.signer_styles import get_style


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


def test_handmade_signers_and_lookup():
    assert [a.name for a in SIGNERS] == ["REAL01", "REAL02", "REAL03", "REAL04"]
    assert get_appearance("REAL03") is SIGNERS_BY_ID["REAL03"] is get_appearance(3)
    assert get_appearance(None) is SIGNERS[0]
    app = SIGNERS[1]
    assert get_appearance(app) is app and isinstance(app, Appearance)
    for bad in ("nobody", 0, 17, "REAL17"):
        with pytest.raises(ValueError):
            get_appearance(bad)
    # each identity looks different: hair, clothing, skin, proportions
    looks = {(a.skin, a.hair, a.hair_style, a.shirt) for a in SIGNERS}
    assert len(looks) == len(SIGNERS)
    assert len({(a.upper_arm, a.forearm, a.hand, a.face_width) for a in SIGNERS}) == len(SIGNERS)
    assert all(a.label.startswith(a.name) for a in SIGNERS)


ALL_IDS = range(1, signers.NUM_SIGNERS + 1)


def test_every_signer_id_has_an_appearance_named_after_it():
    for n in ALL_IDS:
        app = get_appearance(n)
        assert app.name == f"REAL{n:02d}"
        assert get_appearance(app.name) == app
        assert app.description and app.label == f"{app.name} · {app.description}"
    # the hand-made four keep ids 1-4; the others are derived from the id
    assert [get_appearance(n) for n in (1, 2, 3, 4)] == list(_HANDMADE)
    assert get_appearance(6) == derived_appearance(6)


def test_derived_appearances_are_deterministic():
    fresh = derived_appearance.__wrapped__  # bypass the cache: computed again from the id
    for n in range(5, signers.NUM_SIGNERS + 1):
        assert fresh(n) == get_appearance(n)
    # pinned, so a signer keeps their look from version to version (and on every machine)
    assert get_appearance(6).description == "auburn bob, orange shirt"
    assert get_appearance(10).description == "dark brown bob, mustard sweater"
    assert get_appearance(6).shoulder_width == pytest.approx(68.754)


def test_derived_appearances_are_plausible():
    """Within the hand-made signers' proportions and placement; light background, real words."""

    def span(field):
        values = [getattr(a, field) for a in _HANDMADE]
        return min(values) - 1e-9, max(values) + 1e-9

    proportions = ("upper_arm", "forearm", "hand", "face_width", "chin", "torso", "hip_width",
                   "shoulder_drop")  # fmt: skip
    for n in range(5, signers.NUM_SIGNERS + 1):
        app = get_appearance(n)
        for field in proportions:
            lo, hi = span(field)
            assert lo <= getattr(app, field) <= hi, (n, field)
        assert 68 <= app.shoulder_width <= 84
        assert 124 <= app.neck[0] <= 132 and 104 <= app.neck[1] <= 118
        assert min(app.background) >= 190  # the signer stands out against it
        assert app.hair_style in ("short", "long", "bob", "bun")
        assert app.sleeves in ("short", "long") and app.collar in ("round", "v")
        r, g, b = app.skin
        assert r >= g >= b  # a skin tone, not a stray colour


def test_different_ids_look_different(clip):
    apps = [get_appearance(n) for n in ALL_IDS]
    assert len({(a.skin, a.hair, a.hair_style, a.shirt) for a in apps}) == len(apps)
    assert len({a.shirt for a in apps[4:]}) == len(apps) - 4  # every derived id its own clothes
    assert len({a.description for a in apps}) == len(apps)
    # drawn: the same pose as two different signers differs visibly, for every pair
    mask = np.ones(clip.keypoints.shape[:2], bool)
    norm, _ = sk.normalize(clip.keypoints, mask)
    frames = np.stack([AvatarRenderer().render(norm[5:6], mask[5:6], n)[0] for n in ALL_IDS])
    f = frames.astype(np.int16)
    diff = np.abs(f[:, None] - f[None]).mean(axis=(2, 3, 4))
    off_diagonal = diff[~np.eye(len(frames), dtype=bool)]
    assert off_diagonal.min() > 3, diff.round(1)


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


def test_backend_renders_normalised_keypoints_per_signer(clip):
    backend = registry.load("pose2video", "avatar")
    assert isinstance(backend, AvatarRenderer)
    kp, mask = clip.keypoints[:4], np.ones((4, 127), bool)
    norm, _ = sk.normalize(kp, mask)
    one = backend.render(norm, mask, signer=1)
    two = backend.render(norm, mask, signer=2)
    assert one.shape == (4, 256, 256, 3) and one.dtype == np.uint8
    assert np.abs(one.astype(int) - two.astype(int)).mean() > 5
    # the backend is the placement + the drawing, nothing else
    app = get_appearance(2)
    np.testing.assert_array_equal(two, render_avatar(to_pixels(norm, 2, mask), mask, app))


def test_backend_shows_any_signer_id_of_real_data(clip):
    """Real data has signers 2, 6, 10: each renders as its own person, described for menus."""
    backend = AvatarRenderer()
    assert backend.signers() is None  # any id 1..16
    kp, mask = clip.keypoints[:2], np.ones((2, 127), bool)
    norm, _ = sk.normalize(kp, mask)
    frames = {n: backend.draw(norm, mask, signer=n) for n in (2, 6, 10)}
    assert frames[6].shape == (2, 256, 256, 3)
    assert np.abs(frames[6].astype(int) - frames[10].astype(int)).mean() > 5
    # the background corner shows the signer's own background colour
    for n in (6, 10):
        corner = frames[n][0, 2, 2].astype(int)
        assert np.abs(corner - np.array(get_appearance(n).background)).max() < 20
    assert backend.describe_signer(6) == get_appearance(6).description
    assert backend.describe_signer(1) == "short dark hair, blue shirt"
