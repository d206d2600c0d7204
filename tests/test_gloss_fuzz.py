"""Random Unicode never crashes or hangs the gloss stage: a result or one GlossError."""

from __future__ import annotations

import json
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sign_pipeline.gloss import GlossError, GlossResult, get_kiwi, text_to_gloss
from sign_pipeline.gloss.result import SOURCES
from sign_pipeline.lexicon import load_inventory

INVENTORY = load_inventory()

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


def _check(text: str) -> None:
    get_kiwi()  # loading the model (~1 s) is not analysing
    t0 = time.perf_counter()
    try:
        result = text_to_gloss(text)
    except GlossError as err:
        assert str(err)
        assert err.result is None or isinstance(err.result, GlossResult)
        return
    finally:
        assert time.perf_counter() - t0 < 2.0  # never hangs (one call takes ~1 ms)
    assert result.glosses, "a result always has glosses"
    assert all(g in INVENTORY for g in result.glosses)
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
