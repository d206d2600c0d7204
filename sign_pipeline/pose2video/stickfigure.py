"""Stick-figure images of the keypoints: what the learned pose-to-video models see.

The EDN and StyleGAN2 backends turn keypoints into frames by translating a stick-figure
image into the signer's picture. The stick figure is drawn in the same place as that
signer's avatar video (:func:`.placement.to_pixels`), so the model maps each stick-figure
pixel to the video pixel at the same position. Every part has its own colour, so the
model can tell them apart: the trunk, each arm, the face, and each finger of each hand
(right hand in reds and pinks, left hand in blues), fingers drawn as their own bones
(:data:`sign_pipeline.skeleton.EDGES`) with a dot on every hand joint. Missing points
(mask False, NaN) and the bones that touch them are left out; the background is black.

The skeleton panel of the app (:func:`sign_pipeline.render.draw_skeleton`) is drawn by the
same rasteriser in its own colours (:class:`StickStyle`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

from sign_pipeline import skeleton as sk
from sign_pipeline.pose2video.appearances import Appearance, Color
from sign_pipeline.pose2video.placement import FRAME_SIZE, to_pixels

_SHIFT = 4  # sub-pixel bits for OpenCV drawing
_ONE = 1 << _SHIFT


@dataclass(frozen=True)
class StickStyle:
    """Colours (RGB) and line widths (pixels at 256 x 256, scaled with the size) of a figure.

    Hand colours are per finger, thumb first; the wrist dot takes the thumb's colour.
    ``joint`` is the diameter of the dot on each hand joint and pupil (0: no dots).
    """

    background: Color
    trunk: Color
    right_arm: Color
    left_arm: Color
    face: Color
    right_hand: tuple[Color, Color, Color, Color, Color]
    left_hand: tuple[Color, Color, Color, Color, Color]
    body_width: float = 3.0
    face_width: float = 1.0
    finger_width: float = 2.0
    joint: float = 3.0


#: The learned models' input: black background, a distinct colour per part and finger.
GAN_INPUT = StickStyle(
    background=(0, 0, 0),
    trunk=(150, 150, 150),
    right_arm=(255, 220, 0),
    left_arm=(0, 220, 90),
    face=(255, 255, 255),
    right_hand=((255, 0, 0), (255, 0, 110), (255, 0, 220), (255, 120, 120), (255, 160, 220)),
    left_hand=((0, 255, 255), (0, 160, 255), (0, 60, 255), (120, 200, 255), (130, 110, 255)),
    joint=2.0,
)


_HEAD_POINTS = {sk.NOSE, sk.index("right_eye"), sk.index("left_eye"), sk.index("right_ear"),
                sk.index("left_ear")}  # fmt: skip


def _arm_edges(shoulder: int, elbow: int, wrist: int) -> set[tuple[int, int]]:
    return {(shoulder, elbow), (elbow, wrist)}


def _finger_edges(hand: slice, finger: int) -> list[tuple[int, int]]:
    """Bones of one finger (0 = thumb), wrist to tip, as in :data:`skeleton.EDGES`."""
    chain = [hand.start] + [hand.start + 1 + 4 * finger + j for j in range(4)]
    return list(zip(chain[:-1], chain[1:]))


@lru_cache(maxsize=32)
def _draw_groups(style: StickStyle, size: int) -> tuple[tuple[np.ndarray, Color, int], ...]:
    """(point pairs [n, 2], colour, thickness) per drawing call, back to front.

    A joint dot is a zero-length bone (a, a), so dots and bones are drawn the same way.
    """
    scale = size / FRAME_SIZE

    def width(w: float) -> int:
        return max(1, int(round(w * scale)))

    right_arm = _arm_edges(sk.R_SHOULDER, sk.R_ELBOW, sk.R_WRIST)
    left_arm = _arm_edges(sk.L_SHOULDER, sk.L_ELBOW, sk.L_WRIST)
    head = [e for e in sk.POSE_EDGES if set(e) <= _HEAD_POINTS]  # nose-eyes-ears, thin
    trunk = [e for e in sk.POSE_EDGES if e not in right_arm | left_arm and e not in head]
    groups: list[tuple[list[tuple[int, int]], Color, int]] = [
        (trunk, style.trunk, width(style.body_width)),
        (head, style.trunk, width(style.face_width)),
        (sorted(left_arm), style.left_arm, width(style.body_width)),
        (sorted(right_arm), style.right_arm, width(style.body_width)),
        (sk.FACE_EDGES, style.face, width(style.face_width)),
    ]
    if style.joint > 0:
        pupils = [(sk.FACE.start + 68,) * 2, (sk.FACE.start + 69,) * 2]
        groups.append((pupils, style.face, width(style.joint)))
    # the right (usually dominant) hand last, in front, as the avatar draws it
    # (joint dots under the bones, so the fingers stay readable over them)
    for hand, colours in ((sk.LEFT_HAND, style.left_hand), (sk.RIGHT_HAND, style.right_hand)):
        if style.joint > 0:
            for finger, colour in enumerate(colours):
                joints = [hand.start + 1 + 4 * finger + j for j in range(4)]
                if finger == 0:
                    joints = [hand.start, *joints]
                groups.append(([(p, p) for p in joints], colour, width(style.joint)))
        for finger, colour in enumerate(colours):
            groups.append((_finger_edges(hand, finger), colour, width(style.finger_width)))
    return tuple((np.array(pairs, np.intp), colour, w) for pairs, colour, w in groups)


def draw_stick_figure(
    keypoints: np.ndarray,
    mask: np.ndarray | None = None,
    signer: str | int | Appearance | None = 1,
    size: int = FRAME_SIZE,
    pixel: bool = False,
    style: StickStyle = GAN_INPUT,
) -> np.ndarray:
    """Stick-figure frames uint8 ``[T, size, size, 3]`` (``[size, size, 3]`` for ``[127, 2]``).

    ``keypoints`` are normalised (neck 0, shoulder width 1) and placed like ``signer``'s
    avatar (:func:`.placement.to_pixels`); with ``pixel`` they are already pixels of the
    signer's 256 x 256 frame (a training clip's own keypoints beside its video). ``mask``
    True where a point exists (default: every finite point); NaN points count as missing.
    """
    kp = np.asarray(keypoints, np.float32)
    single = kp.ndim == 2
    if single:
        kp = kp[None]
    if kp.ndim != 3 or kp.shape[1:] != (sk.NUM_POINTS, 2):
        raise ValueError(
            f"keypoints must be [T, {sk.NUM_POINTS}, 2] or [{sk.NUM_POINTS}, 2], "
            f"got {list(np.shape(keypoints))}"
        )
    m = np.ones(kp.shape[:2], bool) if mask is None else np.asarray(mask, bool)
    if m.size != kp.shape[0] * kp.shape[1]:
        raise ValueError(f"mask must be {list(kp.shape[:2])}, got {list(m.shape)}")
    m = m.reshape(kp.shape[:2])
    m = m & np.isfinite(kp).all(axis=-1)
    kp = np.where(m[..., None], kp, 0.0).astype(np.float32)
    if pixel:
        px = kp * np.float32(size / FRAME_SIZE)
    else:
        px = to_pixels(kp, signer, m, size=size)
    # fixed-point coordinates; far-out points are clamped so OpenCV's integers cannot overflow
    pts = np.round(np.clip(px, -8 * size, 9 * size) * _ONE).astype(np.int32)

    frames = np.empty((len(kp), size, size, 3), np.uint8)
    frames[:] = np.full((size, size, 3), style.background, np.uint8)  # (a tuple fills 50x slower)
    # per group, for all frames at once: the bones' end points [T, n, 2, 2] and which are shown
    groups = [
        (pts[:, pairs], m[:, pairs[:, 0]] & m[:, pairs[:, 1]], colour, thickness)
        for pairs, colour, thickness in _draw_groups(style, size)
    ]
    for t, img in enumerate(frames):
        for bones, shown, colour, thickness in groups:
            if shown[t].any():
                cv2.polylines(
                    img, bones[t][shown[t]], False, colour, thickness, cv2.LINE_AA, _SHIFT
                )
    return frames[0] if single else frames


__all__ = ["GAN_INPUT", "StickStyle", "draw_stick_figure"]
