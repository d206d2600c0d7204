"""The gloss stage's output object and its one error type."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

#: where a gloss came from
SOURCES = ("lexicon", "synonym", "number", "fingerspelling")


class GlossError(ValueError):
    """Text that cannot be turned into glosses; ``str(err)`` is a message the UI can show.

    Raised for: text that is not a string, empty or whitespace-only text, text over
    ``MAX_CHARS`` characters, and text with nothing signable in it (only punctuation, emoji,
    symbols, Latin letters). ``result`` holds the partial analysis where there was one (its
    ``skipped`` list says what was left out and why), else None.
    """

    def __init__(self, message: str, result: GlossResult | None = None) -> None:
        super().__init__(message)
        self.result = result


@dataclass(frozen=True)
class GlossItem:
    """One gloss of the output sequence.

    ``surface`` is the piece of text it came from (for a fingerspelled letter: its syllable),
    ``word`` the whole word of its ``group`` (glosses of one number or one fingerspelled word
    share a group, so the UI can show the word), ``start``/``end`` character offsets of
    ``surface`` in ``GlossResult.normalized_text``, ``sentence`` the sentence index.
    """

    gloss: str
    surface: str
    source: str
    group: int
    word: str
    start: int
    end: int
    sentence: int = 0


@dataclass(frozen=True)
class Skipped:
    """A piece of text that was not signed, and why."""

    text: str
    reason: str
    start: int = -1
    end: int = -1


@dataclass(frozen=True)
class SentenceMarks:
    """Non-manual marks of one sentence: the glosses ``[first, last)`` it covers."""

    first: int
    last: int
    question: bool = False
    question_type: str | None = None  # "wh" | "yes_no" | None
    negation: bool = False
    tense: str | None = None  # "past" | "future" | None


@dataclass
class GlossResult:
    """Glosses for one input text, with provenance, sentence marks, skips and coverage."""

    text: str
    normalized_text: str
    items: list[GlossItem] = field(default_factory=list)
    sentences: list[SentenceMarks] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def glosses(self) -> list[str]:
        """The plain gloss names, in signing order: what the text-to-pose models take."""
        return [it.gloss for it in self.items]

    @property
    def question(self) -> bool:
        """True if any sentence is a question (the face marks it)."""
        return any(s.question for s in self.sentences)

    @property
    def question_type(self) -> str | None:
        """``"wh"`` or ``"yes_no"`` for the last question sentence, else None."""
        types = [s.question_type for s in self.sentences if s.question]
        return types[-1] if types else None

    @property
    def negation(self) -> bool:
        """True if any sentence is negated (안/못/-지 않다/없다/아니다 ...)."""
        return any(s.negation for s in self.sentences)

    @property
    def message(self) -> str:
        """User-facing notes (fingerspelled words, what was skipped, cleaned input); may be ''."""
        return " ".join(self.notes)

    @property
    def coverage(self) -> dict[str, int]:
        """Words per source (a fingerspelled word or a composed number counts once) + skipped;
        "taught" (:mod:`sign_pipeline.signs`) appears when a taught sign is used."""
        out = dict.fromkeys(SOURCES, 0)
        seen: set[int] = set()
        for it in self.items:
            if it.group not in seen:
                seen.add(it.group)
                out[it.source] = out.get(it.source, 0) + 1  # "taught": only when there is one
        out["skipped"] = len(self.skipped)
        return out

    @property
    def gloss_counts(self) -> dict[str, int]:
        """Glosses per source (every fingerspelled letter counts)."""
        out = dict.fromkeys(SOURCES, 0)
        for it in self.items:
            out[it.source] = out.get(it.source, 0) + 1
        return out

    @property
    def gloss_text(self) -> str:
        """Glosses joined by spaces, a question sentence's last gloss followed by ``?``."""
        parts = list(self.glosses)
        for s in self.sentences:
            if s.question and s.last > s.first:
                parts[s.last - 1] += "?"
        return " ".join(parts)

    def fingerspelled_words(self) -> list[str]:
        """The words that were fingerspelled, in order."""
        out: list[str] = []
        seen: set[int] = set()
        for it in self.items:
            if it.source == "fingerspelling" and it.group not in seen:
                seen.add(it.group)
                out.append(it.word)
        return out

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict of everything above."""
        return {
            "text": self.text,
            "normalized_text": self.normalized_text,
            "glosses": self.glosses,
            "gloss_text": self.gloss_text,
            "items": [asdict(it) for it in self.items],
            "question": self.question,
            "question_type": self.question_type,
            "negation": self.negation,
            "sentences": [asdict(s) for s in self.sentences],
            "skipped": [asdict(s) for s in self.skipped],
            "coverage": self.coverage,
            "gloss_counts": self.gloss_counts,
            "message": self.message,
            "notes": list(self.notes),
        }

    def to_json(self, **kwargs: Any) -> str:
        """``to_dict`` as JSON text (UTF-8 Korean kept as is)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, **kwargs)
