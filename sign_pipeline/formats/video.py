"""Video -> keypoints in the 127-point layout with MediaPipe Holistic.

Frames are read with OpenCV (FFmpeg backend), converted BGR -> RGB and run through one
``mediapipe.solutions.holistic.Holistic`` per call (tracking mode, so landmarks are
smoothed across frames). Each frame's landmarks go through
:func:`sign_pipeline.formats.mediapipe_map.holistic_to_127` into pixel coordinates.

Settings, checked offline with ``mediapipe==0.10.14``:

- ``model_complexity=1`` is the only pose model shipped in the wheel; 0 and 2 try to
  download ``pose_landmark_lite/heavy.tflite`` and fail without internet.
- ``refine_face_landmarks=True`` works offline (``face_landmark_with_attention.tflite`` is
  in the wheel) and adds the 10 iris points, so the two FACE_70 pupils are real iris
  centres instead of an eye-corner average. It costs about 5 % speed.

Missing data is *missing* (mask False, coordinates 0), never a zero coordinate:

- a part Holistic did not find (pose, face, either hand) is missing as a whole;
- a pose landmark whose MediaPipe visibility is under ``min_visibility`` (default 0.1) is
  missing. MediaPipe always guesses all 33 pose landmarks; for body parts outside the
  picture (hips under a webcam frame) its visibility is ~0.01-0.04. The threshold is
  deliberately lower than MediaPipe's drawing default of 0.5: a wrist moving fast in
  front of the body is blurred and gets visibility 0.2-0.5 while it is in the frame
  and correctly placed (measured on the test video);
- other points MediaPipe places outside the frame (an elbow cut by the frame edge, a
  resting wrist just under it with visibility ~0.2) are kept with their out-of-frame
  coordinates: they are MediaPipe's extrapolations, usually right, never clipped.
  Pass ``min_visibility=0.5`` for OpenPose-like "only what is clearly seen".

MediaPipe's C++ start-up logs (and OpenCV/FFmpeg complaints about broken files) go to
file descriptor 2; it is pointed at /dev/null during extraction, process-wide.
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import numpy as np

from sign_pipeline import skeleton
from sign_pipeline.formats import FormatError
from sign_pipeline.formats.mediapipe_map import holistic_to_127

#: Pose landmarks with a MediaPipe visibility under this are marked missing.
MIN_POSE_VISIBILITY = 0.1
#: Holistic settings used for every extraction (the only offline-capable pose model).
HOLISTIC_SETTINGS: dict = {
    "static_image_mode": False,
    "model_complexity": 1,
    "smooth_landmarks": True,
    "refine_face_landmarks": True,
    "min_detection_confidence": 0.5,
    "min_tracking_confidence": 0.5,
}
#: Frame rate used when the container does not state one.
DEFAULT_FPS = 30.0


@contextlib.contextmanager
def _native_logs_silenced() -> Iterator[TextIO]:
    """Silence MediaPipe's C++ log lines, written straight to file descriptor 2.

    They appear while the graph is built and whenever a model is first loaded (the hand
    model only when a hand first shows up). Yields a stream on the real stderr for the
    progress bar. Python exceptions are unaffected; fd 2 is restored afterwards.
    """
    try:
        python_stderr_is_fd2 = sys.stderr.fileno() == 2
    except (AttributeError, OSError, ValueError):
        python_stderr_is_fd2 = False
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no usable fd 2: leave it alone
        yield sys.stderr
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    stream = os.fdopen(os.dup(saved), "w") if python_stderr_is_fd2 else sys.stderr
    try:
        os.dup2(devnull, 2)
        yield stream
    finally:
        stream.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
        if stream is not sys.stderr:
            stream.close()


def _landmarks(result_part) -> np.ndarray | None:
    """MediaPipe landmark list -> [N, 2] normalised (x, y), or None when not detected."""
    if result_part is None:
        return None
    return np.array([(p.x, p.y) for p in result_part.landmark], np.float64)


def _open(path: Path):
    """Open a video with OpenCV's FFmpeg backend; clear errors for bad paths/files."""
    import cv2

    if not path.exists():
        raise FileNotFoundError(f"{path}: no such video file")
    if path.is_dir():
        raise FormatError(f"{path}: is a folder, not a video file")
    cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    if not cap.isOpened():
        cap.release()
        raise FormatError(f"{path}: cannot be read as a video (not a video file or unsupported)")
    return cap


def _frames(cap, path: Path, max_frames: int | None) -> Iterator[np.ndarray]:
    """Decoded BGR frames; all must have the size of the first one."""
    first_shape = None
    n = 0
    while max_frames is None or n < max_frames:
        ok, bgr = cap.read()
        if not ok:
            return
        if first_shape is None:
            first_shape = bgr.shape
        elif bgr.shape != first_shape:
            raise FormatError(
                f"{path}: frame {n} is {bgr.shape[1]}x{bgr.shape[0]}, "
                f"frame 0 was {first_shape[1]}x{first_shape[0]}"
            )
        n += 1
        yield bgr


def _progress_bar(name: str, total: int | None, stream: TextIO):
    from tqdm import tqdm

    return tqdm(total=total, unit="frame", desc=name, file=stream)


def _process_frame(
    holistic, bgr: np.ndarray, width: int, height: int, min_visibility: float
) -> tuple[np.ndarray, np.ndarray]:
    """One BGR frame -> (keypoints [127, 2] pixels, mask [127])."""
    import cv2

    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    rgb.flags.writeable = False
    res = holistic.process(rgb)
    vis = None
    if res.pose_landmarks is not None:
        vis = np.array([p.visibility for p in res.pose_landmarks.landmark], np.float64)
    return holistic_to_127(
        _landmarks(res.pose_landmarks),
        _landmarks(res.face_landmarks),
        _landmarks(res.left_hand_landmarks),
        _landmarks(res.right_hand_landmarks),
        width,
        height,
        pose_visibility=vis,
        min_visibility=min_visibility,
    )


def extract_video(
    path: str | Path,
    progress: bool = False,
    max_frames: int | None = None,
    min_visibility: float = MIN_POSE_VISIBILITY,
) -> skeleton.PoseSequence:
    """Run MediaPipe Holistic over a video file and return its keypoints (pixels).

    ``fps``, ``width`` and ``height`` come from the file; ``max_frames`` stops early.
    Raises ``FileNotFoundError`` for a missing file and
    :class:`~sign_pipeline.formats.FormatError` for a file that is not a readable video or
    has no frames.
    """
    import cv2
    import mediapipe as mp

    path = Path(path)
    if max_frames is not None and max_frames < 1:
        raise ValueError(f"max_frames must be at least 1, got {max_frames}")
    frames_kp: list[np.ndarray] = []
    frames_mask: list[np.ndarray] = []
    # OpenCV/FFmpeg complain about broken files and MediaPipe logs model loading, all
    # straight to fd 2: keep the terminal clean, errors still arrive as exceptions
    with warnings.catch_warnings(), _native_logs_silenced() as log_stream:
        # protobuf's deprecation warning, raised inside mediapipe
        warnings.filterwarnings("ignore", message=r".*GetPrototype\(\) is deprecated")
        cap = _open(path)
        try:
            fps = float(cap.get(cv2.CAP_PROP_FPS))
            if not math.isfinite(fps) or fps <= 0:
                fps = DEFAULT_FPS
            width = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH))
            height = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
            total = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
            total = total if total > 0 else None
            if max_frames is not None:
                total = min(total, max_frames) if total else max_frames
            bar = _progress_bar(path.name, total, log_stream) if progress else None
            holistic = mp.solutions.holistic.Holistic(**HOLISTIC_SETTINGS)
            try:
                for bgr in _frames(cap, path, max_frames):
                    # the decoded size is the truth (a header may disagree, e.g. rotation)
                    height, width = bgr.shape[:2]
                    kp, mask = _process_frame(holistic, bgr, width, height, min_visibility)
                    frames_kp.append(kp)
                    frames_mask.append(mask)
                    if bar is not None:
                        bar.update(1)
            finally:
                holistic.close()
                if bar is not None:
                    bar.close()
        finally:
            cap.release()

    if not frames_kp:
        raise FormatError(f"{path}: the video has no frames")
    return skeleton.PoseSequence(
        keypoints=np.stack(frames_kp),
        mask=np.stack(frames_mask),
        fps=fps,
        width=width,
        height=height,
        meta={
            "source": str(path),
            "extractor": f"mediapipe {mp.__version__} holistic",
            "model_complexity": HOLISTIC_SETTINGS["model_complexity"],
            "refine_face_landmarks": HOLISTIC_SETTINGS["refine_face_landmarks"],
            "min_pose_visibility": float(min_visibility),
        },
    )


def detection_rates(seq: skeleton.PoseSequence) -> dict[str, float]:
    """Fraction of frames in which each block (pose, face, left/right hand) was detected."""
    rates = {}
    for name, sl in skeleton.BLOCKS.items():
        rates[name] = float(seq.mask[:, sl].any(axis=1).mean()) if len(seq) else 0.0
    return rates


__all__ = ["extract_video", "detection_rates", "MIN_POSE_VISIBILITY", "HOLISTIC_SETTINGS"]
