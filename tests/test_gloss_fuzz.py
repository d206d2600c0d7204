"""Random Unicode never crashes or hangs the gloss stage: a result or one GlossError."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sign_pipeline.gloss import GlossError, GlossResult, text_to_gloss
from sign_pipeline.gloss.result import SOURCES
from sign_pipeline.inventory import finger_alphabet, load_inventory

INVENTORY = load_inventory()
#: a backend that knows every other word, no ㅂ, and glosses of its own
SMALL = (
    frozenset(list(INVENTORY)[::2])
    | (frozenset(finger_alphabet()) - {"ㅂ"})
    | {"쥐", "1회", "여기로"}
)

# Text that looks like what passengers type: Hangul, jamo, digits, Latin, punctuation, emoji,
# control characters and markup, mixed.
_PIECES = st.one_of(
    st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3),
    st.characters(min_codepoint=0x3131, max_codepoint=0x318E),
    st.characters(min_codepoint=0x1100, max_codepoint=0x11FF),
    st.sampled_from(list("0123456789,.:-?!~ %<>&;/#@\t\n\x00\x07\u200b\ufeff😀🚇")),
    st.characters(min_codepoint=0x41, max_codepoint=0x7A),
    st.sampled_from(
        ["지하철", "역", "몇", "안", "못", "호선", "원", "<b>", "</b>", "&amp;", "서울역", "까지"]
    ),
)
KOREANISH = st.lists(_PIECES, max_size=120).map("".join)


def _check(text: str, vocabulary: frozenset[str] | None = None) -> None:
    # (speed is measured in benchmarks/gloss_speed.py, not asserted here)
    try:
        result = text_to_gloss(text, vocabulary=vocabulary)
    except GlossError as err:
        assert str(err)
        assert err.result is None or isinstance(err.result, GlossResult)
        return
    assert result.glosses, "a result always has glosses"
    assert all(g in (INVENTORY if vocabulary is None else vocabulary) for g in result.glosses)
    assert all(it.source in SOURCES for it in result.items)
    n = len(result.normalized_text)
    assert all(0 <= it.start <= it.end <= n for it in result.items)
    assert sum(v for k, v in result.gloss_counts.items()) == len(result.glosses)
    assert result.sentences[-1].last == len(result.items)
    json.loads(result.to_json())


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400))
def test_random_unicode(text: str):
    _check(text)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(KOREANISH)
def test_korean_like_text(text: str):
    _check(text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(KOREANISH)
def test_korean_like_text_with_a_small_vocabulary(text: str):
    _check(text, SMALL)
