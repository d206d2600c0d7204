"""The one shared Kiwi morphological analyser, and its output as plain ``Token`` records."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

#: Kiwi tags of nouns and noun roots (a noun run is made of these)
NOUN_TAGS = frozenset({"NNG", "NNP", "NNB", "XR"})
#: Kiwi tags of verbs, adjectives, auxiliaries and the copula
PREDICATE_TAGS = frozenset({"VV", "VA", "VX", "VCN", "VCP"})
#: most Kiwi tokens joined to look up one compound (어린이 + 교통 + 카드 -> 어린이교통카드)
MAX_SPAN_TOKENS = 5

_KIWI = None
_KIWI_LOAD_SECONDS: float | None = None
_KIWI_LOCK = threading.Lock()
_ANALYSE_LOCK = threading.Lock()


@dataclass(frozen=True, slots=True)
class Token:
    """One Kiwi morpheme: its text, tag (without Kiwi's ``-I``/``-R`` suffix), character span in
    the analysed text, dictionary form (빠지 -> 빠지다) and sentence number."""

    form: str
    tag: str
    start: int
    end: int
    lemma: str
    sent: int


def get_kiwi():
    """The one shared ``kiwipiepy.Kiwi`` (created on first use, ~1 s; thread-safe)."""
    global _KIWI, _KIWI_LOAD_SECONDS
    if _KIWI is None:
        with _KIWI_LOCK:
            if _KIWI is None:
                from kiwipiepy import Kiwi

                t0 = time.perf_counter()
                kiwi = Kiwi()
                kiwi.tokenize("지하철을 타요.")  # the first analysis finishes loading the model
                _KIWI_LOAD_SECONDS = time.perf_counter() - t0
                _KIWI = kiwi
    return _KIWI


def kiwi_load_seconds() -> float | None:
    """How long creating the shared Kiwi took (None before it was created)."""
    return _KIWI_LOAD_SECONDS


def tokenize(text: str) -> list[Token]:
    """Kiwi's morphemes of ``text`` (one analysis at a time: Kiwi is shared between threads)."""
    kiwi = get_kiwi()
    with _ANALYSE_LOCK:
        raw = kiwi.tokenize(text)
    return [
        Token(t.form, t.tag.split("-")[0], t.start, t.start + t.len, t.lemma, t.sent_position)
        for t in raw
    ]


def has_digit(text: str) -> bool:
    """True when ``text`` has an ASCII digit (2호선 tagged as one noun)."""
    return any(c in "0123456789" for c in text)
