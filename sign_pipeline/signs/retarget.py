"""A taught clip made ready for one signer: completed, resampled, in the signer's proportions.

A recording rarely has every point in every frame (a hand at rest below the frame, a face
turned away). Short gaps are interpolated; what is still missing is taken from the signer's
rest pose, attached where it belongs (a hand at its wrist, the face at the nose). Then the
arms, hands and head get the signer's lengths, measured on the signer's own rest pose, so a
tall person's sign does not stretch a small signer's arms.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import skeleton as sk
from ..motion import lowpass, resample
from ..pose2video.placement import fit_bones

#: Gaps up to this long are interpolated before the rest pose fills the remainder.
MAX_GAP_S = 0.25
#: wrist to middle knuckle over the whole hand length (as in the placement code)
KNUCKLE_SHARE = 0.47


@dataclass(frozen=True)
class Proportions:
    """Bone lengths in shoulder widths (the fields :func:`fit_bones` reads)."""

    upper_arm: float
    forearm: float
    hand: float
    face_width: float


def _length(pose: np.ndarray, pairs: list[tuple[int, int]]) -> float:
    return float(np.mean([np.linalg.norm(pose[a] - pose[b]) for a, b in pairs]))


def proportions_of(pose: np.ndarray) -> Proportions:
    """The bone lengths of one complete normalised pose ``[127, 2]`` (a signer at rest)."""
    pose = np.asarray(pose, np.float32)
    hands = [(h.start, h.start + 9) for h in (sk.LEFT_HAND, sk.RIGHT_HAND)]
    return Proportions(
        upper_arm=_length(pose, [(sk.R_SHOULDER, sk.R_ELBOW), (sk.L_SHOULDER, sk.L_ELBOW)]),
        forearm=_length(pose, [(sk.R_ELBOW, sk.R_WRIST), (sk.L_ELBOW, sk.L_WRIST)]),
        hand=_length(pose, hands) / KNUCKLE_SHARE,
        face_width=_length(pose, [(sk.FACE.start, sk.FACE.start + 16)]),
    )


#: (block, the point it hangs from): a missing point of the block is the rest pose's point
#: moved with that anchor; the body hangs from nothing (the rest pose as it is).
_ANCHORED = (
    (np.arange(sk.RIGHT_HAND.start, sk.RIGHT_HAND.stop), sk.R_WRIST),
    (np.arange(sk.LEFT_HAND.start, sk.LEFT_HAND.stop), sk.L_WRIST),
    (np.arange(sk.FACE.start, sk.FACE.stop), sk.NOSE),
)


def complete(kp: np.ndarray, mask: np.ndarray, rest: np.ndarray, fps: float) -> np.ndarray:
    """Every point of every frame: short gaps interpolated, the rest from ``rest``."""
    kp, m = sk.fill_short_gaps(kp, mask, max_gap=max(1, int(round(MAX_GAP_S * fps))))
    out = np.where(m[..., None], kp, rest[None]).astype(np.float32)
    for body_wrist, hand in ((sk.R_WRIST, sk.RIGHT_HAND), (sk.L_WRIST, sk.LEFT_HAND)):
        found = ~m[:, body_wrist] & m[:, hand.start]  # the hand model saw the wrist
        out[found, body_wrist] = kp[found, hand.start]
        m[found, body_wrist] = True
    for points, anchor in _ANCHORED:
        shift = np.where(m[:, anchor, None], out[:, anchor] - rest[anchor], 0.0)
        moved = rest[points][None] + shift[:, None]
        out[:, points] = np.where(m[:, points, None], out[:, points], moved)
    return out


def fit_clip(
    kp: np.ndarray, mask: np.ndarray, fps: float, rest: np.ndarray, out_fps: float,
    speed: float = 1.0, lowpass_hz: float = 8.0,
) -> np.ndarray:  # fmt: skip
    """A stored clip (normalised, own fps) -> ``[T, 127, 2]`` for a signer whose rest pose is
    ``rest``: at ``out_fps``, played at ``speed``, complete, in the signer's proportions."""
    rest = np.asarray(rest, np.float32)
    full = complete(np.asarray(kp, np.float32), np.asarray(mask, bool), rest, fps)
    factor = out_fps / fps / speed
    if abs(factor - 1.0) > 1e-6:
        full = resample(full, factor)
    full = fit_bones(full, np.ones(full.shape[:2], bool), proportions_of(rest))
    full = lowpass(full, out_fps, lowpass_hz)  # detection jitter (short clips pass as they are)
    return full.astype(np.float32)


__all__ = ["Proportions", "complete", "fit_clip", "proportions_of"]
