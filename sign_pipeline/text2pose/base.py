"""The text-to-pose interface: glosses + signer -> keypoints in the normalised frame.

Every backend (``lexicon``, and the learned ones) is one file in this folder that subclasses
:class:`Text2Pose`, sets ``name`` and registers itself with :func:`sign_pipeline.registry.register`.
No backend may be given reference lengths or frames: the length of the output is its own.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np


@dataclass
class GlossTiming:
    """Frames ``[start, end)`` during which ``gloss`` is signed (for subtitles)."""

    gloss: str
    start: int
    end: int


@dataclass
class PoseOutput:
    """Keypoints ``[T, 127, 2]`` in the normalised frame, mask ``[T, 127]``, fps, timings."""

    keypoints: np.ndarray
    mask: np.ndarray
    fps: float = 30.0
    timings: list[GlossTiming] = field(default_factory=list)

    def __len__(self) -> int:
        return int(self.keypoints.shape[0])

    def gloss_per_frame(self) -> list[str]:
        """The gloss being signed at each frame ("" in transitions and rest)."""
        labels = [""] * len(self)
        for t in self.timings:
            for i in range(max(0, t.start), min(len(self), t.end)):
                labels[i] = t.gloss
        return labels


class Text2Pose(ABC):
    """A text-to-pose backend."""

    name: ClassVar[str]
    #: Human-readable one-liner shown in the UI and ``--list``.
    description: ClassVar[str] = ""

    @classmethod
    @abstractmethod
    def from_pretrained(cls, path: str | Path) -> Text2Pose:
        """Load the backend from its checkpoint folder (offline)."""

    @abstractmethod
    def generate(
        self,
        glosses: list[str],
        signer: int = 1,
        speed: float = 1.0,
        question: str | None = None,
    ) -> PoseOutput:
        """Keypoints for a gloss sequence signed by ``signer`` (1-based) at ``speed`` (1 = normal).

        ``question`` ("wh" or "yes_no", from the gloss stage) asks for the question face
        on the final part of the signing; a backend that cannot show it ignores it.
        """

    def known_glosses(self) -> set[str] | None:
        """Glosses this backend can sign (None: any gloss of the lexicon)."""
        return None
