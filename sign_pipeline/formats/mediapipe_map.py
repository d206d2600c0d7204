"""Fixed index tables from MediaPipe Holistic landmarks onto the 127-point layout.

Used by the video extractor (``formats/video.py``) and the ``.pose`` reader
(``formats/pose.py``), so both map MediaPipe output the same way.

- Pose: the 15 BODY_25 points are taken from the 33 MediaPipe pose landmarks;
  the neck is the midpoint of the shoulders, the mid hip the midpoint of the hips.
  MediaPipe's LEFT/RIGHT are the signer's own sides, as in OpenPose.
- Face: the 68 dlib/OpenPose-style landmarks are single points of the 468-point face mesh
  (jaw line from the signer's right ear down to the chin and up to the left ear, brows
  outer->inner on the right and inner->outer on the left, nose bridge, nostrils, eyes
  starting at the right eye's outer corner, outer and inner lips starting at the right
  mouth corner). The 2 pupils are the refined iris centres 468 (right) / 473 (left) when
  the mesh has 478 points, otherwise the mean of the eye's two corners and its upper and
  lower lid midpoints.
- Hands: MediaPipe's 21 hand landmarks are already in the OpenPose HAND_21 order.

Every point of an output frame is the mean of its source landmarks; it is missing when
any source is missing (component ``None`` or a NaN coordinate).
"""

from __future__ import annotations

import numpy as np

from sign_pipeline import skeleton

#: MediaPipe pose landmark indices (0..32) averaged for each of the 15 pose points,
#: in :data:`sign_pipeline.skeleton.POSE_NAMES` order.
MEDIAPIPE_POSE_TO_BODY15: tuple[tuple[int, ...], ...] = (
    (0,),  # nose
    (11, 12),  # neck = midpoint of the shoulders
    (12,),  # right_shoulder
    (14,),  # right_elbow
    (16,),  # right_wrist
    (11,),  # left_shoulder
    (13,),  # left_elbow
    (15,),  # left_wrist
    (23, 24),  # mid_hip = midpoint of the hips
    (24,),  # right_hip
    (23,),  # left_hip
    (5,),  # right_eye
    (2,),  # left_eye
    (8,),  # right_ear
    (7,),  # left_ear
)

#: MediaPipe pose landmark names (pose-format's POSE_LANDMARKS point names), by index.
MEDIAPIPE_POSE_NAMES: tuple[str, ...] = (
    "NOSE", "LEFT_EYE_INNER", "LEFT_EYE", "LEFT_EYE_OUTER", "RIGHT_EYE_INNER", "RIGHT_EYE",
    "RIGHT_EYE_OUTER", "LEFT_EAR", "RIGHT_EAR", "MOUTH_LEFT", "MOUTH_RIGHT", "LEFT_SHOULDER",
    "RIGHT_SHOULDER", "LEFT_ELBOW", "RIGHT_ELBOW", "LEFT_WRIST", "RIGHT_WRIST", "LEFT_PINKY",
    "RIGHT_PINKY", "LEFT_INDEX", "RIGHT_INDEX", "LEFT_THUMB", "RIGHT_THUMB", "LEFT_HIP",
    "RIGHT_HIP", "LEFT_KNEE", "RIGHT_KNEE", "LEFT_ANKLE", "RIGHT_ANKLE", "LEFT_HEEL",
    "RIGHT_HEEL", "LEFT_FOOT_INDEX", "RIGHT_FOOT_INDEX",
)  # fmt: skip

#: MediaPipe hand landmark names (pose-format's LEFT/RIGHT_HAND_LANDMARKS point names).
MEDIAPIPE_HAND_NAMES: tuple[str, ...] = (
    "WRIST", "THUMB_CMC", "THUMB_MCP", "THUMB_IP", "THUMB_TIP",
    "INDEX_FINGER_MCP", "INDEX_FINGER_PIP", "INDEX_FINGER_DIP", "INDEX_FINGER_TIP",
    "MIDDLE_FINGER_MCP", "MIDDLE_FINGER_PIP", "MIDDLE_FINGER_DIP", "MIDDLE_FINGER_TIP",
    "RING_FINGER_MCP", "RING_FINGER_PIP", "RING_FINGER_DIP", "RING_FINGER_TIP",
    "PINKY_MCP", "PINKY_PIP", "PINKY_DIP", "PINKY_TIP",
)  # fmt: skip

_FACE68: tuple[int, ...] = (
    # jaw 0-16: signer's right ear -> chin (8) -> left ear
    127, 234, 93, 132, 58, 136, 150, 176, 152, 400, 379, 365, 288, 361, 323, 454, 356,
    # right brow 17-21 (outer -> inner), left brow 22-26 (inner -> outer)
    70, 63, 105, 66, 107, 336, 296, 334, 293, 300,
    # nose bridge 27-30 (top -> tip), nostrils 31-35 (right -> left)
    168, 197, 5, 1, 75, 97, 2, 326, 305,
    # right eye 36-41: outer corner, upper lid x2, inner corner, lower lid x2
    33, 160, 158, 133, 153, 144,
    # left eye 42-47: inner corner, upper lid x2, outer corner, lower lid x2
    362, 385, 387, 263, 373, 380,
    # outer lips 48-59: right corner, upper lip, left corner (54), lower lip
    61, 39, 37, 0, 267, 269, 291, 405, 314, 17, 84, 181,
    # inner lips 60-67: right corner, upper, left corner (64), lower
    78, 81, 13, 311, 308, 402, 14, 178,
)  # fmt: skip

#: Fallback pupil estimate (mesh without iris refinement): eye corners + lid midpoints.
RIGHT_EYE_POINTS: tuple[int, ...] = (33, 133, 159, 145)
LEFT_EYE_POINTS: tuple[int, ...] = (362, 263, 386, 374)
#: Refined-mesh iris centres (present when the mesh has 478 points): right, left.
IRIS_CENTERS: tuple[int, int] = (468, 473)

#: Face-mesh indices averaged for each of the 70 FACE_70 points. The two pupil entries
#: hold the fallback eye points; :func:`holistic_to_127` prefers :data:`IRIS_CENTERS`.
MEDIAPIPE_FACE_TO_FACE70: tuple[tuple[int, ...], ...] = tuple((i,) for i in _FACE68) + (
    RIGHT_EYE_POINTS,
    LEFT_EYE_POINTS,
)

#: Hand landmarks map one to one (MediaPipe and OpenPose share the HAND_21 order).
MEDIAPIPE_HAND_TO_HAND21: tuple[int, ...] = tuple(range(21))

assert len(MEDIAPIPE_POSE_TO_BODY15) == 15
assert len(MEDIAPIPE_FACE_TO_FACE70) == 70
assert len(set(_FACE68)) == 68


def _take(
    points: np.ndarray | None, table: tuple[tuple[int, ...], ...], scale: np.ndarray, t_len: int
) -> tuple[np.ndarray, np.ndarray]:
    """Mean of the source points per output point, scaled; missing if any source is.

    ``points`` is ``[T, N, >=2]`` (or None: all missing). Returns ``([T, K, 2], [T, K])``.
    """
    n = len(table)
    out = np.zeros((t_len, n, 2), np.float64)
    ok = np.zeros((t_len, n), bool)
    if points is None:
        return out, ok
    arr = np.asarray(points, np.float64)
    if arr.ndim != 3 or arr.shape[0] != t_len or arr.shape[2] < 2:
        raise ValueError(f"landmarks must be [T={t_len}, N, 2 or 3], got shape {arr.shape}")
    xy = arr[:, :, :2]
    for k, sources in enumerate(table):
        if max(sources) >= xy.shape[1]:
            continue
        src = xy[:, list(sources)]  # [T, S, 2]
        good = ~np.isnan(src).any(axis=(1, 2))
        out[good, k] = src[good].mean(axis=1) * scale
        ok[:, k] = good
    return out, ok


def holistic_to_127_batch(
    pose33: np.ndarray | None,
    face468: np.ndarray | None,
    left21: np.ndarray | None,
    right21: np.ndarray | None,
    width: float,
    height: float,
    *,
    pose_visibility: np.ndarray | None = None,
    min_visibility: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`holistic_to_127` for ``T`` frames at once.

    Each input is ``[T, N, 2 or 3]`` (NaN rows/points where not detected) or ``None``
    (that part missing in every frame); ``pose_visibility`` is ``[T, 33]``.
    Returns ``(keypoints [T, 127, 2] float32, mask [T, 127] bool)``.
    """
    parts = [p for p in (pose33, face468, left21, right21) if p is not None]
    if not parts:
        raise ValueError("holistic_to_127_batch needs at least one landmark array")
    t_len = int(np.asarray(parts[0]).shape[0])
    scale = np.array([float(width), float(height)], np.float64)
    kp = np.zeros((t_len, skeleton.NUM_POINTS, 2), np.float64)
    mask = np.zeros((t_len, skeleton.NUM_POINTS), bool)

    if pose33 is not None and pose_visibility is not None:
        pose33 = np.array(pose33, np.float64, copy=True)
        vis = np.asarray(pose_visibility, np.float64).reshape(t_len, -1)
        low = np.zeros(pose33.shape[:2], bool)
        low[:, : vis.shape[1]] = vis < min_visibility
        pose33[low] = np.nan
    kp[:, skeleton.POSE], mask[:, skeleton.POSE] = _take(
        pose33, MEDIAPIPE_POSE_TO_BODY15, scale, t_len
    )

    face_kp, face_ok = _take(face468, MEDIAPIPE_FACE_TO_FACE70, scale, t_len)
    if face468 is not None:
        face = np.asarray(face468, np.float64)
        for k, iris in zip((68, 69), IRIS_CENTERS, strict=True):
            if face.shape[1] > iris:
                xy = face[:, iris, :2]
                good = ~np.isnan(xy).any(axis=1)
                face_kp[good, k] = xy[good] * scale
                face_ok[good, k] = True
    kp[:, skeleton.FACE], mask[:, skeleton.FACE] = face_kp, face_ok

    hand_table = tuple((i,) for i in MEDIAPIPE_HAND_TO_HAND21)
    kp[:, skeleton.LEFT_HAND], mask[:, skeleton.LEFT_HAND] = _take(left21, hand_table, scale, t_len)
    kp[:, skeleton.RIGHT_HAND], mask[:, skeleton.RIGHT_HAND] = _take(
        right21, hand_table, scale, t_len
    )
    out = kp.astype(np.float32)
    out[~mask] = 0.0
    return out, mask


def holistic_to_127(
    pose33: np.ndarray | None,
    face468: np.ndarray | None,
    left21: np.ndarray | None,
    right21: np.ndarray | None,
    width: float,
    height: float,
    *,
    pose_visibility: np.ndarray | None = None,
    min_visibility: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Map one frame of MediaPipe Holistic landmarks onto the 127-point layout.

    Inputs are MediaPipe's normalised image coordinates (``[N, 2]`` or ``[N, 3]``; z is
    ignored), ``None`` for a part that was not detected, and NaN for single missing
    landmarks. They are multiplied by ``width``/``height`` into pixels (pass 1, 1 for
    inputs already in pixels). ``face468`` may have 468 or 478 (iris-refined) points.
    With ``pose_visibility`` ([33]), pose landmarks under ``min_visibility`` are missing.

    Returns ``(keypoints [127, 2] float32 pixels, mask [127] bool)``; missing points are 0.
    """

    def one(a: np.ndarray | None) -> np.ndarray | None:
        return None if a is None else np.asarray(a, np.float64)[None]

    if all(a is None for a in (pose33, face468, left21, right21)):
        return np.zeros((skeleton.NUM_POINTS, 2), np.float32), np.zeros(skeleton.NUM_POINTS, bool)
    kp, mask = holistic_to_127_batch(
        one(pose33),
        one(face468),
        one(left21),
        one(right21),
        width,
        height,
        pose_visibility=one(pose_visibility),
        min_visibility=min_visibility,
    )
    return kp[0], mask[0]
