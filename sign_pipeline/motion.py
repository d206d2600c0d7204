"""Motion code every stage shares: minimum-jerk curves, resampling, the zero-phase low-pass,
transition lengths, the question face, and gloss timings.

The lexicon backend, the corpus generator, the build commands and the learned backends all
take these from here, so a curve or a filter is defined once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import butter, sosfiltfilt

from . import skeleton as sk


@dataclass
class GlossTiming:
    """Frames ``[start, end)`` during which ``gloss`` is signed (for subtitles)."""

    gloss: str
    start: int
    end: int


def minimum_jerk_profile(s: np.ndarray) -> np.ndarray:
    """The minimum-jerk profile 10s^3 - 15s^4 + 6s^5 on [0, 1] (0 and 1 outside)."""
    s = np.clip(np.asarray(s, np.float64), 0.0, 1.0)
    return s**3 * (10 - 15 * s + 6 * s**2)


def minimum_jerk(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    """``n`` frames strictly between poses ``a`` and ``b`` on a minimum-jerk profile."""
    if n <= 0:
        return np.zeros((0,) + a.shape, np.float32)
    w = minimum_jerk_profile(np.arange(1, n + 1, dtype=np.float64) / (n + 1)).astype(np.float32)
    extra = (None,) * (np.ndim(a))
    w = w[(slice(None),) + extra]
    return (a[None] * (1 - w) + b[None] * w).astype(np.float32)


def _resample_index(n: int, factor: float) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Source frame pairs and weights for stretching ``n`` frames by ``factor`` (None: same length)."""
    m = max(2, int(round(n * factor)))
    if m == n:
        return None
    src = np.linspace(0, n - 1, m)
    i0 = np.floor(src).astype(int)
    return i0, np.minimum(i0 + 1, n - 1), (src - i0).astype(np.float32)


def resample(clip: np.ndarray, factor: float) -> np.ndarray:
    """Stretch a clip in time by ``factor`` (0.5 = twice as fast) with linear interpolation."""
    index = _resample_index(len(clip), factor)
    if index is None:
        return clip
    i0, i1, w = index
    w = w[(slice(None),) + (None,) * (np.ndim(clip) - 1)]
    return clip[i0] * (1 - w) + clip[i1] * w


def resample_mask(mask: np.ndarray, factor: float) -> np.ndarray:
    """The mask that goes with :func:`resample` (a point is kept where both sources had it)."""
    index = _resample_index(len(mask), factor)
    if index is None:
        return mask
    i0, i1, _ = index
    return mask[i0] & mask[i1]


def lowpass(
    kp: np.ndarray,
    fps: float,
    hz: float = 6.0,
    order: int = 4,
    blocks: tuple[slice, ...] = (sk.POSE, sk.LEFT_HAND, sk.RIGHT_HAND),
) -> np.ndarray:
    """Zero-phase Butterworth low-pass over time on the given blocks (default: not the face)."""
    if len(kp) < 3 * (2 * order + 1):
        return kp
    sos = butter(order, hz, fs=fps, output="sos")
    out = np.array(kp, np.float32, copy=True)
    for sl in blocks:
        out[:, sl] = sosfiltfilt(sos, kp[:, sl], axis=0)
    return out


#: Peak hand speed allowed in a transition, in shoulder widths per frame at speed 1.
MAX_TRANSITION_SPEED = 0.15


def transition_frames(
    a: np.ndarray,
    b: np.ndarray,
    base: int,
    speed: float = 1.0,
    max_speed: float = MAX_TRANSITION_SPEED,
) -> int:
    """Frames for a minimum-jerk move a -> b: at least ``base``, longer for far moves.

    A minimum-jerk move peaks at 1.875x its mean speed; the length keeps that peak at
    ``max_speed * speed`` (shoulder widths per frame) for the hand point that travels furthest.
    """
    hands = np.r_[sk.LEFT_HAND.start : sk.RIGHT_HAND.stop]
    dist = float(np.linalg.norm(b[hands] - a[hands], axis=-1).max())
    need = 1.875 * dist / (max_speed * speed)
    return int(np.clip(np.ceil(max(base, need)), 2, 45))


_BROWS = np.r_[sk.FACE.start + 17 : sk.FACE.start + 27]
_UPPER_LIDS = sk.FACE.start + np.array([37, 38, 43, 44])
QUESTION_TYPES = ("wh", "yes_no")


def question_face(kp: np.ndarray, start: int, end: int, kind: str, ramp: int = 6) -> None:
    """Add the question face in place over frames ``[start, end)`` (ramped in and out).

    Yes/no questions raise the brows and widen the eyes; wh-questions lower and draw the
    brows together. Offsets are in shoulder widths, about a tenth of the face's width.
    """
    if kind not in QUESTION_TYPES:
        raise ValueError(f"question must be 'wh' or 'yes_no', got {kind!r}")
    t = np.arange(len(kp), dtype=np.float32)
    up = np.clip((t - (start - ramp)) / ramp, 0, 1)
    down = np.clip((end + ramp - t) / ramp, 0, 1)
    w = minimum_jerk_profile(np.minimum(up, down)).astype(np.float32)[:, None]
    if kind == "yes_no":
        kp[:, _BROWS, 1] -= 0.05 * w
        kp[:, _UPPER_LIDS, 1] -= 0.012 * w
    else:
        center = kp[:, _BROWS, 0].mean(axis=1, keepdims=True)
        kp[:, _BROWS, 1] += 0.02 * w
        kp[:, _BROWS, 0] += (center - kp[:, _BROWS, 0]) * 0.12 * w


def gloss_per_frame(timings: list[GlossTiming], n_frames: int) -> list[str]:
    """The gloss being signed at each frame ("" in transitions and rest)."""
    labels = [""] * n_frames
    for t in timings:
        for i in range(max(0, t.start), min(n_frames, t.end)):
            labels[i] = t.gloss
    return labels


def timings_from_progress(
    glosses: list[str], boundaries: np.ndarray | list[int]
) -> list[GlossTiming]:
    """Timings from ``len(glosses) + 1`` increasing frame boundaries (for learned backends
    that predict where each gloss starts and ends, e.g. from attention or a progress counter)."""
    b = [int(x) for x in boundaries]
    if len(b) != len(glosses) + 1:
        raise ValueError(f"need {len(glosses) + 1} boundaries for {len(glosses)} glosses")
    if any(y < x for x, y in zip(b, b[1:])):
        raise ValueError(f"gloss boundaries must not decrease: {b}")
    return [GlossTiming(g, s, e) for g, s, e in zip(glosses, b, b[1:])]
