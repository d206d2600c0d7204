"""AI Hub Korean sign language data (NIA 2020): clip folders + morpheme JSON.

A clip ``NIA_SL_{SEN|WORD}{NNNN}_{REALnn|SYNnn}_{F|U|D|L|R}`` has

- a folder of per-frame OpenPose JSON (``{clip}_{frame:012d}_keypoints.json``, 30 fps),
  read by :func:`sign_pipeline.formats.openpose.read_openpose_folder`;
- a morpheme file ``{clip}_morpheme.json``::

      {"metaData": {"url": ..., "name": "{clip}.mp4", "duration": 3.233, "exportedOn": ...},
       "data": [{"start": 1.113, "end": 1.708, "attributes": [{"name": "에어컨"}]}, ...]}

  with gloss times in seconds. They become frame spans ``[round(start * fps),
  round(end * fps))`` (end exclusive). A segment with several attributes gives one span
  per attribute name (same times), in file order. The optional ``metaData["sentence"]``
  holds the Korean sentence (written by this project's corpus; absent in AI Hub files).

Releases nest keypoint folders and morpheme files under differently named folders, so
:func:`find_clips` finds both by clip name anywhere under a root. Naming variants of real
releases are accepted (:func:`canonical_clip_name`):

- the CROWD subsets: clip type ``FS`` and signer ``CROWDnn`` (``NIA_SL_FS0539_CROWD06_F``:
  signer CROWD06, signer id 6);
- frame files joined with two underscores (``{clip}__000000000085_keypoints.json``) and/or
  prefixed with a tag in brackets (``[SHANA]{clip}__000000000027_keypoints.json``);
- keypoint folders named after the video (``키포인트Json/{clip}.mp4/``); the clip name
  always comes from the frame file names, never from the folder;
- the morpheme file keeps the plain clip name (``{clip}_morpheme.json``).
"""

from __future__ import annotations

import datetime
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from sign_pipeline.formats import FormatError, read_json
from sign_pipeline.formats.openpose import (
    FolderReport,
    read_openpose_folder,
    write_openpose_folder,
)
from sign_pipeline.skeleton import PoseSequence

#: Frame rate of the AI Hub recordings.
AIHUB_FPS = 30.0
MORPHEME_SUFFIX = "_morpheme.json"
_CLIP_RE = re.compile(r"NIA_SL_(SEN|WORD|FS)(\d+)_((?:REAL|SYN|CROWD)\d+)_([FUDLR])")
_KIND_RE = re.compile(r"(?<![A-Za-z])(SEN|WORD|FS)(\d+)")
_SIGNER_RE = re.compile(r"((?:REAL|SYN|CROWD)\d+)")
#: ``[TAG]{clip}_{frame}_keypoints.json`` or ``{clip}__{frame}_keypoints.json``
_FRAME_FILE_RE = re.compile(r"^(?:\[[^\]]*\])?(.*?)_+(\d+)_keypoints\.json$")
_TAG_RE = re.compile(r"^\[[^\]]*\]")


@dataclass(frozen=True)
class GlossSpan:
    """One gloss and its frames ``[start, end)`` (end exclusive)."""

    gloss: str
    start: int
    end: int


@dataclass(frozen=True)
class ClipName:
    """Parts of an AI Hub clip name; unknown parts are None."""

    name: str
    kind: str | None  # "SEN", "WORD" or "FS" (CROWD subsets)
    number: int | None
    signer: str | None  # "REAL03", "SYN01", "CROWD06"
    view: str | None  # F, U, D, L, R


def canonical_clip_name(name: str) -> str:
    """The plain clip name of a file or folder name of any release variant.

    ``"[SHANA]NIA_SL_FS0429_CROWD13_F"`` and ``"NIA_SL_FS0429_CROWD13_F.mp4"`` ->
    ``"NIA_SL_FS0429_CROWD13_F"``: a leading bracketed tag, a ``.mp4`` ending and trailing
    underscores are dropped.
    """
    name = _TAG_RE.sub("", name.strip())
    if name.lower().endswith(".mp4"):
        name = name[:-4]
    return name.rstrip("_")


def parse_clip_name(name: str) -> ClipName:
    """``"NIA_SL_SEN0330_REAL10_F"`` -> ClipName(kind="SEN", number=330, signer="REAL10", view="F").

    CROWD subsets: ``"NIA_SL_FS0539_CROWD06_F"`` -> kind "FS", number 539, signer "CROWD06".

    Lenient: a name that does not follow the pattern is still usable; the parts that can
    be found anywhere in it are filled (``SEN12``, ``REAL03``), the others are None.
    """
    m = _CLIP_RE.search(name)
    if m:
        return ClipName(name, m.group(1), int(m.group(2)), m.group(3), m.group(4))
    kind = _KIND_RE.search(name)
    signer = _SIGNER_RE.search(name)
    return ClipName(
        name,
        kind.group(1) if kind else None,
        int(kind.group(2)) if kind else None,
        signer.group(1) if signer else None,
        None,
    )


# ---------------------------------------------------------------------------- morpheme


def _load_morpheme(path: Path) -> dict:
    data = read_json(path)
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        raise FormatError(f"{path}: not a morpheme file (expected an object with a 'data' list)")
    return data


def read_morpheme_meta(path: str | os.PathLike) -> dict:
    """The ``metaData`` object of a morpheme file (``{}`` if it has none)."""
    path = Path(path)
    meta = _load_morpheme(path).get("metaData") or {}
    if not isinstance(meta, dict):
        raise FormatError(f"{path}: 'metaData' must be an object")
    return meta


def read_morpheme(path: str | os.PathLike, fps: float = AIHUB_FPS) -> list[GlossSpan]:
    """Gloss spans of a morpheme file, in frames at ``fps`` (sorted by start, stable).

    ``start`` -> ``round(start * fps)``, ``end`` -> ``round(end * fps)`` exclusive; a span
    that would be empty gets one frame.
    """
    path = Path(path)
    spans: list[GlossSpan] = []
    for k, seg in enumerate(_load_morpheme(path)["data"]):
        if not isinstance(seg, dict):
            raise FormatError(f"{path}: data[{k}] must be an object")
        try:
            start_s, end_s = float(seg["start"]), float(seg["end"])
        except KeyError as err:
            raise FormatError(f"{path}: data[{k}] has no {err.args[0]!r}") from None
        except (TypeError, ValueError):
            raise FormatError(
                f"{path}: data[{k}] start/end must be numbers (seconds), got "
                f"{seg.get('start')!r}, {seg.get('end')!r}"
            ) from None
        if end_s < start_s:
            raise FormatError(f"{path}: data[{k}] ends ({end_s}) before it starts ({start_s})")
        attrs = seg.get("attributes") or []
        names = [a.get("name") for a in attrs if isinstance(a, dict)]
        names = [str(n).strip() for n in names if n is not None and str(n).strip()]
        if not names:
            raise FormatError(f"{path}: data[{k}] has no gloss (attributes[].name)")
        start = int(round(start_s * fps))
        end = max(int(round(end_s * fps)), start + 1)
        spans += [GlossSpan(n, start, end) for n in names]
    spans.sort(key=lambda s: s.start)
    return spans


def write_morpheme(
    path: str | os.PathLike,
    clip_name: str,
    spans: list[GlossSpan],
    fps: float,
    n_frames: int,
    sentence: str | None = None,
    exported_on: str | None = None,
) -> Path:
    """Write a morpheme JSON in the AI Hub layout (times in seconds, 3 decimals).

    ``sentence`` (if given) goes to ``metaData["sentence"]``; ``exported_on`` defaults to
    today (``YYYY/MM/DD``). Reading it back at the same ``fps`` gives the same spans.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    meta: dict[str, object] = {
        "url": f"video/{clip_name}.mp4",
        "name": f"{clip_name}.mp4",
        "duration": round(n_frames / fps, 3),
        "exportedOn": exported_on or datetime.date.today().strftime("%Y/%m/%d"),
    }
    if sentence is not None:
        meta["sentence"] = sentence
    data = [
        {
            "start": round(s.start / fps, 3),
            "end": round(s.end / fps, 3),
            "attributes": [{"name": s.gloss}],
        }
        for s in spans
    ]
    path.write_text(
        json.dumps({"metaData": meta, "data": data}, ensure_ascii=False), encoding="utf-8"
    )
    return path


# ---------------------------------------------------------------------------- clips


@dataclass(frozen=True)
class AIHubClip:
    """Where one clip's files are. ``video_path`` is set when ``{clip}.mp4`` was found."""

    name: str
    keypoint_dir: Path
    morpheme_path: Path
    video_path: Path | None = None


class ClipList(list):
    """``list[AIHubClip]`` (sorted by name) with what :func:`find_clips` could not pair.

    ``keypoints_only`` / ``morpheme_only``: ``(clip name, path)`` of clips that have a
    keypoint folder but no morpheme file, or the reverse. ``duplicates``: ``(clip name,
    path)`` of a second keypoint folder or morpheme file for a clip (the first one, in
    path order, is used).
    """

    def __init__(self, clips=()):
        super().__init__(clips)
        self.keypoints_only: list[tuple[str, Path]] = []
        self.morpheme_only: list[tuple[str, Path]] = []
        self.duplicates: list[tuple[str, Path]] = []


def _keypoint_clip_name(files: list[str]) -> str | None:
    """Clip name of a folder of ``{clip}_{frame}_keypoints.json`` files (any variant), or None."""
    for name in files:
        m = _FRAME_FILE_RE.match(name)
        if m and canonical_clip_name(m.group(1)):
            return canonical_clip_name(m.group(1))
    return None


def find_clips(root: str | os.PathLike) -> ClipList:
    """Find keypoint folders and morpheme files by clip name anywhere under ``root``.

    A keypoint folder is any folder holding ``{clip}_{frame}_keypoints.json`` files (the
    clip name comes from the file names, whatever the folder is called, in any naming
    variant of :func:`canonical_clip_name`); a morpheme file is any ``{clip}_morpheme.json``;
    a video any ``{clip}.mp4`` file. Returns the clips that have both, sorted by name;
    unpaired ones are listed on the result (see :class:`ClipList`).
    """
    root = Path(root)
    if not root.is_dir():
        raise FormatError(f"{root}: not a folder")
    keypoints: dict[str, Path] = {}
    morphemes: dict[str, Path] = {}
    videos: dict[str, Path] = {}
    result = ClipList()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        here = Path(dirpath)
        clip = _keypoint_clip_name(filenames)
        if clip is not None:
            if clip in keypoints:
                result.duplicates.append((clip, here))
            else:
                keypoints[clip] = here
        for name in sorted(filenames):
            if name.endswith(MORPHEME_SUFFIX):
                clip = canonical_clip_name(name[: -len(MORPHEME_SUFFIX)])
                if clip in morphemes:
                    result.duplicates.append((clip, here / name))
                else:
                    morphemes[clip] = here / name
            elif name.lower().endswith(".mp4"):
                videos.setdefault(canonical_clip_name(name), here / name)
    for clip in sorted(keypoints.keys() | morphemes.keys()):
        if clip in keypoints and clip in morphemes:
            result.append(AIHubClip(clip, keypoints[clip], morphemes[clip], videos.get(clip)))
        elif clip in keypoints:
            result.keypoints_only.append((clip, keypoints[clip]))
        else:
            result.morpheme_only.append((clip, morphemes[clip]))
    return result


def read_aihub_clip(
    clip: AIHubClip, fps: float = AIHUB_FPS
) -> tuple[PoseSequence, list[GlossSpan]]:
    """Keypoints and gloss spans of one clip.

    ``seq.meta`` holds ``clip`` (name), ``signer``, ``kind``, ``sentence`` (or None),
    ``report`` (the :class:`FolderReport`: skipped frames and why).
    """
    seq, report = read_openpose_folder(clip.keypoint_dir, fps=fps)
    spans = read_morpheme(clip.morpheme_path, fps=fps)
    meta = read_morpheme_meta(clip.morpheme_path)
    parts = parse_clip_name(clip.name)
    seq.meta.update(
        clip=clip.name,
        signer=parts.signer,
        kind=parts.kind,
        sentence=meta.get("sentence"),
        report=report,
    )
    return seq, spans


def write_aihub_clip(
    root: str | os.PathLike,
    clip_name: str,
    seq: PoseSequence,
    spans: list[GlossSpan],
    sentence: str | None = None,
    exported_on: str | None = None,
) -> Path:
    """Write one clip in the AI Hub layout under ``root``; returns its keypoint folder.

    Frames go to ``root/keypoints/{clip}/{clip}_{i:012d}_keypoints.json`` and glosses to
    ``root/morpheme/{clip}_morpheme.json`` (``sentence`` stored as ``metaData["sentence"]``;
    ``exported_on`` as ``metaData["exportedOn"]``, today by default).
    """
    root = Path(root)
    folder = root / "keypoints" / clip_name
    write_openpose_folder(seq, folder, clip_name)
    write_morpheme(
        root / "morpheme" / f"{clip_name}{MORPHEME_SUFFIX}",
        clip_name,
        spans,
        fps=seq.fps,
        n_frames=len(seq),
        sentence=sentence,
        exported_on=exported_on,
    )
    return folder


__all__ = [
    "AIHUB_FPS",
    "AIHubClip",
    "ClipList",
    "ClipName",
    "FolderReport",
    "GlossSpan",
    "canonical_clip_name",
    "find_clips",
    "parse_clip_name",
    "read_aihub_clip",
    "read_morpheme",
    "read_morpheme_meta",
    "write_aihub_clip",
    "write_morpheme",
]
