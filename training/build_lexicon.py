"""Build the ``lexicon`` text-to-pose data from a prepared dataset.

``python -m training.build_lexicon --data data/prepared --out checkpoints/lexicon``

Per signer and gloss, one clip: the WORD clip of that gloss when there is one (the
whole trimmed clip), otherwise the gloss's span cut from a sentence (the span closest to the
median length), low-pass filtered like the generated output. Short gaps are interpolated and any remaining missing point is held at
its nearest detected value, so the stored clips are complete. Per signer, the rest pose
is the median of the resting frames that ``prepare`` trimmed off.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np

from sign_pipeline import skeleton as sk
from sign_pipeline.inventory import load_inventory
from sign_pipeline.motion import lowpass
from sign_pipeline.text2pose.lexicon import LexiconConfig, LexiconText2Pose
from training.dataset import data_origin, load_clip, load_manifest

#: Points a clip must show at least once: without them it cannot be placed on a body.
REQUIRED = (sk.NECK, sk.R_SHOULDER, sk.L_SHOULDER)
_HANDS = {"right": (sk.R_WRIST, sk.RIGHT_HAND), "left": (sk.L_WRIST, sk.LEFT_HAND)}


def complete(keypoints: np.ndarray, mask: np.ndarray) -> np.ndarray | None:
    """Fill every missing point by interpolation inside, holding values at the ends.

    A point never detected in the clip is put where a resting signer has it: a body point at
    the neutral pose, a hand point at the neutral hand on that arm's wrist (one-handed signs
    are normal: the other hand is never seen), a face point stays 0 (the rest pose fills it).
    Returns None only when the neck or a shoulder is never detected.
    """
    kp, m = sk.fill_short_gaps(keypoints, mask, max_gap=len(keypoints))
    if any(not m[:, p].any() for p in REQUIRED):
        return None
    kp = kp.copy()
    t = np.arange(len(kp))
    never = ~m.any(axis=0)
    for p in np.flatnonzero(~m.all(axis=0) & ~never):
        ok = m[:, p]
        for d in range(2):
            kp[:, p, d] = np.interp(t, t[ok], kp[ok, p, d])
    neutral = sk.neutral_pose()
    body = np.flatnonzero(never[sk.POSE])
    kp[:, body] = neutral[body]
    for side, (body_wrist, hand) in _HANDS.items():
        lost = np.flatnonzero(never[hand]) + hand.start
        if len(lost):
            wrist = kp[:, hand.start] if m[:, hand.start].any() else kp[:, body_wrist]
            offsets = sk.neutral_hand(side)[lost - hand.start]
            kp[:, lost] = wrist[:, None, :] + offsets[None]
    return kp


def rest_pose(rests: list[np.ndarray]) -> np.ndarray:
    """A signer's rest pose: the median of the clips' rest frames (NaN where not detected);
    points never detected at rest take the neutral pose (hands on the wrists they hang from)."""
    with warnings.catch_warnings():  # a point never seen at rest: NaN, filled below
        warnings.simplefilter("ignore", RuntimeWarning)
        r = np.nanmedian(np.stack(rests), axis=0)
    neutral = sk.neutral_pose()
    body = np.isnan(r[sk.POSE]).any(axis=-1)
    r[sk.POSE][body] = neutral[sk.POSE][body]
    for side, (body_wrist, hand) in _HANDS.items():
        lost = np.isnan(r[hand]).any(axis=-1)
        if lost.any():
            wrist = r[hand.start] if not lost[0] else r[body_wrist]
            r[hand][lost] = wrist + sk.neutral_hand(side)[lost]
    return np.nan_to_num(r).astype(np.float32)


ALL_SPLITS = ("train", "dev", "test")


def out_folder_problem(out: Path) -> str | None:
    """Why ``--out`` cannot take the lexicon (None when it can): it must be new, empty, or
    hold a lexicon checkpoint (whose files are then replaced, nothing else touched)."""
    if out.exists() and not out.is_dir():
        return f"--out {out}: a file, not a folder"
    if not out.is_dir() or not any(out.iterdir()):
        return None
    try:
        backend = json.loads((out / "config.json").read_text("utf-8")).get("backend")
    except (OSError, ValueError, AttributeError):
        backend = None
    if backend == "lexicon":
        return None
    return (f"--out {out}: the folder holds files that are not a lexicon checkpoint; give a "
            "new or empty folder, or a lexicon checkpoint to replace (nothing was written)")


def build(data: Path, out: Path, splits: tuple[str, ...] = ALL_SPLITS) -> dict:
    """Build the lexicon backend's data from the clips of ``splits`` (default: every clip:
    a lexicon is not a learned model; evaluation builds its own from the train split).

    Raises ValueError when the data holds no usable gloss clip or ``out`` holds other files
    (see :func:`out_folder_problem`); nothing is written then.
    """
    problem = out_folder_problem(Path(out))
    if problem:
        raise ValueError(problem)
    records = [r for r in load_manifest(data) if r.get("split") in splits]
    if not records:
        raise ValueError(f"{data}: no clips in the splits {', '.join(splits)}")
    inventory = load_inventory()
    words: dict[tuple[int, str], list[dict]] = collections.defaultdict(list)
    cuts: dict[tuple[int, str], list[tuple[dict, dict]]] = collections.defaultdict(list)
    for r in records:
        signer = int(r["signer_index"]) + 1
        glosses = r.get("glosses") or []
        if r.get("kind") == "WORD" and len(glosses) == 1:
            words[(signer, glosses[0]["gloss"])].append(r)
        else:
            for g in glosses:
                if g.get("start") is not None and g["end"] - g["start"] >= 4:
                    cuts[(signer, g["gloss"])].append((r, g))

    rest_sum: dict[int, list[np.ndarray]] = collections.defaultdict(list)
    clips: dict[tuple[int, str], np.ndarray] = {}
    sources = collections.Counter()
    unusable: list[str] = []
    keys = set(words) | set(cuts)
    for key in sorted(keys):
        signer, gloss = key
        arr = None
        if key in words:
            rec = words[key][0]
            c = load_clip(data, rec["clip_id"])
            arr = complete(c["keypoints"], c["mask"])
            if arr is not None:
                sources["word"] += 1
        if arr is None and key in cuts:
            spans = cuts[key]
            median = np.median([g["end"] - g["start"] for _, g in spans])
            rec, g = min(spans, key=lambda rg: abs(rg[1]["end"] - rg[1]["start"] - median))
            c = load_clip(data, rec["clip_id"])
            sl = slice(g["start"], g["end"])
            arr = complete(c["keypoints"][sl], c["mask"][sl])
            if arr is not None:
                sources["sentence_cut"] += 1
        if arr is None:
            sources["unusable"] += 1
            unusable.append(f"{rec['clip_id']} ({gloss}): neck or shoulders never detected")
            continue
        # the same low-pass generation applies, on every block: removes detection jitter
        # (also from the face) and makes the stored deltas small
        clips[key] = lowpass(arr, float(c["fps"]), blocks=(slice(0, sk.NUM_POINTS),))
        if "rest" in c and len(rest_sum[signer]) < 50:
            rest_sum[signer].append(np.where(c["rest_mask"][:, None], c["rest"], np.nan))

    if not clips:
        raise ValueError(
            f"{data}: no clip has a usable gloss{' (' + '; '.join(unusable[:5]) + ')' if unusable else ''} (clips need gloss labels: morpheme files, "
            "a .gloss file, or a labels CSV for videos)"
        )
    rest: dict[int, np.ndarray] = {}
    for signer in sorted({s for s, _ in clips}):
        if rest_sum[signer]:
            rest[signer] = rest_pose(rest_sum[signer])
        else:  # no resting frames in the data: the mean first frame of the clips
            r = np.mean([c[0] for (s, _), c in clips.items() if s == signer], axis=0)
            rest[signer] = r.astype(np.float32)
    # face points never seen in a clip take the signer's resting face
    for (signer, _), c in clips.items():
        unseen = (c[:, sk.FACE] == 0).all(axis=(0, 2))
        if unseen.any():
            c[:, sk.FACE][:, unseen] = rest[signer][sk.FACE][unseen]

    missing = sorted(g for g in inventory if not any((s, g) in clips for s in rest))
    backend = LexiconText2Pose(clips, rest, LexiconConfig(fps=float(records[0]["fps"])))
    origin, synthetic = data_origin(records)
    extra = {
        "trained_on": origin,
        "synthetic": synthetic,
        "built_from": str(data),
        "splits": list(splits),
        "clip_sources": dict(sources),
        "glosses_without_clip": missing,
    }
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    # written aside, then moved in file by file: never half-written, and whatever else the
    # folder holds (a model card, say) stays
    with tempfile.TemporaryDirectory(prefix=f".{out.name}.", dir=out.parent) as tmp:
        backend.save_pretrained(tmp, extra)
        out.mkdir(exist_ok=True)
        written = sorted(p.name for p in Path(tmp).iterdir())
        for name in written:
            os.replace(Path(tmp) / name, out / name)
    size = sum((out / name).stat().st_size for name in written)
    glosses = sorted({g for _, g in clips})
    summary = {
        "signers": sorted(rest),
        "glosses": len(glosses),
        "gloss_list": glosses,
        "not_in_gloss_stage": sorted(set(glosses) - set(inventory)),
        "gloss_stage_glosses_without_clip": missing,
        "clips": len(clips),
        **dict(sources),
        "unusable": unusable,
        "bytes": size,
    }
    return summary


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True, type=Path, help="a dataset from training.prepare")
    ap.add_argument("--out", default=Path("checkpoints/lexicon"), type=Path)
    ap.add_argument(
        "--splits",
        default=",".join(ALL_SPLITS),
        help="comma-separated splits to take clips from (default: all)",
    )
    args = ap.parse_args(argv)
    try:
        summary = build(args.data, args.out, tuple(args.splits.split(",")))
    except (ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    print(
        f"lexicon: {len(summary['signers'])} signers {summary['signers']}, "
        f"{summary['glosses']} glosses, {summary['clips']} clips, {summary['bytes'] / 1e6:.1f} MB"
        f" -> {args.out}"
    )
    print("glosses:", " ".join(summary["gloss_list"]))
    for line in summary["unusable"]:
        print("unusable:", line)
    if summary["not_in_gloss_stage"]:
        print("new to the gloss stage:", " ".join(summary["not_in_gloss_stage"]))
    lacking = summary["gloss_stage_glosses_without_clip"]
    print(f"gloss-stage glosses with no clip ({len(lacking)}):", " ".join(lacking) or "none")


if __name__ == "__main__":
    main()
