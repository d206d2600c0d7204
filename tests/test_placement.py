"""One keypoints-to-pixels placement: the avatar, the stick figure and the skeleton panel line up."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sign_pipeline import render
from sign_pipeline import skeleton as sk
from sign_pipeline.formats.openpose import read_openpose_folder
from sign_pipeline.pose2video.appearances import get_appearance
from sign_pipeline.pose2video.avatar import AvatarRenderer
from sign_pipeline.pose2video.avatar_drawing import _palette
from sign_pipeline.pose2video.placement import retarget, to_pixels
from sign_pipeline.pose2video.stickfigure import GAN_INPUT, draw_stick_figure
from training.corpus.parametric_signer import synthesize
from training.corpus.signer_styles import get_style

REAL = Path(__file__).parent / "data" / "openpose_json"  # real OpenPose frames (MIT, see NOTICE)


@pytest.fixture(scope="module")
def pose():
    """Normalised keypoints of a short clip, every point present."""
    syn = synthesize(["지하철", "어디"], get_style("REAL01"), np.random.default_rng(0))
    mask = np.ones(syn.keypoints.shape[:2], bool)
    norm, _ = sk.normalize(syn.keypoints, mask)
    return norm, mask, syn.spans


def _one_point(x: float, y: float, point: int) -> tuple[np.ndarray, np.ndarray]:
    kp = np.zeros((1, 127, 2), np.float32)
    kp[0, point] = (x, y)
    mask = np.zeros((1, 127), bool)
    mask[0, point] = True
    return kp, mask


def test_neck_and_shoulder_width_go_to_the_signers_placement():
    norm = np.zeros((1, 127, 2), np.float32)
    norm[0, sk.R_SHOULDER] = (-0.5, 0.0)
    norm[0, sk.L_SHOULDER] = (0.5, 0.0)
    norm[0, sk.R_WRIST] = (-0.3, 1.0)
    mask = np.zeros((1, 127), bool)
    mask[0, [sk.NECK, sk.R_SHOULDER, sk.L_SHOULDER, sk.R_WRIST]] = True
    for signer in (3, 6):
        app = get_appearance(signer)
        px = to_pixels(norm, signer, mask)
        np.testing.assert_allclose(px[0, sk.NECK], app.neck)
        width = px[0, sk.L_SHOULDER, 0] - px[0, sk.R_SHOULDER, 0]
        assert width == pytest.approx(app.shoulder_width)
        expected = (app.neck[0] - 0.3 * app.shoulder_width, app.neck[1] + app.shoulder_width)
        np.testing.assert_allclose(px[0, sk.R_WRIST], expected, rtol=1e-6)
        assert (px[0, ~mask[0]] == 0).all()  # missing points stay (0, 0)
    assert not np.allclose(to_pixels(norm, 3, mask), to_pixels(norm, 6, mask))


def test_size_scales_the_256_placement():
    kp, mask = _one_point(0.4, -0.9, sk.NOSE)
    at_256 = to_pixels(kp, 2, mask)
    np.testing.assert_allclose(to_pixels(kp, 2, mask, size=512), at_256 * 2, rtol=1e-6)
    np.testing.assert_allclose(to_pixels(kp, 2, mask, size=128), at_256 / 2, rtol=1e-6)
    assert to_pixels(kp[0], 2, mask[0]).shape == (127, 2)  # one frame in, one frame out


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


def test_normalised_corpus_keypoints_land_where_the_corpus_video_drew_them():
    """The stick figure of a training clip (normalised keypoints) lines up with its video."""
    for signer in ("REAL01", "REAL02", "REAL04"):
        syn = synthesize(["감사", "어디"], get_style(signer), np.random.default_rng(1))
        mask = np.ones(syn.keypoints.shape[:2], bool)
        norm, _ = sk.normalize(syn.keypoints, mask)
        back = to_pixels(norm, signer, mask)
        assert np.abs(back - syn.keypoints).max() < 1.5  # pixels (the signer sways a little)


def test_a_learned_signers_measured_placement_puts_the_figure_where_its_video_has_it():
    """gan.placement_of on a signer's video keypoints, then gan.place of the normalised
    keypoints (what EDN and StyleGAN2 draw their stick figure from) lands on the video's
    pixels: the placement's neck is the neck point, the origin of the normalisation (the
    shoulders' midpoint lies 2-3 pixels lower and drew every figure that much too low)."""
    from sign_pipeline.pose2video import gan

    for signer in ("REAL01", "REAL02", "REAL04"):
        syn = synthesize(["감사", "어디"], get_style(signer), np.random.default_rng(1))
        mask = np.ones(syn.keypoints.shape[:2], bool)
        placement = gan.placement_of(syn.keypoints, mask)
        norm, _ = sk.normalize(syn.keypoints, mask)
        placed = gan.place(norm, placement)
        assert np.abs(placed - syn.keypoints).mean() < 0.3  # pixels
        shoulders = (syn.keypoints[:, sk.R_SHOULDER] + syn.keypoints[:, sk.L_SHOULDER]) / 2
        assert np.median(shoulders[:, 1]) - placement[1] > 1.5  # the midpoint is lower
    no_neck = mask.copy()
    no_neck[:, sk.NECK] = False
    with pytest.raises(ValueError, match="cannot place the signer"):
        gan.placement_of(syn.keypoints, no_neck)


def _near_colour(img: np.ndarray, xy: np.ndarray, colours, tol: int, radius: int = 1):
    """Per point: whether a pixel within ``radius`` is within ``tol`` of one of ``colours``."""
    h, w = img.shape[:2]
    out = []
    for x, y in np.round(xy).astype(int):
        patch = img[
            max(0, y - radius) : min(h, y + radius + 1), max(0, x - radius) : x + radius + 1
        ]
        d = np.abs(patch[:, :, None, :].astype(int) - np.array(colours)[None, None]).sum(-1)
        out.append(bool((d <= tol).any()))
    return np.array(out)


@pytest.mark.parametrize("signer", [1, 6])
def test_avatar_stick_figure_and_skeleton_panel_line_up(pose, signer):
    norm, mask, spans = pose
    t = (spans[0][1] + spans[0][2]) // 2  # mid first sign: the right hand is up and visible
    kp, m = norm[t : t + 1], mask[t : t + 1]
    px = to_pixels(kp, signer, m)[0]
    avatar = AvatarRenderer().render(kp, m, signer)[0]
    stick = draw_stick_figure(kp, m, signer)[0]
    panel = render.draw_skeleton(kp, m, signer=signer)[0]
    pal = _palette(get_appearance(signer))
    skin = [pal.skin, pal.skin_line, pal.skin_dark, pal.skin_light]
    hand = px[sk.RIGHT_HAND]
    assert _near_colour(avatar, hand, skin, 40).mean() > 0.9
    assert _near_colour(stick, hand, GAN_INPUT.right_hand, 30).mean() > 0.9
    assert _near_colour(panel, hand, [render.COLORS["right_hand"]], 30).mean() > 0.9
    # and not just anywhere: two shoulder widths to the right, the same test fails
    off = hand + [2 * get_appearance(signer).shoulder_width, 0]
    assert _near_colour(stick, off, GAN_INPUT.right_hand, 30).mean() < 0.1
