"""OpenPose-like detection noise for the written keypoints (never for the drawn frames).

* per-point white jitter, larger on hands than on the body and face;
* a slowly drifting offset per body part (detector bias that wanders);
* whole hands missing for a few frames, more often when the hand moves fast (motion
  blur) or is in front of the face; single finger points dropped now and then;
* rare dropouts of the face, elbows and wrists;
* points that leave the frame are missing.
"""

from __future__ import annotations

import numpy as np

from sign_pipeline import skeleton as sk
from training.corpus.parametric_signer import smooth_noise

_BLOCK_SIGMA = {"pose": 0.003, "face": 0.0022, "left_hand": 0.005, "right_hand": 0.005}


def _events(rng, hazard: np.ndarray, max_len: int) -> np.ndarray:
    """Boolean [T]: True inside dropout events started with per-frame probability ``hazard``."""
    t_len = len(hazard)
    out = np.zeros(t_len, bool)
    starts = rng.random(t_len) < hazard
    for t in np.flatnonzero(starts):
        n = int(rng.integers(1, max_len + 1))
        out[t : t + n] = True
    return out


def add_detection_noise(
    keypoints: np.ndarray,
    rng: np.random.Generator,
    scale: float,
    amount: float = 1.0,
    size: int = 256,
) -> tuple[np.ndarray, np.ndarray]:
    """Noisy copy of clean pixel keypoints [T, 127, 2] and its detection mask.

    ``scale`` is the signer's shoulder width in pixels; ``amount`` the signer's noise
    multiplier. Coordinates are rounded to 3 decimals like OpenPose output.
    """
    kp = np.asarray(keypoints, np.float64).copy()
    t_len = len(kp)
    mask = np.ones(kp.shape[:2], bool)
    for name, sl in sk.BLOCKS.items():
        sigma = _BLOCK_SIGMA[name] * scale * amount
        n = sl.stop - sl.start
        kp[:, sl] += rng.normal(0, sigma, (t_len, n, 2))
        drift = smooth_noise(rng, t_len, sigma * 0.9, 12, dims=2)
        kp[:, sl] += drift[:, None, :]
    # hands: dropouts driven by speed and by overlap with the face
    face_c = keypoints[:, sk.FACE].mean(1)
    face_r = np.linalg.norm(keypoints[:, sk.FACE.start] - keypoints[:, sk.FACE.start + 16], axis=-1)
    for hand, wrist in ((sk.LEFT_HAND, sk.L_WRIST), (sk.RIGHT_HAND, sk.R_WRIST)):
        centre = keypoints[:, hand].mean(1)
        speed = np.linalg.norm(np.diff(centre, axis=0, prepend=centre[:1]), axis=-1) / scale
        near_face = np.linalg.norm(centre - face_c, axis=-1) < 0.6 * face_r
        hazard = (0.003 + 0.05 * np.clip(speed / 0.12, 0, 1) ** 2 + 0.03 * near_face) * amount
        gone = _events(rng, hazard, 5)
        mask[gone, hand] = False
        # single finger points (mostly tips) dropped
        drop = rng.random(t_len) < 0.03 * amount
        for t in np.flatnonzero(drop):
            k = int(rng.integers(1, 4))
            pts = rng.choice([4, 8, 12, 16, 20, 3, 7, 19], size=k, replace=False)
            mask[t, hand.start + pts] = False
        rare = _events(rng, np.full(t_len, 0.0008 * amount), 3)
        mask[rare, wrist] = False
    face_gone = _events(rng, np.full(t_len, 0.0015 * amount), 3)
    mask[face_gone, sk.FACE] = False
    for p in (sk.R_ELBOW, sk.L_ELBOW):
        mask[_events(rng, np.full(t_len, 0.0008 * amount), 2), p] = False
    outside = (kp < 0).any(-1) | (kp >= size).any(-1)
    mask &= ~outside
    kp = np.round(kp, 3).astype(np.float32)
    kp[~mask] = 0.0
    return kp, mask
