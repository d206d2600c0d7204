"""Predicates and endings: verbs and adjectives in dictionary form, the grammar kept as
glosses after the verb (negation, ability, purpose, wanting, requests, obligation), and what
the endings say about the sentence (question, tense).

    안 V -> V 아니다          못 V / V-지 못하다 -> V 못하다     V-지 않다 -> V 아니다
    V-지 말다 -> V 안되다     V-ㄹ 수 있다/없다 -> V 가능 / V 불가능 (``nouns``' 수)
    V-려면/-려고/-러 -> V 목적   V-고 싶다 -> V 싶다   V-어 주세요 -> V 부탁
    V-어야 하다/되다 -> V 해야하다 (left out in questions: ``sentences``)
"""

from __future__ import annotations

from sign_pipeline.gloss.tokens import Token
from sign_pipeline.gloss.writer import GlossWriter

#: final endings that make a sentence a question (-나요, -ㅂ니까, -ㄹ까요)
QUESTION_ENDINGS = frozenset(
    {"나요", "ᆫ가요", "은가요", "는가요", "ᆯ까요", "을까요", "까요", "니", "니까", "ᆸ니까",
     "습니까", "냐", "느냐", "으냐", "ᆫ가", "은가", "는가", "ᆯ까", "을까", "나", "는지요",
     "ᆫ지요", "ᆯ래요", "을래요", "ᆯ래", "을래", "ᆸ니까요"}
)  # fmt: skip
#: connective endings of purpose: V 목적
PURPOSE_ENDINGS = frozenset({"려면", "으려면", "려고", "으려고", "러", "으러"})
#: V-어야 before 하다/되다: V 해야하다
OBLIGATION_ENDINGS = frozenset({"어야", "아야", "여야", "야"})
#: pre-final endings of the past tense
PAST_MARKERS = frozenset({"었", "았", "였", "ᆻ", "엇"})


def predicate(w: GlossWriter, toks: list[Token], i: int) -> int:
    """A verb, adjective, auxiliary or verb suffix at ``i``: its sign, a grammar gloss, or
    nothing (the copula, progressive 있다, words the tables drop)."""
    t = toks[i]
    prev = toks[i - 1] if i > 0 else None
    lemma = t.lemma
    if t.tag in ("XSV", "XSA"):
        w.mark_last_pred()
        return i + 1
    if t.tag == "VCP":
        return i + 1
    if t.tag == "VX":
        after_ji = prev is not None and prev.tag == "EC" and prev.form == "지"
        if lemma == "싶다":
            w.emit(("싶다",), "lexicon", t.start, t.end, "marker")
        elif lemma == "않다" and after_ji:
            w.emit(("아니다",), "synonym", t.start, t.end, "neg")
        elif lemma == "말다" and after_ji:
            w.emit(("안되다",), "synonym", t.start, t.end, "neg")
        elif lemma == "못하다":
            w.emit(("못하다",), "lexicon", t.start, t.end, "neg")
        elif lemma == "주다":
            j = i + 1
            while j < len(toks) and toks[j].tag == "EP":
                j += 1
            if j < len(toks) and toks[j].tag == "EF":
                w.emit(("부탁",), "synonym", t.start, t.end, "marker")
        elif lemma in ("않다", "말다"):
            w.emit(("아니다" if lemma == "않다" else "안되다",), "synonym", t.start, t.end, "neg")
        return i + 1
    if lemma == "위하다" and prev is not None and prev.tag == "ETN":
        w.emit(("목적",), "synonym", prev.start, t.end, "marker")
        return i + 1
    if w.words.dropped(lemma):
        w.flush_neg()
        return i + 1
    if lemma == "있다" and prev is not None and prev.tag == "EC" and prev.form == "고":
        return i + 1  # 지연되고 있다: progressive aspect, not "there is"
    hit = w.words.lookup(lemma) or w.words.light_verb(lemma)
    if hit:
        w.emit(hit[1], hit[0], t.start, t.end, "pred")
    else:
        w.skip(lemma, w.words.no_sign_reason(lemma), t.start, t.end)
    w.flush_neg()
    return i + 1


def ending(w: GlossWriter, toks: list[Token], i: int) -> int:
    """An ending at ``i``: question, tense and future marks for the sentence; purpose and
    obligation glosses."""
    t = toks[i]
    nxt = toks[i + 1] if i + 1 < len(toks) else None
    if t.tag == "EF":
        w.sent.final_ending = t.form
        if t.form in QUESTION_ENDINGS:
            w.sent.question_ending = True
    elif t.tag == "EP":
        if t.form in PAST_MARKERS:
            w.sent.tense = "past"
        elif t.form == "겠" and w.sent.tense is None:
            w.sent.tense = "future"
    elif t.tag == "EC":
        if t.form in PURPOSE_ENDINGS:
            w.emit(("목적",), "synonym", t.start, t.end, "marker")
        elif (
            t.form in OBLIGATION_ENDINGS
            and nxt is not None
            and nxt.lemma in ("하다", "되다")
            and nxt.tag in ("VX", "VV")
        ):
            w.emit(("해야하다",), "synonym", t.start, nxt.end, "obligation")
            return i + 2
    elif t.tag == "ETM" and t.form in ("ᆯ", "을", "ㄹ") and nxt is not None:
        if nxt.tag == "NNB" and nxt.form in ("거", "것"):
            third = toks[i + 2] if i + 2 < len(toks) else None
            if third is not None and third.tag == "VCP":
                w.sent.tense = "future"
    return i + 1
