"""The pose-to-video interface: normalised keypoints + signer -> RGB frames.

Every backend (``avatar``, and the learned ones) is one file in this folder that subclasses
:class:`Pose2Video`, sets ``name`` and registers itself with :func:`sign_pipeline.registry.register`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import ClassVar

import numpy as np


class Pose2Video(ABC):
    """A pose-to-video backend."""

    name: ClassVar[str]
    description: ClassVar[str] = ""

    @classmethod
    @abstractmethod
    def from_pretrained(cls, path: str | Path | None = None) -> Pose2Video:
        """Load the backend from its checkpoint folder (offline); None for backends without one."""

    @abstractmethod
    def render(self, keypoints: np.ndarray, mask: np.ndarray, signer: int = 1) -> np.ndarray:
        """Frames uint8 ``[T, H, W, 3]`` for normalised keypoints ``[T, 127, 2]`` as ``signer``."""
