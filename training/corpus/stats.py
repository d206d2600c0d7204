"""Realism figures of a corpus in the AI Hub layout, beside the same figures on real KSL.

``python -m training.corpus.stats DIR`` reads every clip under DIR (any AI Hub-layout
root: the synthetic corpus or a real download), trims each to its first gloss start / last
gloss end and prints each figure beside its value on real KSL and the accepted range,
PASS or FAIL (exit status 1 if any fails):

| figure | real KSL | accepted |
|---|---|---|
| frames per gloss in multi-gloss sentences (median) | 23 (0.77 s) | 16-30 |
| frames of one-gloss clips after trimming (median) | 30-45 | 30-45 |
| dominant wrist speed, mean (shoulder widths / s) | 1.58 | 1.3-1.9 |
| dominant wrist speed, 95th percentile (shoulder widths / s) | 4.76 | 3.8-5.7 |
| non-dominant / dominant wrist speed (median over sentences) | about 0.5 | 0.3-0.75 |
| sentences where the non-dominant wrist moves less | most | >= 0.7 |
| dominant hand, wrist to middle fingertip (shoulder widths, median) | 0.34 | 0.31-0.37 |

The real values were measured on 15 real KSL sentence sequences (30 fps) with code
independent of this project; the speeds are accepted within 20 % of them, the hand within
10 %. The motion figures are :func:`sign_pipeline.metrics.pooled_motion_stats` over the
sentence clips (the body wrist, or the hand's wrist point where it is missing; speeds only
between consecutive detected frames; lengths in the clip's shoulder widths). Each signer's
dominant hand is the one whose wrist travels further over all of that signer's clips.
:func:`check` puts any such figures (e.g. a backend's output) against the same targets.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sign_pipeline import metrics
from sign_pipeline import skeleton as sk
from sign_pipeline.formats.aihub import find_clips, read_aihub_clip


@dataclass(frozen=True)
class Target:
    """One realism figure: its accepted range and its value on real KSL (as printed)."""

    key: str
    figure: str
    low: float
    high: float
    real: str


#: The realism targets, in the order of the table.
TARGETS: tuple[Target, ...] = (
    Target(
        "frames_per_gloss", "frames per gloss, multi-gloss sentences (median)", 16, 30,
        "23 (0.77 s)",
    ),
    Target("one_gloss_frames", "frames of one-gloss clips after trimming (median)", 30, 45, "30-45"),
    Target("wrist_speed_mean", "dominant wrist speed, mean (SW/s)", 1.3, 1.9, "1.58"),
    Target("wrist_speed_p95", "dominant wrist speed, 95th percentile (SW/s)", 3.8, 5.7, "4.76"),
    Target(
        "nondominant_ratio", "non-dominant / dominant wrist speed (median)", 0.3, 0.75,
        "about 0.5",
    ),
    Target(
        "nondominant_less", "sentences where the non-dominant wrist moves less", 0.7, 1.0,
        "most (>= 0.7)",
    ),
    Target("hand_size", "dominant hand, wrist to middle fingertip (SW, median)", 0.31, 0.37, "0.34"),
)  # fmt: skip


@dataclass
class Row:
    """A measured figure beside its target."""

    target: Target
    value: float

    @property
    def figure(self) -> str:
        return self.target.figure

    @property
    def ok(self) -> bool:
        return bool(self.target.low <= self.value <= self.target.high)


def check(figures: dict[str, float]) -> list[Row]:
    """Rows for the figures given (keys of :data:`TARGETS`; a missing one is NaN: FAIL)."""
    return [Row(t, float(figures.get(t.key, float("nan")))) for t in TARGETS]


@dataclass
class _Clip:
    signer: str
    kind: str
    spans: list[int]  # frames of each gloss
    keypoints: np.ndarray  # trimmed to the glosses, pixels
    mask: np.ndarray
    fps: float


def _side_swap() -> np.ndarray:
    """Point order with the right and left arm and hand exchanged (face and hips kept)."""
    order = np.arange(sk.NUM_POINTS)
    right = [sk.R_SHOULDER, sk.R_ELBOW, sk.R_WRIST, *range(sk.RIGHT_HAND.start, sk.RIGHT_HAND.stop)]
    left = [sk.L_SHOULDER, sk.L_ELBOW, sk.L_WRIST, *range(sk.LEFT_HAND.start, sk.LEFT_HAND.stop)]
    order[right], order[left] = left, right
    return order


_SWAP = _side_swap()


def _right_dominant(clip: _Clip, dominant: str) -> tuple[np.ndarray, np.ndarray]:
    """The clip's keypoints and mask with the dominant arm and hand in the right slots."""
    if dominant == "right":
        return clip.keypoints, clip.mask
    return clip.keypoints[:, _SWAP], clip.mask[:, _SWAP]


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
        both = mask[:, sk.R_SHOULDER] & mask[:, sk.L_SHOULDER]
        if len(kp) < 2 or not both.any():
            continue  # no shoulder width to measure in
        name = seq.meta.get("clip", clip.name)
        out.append(
            _Clip(
                signer=str(seq.meta.get("signer")),
                kind="SEN" if "_SEN" in name else "WORD",
                spans=[s.end - s.start for s in spans],
                keypoints=kp,
                mask=mask,
                fps=float(seq.fps),
            )
        )
    return out


def corpus_figures(root: str | Path, limit: int | None = None) -> dict[str, float]:
    """The realism figures (keys of :data:`TARGETS`) of the corpus under ``root``."""
    clips = _load(root, limit)
    if not clips:
        raise ValueError(f"{root}: no readable clips with gloss spans")
    dominant = {}
    for signer in sorted({c.signer for c in clips}):
        mine = [c for c in clips if c.signer == signer]
        seqs = [(c.keypoints, c.mask) for c in mine]
        dominant[signer] = metrics.pooled_motion_stats(seqs, mine[0].fps)["dominant"]
    multi = [c for c in clips if len(c.spans) >= 2]
    single = [c for c in clips if len(c.spans) == 1]
    sentences = [c for c in clips if c.kind == "SEN"] or clips
    seqs = [_right_dominant(c, dominant[c.signer]) for c in sentences]
    fps = float(np.median([c.fps for c in sentences]))
    pooled = metrics.pooled_motion_stats(seqs, fps, dominant="right")
    less = []
    for kp, mask in seqs:
        ratio = metrics.motion_stats(kp, mask, fps, dominant="right")["nondominant_ratio"]
        if np.isfinite(ratio):
            less.append(ratio < 1.0)
    nan = float("nan")
    return {
        "frames_per_gloss": float(np.median([n for c in multi for n in c.spans])) if multi else nan,
        "one_gloss_frames": float(np.median([len(c.keypoints) for c in single])) if single else nan,
        "wrist_speed_mean": pooled["wrist_speed_mean"],
        "wrist_speed_p95": pooled["wrist_speed_p95"],
        "nondominant_ratio": pooled["nondominant_ratio"],
        "nondominant_less": float(np.mean(less)) if less else nan,
        "hand_size": pooled["hand_size"],
    }


def compute_stats(root: str | Path, limit: int | None = None) -> list[Row]:
    """The realism rows for the corpus under ``root``."""
    return check(corpus_figures(root, limit))


def format_table(rows: list[Row], n_clips: int | None = None) -> str:
    """A markdown table: figure, measured value, real KSL, accepted range, PASS/FAIL."""
    lines = ["| figure | measured | real KSL | accepted | |", "|---|---|---|---|---|"]
    for r in rows:
        t = r.target
        value = f"{r.value:.3f}" if abs(r.value) < 10 else f"{r.value:.1f}"
        accepted = f"{t.low:g}-{t.high:g}"
        lines.append(
            f"| {t.figure} | {value} | {t.real} | {accepted} | {'PASS' if r.ok else 'FAIL'} |"
        )
    if n_clips is not None:
        lines.append(f"\n{n_clips} clips")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m training.corpus.stats",
        description="Realism figures of an AI Hub-layout corpus beside real KSL's.",
    )
    ap.add_argument("root", help="corpus root (AI Hub layout)")
    ap.add_argument("--limit", type=int, default=None, help="read only the first N clips")
    args = ap.parse_args(argv)
    rows = compute_stats(args.root, args.limit)
    print(format_table(rows))
    return 0 if all(r.ok for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
