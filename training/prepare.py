"""Turn raw keypoint data into one training-ready dataset.

    python -m training.prepare --aihub DIR --out DIR [--skels DIR] [--poses DIR]
        [--videos DIR] [--workers N] [--dev-frac 0.1] [--test-frac 0.1] [--seed 0]

Output::

    out/clips/{clip_id}.npz    keypoints [T,127,2] (float16 by default, normalised), mask [T,127],
                               center [2], scale, fps, signer_index
    out/clips/{clip_id}.json   the clip's manifest record (sidecar, written last)
    out/manifest.jsonl         one record per clip, with its split
    out/summary.json           counts, signers, glosses, skipped files and failed clips

Steps per AI Hub clip (the seed's preprocessing, made explicit):

1. read the per-frame OpenPose JSON and the morpheme file (unreadable frames are skipped,
   keep their slot as all-missing frames, and are listed in the summary);
2. trim the resting pose: keep frames ``[first gloss start, last gloss end)``; gloss spans
   are shifted to the trimmed clip;
3. confidence is dropped and the lower body is not in the 127-point layout;
4. fill short gaps: a point missing for at most ``--max-gap`` frames (default 1, the
   seed's "isolated missing frame") with detections on both sides is linearly
   interpolated; longer gaps stay missing in the mask;
5. normalise: neck-centred, shoulder-width scaled (:func:`skeleton.normalize`); center and
   scale are stored so :func:`skeleton.denormalize` undoes it;
6. signer id from the clip name (``REAL03`` -> index 2, :func:`skeleton.signer_index`).

``--poses`` (``.pose`` files) and ``--videos`` (MediaPipe Holistic extraction) give whole
clips without glosses: no trimming, empty gloss list, signer from a ``REALnn``/``SYNnn``
pattern in the file name or ``REAL01``. ``--skels`` splits (D=254 lines) keep their
values as they are (they were normalised by their own tool: ``normalization`` is
``"skels"``, center 0 and scale 1) and their split name when it is train/dev/test;
D=150 (PHOENIX, 3D) does not fit the 127-point layout and is reported as failed.

Split: by sentence. The group key of a clip is its Korean sentence when known, else its
gloss sequence; groups are ordered by a hash of (seed, key) and the first ``test-frac``
of them go to test, the next ``dev-frac`` to dev (at least one group each when there are
three or more), the rest to train. So no test sentence appears in train, every signer
and view of a sentence lands in the same split, and the split is deterministic. WORD
clips and clips without glosses go to train.

Parallel and resumable: clips are processed by ``--workers`` processes
(``multiprocessing`` ``imap_unordered``, chunked); a clip whose ``.json`` sidecar and
``.npz`` exist is skipped; every file is written to a temporary name and renamed, so a
killed run leaves no half files. The manifest is rebuilt from all sidecars in
``out/clips`` (so several sources can be prepared into one folder in separate runs).
Memory does not grow with the dataset: clips are streamed and only small records
travel back to the main process.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import json
import multiprocessing
import os
import re
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from sign_pipeline import skeleton
from sign_pipeline.formats.aihub import (
    AIHubClip,
    GlossSpan,
    find_clips,
    parse_clip_name,
    read_aihub_clip,
)

VIDEO_EXTENSIONS = (".mp4", ".avi", ".mov", ".mkv", ".webm")
DEFAULT_SIGNER = "REAL01"
SPLITS = ("train", "dev", "test")
_SAFE_RE = re.compile(r"[^0-9A-Za-z_.\-가-힣]+")

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


def _finish(
    out: Path,
    config: dict,
    record: dict,
    keypoints: np.ndarray,
    mask: np.ndarray,
    normalise: bool = True,
    rest: tuple[np.ndarray, np.ndarray] | None = None,
) -> dict:
    """Fill short gaps, normalise, write arrays + sidecar; returns the record.

    ``rest`` holds the trimmed-off resting frames (keypoints, mask): their per-point median,
    in the clip's normalised frame, is stored as ``rest`` / ``rest_mask`` (the pose a
    concatenative backend starts and ends in).
    """
    raw_missing = int((~mask).sum())
    kp, m = skeleton.fill_short_gaps(keypoints, mask, max_gap=config["max_gap"])
    if normalise:
        kp, norm = skeleton.normalize(kp, m)
        center, scale = norm.center, norm.scale
        record["normalization"] = "neck_shoulder"
    else:
        kp = np.where(m[..., None], kp, 0.0)
        center, scale = (0.0, 0.0), 1.0
    signer_index = skeleton.signer_index(record["signer"])
    record.update(
        signer_index=signer_index,
        n_frames=int(len(kp)),
        center=[float(center[0]), float(center[1])],
        scale=float(scale),
        filled_points=int(raw_missing - (~m).sum()),
        missing_fraction=round(float((~m).mean()), 4) if m.size else 1.0,
    )
    arrays = {
        "keypoints": kp.astype(config["dtype"]),
        "mask": m,
        "center": np.asarray(center, np.float32),
        "scale": np.float32(scale),
        "fps": np.float32(record["fps"]),
        "signer_index": np.int16(signer_index),
    }
    if normalise and rest is not None and len(rest[0]):
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
    parts = parse_clip_name(clip_id)
    record = {
        "clip_id": clip_id,
        "source": "aihub",
        "source_path": str(clip.keypoint_dir),
        "signer": parts.signer or DEFAULT_SIGNER,
        "kind": parts.kind,
        "view": parts.view,
        "glosses": _spans_json(spans),
        "gloss_sequence": " ".join(s.gloss for s in spans),
        "sentence": seq.meta.get("sentence"),
        "fps": float(seq.fps),
        "n_frames_raw": len(seq),
        "trim": [first, last],
        "skipped_frames": [[name, reason] for name, reason in report.skipped],
        "missing_frame_numbers": report.gaps,
    }
    outside = np.r_[0:first, last : len(seq)]
    rest = (seq.keypoints[outside], seq.mask[outside])
    return _finish(out, config, record, kp, mask, rest=rest)


def _whole_clip_record(clip_id: str, source: str, path: Path, seq) -> dict:
    parts = parse_clip_name(clip_id)
    return {
        "clip_id": clip_id,
        "source": source,
        "source_path": str(path),
        "signer": parts.signer or DEFAULT_SIGNER,
        "kind": parts.kind,
        "view": parts.view,
        "glosses": [],
        "gloss_sequence": "",
        "sentence": None,
        "fps": float(seq.fps),
        "n_frames_raw": len(seq),
        "trim": [0, len(seq)],
        "skipped_frames": [],
        "missing_frame_numbers": [],
    }


def _process_pose(out: Path, config: dict, clip_id: str, payload: dict) -> dict:
    from sign_pipeline.formats.pose import read_pose

    path = Path(payload["path"])
    seq = read_pose(path)
    return _finish(
        out, config, _whole_clip_record(clip_id, "pose", path, seq), seq.keypoints, seq.mask
    )


def _process_video(out: Path, config: dict, clip_id: str, payload: dict) -> dict:
    from sign_pipeline.formats.video import extract_video  # heavy (MediaPipe): lazy

    path = Path(payload["path"])
    seq = extract_video(path)
    return _finish(
        out, config, _whole_clip_record(clip_id, "video", path, seq), seq.keypoints, seq.mask
    )


_PROCESSORS = {"aihub": _process_aihub, "pose": _process_pose, "video": _process_video}


def process_item(item: tuple) -> dict:
    """Worker entry: prepare one clip. Never raises; failures come back as a record
    with ``error``."""
    source, clip_id, payload, out, config = item
    out = Path(out)
    try:
        return _PROCESSORS[source](out, config, clip_id, payload)
    except Exception as err:  # one bad clip must not stop a long run
        return {"clip_id": clip_id, "source": source, "error": f"{type(err).__name__}: {err}"}


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
            if name.lower().endswith(extensions):
                yield Path(dirpath) / name


def collect_items(args: argparse.Namespace, taken: set[str], notes: dict) -> list[tuple]:
    """All (source, clip_id, payload) work items of the raw inputs (small tuples)."""
    items: list[tuple] = []
    for root in args.aihub or []:
        clips = find_clips(root)
        notes["keypoints_only"] += [[c, str(p)] for c, p in clips.keypoints_only]
        notes["morpheme_only"] += [[c, str(p)] for c, p in clips.morpheme_only]
        notes["duplicates"] += [[c, str(p)] for c, p in clips.duplicates]
        for clip in clips:
            payload = {
                "keypoint_dir": str(clip.keypoint_dir),
                "morpheme_path": str(clip.morpheme_path),
            }
            items.append(("aihub", _unique(_safe_id(clip.name), taken), payload))
    for source, roots, exts in (
        ("pose", args.poses, (".pose",)),
        ("video", args.videos, VIDEO_EXTENSIONS),
    ):
        for root in roots or []:
            for path in _files_under(Path(root), exts):
                clip_id = _unique(_safe_id(path.stem), taken)
                items.append((source, clip_id, {"path": str(path)}))
    return items


def prepare_skels(root: Path, out: Path, config: dict, taken: set[str], stats: dict) -> None:
    """Store every D=254 line of the ``.skels`` splits under ``root`` as a clip (streamed)."""
    from sign_pipeline.formats import FormatError
    from sign_pipeline.formats.skels import KSL_DIM, iter_skels

    for skels_path in _files_under(root, (".skels",)):
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
                if is_done(out, clip_id):
                    stats["reused"] += 1
                    continue
                kp = skeleton.unflatten(seq.values)
                parts = parse_clip_name(name)
                glosses = seq.gloss.split()
                record = {
                    "clip_id": clip_id,
                    "source": "skels",
                    "source_path": f"{skels_path}:{k + 1}",
                    "signer": parts.signer or DEFAULT_SIGNER,
                    "kind": parts.kind,
                    "view": parts.view,
                    "glosses": [{"gloss": g, "start": None, "end": None} for g in glosses],
                    "gloss_sequence": " ".join(glosses),
                    "sentence": seq.text or None,
                    "fps": config["fps"],
                    "n_frames_raw": len(kp),
                    "trim": [0, len(kp)],
                    "skipped_frames": [],
                    "missing_frame_numbers": [],
                    "skels_split": split,
                    "normalization": "skels",
                }
                try:
                    _finish(out, config, record, kp, skeleton.missing_mask(kp), normalise=False)
                    stats["written"] += 1
                except ValueError as err:
                    stats["failed"].append([clip_id, "skels", f"{type(err).__name__}: {err}"])
        except FormatError as err:
            stats["failed"].append([str(prefix), "skels", str(err)])


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


def prepare(
    out: str | os.PathLike,
    aihub: list[str] | None = None,
    skels: list[str] | None = None,
    poses: list[str] | None = None,
    videos: list[str] | None = None,
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
    """Prepare a dataset into ``out`` (see the module docstring); returns the summary."""
    started = time.time()
    out = Path(out)
    (out / "clips").mkdir(parents=True, exist_ok=True)
    config = {"max_gap": int(max_gap), "dtype": dtype, "fps": float(fps)}
    args = argparse.Namespace(aihub=aihub, poses=poses, videos=videos)
    notes: dict = {"keypoints_only": [], "morpheme_only": [], "duplicates": []}
    stats: dict = {"written": 0, "reused": 0, "failed": []}
    taken: set[str] = set()

    items = collect_items(args, taken, notes)
    todo = [it for it in items if not is_done(out, it[1])]
    stats["reused"] += len(items) - len(todo)
    if workers is None:
        workers = os.cpu_count() or 1
    for result in _run_items(todo, out, config, workers, progress):
        if "error" in result:
            stats["failed"].append([result["clip_id"], result["source"], result["error"]])
        else:
            stats["written"] += 1
    for root in skels or []:
        prepare_skels(Path(root), out, config, taken, stats)

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
        "failed_clips": [{"clip": c, "source": s, "reason": r} for c, s, r in stats["failed"]],
        "skipped_files": totals["skipped_files"],
        "keypoints_without_morpheme": [{"clip": c, "path": p} for c, p in notes["keypoints_only"]],
        "morpheme_without_keypoints": [{"clip": c, "path": p} for c, p in notes["morpheme_only"]],
        "duplicates": [{"clip": c, "path": p} for c, p in notes["duplicates"]],
        "config": {
            "dev_frac": dev_frac,
            "test_frac": test_frac,
            "seed": seed,
            "max_gap": max_gap,
            "dtype": dtype,
            "split_by": "sentence (Korean sentence, else gloss sequence); WORD clips in train",
            "trim": "frames [first gloss start, last gloss end)",
            "normalization": "neck-centred, shoulder-width scaled (skeleton.normalize)",
        },
    }
    _atomic_write_text(out / "summary.json", json.dumps(summary, ensure_ascii=False, indent=1))
    if verbose:
        print(format_summary(summary))
    return summary


def format_summary(summary: dict) -> str:
    """A short human-readable report of :func:`prepare`'s summary."""
    run = summary["this_run"]
    lines = [
        f"dataset: {summary['clips']} clips, {summary['frames']} frames, "
        f"{summary['n_signers']} signers, {summary['n_glosses']} distinct glosses",
        "splits: "
        + ", ".join(
            f"{name} {s['clips']} clips / {s['sentences']} sentences"
            for name, s in summary["splits"].items()
        ),
        f"this run: {run['written']} written, {run['already_done']} already done, "
        f"{run['failed']} failed, {run['seconds']} s with {run['workers']} workers",
    ]
    for label, key, fields in (
        ("skipped frame files", "skipped_files", ("clip", "file", "reason")),
        ("failed clips", "failed_clips", ("clip", "reason")),
        ("keypoints without morpheme", "keypoints_without_morpheme", ("clip", "path")),
        ("morpheme without keypoints", "morpheme_without_keypoints", ("clip", "path")),
    ):
        entries = summary[key]
        if entries:
            lines.append(f"{label}: {len(entries)}")
            for entry in entries[:10]:
                lines.append("  " + ": ".join(str(entry[f]) for f in fields))
            if len(entries) > 10:
                lines.append(f"  ... ({len(entries) - 10} more in summary.json)")
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
    parser.add_argument("--out", required=True, metavar="DIR")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--dev-frac", type=float, default=0.1)
    parser.add_argument("--test-frac", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--max-gap", type=int, default=1, help="interpolate gaps of at most this many frames"
    )
    parser.add_argument("--dtype", choices=("float16", "float32"), default="float16")
    parser.add_argument("--fps", type=float, default=30.0, help="frame rate of AI Hub keypoints")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    if not (args.aihub or args.skels or args.poses or args.videos):
        parser.error("give at least one of --aihub, --skels, --poses, --videos")
    if not (
        0 <= args.dev_frac < 1 and 0 <= args.test_frac < 1 and args.dev_frac + args.test_frac < 1
    ):
        parser.error("--dev-frac and --test-frac must be in [0, 1) and sum below 1")
    summary = prepare(
        args.out,
        aihub=args.aihub,
        skels=args.skels,
        poses=args.poses,
        videos=args.videos,
        workers=args.workers,
        dev_frac=args.dev_frac,
        test_frac=args.test_frac,
        seed=args.seed,
        max_gap=args.max_gap,
        dtype=args.dtype,
        fps=args.fps,
        progress=not args.no_progress,
    )
    return 0 if summary["clips"] > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
