"""Input cleaning before morphological analysis: HTML, invisible characters, width, spacing."""

from __future__ import annotations

import html
import re
import unicodedata

_HTML_TAG = re.compile(r"<\s*/?\s*[A-Za-z!][^<>]*>")
_HTML_BLOCK = re.compile(r"<\s*(script|style)\b[^>]*>.*?<\s*/\s*\1\s*>", re.IGNORECASE | re.DOTALL)
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_HTML_ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|[A-Za-z]{2,8});")
_SPACES = re.compile(r"\s+")

_REMOVED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn"}


def clean_text(text: str) -> tuple[str, list[str]]:
    """Text ready for Kiwi, and notes for the user about what was changed.

    HTML tags, comments and script/style blocks are removed and entities decoded; control,
    format (zero-width, bidi), private-use, surrogate and unassigned characters are removed;
    full-width ASCII becomes ASCII; every run of whitespace becomes one space; NFC.
    """
    notes: list[str] = []
    if _HTML_TAG.search(text) or _HTML_COMMENT.search(text):
        text = _HTML_BLOCK.sub(" ", text)
        text = _HTML_COMMENT.sub(" ", text)
        text = _HTML_TAG.sub(" ", text)
        text = html.unescape(text)
        notes.append("HTML markup was removed.")
    elif _HTML_ENTITY.search(text):
        text = html.unescape(text)
    out = []
    removed = 0
    for ch in text:
        o = ord(ch)
        if 0xFF01 <= o <= 0xFF5E:  # full-width ASCII
            out.append(chr(o - 0xFEE0))
            continue
        cat = unicodedata.category(ch)
        if ch.isspace() or cat in ("Zs", "Zl", "Zp"):
            out.append(" ")
        elif cat in _REMOVED_CATEGORIES:
            removed += ch != "\u200d"  # a zero-width joiner inside an emoji is no news
        else:
            out.append(ch)
    if removed:
        notes.append(f"{removed} control or invisible character(s) were removed.")
    text = unicodedata.normalize("NFC", "".join(out))
    return _SPACES.sub(" ", text).strip(), notes
