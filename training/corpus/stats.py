"""Realism figures of a corpus in the AI Hub layout, beside targets measured on real data.

``python -m training.corpus.stats DIR`` reads every clip under DIR (any AI Hub-layout
root, the synthetic corpus or a real download), trims each to its first gloss start /
last gloss end, normalises by the clip's shoulder width and prints:

| figure | target (real AI Hub sentences, 30 fps) |
|---|---|
| frames per gloss in multi-gloss sentences (median) | about 24, range 16-30 |
| frames of one-gloss clips after trimming (median) | 30-45 |
| dominant wrist speed, mean (shoulder widths / frame) | 0.02-0.09 |
| dominant wrist speed, 95th percentile | 0.06-0.23 |
| non-dominant / dominant wrist speed (median over sentences) | about 0.5 |
| sentences where the non-dominant wrist moves less | most |
| hand size: wrist to middle fingertip (shoulder widths, median) | 0.2-0.55 |

The dominant hand of each signer is the one that moves more over all its clips.
Wrist speed uses the body wrist (the hand's wrist point where the body one is missing),
only between consecutive frames where it was detected.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sign_pipeline import skeleton as sk
from sign_pipeline.formats.aihub import find_clips, read_aihub_clip


@dataclass
class Row:
    figure: str
    value: float
    low: float
    high: float
    target: str

    @property
    def ok(self) -> bool:
        return bool(self.low <= self.value <= self.high)


@dataclass
class _Clip:
    signer: str
    kind: str
    n_glosses: int
    span_lengths: list[int]
    trimmed: int
    speed_r: np.ndarray
    speed_l: np.ndarray
    hand_sizes: np.ndarray


def _wrist(kp: np.ndarray, mask: np.ndarray, body: int, hand: int) -> tuple[np.ndarray, np.ndarray]:
    p = np.where(mask[:, body, None], kp[:, body], kp[:, hand])
    ok = mask[:, body] | mask[:, hand]
    return p, ok


def _speeds(p: np.ndarray, ok: np.ndarray) -> np.ndarray:
    if len(p) < 2:
        return np.zeros(0)
    both = ok[1:] & ok[:-1]
    return np.linalg.norm(np.diff(p, axis=0), axis=-1)[both]


def _load(root: str | Path, limit: int | None = None) -> list[_Clip]:
    clips = find_clips(root)
    if limit is not None:
        clips = clips[:limit]
    out = []
    for clip in clips:
        seq, spans = read_aihub_clip(clip)
        if not spans or len(seq) == 0:
            continue
        start = max(0, min(s.start for s in spans))
        end = min(len(seq), max(s.end for s in spans))
        kp, mask = seq.keypoints[start:end], seq.mask[start:end]
        if len(kp) < 2:
            continue
        try:
            norm = sk.estimate_normalization(kp, mask)
        except ValueError:
            continue
        kp = norm.apply(kp)
        pr, okr = _wrist(kp, mask, sk.R_WRIST, sk.R_HAND_WRIST)
        pl, okl = _wrist(kp, mask, sk.L_WRIST, sk.L_HAND_WRIST)
        sizes = []
        for w, tip in (
            (sk.L_HAND_WRIST, sk.L_HAND_MIDDLE_TIP),
            (sk.R_HAND_WRIST, sk.R_HAND_MIDDLE_TIP),
        ):
            good = mask[:, w] & mask[:, tip]
            sizes.append(np.linalg.norm(kp[good, w] - kp[good, tip], axis=-1))
        name = seq.meta.get("clip", clip.name)
        kind = "SEN" if "_SEN" in name else "WORD"
        out.append(
            _Clip(
                signer=str(seq.meta.get("signer")),
                kind=kind,
                n_glosses=len(spans),
                span_lengths=[s.end - s.start for s in spans],
                trimmed=len(kp),
                speed_r=_speeds(pr, okr),
                speed_l=_speeds(pl, okl),
                hand_sizes=np.concatenate(sizes),
            )
        )
    return out


def compute_stats(root: str | Path, limit: int | None = None) -> list[Row]:
    """The realism rows for the corpus under ``root``."""
    clips = _load(root, limit)
    if not clips:
        raise ValueError(f"{root}: no readable clips with gloss spans")
    # dominant hand per signer: the one with more total motion
    dominant: dict[str, str] = {}
    for signer in {c.signer for c in clips}:
        mine = [c for c in clips if c.signer == signer]
        r = sum(float(c.speed_r.sum()) for c in mine)
        left = sum(float(c.speed_l.sum()) for c in mine)
        dominant[signer] = "right" if r >= left else "left"
    multi = [c for c in clips if c.n_glosses >= 2]
    single = [c for c in clips if c.n_glosses == 1]
    sentences = [c for c in clips if c.kind == "SEN"] or clips
    per_gloss = [n for c in multi for n in c.span_lengths]
    dom_speeds, ratios, less = [], [], []
    for c in sentences:
        d, nd = (c.speed_r, c.speed_l) if dominant[c.signer] == "right" else (c.speed_l, c.speed_r)
        if len(d) == 0:
            continue
        dom_speeds.append(d)
        if len(nd) and d.mean() > 0:
            ratios.append(nd.mean() / d.mean())
            less.append(nd.mean() < d.mean())
    dom_all = np.concatenate(dom_speeds) if dom_speeds else np.zeros(1)
    hands = np.concatenate([c.hand_sizes for c in clips])
    nan = float("nan")
    rows = [
        Row(
            "frames per gloss, multi-gloss sentences (median)",
            float(np.median(per_gloss)) if per_gloss else nan,
            16,
            30,
            "about 24 (16-30)",
        ),
        Row(
            "frames of one-gloss clips after trimming (median)",
            float(np.median([c.trimmed for c in single])) if single else nan,
            30,
            45,
            "30-45",
        ),
        Row(
            "dominant wrist speed, mean (SW/frame)", float(dom_all.mean()), 0.02, 0.09, "0.02-0.09"
        ),
        Row(
            "dominant wrist speed, 95th percentile (SW/frame)",
            float(np.percentile(dom_all, 95)),
            0.06,
            0.23,
            "0.06-0.23",
        ),
        Row(
            "non-dominant / dominant wrist speed (median)",
            float(np.median(ratios)) if ratios else nan,
            0.3,
            0.75,
            "about 0.5",
        ),
        Row(
            "sentences where the non-dominant wrist moves less",
            float(np.mean(less)) if less else nan,
            0.7,
            1.0,
            "most (>= 0.7)",
        ),
        Row(
            "hand size, wrist to middle fingertip (SW, median)",
            float(np.median(hands)) if len(hands) else nan,
            0.2,
            0.55,
            "0.2-0.55",
        ),
    ]
    return rows


def format_table(rows: list[Row], n_clips: int | None = None) -> str:
    lines = ["| figure | corpus | target | |", "|---|---|---|---|"]
    for r in rows:
        value = f"{r.value:.3f}" if abs(r.value) < 10 else f"{r.value:.1f}"
        lines.append(f"| {r.figure} | {value} | {r.target} | {'PASS' if r.ok else 'MISS'} |")
    if n_clips is not None:
        lines.append(f"\n{n_clips} clips")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m training.corpus.stats",
        description="Realism figures of an AI Hub-layout corpus beside the real-data targets.",
    )
    ap.add_argument("root", help="corpus root (AI Hub layout)")
    ap.add_argument("--limit", type=int, default=None, help="read only the first N clips")
    args = ap.parse_args(argv)
    rows = compute_stats(args.root, args.limit)
    print(format_table(rows))
    return 0 if all(r.ok for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
