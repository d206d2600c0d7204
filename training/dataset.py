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

from sign_pipeline import signers, skeleton


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


SYNTHETIC_NOTE = "Synthetic demo corpus"


def _corpus_note(path: Path, cache: dict[Path, str | None]) -> str | None:
    """The ``note`` of the ``corpus.json`` in ``path`` or its nearest ancestor that has one."""
    for folder in [path, *path.parents]:
        if folder in cache:
            return cache[folder]
        marker = folder / "corpus.json"
        if marker.is_file():
            try:
                note = json.loads(marker.read_text(encoding="utf-8")).get("note", "")
            except (OSError, ValueError):
                note = ""
            cache[folder] = note
            return note
    return None


def corpus_note(path: str | os.PathLike) -> str | None:
    """The note of the ``training.corpus`` folder holding ``path`` (None: not in one)."""
    return _corpus_note(Path(path), {})


def data_origin(records: list[dict]) -> tuple[str, bool]:
    """Where clips came from: ("synthetic demo corpus", True) when every clip lies in a
    folder made by ``training.corpus`` (recorded by ``training.prepare`` as ``corpus_note``,
    so this holds on a machine with the manifest alone; else looked up on disk), else a
    description of the real data and False."""
    cache: dict[Path, str | None] = {}
    notes = [r.get("corpus_note") or _corpus_note(Path(r.get("source_path") or "."), cache)
             for r in records]  # fmt: skip
    if records and all(n and n.startswith(SYNTHETIC_NOTE) for n in notes):
        return "synthetic demo corpus (placeholder signs, not validated KSL)", True
    sources = sorted({r.get("source", "?") for r in records})
    signers = sorted({r.get("signer", "?") for r in records})
    return f"your data: {len(records)} clips ({', '.join(sources)}), signers {', '.join(signers)}", False


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
    clip["signer_onehot"] = signers.onehot(int(clip["signer_index"]) + 1)
    return clip


def denormalized_keypoints(clip: dict[str, np.ndarray]) -> np.ndarray:
    """Undo the per-clip normalisation (back to source pixels); missing points stay 0."""
    norm = skeleton.Normalization(
        (float(clip["center"][0]), float(clip["center"][1])), float(clip["scale"])
    )
    return skeleton.denormalize(clip["keypoints"], norm, clip["mask"])


# ---------------------------------------------------------------------------- torch side
#
# The learned text-to-pose models and the back-translation recogniser read the prepared data
# through :class:`PoseDataset` and batch it with :func:`collate_padded`.

QUESTION_IDS = {None: 0, "wh": 1, "yes_no": 2}


def clip_gloss_input(record: dict, source: str = "stage"):
    """The :class:`GlossInput` a backend would receive for this clip.

    ``source="stage"``: the gloss stage's output for the clip's Korean sentence (what a model
    gets at inference; falls back to the data glosses for clips without a sentence);
    ``"data"``: the clip's own gloss annotation (marks taken from the gloss stage when the
    sentence is known).
    """
    from sign_pipeline.gloss import text_to_gloss
    from sign_pipeline.text2pose.base import GlossInput

    data_glosses = [g["gloss"] for g in record.get("glosses", [])]
    sentence = record.get("sentence")
    if not sentence:
        return GlossInput.from_glosses(data_glosses)
    staged = GlossInput.from_gloss_result(text_to_gloss(sentence))
    if source == "stage" and staged.glosses:
        return staged
    if source not in ("stage", "data"):
        raise ValueError(f"gloss source must be 'stage' or 'data', got {source!r}")
    q = next((s.question for s in staged.sentences if s.question), None)
    neg = any(s.negation for s in staged.sentences)
    return GlossInput.from_glosses(data_glosses, question=q, negation=neg)


class PoseDataset:
    """A torch-style dataset over one split of a prepared folder.

    Item: ``keypoints`` float32 [T,127,2], ``mask`` bool [T,127], ``progress`` float32 [T]
    (the counter 0..1: frame i of T is i / (T-1)), ``gloss_ids`` int64 [N],
    ``question`` int64 [N] (0 none, 1 wh, 2 yes/no over that gloss), ``negation`` bool [N],
    ``signer`` (1-based id), ``signer_onehot`` float32 [16], ``clip_id``, ``glosses``.
    Clips with no glosses (whole videos without labels) are left out.
    """

    def __init__(
        self,
        directory: str | os.PathLike,
        split: str | None,
        vocab=None,
        gloss_source: str = "stage",
        max_frames: int | None = None,
        cache: bool = True,
    ) -> None:
        from sign_pipeline.modeling import GlossVocab

        self.directory = Path(directory)
        self.records = []
        self.inputs = []
        for record in load_manifest(directory, split):
            inp = clip_gloss_input(record, gloss_source)
            if not inp.glosses:
                continue
            if max_frames is not None and record.get("n_frames", 0) > max_frames:
                continue
            self.records.append(record)
            self.inputs.append(inp)
        if vocab is None:
            vocab = GlossVocab(sorted({g for inp in self.inputs for g in inp.glosses}))
        self.vocab = vocab
        self._cache: dict[int, dict] | None = {} if cache else None

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, i: int) -> dict:
        if self._cache is not None and i in self._cache:
            return self._cache[i]
        record, inp = self.records[i], self.inputs[i]
        clip = load_clip(self.directory, record["clip_id"])
        t_len = len(clip["keypoints"])
        marks = inp.marks()
        item = {
            "clip_id": record["clip_id"],
            "glosses": inp.glosses,
            "keypoints": clip["keypoints"],
            "mask": clip["mask"],
            "progress": np.linspace(0.0, 1.0, t_len, dtype=np.float32)
            if t_len > 1
            else np.ones(t_len, np.float32),
            "gloss_ids": np.asarray(self.vocab.encode(inp.glosses), np.int64),
            "question": np.asarray([QUESTION_IDS[m["question"]] for m in marks], np.int64),
            "negation": np.asarray([m["negation"] for m in marks], bool),
            "signer": int(clip["signer_index"]) + 1,
            "signer_onehot": clip["signer_onehot"],
        }
        if self._cache is not None:
            self._cache[i] = item
        return item


def collate_padded(items: list[dict]) -> dict:
    """Batch items of different lengths, zero-padded, with masks saying what is real.

    Out: ``keypoints`` [B,T,127,2], ``mask`` [B,T,127] (False on padding), ``frame_mask``
    [B,T], ``progress`` [B,T], ``lengths`` [B], ``gloss_ids`` [B,N] (0 = ``<pad>``),
    ``gloss_mask`` [B,N], ``gloss_lengths``, ``question`` [B,N], ``negation`` [B,N],
    ``signer`` [B] (1-based), ``signer_onehot`` [B,16], and the ``clip_id`` / ``glosses`` lists.
    """
    import torch

    b = len(items)
    lengths = [len(it["keypoints"]) for it in items]
    n_gl = [len(it["gloss_ids"]) for it in items]
    t_max, n_max = max(lengths), max(n_gl)
    kp = torch.zeros(b, t_max, skeleton.NUM_POINTS, 2)
    mask = torch.zeros(b, t_max, skeleton.NUM_POINTS, dtype=torch.bool)
    frame_mask = torch.zeros(b, t_max, dtype=torch.bool)
    progress = torch.zeros(b, t_max)
    gloss_ids = torch.zeros(b, n_max, dtype=torch.long)
    gloss_mask = torch.zeros(b, n_max, dtype=torch.bool)
    question = torch.zeros(b, n_max, dtype=torch.long)
    negation = torch.zeros(b, n_max, dtype=torch.bool)
    for i, it in enumerate(items):
        t, n = lengths[i], n_gl[i]
        kp[i, :t] = torch.from_numpy(np.asarray(it["keypoints"], np.float32))
        mask[i, :t] = torch.from_numpy(np.asarray(it["mask"], bool))
        frame_mask[i, :t] = True
        progress[i, :t] = torch.from_numpy(np.asarray(it["progress"], np.float32))
        gloss_ids[i, :n] = torch.from_numpy(np.asarray(it["gloss_ids"], np.int64))
        gloss_mask[i, :n] = True
        question[i, :n] = torch.from_numpy(np.asarray(it["question"], np.int64))
        negation[i, :n] = torch.from_numpy(np.asarray(it["negation"], bool))
    return {
        "keypoints": kp,
        "mask": mask,
        "frame_mask": frame_mask,
        "progress": progress,
        "lengths": torch.tensor(lengths),
        "gloss_ids": gloss_ids,
        "gloss_mask": gloss_mask,
        "gloss_lengths": torch.tensor(n_gl),
        "question": question,
        "negation": negation,
        "signer": torch.tensor([it["signer"] for it in items]),
        "signer_onehot": torch.from_numpy(np.stack([it["signer_onehot"] for it in items])),
        "clip_id": [it["clip_id"] for it in items],
        "glosses": [it["glosses"] for it in items],
    }
