"""Nouns and the other words that are not predicates: runs of nouns, compounds written over
several tokens, digits inside a noun, Latin words, adverbs, pronouns and determiners.

Each function takes the writer and the sentence's tokens at ``i`` and returns the index of
the first token it did not use.
"""

from __future__ import annotations

import re

from sign_pipeline.gloss.numbers import (
    compose_number,
    digit_signs,
    needs_digit_by_digit,
    parse_digits,
)
from sign_pipeline.gloss.tokens import MAX_SPAN_TOKENS, NOUN_TAGS, Token, has_digit
from sign_pipeline.gloss.writer import GlossWriter


def pointable(w: GlossWriter, t: Token) -> bool:
    """True when ``t`` is a noun whose sign names a thing one can point at (버스, 문)."""
    if t.tag not in ("NNG", "NNP"):
        return False
    got = w.words.resolve_word(t.form, t.start, proper=t.tag == "NNP")
    if not got or got[0][1] is None:
        return False
    entry = w.words.inventory.get(got[0][1][0])
    return entry is not None and entry.category in w.tables.pointing_categories


def wh_phrase(w: GlossWriter, toks: list[Token], i: int, hit: tuple[str, tuple[str, ...]]) -> int:
    """어느 방향, 무슨 색: the noun, then the question sign, as one phrase (a question moves
    it to the end: 어느 방향으로 가요? -> 가다 방향 어디)."""
    t = toks[i]
    w.forced_phrase = w.new_phrase()
    try:
        j = noun_run(w, toks, i + 1, one_word=True)
        w.emit(hit[1], hit[0], t.start, t.end, "wh")
    finally:
        w.forced_phrase = None
    return j


def noun_run(w: GlossWriter, toks: list[Token], i: int, one_word: bool = False) -> int:
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
        if has_digit(nt.form):
            break
        j += 1
    run = toks[i:j]
    after = toks[j] if j < len(toks) else None
    verb_hit = None
    root_skipped = False
    if after is not None and after.tag in ("XSV", "XSA") and run[-1].tag != "XSN":
        verb_hit = w.words.lookup(run[-1].form + "하다")
        if verb_hit:
            run = run[:-1]
        elif run[-1].tag == "XR" and w.words.lookup(run[-1].form) is None:
            last = run.pop()  # 깨끗(하다): an adjective with no sign, not a noun to spell
            adjective = last.form + after.form + "다"
            w.skip(adjective, w.words.no_sign_reason(adjective), last.start, after.end)
            root_skipped = True
    resolve_run(w, run)
    if verb_hit:
        last = toks[j - 1]
        w.emit(verb_hit[1], verb_hit[0], last.start, after.end, "pred")
        w.flush_neg()
        return j + 1
    if after is not None and after.tag in ("XSV", "XSA"):
        if not root_skipped:
            w.mark_last_pred()
        return j + 1
    return j


def resolve_run(w: GlossWriter, run: list[Token]) -> None:
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
            hit = w.words.lookup(joined)
            if hit:
                found = ([(hit[0], hit[1], span[0].start, span[-1].end)], j)
                break
            if contiguous:
                proper = any(t.tag == "NNP" for t in span)
                last = span[-1]
                if proper and last.form in w.tables.dropped_name_parts:
                    head = w.words.place_head(joined, span[0].start)
                    if head:  # 홍대 + 입구 -> 홍대
                        found = (head, j)
                        break
                if last.form == w.tables.station_suffix or proper:
                    got = w.words.resolve_word(joined, span[0].start, proper=proper)
                    if (
                        got
                        and got[-1][1]
                        and got[-1][1][0]
                        in (
                            w.tables.station_gloss,
                            w.tables.railway_gloss,
                        )
                    ):
                        found = (got, j)
                        break
        if found is None:
            t = run[i]
            if t.tag == "XSN" or (w.words.dropped(t.form) and t.tag != "NNP"):
                i += 1
                continue
            got = w.words.resolve_word(t.form, t.start, proper=t.tag == "NNP")
            if got is None and t.tag == "XR":  # an adjective root with no sign
                w.skip(t.form, w.words.no_sign_reason(t.form), t.start, t.end)
                i += 1
                continue
            found = (got or [("spell", None, t.start, t.end)], i + 1)
        new, i = found
        for p in new:
            if parts and p[0] == "spell" and parts[-1][0] == "spell" and parts[-1][3] == p[2]:
                parts[-1] = ("spell", None, parts[-1][2], p[3])
            else:
                parts.append(p)
    w.emit_parts(parts)


def single_word(w: GlossWriter, toks: list[Token], i: int) -> int:
    """An adverb, determiner, pronoun or interjection (잘, 어느, 저, 네): its sign by its
    lemma, nothing for a dropped filler, a skip for one with no sign (never spelled but a
    pronoun whose gloss the backend lacks)."""
    t = toks[i]
    nxt = toks[i + 1] if i + 1 < len(toks) else None
    if nxt is not None and nxt.tag in ("XSV", "XSA"):
        hit = w.words.lookup(t.form + "하다")
        if hit:
            w.emit(hit[1], hit[0], t.start, nxt.end, "pred")
            w.flush_neg()
            return i + 2
    if w.words.dropped(t.lemma) or w.words.dropped(t.form):
        return i + 1
    got = w.words.resolve_word(t.lemma, t.start, proper=False, station=False)
    if got and t.lemma == t.form:
        w.emit_parts(got, spell_missing=t.tag == "NP")  # a pronoun, not an adverb
    elif got:  # the lemma is not the written text (어떻게 <- 어떻다): use the token's span
        for _source, glosses, _s, _e in got:
            w.emit(glosses, _source, t.start, t.end)
    else:
        w.skip(t.lemma, w.words.no_sign_reason(t.lemma), t.start, t.end)
    if nxt is not None and nxt.tag in ("XSV", "XSA"):
        w.mark_last_pred()
        return i + 2
    return i + 1


def mixed_token(w: GlossWriter, toks: list[Token], i: int) -> int:
    """A noun token with digits in it (2호선 tagged as one proper noun): number + rest."""
    t = toks[i]
    after_number = False
    for m in re.finditer(r"[0-9][0-9,]*|[^0-9]+", t.form):
        s, e = t.start + m.start(), t.start + m.end()
        piece = m.group()
        if after_number and piece[0] in w.tables.street_counters:
            s, piece = s + 1, piece[1:]  # 종로3가역: the street number's 가 is not signed
            if piece == w.tables.station_suffix:
                w.emit((w.tables.station_gloss,), "synonym", s, e)
                continue
        after_number = m.start() > 0 and piece[:1] in "0123456789" and bool(piece)
        if not piece:
            continue
        if piece[0] in "0123456789":
            value = parse_digits(piece.rstrip(","))
            if value is None or needs_digit_by_digit(piece):
                w.emit(digit_signs(piece), "number", s, e)
            else:
                w.emit(compose_number(value), "number", s, e)
        elif piece.strip():
            got = w.words.resolve_word(piece, s, proper=t.tag == "NNP")
            if got:
                w.emit_parts(got)
            else:
                w.spell(piece, s, e)
    return i + 1


def latin(w: GlossWriter, toks: list[Token], i: int) -> int:
    """Latin letters: the longest written span the tables know (KTX -> 기차), else skipped:
    the Korean finger alphabet has no Latin letters."""
    j = i
    while (
        j + 1 < len(toks)
        and toks[j + 1].tag in ("SL", "SO", "SN")
        and toks[j].end == toks[j + 1].start
    ):
        j += 1
    for k in range(j, i - 1, -1):
        span = w.text[toks[i].start : toks[k].end]
        hit = w.words.lookup(span)
        if hit:
            w.emit(hit[1], hit[0], toks[i].start, toks[k].end)
            return k + 1
    t = toks[i]
    w.skip(t.form, "Latin letters have no sign in Korean fingerspelling", t.start, t.end)
    return i + 1
