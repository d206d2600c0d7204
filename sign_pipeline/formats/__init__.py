"""Readers and writers of keypoint formats (AI Hub OpenPose JSON + morpheme JSON, .skels,
.pose, video via MediaPipe), all mapping onto the 127-point layout of
:mod:`sign_pipeline.skeleton`.
"""

from __future__ import annotations


class FormatError(ValueError):
    """A file is not in the expected format; the message names the file and the problem."""


__all__ = ["FormatError"]
