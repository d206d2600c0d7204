"""The lexical tables of the gloss stage, read from ``synonyms.json`` (data, not code)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from sign_pipeline.inventory import GlossEntry

SYNONYMS_PATH = Path(__file__).resolve().parent / "synonyms.json"


def _as_tuple(value: str | list[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


@dataclass(frozen=True)
class Tables:
    """``synonyms.json`` parsed: see the file's ``_note`` for what each table means."""

    synonyms: dict[str, tuple[str, ...]]
    phrases: dict[tuple[str, ...], tuple[str, ...]]
    drop: frozenset[str]
    drop_counters: frozenset[str]
    time_counters: frozenset[str]
    station_suffix: str
    station_gloss: str
    railway_gloss: str
    railway: frozenset[str]
    digit_by_digit: frozenset[str]
    suffixes: dict[str, tuple[str, ...]]
    tense: dict[str, str | None]
    train_words: frozenset[str] = frozenset()
    dropped_name_parts: tuple[str, ...] = ()
    street_counters: frozenset[str] = frozenset()
    compound_parts_1syl: frozenset[str] = frozenset()
    light_verbs: tuple[str, ...] = ()
    pointing: dict[str, str] = field(default_factory=dict)
    pointing_categories: frozenset[str] = frozenset()

    @classmethod
    def from_dict(cls, doc: dict) -> Tables:
        st = doc.get("stations", {})
        return cls(
            synonyms={k: _as_tuple(v) for k, v in doc.get("synonyms", {}).items()},
            phrases={tuple(k.split()): _as_tuple(v) for k, v in doc.get("phrases", {}).items()},
            drop=frozenset(doc.get("drop", [])),
            drop_counters=frozenset(doc.get("drop_counters", [])),
            time_counters=frozenset(doc.get("time_counters", [])),
            station_suffix=st.get("suffix", "역"),
            station_gloss=st.get("gloss", "지하철"),
            railway_gloss=st.get("railway_gloss", "기차"),
            railway=frozenset(st.get("railway", [])),
            digit_by_digit=frozenset(doc.get("digit_by_digit", [])),
            suffixes={k: _as_tuple(v) for k, v in doc.get("suffixes", {}).items()},
            tense=dict(doc.get("tense", {})),
            train_words=frozenset(st.get("train_words", [])),
            dropped_name_parts=tuple(st.get("dropped_name_parts", [])),
            street_counters=frozenset(st.get("street_counters", [])),
            compound_parts_1syl=frozenset(doc.get("compound_parts_1syl", [])),
            light_verbs=tuple(doc.get("light_verbs", [])),
            pointing=dict(doc.get("pointing", {}).get("words", {})),
            pointing_categories=frozenset(doc.get("pointing", {}).get("categories", [])),
        )

    def problems(self, inventory: dict[str, GlossEntry]) -> list[str]:
        """Everything in the tables that does not fit the gloss inventory (empty = consistent)."""
        out = []
        for key, glosses in self.synonyms.items():
            if key in inventory:
                out.append(f"synonym {key!r} is itself a gloss")
            if key != key.lower():
                out.append(f"synonym {key!r}: Latin keys must be lower-case")
            out += [
                f"synonym {key!r} -> unknown gloss {g!r}" for g in glosses if g not in inventory
            ]
        for key, glosses in self.phrases.items():
            out += [f"phrase {key!r} -> unknown gloss {g!r}" for g in glosses if g not in inventory]
        for key, glosses in self.suffixes.items():
            out += [f"suffix {key!r} -> unknown gloss {g!r}" for g in glosses if g not in inventory]
        for name in (self.station_gloss, self.railway_gloss):
            if name not in inventory:
                out.append(f"station gloss {name!r} is not in the inventory")
        for tense, name in self.tense.items():
            if name is not None and name not in inventory:
                out.append(f"tense {tense!r} -> unknown gloss {name!r}")
        out += [f"dropped word {w!r} is a gloss" for w in sorted(self.drop) if w in inventory]
        out += [
            f"compound part {w!r} is not a one-syllable gloss"
            for w in sorted(self.compound_parts_1syl)
            if w not in inventory or len(w) != 1
        ]
        out += [
            f"pointing {w!r} -> unknown gloss {g!r}"
            for w, g in self.pointing.items()
            if g not in inventory
        ]
        categories = {e.category for e in inventory.values()}
        out += [
            f"pointing category {c!r} is not a lexicon category"
            for c in sorted(self.pointing_categories - categories)
        ]
        out += [
            f"light verb {w!r} must be a verb ending in -다"
            for w in self.light_verbs
            if len(w) < 2 or not w.endswith("다")
        ]
        return out


@lru_cache(maxsize=4)
def load_tables(path: str | Path = SYNONYMS_PATH) -> Tables:
    """Read ``synonyms.json`` (cached)."""
    return Tables.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
