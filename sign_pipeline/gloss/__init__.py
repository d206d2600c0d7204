"""Korean text -> sign glosses, the first stage of the pipeline.

    from sign_pipeline.gloss import text_to_gloss, GlossResult, GlossError
    r = text_to_gloss("서울역까지 가려면 지하철 몇호선으로 환승 해야하나요?")
    r.glosses      # ['서울', '기차', '가다', '목적', '지하철', '바꾸다', '몇호']
    r.question     # True (a sentence mark for the face, not a gloss)
    r.items[0]     # GlossItem(gloss='서울', surface='서울', source='lexicon', ...)

See ``analyzer`` for the rules, ``numbers`` for how numbers are composed, ``fingerspelling``
for the finger alphabet, ``synonyms.json`` for the lemma -> gloss tables.
"""

from sign_pipeline.gloss.analyzer import (
    MAX_CHARS,
    MAX_SPELL_SYLLABLES,
    GlossAnalyzer,
    default_analyzer,
    get_kiwi,
    kiwi_load_seconds,
    text_to_gloss,
)
from sign_pipeline.gloss.result import GlossError, GlossItem, GlossResult, SentenceMarks, Skipped

__all__ = [
    "MAX_CHARS",
    "MAX_SPELL_SYLLABLES",
    "GlossAnalyzer",
    "GlossError",
    "GlossItem",
    "GlossResult",
    "SentenceMarks",
    "Skipped",
    "default_analyzer",
    "get_kiwi",
    "kiwi_load_seconds",
    "text_to_gloss",
]
