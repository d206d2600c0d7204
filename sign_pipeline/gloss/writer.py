"""The glosses of one text as they are written: pieces of the current sentence, groups, phrases.

Every word kind (``nouns``, ``predicates``, ``counters``) writes through one ``GlossWriter``:
``emit`` a word's glosses, ``spell`` an unknown noun, ``skip`` what is not signed. A *group*
is one word (its glosses are shown together: a composed number, a fingerspelled word); a
*phrase* is what moves together when a question word goes to the end (몇 + its counter).
With a vocabulary, ``emit`` and ``spell`` write only what the backend can sign (the backup
chain of ``vocabulary``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sign_pipeline.gloss.fingerspelling import FINGER_LETTERS, fingerspell, is_syllable
from sign_pipeline.gloss.numbers import digit_signs
from sign_pipeline.gloss.result import GlossResult, Skipped
from sign_pipeline.gloss.tokens import Token
from sign_pipeline.gloss.vocabulary import NOT_LOADED, NOT_SPELLABLE
from sign_pipeline.gloss.words import Part, WordLookup

#: question words: their sentence is a wh-question, and they move to its end
WH_GLOSSES = frozenset(
    {"어디", "몇", "몇호", "얼마", "얼마나", "어떻게", "무엇", "왜", "누구", "언제"}
)
#: glosses that negate their sentence (the face marks it)
NEG_GLOSSES = frozenset({"아니다", "못하다", "안되다", "없다", "불가능"})


@dataclass
class Piece:
    """One gloss of a sentence being written (``GlossItem`` once the sentence is done)."""

    gloss: str
    source: str
    start: int
    end: int
    group: int
    word: str
    surface: str
    role: str  # content | pred | wh | neg | marker | obligation
    phrase: int


@dataclass
class SentenceDraft:
    """The pieces of the current sentence and what its endings and punctuation said."""

    pieces: list[Piece] = field(default_factory=list)
    question_mark: bool = False
    question_ending: bool = False
    final_ending: str | None = None
    last_sf: str | None = None
    tense: str | None = None


class GlossWriter:
    """The state of one analysis: the text, the result so far and the current sentence."""

    def __init__(
        self,
        words: WordLookup,
        text: str,
        result: GlossResult,
        spell_silent_ieung: bool,
        max_spell_syllables: int,
    ) -> None:
        self.words = words
        self.tables = words.tables
        self.vocabulary = words.vocabulary
        self.text = text
        self.result = result
        self.spell_silent_ieung = spell_silent_ieung
        self.max_spell_syllables = max_spell_syllables
        self.next_group = 0
        self.next_phrase = 0
        self.sent = SentenceDraft()
        #: 안/못 before a verb: (the negation gloss, the adverb), written after the verb
        self.pending_neg: tuple[str, Token] | None = None
        #: a phrase every emitted piece joins (a question determiner with its noun)
        self.forced_phrase: int | None = None

    def can_sign(self, gloss: str) -> bool:
        """True when the backend can sign ``gloss`` (always, without a vocabulary)."""
        return self.vocabulary is None or self.vocabulary.can_sign(gloss)

    def new_phrase(self) -> int:
        """A new phrase id (what moves together when a question word goes to the end)."""
        self.next_phrase += 1
        return self.next_phrase

    def emit(
        self,
        glosses: tuple[str, ...] | list[str],
        source: str,
        start: int,
        end: int,
        role: str = "content",
        phrase: int | None = None,
        word: str | None = None,
        spell_missing: bool = False,
    ) -> None:
        """One word's glosses, written from ``text[start:end]``. With a vocabulary, a word
        whose glosses are not all signable falls back (``spell_missing``: a noun, spelled)."""
        if self.vocabulary is not None and not all(map(self.vocabulary.can_sign, glosses)):
            self._fall_back(glosses, source, start, end, role, phrase, word, spell_missing)
            return
        group = self.next_group
        self.next_group += 1
        phrase = self.forced_phrase or (self.new_phrase() if phrase is None else phrase)
        surface = self.text[start:end]
        for g in glosses:
            r = role
            if g in WH_GLOSSES and role in ("content", "pred"):
                r = "wh"
            elif g in NEG_GLOSSES and role in ("content", "pred"):
                r = "neg"
            self.sent.pieces.append(
                Piece(g, source, start, end, group, word or surface, surface, r, phrase)
            )

    def _fall_back(
        self,
        glosses: tuple[str, ...] | list[str],
        source: str,
        start: int,
        end: int,
        role: str,
        phrase: int | None,
        word: str | None,
        spell_missing: bool,
    ) -> None:
        """A number digit by digit, a noun fingerspelled, anything else skipped."""
        written = word or self.text[start:end]
        if source == "number":
            digits = digit_signs(written)  # only for digits as written: 3만 is not 3
            only_digits = written.replace(",", "").isdigit()
            if (
                only_digits
                and digits != list(glosses)
                and all(map(self.vocabulary.can_sign, digits))
            ):
                self.emit(digits, source, start, end, role, phrase, word)
            else:
                self.skip(written, NOT_LOADED, start, end)
        elif spell_missing:
            wh = any(g in WH_GLOSSES for g in glosses) and role in ("content", "pred")
            self.spell(written, start, end, "wh" if wh else role, phrase)
        else:
            missing = [g for g in glosses if not self.vocabulary.can_sign(g)]
            self.skip(" ".join(missing), NOT_LOADED, start, end)

    def spell(
        self, word: str, start: int, end: int, role: str = "content", phrase: int | None = None
    ) -> None:
        """Fingerspell ``word`` (written at ``start:end`` when it is a slice of the text)."""
        syllables = sum(1 for c in word if is_syllable(c) or c in FINGER_LETTERS)
        if syllables == 0:
            self.skip(word, "no Korean letters to fingerspell", start, end)
            return
        if syllables > self.max_spell_syllables:
            self.skip(
                word,
                f"unknown word too long to fingerspell ({syllables} syllables, "
                f"at most {self.max_spell_syllables})",
                start,
                end,
            )
            return
        letters = fingerspell(word, self.spell_silent_ieung)
        if self.vocabulary is not None and not self.vocabulary.can_spell(
            [x.letter for x in letters]
        ):
            self.skip(word, NOT_SPELLABLE, start, end)
            return
        exact = self.text[start:end] == word
        rest = "".join(c for c in word if not (is_syllable(c) or c in FINGER_LETTERS))
        if rest.strip():
            self.skip(rest, "characters the finger alphabet does not have", start, end)
        group = self.next_group
        self.next_group += 1
        phrase = self.forced_phrase or (self.new_phrase() if phrase is None else phrase)
        for letter in letters:
            s, e = (start + letter.index, start + letter.index + 1) if exact else (start, end)
            self.sent.pieces.append(
                Piece(
                    letter.letter,
                    "fingerspelling",
                    s,
                    e,
                    group,
                    word,
                    letter.syllable,
                    role,
                    phrase,
                )
            )

    def skip(self, text: str, reason: str, start: int = -1, end: int = -1) -> None:
        """Report ``text`` as not signed, with the reason the user sees."""
        self.result.skipped.append(Skipped(text, reason, start, end))

    def emit_parts(
        self,
        parts: list[Part],
        role: str = "content",
        phrase: int | None = None,
        spell_missing: bool = True,
    ) -> None:
        """The parts of a resolved word (``WordLookup.resolve_word``): glosses or spelled."""
        for source, glosses, s, e in parts:
            if source == "spell":
                self.spell(self.text[s:e], s, e, role, phrase)
            else:
                self.emit(glosses, source, s, e, role, phrase, spell_missing=spell_missing)

    def mark_last_pred(self) -> None:
        """The last emitted word is the predicate (환승 하다, 출발하다): role + pending negation."""
        if self.sent.pieces:
            group = self.sent.pieces[-1].group
            for p in self.sent.pieces:
                if p.group == group and p.role == "content":
                    p.role = "pred"
        self.flush_neg()

    def flush_neg(self) -> None:
        """Write the pending 안/못 after the verb it negates (안 와요 -> 오다 아니다)."""
        if self.pending_neg is not None:
            gloss, tok = self.pending_neg
            self.pending_neg: tuple[str, Token] | None = None
            self.emit(
                (gloss,), "synonym" if gloss != tok.form else "lexicon", tok.start, tok.end, "neg"
            )
