"""The gloss stage's whole result for every example sentence is pinned (refactors change nothing).

``tests/data/gloss_golden.json`` holds ``text_to_gloss(s).to_dict()`` for every sentence of
``sign_pipeline.gloss.examples``. When an output change is intended, rewrite it with
``python -m tests.test_gloss_golden`` and review the diff.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sign_pipeline.gloss import text_to_gloss
from sign_pipeline.gloss.examples import ALL_EXAMPLES
from sign_pipeline.inventory import load_inventory

GOLDEN = Path(__file__).parent / "data" / "gloss_golden.json"
GOLD: dict[str, dict] = json.loads(GOLDEN.read_text("utf-8")) if GOLDEN.is_file() else {}


def test_golden_file_covers_every_example():
    assert sorted(GOLD) == sorted(ALL_EXAMPLES)


@pytest.mark.parametrize("sentence", ALL_EXAMPLES)
def test_result_is_as_pinned(sentence: str):
    assert text_to_gloss(sentence).to_dict() == GOLD[sentence]


@pytest.mark.parametrize("sentence", ALL_EXAMPLES)
def test_the_built_in_inventory_as_vocabulary_changes_nothing(sentence: str):
    vocabulary = set(load_inventory())  # what the shipped lexicon checkpoint knows
    assert text_to_gloss(sentence, vocabulary=vocabulary).to_dict() == GOLD[sentence]


def write() -> None:
    """Rewrite the golden file from the current code."""
    gold = {s: text_to_gloss(s).to_dict() for s in ALL_EXAMPLES}
    GOLDEN.write_text(json.dumps(gold, ensure_ascii=False, indent=0) + "\n", "utf-8")
    print(f"wrote {GOLDEN} ({len(gold)} sentences)")


if __name__ == "__main__":
    write()
