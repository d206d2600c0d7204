"""Readers and writers of keypoint formats (AI Hub OpenPose JSON + morpheme JSON, .skels,
.pose, video via MediaPipe), all mapping onto the 127-point layout of
:mod:`sign_pipeline.skeleton`.
"""

from __future__ import annotations

import json
from pathlib import Path


class FormatError(ValueError):
    """A file is not in the expected format; the message names the file and the problem."""


def read_json(path: Path) -> object:
    """Parse a JSON file; unreadable, empty or invalid files raise FormatError naming it."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as err:
        raise FormatError(f"{path}: not UTF-8 text ({err.reason})") from None
    except OSError as err:
        raise FormatError(f"{path}: cannot read ({err.strerror or err})") from None
    if not text.strip():
        raise FormatError(f"{path}: empty file")
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise FormatError(
            f"{path}: invalid JSON ({err.msg} at line {err.lineno} column {err.colno}; "
            "truncated file?)"
        ) from None


__all__ = ["FormatError", "read_json"]
