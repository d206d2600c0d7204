"""Taught signs: real signs recorded by a person, used by every backend for their word.

``python -m sign_pipeline.signs add VIDEO --gloss WORD`` teaches one; see :mod:`.store` for
the folder, :mod:`.teach` for how a recording becomes a clip, :mod:`.retarget` for fitting
it to a signer and :mod:`.splice` for how the backends use it.
"""

from __future__ import annotations

from dataclasses import replace

from ..gloss.result import GlossResult
from .splice import WithTaughtSigns
from .store import TaughtSign, TaughtSigns, default_folder
from .teach import TeachError, check_word

#: Gloss sources that a taught sign takes over (fingerspelled letters and numbers keep theirs).
TAKEN_OVER = ("lexicon", "synonym")


def mark_taught(result: GlossResult, taught: set[str]) -> GlossResult:
    """``result`` with the source of each taught gloss set to "taught"."""
    if not taught:
        return result
    items = [replace(it, source="taught") if it.gloss in taught and it.source in TAKEN_OVER
             else it for it in result.items]  # fmt: skip
    return replace(result, items=items)


__all__ = ["TaughtSign", "TaughtSigns", "TeachError", "WithTaughtSigns", "check_word",
           "default_folder", "mark_taught"]  # fmt: skip
