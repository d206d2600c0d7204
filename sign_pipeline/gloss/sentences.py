"""Sentence marks and the finished result.

A sentence is a question when it ends in ``?`` or a question ending (-나요, -ㅂ니까), or has a
question word and a plain polite ending (-어요, -예요). In a question the question word (with
its counter: 몇 번, 몇호) moves to the end as KSL does, obligation (해야하다) is left out and
어디에 있어요 is signed like 어디예요. Tense is a mark, a gloss only where the tables name one
the lexicon has. The same sign twice in a row from two words is signed once (부산역 KTX ->
부산 기차), and a purpose clause whose verb is the main verb again is one clause.
"""

from __future__ import annotations

from sign_pipeline.gloss.result import GlossItem, SentenceMarks, Skipped
from sign_pipeline.gloss.writer import NEG_GLOSSES, GlossWriter, Piece, SentenceDraft

#: plain endings that make a sentence with a question word a question (어디예요)
AMBIGUOUS_ENDINGS = frozenset(
    {"어요", "아요", "여요", "에요", "예요", "요", "죠", "지요", "어", "아", "야", "이야"}
)


def end_sentence(w: GlossWriter) -> None:
    """Close the current sentence: decide whether it is a question, apply the sentence-level
    rules, and append its glosses and marks to the result."""
    w.flush_neg()
    sent, w.sent = w.sent, SentenceDraft()
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
    choose_train_gloss(w, pieces)
    pieces = merge_repeated_purpose(pieces)
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
    tense_gloss = w.tables.tense.get(sent.tense) if sent.tense else None
    if tense_gloss and tense_gloss in w.words.inventory and w.can_sign(tense_gloss):
        preds = [k for k, p in enumerate(pieces) if p.role == "pred"]
        if preds:
            at = preds[-1] + 1
            src = pieces[preds[-1]]
            pieces.insert(
                at,
                Piece(tense_gloss, "synonym", src.start, src.end, w.next_group, src.word,
                       src.surface, "marker", src.phrase),
            )  # fmt: skip
            w.next_group += 1
    if not pieces:
        return
    index = len(w.result.sentences)
    first = len(w.result.items)
    for p in pieces:
        w.result.items.append(
            GlossItem(p.gloss, p.surface, p.source, p.group, p.word, p.start, p.end, index)
        )
    w.result.sentences.append(
        SentenceMarks(
            first=first,
            last=len(w.result.items),
            question=question,
            question_type=("wh" if has_wh else "yes_no") if question else None,
            negation=any(p.gloss in NEG_GLOSSES for p in pieces),
            tense=sent.tense,
        )
    )


def choose_train_gloss(w: GlossWriter, pieces: list[Piece]) -> None:
    """열차 is the station gloss (지하철) unless the sentence is about a railway: another
    word signed with the railway gloss (KTX, 서울역) or a railway city named (부산)."""
    trains = [p for p in pieces if p.surface in w.tables.train_words and p.source == "synonym"]
    if not trains:
        return
    railway = any(
        p not in trains
        and (
            p.gloss == w.tables.railway_gloss
            or (p.gloss in w.tables.railway and p.source == "lexicon")
        )
        for p in pieces
    )
    gloss = w.tables.railway_gloss if railway else w.tables.station_gloss
    if w.can_sign(gloss):
        for p in trains:
            p.gloss = gloss


def merge_repeated_purpose(pieces: list[Piece]) -> list[Piece]:
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


def finish(w: GlossWriter) -> None:
    """Number groups in output order and write the user-facing notes."""
    renumber: dict[int, int] = {}
    items = []
    for it in w.result.items:
        g = renumber.setdefault(it.group, len(renumber))
        gloss, source = it.gloss, it.source
        if w.vocabulary is not None and gloss in w.vocabulary.stand_ins:
            gloss, how = w.vocabulary.stand_ins[gloss]  # no 여기 loaded: 여기로 (the data's)
            source = "synonym" if how == "synonym" else source
        items.append(
            GlossItem(gloss, it.surface, source, g, it.word, it.start, it.end, it.sentence)
        )
    w.result.items = items
    spelled = w.result.fingerspelled_words()
    if spelled:
        w.result.notes.append(
            "Fingerspelled (not in the sign lexicon): " + ", ".join(spelled) + "."
        )
    if w.result.skipped:
        w.result.notes.append("Not signed: " + describe_skipped(w.result.skipped) + ".")


def describe_skipped(skipped: list[Skipped], limit: int = 6) -> str:
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


def _short(text: str, limit: int = 20) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
