"""The sign lexicon shared by the gloss stage (which glosses exist) and the corpus (how they look).

``glosses.json`` lists every gloss with its category; numbers carry their ``value``; the Korean
finger alphabet letters are compatibility jamo (``ㄱ``, ``ㅘ``). The sign *forms* are
placeholders invented for the synthetic demo corpus, not validated Korean Sign Language.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

INVENTORY_DIR = Path(__file__).resolve().parent
GLOSSES_PATH = INVENTORY_DIR / "glosses.json"

FINGER_CATEGORIES = ("finger_consonant", "finger_vowel")


@dataclass(frozen=True)
class GlossEntry:
    gloss: str
    category: str
    value: int | None = None

    @property
    def is_finger_letter(self) -> bool:
        return self.category in FINGER_CATEGORIES


@lru_cache(maxsize=4)
def load_inventory(path: str | Path = GLOSSES_PATH) -> dict[str, GlossEntry]:
    """All glosses of the lexicon by name, in file order."""
    doc = json.loads(Path(path).read_text(encoding="utf-8"))
    out: dict[str, GlossEntry] = {}
    for item in doc["glosses"]:
        name = item["gloss"]
        if name in out:
            raise ValueError(f"{path}: gloss {name!r} is listed twice")
        out[name] = GlossEntry(name, item["category"], item.get("value"))
    return out


def finger_alphabet() -> list[str]:
    """The finger-alphabet letters (19 consonants, then 21 vowels)."""
    return [g for g, e in load_inventory().items() if e.is_finger_letter]
