"""Korean text -> sign glosses: Kiwi morphology, lexicon + synonyms, numbers, fingerspelling.

How a sentence becomes glosses (see also ``synonyms.json``, ``numbers.py``, ``fingerspelling.py``):

1. The text is cleaned (``normalize.clean_text``) and analysed by one shared Kiwi instance.
2. Content morphemes are kept, particles and endings dropped; verbs and adjectives take their
   dictionary form (빠졌어요 -> 빠지다). Politeness and fillers (요, 좀, 혹시, 저기요) are dropped.
3. Each noun goes, in order, to: the lexicon (the word is a gloss) -> ``synonyms`` (환승 ->
   바꾸다) -> for a proper noun, a known place + a dropped name part (홍대입구 -> 홍대) -> a
   compound of 2-3 known words, longest first (기본요금 -> 기본 요금, 비상벨 -> 비상 벨, 아래층 ->
   아래 층, 교통 카드 -> 교통카드; one-syllable parts only from ``compound_parts_1syl``) -> the
   station rule (서울역 -> 서울 기차, 명동역 -> 명동 지하철, 홍대입구역 -> 홍대 지하철, 이태원역 ->
   ㅇㅣㅌㅐㅇㅝㄴ 지하철; a railway station without a sign of its own, 천안아산역 -> 천안 ㅇㅏㅅㅏㄴ 기차)
   and name suffixes (부산행 -> 부산 방향) -> for a proper noun, known parts + the rest
   fingerspelled -> fingerspelling of the whole word (words over ``MAX_SPELL_SYLLABLES``
   syllables are skipped, not spelled). Numbers are composed from the number signs
   (``numbers.py``), their counters follow (3 호선, 1250 원); a street number's 가 in a place name
   is not signed (종로3가역 -> 종로 3 지하철).

   **Fingerspelling is for nouns only** (names and other unknown nouns). A verb, adjective,
   adverb or determiner that is neither a gloss nor in ``synonyms`` is never spelled: a verb
   ``<known noun><light verb>`` is signed as the noun (도둑맞다 -> 도둑), anything else is left
   out and reported in ``GlossResult.skipped`` with the reason ``NO_SIGN`` ("no sign for this
   word"): 가지고 타다 -> 타다, skipped 가지다.
4. Grammar that changes meaning is kept as glosses after the verb it belongs to:
   negation 안 V -> ``V 아니다``, 못 V / V-지 못하다 -> ``V 못하다``, V-지 않다 -> ``V 아니다``,
   V-지 말다 -> ``V 안되다``, 안 되다 -> ``안되다``; V-ㄹ 수 있다/없다 -> ``V 가능`` / ``V 불가능``;
   purpose V-려면/-려고/-러 -> ``V 목적``; wanting V-고 싶다 -> ``V 싶다``; request V-어 주세요 ->
   ``V 부탁``; obligation V-어야 하다/되다 -> ``V 해야하다`` in statements (left out in questions,
   where it only asks for information: the real corpus glosses "환승 해야하나요?" as 바꾸다).
5. Questions (``?``, -나요/-까요/-ㅂ니까..., or a question word with a plain polite ending) are a
   sentence mark for the face (``SentenceMarks.question``), not a gloss. In a question the
   question word (with its counter: 몇 번, 몇호) moves to the end, as KSL and the real corpus
   do ("지하철 몇호선으로 환승" -> "지하철 바꾸다 몇호", "택시 기본 요금 얼마").
6. Tense is a sentence mark; a tense gloss is signed only where ``synonyms.json`` names one that
   the lexicon has (the demo lexicon has none: time words like 어제 carry it).
7. Other word order is kept. The same sign twice in a row from two words is signed once
   (부산역 KTX -> 부산 기차, not 부산 기차 기차). A purpose clause whose verb is the main verb
   again is one clause (은행에 가려면 어떻게 가야 해요 -> 은행 가다 어떻게, not 은행 가다 목적
   가다 어떻게); progressive -고 있다 signs no 있다 (지연되고 있다 -> 지연); in a question,
   어디에 있어요 is signed like 어디예요 (화장실이 어디에 있어요? -> 화장실 어디).
   A question determiner and its noun are one phrase, the noun first (어느 방향으로 가요? ->
   가다 방향 어디). 이/저 before a thing one can point at is a point (이 버스 -> 여기 버스; the
   tables' ``pointing``), 이번 역 -> 여기. 열차 is 지하철 unless the sentence is about a railway
   (KTX, a railway station or city: 부산 가는 열차 -> 부산 가다 기차).
8. Latin words (unless the tables map them: KTX -> 기차), emoji, symbols, hanja and web
   addresses are reported in ``GlossResult.skipped`` with a reason, never silently dropped.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field

from sign_pipeline.gloss.fingerspelling import FINGER_LETTERS, fingerspell, is_syllable
from sign_pipeline.gloss.normalize import clean_text
from sign_pipeline.gloss.numbers import (
    NATIVE_UNITS,
    compose_number,
    digit_signs,
    needs_digit_by_digit,
    parse_digits,
    parse_number_words,
)
from sign_pipeline.gloss.result import (
    GlossError,
    GlossItem,
    GlossResult,
    SentenceMarks,
    Skipped,
)
from sign_pipeline.gloss.tables import Tables, load_tables
from sign_pipeline.lexicon import GlossEntry, load_inventory

#: longest accepted input, in characters, after trimming surrounding whitespace
MAX_CHARS = 300
#: longest unknown word that is fingerspelled, in syllables (longer ones are skipped)
MAX_SPELL_SYLLABLES = 12
#: why a verb, adjective, adverb or determiner with no sign is left out (only nouns are spelled)
NO_SIGN = "no sign for this word"
#: most Kiwi tokens joined to look up one compound (어린이 + 교통 + 카드 -> 어린이교통카드)
MAX_SPAN_TOKENS = 5

WH_GLOSSES = frozenset(
    {"어디", "몇", "몇호", "얼마", "얼마나", "어떻게", "무엇", "왜", "누구", "언제"}
)
NEG_GLOSSES = frozenset({"아니다", "못하다", "안되다", "없다", "불가능"})
QUESTION_ENDINGS = frozenset(
    {"나요", "ᆫ가요", "은가요", "는가요", "ᆯ까요", "을까요", "까요", "니", "니까", "ᆸ니까",
     "습니까", "냐", "느냐", "으냐", "ᆫ가", "은가", "는가", "ᆯ까", "을까", "나", "는지요",
     "ᆫ지요", "ᆯ래요", "을래요", "ᆯ래", "을래", "ᆸ니까요"}
)  # fmt: skip
AMBIGUOUS_ENDINGS = frozenset(
    {"어요", "아요", "여요", "에요", "예요", "요", "죠", "지요", "어", "아", "야", "이야"}
)
PURPOSE_ENDINGS = frozenset({"려면", "으려면", "려고", "으려고", "러", "으러"})
OBLIGATION_ENDINGS = frozenset({"어야", "아야", "여야", "야"})
PAST_MARKERS = frozenset({"었", "았", "였", "ᆻ", "엇"})
NOUN_TAGS = frozenset({"NNG", "NNP", "NNB", "XR"})
PREDICATE_TAGS = frozenset({"VV", "VA", "VX", "VCN", "VCP"})
DEMONSTRATIVES = frozenset({"이", "그", "저", "요", "고", "이런", "그런", "저런"})
WEB_TAGS = {
    "W_URL": "web address",
    "W_EMAIL": "e-mail address",
    "W_HASHTAG": "hashtag",
    "W_MENTION": "mention",
    "W_EMOJI": "emoji",
}
_TIME = re.compile(r"(\d{1,2}):(\d{2})")
_DECIMAL = re.compile(r"(\d+)[.,](\d+)")

_KIWI = None
_KIWI_LOAD_SECONDS: float | None = None
_KIWI_LOCK = threading.Lock()
_ANALYSE_LOCK = threading.Lock()


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


@dataclass(frozen=True, slots=True)
class _Tok:
    form: str
    tag: str
    start: int
    end: int
    lemma: str
    sent: int


@dataclass
class _Piece:
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
class _Sentence:
    pieces: list[_Piece] = field(default_factory=list)
    question_mark: bool = False
    question_ending: bool = False
    final_ending: str | None = None
    last_sf: str | None = None
    tense: str | None = None


class GlossAnalyzer:
    """Text -> ``GlossResult`` for one gloss inventory and one set of tables (thread-safe)."""

    def __init__(
        self,
        inventory: dict[str, GlossEntry] | None = None,
        tables: Tables | None = None,
        spell_silent_ieung: bool = True,
        max_chars: int = MAX_CHARS,
        max_spell_syllables: int = MAX_SPELL_SYLLABLES,
    ) -> None:
        self.inventory = inventory if inventory is not None else load_inventory()
        self.tables = tables if tables is not None else load_tables()
        self.spell_silent_ieung = spell_silent_ieung
        self.max_chars = max_chars
        self.max_spell_syllables = max_spell_syllables
        self._max_phrase = max((len(k) for k in self.tables.phrases), default=0)

    # ------------------------------------------------------------------ public
    def analyse(self, text: str) -> GlossResult:
        """Glosses for ``text``; raises ``GlossError`` for text that cannot be signed."""
        if not isinstance(text, str):
            raise GlossError(f"The text must be a string, not {type(text).__name__}.")
        stripped = text.strip()
        if not stripped:
            raise GlossError("Please type a sentence: the text is empty.")
        if len(stripped) > self.max_chars:
            raise GlossError(
                f"The text is too long: {len(stripped)} characters (at most {self.max_chars}). "
                "Please split it into shorter sentences."
            )
        clean, notes = clean_text(stripped)
        result = GlossResult(text=text, normalized_text=clean, notes=notes)
        if not clean:
            raise GlossError("Nothing to sign: the text has no visible characters.", result)
        try:
            kiwi = get_kiwi()
            with _ANALYSE_LOCK:
                raw = kiwi.tokenize(clean)
        except Exception as exc:  # noqa: BLE001 - Kiwi failures become one UI message
            raise GlossError(f"The text could not be analysed: {exc}", result) from exc
        toks = [
            _Tok(t.form, t.tag.split("-")[0], t.start, t.start + t.len, t.lemma, t.sent_position)
            for t in raw
        ]
        _Run(self, clean, result).process(toks)
        if not result.items:
            what = _describe_skipped(result.skipped) or "only punctuation"
            raise GlossError(f"Nothing to sign in this text: {what}.", result)
        return result

    # ------------------------------------------------------------ word lookup
    def lookup(self, word: str) -> tuple[str, tuple[str, ...]] | None:
        """``("lexicon", (word,))`` if ``word`` is a sign, ``("synonym", glosses)`` if the
        tables map it, else None. Numbers and finger letters are not words here."""
        entry = self.inventory.get(word)
        if entry is not None and entry.category != "number" and not entry.is_finger_letter:
            return "lexicon", (word,)
        hit = self.tables.synonyms.get(word.lower())
        return ("synonym", hit) if hit else None

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
        entry = self.inventory.get(gloss)
        return entry is not None and entry.category == "place"

    def resolve_word(
        self, word: str, start: int, proper: bool, station: bool = True
    ) -> list[tuple[str, tuple[str, ...] | None, int, int]] | None:
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
        parts = self._cover(word, start, allow_unknown=False)
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
            return self._cover(word, start, allow_unknown=True)
        return None

    def place_head(self, word: str, start: int):
        """Parts of the known place in ``<place><dropped name part>`` (홍대입구 -> 홍대), else None."""
        for part in self.tables.dropped_name_parts:
            if word.endswith(part) and len(word) > len(part):
                head = word[: -len(part)]
                got = self.resolve_word(head, start, proper=False, station=False)
                if got and all(p[0] != "spell" for p in got) and self.is_place(got[0][1][0]):
                    return got
        return None

    def _cover(self, word: str, start: int, allow_unknown: bool):
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


class _Run:
    """The state of one ``analyse`` call."""

    def __init__(self, an: GlossAnalyzer, text: str, result: GlossResult) -> None:
        self.an = an
        self.t = an.tables
        self.text = text
        self.result = result
        self.next_group = 0
        self.next_phrase = 0
        self.sent = _Sentence()
        self.pending_neg: tuple[str, _Tok] | None = None
        self.forced_phrase: int | None = None

    # ------------------------------------------------------------ emitting
    def new_phrase(self) -> int:
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
    ) -> None:
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
                _Piece(g, source, start, end, group, word or surface, surface, r, phrase)
            )

    def spell(
        self, word: str, start: int, end: int, role: str = "content", phrase: int | None = None
    ) -> None:
        """Fingerspell ``word`` (written at ``start:end`` when it is a slice of the text)."""
        syllables = sum(1 for c in word if is_syllable(c) or c in FINGER_LETTERS)
        if syllables == 0:
            self.skip(word, "no Korean letters to fingerspell", start, end)
            return
        if syllables > self.an.max_spell_syllables:
            self.skip(
                word,
                f"unknown word too long to fingerspell ({syllables} syllables, "
                f"at most {self.an.max_spell_syllables})",
                start,
                end,
            )
            return
        exact = self.text[start:end] == word
        rest = "".join(c for c in word if not (is_syllable(c) or c in FINGER_LETTERS))
        if rest.strip():
            self.skip(rest, "characters the finger alphabet does not have", start, end)
        group = self.next_group
        self.next_group += 1
        phrase = self.forced_phrase or (self.new_phrase() if phrase is None else phrase)
        for letter in fingerspell(word, self.an.spell_silent_ieung):
            s, e = (start + letter.index, start + letter.index + 1) if exact else (start, end)
            self.sent.pieces.append(
                _Piece(
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
        self.result.skipped.append(Skipped(text, reason, start, end))

    def emit_parts(self, parts, role: str = "content", phrase: int | None = None) -> None:
        for source, glosses, s, e in parts:
            if source == "spell":
                self.spell(self.text[s:e], s, e, role, phrase)
            else:
                self.emit(glosses, source, s, e, role, phrase)

    def mark_last_pred(self) -> None:
        """The last emitted word is the predicate (환승 하다, 출발하다): role + pending negation."""
        if self.sent.pieces:
            group = self.sent.pieces[-1].group
            for p in self.sent.pieces:
                if p.group == group and p.role == "content":
                    p.role = "pred"
        self.flush_neg()

    def flush_neg(self) -> None:
        if self.pending_neg is not None:
            gloss, tok = self.pending_neg
            self.pending_neg = None
            self.emit(
                (gloss,), "synonym" if gloss != tok.form else "lexicon", tok.start, tok.end, "neg"
            )

    # ------------------------------------------------------------ main loop
    def process(self, toks: list[_Tok]) -> None:
        i = 0
        cur_sent = toks[0].sent if toks else 0
        while i < len(toks):
            if toks[i].sent != cur_sent:
                self.end_sentence()
                cur_sent = toks[i].sent
            i = self.step(toks, i)
        self.end_sentence()
        self.finish()

    def step(self, toks: list[_Tok], i: int) -> int:
        t = toks[i]
        tag = t.tag
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        prev = toks[i - 1] if i > 0 else None

        phrase = self.match_phrase(toks, i)
        if phrase:
            glosses, j = phrase
            self.emit(glosses, "synonym", t.start, toks[j - 1].end)
            if any(g in NEG_GLOSSES for g in glosses):
                self.pending_neg = None
            return j

        if tag == "SF":
            if "?" in t.form:
                self.sent.question_mark = True
            self.sent.last_sf = t.form[-1:]
            return i + 1
        if tag in ("SP", "SE", "SO") or tag.startswith(("SS", "J")):
            return i + 1
        if tag in ("XSN", "XPN", "Z_CODA", "Z_SIOT", "XSM"):
            return i + 1
        if tag == "W_HASHTAG" and len(t.form) > 1:  # #지하철 -> the word itself
            word = t.form[1:]
            got = self.an.resolve_word(word, t.start + 1, proper=True)
            if got:
                self.emit_parts(got)
            else:
                self.spell(word, t.start + 1, t.end)
            return i + 1
        if tag in WEB_TAGS:
            self.skip(t.form, f"{WEB_TAGS[tag]}: not signed", t.start, t.end)
            return i + 1
        if tag == "W_SERIAL":
            return self.serial(t, i)
        if tag in ("MM", "NR") and t.form == "몇":
            phrase_id = self.new_phrase()
            self.emit(("몇",), "lexicon", t.start, t.end, "wh", phrase_id)
            return self.counter(toks, i + 1, phrase_id)
        if tag == "SN" or tag == "NR" or (tag == "MM" and t.form in NATIVE_UNITS):
            return self.number(toks, i)
        if tag == "MM" and t.form in DEMONSTRATIVES:
            point = self.t.pointing.get(t.form)
            if point and nxt is not None and self.pointable(nxt):
                self.emit((point,), "synonym", t.start, t.end)  # 이 버스 -> 여기 버스
            return i + 1
        if tag == "MM" and nxt is not None and nxt.tag in ("NNG", "NNP"):
            hit = self.an.lookup(t.form)
            if hit and all(g in WH_GLOSSES for g in hit[1]):
                return self.wh_phrase(toks, i, hit)
        if tag == "NNB" and t.form == "수" and prev is not None and prev.tag == "ETM":
            if nxt is not None and nxt.lemma in ("있다", "없다"):
                gloss = "가능" if nxt.lemma == "있다" else "불가능"
                self.emit((gloss,), "synonym", t.start, nxt.end, "marker")
                self.flush_neg()
                return i + 2
            return i + 1
        if tag == "NNB" and t.form == "분":
            gloss = "분" if prev is not None and prev.form == "몇" else "사람"
            self.emit((gloss,), "lexicon" if gloss == "분" else "synonym", t.start, t.end)
            return i + 1
        if tag in NOUN_TAGS and _has_digit(t.form):
            return self.mixed_token(toks, i)
        if tag in NOUN_TAGS:
            return self.noun_run(toks, i)
        if tag == "SL":
            return self.latin(toks, i)
        if tag == "SH":
            self.skip(t.form, "Chinese characters (hanja) have no sign", t.start, t.end)
            return i + 1
        if tag == "SW":
            reason = (
                "jamo emoticon: not signed"
                if all(c in FINGER_LETTERS for c in t.form)
                else "symbol with no sign"
            )
            self.skip(t.form, reason, t.start, t.end)
            return i + 1
        if tag == "MAG" and t.form in ("안", "못"):
            self.pending_neg = ("아니다" if t.form == "안" else "못하다", t)
            return i + 1
        if tag in PREDICATE_TAGS or tag in ("XSV", "XSA"):
            return self.predicate(toks, i)
        if tag.startswith("E"):
            return self.ending(toks, i)
        if tag in ("MAG", "MAJ", "MM", "NP", "IC"):
            return self.single_word(toks, i)
        self.skip(t.form, "not recognised", t.start, t.end)
        return i + 1

    def pointable(self, t: _Tok) -> bool:
        """True when ``t`` is a noun whose sign names a thing one can point at (버스, 문)."""
        if t.tag not in ("NNG", "NNP"):
            return False
        got = self.an.resolve_word(t.form, t.start, proper=t.tag == "NNP")
        if not got or got[0][1] is None:
            return False
        entry = self.an.inventory.get(got[0][1][0])
        return entry is not None and entry.category in self.t.pointing_categories

    def wh_phrase(self, toks: list[_Tok], i: int, hit: tuple[str, tuple[str, ...]]) -> int:
        """어느 방향, 무슨 색: the noun, then the question sign, as one phrase (a question moves
        it to the end: 어느 방향으로 가요? -> 가다 방향 어디)."""
        t = toks[i]
        self.forced_phrase = self.new_phrase()
        try:
            j = self.noun_run(toks, i + 1, one_word=True)
            self.emit(hit[1], hit[0], t.start, t.end, "wh")
        finally:
            self.forced_phrase = None
        return j

    def match_phrase(self, toks: list[_Tok], i: int) -> tuple[tuple[str, ...], int] | None:
        if not self.t.phrases:
            return None
        lemmas: list[str] = []
        ends: list[int] = []
        j = i
        while j < len(toks) and len(lemmas) < self.an._max_phrase:
            if toks[j].tag.startswith("J") and lemmas:
                j += 1
                continue
            lemmas.append(toks[j].lemma)
            ends.append(j + 1)
            j += 1
        for n in range(len(lemmas), 1, -1):
            hit = self.t.phrases.get(tuple(lemmas[:n]))
            if hit:
                return hit, ends[n - 1]
        return None

    # ------------------------------------------------------------ word kinds
    def noun_run(self, toks: list[_Tok], i: int, one_word: bool = False) -> int:
        """Neighbouring nouns from ``i`` (only the written word at ``i`` with ``one_word``)."""
        j = i + 1
        while j < len(toks) and toks[j].sent == toks[i].sent:
            nt = toks[j]
            if one_word and nt.start != toks[j - 1].end:
                break
            if nt.tag == "XSN" and nt.start == toks[j - 1].end:  # 정기 + 권 -> 정기권
                j += 1
                continue
            if nt.tag not in NOUN_TAGS or (nt.tag == "NNB" and nt.form in ("수", "분")):
                break
            if _has_digit(nt.form):
                break
            j += 1
        run = toks[i:j]
        after = toks[j] if j < len(toks) else None
        verb_hit = None
        root_skipped = False
        if after is not None and after.tag in ("XSV", "XSA") and run[-1].tag != "XSN":
            verb_hit = self.an.lookup(run[-1].form + "하다")
            if verb_hit:
                run = run[:-1]
            elif run[-1].tag == "XR" and self.an.lookup(run[-1].form) is None:
                last = run.pop()  # 깨끗(하다): an adjective with no sign, not a noun to spell
                self.skip(last.form + after.form + "다", NO_SIGN, last.start, after.end)
                root_skipped = True
        self.resolve_run(run)
        if verb_hit:
            last = toks[j - 1]
            self.emit(verb_hit[1], verb_hit[0], last.start, after.end, "pred")
            self.flush_neg()
            return j + 1
        if after is not None and after.tag in ("XSV", "XSA"):
            if not root_skipped:
                self.mark_last_pred()
            return j + 1
        return j

    def resolve_run(self, run: list[_Tok]) -> None:
        """Longest known spans first (교통 카드 -> 교통카드, 홍대 입구 역 -> 홍대 지하철);
        neighbouring unknown nouns are fingerspelled as one word."""
        parts: list = []
        i = 0
        n = len(run)
        while i < n:
            found = None
            for j in range(min(n, i + MAX_SPAN_TOKENS), i + 1, -1):
                span = run[i:j]
                contiguous = all(a.end == b.start for a, b in zip(span, span[1:], strict=False))
                joined = "".join(t.form for t in span)
                hit = self.an.lookup(joined)
                if hit:
                    found = ([(hit[0], hit[1], span[0].start, span[-1].end)], j)
                    break
                if contiguous:
                    proper = any(t.tag == "NNP" for t in span)
                    last = span[-1]
                    if proper and last.form in self.t.dropped_name_parts:
                        head = self.an.place_head(joined, span[0].start)
                        if head:  # 홍대 + 입구 -> 홍대
                            found = (head, j)
                            break
                    if last.form == self.t.station_suffix or proper:
                        got = self.an.resolve_word(joined, span[0].start, proper=proper)
                        if (
                            got
                            and got[-1][1]
                            and got[-1][1][0]
                            in (
                                self.t.station_gloss,
                                self.t.railway_gloss,
                            )
                        ):
                            found = (got, j)
                            break
            if found is None:
                t = run[i]
                if t.tag == "XSN" or (t.form in self.t.drop and t.tag != "NNP"):
                    i += 1
                    continue
                got = self.an.resolve_word(t.form, t.start, proper=t.tag == "NNP")
                if got is None and t.tag == "XR":  # an adjective root with no sign
                    self.skip(t.form, NO_SIGN, t.start, t.end)
                    i += 1
                    continue
                found = (got or [("spell", None, t.start, t.end)], i + 1)
            new, i = found
            for p in new:
                if parts and p[0] == "spell" and parts[-1][0] == "spell" and parts[-1][3] == p[2]:
                    parts[-1] = ("spell", None, parts[-1][2], p[3])
                else:
                    parts.append(p)
        self.emit_parts(parts)

    def single_word(self, toks: list[_Tok], i: int) -> int:
        t = toks[i]
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        if nxt is not None and nxt.tag in ("XSV", "XSA"):
            hit = self.an.lookup(t.form + "하다")
            if hit:
                self.emit(hit[1], hit[0], t.start, nxt.end, "pred")
                self.flush_neg()
                return i + 2
        if t.lemma in self.t.drop or t.form in self.t.drop:
            return i + 1
        got = self.an.resolve_word(t.lemma, t.start, proper=False, station=False)
        if got and t.lemma == t.form:
            self.emit_parts(got)
        elif got:  # the lemma is not the written text (어떻게 <- 어떻다): use the token's span
            for _source, glosses, _s, _e in got:
                self.emit(glosses, _source, t.start, t.end)
        else:
            self.skip(t.lemma, NO_SIGN, t.start, t.end)
        if nxt is not None and nxt.tag in ("XSV", "XSA"):
            self.mark_last_pred()
            return i + 2
        return i + 1

    def mixed_token(self, toks: list[_Tok], i: int) -> int:
        """A noun token with digits in it (2호선 tagged as one proper noun): number + rest."""
        t = toks[i]
        after_number = False
        for m in re.finditer(r"[0-9][0-9,]*|[^0-9]+", t.form):
            s, e = t.start + m.start(), t.start + m.end()
            piece = m.group()
            if after_number and piece[0] in self.t.street_counters:
                s, piece = s + 1, piece[1:]  # 종로3가역: the street number's 가 is not signed
                if piece == self.t.station_suffix:
                    self.emit((self.t.station_gloss,), "synonym", s, e)
                    continue
            after_number = m.start() > 0 and piece[:1] in "0123456789" and bool(piece)
            if not piece:
                continue
            if piece[0] in "0123456789":
                value = parse_digits(piece.rstrip(","))
                if value is None or needs_digit_by_digit(piece):
                    self.emit(digit_signs(piece), "number", s, e)
                else:
                    self.emit(compose_number(value), "number", s, e)
            elif piece.strip():
                got = self.an.resolve_word(piece, s, proper=t.tag == "NNP")
                if got:
                    self.emit_parts(got)
                else:
                    self.spell(piece, s, e)
        return i + 1

    def latin(self, toks: list[_Tok], i: int) -> int:
        j = i
        while (
            j + 1 < len(toks)
            and toks[j + 1].tag in ("SL", "SO", "SN")
            and toks[j].end == toks[j + 1].start
        ):
            j += 1
        for k in range(j, i - 1, -1):
            span = self.text[toks[i].start : toks[k].end]
            hit = self.an.lookup(span)
            if hit:
                self.emit(hit[1], hit[0], toks[i].start, toks[k].end)
                return k + 1
        t = toks[i]
        self.skip(t.form, "Latin letters have no sign in Korean fingerspelling", t.start, t.end)
        return i + 1

    def predicate(self, toks: list[_Tok], i: int) -> int:
        t = toks[i]
        prev = toks[i - 1] if i > 0 else None
        lemma = t.lemma
        if t.tag in ("XSV", "XSA"):
            self.mark_last_pred()
            return i + 1
        if t.tag == "VCP":
            return i + 1
        if t.tag == "VX":
            after_ji = prev is not None and prev.tag == "EC" and prev.form == "지"
            if lemma == "싶다":
                self.emit(("싶다",), "lexicon", t.start, t.end, "marker")
            elif lemma == "않다" and after_ji:
                self.emit(("아니다",), "synonym", t.start, t.end, "neg")
            elif lemma == "말다" and after_ji:
                self.emit(("안되다",), "synonym", t.start, t.end, "neg")
            elif lemma == "못하다":
                self.emit(("못하다",), "lexicon", t.start, t.end, "neg")
            elif lemma == "주다":
                j = i + 1
                while j < len(toks) and toks[j].tag == "EP":
                    j += 1
                if j < len(toks) and toks[j].tag == "EF":
                    self.emit(("부탁",), "synonym", t.start, t.end, "marker")
            elif lemma in ("않다", "말다"):
                self.emit(
                    ("아니다" if lemma == "않다" else "안되다",), "synonym", t.start, t.end, "neg"
                )
            return i + 1
        if lemma == "위하다" and prev is not None and prev.tag == "ETN":
            self.emit(("목적",), "synonym", prev.start, t.end, "marker")
            return i + 1
        if lemma in self.t.drop:
            self.flush_neg()
            return i + 1
        if lemma == "있다" and prev is not None and prev.tag == "EC" and prev.form == "고":
            return i + 1  # 지연되고 있다: progressive aspect, not "there is"
        hit = self.an.lookup(lemma) or self.an.light_verb(lemma)
        if hit:
            self.emit(hit[1], hit[0], t.start, t.end, "pred")
        else:
            self.skip(lemma, NO_SIGN, t.start, t.end)
        self.flush_neg()
        return i + 1

    def ending(self, toks: list[_Tok], i: int) -> int:
        t = toks[i]
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        if t.tag == "EF":
            self.sent.final_ending = t.form
            if t.form in QUESTION_ENDINGS:
                self.sent.question_ending = True
        elif t.tag == "EP":
            if t.form in PAST_MARKERS:
                self.sent.tense = "past"
            elif t.form == "겠" and self.sent.tense is None:
                self.sent.tense = "future"
        elif t.tag == "EC":
            if t.form in PURPOSE_ENDINGS:
                self.emit(("목적",), "synonym", t.start, t.end, "marker")
            elif (
                t.form in OBLIGATION_ENDINGS
                and nxt is not None
                and nxt.lemma in ("하다", "되다")
                and nxt.tag in ("VX", "VV")
            ):
                self.emit(("해야하다",), "synonym", t.start, nxt.end, "obligation")
                return i + 2
        elif t.tag == "ETM" and t.form in ("ᆯ", "을", "ㄹ") and nxt is not None:
            if nxt.tag == "NNB" and nxt.form in ("거", "것"):
                third = toks[i + 2] if i + 2 < len(toks) else None
                if third is not None and third.tag == "VCP":
                    self.sent.tense = "future"
        return i + 1

    # ------------------------------------------------------------ numbers
    def number(self, toks: list[_Tok], i: int) -> int:
        j = i
        acc = toks[i].form
        while j + 1 < len(toks):
            nt = toks[j + 1]
            if not (nt.tag in ("SN", "NR") or (nt.tag == "MM" and nt.form in NATIVE_UNITS)):
                break
            gap = self.text[toks[j].end : nt.start]
            if gap and not (gap.isspace() and acc[-1:] in ("만", "억", "조")):
                break
            if parse_number_words(acc + nt.form) is None:
                break
            acc += nt.form
            j += 1
        first, last = toks[i], toks[j]
        phrase_id = self.new_phrase()
        if first is last and first.tag == "SN":
            dec = _DECIMAL.fullmatch(acc)
            if needs_digit_by_digit(acc) or acc in self.t.digit_by_digit:
                self.emit(digit_signs(acc), "number", first.start, last.end, phrase=phrase_id)
                return self.counter(toks, j + 1, None)
            if dec and parse_digits(acc) is None:
                self.emit(
                    compose_number(int(dec.group(1))),
                    "number",
                    first.start,
                    last.end,
                    phrase=phrase_id,
                )
                self.skip(
                    acc[len(dec.group(1)) :],
                    "no sign for a decimal fraction",
                    first.start,
                    last.end,
                )
                return self.counter(toks, j + 1, None)
        value = parse_number_words(acc)
        if value is None:
            if first.tag == "SN":
                self.emit(digit_signs(acc), "number", first.start, last.end, phrase=phrase_id)
            else:
                for k in range(i, j + 1):
                    self.single_word(toks, k)
            return j + 1 if first.tag != "SN" else self.counter(toks, j + 1, None)
        self.emit(compose_number(value), "number", first.start, last.end, phrase=phrase_id)
        return self.counter(toks, j + 1, None)

    def counter(self, toks: list[_Tok], k: int, phrase_id: int | None) -> int:
        """A counter right after a number or 몇 (3호선, 2번, 30분, 1,250원, 몇 시)."""
        if k >= len(toks):
            return k
        c = toks[k]
        gap = self.text[toks[k - 1].end : c.start]
        named = k >= 2 and toks[k - 2].tag == "NNP"  # 종로 3가, not 3가구
        if named and not gap and c.form in self.t.street_counters and c.tag in ("NNG", "NNB"):
            nxt = toks[k + 1] if k + 1 < len(toks) else None  # 종로 3 가 (역): not signed
            if nxt is not None and nxt.form == self.t.station_suffix and nxt.start == c.end:
                self.emit((self.t.station_gloss,), "synonym", nxt.start, nxt.end)
                return k + 2
            return k + 1
        is_counter = c.tag == "NNB" or (c.tag == "NNG" and c.form in self.t.time_counters)
        if not is_counter or len(gap) > 1 or (gap and not gap.isspace()):
            return k
        if c.form in self.t.drop_counters:
            return k + 1
        for m in range(min(len(toks), k + MAX_SPAN_TOKENS), k + 1, -1):  # 4 + 호 + 선 -> 호선
            span = toks[k:m]
            if all(x.tag in NOUN_TAGS for x in span) and all(
                a.end == b.start for a, b in zip(span, span[1:], strict=False)
            ):
                hit = self.an.lookup("".join(x.form for x in span))
                if hit:
                    self.emit(hit[1], hit[0], c.start, span[-1].end, phrase=phrase_id)
                    return m
        if c.form == "분":
            self.emit(("분",), "lexicon", c.start, c.end, phrase=phrase_id)
        else:
            got = self.an.resolve_word(c.form, c.start, proper=False, station=False)
            if got:
                self.emit_parts(got, phrase=phrase_id)
            else:
                self.spell(c.form, c.start, c.end, phrase=phrase_id)
        nxt = toks[k + 1] if k + 1 < len(toks) else None
        if c.form == "시" and nxt is not None and nxt.form == "반" and nxt.tag == "NNG":
            self.emit(("30",), "number", nxt.start, nxt.end, phrase=phrase_id)
            self.emit(("분",), "synonym", nxt.start, nxt.end, phrase=phrase_id)
            return k + 2
        return k + 1

    def serial(self, t: _Tok, i: int) -> int:
        m = _TIME.fullmatch(t.form)
        if m and int(m.group(1)) <= 24 and int(m.group(2)) < 60:
            self.emit(compose_number(int(m.group(1))), "number", t.start, t.start + len(m.group(1)))
            self.emit(("시",), "synonym", t.start, t.end)
            if int(m.group(2)):
                self.emit(compose_number(int(m.group(2))), "number", t.end - 2, t.end)
                self.emit(("분",), "synonym", t.start, t.end)
            return i + 1
        digits = digit_signs(t.form)
        if digits:
            self.emit(digits, "number", t.start, t.end)
        rest = re.sub(r"[\d\s\-./:]", "", t.form)
        if rest or not digits:
            self.skip(rest or t.form, "characters with no sign in a serial number", t.start, t.end)
        return i + 1

    # ------------------------------------------------------------ sentences
    def end_sentence(self) -> None:
        self.flush_neg()
        sent, self.sent = self.sent, _Sentence()
        pieces = sent.pieces
        if not pieces:
            return
        has_wh = any(p.role == "wh" for p in pieces)
        knows = any(p.gloss in ("모르다", "알다") for p in pieces)
        question = (
            sent.question_mark
            or sent.question_ending
            or (
                has_wh
                and not knows
                and (sent.final_ending is None or sent.final_ending in AMBIGUOUS_ENDINGS)
                and sent.last_sf not in (".", "!")
            )
        )
        self.choose_train_gloss(pieces)
        pieces = _merge_repeated_purpose(pieces)
        pieces = [
            p
            for k, p in enumerate(pieces)
            if k == 0
            or p.source not in ("lexicon", "synonym")
            or p.gloss != pieces[k - 1].gloss
            or p.group == pieces[k - 1].group
        ]  # one sign, not two, for 부산역 KTX -> 부산 기차 (기차)
        if question:
            pieces = [p for p in pieces if p.role != "obligation"]
            pieces = [
                p
                for k, p in enumerate(pieces)
                if not (
                    p.gloss == "있다"
                    and p.role == "pred"
                    and k > 0
                    and pieces[k - 1].gloss == "어디"
                    and pieces[k - 1].role == "wh"
                )
            ]  # 화장실이 어디에 있어요? = 화장실이 어디예요? -> 화장실 어디
            wh_phrases = {p.phrase for p in pieces if p.role == "wh"}
            pieces = [p for p in pieces if p.phrase not in wh_phrases] + [
                p for p in pieces if p.phrase in wh_phrases
            ]
        tense_gloss = self.t.tense.get(sent.tense) if sent.tense else None
        if tense_gloss and tense_gloss in self.an.inventory:
            preds = [k for k, p in enumerate(pieces) if p.role == "pred"]
            if preds:
                at = preds[-1] + 1
                src = pieces[preds[-1]]
                pieces.insert(
                    at,
                    _Piece(tense_gloss, "synonym", src.start, src.end, self.next_group, src.word,
                           src.surface, "marker", src.phrase),
                )  # fmt: skip
                self.next_group += 1
        if not pieces:
            return
        index = len(self.result.sentences)
        first = len(self.result.items)
        for p in pieces:
            self.result.items.append(
                GlossItem(p.gloss, p.surface, p.source, p.group, p.word, p.start, p.end, index)
            )
        self.result.sentences.append(
            SentenceMarks(
                first=first,
                last=len(self.result.items),
                question=question,
                question_type=("wh" if has_wh else "yes_no") if question else None,
                negation=any(p.gloss in NEG_GLOSSES for p in pieces),
                tense=sent.tense,
            )
        )

    def choose_train_gloss(self, pieces: list[_Piece]) -> None:
        """열차 is the station gloss (지하철) unless the sentence is about a railway: another
        word signed with the railway gloss (KTX, 서울역) or a railway city named (부산)."""
        trains = [p for p in pieces if p.surface in self.t.train_words and p.source == "synonym"]
        if not trains:
            return
        railway = any(
            p not in trains
            and (
                p.gloss == self.t.railway_gloss
                or (p.gloss in self.t.railway and p.source == "lexicon")
            )
            for p in pieces
        )
        for p in trains:
            p.gloss = self.t.railway_gloss if railway else self.t.station_gloss

    def finish(self) -> None:
        """Number groups in output order and write the user-facing notes."""
        renumber: dict[int, int] = {}
        items = []
        for it in self.result.items:
            g = renumber.setdefault(it.group, len(renumber))
            items.append(
                GlossItem(
                    it.gloss, it.surface, it.source, g, it.word, it.start, it.end, it.sentence
                )
            )
        self.result.items = items
        spelled = self.result.fingerspelled_words()
        if spelled:
            self.result.notes.append(
                "Fingerspelled (not in the sign lexicon): " + ", ".join(spelled) + "."
            )
        if self.result.skipped:
            self.result.notes.append("Not signed: " + _describe_skipped(self.result.skipped) + ".")


def _merge_repeated_purpose(pieces: list[_Piece]) -> list[_Piece]:
    """``V 목적 ... V`` -> ``V ...``: "to go to X, how do I go" is "how do I go to X"
    (은행에 가려면 어떻게 가야 해요 -> 은행 가다 어떻게); the purpose mark is kept where the
    main verb differs (가려면 ... 환승 해야 -> 가다 목적 ... 바꾸다)."""
    drop: set[int] = set()
    for k, p in enumerate(pieces):
        if p.gloss != "목적" or p.role != "marker" or k == 0 or pieces[k - 1].role != "pred":
            continue
        verb = pieces[k - 1].gloss
        main = next((m for m in range(k + 1, len(pieces)) if pieces[m].role == "pred"), None)
        if main is not None and pieces[main].gloss == verb:
            drop.update((k, main))
    return [p for k, p in enumerate(pieces) if k not in drop] if drop else pieces


def _has_digit(text: str) -> bool:
    return any(c in "0123456789" for c in text)


def _short(text: str, limit: int = 20) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _describe_skipped(skipped: list[Skipped], limit: int = 6) -> str:
    """``'I', 'lost' (Latin letters ...); '😀' (emoji: not signed)`` grouped by reason."""
    by_reason: dict[str, list[str]] = {}
    for s in skipped:
        by_reason.setdefault(s.reason, []).append(s.text)
    out = []
    for reason, texts in by_reason.items():
        shown = ", ".join(f"'{_short(t)}'" for t in texts[:limit])
        more = f" and {len(texts) - limit} more" if len(texts) > limit else ""
        out.append(f"{shown}{more} ({reason})")
    return "; ".join(out)


_DEFAULT: GlossAnalyzer | None = None
_DEFAULT_LOCK = threading.Lock()


def default_analyzer() -> GlossAnalyzer:
    """The shared analyzer for the packaged lexicon and tables."""
    global _DEFAULT
    if _DEFAULT is None:
        with _DEFAULT_LOCK:
            if _DEFAULT is None:
                _DEFAULT = GlossAnalyzer()
    return _DEFAULT


def text_to_gloss(text: str) -> GlossResult:
    """Korean text -> ``GlossResult`` (glosses with sources, sentence marks, skips, coverage).

    Raises ``GlossError`` (a ``ValueError``) with a message for the UI when the text is not a
    string, is empty, is over ``MAX_CHARS`` characters, or has nothing signable in it.
    """
    return default_analyzer().analyse(text)
