"""OpenPose per-frame JSON (version 1.3, as in the AI Hub sign language data).

One file per frame, ``{clip}_{frame:012d}_keypoints.json``::

    {"version": 1.3, "people": [{"person_id": [-1],
        "pose_keypoints_2d": [75 floats], "face_keypoints_2d": [210 floats],
        "hand_left_keypoints_2d": [63 floats], "hand_right_keypoints_2d": [63 floats],
        "pose_keypoints_3d": [], "face_keypoints_3d": [], ...}]}

Reading keeps the 15 upper-body points of BODY_25 (:data:`skeleton.BODY25_INDICES`), the
70 face and 2 x 21 hand points, and drops the confidence. A point is *missing* when its
confidence is 0 or its coordinates are (0, 0) (what OpenPose writes for "not found").

Leniency (all seen in real releases): ``people`` may be a list or a dict (one person, or
persons keyed by id); the ``*_3d`` arrays may be empty or filled (ignored); a block list
may be empty (that part was not run: all its points missing); a frame with no person is
all missing. When ``people`` holds several persons, the FIRST one is used (the signer is
alone in the AI Hub recordings); :class:`FolderReport` counts such frames.
"""

from __future__ import annotations

import glob
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sign_pipeline import skeleton
from sign_pipeline.formats import FormatError, read_json
from sign_pipeline.skeleton import PoseSequence

#: OpenPose JSON version written by :func:`write_openpose_folder`.
OPENPOSE_VERSION = 1.3
_FRAME_RE = re.compile(r"(\d+)_keypoints\.json$")
_DIGITS_RE = re.compile(r"(\d+)")
_BODY25 = np.array(skeleton.BODY25_INDICES)


@dataclass
class FolderReport:
    """What :func:`read_openpose_folder` found.

    ``skipped`` lists ``(file name, reason)`` for frames that could not be read; each kept
    its time slot as an all-missing frame. ``gaps`` are frame numbers with no file at all
    (also all-missing slots). ``multi_person`` counts frames with more than one person.
    """

    folder: Path
    n_frames: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    gaps: list[int] = field(default_factory=list)
    multi_person: int = 0


def _parse_person(person: object, path: Path) -> tuple[np.ndarray, np.ndarray]:
    kp = np.zeros((skeleton.NUM_POINTS, 2), np.float32)
    mask = np.zeros(skeleton.NUM_POINTS, bool)
    if not isinstance(person, dict):
        raise FormatError(f"{path}: a person must be a JSON object, got {type(person).__name__}")
    for block, (key, n_points) in skeleton.OPENPOSE_KEYS.items():
        values = person.get(key, [])
        if values is None:
            values = []
        if not isinstance(values, list):
            raise FormatError(f"{path}: {key} must be a list, got {type(values).__name__}")
        if len(values) == 0:
            continue  # this part was not run / not found: all missing
        if len(values) != n_points * 3:
            raise FormatError(
                f"{path}: {key} has {len(values)} values, expected {n_points * 3} "
                f"({n_points} points x (x, y, confidence))"
            )
        try:
            arr = np.array(values, dtype=np.float64).reshape(n_points, 3)
        except (TypeError, ValueError) as err:
            raise FormatError(f"{path}: {key} holds a non-number value ({err})") from None
        if block == "pose":
            arr = arr[_BODY25]
        xy, conf = arr[:, :2], arr[:, 2]
        ok = (conf > 0) & ~(xy == 0).all(axis=1) & np.isfinite(xy).all(axis=1)
        sl = skeleton.BLOCKS[block]
        kp[sl][ok] = xy[ok]
        mask[sl] = ok
    return kp, mask


def _first_person(people: object, path: Path) -> tuple[object | None, int]:
    """The first person of ``people`` (list or dict) and the number of persons."""
    if isinstance(people, list):
        return (people[0] if people else None), len(people)
    if isinstance(people, dict):
        if not people:
            return None, 0
        if any(key in people for key, _ in skeleton.OPENPOSE_KEYS.values()):
            return people, 1  # a single person stored directly as a dict
        keys = sorted(
            people, key=lambda k: (not str(k).isdigit(), int(k) if str(k).isdigit() else 0, str(k))
        )
        return people[keys[0]], len(people)
    raise FormatError(f"{path}: 'people' must be a list or an object, got {type(people).__name__}")


def _read_frame(path: Path) -> tuple[np.ndarray, np.ndarray, int]:
    data = read_json(path)
    if not isinstance(data, dict):
        raise FormatError(f"{path}: expected a JSON object, got {type(data).__name__}")
    if "people" not in data:
        raise FormatError(f"{path}: no 'people' key (not an OpenPose keypoints file?)")
    person, count = _first_person(data["people"], path)
    if person is None:
        return (
            np.zeros((skeleton.NUM_POINTS, 2), np.float32),
            np.zeros(skeleton.NUM_POINTS, bool),
            0,
        )
    kp, mask = _parse_person(person, path)
    return kp, mask, count


def read_openpose_frame(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Read one OpenPose JSON frame -> ``(keypoints [127, 2] float32, mask [127] bool)``.

    Raises :class:`FormatError` naming the file and the problem (invalid or truncated
    JSON, a block with the wrong number of values, non-numbers).
    """
    kp, mask, _ = _read_frame(Path(path))
    return kp, mask


def frame_number(name: str) -> int | None:
    """Frame number from a file name: ``..._000000000046_keypoints.json`` -> 46."""
    m = _FRAME_RE.search(name)
    if m:
        return int(m.group(1))
    digits = _DIGITS_RE.findall(name)
    return int(digits[-1]) if digits else None


def list_frame_files(folder: str | os.PathLike) -> list[Path]:
    """The ``*_keypoints.json`` files of a folder (any ``*.json`` if none is named so)."""
    folder = Path(folder)
    names = [e.name for e in os.scandir(folder) if e.is_file() and e.name.endswith(".json")]
    frames = [n for n in names if n.endswith("_keypoints.json")]
    if not frames:
        frames = [n for n in names if not n.endswith("_morpheme.json")]
    return [folder / n for n in frames]


def read_openpose_folder(
    folder: str | os.PathLike, fps: float = 30.0
) -> tuple[PoseSequence, FolderReport]:
    """Read a folder of per-frame OpenPose JSON files into one sequence.

    Files are ordered by the frame number in their name (not by name), and frame ``k``
    goes to time slot ``k`` (numbering starts at 0 as in OpenPose output), so timing
    matches the video and the morpheme file. A frame that cannot be read is skipped and
    reported in ``FolderReport.skipped``; it keeps its slot as an all-missing frame, as
    does a frame number with no file (``FolderReport.gaps``): nothing is invented.
    If names carry no numbers, files are taken in name order.

    Raises :class:`FormatError` if the folder does not exist, holds no JSON frame, or
    no frame at all could be read.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FormatError(f"{folder}: not a folder of OpenPose JSON frames")
    files = list_frame_files(folder)
    if not files:
        raise FormatError(f"{folder}: empty folder (no OpenPose *_keypoints.json files)")
    report = FolderReport(folder=folder)

    numbers = [frame_number(f.name) for f in files]
    if any(n is None for n in numbers):
        files = sorted(files, key=lambda f: f.name)
        slots = list(range(len(files)))
    else:
        order = sorted(range(len(files)), key=lambda i: (numbers[i], files[i].name))
        files = [files[i] for i in order]
        slots = [numbers[i] for i in order]
    t_len = max(slots) + 1
    kp = np.zeros((t_len, skeleton.NUM_POINTS, 2), np.float32)
    mask = np.zeros((t_len, skeleton.NUM_POINTS), bool)
    seen = np.zeros(t_len, bool)
    n_ok = 0
    for path, slot in zip(files, slots, strict=True):
        if seen[slot]:
            report.skipped.append((path.name, f"duplicate frame number {slot}"))
            continue
        seen[slot] = True
        try:
            kp[slot], mask[slot], count = _read_frame(path)
        except FormatError as err:
            reason = str(err)
            prefix = f"{path}: "
            report.skipped.append(
                (path.name, reason[len(prefix) :] if reason.startswith(prefix) else reason)
            )
            continue
        n_ok += 1
        report.multi_person += count > 1
    report.gaps = [int(i) for i in np.flatnonzero(~seen)]
    report.n_frames = t_len
    if n_ok == 0:
        first = report.skipped[0]
        raise FormatError(
            f"{folder}: none of the {len(files)} frame files could be read "
            f"(first: {first[0]}: {first[1]})"
        )
    seq = PoseSequence(kp, mask, fps=fps, meta={"source": "openpose", "folder": str(folder)})
    return seq, report


def _short(value: float) -> float | int:
    """Shortest decimal that maps back to the same float32 (``627.385``, not 627.3850097...)."""
    if value == 0:
        return 0
    return float(str(np.float32(value)))


def _frame_json(kp: np.ndarray, mask: np.ndarray) -> dict:
    person: dict[str, object] = {"person_id": [-1]}
    for block, (key, n_points) in skeleton.OPENPOSE_KEYS.items():
        sl = skeleton.BLOCKS[block]
        values = np.zeros((n_points, 3), np.float32)
        rows = _BODY25 if block == "pose" else np.arange(n_points)
        values[rows, :2] = kp[sl]
        values[rows, 2] = mask[sl]
        values[rows[~mask[sl]]] = 0.0
        person[key] = [
            _short(v) if i % 3 != 2 else (1.0 if v else 0) for i, v in enumerate(values.reshape(-1))
        ]
    for key in ("pose", "face", "hand_left", "hand_right"):
        person[f"{key}_keypoints_3d"] = []
    return {"version": OPENPOSE_VERSION, "people": [person] if mask.any() else []}


def write_openpose_frame(path: str | os.PathLike, keypoints: np.ndarray, mask: np.ndarray) -> None:
    """Write one frame as OpenPose 1.3 JSON (confidence 1.0 present, 0 and (0, 0) missing).

    A frame with no detected point is written with an empty ``people`` list, as OpenPose
    does when nobody is found.
    """
    kp = np.asarray(keypoints, np.float32)
    m = np.asarray(mask, bool)
    if kp.shape != (skeleton.NUM_POINTS, 2) or m.shape != (skeleton.NUM_POINTS,):
        raise ValueError(f"expected keypoints [127, 2] and mask [127], got {kp.shape}, {m.shape}")
    if not np.isfinite(kp[m]).all():
        raise ValueError(f"{path}: non-finite coordinates under a True mask")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(_frame_json(kp, m), f, separators=(",", ":"))


def write_openpose_folder(
    seq: PoseSequence, folder: str | os.PathLike, clip_name: str
) -> list[Path]:
    """Write every frame of ``seq`` as ``{clip_name}_{i:012d}_keypoints.json`` in ``folder``.

    Earlier ``{clip_name}_*_keypoints.json`` files in ``folder`` are removed first. The
    files look like real OpenPose 1.3 output: 75/210/63/63 values with confidence
    (1.0 for present points; 0 with coordinates (0, 0) for missing ones; the 10 leg and
    foot joints of BODY_25 missing), empty ``*_3d`` arrays, ``person_id`` [-1].
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob(f"{glob.escape(clip_name)}_*_keypoints.json"):
        old.unlink()  # a shorter rewrite must not leave stale frames behind
    paths = []
    for i in range(len(seq)):
        path = folder / f"{clip_name}_{i:012d}_keypoints.json"
        write_openpose_frame(path, seq.keypoints[i], seq.mask[i])
        paths.append(path)
    return paths
