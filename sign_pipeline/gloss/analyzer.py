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
9. With a ``vocabulary`` (the glosses the active text-to-pose backend can sign) only those are
   produced, and the data's own glosses are produced too (``vocabulary``): a word whose gloss
   is not loaded is an unknown word (a noun is fingerspelled when its finger letters are
   loaded), a number whose signs are missing is signed digit by digit or skipped, and
   ``coverage`` counts what will be signed.

Where the code is, in the order a sentence goes through it: ``normalize`` (cleaning),
``tokens`` (Kiwi), this module (the analyser and the token walk), ``words`` (a word -> its
glosses), ``nouns``, ``predicates`` and ``counters`` (each kind of word), ``writer`` (the
glosses being written, fingerspelling), ``sentences`` (sentence marks, the finished result),
``vocabulary`` (the backend's glosses).
"""

from __future__ import annotations

import threading
from collections.abc import Collection

from sign_pipeline.gloss.counters import counter, number, serial
from sign_pipeline.gloss.fingerspelling import FINGER_LETTERS
from sign_pipeline.gloss.memory import GlossMemory
from sign_pipeline.gloss.normalize import clean_text
from sign_pipeline.gloss.nouns import (
    latin,
    mixed_token,
    noun_run,
    pointable,
    single_word,
    wh_phrase,
)
from sign_pipeline.gloss.numbers import NATIVE_UNITS
from sign_pipeline.gloss.predicates import ending, predicate
from sign_pipeline.gloss.result import GlossError, GlossResult
from sign_pipeline.gloss.sentences import describe_skipped, end_sentence, finish
from sign_pipeline.gloss.tables import Tables, load_tables
from sign_pipeline.gloss.tokens import (
    NOUN_TAGS,
    PREDICATE_TAGS,
    Token,
    get_kiwi,
    has_digit,
    kiwi_load_seconds,
    tokenize,
)
from sign_pipeline.gloss.vocabulary import NOT_LOADED, NOT_SPELLABLE, Vocabulary, is_content
from sign_pipeline.gloss.words import NO_SIGN, WordLookup
from sign_pipeline.gloss.writer import NEG_GLOSSES, WH_GLOSSES, GlossWriter
from sign_pipeline.inventory import GlossEntry, load_inventory

__all__ = [  # the names other modules import from here
    "MAX_CHARS",
    "MAX_SPELL_SYLLABLES",
    "NEG_GLOSSES",
    "NOT_LOADED",
    "NOT_SPELLABLE",
    "NO_SIGN",
    "WH_GLOSSES",
    "GlossAnalyzer",
    "analyzer_for",
    "default_analyzer",
    "get_kiwi",
    "kiwi_load_seconds",
    "text_to_gloss",
]

#: longest accepted input, in characters, after trimming surrounding whitespace
MAX_CHARS = 300
#: longest unknown word that is fingerspelled, in syllables (longer ones are skipped)
MAX_SPELL_SYLLABLES = 12
#: demonstratives: a point before a thing one can point at (이 버스 -> 여기 버스), else nothing
DEMONSTRATIVES = frozenset({"이", "그", "저", "요", "고", "이런", "그런", "저런"})
#: Kiwi's tags for web text, with the name the user sees when it is skipped
WEB_TAGS = {
    "W_URL": "web address",
    "W_EMAIL": "e-mail address",
    "W_HASHTAG": "hashtag",
    "W_MENTION": "mention",
    "W_EMOJI": "emoji",
}
#: analysers kept for the last few vocabularies (a backend's gloss set is read once)
MAX_CACHED_VOCABULARIES = 8


class GlossAnalyzer:
    """Text -> ``GlossResult`` for one gloss inventory, one set of tables and, optionally, the
    vocabulary of the active text-to-pose backend (thread-safe)."""

    def __init__(
        self,
        inventory: dict[str, GlossEntry] | None = None,
        tables: Tables | None = None,
        spell_silent_ieung: bool = True,
        max_chars: int = MAX_CHARS,
        max_spell_syllables: int = MAX_SPELL_SYLLABLES,
        vocabulary: Collection[str] | None = None,
    ) -> None:
        self.inventory = inventory if inventory is not None else load_inventory()
        self.tables = tables if tables is not None else load_tables()
        self.spell_silent_ieung = spell_silent_ieung
        self.max_chars = max_chars
        self.max_spell_syllables = max_spell_syllables
        self.vocabulary = (
            None
            if vocabulary is None
            else Vocabulary.build(vocabulary, self.inventory, self.tables)
        )
        self.words = WordLookup(self.inventory, self.tables, self.vocabulary)

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
            toks = tokenize(clean)
        except Exception as exc:  # noqa: BLE001 - Kiwi failures become one UI message
            raise GlossError(f"The text could not be analysed: {exc}", result) from exc
        writer = GlossWriter(
            self.words, clean, result, self.spell_silent_ieung, self.max_spell_syllables
        )
        _walk(writer, toks)
        if not result.items:
            what = describe_skipped(result.skipped) or "only punctuation"
            raise GlossError(f"Nothing to sign in this text: {what}.", result)
        return result


def _walk(w: GlossWriter, toks: list[Token]) -> None:
    """Every token, sentence by sentence, then the finished result."""
    i = 0
    cur_sent = toks[0].sent if toks else 0
    while i < len(toks):
        if toks[i].sent != cur_sent:
            end_sentence(w)
            cur_sent = toks[i].sent
        i = _step(w, toks, i)
    end_sentence(w)
    finish(w)


def _step(w: GlossWriter, toks: list[Token], i: int) -> int:
    """The token at ``i`` (and those it takes with it); returns the next token's index."""
    t = toks[i]
    tag = t.tag
    nxt = toks[i + 1] if i + 1 < len(toks) else None
    prev = toks[i - 1] if i > 0 else None

    if w.vocabulary is not None:
        data = _match_data_gloss(w, toks, i)
        if data:
            gloss, j = data
            role = "pred" if toks[j - 1].tag in PREDICATE_TAGS else "content"
            w.emit((gloss,), "lexicon", t.start, toks[j - 1].end, role)
            if role == "pred":
                w.flush_neg()
            return j

    phrase = _match_phrase(w, toks, i)
    if phrase:
        glosses, j = phrase
        w.emit(glosses, "synonym", t.start, toks[j - 1].end)
        if any(g in NEG_GLOSSES for g in glosses):
            w.pending_neg = None
        return j

    if tag == "SF":
        if "?" in t.form:
            w.sent.question_mark = True
        w.sent.last_sf = t.form[-1:]
        return i + 1
    if tag in ("SP", "SE", "SO") or tag.startswith(("SS", "J")):
        return i + 1
    if tag in ("XSN", "XPN", "Z_CODA", "Z_SIOT", "XSM"):
        return i + 1
    if tag == "W_HASHTAG" and len(t.form) > 1:  # #지하철 -> the word itself
        word = t.form[1:]
        got = w.words.resolve_word(word, t.start + 1, proper=True)
        if got:
            w.emit_parts(got)
        else:
            w.spell(word, t.start + 1, t.end)
        return i + 1
    if tag in WEB_TAGS:
        w.skip(t.form, f"{WEB_TAGS[tag]}: not signed", t.start, t.end)
        return i + 1
    if tag == "W_SERIAL":
        return serial(w, t, i)
    if tag in ("MM", "NR") and t.form == "몇":
        phrase_id = w.new_phrase()
        w.emit(("몇",), "lexicon", t.start, t.end, "wh", phrase_id)
        return counter(w, toks, i + 1, phrase_id)
    if tag == "SN" or tag == "NR" or (tag == "MM" and t.form in NATIVE_UNITS):
        return number(w, toks, i)
    if tag == "MM" and t.form in DEMONSTRATIVES:
        point = w.tables.pointing.get(t.form)
        if point and nxt is not None and pointable(w, nxt):
            w.emit((point,), "synonym", t.start, t.end)  # 이 버스 -> 여기 버스
        return i + 1
    if tag == "MM" and nxt is not None and nxt.tag in ("NNG", "NNP"):
        hit = w.words.lookup(t.form)
        if hit and all(g in WH_GLOSSES for g in hit[1]):
            return wh_phrase(w, toks, i, hit)
    if tag == "NNB" and t.form == "수" and prev is not None and prev.tag == "ETM":
        if nxt is not None and nxt.lemma in ("있다", "없다"):
            gloss = "가능" if nxt.lemma == "있다" else "불가능"
            w.emit((gloss,), "synonym", t.start, nxt.end, "marker")
            w.flush_neg()
            return i + 2
        return i + 1
    if tag == "NNB" and t.form == "분":
        gloss = "분" if prev is not None and prev.form == "몇" else "사람"
        w.emit((gloss,), "lexicon" if gloss == "분" else "synonym", t.start, t.end)
        return i + 1
    if tag in NOUN_TAGS and has_digit(t.form):
        return mixed_token(w, toks, i)
    if tag in NOUN_TAGS:
        return noun_run(w, toks, i)
    if tag == "SL":
        return latin(w, toks, i)
    if tag == "SH":
        w.skip(t.form, "Chinese characters (hanja) have no sign", t.start, t.end)
        return i + 1
    if tag == "SW":
        reason = (
            "jamo emoticon: not signed"
            if all(c in FINGER_LETTERS for c in t.form)
            else "symbol with no sign"
        )
        w.skip(t.form, reason, t.start, t.end)
        return i + 1
    if tag == "MAG" and t.form in ("안", "못"):
        w.pending_neg = ("아니다" if t.form == "안" else "못하다", t)
        return i + 1
    if tag in PREDICATE_TAGS or tag in ("XSV", "XSA"):
        return predicate(w, toks, i)
    if tag.startswith("E"):
        return ending(w, toks, i)
    if tag in ("MAG", "MAJ", "MM", "NP", "IC"):
        return single_word(w, toks, i)
    w.skip(t.form, "not recognised", t.start, t.end)
    return i + 1


def _match_phrase(w: GlossWriter, toks: list[Token], i: int) -> tuple[tuple[str, ...], int] | None:
    """A phrase of the tables from ``i`` (안 되다, 이번 역), particles between words ignored:
    its glosses and the index after it."""
    if not w.tables.phrases:
        return None
    lemmas: list[str] = []
    ends: list[int] = []
    j = i
    while j < len(toks) and len(lemmas) < w.words.max_phrase:
        if toks[j].tag.startswith("J") and lemmas:
            j += 1
            continue
        lemmas.append(toks[j].lemma)
        ends.append(j + 1)
        j += 1
    for n in range(len(lemmas), 1, -1):
        hit = w.tables.phrases.get(tuple(lemmas[:n]))
        if hit:
            return hit, ends[n - 1]
    return None


def _match_data_gloss(w: GlossWriter, toks: list[Token], i: int) -> tuple[str, int] | None:
    """A data gloss of several tokens from ``i``: written exactly (여기 + 로 -> 여기로), else
    its lemmas with particles and endings between them ignored (가서 내려요 -> 가다내리다)."""
    vocabulary = w.vocabulary
    if not is_content(toks[i].tag):
        return None
    for n in range(min(vocabulary.longest_written, len(toks) - i), 1, -1):
        span = toks[i : i + n]
        if all(a.end == b.start for a, b in zip(span, span[1:], strict=False)):
            gloss = vocabulary.written.get(tuple(t.form for t in span))
            if gloss:
                return gloss, i + n
    if not vocabulary.phrases:
        return None
    lemmas: list[str] = []
    ends: list[int] = []
    j = i
    while (
        j < len(toks) and toks[j].sent == toks[i].sent and len(lemmas) < vocabulary.longest_phrase
    ):
        if is_content(toks[j].tag):
            lemmas.append(toks[j].lemma)
            ends.append(j + 1)
        j += 1
    for n in range(len(lemmas), 1, -1):
        gloss = vocabulary.phrases.get(tuple(lemmas[:n]))
        if gloss:
            return gloss, ends[n - 1]
    return None


_DEFAULT: GlossAnalyzer | None = None
_BY_VOCABULARY: dict[frozenset[str], GlossAnalyzer] = {}
_CACHE_LOCK = threading.Lock()


def default_analyzer() -> GlossAnalyzer:
    """The shared analyzer for the packaged lexicon and tables."""
    global _DEFAULT
    if _DEFAULT is None:
        with _CACHE_LOCK:
            if _DEFAULT is None:
                _DEFAULT = GlossAnalyzer()
    return _DEFAULT


def analyzer_for(vocabulary: Collection[str] | None) -> GlossAnalyzer:
    """The shared analyzer for a backend's gloss set (None: ``default_analyzer``), built
    once per set: reading the data glosses takes a Kiwi analysis each."""
    if vocabulary is None:
        return default_analyzer()
    if isinstance(vocabulary, str):
        raise TypeError("vocabulary must be a collection of gloss names, not one string")
    key = vocabulary if isinstance(vocabulary, frozenset) else frozenset(vocabulary)
    analyzer = _BY_VOCABULARY.get(key)
    if analyzer is None:
        with _CACHE_LOCK:
            analyzer = _BY_VOCABULARY.get(key)
            if analyzer is None:
                analyzer = GlossAnalyzer(vocabulary=key)
                if len(_BY_VOCABULARY) >= MAX_CACHED_VOCABULARIES:
                    _BY_VOCABULARY.pop(next(iter(_BY_VOCABULARY)))  # the oldest
                _BY_VOCABULARY[key] = analyzer
    return analyzer


def text_to_gloss(
    text: str, vocabulary: Collection[str] | None = None, memory: GlossMemory | None = None
) -> GlossResult:
    """Korean text -> ``GlossResult`` (glosses with sources, sentence marks, skips, coverage).

    ``vocabulary``: the glosses the active text-to-pose backend can sign
    (``Text2Pose.known_glosses()``); the result then holds only those, and the data glosses
    the built-in inventory lacks are produced too (see ``vocabulary``). None: the built-in
    inventory. ``memory``: a :class:`~.memory.GlossMemory` (the app's: the checkpoint
    folder's ``gloss_memory.json``) that glosses the sentence patterns of its training data
    as that data does; None: the rules alone.

    Raises ``GlossError`` (a ``ValueError``) with a message for the UI when the text is not a
    string, is empty, is over ``MAX_CHARS`` characters, or has nothing signable in it.
    """
    result = analyzer_for(vocabulary).analyse(text)
    return memory.apply(result, vocabulary) if memory is not None else result
