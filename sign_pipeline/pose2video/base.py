"""The pose-to-video interface: normalised keypoints + signer -> RGB frames.

Every backend is one file in this folder whose name is the backend's name (``avatar.py`` ->
"avatar"): it subclasses :class:`Pose2Video` and decorates the class with
:func:`sign_pipeline.registry.register`. The pipeline calls :meth:`Pose2Video.draw`, which
checks the input and calls the backend's :meth:`Pose2Video.render`.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import numpy as np

from .. import signers as signer_ids
from .. import skeleton as sk

#: Points further than this from the neck (in shoulder widths) are treated as missing.
MAX_REACH = 20.0


class Pose2Video(ABC):
    """A pose-to-video backend."""

    #: Set by :func:`sign_pipeline.registry.register` from the file name.
    name: ClassVar[str] = ""
    #: The name users know it by on the page, in ``--list`` and the API ("Transformer");
    #: the registry also takes ``name`` and ``aliases`` in any case.
    label: ClassVar[str] = ""
    aliases: ClassVar[tuple[str, ...]] = ()
    description: ClassVar[str] = ""
    #: Checkpoint folder under the checkpoints root: "" = the backend's name, None = none.
    checkpoint: ClassVar[str | None] = ""
    #: May be slower than real time on a CPU (a network draws each frame): the app measures
    #: it (:meth:`measure_speed`) and streams its video as it is drawn unless it keeps up.
    streams: ClassVar[bool] = False
    #: Milliseconds a frame measured on this machine by :meth:`measure_speed` (None: not yet).
    ms_per_frame: float | None = None

    @classmethod
    @abstractmethod
    def from_pretrained(cls, path: str | Path | None = None) -> Pose2Video:
        """Load the backend from its checkpoint folder (offline); None for backends without one."""

    @abstractmethod
    def render(self, keypoints: np.ndarray, mask: np.ndarray, signer: int = 1) -> np.ndarray:
        """Frames uint8 ``[T, H, W, 3]`` for normalised keypoints ``[T, 127, 2]`` as ``signer``.

        Called through :meth:`draw`, which has checked shapes, signer and values.
        """

    def signers(self) -> list[int] | None:
        """Signer ids this backend can show (None: any id 1..16)."""
        return None

    def describe_signer(self, signer: int) -> str:
        """A few words on how ``signer`` looks (for menus); "" when there is nothing to say."""
        return ""

    def runtime(self) -> str:
        """What draws the frames: "openvino f32"/"openvino bf16" (the inference runtime),
        "eager" (PyTorch), or "drawn" (no network: this base class's answer)."""
        return "drawn"

    def measure_speed(
        self, keypoints: np.ndarray, mask: np.ndarray | None, signer: int = 1, repeats: int = 3
    ) -> float:
        """Milliseconds a frame drawing ``keypoints`` (median of ``repeats`` after one draw
        that loads and converts what it needs), kept in :attr:`ms_per_frame`."""
        self.draw(keypoints[:2], None if mask is None else mask[:2], signer)
        for _ in range(repeats):
            t0 = time.perf_counter()
            self.draw(keypoints, mask, signer)
            self.note_speed((time.perf_counter() - t0) / len(keypoints) * 1000)
        return self.ms_per_frame

    def note_speed(self, ms: float) -> None:
        """Record a measured ms/frame (a clip just drawn): :attr:`ms_per_frame` is the median
        of the last five, so one draw on a busy moment does not decide alone."""
        recent = self.__dict__.setdefault("_recent_speeds", [])
        recent.append(float(ms))
        del recent[:-5]
        self.ms_per_frame = float(np.median(recent))

    def keeps_up(self, fps: float) -> bool:
        """Whether frames come at least ``fps`` a second here: always for a backend that
        does not stream, else as measured (:meth:`measure_speed`; not measured: no)."""
        if not self.streams:
            return True
        return self.ms_per_frame is not None and self.ms_per_frame <= 1000.0 / fps

    def draw(self, keypoints: np.ndarray, mask: np.ndarray | None, signer: int = 1) -> np.ndarray:
        """Check the input and render it.

        Points that are masked, NaN/inf, or further than ``MAX_REACH`` shoulder widths from
        the neck (no frame can show them) are treated as missing.
        """
        kp, m, signer = self._checked(keypoints, mask, signer)
        return self.render(kp, m, signer=signer)

    def draw_chunks(
        self, keypoints: np.ndarray, mask: np.ndarray | None, signer: int = 1, chunk: int = 15
    ) -> Iterator[np.ndarray]:
        """:meth:`draw` in pieces of ``chunk`` frames, each yielded as soon as it is drawn
        (for streaming); the pieces put together are what :meth:`draw` returns."""
        if chunk < 1:
            raise ValueError(f"chunk must be at least 1 frame, got {chunk}")
        kp, m, signer = self._checked(keypoints, mask, signer)
        yield from self.render_chunks(kp, m, signer, chunk)

    def render_chunks(
        self, keypoints: np.ndarray, mask: np.ndarray, signer: int, chunk: int
    ) -> Iterator[np.ndarray]:
        """Rendered pieces (called through :meth:`draw_chunks`); a backend whose frames
        depend on the ones before overrides this to carry its state across pieces."""
        for a in range(0, len(keypoints), chunk):
            yield self.render(keypoints[a : a + chunk], mask[a : a + chunk], signer=signer)

    def _checked(
        self, keypoints: np.ndarray, mask: np.ndarray | None, signer: int
    ) -> tuple[np.ndarray, np.ndarray, int]:
        kp = np.asarray(keypoints, np.float32)
        if kp.ndim != 3 or kp.shape[1:] != (sk.NUM_POINTS, 2):
            raise ValueError(f"keypoints must be [T, {sk.NUM_POINTS}, 2], got {list(kp.shape)}")
        if len(kp) == 0:
            raise ValueError("no frames to render")
        m = np.ones(kp.shape[:2], bool) if mask is None else np.asarray(mask, bool)
        if m.shape != kp.shape[:2]:
            raise ValueError(f"mask must be [T, {sk.NUM_POINTS}], got {list(m.shape)}")
        with np.errstate(invalid="ignore"):
            ok = np.isfinite(kp).all(axis=-1) & (np.abs(kp) <= MAX_REACH).all(axis=-1)
        m = m & ok
        kp = np.where(ok[..., None], kp, 0.0).astype(np.float32)
        return kp, m, signer_ids.check(signer, self.signers())
