"""The stick-figure rasteriser: the image the learned pose-to-video models take as input."""

from __future__ import annotations

import numpy as np
import pytest

from sign_pipeline import skeleton as sk
from sign_pipeline.pose2video.placement import to_pixels
from sign_pipeline.pose2video.stickfigure import (
    GAN_INPUT,
    StickStyle,
    _draw_groups,
    draw_stick_figure,
)
from training.corpus.parametric_signer import synthesize
from training.corpus.signer_styles import get_style

BODY_COLOURS = [GAN_INPUT.trunk, GAN_INPUT.right_arm, GAN_INPUT.left_arm]


@pytest.fixture(scope="module")
def pose():
    """Normalised keypoints with every point present, and the frame mid first sign."""
    syn = synthesize(["감사", "어디"], get_style("REAL01"), np.random.default_rng(0))
    mask = np.ones(syn.keypoints.shape[:2], bool)
    norm, _ = sk.normalize(syn.keypoints, mask)
    _, start, end = syn.spans[0]
    return norm, mask, (start + end) // 2


def _hits(img: np.ndarray, xy: np.ndarray, colours, tol: int = 30, radius: int = 1) -> np.ndarray:
    """Per point: whether a pixel within ``radius`` is within ``tol`` of one of ``colours``."""
    out = []
    for x, y in np.round(xy).astype(int):
        patch = img[max(0, y - radius) : y + radius + 1, max(0, x - radius) : x + radius + 1]
        d = np.abs(patch[:, :, None, :].astype(int) - np.array(colours)[None, None]).sum(-1)
        out.append(bool((d <= tol).any()))
    return np.array(out)


def _count(img: np.ndarray, colours, tol: int = 30) -> int:
    """Pixels of the image within ``tol`` of one of ``colours``."""
    d = np.abs(img[:, :, None, :].astype(int) - np.array(colours)[None, None]).sum(-1)
    return int((d <= tol).any(-1).sum())


def test_shapes_and_dtype(pose):
    norm, mask, _ = pose
    frames = draw_stick_figure(norm[:3], mask[:3], signer=2)
    assert frames.shape == (3, 256, 256, 3) and frames.dtype == np.uint8
    one = draw_stick_figure(norm[1], mask[1], signer=2)
    np.testing.assert_array_equal(one, frames[1])
    assert draw_stick_figure(norm[:2], mask[:2], 2, size=128).shape == (2, 128, 128, 3)
    with pytest.raises(ValueError, match=r"\[T, 127, 2\]"):
        draw_stick_figure(np.zeros((3, 100, 2)), None, 1)
    with pytest.raises(ValueError, match="mask"):
        draw_stick_figure(norm[:3], mask[:2], 1)


def test_each_part_is_drawn_where_its_points_are(pose):
    norm, mask, t = pose
    img = draw_stick_figure(norm[t], mask[t], signer=1)
    px = to_pixels(norm[t], 1)
    # the hands: every point of a hand shows that hand's colours (the right hand in front)
    assert _hits(img, px[sk.RIGHT_HAND], GAN_INPUT.right_hand).mean() > 0.95
    assert _hits(img, px[sk.LEFT_HAND], GAN_INPUT.left_hand).mean() > 0.8
    # the face (thin white lines, so anti-aliased to greys): taking it away changes the
    # pixels at its points, and only inside the face, and they were grey-white
    no_face = mask[t].copy()
    no_face[sk.FACE] = False
    changed = (img != draw_stick_figure(norm[t], no_face, signer=1)).any(-1)
    face = px[sk.FACE][np.r_[0:17, 17:27, 36:48, 48:60]]
    near = [changed[y - 1 : y + 2, x - 1 : x + 2].any() for x, y in np.round(face).astype(int)]
    assert np.mean(near) > 0.9
    ys, xs = np.nonzero(changed)
    lo, hi = px[sk.FACE].min(0) - 3, px[sk.FACE].max(0) + 3
    assert (xs >= lo[0]).all() and (xs <= hi[0]).all() and (ys >= lo[1]).all()
    assert (ys <= hi[1]).all()
    grey = img[changed].astype(int)
    assert (np.ptp(grey, axis=1) <= 2).mean() > 0.95
    # the body: shoulders, elbows, hips
    body = px[[sk.R_SHOULDER, sk.L_SHOULDER, sk.R_ELBOW, sk.L_ELBOW, sk.MID_HIP]]
    assert _hits(img, body, BODY_COLOURS).all()
    # each finger in its own colour: the index fingertip of the right hand is the index's
    tip = px[sk.RIGHT_HAND.start + 8][None]
    index_colour, pinky_colour = GAN_INPUT.right_hand[1], GAN_INPUT.right_hand[4]
    assert _hits(img, tip, [index_colour], tol=10).all()
    # far from the figure nothing is drawn
    assert (img[:, :20] == 0).all() and (img[:, -20:] == 0).all()
    assert _count(img, [pinky_colour], tol=10) > 0


def test_every_bone_is_drawn_once_in_one_group():
    bones = [
        tuple(p) for pairs, _, _ in _draw_groups(GAN_INPUT, 256) for p in pairs if p[0] != p[1]
    ]
    assert sorted(bones) == sorted(sk.EDGES)


def test_a_masked_hand_leaves_no_trace(pose):
    norm, mask, t = pose
    full = draw_stick_figure(norm[t], mask[t], 1)
    m = mask[t].copy()
    m[sk.RIGHT_HAND] = False
    img = draw_stick_figure(norm[t], m, 1)
    assert _count(full, GAN_INPUT.right_hand, tol=10) > 50
    assert _count(img, GAN_INPUT.right_hand, tol=10) == 0
    assert _count(img, GAN_INPUT.left_hand, tol=10) > 50  # the other hand is still there


def test_a_missing_point_takes_only_its_own_bones():
    """A straight right index finger alone; without its tip, only the last bone goes."""
    r = sk.RIGHT_HAND.start
    index = [r, r + 5, r + 6, r + 7, r + 8]  # wrist, knuckle, two joints, tip
    kp = np.zeros((127, 2), np.float32)
    kp[index] = [(0.0, 0.6 - 0.12 * i) for i in range(5)]
    mask = np.zeros(127, bool)
    mask[index] = True
    px = to_pixels(kp, 1)
    colour = [GAN_INPUT.right_hand[1]]
    mids = (px[index[:-1]] + px[index[1:]]) / 2  # the middle of each bone
    assert _hits(draw_stick_figure(kp, mask, 1), mids, colour, tol=10, radius=0).all()
    mask[r + 8] = False
    img = draw_stick_figure(kp, mask, 1)
    assert _hits(img, mids, colour, tol=10, radius=0).tolist() == [True, True, True, False]
    assert _count(img, GAN_INPUT.right_hand[2:] + GAN_INPUT.left_hand, tol=10) == 0


def test_nothing_present_is_a_black_frame(pose):
    norm, mask, _ = pose
    nothing = draw_stick_figure(norm[:2], np.zeros((2, 127), bool), 1)
    assert nothing.shape == (2, 256, 256, 3) and not nothing.any()
    nan = np.full((1, 127, 2), np.nan, np.float32)
    assert not draw_stick_figure(nan, None, 1).any()  # NaN points are missing


def test_nan_and_far_out_points_do_not_break_the_rest(pose):
    norm, mask, t = pose
    good = draw_stick_figure(norm[t], mask[t], 1)
    kp = norm[t].copy()
    kp[sk.LEFT_HAND.start + 4] = np.nan  # a NaN thumb tip: that bone is left out
    kp[sk.FACE.start + 5] = (1e9, -1e9)  # an absurd jaw point: drawn off-frame, no crash
    img = draw_stick_figure(kp, mask[t], 1)
    assert img.shape == (256, 256, 3)
    right = slice(0, 128)  # the image's left half: the signer's right hand, untouched
    np.testing.assert_array_equal(img[180:, right], good[180:, right])


def test_pixel_keypoints_give_the_same_figure(pose):
    norm, mask, t = pose
    px = to_pixels(norm[t : t + 2], 3, mask[t : t + 2])
    np.testing.assert_array_equal(
        draw_stick_figure(px, mask[t : t + 2], 3, pixel=True),
        draw_stick_figure(norm[t : t + 2], mask[t : t + 2], 3),
    )


def test_the_signer_moves_the_figure_and_size_scales_it(pose):
    norm, mask, t = pose
    one = draw_stick_figure(norm[t], mask[t], 1)
    four = draw_stick_figure(norm[t], mask[t], 4)
    assert np.abs(one.astype(int) - four.astype(int)).sum() > 0  # REAL04 stands lower, wider
    big = draw_stick_figure(norm[t], mask[t], 1, size=512)
    px = to_pixels(norm[t], 1, size=512)
    assert _hits(big, px[sk.RIGHT_HAND], GAN_INPUT.right_hand).mean() > 0.95


def test_a_style_changes_colours_not_places(pose):
    norm, mask, t = pose
    grey = StickStyle(
        background=(255, 255, 255), trunk=(0, 0, 0), right_arm=(0, 0, 0), left_arm=(0, 0, 0),
        face=(0, 0, 0), right_hand=((0, 0, 0),) * 5, left_hand=((0, 0, 0),) * 5,
    )  # fmt: skip
    drawn_gan = draw_stick_figure(norm[t], mask[t], 1).any(-1)
    drawn_grey = (draw_stick_figure(norm[t], mask[t], 1, style=grey) < 255).any(-1)
    overlap = (drawn_gan & drawn_grey).sum() / drawn_gan.sum()
    assert overlap > 0.97
