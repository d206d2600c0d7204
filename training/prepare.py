"""Turn raw keypoint data into one training-ready dataset.

    python -m training.prepare --out DIR [--aihub DIR] [--skels DIR] [--poses DIR]
        [--videos DIR] [--labels FILE.csv] [--workers N] [--dev-frac 0.1]
        [--test-frac 0.1] [--seed 0] [--fps 30]

Output::

    out/clips/{clip_id}.npz    keypoints [T,127,2] (float16 by default, normalised), mask [T,127],
                               center [2], scale, fps, signer_index (+ rest, rest_mask)
    out/clips/{clip_id}.json   the clip's manifest record (sidecar, written last)
    out/manifest.jsonl         one record per clip, with its split
    out/summary.json           counts, signers, glosses, skipped files and failed clips

Every clip ends up the same way, whatever its source: normalised per clip (neck at 0,
shoulder width 1, :func:`skeleton.normalize`; center and scale are stored so
:func:`skeleton.denormalize` undoes it), at one common frame rate (``--fps``, 30), with a
signer and gloss spans ``[start, end)`` in its frames.

**AI Hub** (``--aihub``; every naming variant of :mod:`sign_pipeline.formats.aihub`), the
seed's preprocessing made explicit:

1. read the per-frame OpenPose JSON and the morpheme file (unreadable frames are skipped,
   keep their slot as all-missing frames, and are listed in the summary);
2. trim the resting pose: keep frames ``[first gloss start, last gloss end)``; gloss spans
   are shifted to the trimmed clip; the median resting pose is kept as ``rest``;
3. confidence is dropped and the lower body is not in the 127-point layout;
4. fill short gaps: a point missing for at most ``--max-gap`` frames (default 1, the
   seed's "isolated missing frame") with detections on both sides is linearly
   interpolated; longer gaps stay missing in the mask;
5. normalise (above);
6. signer from the clip name (``REAL03`` -> index 2, ``CROWD06`` -> index 5).

**.skels** (``--skels``, Progressive Transformers / the seed; D=254 lines): the seed's image
units (x / 2048, y / 1152) are turned back into the picture's aspect and normalised like
every other source; values already in a body frame are normalised as they are. Glosses
come from the ``.gloss`` line, the sentence from the ``.text`` line. ``.skels`` has no
timing, so **the clip is split evenly across its glosses** (gloss k of G covers frames
``[round(k*T/G), round((k+1)*T/G))``), which lets ``training.build_lexicon`` cut each gloss.
A file named ``train``/``dev``/``test`` keeps that split. D=150 (PHOENIX, 3D) does not fit
the 127-point layout and is reported as failed.

**Own recordings** (``--videos``: MediaPipe Holistic; ``--poses``: pose-format ``.pose``):

- labels from ``--labels FILE.csv`` (columns ``file``, ``gloss`` or ``sentence``,
  ``signer``; see :func:`read_labels`), else from the file name (``가다.mp4``,
  ``REAL06_가다.mp4``: the Hangul parts are the glosses, :func:`label_from_name`);
- signer from the labels, else a ``REALnn``/``SYNnn``/``CROWDnn`` in the file name or in a
  folder name under the root (``videos/REAL06/가다.mp4``), else ``REAL01`` (listed);
- each file keeps its own frame rate: keypoints are resampled to ``--fps``
  (:func:`sign_pipeline.motion.resample`), so a 15 fps clip is not played twice as fast;
- a labelled clip is trimmed to its signing part (:func:`signing_span`: frames where a hand
  is raised above the lower chest, plus 0.1 s), the rest of it kept as ``rest``; one
  gloss spans the signing part, several split it evenly (as for ``.skels``);
- one-handed signing is normal: a hand that is never found just stays missing in the mask.

A clip that cannot be prepared is listed with its file and the reason (printed and in
``summary.json``); so are recordings without gloss labels and with no signer.

Bad input stops before anything is written (:class:`PrepareError`, exit code 2, the message
names the problem): a folder that does not exist or holds nothing usable, a labels file
naming missing files or with a bad row. If no clip at all could be prepared, the folders
this run created are removed again.

Split: by sentence. The group key of a clip is its Korean sentence when known, else its
gloss sequence; groups are ordered by a hash of (seed, key) and the first ``test-frac``
of them go to test, the next ``dev-frac`` to dev (at least one group each when there are
three or more), the rest to train. So no test sentence appears in train, every signer
and view of a sentence lands in the same split, and the split is deterministic. WORD
clips and clips without glosses go to train.

Parallel and resumable: clips are processed by ``--workers`` processes
(``multiprocessing`` ``imap_unordered``, chunked); a clip whose ``.json`` sidecar and
``.npz`` exist is skipped (a recording is redone when its labels changed); every file is
written to a temporary name and renamed, so a killed run leaves no half files. The
manifest is rebuilt from all sidecars in ``out/clips`` (so several sources can be prepared
into one folder in separate runs). Memory does not grow with the dataset: clips are
streamed and only small records travel back to the main process.
"""

from __future__ import annotations

import argparse
import collections
import csv
import hashlib
import json
import multiprocessing
import os
import re
import shutil
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sign_pipeline import signers, skeleton
from sign_pipeline.formats.aihub import (
    AIHubClip,
    GlossSpan,
    find_clips,
    parse_clip_name,
    read_aihub_clip,
)
from sign_pipeline.motion import resample, resample_mask
from training.dataset import corpus_note

VIDEO_EXTENSIONS = (".mp4", ".avi", ".mov", ".mkv", ".webm")
POSE_EXTENSIONS = (".pose",)
DEFAULT_SIGNER = "REAL01"
SPLITS = ("train", "dev", "test")
#: A hand counts as signing when its wrist is above this many shoulder widths under the
#: neck (about the lower chest): resting hands hang lower (~1.3 seated, ~2.3 standing).
SIGNING_WRIST_Y = 1.0
#: Frames kept around the signing part of a recording, in seconds.
SIGNING_PAD_S = 0.1
_SAFE_RE = re.compile(r"[^0-9A-Za-z_.\-가-힣]+")
_SIGNER_TOKEN_RE = re.compile(r"^(REAL|SYN|CROWD)(\d+)$", re.IGNORECASE)
_NAME_PART_RE = re.compile(r"[_\s\-]+")
_HANGUL_RE = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3]")


class PrepareError(ValueError):
    """Input that cannot be prepared; the message names the file or folder and the problem."""


# ---------------------------------------------------------------------------- labels


@dataclass(frozen=True)
class ClipLabel:
    """What a recording shows: its glosses, sentence and signer, and where that was read."""

    glosses: tuple[str, ...] = ()
    sentence: str | None = None
    signer: str | None = None
    origin: str = "file name"

    def as_dict(self) -> dict:
        return {
            "glosses": list(self.glosses),
            "sentence": self.sentence,
            "signer": self.signer,
            "origin": self.origin,
        }


def signer_id(value: str) -> str:
    """A signer column value -> a signer id: ``"6"`` -> ``"REAL06"``, ``"crowd6"`` ->
    ``"CROWD06"``. Raises ValueError for a value with no number or outside 1..NUM_SIGNERS."""
    text = str(value).strip()
    if text.isdigit():
        return signers.code(int(text))  # raises when outside 1..NUM_SIGNERS
    m = _SIGNER_TOKEN_RE.match(text)
    if not m:
        raise ValueError(f"signer {text!r} is not a number or REALnn/SYNnn/CROWDnn")
    sid = f"{m.group(1).upper()}{int(m.group(2)):02d}"
    signers.index(sid)  # raises when outside 1..NUM_SIGNERS
    return sid


def _signer_in(parts: Iterable[str]) -> str | None:
    for part in parts:
        for token in _NAME_PART_RE.split(part):
            if _SIGNER_TOKEN_RE.match(token):
                try:
                    return signer_id(token)
                except ValueError:
                    return None
    return None


def label_from_name(path: str | os.PathLike, root: str | os.PathLike | None = None) -> ClipLabel:
    """The label a file name gives: its Hangul parts are the glosses, a signer token the signer.

    ``가다.mp4`` -> glosses (가다,); ``REAL06_가다.mp4`` -> (가다,), signer REAL06;
    ``지하철_가다_2.mp4`` -> (지하철, 가다) (parts without Hangul, like take numbers, are
    ignored); ``NIA_SL_SEN0009_REAL05_F.mp4`` -> no glosses, signer REAL05. Without a signer
    in the file name, the folders from ``root`` (its own name included) to the file are
    searched (``videos/REAL06/가다.mp4``, or ``root`` = ``videos/REAL06``).
    """
    path = Path(path)
    parts = [p for p in _NAME_PART_RE.split(path.stem) if p]
    glosses = tuple(p for p in parts if _HANGUL_RE.search(p) and not _SIGNER_TOKEN_RE.match(p))
    signer = _signer_in([path.stem])
    if signer is None and root is not None:
        base = Path(root).parent if Path(root).is_file() else Path(root)
        try:  # the folders from the given one (its own name too: --videos my_videos/REAL09)
            folders = (base.name, *path.parent.relative_to(base).parts)
        except ValueError:
            folders = ()
        signer = _signer_in(reversed(folders))
    return ClipLabel(glosses, None, signer, "file name")


def _read_csv_rows(path: Path) -> list[dict[str, str]]:
    """Rows of a CSV as dicts with lower-case keys; UTF-8 (with or without BOM) or CP949
    (what Korean Excel writes)."""
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "cp949"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise PrepareError(f"{path}: not UTF-8 or CP949 text")
    reader = csv.DictReader(text.splitlines())
    if not reader.fieldnames:
        raise PrepareError(
            f"{path}: empty labels file (needs a header: file,gloss,sentence,signer)"
        )
    fields = [(f or "").strip().lower() for f in reader.fieldnames]
    if "file" not in fields:
        raise PrepareError(
            f"{path}: no 'file' column (header is {','.join(fields)}; expected "
            "file,gloss,sentence,signer)"
        )
    if not {"gloss", "glosses", "sentence"} & set(fields):
        raise PrepareError(
            f"{path}: needs a 'gloss' or a 'sentence' column (header is {','.join(fields)})"
        )
    rows = []
    for row in reader:
        rows.append({(k or "").strip().lower(): (v or "").strip() for k, v in row.items() if k})
    return rows


def _resolve(name: str, csv_dir: Path, roots: list[Path], by_name: dict[str, list[Path]]):
    """A ``file`` cell -> an existing file: absolute, under the labels file's folder, under a
    source root, or (a bare name) the one file of that name under the roots."""
    given = Path(name)
    candidates = [given] if given.is_absolute() else [csv_dir / given] + [r / given for r in roots]
    for c in candidates:
        if c.is_file():
            return c
    if len(given.parts) == 1 and len(by_name.get(given.name, [])) == 1:
        return by_name[given.name][0]
    return None


def read_labels(
    path: str | os.PathLike, roots: Iterable[str | os.PathLike] = ()
) -> dict[Path, ClipLabel]:
    """Read a labels CSV: ``file``, ``gloss`` and/or ``sentence``, ``signer`` columns.

    - ``file``: the video or ``.pose`` file, relative to the labels file's folder or to a
      ``--videos``/``--poses`` folder, or absolute, or a bare file name found once there;
    - ``gloss``: the glosses, separated by spaces (``지하철 가다``);
    - ``sentence``: the Korean sentence; with no ``gloss`` it is turned into glosses by
      :func:`sign_pipeline.gloss.text_to_gloss`;
    - ``signer``: ``6``, ``REAL06``, ``CROWD06``... (optional: else from the file name).

    A row with neither gloss nor sentence takes the glosses from its file name. Returns
    ``{resolved file path: label}``. Raises :class:`PrepareError` naming the file, line and
    problem for a missing file (all of them are listed), a file listed twice, an unsupported
    file type, a bad signer or a sentence with nothing to sign.
    """
    path = Path(path)
    if not path.is_file():
        raise PrepareError(f"{path}: labels file not found")
    roots = [Path(r) for r in roots]
    by_name: dict[str, list[Path]] = collections.defaultdict(list)
    for root in roots:
        for f in _files_under(root, VIDEO_EXTENSIONS + POSE_EXTENSIONS):
            by_name[f.name].append(f)
    labels: dict[Path, ClipLabel] = {}
    first_line: dict[Path, int] = {}
    missing: list[str] = []
    problems: list[str] = []
    for line, row in enumerate(_read_csv_rows(path), start=2):
        name = row.get("file", "")
        if not any(row.values()):
            continue  # blank row
        where = f"line {line}"
        if not name:
            problems.append(f"{where}: empty 'file'")
            continue
        found = _resolve(name, path.parent, roots, by_name)
        if found is None:
            missing.append(f"{where}: {name}")
            continue
        if not found.name.lower().endswith(VIDEO_EXTENSIONS + POSE_EXTENSIONS):
            problems.append(
                f"{where}: {name} is not a video ({', '.join(VIDEO_EXTENSIONS)}) or .pose file"
            )
            continue
        key = found.resolve()
        if key in labels:
            problems.append(f"{where}: {name} is already labelled on line {first_line[key]}")
            continue
        glosses = tuple((row.get("gloss") or row.get("glosses") or "").split())
        sentence = row.get("sentence") or None
        if not glosses and sentence:
            from sign_pipeline.gloss import text_to_gloss

            try:
                glosses = tuple(text_to_gloss(sentence).glosses)
            except ValueError as err:
                problems.append(f"{where}: sentence {sentence!r}: {err}")
                continue
        signer = None
        if row.get("signer"):
            try:
                signer = signer_id(row["signer"])
            except ValueError as err:
                problems.append(f"{where}: {err}")
                continue
        # what the row leaves out, the file name (and its folders) may tell
        root = next((r for r in roots if found.resolve().is_relative_to(r.resolve())), None)
        from_name = label_from_name(found, root)
        labels[key] = ClipLabel(
            glosses or from_name.glosses,
            sentence,
            signer or from_name.signer,
            f"{path.name} {where}",
        )
        first_line[key] = line
    if missing:
        shown = "; ".join(missing[:20]) + (
            f"; ... ({len(missing) - 20} more)" if len(missing) > 20 else ""
        )
        raise PrepareError(
            f"{path}: {len(missing)} listed file(s) not found: {shown} (a file is looked for "
            "relative to the labels file's folder and to each --videos/--poses folder)"
        )
    if problems:
        raise PrepareError(f"{path}: " + "; ".join(problems))
    return labels


# ---------------------------------------------------------------------------- per clip


def trim_to_glosses(
    keypoints: np.ndarray, mask: np.ndarray, spans: list[GlossSpan]
) -> tuple[np.ndarray, np.ndarray, list[GlossSpan], tuple[int, int]]:
    """Keep frames ``[first start, last end)`` and shift the spans; no spans: keep all.

    Raises ValueError when the spans lie outside the keypoint frames.
    """
    t_len = len(keypoints)
    if not spans:
        return keypoints, mask, [], (0, t_len)
    first = max(0, min(s.start for s in spans))
    last = min(t_len, max(s.end for s in spans))
    if last <= first:
        raise ValueError(
            f"gloss spans (frames {min(s.start for s in spans)}..{max(s.end for s in spans)}) "
            f"lie outside the {t_len} keypoint frames"
        )
    shifted = [
        GlossSpan(s.gloss, min(max(s.start - first, 0), last - first), min(s.end, last) - first)
        for s in spans
    ]
    return keypoints[first:last], mask[first:last], shifted, (first, last)


def even_spans(glosses: Iterable[str], n_frames: int) -> list[GlossSpan]:
    """Split ``n_frames`` evenly across ``glosses`` (for sources without gloss timing).

    Gloss k of G covers ``[round(k*T/G), round((k+1)*T/G))``; every span has at least one
    frame while the clip has enough.
    """
    glosses = list(glosses)
    bounds = np.round(np.linspace(0, n_frames, len(glosses) + 1)).astype(int)
    spans = []
    for k, gloss in enumerate(glosses):
        start = min(int(bounds[k]), max(n_frames - 1, 0))
        spans.append(GlossSpan(gloss, start, max(int(bounds[k + 1]), start + 1)))
    return spans


def signing_span(
    keypoints: np.ndarray, mask: np.ndarray, fps: float, pad_s: float = SIGNING_PAD_S
) -> tuple[int, int]:
    """Frames ``[first, last)`` of a recording in which the signer signs.

    A frame signs when a wrist (pose or hand) is detected above :data:`SIGNING_WRIST_Y`
    shoulder widths under the neck; ``pad_s`` seconds are kept on each side. When no frame
    signs (hands never raised, or the body not found) the whole recording is kept.
    """
    t_len = len(keypoints)
    try:
        norm = skeleton.estimate_normalization(keypoints, mask)
    except ValueError:
        return 0, t_len
    wrists = [skeleton.R_WRIST, skeleton.L_WRIST, skeleton.R_HAND_WRIST, skeleton.L_HAND_WRIST]
    y = norm.apply(keypoints[:, wrists])[..., 1]
    raised = (mask[:, wrists] & (y < SIGNING_WRIST_Y)).any(axis=1)
    if not raised.any():
        return 0, t_len
    frames = np.flatnonzero(raised)
    pad = int(round(pad_s * fps))
    return max(0, int(frames[0]) - pad), min(t_len, int(frames[-1]) + 1 + pad)


def _atomic_write_bytes(path: Path, write) -> None:
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        with open(tmp, "wb") as f:
            write(f)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _write_clip(out: Path, record: dict, arrays: dict[str, np.ndarray]) -> None:
    clips = out / "clips"
    _atomic_write_bytes(
        clips / f"{record['clip_id']}.npz", lambda f: np.savez_compressed(f, **arrays)
    )
    text = json.dumps(record, ensure_ascii=False).encode("utf-8")
    _atomic_write_bytes(clips / f"{record['clip_id']}.json", lambda f: f.write(text))


def is_done(out: Path, clip_id: str) -> bool:
    """A clip is done when its sidecar (written last) and its arrays exist."""
    clips = out / "clips"
    return (clips / f"{clip_id}.json").is_file() and (clips / f"{clip_id}.npz").is_file()


def _is_current(out: Path, clip_id: str, label: dict | None = None) -> bool:
    """Done, normalised (older runs kept ``.skels`` in image units) and, for a recording,
    with the same ``label`` as now (older runs had none); anything else is prepared again."""
    if not is_done(out, clip_id):
        return False
    try:
        with open(out / "clips" / f"{clip_id}.json", encoding="utf-8") as f:
            stored = json.load(f)
    except (OSError, ValueError):
        return False
    if stored.get("normalization") != "neck_shoulder":
        return False  # written by an older prepare (.skels kept in image units)
    if label is None:
        return True
    fields = ("glosses", "sentence", "signer")  # not "origin": a moved CSV row is the same
    return all((stored.get("label") or {}).get(k) == label[k] for k in fields)


def _finish(
    out: Path,
    config: dict,
    record: dict,
    keypoints: np.ndarray,
    mask: np.ndarray,
    rest: tuple[np.ndarray, np.ndarray] | None = None,
    source_fps: float | None = None,
    even_glosses: list[str] | None = None,
) -> dict:
    """Fill short gaps, normalise, resample to the common rate, write arrays + sidecar.

    ``rest`` holds the trimmed-off resting frames (keypoints, mask): their per-point median,
    in the clip's normalised frame, is stored as ``rest`` / ``rest_mask`` (the pose a
    concatenative backend starts and ends in). ``source_fps``: the clip's own frame rate,
    resampled to ``config["fps"]`` (default: already at it). ``even_glosses``: glosses
    without timing, split evenly over the final frames (:func:`even_spans`).
    """
    raw_missing = int((~mask).sum())
    kp, m = skeleton.fill_short_gaps(keypoints, mask, max_gap=config["max_gap"])
    filled = int(raw_missing - (~m).sum())
    kp, norm = skeleton.normalize(kp, m)
    fps = float(config["fps"])
    source_fps = float(source_fps or fps)
    if abs(source_fps - fps) > 1e-6 and len(kp) > 1:
        factor = fps / source_fps
        kp, m = resample(kp, factor), resample_mask(m, factor)
        kp = np.where(m[..., None], kp, 0.0).astype(np.float32)
    if even_glosses is not None:
        spans = even_spans(even_glosses, len(kp))
        record["glosses"] = _spans_json(spans)
        record["gloss_sequence"] = " ".join(even_glosses)
    signer_index = signers.index(record["signer"])
    record.update(
        normalization="neck_shoulder",
        fps=fps,
        source_fps=source_fps,
        signer_index=signer_index,
        n_frames=int(len(kp)),
        center=[float(norm.center[0]), float(norm.center[1])],
        scale=float(norm.scale),
        filled_points=filled,
        missing_fraction=round(float((~m).mean()), 4) if m.size else 1.0,
    )
    arrays = {
        "keypoints": kp.astype(config["dtype"]),
        "mask": m,
        "center": np.asarray(norm.center, np.float32),
        "scale": np.float32(norm.scale),
        "fps": np.float32(fps),
        "signer_index": np.int16(signer_index),
    }
    if rest is not None and len(rest[0]):
        rest_kp = norm.apply(rest[0])
        rest_ok = rest[1].mean(axis=0) >= 0.5  # detected in most resting frames
        med = np.zeros((skeleton.NUM_POINTS, 2), np.float32)
        for p in np.flatnonzero(rest_ok):
            med[p] = np.median(rest_kp[rest[1][:, p], p], axis=0)
        arrays["rest"] = med
        arrays["rest_mask"] = rest_ok
        record["rest_frames"] = int(len(rest[0]))
    _write_clip(out, record, arrays)
    return record


def _spans_json(spans: Iterable[GlossSpan]) -> list[dict]:
    return [{"gloss": s.gloss, "start": s.start, "end": s.end} for s in spans]


def _process_aihub(out: Path, config: dict, clip_id: str, payload: dict) -> dict:
    clip = AIHubClip(clip_id, Path(payload["keypoint_dir"]), Path(payload["morpheme_path"]))
    seq, spans = read_aihub_clip(clip, fps=config["fps"])
    report = seq.meta["report"]
    kp, mask, spans, (first, last) = trim_to_glosses(seq.keypoints, seq.mask, spans)
    parts = parse_clip_name(payload["name"])
    record = {
        "clip_id": clip_id,
        "source": "aihub",
        "source_path": str(clip.keypoint_dir),
        "corpus_note": corpus_note(clip.keypoint_dir),  # None unless made by training.corpus
        "signer": parts.signer or DEFAULT_SIGNER,
        "kind": parts.kind,
        "view": parts.view,
        "glosses": _spans_json(spans),
        "gloss_sequence": " ".join(s.gloss for s in spans),
        "sentence": seq.meta.get("sentence"),
        "fps": float(seq.fps),
        "n_frames_raw": len(seq),
        "trim": [first, last],
        # the clip's video (if found) and, with ``trim``, which of its frames the keypoints
        # cover: keypoint frame i is video frame trim[0] + i * source_fps / fps (equal rates
        # here, so trim[0] + i: pose-to-video training pairs)
        "video": payload.get("video_path"),
        "skipped_frames": [[name, reason] for name, reason in report.skipped],
        "missing_frame_numbers": report.gaps,
    }
    outside = np.r_[0:first, last : len(seq)]
    rest = (seq.keypoints[outside], seq.mask[outside])
    return _finish(out, config, record, kp, mask, rest=rest)


def _process_recording(out: Path, config: dict, clip_id: str, payload: dict) -> dict:
    """A video (MediaPipe) or ``.pose`` file: label, own frame rate, trimmed to the signing."""
    path = Path(payload["path"])
    if payload["source"] == "video":
        from sign_pipeline.formats.video import extract_video  # heavy (MediaPipe): lazy

        seq = extract_video(path)
    else:
        from sign_pipeline.formats.pose import read_pose

        seq = read_pose(path)
    label = payload["label"]
    glosses = label["glosses"]
    first, last = 0, len(seq)
    if glosses:  # like AI Hub: keep the signing, the rest pose aside
        first, last = signing_span(seq.keypoints, seq.mask, seq.fps)
    parts = parse_clip_name(path.stem)
    kind = parts.kind or ("WORD" if len(glosses) == 1 else "SEN" if glosses else None)
    record = {
        "clip_id": clip_id,
        "source": payload["source"],
        "source_path": str(path),
        "signer": label["signer"] or DEFAULT_SIGNER,
        "kind": kind,
        "view": parts.view,
        "glosses": [],
        "gloss_sequence": "",
        "sentence": label["sentence"],
        "label": label,
        "n_frames_raw": len(seq),
        # source frames [trim[0], trim[1]); keypoint frame i is video frame
        # trim[0] + i * source_fps / fps
        "trim": [first, last],
        "video": str(path) if payload["source"] == "video" else None,
        "skipped_frames": [],
        "missing_frame_numbers": [],
    }
    outside = np.r_[0:first, last : len(seq)]
    rest = (seq.keypoints[outside], seq.mask[outside])
    return _finish(
        out, config, record, seq.keypoints[first:last], seq.mask[first:last], rest=rest,
        source_fps=seq.fps, even_glosses=list(glosses),
    )  # fmt: skip


_PROCESSORS = {"aihub": _process_aihub, "pose": _process_recording, "video": _process_recording}


def process_item(item: tuple) -> dict:
    """Worker entry: prepare one clip. Never raises; failures come back as a record
    with ``error``."""
    source, clip_id, payload, out, config = item
    out = Path(out)
    try:
        return _PROCESSORS[source](out, config, clip_id, payload)
    except Exception as err:  # one bad clip must not stop a long run
        return {
            "clip_id": clip_id,
            "source": source,
            "path": payload.get("path") or payload.get("keypoint_dir"),
            "error": f"{type(err).__name__}: {err}",
        }


# ---------------------------------------------------------------------------- inputs


def _safe_id(name: str) -> str:
    return _SAFE_RE.sub("_", name).strip("._") or "clip"


def _unique(clip_id: str, taken: set[str]) -> str:
    base, k = clip_id, 2
    while clip_id in taken:
        clip_id = f"{base}__{k}"
        k += 1
    taken.add(clip_id)
    return clip_id


def _files_under(root: Path, extensions: tuple[str, ...]) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            if name.lower().endswith(extensions) and not name.startswith("."):
                yield Path(dirpath) / name


def _check_folder(root: str, flag: str) -> Path:
    path = Path(root)
    if not path.exists():
        raise PrepareError(f"{path} ({flag}): no such folder")
    if not path.is_dir():
        raise PrepareError(f"{path} ({flag}): not a folder")
    return path


def _keep_clip_ids(out: Path, items: list[tuple]) -> list[tuple]:
    """Recordings prepared into ``out`` before keep their clip id: a label that changed
    the id (a signer added in ``--labels``) updates that clip instead of adding a second
    copy of the same recording."""
    before = {}
    for sidecar in sorted((out / "clips").glob("*.json")):
        try:
            stored = json.loads(sidecar.read_text("utf-8"))
        except (OSError, ValueError):
            continue
        if stored.get("source") in ("pose", "video") and stored.get("source_path"):
            before[str(Path(stored["source_path"]).resolve())] = stored["clip_id"]
    ids = {it[1] for it in items}
    out_items = []
    for source, clip_id, payload in items:
        old = before.get(str(Path(payload.get("path", "")).resolve())) if "label" in payload else None
        if old and old != clip_id and old not in ids:
            ids.discard(clip_id)
            ids.add(old)
            clip_id = old
        out_items.append((source, clip_id, payload))
    return out_items


def _recording_item(path: Path, source: str, label: ClipLabel, taken: set[str]) -> tuple:
    stem = _safe_id(path.stem)
    if label.signer and label.signer not in stem.upper():
        stem = f"{label.signer}_{stem}"  # the same word by two signers: two clips
    payload = {"source": source, "path": str(path), "label": label.as_dict()}
    return (source, _unique(stem, taken), payload)


def collect_items(
    aihub: list[str] | None,
    poses: list[str] | None,
    videos: list[str] | None,
    labels: str | None,
    taken: set[str],
    notes: dict,
) -> list[tuple]:
    """All (source, clip_id, payload) work items of the raw inputs (small tuples).

    Raises :class:`PrepareError` for a folder that does not exist or holds nothing usable,
    and for a labels file that cannot be used (see :func:`read_labels`).
    """
    items: list[tuple] = []
    for root in aihub or []:
        clips = find_clips(_check_folder(root, "--aihub"))
        notes["keypoints_only"] += [[c, str(p)] for c, p in clips.keypoints_only]
        notes["morpheme_only"] += [[c, str(p)] for c, p in clips.morpheme_only]
        notes["duplicates"] += [[c, str(p)] for c, p in clips.duplicates]
        if not clips:
            found = []
            if clips.keypoints_only:
                found.append(
                    f"{len(clips.keypoints_only)} keypoint folder(s) without a morpheme file "
                    f"(e.g. {clips.keypoints_only[0][0]})"
                )
            if clips.morpheme_only:
                found.append(
                    f"{len(clips.morpheme_only)} morpheme file(s) without keypoints "
                    f"(e.g. {clips.morpheme_only[0][0]})"
                )
            raise PrepareError(
                f"{root} (--aihub): no AI Hub clip found: a clip needs a folder of "
                "{clip}_{frame}_keypoints.json files and a {clip}_morpheme.json; "
                + ("found " + " and ".join(found) if found else "found neither")
            )
        for clip in clips:
            payload = {
                "name": clip.name,
                "keypoint_dir": str(clip.keypoint_dir),
                "morpheme_path": str(clip.morpheme_path),
                "video_path": str(clip.video_path) if clip.video_path else None,
            }
            items.append(("aihub", _unique(_safe_id(clip.name), taken), payload))

    roots: list[tuple[Path, str]] = []
    for flag, folders, exts, source in (
        ("--poses", poses, POSE_EXTENSIONS, "pose"),
        ("--videos", videos, VIDEO_EXTENSIONS, "video"),
    ):
        for root in folders or []:
            path = _check_folder(root, flag)
            if next(_files_under(path, exts), None) is None:
                raise PrepareError(
                    f"{root} ({flag}): no {' / '.join(exts)} file in it or its subfolders"
                )
            roots.append((path, source))
    labelled = read_labels(labels, [r for r, _ in roots]) if labels else {}
    if labels and not labelled:
        raise PrepareError(f"{labels}: the labels file has no rows")
    done: set[Path] = set()
    for root, source in roots:
        exts = POSE_EXTENSIONS if source == "pose" else VIDEO_EXTENSIONS
        for path in _files_under(root, exts):
            key = path.resolve()
            if key in done:
                continue
            done.add(key)
            label = labelled.get(key)
            if label is None:
                label = label_from_name(path, root)
                if labels:
                    notes["not_in_labels"].append(str(path))
            items.append(_recording_item(path, source, label, taken))
    for key, label in labelled.items():  # listed in the labels, outside the folders
        if key not in done:
            source = "pose" if key.name.lower().endswith(POSE_EXTENSIONS) else "video"
            items.append(_recording_item(key, source, label, taken))
    return items


def _skels_files(skels: list[str] | None) -> list[Path]:
    files = []
    for root in skels or []:
        path = _check_folder(root, "--skels")
        found = list(_files_under(path, (".skels",)))
        if not found:
            raise PrepareError(
                f"{root} (--skels): no .skels file in it or its subfolders (a split is "
                "{split}.skels + .gloss + .files, optionally .text)"
            )
        files += found
    return files


def prepare_skels(skels_path: Path, out: Path, config: dict, taken: set[str], stats: dict) -> None:
    """Store every line of one ``.skels`` split as a normalised clip (streamed).

    Glosses come from ``.gloss`` and are split evenly over the clip (``.skels`` has no
    timing); the sentence from ``.text``; the signer from the ``.files`` name.
    """
    from sign_pipeline.formats import FormatError
    from sign_pipeline.formats.skels import KSL_DIM, iter_skels, skels_keypoints

    prefix = skels_path.with_suffix("")
    split = prefix.name if prefix.name in SPLITS else None
    try:
        for k, seq in enumerate(iter_skels(prefix)):
            if seq.dim != KSL_DIM:
                raise FormatError(
                    f"{skels_path}: D={seq.dim} (e.g. PHOENIX 50 joints x 3D) does not fit "
                    f"the 127-point layout (needs D={KSL_DIM})"
                )
            name = Path(seq.name).name or f"{prefix.name}_{k:06d}"
            clip_id = _unique(_safe_id(name), taken)
            if _is_current(out, clip_id):
                stats["reused"] += 1
                continue
            where = f"{skels_path}:{k + 1}"
            try:
                kp, mask, units = skels_keypoints(seq)
                parts = parse_clip_name(name)
                glosses = seq.gloss.split()
                record = {
                    "clip_id": clip_id,
                    "source": "skels",
                    "source_path": where,
                    "signer": parts.signer or DEFAULT_SIGNER,
                    "kind": parts.kind or ("WORD" if len(glosses) == 1 else "SEN"),
                    "view": parts.view,
                    "glosses": [],
                    "gloss_sequence": "",
                    "sentence": seq.text or None,
                    "n_frames_raw": len(kp),
                    "trim": [0, len(kp)],
                    "video": None,
                    "skipped_frames": [],
                    "missing_frame_numbers": [],
                    "skels_split": split,
                    "skels_units": units,
                    "gloss_timing": "even split (.skels has no timing)",
                }
                _finish(out, config, record, kp, mask, even_glosses=glosses)
                stats["written"] += 1
            except ValueError as err:  # e.g. neck or shoulders never detected
                stats["failed"].append([clip_id, "skels", where, f"{type(err).__name__}: {err}"])
    except FormatError as err:
        stats["failed"].append([str(prefix), "skels", str(skels_path), str(err)])


# ---------------------------------------------------------------------------- split + manifest


def group_key(record: dict) -> str:
    """The split group of a clip: its Korean sentence if known, else its gloss sequence."""
    return record.get("sentence") or record.get("gloss_sequence") or ""


def _hash(seed: int, key: str) -> str:
    return hashlib.sha256(f"{seed}\x00{key}".encode()).hexdigest()


def assign_splits(
    keys: Iterable[str], dev_frac: float, test_frac: float, seed: int
) -> dict[str, str]:
    """Map sentence group keys to train/dev/test (deterministic from ``seed``)."""
    groups = sorted(set(keys), key=lambda k: (_hash(seed, k), k))
    n = len(groups)

    def count(frac: float) -> int:
        if frac <= 0 or n == 0:
            return 0
        c = int(round(n * frac))
        return max(c, 1) if n >= 3 else c

    n_test = count(test_frac)
    n_dev = min(count(dev_frac), max(n - n_test - 1, 0))
    out = {}
    for i, key in enumerate(groups):
        out[key] = "test" if i < n_test else "dev" if i < n_test + n_dev else "train"
    return out


def _iter_records(out: Path) -> Iterator[dict]:
    clips = out / "clips"
    if not clips.is_dir():
        return
    for entry in sorted(os.scandir(clips), key=lambda e: e.name):
        if entry.name.endswith(".json") and not entry.name.startswith("."):
            clip_id = entry.name[: -len(".json")]
            if (clips / f"{clip_id}.npz").is_file():
                with open(entry.path, encoding="utf-8") as f:
                    yield json.loads(f.read())


def _needs_group(record: dict) -> bool:
    if record.get("skels_split") in SPLITS:
        return False
    return record.get("kind") != "WORD" and bool(group_key(record))


def _split_of(record: dict, splits: dict[str, str]) -> str:
    if record.get("skels_split") in SPLITS:
        return record["skels_split"]
    if not _needs_group(record):
        return "train"
    return splits[group_key(record)]


def _atomic_write_text(path: Path, text: str) -> None:
    _atomic_write_bytes(path, lambda f: f.write(text.encode("utf-8")))


def build_manifest(out: Path, dev_frac: float, test_frac: float, seed: int) -> dict:
    """Rebuild ``manifest.jsonl`` from the sidecars (two streaming passes); returns totals."""
    keys = {group_key(r) for r in _iter_records(out) if _needs_group(r)}
    splits = assign_splits(keys, dev_frac, test_frac, seed)
    totals: dict = {
        "clips": 0,
        "frames": 0,
        "signers": collections.Counter(),
        "sources": collections.Counter(),
        "kinds": collections.Counter(),
        "glosses": collections.Counter(),
        "splits": {s: {"clips": 0, "frames": 0, "sentences": set()} for s in SPLITS},
        "skipped_files": [],
        "unlabelled": [],
        "default_signer": [],
    }
    tmp = out / f".manifest.jsonl.tmp{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        for record in _iter_records(out):
            record["split"] = _split_of(record, splits)
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
            totals["clips"] += 1
            totals["frames"] += record["n_frames"]
            totals["signers"][record["signer"]] += 1
            totals["sources"][record["source"]] += 1
            totals["kinds"][record.get("kind") or "unknown"] += 1
            totals["glosses"].update(g["gloss"] for g in record["glosses"])
            split = totals["splits"][record["split"]]
            split["clips"] += 1
            split["frames"] += record["n_frames"]
            if _needs_group(record):
                split["sentences"].add(group_key(record))
            totals["skipped_files"] += [
                {"clip": record["clip_id"], "file": name, "reason": reason}
                for name, reason in record.get("skipped_frames", [])
            ]
            label = record.get("label")
            if label is not None:
                entry = {"clip": record["clip_id"], "path": record["source_path"]}
                if not record["glosses"]:
                    totals["unlabelled"].append(entry)
                if not label.get("signer"):
                    totals["default_signer"].append(entry)
    os.replace(tmp, out / "manifest.jsonl")
    for split in totals["splits"].values():
        split["sentences"] = len(split["sentences"])
    return totals


# ---------------------------------------------------------------------------- driver


def _run_items(
    items: list[tuple], out: Path, config: dict, workers: int, progress: bool
) -> Iterator[dict]:
    jobs = [(source, cid, payload, str(out), config) for source, cid, payload in items]
    if not jobs:
        return
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover - tqdm is a requirement
        tqdm = None
    bar = (
        tqdm(total=len(jobs), unit="clip", disable=not progress, file=sys.stderr) if tqdm else None
    )
    if workers <= 1 or len(jobs) == 1:
        results: Iterable[dict] = map(process_item, jobs)
        pool = None
    else:
        ctx = multiprocessing.get_context("spawn")
        pool = ctx.Pool(processes=min(workers, len(jobs)))
        chunksize = max(1, min(16, len(jobs) // (workers * 8)))
        results = pool.imap_unordered(process_item, jobs, chunksize=chunksize)
    try:
        for result in results:
            if bar is not None:
                bar.update(1)
            yield result
    finally:
        if pool is not None:
            pool.close()
            pool.join()
        if bar is not None:
            bar.close()


def _remove_if_empty(folders: list[Path]) -> None:
    """Remove the folders this run created when nothing ended up in them."""
    for folder in folders:
        leftovers = [p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")]
        if not leftovers:
            shutil.rmtree(folder, ignore_errors=True)


def prepare(
    out: str | os.PathLike,
    aihub: list[str] | None = None,
    skels: list[str] | None = None,
    poses: list[str] | None = None,
    videos: list[str] | None = None,
    labels: str | os.PathLike | None = None,
    workers: int | None = None,
    dev_frac: float = 0.1,
    test_frac: float = 0.1,
    seed: int = 0,
    max_gap: int = 1,
    dtype: str = "float16",
    fps: float = 30.0,
    progress: bool = True,
    verbose: bool = True,
) -> dict:
    """Prepare a dataset into ``out`` (see the module docstring); returns the summary.

    Raises :class:`PrepareError` before writing anything when the input is unusable, and
    after the run (removing the folders it created) when no clip could be prepared.
    """
    started = time.time()
    out = Path(out)
    config = {"max_gap": int(max_gap), "dtype": dtype, "fps": float(fps)}
    notes: dict = {
        "keypoints_only": [], "morpheme_only": [], "duplicates": [], "not_in_labels": [],
    }  # fmt: skip
    stats: dict = {"written": 0, "reused": 0, "failed": []}
    taken: set[str] = set()

    if not (aihub or skels or poses or videos or labels):
        raise PrepareError(
            "nothing to prepare: give --aihub, --skels, --poses, --videos or --labels"
        )
    if out.is_dir() and any(out.iterdir()) and not (
        (out / "clips").is_dir() or (out / "manifest.jsonl").is_file()
    ):
        raise PrepareError(f"{out} (--out): the folder holds files prepare did not write (no "
                           "clips/ or manifest.jsonl); choose a new or empty folder")  # fmt: skip
    # every input is checked before anything is written
    items = collect_items(aihub, poses, videos, str(labels) if labels else None, taken, notes)
    skels_files = _skels_files(skels)

    created = [p for p in (out, out / "clips") if not p.exists()]
    (out / "clips").mkdir(parents=True, exist_ok=True)
    items = _keep_clip_ids(out, items)
    todo = [it for it in items if not _is_current(out, it[1], it[2].get("label"))]
    stats["reused"] += len(items) - len(todo)
    if workers is None:
        workers = os.cpu_count() or 1
    for result in _run_items(todo, out, config, workers, progress):
        if "error" in result:
            stats["failed"].append(
                [result["clip_id"], result["source"], result["path"], result["error"]]
            )
        else:
            stats["written"] += 1
    for skels_path in skels_files:
        prepare_skels(skels_path, out, config, taken, stats)

    failed = [{"clip": c, "source": s, "path": p, "reason": r} for c, s, p, r in stats["failed"]]
    if not any(True for _ in _iter_records(out)):
        _remove_if_empty(created[:1])  # out itself, or out/clips, if this run made them
        if not failed:
            raise PrepareError("the inputs hold no clip (empty .skels splits?)")
        reasons = "; ".join(f"{f['clip']} ({f['path']}): {f['reason']}" for f in failed[:10])
        raise PrepareError(
            f"no clip could be prepared; all {len(failed)} failed: {reasons}"
            + (f"; ... ({len(failed) - 10} more)" if len(failed) > 10 else "")
        )
    totals = build_manifest(out, dev_frac, test_frac, seed)
    summary = {
        "clips": totals["clips"],
        "frames": totals["frames"],
        "signers": dict(sorted(totals["signers"].items())),
        "n_signers": len(totals["signers"]),
        "n_glosses": len(totals["glosses"]),
        "glosses": dict(totals["glosses"].most_common()),
        "sources": dict(totals["sources"]),
        "kinds": dict(totals["kinds"]),
        "splits": totals["splits"],
        "this_run": {
            "written": stats["written"],
            "already_done": stats["reused"],
            "failed": len(stats["failed"]),
            "seconds": round(time.time() - started, 2),
            "workers": workers,
        },
        "failed_clips": failed,
        "skipped_files": totals["skipped_files"],
        "keypoints_without_morpheme": [{"clip": c, "path": p} for c, p in notes["keypoints_only"]],
        "morpheme_without_keypoints": [{"clip": c, "path": p} for c, p in notes["morpheme_only"]],
        "duplicates": [{"clip": c, "path": p} for c, p in notes["duplicates"]],
        "recordings_without_glosses": totals["unlabelled"],
        "recordings_without_signer": totals["default_signer"],
        "recordings_not_in_labels": notes["not_in_labels"],
        "config": {
            "dev_frac": dev_frac,
            "test_frac": test_frac,
            "seed": seed,
            "max_gap": max_gap,
            "dtype": dtype,
            "fps": float(fps),
            "labels": str(labels) if labels else None,
            "split_by": "sentence (Korean sentence, else gloss sequence); WORD clips in train",
            "trim": "AI Hub: frames [first gloss start, last gloss end); labelled recordings: "
            "the signing part (a hand raised); .skels: none",
            "normalization": "neck-centred, shoulder-width scaled (skeleton.normalize)",
            "frame_rate": f"every clip resampled to {float(fps):g} fps",
        },
    }
    _atomic_write_text(out / "summary.json", json.dumps(summary, ensure_ascii=False, indent=1))
    if verbose:
        print(format_summary(summary))
    return summary


def format_summary(summary: dict) -> str:
    """A short human-readable report of :func:`prepare`'s summary (every failed clip named)."""
    run = summary["this_run"]
    lines = [
        f"dataset: {summary['clips']} clips, {summary['frames']} frames, "
        f"{summary['n_signers']} signers, {summary['n_glosses']} distinct glosses",
        "signers: " + ", ".join(f"{s} {n} clips" for s, n in summary["signers"].items()),
        "splits: "
        + ", ".join(
            f"{name} {s['clips']} clips / {s['sentences']} sentences"
            for name, s in summary["splits"].items()
        ),
        f"this run: {run['written']} written, {run['already_done']} already done, "
        f"{run['failed']} failed, {run['seconds']} s with {run['workers']} workers",
    ]
    for label, key, fields, limit in (
        ("failed clips (skipped)", "failed_clips", ("clip", "path", "reason"), None),
        ("skipped frame files", "skipped_files", ("clip", "file", "reason"), 10),
        ("keypoints without morpheme", "keypoints_without_morpheme", ("clip", "path"), 10),
        ("morpheme without keypoints", "morpheme_without_keypoints", ("clip", "path"), 10),
        (
            "recordings without gloss labels (no --labels row, no Hangul in the file name; "
            "build_lexicon cannot use them)",
            "recordings_without_glosses", ("clip", "path"), None,
        ),
        (
            f"recordings without a signer (labelled {DEFAULT_SIGNER})",
            "recordings_without_signer", ("clip", "path"), 10,
        ),
    ):  # fmt: skip
        entries = summary[key]
        if entries:
            lines.append(f"{label}: {len(entries)}")
            for entry in entries[:limit]:
                lines.append("  " + ": ".join(str(entry[f]) for f in fields))
            if limit is not None and len(entries) > limit:
                lines.append(f"  ... ({len(entries) - limit} more in summary.json)")
    if summary["recordings_not_in_labels"]:
        missing = summary["recordings_not_in_labels"]
        lines.append(f"recordings not in the labels file (labelled by file name): {len(missing)}")
        lines += [f"  {p}" for p in missing[:10]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m training.prepare",
        description="Turn raw keypoint data (AI Hub, .skels, .pose, videos) into a training dataset.",
    )
    parser.add_argument("--aihub", action="append", metavar="DIR", help="AI Hub root (repeatable)")
    parser.add_argument("--skels", action="append", metavar="DIR", help="folder of .skels splits")
    parser.add_argument("--poses", action="append", metavar="DIR", help="folder of .pose files")
    parser.add_argument("--videos", action="append", metavar="DIR", help="folder of videos")
    parser.add_argument(
        "--labels",
        metavar="FILE",
        help="CSV labelling videos/.pose files: file,gloss,sentence,signer "
        "(default: the gloss is the file name)",
    )
    parser.add_argument("--out", required=True, metavar="DIR")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--dev-frac", type=float, default=0.1)
    parser.add_argument("--test-frac", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--max-gap", type=int, default=1, help="interpolate gaps of at most this many frames"
    )
    parser.add_argument("--dtype", choices=("float16", "float32"), default="float16")
    parser.add_argument(
        "--fps",
        type=float,
        default=30.0,
        help="frame rate of AI Hub and .skels keypoints, and the rate every clip is "
        "resampled to (default 30)",
    )
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    if not (args.aihub or args.skels or args.poses or args.videos or args.labels):
        parser.error("give at least one of --aihub, --skels, --poses, --videos, --labels")
    if not (
        0 <= args.dev_frac < 1 and 0 <= args.test_frac < 1 and args.dev_frac + args.test_frac < 1
    ):
        parser.error("--dev-frac and --test-frac must be in [0, 1) and sum below 1")
    if not args.fps > 0:
        parser.error("--fps must be positive")
    try:
        prepare(
            args.out,
            aihub=args.aihub,
            skels=args.skels,
            poses=args.poses,
            videos=args.videos,
            labels=args.labels,
            workers=args.workers,
            dev_frac=args.dev_frac,
            test_frac=args.test_frac,
            seed=args.seed,
            max_gap=args.max_gap,
            dtype=args.dtype,
            fps=args.fps,
            progress=not args.no_progress,
        )
    except PrepareError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
