"""Read a dataset written by :mod:`training.prepare` (used by every training script).

records = load_manifest("data/prepared", split="train")
clip = load_clip("data/prepared", records[0]["clip_id"])
clip["keypoints"]  # float32 [T, 127, 2], normalised (neck 0, shoulder width 1)
clip["mask"]       # bool [T, 127], True = detected (or filled over a short gap)
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from sign_pipeline import skeleton


def load_manifest(directory: str | os.PathLike, split: str | None = None) -> list[dict]:
    """Records of ``manifest.jsonl`` (all, or those of one split: train/dev/test)."""
    path = Path(directory) / "manifest.jsonl"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no manifest (run python -m training.prepare first)")
    records = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                record = json.loads(line)
                if split is None or record.get("split") == split:
                    records.append(record)
    return records


def load_summary(directory: str | os.PathLike) -> dict:
    """The ``summary.json`` of a prepared dataset."""
    return json.loads((Path(directory) / "summary.json").read_text(encoding="utf-8"))


def load_clip(directory: str | os.PathLike, clip_id: str) -> dict[str, np.ndarray]:
    """Arrays of one clip: ``keypoints`` float32 [T,127,2], ``mask`` bool [T,127],
    ``center`` [2], ``scale``, ``fps``, ``signer_index``, ``signer_onehot`` [NUM_SIGNERS]."""
    path = Path(directory) / "clips" / f"{clip_id}.npz"
    with np.load(path) as data:
        clip = {key: data[key] for key in data.files}
    clip["keypoints"] = clip["keypoints"].astype(np.float32)
    clip["mask"] = clip["mask"].astype(bool)
    index = int(clip["signer_index"])
    onehot = np.zeros(skeleton.NUM_SIGNERS, np.float32)
    onehot[index] = 1.0
    clip["signer_onehot"] = onehot
    return clip


def denormalized_keypoints(clip: dict[str, np.ndarray]) -> np.ndarray:
    """Undo the per-clip normalisation (back to source pixels); missing points stay 0."""
    norm = skeleton.Normalization(
        (float(clip["center"][0]), float(clip["center"][1])), float(clip["scale"])
    )
    return skeleton.denormalize(clip["keypoints"], norm, clip["mask"])
