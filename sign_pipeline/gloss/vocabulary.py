"""The glosses the active text-to-pose backend can sign, read against the built-in inventory.

The gloss stage knows the built-in inventory (``sign_pipeline/inventory/glosses.json``); a
backend loaded from a user's data knows its own set of glosses (``known_glosses()``). Given
that set, the stage produces only what the backend can sign, and produces what the data adds:

* **Data glosses** (in the vocabulary, not in the inventory) are produced three ways:
  written exactly so in the text (``여기로`` where the text says 여기로, ``1회``); by their
  lemma, the content morphemes of the gloss as Kiwi reads it with particles, endings and
  suffixes left out: a one-lemma gloss becomes a word of the lexicon (``쥐``, ``이거``,
  ``누르다``; a noun also signs its 하다 verb: ``환승`` for 환승하다), a gloss of several
  lemmas is matched on that lemma sequence (``가다내리다`` for 가서 내려요, ``5천``); and as
  stand-ins.
* **Stand-ins.** An inventory gloss the vocabulary lacks is signed by a data gloss of the same
  lemma (no ``여기`` but ``여기로``: 여기서 -> 여기로) or, failing that, by a data gloss that
  ``synonyms.json`` gives the same meaning (no ``바꾸다`` but ``환승``: 갈아타다 -> 환승). A
  loaded gloss is never replaced by a data gloss of the same lemma (with ``여기`` loaded,
  여기서 is ``여기``; only the written 여기로 is ``여기로``).
* **The backup chain** (sign.mt's): a word whose gloss is neither loaded nor stood in for is
  analysed as an unknown word (a noun may split into loaded signs or be fingerspelled, a verb
  is left out); a noun is fingerspelled only when every finger letter it needs is loaded, a
  number whose signs are missing is signed digit by digit when the digits are loaded; the
  rest is reported in ``GlossResult.skipped`` with ``NOT_LOADED`` or ``NOT_SPELLABLE``.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from functools import cached_property

from sign_pipeline.gloss.tables import Tables
from sign_pipeline.gloss.tokens import tokenize
from sign_pipeline.inventory import GlossEntry

#: why a gloss the analysis chose is not signed: the backend's lexicon lacks it
NOT_LOADED = "not in the loaded lexicon"
#: why an unknown word is not fingerspelled: a finger letter it needs is not loaded either
NOT_SPELLABLE = "not in the loaded lexicon, and its finger letters are not all loaded"

_NOT_CONTENT_TAGS = frozenset({"SF", "SP", "SS", "SSO", "SSC", "SE", "SO", "SW", "VCP"})


def is_content(tag: str) -> bool:
    """True for a morpheme that carries a lemma of a gloss: not a particle, ending, suffix,
    punctuation or the copula."""
    return not (tag.startswith(("J", "E", "XS", "Z_")) or tag in _NOT_CONTENT_TAGS)


@dataclass(frozen=True)
class Vocabulary:
    """A backend's gloss set and how the analysis maps onto it (see the module docstring).

    ``words``: a lemma the inventory lacks -> the data gloss signed for it (쥐 -> 쥐).
    ``stand_ins``: an inventory gloss the vocabulary lacks -> (data gloss, source) signed in
    its place (여기 -> (여기로, "lexicon"), 바꾸다 -> (환승, "synonym")).
    ``written``: the Kiwi tokens of a data gloss of several tokens, as written -> the gloss
    (여기 + 로 -> 여기로: the text says exactly that).
    ``phrases``: a lemma sequence -> the data gloss signed for it ((1, 회) -> 1회).
    """

    glosses: frozenset[str]
    words: dict[str, str] = field(default_factory=dict)
    stand_ins: dict[str, tuple[str, str]] = field(default_factory=dict)
    written: dict[tuple[str, ...], str] = field(default_factory=dict)
    phrases: dict[tuple[str, ...], str] = field(default_factory=dict)

    @classmethod
    def build(
        cls, glosses: Collection[str], inventory: dict[str, GlossEntry], tables: Tables
    ) -> Vocabulary:
        """Read the data glosses of ``glosses`` (those the inventory lacks) with Kiwi."""
        if isinstance(glosses, str):
            raise TypeError("vocabulary must be a collection of gloss names, not one string")
        names = frozenset(glosses)
        bad = sorted(repr(g) for g in names if not isinstance(g, str) or not g.strip())
        if bad:
            raise ValueError(f"vocabulary has glosses that are not names: {', '.join(bad[:5])}")
        data = sorted(names - inventory.keys())  # sorted: the same choice every run
        tokens_of = {gloss: tokenize(gloss) for gloss in data}
        lemmas_of = {
            g: tuple(t.lemma for t in ts if is_content(t.tag)) for g, ts in tokens_of.items()
        }
        words: dict[str, str] = {}
        stand_ins: dict[str, tuple[str, str]] = {}
        written: dict[tuple[str, ...], str] = {}
        phrases: dict[tuple[str, ...], str] = {}
        for gloss, lemmas in lemmas_of.items():
            words.setdefault(gloss, gloss)
            if len(tokens_of[gloss]) > 1:
                written.setdefault(tuple(t.form for t in tokens_of[gloss]), gloss)
            if len(lemmas) > 1:
                phrases.setdefault(lemmas, gloss)
            elif len(lemmas) == 1 and lemmas[0] not in names:
                entry = inventory.get(lemmas[0])
                if entry is None:
                    words.setdefault(lemmas[0], gloss)
                elif entry.category != "number" and not entry.is_finger_letter:
                    stand_ins.setdefault(lemmas[0], (gloss, "lexicon"))
        for word, gloss in list(words.items()):  # the noun signs its verb: 환승 -> 환승하다
            if not word.endswith("다") and word + "하다" not in inventory:
                words.setdefault(word + "하다", gloss)
        for gloss, lemmas in lemmas_of.items():  # 환승 stands in for a missing 바꾸다
            meaning = tables.synonyms.get(gloss.lower())
            if meaning is None and len(lemmas) == 1:
                meaning = tables.synonyms.get(lemmas[0].lower())
            if meaning is not None and len(meaning) == 1 and meaning[0] not in names:
                stand_ins.setdefault(meaning[0], (gloss, "synonym"))
        return cls(names, words, stand_ins, written, phrases)

    @cached_property
    def longest_written(self) -> int:
        """Tokens in the longest ``written`` key (0: none)."""
        return max((len(k) for k in self.written), default=0)

    @cached_property
    def longest_phrase(self) -> int:
        """Lemmas in the longest ``phrases`` key (0: none)."""
        return max((len(k) for k in self.phrases), default=0)

    def can_sign(self, gloss: str) -> bool:
        """True when ``gloss`` is loaded or a loaded gloss stands in for it."""
        return gloss in self.glosses or gloss in self.stand_ins

    def can_spell(self, letters: Collection[str]) -> bool:
        """True when every finger letter of ``letters`` is loaded."""
        return all(letter in self.glosses for letter in letters)
