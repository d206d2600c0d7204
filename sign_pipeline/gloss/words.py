"""Word lookup: a written word or lemma -> its glosses, or the parts it is made of.

The order a noun is tried in: the lexicon (the word is a gloss) -> ``synonyms`` (환승 ->
바꾸다) -> for a proper noun, a known place + a dropped name part (홍대입구 -> 홍대) -> a
compound of 2-3 known words, longest first (기본요금 -> 기본 요금, 비상벨 -> 비상 벨) -> the
station rule (서울역 -> 서울 기차, 명동역 -> 명동 지하철) and name suffixes (부산행 -> 부산
방향) -> for a proper noun, known parts + the rest fingerspelled. With a ``Vocabulary`` a
word is known only when the backend can sign it, and the data's own words are known too.
"""

from __future__ import annotations

from sign_pipeline.gloss.fingerspelling import is_syllable
from sign_pipeline.gloss.tables import Tables
from sign_pipeline.gloss.vocabulary import NOT_LOADED, Vocabulary
from sign_pipeline.inventory import GlossEntry

#: why a verb, adjective, adverb or determiner with no sign is left out (only nouns are spelled)
NO_SIGN = "no sign for this word"

#: one part of a resolved word: (source, glosses, start, end); source "spell" (glosses None)
#: marks a part to fingerspell
Part = tuple[str, tuple[str, ...] | None, int, int]


class WordLookup:
    """Words -> glosses for one inventory, one set of tables and (optionally) the vocabulary of
    the active text-to-pose backend."""

    def __init__(
        self,
        inventory: dict[str, GlossEntry],
        tables: Tables,
        vocabulary: Vocabulary | None = None,
    ) -> None:
        self.inventory = inventory
        self.tables = tables
        self.vocabulary = vocabulary
        #: lemmas in the longest phrase of the tables
        self.max_phrase = max((len(k) for k in tables.phrases), default=0)

    def lookup(self, word: str) -> tuple[str, tuple[str, ...]] | None:
        """``("lexicon", (word,))`` if ``word`` is a sign, ``("synonym", glosses)`` if the
        tables map it, else None. Numbers and finger letters are not words here."""
        entry = self.inventory.get(word)
        vocabulary = self.vocabulary
        if entry is not None and entry.category != "number" and not entry.is_finger_letter:
            if vocabulary is None or vocabulary.can_sign(word):
                return "lexicon", (word,)
            return None  # a gloss the backend cannot sign is an unknown word
        if vocabulary is not None and word in vocabulary.words:
            return "lexicon", (vocabulary.words[word],)  # the data's own word (쥐)
        hit = self.tables.synonyms.get(word.lower())
        if hit and vocabulary is not None and not all(map(vocabulary.can_sign, hit)):
            return None
        return ("synonym", hit) if hit else None

    def dropped(self, word: str) -> bool:
        """True for a word left out silently (좀, 이거), unless the loaded data signs it."""
        return word in self.tables.drop and not (
            self.vocabulary is not None and word in self.vocabulary.words
        )

    def no_sign_reason(self, lemma: str) -> str:
        """Why a word that is not a noun is left out: ``NO_SIGN``, or ``NOT_LOADED`` where the
        built-in inventory would sign it but the backend's vocabulary lacks the gloss."""
        if self.vocabulary is None:
            return NO_SIGN
        builtin = WordLookup(self.inventory, self.tables)  # rare: only for skipped words
        return NOT_LOADED if builtin.lookup(lemma) or builtin.light_verb(lemma) else NO_SIGN

    def light_verb(self, lemma: str) -> tuple[str, tuple[str, ...]] | None:
        """``<known noun><light verb>`` (도둑맞다 -> 도둑): the noun's lookup, else None."""
        stem = lemma[:-1] if lemma.endswith("다") else lemma
        for verb in self.tables.light_verbs:
            lv = verb[:-1]
            if stem.endswith(lv) and len(stem) - len(lv) >= 2:
                hit = self.lookup(stem[: -len(lv)])
                if hit:
                    return hit
        return None

    def is_place(self, gloss: str) -> bool:
        """True for a place name of the inventory (서울, 명동), or for a gloss only the loaded
        vocabulary has (data or a taught sign): before 역 that is a station's name
        (광화문역 -> 광화문 지하철)."""
        entry = self.inventory.get(gloss)
        if entry is not None:
            return entry.category == "place"
        return self.vocabulary is not None and gloss in self.vocabulary.glosses

    def resolve_word(
        self, word: str, start: int, proper: bool, station: bool = True
    ) -> list[Part] | None:
        """Parts ``(source, glosses, start, end)`` for one written word, or None if unknown.

        ``source == "spell"`` (glosses None) marks a part to fingerspell. Tries the exact word,
        (``proper`` nouns) a known place + a dropped name part (홍대입구 -> 홍대), a compound of
        2-3 known words (기본요금 -> 기본 요금, 비상벨 -> 비상 벨), the station rule, then
        (``proper`` nouns only) known parts with the rest fingerspelled.
        """
        hit = self.lookup(word)
        if hit:
            return [(hit[0], hit[1], start, start + len(word))]
        if proper:
            head = self.place_head(word, start)
            if head:
                return head
        parts = self.cover(word, start, allow_unknown=False)
        if parts:
            return parts
        suf = self.tables.station_suffix
        if station and word.endswith(suf) and len(word) >= len(suf) + 2:
            place = word[: -len(suf)]
            xparts = self.resolve_word(place, start, proper=True, station=False)
            known = xparts is not None and all(p[0] != "spell" for p in xparts)
            if known and not (place in self.tables.railway or self.is_place(xparts[0][1][0])):
                xparts = None  # 지하철역, 다음역: not a named station
            elif xparts is None and proper:
                xparts = [("spell", None, start, start + len(place))]
            elif not known and not proper:
                xparts = None
            if xparts:
                gloss = (
                    self.tables.railway_gloss
                    if place in self.tables.railway
                    else self.tables.station_gloss
                )
                end = start + len(word)
                return [*xparts, ("synonym", (gloss,), end - len(suf), end)]
        for suffix, glosses in self.tables.suffixes.items():
            if word.endswith(suffix) and len(word) > len(suffix):
                head = word[: -len(suffix)]
                hparts = self.resolve_word(head, start, proper=proper, station=False)
                if hparts is None and proper:
                    hparts = [("spell", None, start, start + len(head))]
                if hparts:
                    end = start + len(word)
                    return [*hparts, ("synonym", glosses, end - len(suffix), end)]
        if proper:
            return self.cover(word, start, allow_unknown=True)
        return None

    def place_head(self, word: str, start: int) -> list[Part] | None:
        """Parts of the known place in ``<place><dropped name part>`` (홍대입구 -> 홍대), else None."""
        for part in self.tables.dropped_name_parts:
            if word.endswith(part) and len(word) > len(part):
                head = word[: -len(part)]
                got = self.resolve_word(head, start, proper=False, station=False)
                if got and all(p[0] != "spell" for p in got) and self.is_place(got[0][1][0]):
                    return got
        return None

    def cover(self, word: str, start: int, allow_unknown: bool) -> list[Part] | None:
        """Best split of ``word`` into known words (fewest unknown syllables, then fewest parts).

        Parts have 2+ syllables; without ``allow_unknown`` (a common noun: every part must be
        known) a part may also be one of the one-syllable glosses of ``compound_parts_1syl``
        (비상벨 -> 비상 벨), with at most 3 parts and at least one part of 2+ syllables. With
        ``allow_unknown`` (a proper noun) the rest becomes spelled parts.
        """
        n = len(word)
        if n < 2 or n > 20 or (allow_unknown and n < 3):
            return None
        one_syl = () if allow_unknown else self.tables.compound_parts_1syl
        best: list[tuple[int, int, list] | None] = [None] * (n + 1)
        best[0] = (0, 0, [])
        for i in range(n):
            if best[i] is None:
                continue
            unknown, count, parts = best[i]
            for j in range(i + 1, n + 1):
                if j == i + 1 and word[i] not in one_syl:
                    continue
                hit = self.lookup(word[i:j])
                if hit:
                    cand = (unknown, count + 1, [*parts, (hit[0], hit[1], start + i, start + j)])
                    if best[j] is None or cand[:2] < best[j][:2]:
                        best[j] = cand
            if allow_unknown and is_syllable(word[i]):
                if parts and parts[-1][0] == "spell":
                    p = parts[-1]
                    cand = (unknown + 1, count, [*parts[:-1], ("spell", None, p[2], start + i + 1)])
                else:
                    cand = (
                        unknown + 1,
                        count + 1,
                        [*parts, ("spell", None, start + i, start + i + 1)],
                    )
                if best[i + 1] is None or cand[:2] < best[i + 1][:2]:
                    best[i + 1] = cand
        final = best[n]
        if final is None or final[1] < 2 or all(p[0] == "spell" for p in final[2]):
            return None
        if not allow_unknown and (
            final[1] > 3 or all(p[3] - p[2] == 1 for p in final[2])
        ):  # 위층, 안전: two one-syllable signs are not a safe guess
            return None
        return final[2]
