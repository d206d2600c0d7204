"""pose-format ``.pose`` files (package ``pose-format``) <-> the 127-point layout.

Reading maps points by component and point NAME, so reduced files work too (points a
file lacks are missing). Known layouts:

- OpenPose: components ``pose_keypoints_2d`` (BODY_25), ``face_keypoints_2d`` (FACE_70),
  ``hand_left_keypoints_2d`` / ``hand_right_keypoints_2d`` (HAND_21) with pose-format's
  OpenPose point names (aliases ``BODY_25``, ``FACE_70``, ``HAND_LEFT_21``,
  ``HAND_RIGHT_21`` are accepted too);
- OpenPose BODY_135 (one component ``BODY_135``; neck and mid hip are the midpoints of
  the shoulders and of the hips, hand wrists are the body wrists);
- MediaPipe Holistic: ``POSE_LANDMARKS`` (33), ``FACE_LANDMARKS`` (468 / 478, or a
  subset named by mesh index), ``LEFT_HAND_LANDMARKS`` / ``RIGHT_HAND_LANDMARKS`` (21),
  mapped with the fixed tables of :mod:`sign_pipeline.formats.mediapipe_map`.

A point is missing where the file masks it or its confidence is 0. Only the first person
is read. Writing produces a pose-format OpenPose file (the four components above with
pose-format's own names, point names and limbs, so pose-format / sign.mt tools open it):
our 15 body points are put at their BODY_25 slots, the leg and foot joints are written
as missing (confidence 0). ``read_pose(write_pose(seq))`` gives back the same keypoints
and mask exactly.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from sign_pipeline import skeleton
from sign_pipeline.formats import FormatError
from sign_pipeline.formats.mediapipe_map import (
    MEDIAPIPE_HAND_NAMES,
    MEDIAPIPE_POSE_NAMES,
    holistic_to_127_batch,
)
from sign_pipeline.skeleton import PoseSequence

#: Frame size written when a sequence does not know its own (pose-format's default).
DEFAULT_SIZE = 1000

_OP_BODY = ("pose_keypoints_2d", "BODY_25")
_OP_FACE = ("face_keypoints_2d", "FACE_70")
_OP_LEFT = ("hand_left_keypoints_2d", "HAND_LEFT_21", "LEFT_HAND_21")
_OP_RIGHT = ("hand_right_keypoints_2d", "HAND_RIGHT_21", "RIGHT_HAND_21")
_MP = ("POSE_LANDMARKS", "FACE_LANDMARKS", "LEFT_HAND_LANDMARKS", "RIGHT_HAND_LANDMARKS")

#: pose-format OpenPose BODY_25 point name of each of our 15 pose points.
_OP_POSE_NAMES = (
    "Nose", "Neck", "RShoulder", "RElbow", "RWrist", "LShoulder", "LElbow", "LWrist",
    "MidHip", "RHip", "LHip", "REye", "LEye", "REar", "LEar",
)  # fmt: skip
_OP_HAND_NAMES = (
    "BASE", "T_STT", "T_BCMC", "T_MCP", "T_IP", "I_CMC", "I_MCP", "I_PIP", "I_DIP",
    "M_CMC", "M_MCP", "M_PIP", "M_DIP", "R_CMC", "R_MCP", "R_PIP", "R_DIP",
    "P_CMC", "P_MCP", "P_PIP", "P_DIP",
)  # fmt: skip
#: BODY_135 sources of our 15 pose points (averaged).
_B135_POSE = (
    ("Nose",), ("LShoulder", "RShoulder"), ("RShoulder",), ("RElbow",), ("RWrist",),
    ("LShoulder",), ("LElbow",), ("LWrist",), ("LHip", "RHip"), ("RHip",), ("LHip",),
    ("REye",), ("LEye",), ("REar",), ("LEar",),
)  # fmt: skip
_B135_FACE = (
    [f"FaceContour{i}" for i in range(17)]
    + [f"REyeBrow{i}" for i in range(5)]
    + [f"LEyeBrow{i}" for i in (4, 3, 2, 1, 0)]
    + [f"NoseUpper{i}" for i in range(4)]
    + [f"NoseLower{i}" for i in range(5)]
    + [f"REye{i}" for i in range(6)]
    + [f"LEye{i}" for i in range(6)]
    + [f"OMouth{i}" for i in range(12)]
    + [f"IMouth{i}" for i in range(8)]
    + ["RPupil", "LPupil"]
)
_B135_FINGERS = (
    "Thumb1CMC", "Thumb2Knuckles", "Thumb3IP", "Thumb4FingerTip",
    "Index1Knuckles", "Index2PIP", "Index3DIP", "Index4FingerTip",
    "Middle1Knuckles", "Middle2PIP", "Middle3DIP", "Middle4FingerTip",
    "Ring1Knuckles", "Ring2PIP", "Ring3DIP", "Ring4FingerTip",
    "Pinky1Knuckles", "Pinky2PIP", "Pinky3DIP", "Pinky4FingerTip",
)  # fmt: skip


def _face_number(name: str) -> int | None:
    """pose-format OpenPose face point name -> its FACE_70 index (``FLO_48`` -> 48)."""
    tail = name.rsplit("_", 1)[-1]
    return int(tail) if tail.isdigit() else None


class _Frames:
    """Per-component access to the first person's points: xy [T, N, 2], ok [T, N]."""

    def __init__(self, pose, path: Path) -> None:
        data = pose.body.data
        arr = np.ma.getdata(data)[:, 0, :, :2].astype(np.float64)  # first person
        masked = np.ma.getmaskarray(data)[:, 0, :, :2].any(axis=-1)
        conf = np.asarray(pose.body.confidence)[:, 0]
        ok = ~masked & (conf > 0) & np.isfinite(arr).all(axis=-1)
        self.xy, self.ok = arr, ok
        self.t_len = arr.shape[0]
        self.index: dict[str, dict[str, int]] = {}
        start = 0
        for comp in pose.header.components:
            self.index[comp.name] = {p: start + k for k, p in enumerate(comp.points)}
            start += len(comp.points)
        if start != arr.shape[1]:
            raise FormatError(f"{path}: header has {start} points but the body has {arr.shape[1]}")

    def component(self, names: tuple[str, ...]) -> str | None:
        return next((n for n in names if n in self.index), None)

    def mean(self, comp: str, points: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
        """Mean of named points of a component; missing where any is missing or unknown."""
        idx = self.index.get(comp, {})
        if not points or any(p not in idx for p in points):
            return np.zeros((self.t_len, 2)), np.zeros(self.t_len, bool)
        cols = [idx[p] for p in points]
        return self.xy[:, cols].mean(axis=1), self.ok[:, cols].all(axis=1)

    def nan_array(self, comp: str | None, names: list[str]) -> np.ndarray | None:
        """[T, len(names), 2] of a component's named points, NaN where missing/absent."""
        if comp is None:
            return None
        idx = self.index[comp]
        out = np.full((self.t_len, len(names), 2), np.nan)
        for k, name in enumerate(names):
            if name in idx:
                j = idx[name]
                good = self.ok[:, j]
                out[good, k] = self.xy[good, j]
        return out


def _fill(kp, mask, frames: _Frames, target: int, comp: str, points: tuple[str, ...]) -> None:
    xy, ok = frames.mean(comp, points)
    kp[:, target] = np.where(ok[:, None], xy, 0.0)
    mask[:, target] = ok


def _read_openpose(frames: _Frames) -> tuple[np.ndarray, np.ndarray]:
    kp = np.zeros((frames.t_len, skeleton.NUM_POINTS, 2))
    mask = np.zeros((frames.t_len, skeleton.NUM_POINTS), bool)
    body = frames.component(_OP_BODY)
    if body:
        for k, name in enumerate(_OP_POSE_NAMES):
            _fill(kp, mask, frames, skeleton.POSE.start + k, body, (name,))
    face = frames.component(_OP_FACE)
    if face:
        by_number = {_face_number(p): p for p in frames.index[face]}
        for k in range(70):
            if k in by_number:
                _fill(kp, mask, frames, skeleton.FACE.start + k, face, (by_number[k],))
    for names, block in ((_OP_LEFT, skeleton.LEFT_HAND), (_OP_RIGHT, skeleton.RIGHT_HAND)):
        hand = frames.component(names)
        if hand:
            for k, name in enumerate(_OP_HAND_NAMES):
                _fill(kp, mask, frames, block.start + k, hand, (name,))
    return kp, mask


def _read_body135(frames: _Frames) -> tuple[np.ndarray, np.ndarray]:
    kp = np.zeros((frames.t_len, skeleton.NUM_POINTS, 2))
    mask = np.zeros((frames.t_len, skeleton.NUM_POINTS), bool)
    for k, sources in enumerate(_B135_POSE):
        _fill(kp, mask, frames, skeleton.POSE.start + k, "BODY_135", sources)
    for k, name in enumerate(_B135_FACE):
        _fill(kp, mask, frames, skeleton.FACE.start + k, "BODY_135", (name,))
    for side, block in (("L", skeleton.LEFT_HAND), ("R", skeleton.RIGHT_HAND)):
        _fill(kp, mask, frames, block.start, "BODY_135", (f"{side}Wrist",))
        for k, finger in enumerate(_B135_FINGERS):
            _fill(kp, mask, frames, block.start + 1 + k, "BODY_135", (side + finger,))
    return kp, mask


def _read_holistic(frames: _Frames) -> tuple[np.ndarray, np.ndarray]:
    face_comp = frames.component(("FACE_LANDMARKS",))
    n_face = 478
    pose33 = frames.nan_array(frames.component(("POSE_LANDMARKS",)), list(MEDIAPIPE_POSE_NAMES))
    face = frames.nan_array(face_comp, [str(i) for i in range(n_face)])
    left = frames.nan_array(frames.component(("LEFT_HAND_LANDMARKS",)), list(MEDIAPIPE_HAND_NAMES))
    right = frames.nan_array(
        frames.component(("RIGHT_HAND_LANDMARKS",)), list(MEDIAPIPE_HAND_NAMES)
    )
    # pose-format stores MediaPipe landmarks already in pixels: scale 1.
    kp, mask = holistic_to_127_batch(pose33, face, left, right, 1.0, 1.0)
    return kp.astype(np.float64), mask


def read_pose(path: str | os.PathLike) -> PoseSequence:
    """Read a ``.pose`` file (OpenPose, OpenPose BODY_135 or MediaPipe Holistic layout).

    Coordinates stay in the file's pixel space; ``width``/``height``/``fps`` come from the
    header. Raises :class:`FormatError` naming the file and the components found when the
    layout is unknown, or when the file is not a readable ``.pose`` file.
    """
    from pose_format import Pose

    path = Path(path)
    try:
        buffer = path.read_bytes()
    except OSError as err:
        raise FormatError(f"{path}: cannot read ({err.strerror or err})") from None
    try:
        pose = Pose.read(buffer)
    except Exception as err:  # pose-format raises struct/Unicode/Value errors on bad bytes
        raise FormatError(
            f"{path}: not a readable .pose file ({type(err).__name__}: {err})"
        ) from None
    names = [c.name for c in pose.header.components]
    if np.ma.getdata(pose.body.data).shape[1] == 0:
        raise FormatError(f"{path}: the file holds no person")
    frames = _Frames(pose, path)
    if any(frames.component(n) for n in (_OP_BODY, _OP_FACE, _OP_LEFT, _OP_RIGHT)):
        layout, (kp, mask) = "openpose", _read_openpose(frames)
    elif "BODY_135" in frames.index:
        layout, (kp, mask) = "openpose_135", _read_body135(frames)
    elif any(n in frames.index for n in _MP):
        layout, (kp, mask) = "holistic", _read_holistic(frames)
    else:
        raise FormatError(
            f"{path}: unknown .pose layout, components found: {names} (expected OpenPose "
            "pose_keypoints_2d/face_keypoints_2d/hand_*_keypoints_2d, BODY_135, or MediaPipe "
            "POSE_LANDMARKS/FACE_LANDMARKS/LEFT_HAND_LANDMARKS/RIGHT_HAND_LANDMARKS)"
        )
    if not mask.any():
        raise FormatError(
            f"{path}: no point of components {names} maps onto the 127-point layout "
            f"(layout {layout}, point names not recognised?)"
        )
    dims = pose.header.dimensions
    return PoseSequence(
        kp.astype(np.float32),
        mask,
        fps=round(float(pose.body.fps), 4),
        width=int(dims.width) or None,
        height=int(dims.height) or None,
        meta={"source": "pose", "layout": layout, "path": str(path), "components": names},
    )


def write_pose(seq: PoseSequence, path: str | os.PathLike) -> Path:
    """Write ``seq`` as a pose-format OpenPose file (BODY_25 + FACE_70 + 2 x HAND_21).

    Confidence is 1 for present and 0 for missing points (which are masked). Unknown
    ``width``/``height`` are written as :data:`DEFAULT_SIZE`.
    """
    from pose_format import Pose
    from pose_format.numpy.pose_body import NumPyPoseBody
    from pose_format.pose_header import PoseHeader, PoseHeaderDimensions
    from pose_format.utils.openpose import OpenPose_Components

    path = Path(path)
    t_len = len(seq)
    total = 25 + 70 + 21 + 21
    data = np.zeros((t_len, 1, total, 2), np.float32)
    conf = np.zeros((t_len, 1, total), np.float32)
    cols = np.concatenate(
        [
            np.array(skeleton.BODY25_INDICES),
            25 + np.arange(70),
            95 + np.arange(21),
            116 + np.arange(21),
        ]
    )
    data[:, 0, cols] = seq.keypoints
    conf[:, 0, cols] = seq.mask
    data[conf == 0] = 0.0
    missing = np.repeat((conf == 0)[..., None], 2, axis=-1)
    header = PoseHeader(
        version=0.2,
        dimensions=PoseHeaderDimensions(
            width=int(seq.width or DEFAULT_SIZE), height=int(seq.height or DEFAULT_SIZE), depth=0
        ),
        components=OpenPose_Components,
    )
    body = NumPyPoseBody(
        fps=float(seq.fps), data=np.ma.masked_array(data, mask=missing), confidence=conf
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        Pose(header, body).write(f)
    return path
