"""Look at what the text-to-pose backends produce for a test sentence of the corpus.

    python -m training.plot_text2pose --data data/prepared --out docs/images/text2pose.png \
        [--clip CLIP_ID] [--backends lexicon progressive tacotron] [--frames 8]

One PNG: per row the reference recording and each backend (signing the gloss stage's
glosses for the clip's sentence, the clip's signer, its own length): a strip of skeleton
frames at equal shares of the signing, the dominant (right) wrist's height over time, and
the attention (glosses x frames) where the backend returns one. Regression to the mean
shows here as a flat wrist curve and look-alike frames, a failed attention as a broken
diagonal.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from sign_pipeline import registry, render
from sign_pipeline import skeleton as sk
from sign_pipeline.metrics import dtw
from training.dataset import clip_gloss_input, load_clip, load_manifest


def pick_clip(data: Path, clip_id: str | None) -> dict:
    """The named clip, or the test split's first sentence clip of 4 or more glosses."""
    records = load_manifest(data, "test")
    if clip_id:
        for r in records + load_manifest(data):
            if r["clip_id"] == clip_id:
                return r
        raise SystemExit(f"{data}: no clip {clip_id!r}")
    for r in records:
        if r.get("kind") != "WORD" and len(r.get("glosses", [])) >= 4:
            return r
    raise SystemExit(f"{data}: no test sentence with 4 or more glosses")


def plot(data: str | Path, out: str | Path, clip_id: str | None = None,
         backends: list[str] | None = None, frames: int = 8) -> Path:  # fmt: skip
    """Draw the figure; returns its path."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager
    from matplotlib import pyplot as plt

    data, out = Path(data), Path(out)
    record = pick_clip(data, clip_id)
    clip = load_clip(data, record["clip_id"])
    signer = int(record["signer_index"]) + 1
    if record.get("sentence"):  # what the app asks for: the rules, then the gloss memory
        from sign_pipeline.gloss import load_memory, text_to_gloss
        from sign_pipeline.text2pose.base import GlossInput

        memory = load_memory(registry.CHECKPOINTS)
        inputs = GlossInput.from_gloss_result(text_to_gloss(record["sentence"], memory=memory))
    else:
        inputs = clip_gloss_input(record, "stage")
    names = backends or [n for n in registry.names("text2pose")
                         if registry.info("text2pose", n).installed]  # fmt: skip
    rows = [("reference", clip["keypoints"], clip["mask"], None, None)]
    for name in names:
        backend = registry.load("text2pose", name)
        result = backend.sign(inputs, signer=signer)
        d = dtw(result.keypoints, clip["keypoints"], result.mask, clip["mask"])
        rows.append((f"{name} (DTW {d:.2f})", result.keypoints, result.mask,
                     result.extras.get("attention"), [t.gloss for t in result.timings]))  # fmt: skip
    font = font_manager.FontProperties(fname=str(render.korean_font_path()))
    fig, axes = plt.subplots(len(rows), 3, figsize=(18, 2.3 * len(rows)), dpi=80,
                             gridspec_kw={"width_ratios": [frames, 2.5, 2.5]})  # fmt: skip
    axes = np.atleast_2d(axes)
    for ax_row, (label, kp, mask, attention, glosses) in zip(axes, rows, strict=True):
        idx = np.linspace(0, len(kp) - 1, frames).round().astype(int)
        strip = render.draw_skeleton(kp[idx], mask[idx], size=160, signer=signer)
        ax_row[0].imshow(np.concatenate(list(strip), axis=1))
        ax_row[0].set_title(f"{label}: {len(kp)} frames", fontsize=10, loc="left")
        ax_row[0].axis("off")
        t = np.arange(len(kp)) / 30.0
        wrist = np.where(mask[:, sk.R_WRIST], kp[:, sk.R_WRIST, 1], np.nan)
        ref_t = np.arange(len(clip["keypoints"])) / 30.0
        ax_row[1].plot(ref_t, clip["keypoints"][:, sk.R_WRIST, 1], color="0.7", label="reference")
        ax_row[1].plot(t, wrist, color="C3")
        ax_row[1].invert_yaxis()
        ax_row[1].set_title("right wrist height (SW) over s", fontsize=9)
        if attention is not None:
            ax_row[2].imshow(np.asarray(attention).T, aspect="auto", cmap="viridis",
                             interpolation="nearest")  # fmt: skip
            ax_row[2].set_yticks(range(len(glosses)))
            ax_row[2].set_yticklabels(glosses, fontproperties=font, fontsize=8)
            ax_row[2].set_title("attention (glosses x frames)", fontsize=9)
        else:
            ax_row[2].axis("off")
    fig.suptitle(f"{record['clip_id']}: {record.get('sentence', '')}  ->  "
                 f"{' '.join(inputs.glosses)}  (signer {signer})",
                 fontproperties=font, fontsize=12)  # fmt: skip
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    plt.close(fig)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m training.plot_text2pose",
                                 description=__doc__.split("\n")[0])  # fmt: skip
    ap.add_argument("--data", required=True, help="a folder written by training.prepare")
    ap.add_argument("--out", required=True, help="the PNG to write")
    ap.add_argument("--clip", default=None, help="a clip id (default: a test sentence)")
    ap.add_argument("--backends", nargs="*", default=None, help="default: every installed one")
    ap.add_argument("--frames", type=int, default=8, help="skeleton frames per row")
    args = ap.parse_args(argv)
    if Path(args.out).suffix.lower() != ".png" or Path(args.out).is_dir():
        ap.error(f"--out {args.out}: name the PNG file to write (*.png)")
    print(plot(args.data, args.out, args.clip, args.backends, args.frames))
    return 0


if __name__ == "__main__":
    sys.exit(main())
