"""Where keypoints land in a signer's video frame: the one keypoints-to-pixels placement.

Normalised keypoints (neck at 0, shoulder width 1, y down) become pixels of the signer's
square frame through the signer's neck position and shoulder width (their
:class:`~sign_pipeline.pose2video.appearances.Appearance`). The avatar, the stick-figure
images the learned pose-to-video models take as input, and the skeleton panel all place
keypoints with :func:`to_pixels`, so a skeleton, its stick figure and the signer video
line up pixel for pixel.

:func:`retarget` brings anyone's keypoints (any pixel space, any body) into a signer's
frame, optionally with the signer's bone lengths.
"""

from __future__ import annotations

import numpy as np

from sign_pipeline import skeleton as sk
from sign_pipeline.pose2video.appearances import Appearance, get_appearance

#: Side of the frame every appearance's placement is defined in (pixels).
FRAME_SIZE = 256


def to_pixels(
    keypoints: np.ndarray,
    signer: str | int | Appearance | None = 1,
    mask: np.ndarray | None = None,
    size: int = FRAME_SIZE,
    rescale_bones: bool = False,
) -> np.ndarray:
    """Normalised keypoints ``[T, 127, 2]`` (or ``[127, 2]``) -> pixels of the signer's frame.

    The neck goes to the signer's neck position and one shoulder width to their shoulder
    width, scaled from the 256 frame to ``size``. With ``rescale_bones`` the arms, hands
    and head get the signer's proportions (bone directions kept). Missing points (``mask``
    False) come out as (0, 0).
    """
    app = get_appearance(signer)
    kp = np.array(keypoints, np.float32, copy=True)
    single = kp.ndim == 2
    if single:
        kp = kp[None]
    m = (
        np.ones(kp.shape[:2], bool)
        if mask is None
        else np.asarray(mask, bool).reshape(kp.shape[:2])
    )
    if rescale_bones:
        kp = fit_bones(kp, m, app)
    out = app.pixel(kp)
    if size != FRAME_SIZE:
        out *= np.float32(size / FRAME_SIZE)
    out[~m] = 0.0
    return out[0] if single else out


def retarget(
    keypoints: np.ndarray,
    mask: np.ndarray | None = None,
    signer: str | int | Appearance | None = None,
    normalized: bool = False,
    rescale_bones: bool = True,
) -> np.ndarray:
    """Keypoints of anyone, in any pixel space, -> pixels of the signer's 256 x 256 frame.

    Unless ``normalized``, the keypoints are first normalised with
    :func:`sign_pipeline.skeleton.normalize` (neck-centred, shoulder-width scaled); then
    placed with :func:`to_pixels`, by default with the signer's bone lengths.
    """
    kp = np.asarray(keypoints, np.float32)
    single = kp.ndim == 2
    if single:
        kp = kp[None]
    m = sk.missing_mask(kp) if mask is None else np.asarray(mask, bool).reshape(kp.shape[:2])
    if not normalized:
        kp, _ = sk.normalize(kp, m)
    out = to_pixels(kp, signer, m, rescale_bones=rescale_bones)
    return out[0] if single else out


# ---------------------------------------------------------------------------- bone lengths


def _median_len(kp: np.ndarray, m: np.ndarray, a: int, b: int) -> float | None:
    ok = m[:, a] & m[:, b]
    if not ok.any():
        return None
    return float(np.median(np.linalg.norm(kp[ok, a] - kp[ok, b], axis=-1)))


def fit_bones(kp: np.ndarray, m: np.ndarray, app: Appearance) -> np.ndarray:
    """Arms, hands and head ``[T, 127, 2]`` (normalised units) resized to the proportions of
    ``app`` (anything with ``upper_arm``, ``forearm``, ``hand`` and ``face_width`` in shoulder
    widths: an :class:`Appearance`, or :class:`sign_pipeline.signs.retarget.Proportions`)."""
    kp = kp.copy()
    for shoulder, elbow, wrist, hand in (
        (sk.R_SHOULDER, sk.R_ELBOW, sk.R_WRIST, sk.RIGHT_HAND),
        (sk.L_SHOULDER, sk.L_ELBOW, sk.L_WRIST, sk.LEFT_HAND),
    ):
        hand_idx = np.arange(hand.start, hand.stop)
        # hand scale: wrist -> middle knuckle is 0.47 hand lengths in every handshape
        hl = _median_len(kp, m, hand.start, hand.start + 9)
        if hl and hl > 1e-6:
            s = 0.47 * app.hand / hl
            w = kp[:, hand.start : hand.start + 1]
            kp[:, hand_idx] = w + (kp[:, hand_idx] - w) * s
        for a, b, length, moved in (
            (shoulder, elbow, app.upper_arm, [elbow, wrist]),
            (elbow, wrist, app.forearm, [wrist]),
        ):
            cur = _median_len(kp, m, a, b)
            if not cur or cur < 1e-6:
                continue
            ok = m[:, a] & m[:, b]
            delta = (kp[:, b] - kp[:, a]) * (length / cur - 1.0)
            delta[~ok] = 0.0
            for p in moved:
                kp[:, p] += delta
            hand_ok = ok[:, None] & m[:, hand_idx]
            kp[:, hand_idx] += np.where(hand_ok[..., None], delta[:, None], 0.0)
    # head: scale the face about the chin to the signer's face width
    fw = _median_len(kp, m, sk.FACE.start, sk.FACE.start + 16)
    head = np.r_[np.arange(sk.FACE.start, sk.FACE.stop), [sk.NOSE, 11, 12, 13, 14]]
    chin = sk.FACE.start + 8
    if fw and fw > 1e-6:
        s = app.face_width / fw
        c = kp[:, chin : chin + 1]
        ok = m[:, chin]
        kp[:, head] = np.where(ok[:, None, None], c + (kp[:, head] - c) * s, kp[:, head])
    return kp


__all__ = ["FRAME_SIZE", "fit_bones", "retarget", "to_pixels"]
