"""Build the gloss memory (:mod:`sign_pipeline.gloss.memory`) from a prepared dataset.

``python -m training.build_gloss_memory --data data/prepared --out checkpoints/gloss_memory.json``

Every sentence of the training split is glossed by the rules (with the built-in inventory
and with the training glosses as the vocabulary, as a backend trained on them asks) and
compared with the glosses its clips are annotated with; the memory keeps how the data glosses
the sentences and patterns the rules gloss otherwise. Prints, per split, how many sentences
the rules alone and the rules with the memory gloss exactly as the data does: the dev and
test figures are the ones that say whether the patterns carry over to unseen sentences.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sign_pipeline.gloss import GlossError, text_to_gloss
from sign_pipeline.gloss.memory import FORMAT, GlossMemory, learn
from training.dataset import load_manifest

SPLITS = ("train", "dev", "test")


def sentence_glosses(data: Path, split: str | None) -> dict[str, tuple[str, ...]]:
    """Sentence -> the glosses its clips are annotated with (the first clip's), for the
    clips of ``split`` (None: all) that have a sentence."""
    out: dict[str, tuple[str, ...]] = {}
    for r in load_manifest(data, split):
        if r.get("sentence") and r.get("glosses"):
            out.setdefault(r["sentence"], tuple(g["gloss"] for g in r["glosses"]))
    return out


def rule_glosses(sentence: str, vocabulary=None, memory: GlossMemory | None = None):
    """The gloss stage's glosses for a sentence (empty when it cannot gloss it)."""
    try:
        return tuple(text_to_gloss(sentence, vocabulary=vocabulary, memory=memory).glosses)
    except GlossError:
        return ()


def build(data: Path, splits: tuple[str, ...] = ("train",)) -> GlossMemory:
    """The memory learned from the sentences of ``splits``."""
    pairs = []
    for split in splits:
        train = sentence_glosses(data, split)
        vocabulary = frozenset(g for glosses in train.values() for g in glosses)
        for sentence, glosses in train.items():
            for v in (None, vocabulary):
                pairs.append((rule_glosses(sentence, v), glosses))
    if not pairs:
        raise ValueError(f"{data}: no clips with a sentence in split(s) {', '.join(splits)}")
    return learn(pairs, source=f"{data.name} ({'+'.join(splits)}: "
                               f"{len(pairs) // 2} sentences)")  # fmt: skip


def agreement(data: Path, memory: GlossMemory) -> dict[str, dict[str, int]]:
    """Per split: sentences, and how many the rules alone / with the memory gloss exactly as
    the data."""
    out = {}
    for split in SPLITS:
        pairs = sentence_glosses(data, split)
        if not pairs:
            continue
        rules = sum(rule_glosses(s) == g for s, g in pairs.items())
        both = sum(rule_glosses(s, memory=memory) == g for s, g in pairs.items())
        out[split] = {"sentences": len(pairs), "rules": rules, "with_memory": both}
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True, type=Path, help="a dataset from training.prepare")
    ap.add_argument("--out", default=Path("checkpoints/gloss_memory.json"), type=Path)
    ap.add_argument("--splits", default="train",
                    help="comma-separated splits to learn from (default: train)")  # fmt: skip
    args = ap.parse_args(argv)
    try:
        if args.out.exists():
            try:
                old = json.loads(args.out.read_text(encoding="utf-8")).get("format")
            except (OSError, ValueError, AttributeError):
                old = None
            if old != FORMAT:
                raise ValueError(f"--out {args.out} exists and is not a gloss memory; "
                                 "not overwriting it")  # fmt: skip
        if not (args.data / "manifest.jsonl").is_file():
            raise ValueError(f"--data {args.data}: no manifest.jsonl (run training.prepare)")
        memory = build(args.data, tuple(s for s in args.splits.split(",") if s))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    args.out.parent.mkdir(parents=True, exist_ok=True)
    memory.save(args.out)
    print(f"gloss memory: {len(memory.exact)} sentences, {len(memory.open)} open patterns "
          f"-> {args.out}")  # fmt: skip
    print("split  sentences  rules exact  with memory")
    for split, row in agreement(args.data, memory).items():
        n = row["sentences"]
        print(
            f"{split:5}  {n:9}  {row['rules']:5} {100 * row['rules'] / n:4.0f}%"
            f"  {row['with_memory']:5} {100 * row['with_memory'] / n:4.0f}%"
        )


if __name__ == "__main__":
    main()
