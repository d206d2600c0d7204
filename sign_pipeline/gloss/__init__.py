"""Korean text -> sign glosses, the first stage of the pipeline.

    from sign_pipeline.gloss import text_to_gloss, GlossResult, GlossError
    r = text_to_gloss("서울역까지 가려면 지하철 몇호선으로 환승 해야하나요?")
    r.glosses      # ['서울', '기차', '가다', '목적', '지하철', '바꾸다', '몇호']
    r.question     # True (a sentence mark for the face, not a gloss)
    r.items[0]     # GlossItem(gloss='서울', surface='서울', source='lexicon', ...)
    text_to_gloss(text, vocabulary=backend.known_glosses())  # only what the backend signs

See ``analyzer`` for the rules and a map of the modules, ``numbers`` for how numbers are
composed, ``fingerspelling`` for the finger alphabet, ``vocabulary`` for signing against a
backend's own glosses, ``synonyms.json`` for the lemma -> gloss tables, ``memory`` for glossing a dataset's
sentence patterns as its annotators do (``text_to_gloss(text, memory=load_memory(folder))``).
"""

from sign_pipeline.gloss.analyzer import (
    MAX_CHARS,
    MAX_SPELL_SYLLABLES,
    NEG_GLOSSES,
    NO_SIGN,
    NOT_LOADED,
    NOT_SPELLABLE,
    WH_GLOSSES,
    GlossAnalyzer,
    analyzer_for,
    default_analyzer,
    get_kiwi,
    kiwi_load_seconds,
    text_to_gloss,
)
from sign_pipeline.gloss.memory import GlossMemory, load_memory
from sign_pipeline.gloss.result import GlossError, GlossItem, GlossResult, SentenceMarks, Skipped

__all__ = [
    "MAX_CHARS",
    "MAX_SPELL_SYLLABLES",
    "NEG_GLOSSES",
    "NOT_LOADED",
    "NOT_SPELLABLE",
    "NO_SIGN",
    "WH_GLOSSES",
    "GlossAnalyzer",
    "GlossError",
    "GlossItem",
    "GlossMemory",
    "GlossResult",
    "SentenceMarks",
    "Skipped",
    "analyzer_for",
    "default_analyzer",
    "get_kiwi",
    "kiwi_load_seconds",
    "load_memory",
    "text_to_gloss",
]
