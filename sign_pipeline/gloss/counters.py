"""Numbers in a sentence: number tokens joined and composed (``numbers``), the counter after a
number or 몇 (3 호선, 1250 원, 몇 시), clock times and serial numbers.

A street number's 가 in a place name is not signed (종로3가역 -> 종로 3 지하철); 시 반 is
30 분; a decimal fraction is signed as its whole part and reported as skipped.
"""

from __future__ import annotations

import re

from sign_pipeline.gloss.nouns import single_word
from sign_pipeline.gloss.numbers import (
    NATIVE_UNITS,
    compose_number,
    digit_signs,
    needs_digit_by_digit,
    parse_digits,
    parse_number_words,
)
from sign_pipeline.gloss.tokens import MAX_SPAN_TOKENS, NOUN_TAGS, Token
from sign_pipeline.gloss.writer import GlossWriter

CLOCK_TIME = re.compile(r"(\d{1,2}):(\d{2})")
DECIMAL = re.compile(r"(\d+)[.,](\d+)")


def number(w: GlossWriter, toks: list[Token], i: int) -> int:
    """A number from ``i`` (digits, number words, or both: 3만 5천) and its counter."""
    j = i
    acc = toks[i].form
    while j + 1 < len(toks):
        nt = toks[j + 1]
        if not (nt.tag in ("SN", "NR") or (nt.tag == "MM" and nt.form in NATIVE_UNITS)):
            break
        gap = w.text[toks[j].end : nt.start]
        if gap and not (gap.isspace() and acc[-1:] in ("만", "억", "조")):
            break
        if parse_number_words(acc + nt.form) is None:
            break
        acc += nt.form
        j += 1
    first, last = toks[i], toks[j]
    phrase_id = w.new_phrase()
    if first is last and first.tag == "SN":
        dec = DECIMAL.fullmatch(acc)
        if needs_digit_by_digit(acc) or acc in w.tables.digit_by_digit:
            w.emit(digit_signs(acc), "number", first.start, last.end, phrase=phrase_id)
            return counter(w, toks, j + 1, None)
        if dec and parse_digits(acc) is None:
            w.emit(
                compose_number(int(dec.group(1))),
                "number",
                first.start,
                last.end,
                phrase=phrase_id,
            )
            w.skip(
                acc[len(dec.group(1)) :],
                "no sign for a decimal fraction",
                first.start,
                last.end,
            )
            return counter(w, toks, j + 1, None)
    value = parse_number_words(acc)
    if value is None:
        if first.tag == "SN":
            w.emit(digit_signs(acc), "number", first.start, last.end, phrase=phrase_id)
        else:
            for k in range(i, j + 1):
                single_word(w, toks, k)
        return j + 1 if first.tag != "SN" else counter(w, toks, j + 1, None)
    w.emit(compose_number(value), "number", first.start, last.end, phrase=phrase_id)
    return counter(w, toks, j + 1, None)


def counter(w: GlossWriter, toks: list[Token], k: int, phrase_id: int | None) -> int:
    """A counter right after a number or 몇 (3호선, 2번, 30분, 1,250원, 몇 시)."""
    if k >= len(toks):
        return k
    c = toks[k]
    gap = w.text[toks[k - 1].end : c.start]
    named = k >= 2 and toks[k - 2].tag == "NNP"  # 종로 3가, not 3가구
    if named and not gap and c.form in w.tables.street_counters and c.tag in ("NNG", "NNB"):
        nxt = toks[k + 1] if k + 1 < len(toks) else None  # 종로 3 가 (역): not signed
        if nxt is not None and nxt.form == w.tables.station_suffix and nxt.start == c.end:
            w.emit((w.tables.station_gloss,), "synonym", nxt.start, nxt.end)
            return k + 2
        return k + 1
    is_counter = c.tag == "NNB" or (c.tag == "NNG" and c.form in w.tables.time_counters)
    if not is_counter or len(gap) > 1 or (gap and not gap.isspace()):
        return k
    if c.form in w.tables.drop_counters:
        return k + 1
    for m in range(min(len(toks), k + MAX_SPAN_TOKENS), k + 1, -1):  # 4 + 호 + 선 -> 호선
        span = toks[k:m]
        if all(x.tag in NOUN_TAGS for x in span) and all(
            a.end == b.start for a, b in zip(span, span[1:], strict=False)
        ):
            hit = w.words.lookup("".join(x.form for x in span))
            if hit:
                w.emit(hit[1], hit[0], c.start, span[-1].end, phrase=phrase_id)
                return m
    if c.form == "분":
        w.emit(("분",), "lexicon", c.start, c.end, phrase=phrase_id)
    else:
        got = w.words.resolve_word(c.form, c.start, proper=False, station=False)
        if got:
            w.emit_parts(got, phrase=phrase_id)
        else:
            w.spell(c.form, c.start, c.end, phrase=phrase_id)
    nxt = toks[k + 1] if k + 1 < len(toks) else None
    if c.form == "시" and nxt is not None and nxt.form == "반" and nxt.tag == "NNG":
        w.emit(("30",), "number", nxt.start, nxt.end, phrase=phrase_id)
        w.emit(("분",), "synonym", nxt.start, nxt.end, phrase=phrase_id)
        return k + 2
    return k + 1


def serial(w: GlossWriter, t: Token, i: int) -> int:
    """A token Kiwi tags as a serial number: a clock time (10:30 -> 10 시 30 분) or digits
    signed one by one (phone numbers)."""
    m = CLOCK_TIME.fullmatch(t.form)
    if m and int(m.group(1)) <= 24 and int(m.group(2)) < 60:
        w.emit(compose_number(int(m.group(1))), "number", t.start, t.start + len(m.group(1)))
        w.emit(("시",), "synonym", t.start, t.end)
        if int(m.group(2)):
            w.emit(compose_number(int(m.group(2))), "number", t.end - 2, t.end)
            w.emit(("분",), "synonym", t.start, t.end)
        return i + 1
    digits = digit_signs(t.form)
    if digits:
        w.emit(digits, "number", t.start, t.end)
    rest = re.sub(r"[\d\s\-./:]", "", t.form)
    if rest or not digits:
        w.skip(rest or t.form, "characters with no sign in a serial number", t.start, t.end)
    return i + 1
