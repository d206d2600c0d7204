"""A recording of one sign -> the clip the app stores: keypoints, the signing span, normalised.

A source is a video (MediaPipe extraction, :mod:`sign_pipeline.formats.video`), a ``.pose``
file or a folder of OpenPose JSON frames (the readers in :mod:`sign_pipeline.formats`).
The signing is where a hand is raised above rest, as sign.mt trims its clips: the frames
before the first raise and after the last are rest and are cut. The clip is normalised like
every clip (neck at 0, shoulder width 1) and keeps its own frame rate; it is retargeted to
a signer's proportions only when it is used (:mod:`sign_pipeline.signs.retarget`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import skeleton as sk
from ..formats import FormatError

VIDEO_SUFFIXES = (".mp4", ".webm", ".mov", ".avi", ".mkv")
#: A wrist higher than this (shoulder widths below the neck; y grows downward) is raised:
#: hands at rest hang at 1.0-1.5, signing happens between the head and the lower chest.
RAISED_BELOW_NECK = 0.9
#: Raised stretches closer than this are one sign (a hand dipping mid-sign).
MERGE_GAP_S = 0.3
#: A raised stretch shorter than this is a twitch, not signing.
MIN_STRETCH_S = 0.1
#: Frames kept before the first and after the last raised frame (the hand leaving and
#: reaching the signing space).
MARGIN_S = 0.07
MIN_SIGN_S = 0.2
MAX_SIGN_S = 10.0
MAX_WORD_CHARS = 30


class TeachError(ValueError):
    """A source or a word that cannot become a taught sign; the message says why."""


def check_word(word: object) -> str:
    """The word as stored, or a :class:`TeachError`: empty, spaces, symbols, too long."""
    if not isinstance(word, str) or not word.strip():
        raise TeachError("the word is empty: type the word this sign means (e.g. 서울역)")
    if any(ch.isspace() for ch in word.strip()):
        raise TeachError(f"the word {word.strip()!r} has spaces: teach one word at a time")
    word = word.strip()
    bad = sorted({ch for ch in word if not ch.isalnum()})
    if bad:
        raise TeachError(
            f"the word {word!r} has symbols ({' '.join(bad)}): use letters, Hangul or digits"
        )
    if len(word) > MAX_WORD_CHARS:
        raise TeachError(f"the word {word!r} is longer than {MAX_WORD_CHARS} characters")
    return word


def read_source(path: str | Path, fps: float = 30.0) -> sk.PoseSequence:
    """Keypoints (pixels) of a video, a ``.pose`` file or a folder of OpenPose JSON frames
    (``fps`` is the folder's frame rate; files carry their own)."""
    path = Path(path)
    if not path.exists():
        raise TeachError(f"{path}: no such file or folder")
    try:
        if path.is_dir():
            from ..formats.openpose import read_openpose_folder

            seq, _report = read_openpose_folder(path, fps=fps)
            return seq
        suffix = path.suffix.lower()
        if suffix == ".pose":
            from ..formats.pose import read_pose

            return read_pose(path)
        if suffix in VIDEO_SUFFIXES:
            from ..formats.video import extract_video

            return extract_video(path)
    except (FormatError, OSError, ValueError) as exc:
        raise TeachError(f"{path.name}: cannot be read ({exc})") from None
    except Exception as exc:  # a corrupt .pose can fail deep inside pose-format
        raise TeachError(f"{path.name}: cannot be read ({type(exc).__name__}: {exc})") from None
    raise TeachError(
        f"{path.name}: unsupported file type {path.suffix or '(none)'}; give a video "
        f"({', '.join(s[1:] for s in VIDEO_SUFFIXES)}), a .pose file or a folder of "
        "OpenPose JSON frames"
    )


def _stretches(flags: np.ndarray) -> list[tuple[int, int]]:
    """``[start, end)`` of each run of True."""
    edges = np.flatnonzero(np.diff(np.r_[0, flags.astype(np.int8), 0]))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def raised_frames(normalized: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Per frame: is either wrist (body or hand wrist) detected above :data:`RAISED_BELOW_NECK`?"""
    raised = np.zeros(len(normalized), bool)
    for point in (sk.R_WRIST, sk.L_WRIST, sk.R_HAND_WRIST, sk.L_HAND_WRIST):
        raised |= mask[:, point] & (normalized[:, point, 1] < RAISED_BELOW_NECK)
    return raised


def signing_span(normalized: np.ndarray, mask: np.ndarray, fps: float) -> tuple[int, int] | None:
    """``[start, end)`` frames in which a hand is raised, first raise to last lowering
    (None: no hand is ever raised)."""
    stretches = _stretches(raised_frames(normalized, mask))
    if not stretches:
        return None
    merged = [list(stretches[0])]
    for a, b in stretches[1:]:
        if (a - merged[-1][1]) / fps < MERGE_GAP_S:
            merged[-1][1] = b
        else:
            merged.append([a, b])
    kept = [(a, b) for a, b in merged if (b - a) / fps >= MIN_STRETCH_S] or [
        max(merged, key=lambda s: s[1] - s[0])
    ]
    return kept[0][0], kept[-1][1]


def sign_clip(seq: sk.PoseSequence, name: str = "the recording") -> sk.PoseSequence:
    """The stored form of a recorded sign: the signing span, normalised (neck 0, shoulder
    width 1), its own frame rate; :class:`TeachError` naming what is wrong otherwise."""
    person = seq.mask[:, sk.NECK] & seq.mask[:, sk.R_SHOULDER] & seq.mask[:, sk.L_SHOULDER]
    if not person.any():
        raise TeachError(f"no person found in {name}: the shoulders are never visible")
    kp, norm = sk.normalize(seq.keypoints, seq.mask)
    span = signing_span(kp, seq.mask, seq.fps)
    if span is None:
        raise TeachError(
            f"no hand raised in {name}: sign with the hands above the waist, facing the camera"
        )
    seconds = (span[1] - span[0]) / seq.fps
    margin = int(round(MARGIN_S * seq.fps))  # the hand leaving and reaching the rest
    start, end = max(0, span[0] - margin), min(len(kp), span[1] + margin)
    if seconds < MIN_SIGN_S:
        raise TeachError(f"the signing in {name} lasts {seconds:.2f} s; a sign needs at least "
                         f"{MIN_SIGN_S} s")  # fmt: skip
    if seconds > MAX_SIGN_S:
        raise TeachError(f"the signing in {name} lasts {seconds:.1f} s, more than {MAX_SIGN_S:g} "
                         "s: record one sign at a time")  # fmt: skip
    meta = dict(seq.meta, normalized=True, span=[start, end],
                source_center=list(norm.center), source_scale=norm.scale)  # fmt: skip
    return sk.PoseSequence(kp[start:end], seq.mask[start:end], fps=seq.fps, meta=meta)


def teach_source(path: str | Path, fps: float = 30.0) -> sk.PoseSequence:
    """:func:`read_source` then :func:`sign_clip`."""
    path = Path(path)
    return sign_clip(read_source(path, fps), path.name)
