"""The 127-point keypoint layout shared by every stage.

One frame holds 15 upper-body points (a subset of OpenPose BODY_25), 70 face points
(FACE_70: 68 landmarks + 2 pupils), 21 left-hand and 21 right-hand points (HAND_21),
each as (x, y). "Left" and "right" are the signer's own sides, as in OpenPose.

Keypoint arrays are float32 ``[T, 127, 2]`` with a boolean mask ``[T, 127]`` (True where the
point was detected). OpenPose writes (0, 0) for a point it did not find: that is *missing*,
never a coordinate. Values under a False mask are meaningless and kept at 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# ---------------------------------------------------------------------------- names

POSE_NAMES: tuple[str, ...] = (
    "nose", "neck",
    "right_shoulder", "right_elbow", "right_wrist",
    "left_shoulder", "left_elbow", "left_wrist",
    "mid_hip", "right_hip", "left_hip",
    "right_eye", "left_eye", "right_ear", "left_ear",
)  # fmt: skip
#: BODY_25 index of each of the 15 pose points (legs and feet dropped).
BODY25_INDICES: tuple[int, ...] = (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 15, 16, 17, 18)

FACE_NAMES: tuple[str, ...] = tuple(f"face_{i}" for i in range(68)) + (
    "right_pupil",
    "left_pupil",
)

_FINGERS = ("thumb", "index", "middle", "ring", "pinky")
HAND_POINT_NAMES: tuple[str, ...] = ("wrist",) + tuple(
    f"{finger}_{j}" for finger in _FINGERS for j in range(1, 5)
)
LEFT_HAND_NAMES = tuple(f"left_hand_{n}" for n in HAND_POINT_NAMES)
RIGHT_HAND_NAMES = tuple(f"right_hand_{n}" for n in HAND_POINT_NAMES)

NAMES: tuple[str, ...] = POSE_NAMES + FACE_NAMES + LEFT_HAND_NAMES + RIGHT_HAND_NAMES
NUM_POINTS = len(NAMES)  # 127
NUM_VALUES = NUM_POINTS * 2  # 254, one frame flattened

#: Slices of each block in the 127-point axis.
POSE = slice(0, 15)
FACE = slice(15, 85)
LEFT_HAND = slice(85, 106)
RIGHT_HAND = slice(106, 127)
BLOCKS: dict[str, slice] = {
    "pose": POSE,
    "face": FACE,
    "left_hand": LEFT_HAND,
    "right_hand": RIGHT_HAND,
}
#: OpenPose JSON key of each block, and its number of points.
OPENPOSE_KEYS: dict[str, tuple[str, int]] = {
    "pose": ("pose_keypoints_2d", 25),
    "face": ("face_keypoints_2d", 70),
    "left_hand": ("hand_left_keypoints_2d", 21),
    "right_hand": ("hand_right_keypoints_2d", 21),
}

assert NUM_POINTS == 127


def index(name: str) -> int:
    """Index of a named point, e.g. ``index("neck") == 1``."""
    return _INDEX[name]


_INDEX = {n: i for i, n in enumerate(NAMES)}
NOSE = index("nose")
NECK = index("neck")
R_SHOULDER = index("right_shoulder")
L_SHOULDER = index("left_shoulder")
R_ELBOW = index("right_elbow")
L_ELBOW = index("left_elbow")
R_WRIST = index("right_wrist")
L_WRIST = index("left_wrist")
MID_HIP = index("mid_hip")
L_HAND_WRIST = LEFT_HAND.start
R_HAND_WRIST = RIGHT_HAND.start
#: Middle fingertip of each hand (hand size = wrist to middle fingertip).
L_HAND_MIDDLE_TIP = LEFT_HAND.start + 12
R_HAND_MIDDLE_TIP = RIGHT_HAND.start + 12

# ---------------------------------------------------------------------------- edges


def _chain(points: list[int], closed: bool = False) -> list[tuple[int, int]]:
    pairs = list(zip(points[:-1], points[1:]))
    if closed:
        pairs.append((points[-1], points[0]))
    return pairs


def _pose_edges() -> list[tuple[int, int]]:
    i = index
    return [
        (i("nose"), i("neck")),
        (i("neck"), i("right_shoulder")), (i("right_shoulder"), i("right_elbow")),
        (i("right_elbow"), i("right_wrist")),
        (i("neck"), i("left_shoulder")), (i("left_shoulder"), i("left_elbow")),
        (i("left_elbow"), i("left_wrist")),
        (i("neck"), i("mid_hip")), (i("mid_hip"), i("right_hip")), (i("mid_hip"), i("left_hip")),
        (i("nose"), i("right_eye")), (i("right_eye"), i("right_ear")),
        (i("nose"), i("left_eye")), (i("left_eye"), i("left_ear")),
    ]  # fmt: skip


def _face_edges() -> list[tuple[int, int]]:
    f = FACE.start
    groups = [
        (range(0, 17), False),  # jaw
        (range(17, 22), False),  # right brow
        (range(22, 27), False),  # left brow
        (range(27, 31), False),  # nose bridge
        (range(31, 36), False),  # nostrils
        (range(36, 42), True),  # right eye
        (range(42, 48), True),  # left eye
        (range(48, 60), True),  # outer lips
        (range(60, 68), True),  # inner lips
    ]
    edges: list[tuple[int, int]] = []
    for rng, closed in groups:
        edges += _chain([f + k for k in rng], closed)
    return edges


def _hand_edges(start: int) -> list[tuple[int, int]]:
    edges = []
    for finger in range(5):
        chain = [start] + [start + 1 + 4 * finger + j for j in range(4)]
        edges += _chain(chain)
    return edges


POSE_EDGES = _pose_edges()
FACE_EDGES = _face_edges()
LEFT_HAND_EDGES = _hand_edges(LEFT_HAND.start)
RIGHT_HAND_EDGES = _hand_edges(RIGHT_HAND.start)
#: Every bone used for drawing, as (a, b) point indices into the 127-point layout.
EDGES: list[tuple[int, int]] = POSE_EDGES + FACE_EDGES + LEFT_HAND_EDGES + RIGHT_HAND_EDGES

# ---------------------------------------------------------------------------- sequences


@dataclass
class PoseSequence:
    """Keypoints of one clip in the 127-point layout.

    ``keypoints`` is float32 ``[T, 127, 2]`` (pixels unless ``normalized``), ``mask`` bool
    ``[T, 127]``. ``width``/``height`` are the source frame size when known.
    """

    keypoints: np.ndarray
    mask: np.ndarray
    fps: float = 30.0
    width: int | None = None
    height: int | None = None
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.keypoints = np.asarray(self.keypoints, dtype=np.float32)
        self.mask = np.asarray(self.mask, dtype=bool)
        if self.keypoints.ndim != 3 or self.keypoints.shape[1:] != (NUM_POINTS, 2):
            raise ValueError(f"keypoints must be [T, {NUM_POINTS}, 2], got {self.keypoints.shape}")
        if self.mask.shape != self.keypoints.shape[:2]:
            raise ValueError(f"mask must be {self.keypoints.shape[:2]}, got {self.mask.shape}")
        self.keypoints[~self.mask] = 0.0

    def __len__(self) -> int:
        return int(self.keypoints.shape[0])


def missing_mask(keypoints: np.ndarray) -> np.ndarray:
    """Detected-point mask from raw coordinates: (0, 0) and NaN mean missing."""
    kp = np.asarray(keypoints)
    nan = np.isnan(kp).any(axis=-1)
    zero = (np.nan_to_num(kp) == 0).all(axis=-1)
    return ~(nan | zero)


def flatten(keypoints: np.ndarray) -> np.ndarray:
    """[T, 127, 2] -> [T, 254] in the frame-vector order (x0, y0, x1, y1, ...)."""
    return np.asarray(keypoints).reshape(len(keypoints), NUM_VALUES)


def unflatten(values: np.ndarray) -> np.ndarray:
    """[T, 254] -> [T, 127, 2]."""
    return np.asarray(values).reshape(len(values), NUM_POINTS, 2)


# ---------------------------------------------------------------------------- normalisation


@dataclass(frozen=True)
class Normalization:
    """The transform into the signer-independent frame: ``(p - center) / scale``.

    ``center`` is the neck, ``scale`` the shoulder width, both medians over the clip, so
    the transform is one similarity per clip and ``denormalize`` undoes it exactly.
    """

    center: tuple[float, float]
    scale: float

    def apply(self, keypoints: np.ndarray) -> np.ndarray:
        return (np.asarray(keypoints, np.float32) - np.float32(self.center)) / np.float32(
            self.scale
        )

    def undo(self, keypoints: np.ndarray) -> np.ndarray:
        return np.asarray(keypoints, np.float32) * np.float32(self.scale) + np.float32(self.center)


def estimate_normalization(keypoints: np.ndarray, mask: np.ndarray) -> Normalization:
    """Neck position and shoulder width (medians over frames where they were detected)."""
    kp = np.asarray(keypoints, np.float64)
    m = np.asarray(mask, bool)
    neck_ok = m[:, NECK]
    shoulders_ok = m[:, R_SHOULDER] & m[:, L_SHOULDER]
    if not neck_ok.any() or not shoulders_ok.any():
        raise ValueError("cannot normalise: neck or shoulders never detected in this clip")
    center = np.median(kp[neck_ok, NECK], axis=0)
    widths = np.linalg.norm(kp[shoulders_ok, R_SHOULDER] - kp[shoulders_ok, L_SHOULDER], axis=-1)
    scale = float(np.median(widths))
    if not scale > 1e-6:
        raise ValueError("cannot normalise: shoulder width is zero")
    return Normalization((float(center[0]), float(center[1])), scale)


def normalize(keypoints: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, Normalization]:
    """Map keypoints into the signer-independent frame; missing points stay 0."""
    norm = estimate_normalization(keypoints, mask)
    out = norm.apply(keypoints)
    out[~np.asarray(mask, bool)] = 0.0
    return out, norm


def denormalize(keypoints: np.ndarray, norm: Normalization, mask: np.ndarray | None = None):
    """Undo :func:`normalize`; missing points (if a mask is given) go back to 0."""
    out = norm.undo(keypoints)
    if mask is not None:
        out[~np.asarray(mask, bool)] = 0.0
    return out


#: The seed's fixed normalisation (values in [0, 1] for 1920x1080 video).
SEED_SCALE = (2048.0, 1152.0)


def fill_short_gaps(
    keypoints: np.ndarray, mask: np.ndarray, max_gap: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Linearly interpolate per point over gaps of at most ``max_gap`` missing frames.

    Only gaps with a detection on both sides are filled (the seed filled isolated missing
    frames with the mean of the neighbours, which is ``max_gap=1``). Longer gaps stay
    missing in the returned mask.
    """
    kp = np.array(keypoints, np.float32, copy=True)
    m = np.array(mask, bool, copy=True)
    t_len = len(kp)
    for p in range(kp.shape[1]):
        col = m[:, p]
        if col.all() or not col.any():
            continue
        t = 0
        while t < t_len:
            if col[t]:
                t += 1
                continue
            start = t
            while t < t_len and not col[t]:
                t += 1
            gap = t - start
            if start > 0 and t < t_len and gap <= max_gap:
                a, b = kp[start - 1, p], kp[t, p]
                for k in range(gap):
                    w = (k + 1) / (gap + 1)
                    kp[start + k, p] = (1 - w) * a + w * b
                m[start:t, p] = True
    return kp, m


# ---------------------------------------------------------------------------- neutral pose

#: Upper body at rest in the normalised frame (neck 0, shoulder width 1, y down), in the
#: order of POSE: arms hanging, hands in front of the hips.
_NEUTRAL_BODY = np.array(
    [[0.0, -0.47], [0.0, 0.0], [-0.5, 0.03], [-0.62, 0.8], [-0.33, 1.01], [0.5, 0.03],
     [0.53, 0.82], [0.23, 1.31], [0.0, 1.36], [-0.32, 1.36], [0.32, 1.36], [-0.11, -0.61],
     [0.11, -0.61], [-0.28, -0.62], [0.28, -0.62]], np.float32,
)  # fmt: skip
#: A relaxed right hand relative to its wrist (21 HAND points, shoulder widths); the left
#: hand is its mirror image.
_NEUTRAL_RIGHT_HAND = np.array(
    [[0.0, 0.0], [0.07, 0.01], [0.16, 0.01], [0.22, 0.05], [0.21, 0.07], [0.18, 0.12],
     [0.27, 0.18], [0.32, 0.2], [0.36, 0.21], [0.16, 0.16], [0.24, 0.23], [0.29, 0.26],
     [0.33, 0.27], [0.12, 0.17], [0.19, 0.24], [0.22, 0.27], [0.25, 0.28], [0.09, 0.17],
     [0.12, 0.24], [0.15, 0.25], [0.16, 0.26]], np.float32,
)  # fmt: skip


def neutral_hand(side: str) -> np.ndarray:
    """A relaxed hand ``[21, 2]`` relative to its wrist, ``side`` "right" or "left"."""
    if side == "right":
        return _NEUTRAL_RIGHT_HAND.copy()
    if side == "left":
        return _NEUTRAL_RIGHT_HAND * np.array([-1.0, 1.0], np.float32)
    raise ValueError(f"side must be 'right' or 'left', got {side!r}")


def neutral_pose() -> np.ndarray:
    """A resting signer ``[127, 2]`` in the normalised frame (the face is left at 0): where a
    point that was never detected is put when a complete pose is needed."""
    kp = np.zeros((NUM_POINTS, 2), np.float32)
    kp[POSE] = _NEUTRAL_BODY
    kp[RIGHT_HAND] = kp[R_WRIST] + neutral_hand("right")
    kp[LEFT_HAND] = kp[L_WRIST] + neutral_hand("left")
    return kp
