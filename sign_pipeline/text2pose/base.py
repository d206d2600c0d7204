"""The text-to-pose interface: the gloss result + signer -> keypoints in the normalised frame.

Every backend is one file in this folder whose name is the backend's name
(``lexicon.py`` -> "lexicon"): it subclasses :class:`Text2Pose` and decorates the class with
:func:`sign_pipeline.registry.register`. It receives a :class:`GlossInput` (per sentence: its
glosses, question type and where the question part starts, negation, tense), never a
reference length or reference frames: the length of the output is its own.

The pipeline calls :meth:`Text2Pose.sign`, which checks the input, calls the backend's
:meth:`Text2Pose.generate`, and applies speed and smoothing for a backend that cannot do
them itself (``handles_speed`` / ``smooths`` false).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from .. import motion
from .. import signers as signer_ids
from ..motion import GlossTiming

if TYPE_CHECKING:
    from ..gloss.result import GlossResult

__all__ = ["GlossInput", "GlossTiming", "PoseOutput", "SentencePlan", "Text2Pose"]

QUESTION_TYPES = motion.QUESTION_TYPES


@dataclass(frozen=True)
class SentencePlan:
    """One sentence to sign: its glosses and its non-manual marks.

    ``question`` is ``"wh"``, ``"yes_no"`` or None; the question face covers the glosses
    from ``question_start`` to the end of the sentence (a wh-question from its question
    word, a yes/no question over its last two glosses). ``tense`` is ``"past"``,
    ``"future"`` or None (no sign: a mark the learned models may condition on).
    """

    glosses: tuple[str, ...]
    question: str | None = None
    question_start: int = 0
    negation: bool = False
    tense: str | None = None

    def __post_init__(self) -> None:
        if self.question is not None and self.question not in QUESTION_TYPES:
            raise ValueError(f"question must be one of {QUESTION_TYPES} or None, got {self.question!r}")
        if not 0 <= self.question_start <= len(self.glosses):
            raise ValueError(
                f"question_start {self.question_start} outside 0..{len(self.glosses)}"
            )


def question_start(glosses: Sequence[str], question: str | None) -> int:
    """Where the question face starts: at the sentence's first wh-gloss (몇, 어디, ...) if it
    has one, else over its last two glosses; ``len(glosses)`` for a statement."""
    from ..gloss.analyzer import WH_GLOSSES

    if question is None:
        return len(glosses)
    for i, g in enumerate(glosses):
        if g in WH_GLOSSES:
            return i
    return max(0, len(glosses) - 2)


@dataclass(frozen=True)
class GlossInput:
    """What a text-to-pose backend signs: sentences in order (see :class:`SentencePlan`)."""

    sentences: tuple[SentencePlan, ...]

    @property
    def glosses(self) -> list[str]:
        """Every gloss in signing order."""
        return [g for s in self.sentences for g in s.glosses]

    def __len__(self) -> int:
        return sum(len(s.glosses) for s in self.sentences)

    def marks(self) -> list[dict]:
        """Per gloss: its sentence index, question type over it (or None), negation, tense.

        The learned models condition on these; the lexicon uses the question spans.
        """
        out = []
        for k, s in enumerate(self.sentences):
            for i, _ in enumerate(s.glosses):
                in_q = s.question is not None and i >= s.question_start
                out.append(
                    {
                        "sentence": k,
                        "question": s.question if in_q else None,
                        "negation": s.negation,
                        "tense": s.tense,
                    }
                )
        return out

    @classmethod
    def from_glosses(
        cls,
        glosses: Sequence[str],
        question: str | None = None,
        negation: bool = False,
        tense: str | None = None,
    ) -> GlossInput:
        """One sentence from a plain gloss list (tests, the CLI's gloss input, evaluation)."""
        g = tuple(glosses)
        return cls((SentencePlan(g, question, question_start(g, question), negation, tense),))

    @classmethod
    def from_gloss_result(cls, result: GlossResult) -> GlossInput:
        """The gloss stage's result, sentence by sentence, with its marks."""
        glosses = result.glosses
        plans = []
        covered = 0
        for s in result.sentences:
            g = tuple(glosses[s.first : s.last])
            covered += len(g)
            if not g:
                continue
            q = s.question_type if s.question else None
            if s.question and q is None:
                q = "yes_no"
            plans.append(SentencePlan(g, q, question_start(g, q), s.negation, s.tense))
        if covered != len(glosses):  # no sentence marks: one plain sentence
            return cls.from_glosses(glosses)
        return cls(tuple(plans))


@dataclass
class PoseOutput:
    """Keypoints ``[T, 127, 2]`` in the normalised frame, mask ``[T, 127]``, fps, timings.

    ``extras`` holds what a backend can show besides the keypoints (e.g. Tacotron's
    attention ``[T, n_glosses]``).
    """

    keypoints: np.ndarray
    mask: np.ndarray
    fps: float = 30.0
    timings: list[GlossTiming] = field(default_factory=list)
    extras: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.keypoints.shape[0])

    def gloss_per_frame(self) -> list[str]:
        """The gloss being signed at each frame ("" in transitions and rest)."""
        return motion.gloss_per_frame(self.timings, len(self))


class Text2Pose(ABC):
    """A text-to-pose backend."""

    #: Set by :func:`sign_pipeline.registry.register` from the file name.
    name: ClassVar[str] = ""
    #: The name users know it by on the page, in ``--list`` and the API ("Transformer");
    #: the registry also takes ``name`` and ``aliases`` in any case.
    label: ClassVar[str] = ""
    aliases: ClassVar[tuple[str, ...]] = ()
    #: Human-readable one-liner shown in the UI and ``--list``.
    description: ClassVar[str] = ""
    #: Checkpoint folder under the checkpoints root: "" = the backend's name, None = none.
    checkpoint: ClassVar[str | None] = ""
    #: False: :meth:`sign` resamples the output for ``speed`` (the backend ignores it).
    handles_speed: ClassVar[bool] = True
    #: False: :meth:`sign` low-passes body and hands (6 Hz, zero-phase).
    smooths: ClassVar[bool] = True

    @classmethod
    @abstractmethod
    def from_pretrained(cls, path: str | Path) -> Text2Pose:
        """Load the backend from its checkpoint folder (offline)."""

    @abstractmethod
    def generate(self, inputs: GlossInput, signer: int = 1, speed: float = 1.0) -> PoseOutput:
        """Keypoints for ``inputs`` signed by ``signer`` (1-based) at ``speed`` (1 = normal).

        Called through :meth:`sign`, which has already checked the glosses, the signer
        and the speed.
        """

    def known_glosses(self) -> set[str] | None:
        """Glosses this backend can sign (None: any gloss of the built-in inventory)."""
        return None

    def signers(self) -> list[int] | None:
        """Signer ids this backend knows (None: any id 1..16)."""
        return None

    def about(self) -> dict:
        """Where the backend's data came from: ``{"trained_on": str, "synthetic": bool}``
        (``synthetic``: the project's demo corpus, placeholder signs)."""
        return {"trained_on": "unknown", "synthetic": False}

    def sign(
        self, inputs: GlossInput | Sequence[str], signer: int = 1, speed: float = 1.0
    ) -> PoseOutput:
        """Check the input, generate, and apply speed/smoothing the backend does not do."""
        if not isinstance(inputs, GlossInput):
            inputs = GlossInput.from_glosses(list(inputs))
        glosses = inputs.glosses
        if not glosses:
            raise ValueError("no glosses to sign")
        bad = [g for g in glosses if not isinstance(g, str) or not g]
        if bad:
            raise ValueError(f"glosses must be non-empty strings, got {bad[:3]!r}")
        known = self.known_glosses()
        if known is not None:
            unknown = sorted({g for g in glosses if g not in known})
            if unknown:
                raise ValueError(
                    f"the {self.name} backend cannot sign {', '.join(unknown[:8])}"
                    + (" ..." if len(unknown) > 8 else "")
                    + " (not in its vocabulary)"
                )
        signer = signer_ids.check(signer, self.signers())
        try:
            speed = float(speed)
        except (TypeError, ValueError):
            raise ValueError(f"speed must be a number, got {speed!r}") from None
        if not 0.25 <= speed <= 4.0:
            raise ValueError(f"speed must be within 0.25..4, got {speed}")
        out = self.generate(inputs, signer=signer, speed=speed if self.handles_speed else 1.0)
        if not self.smooths:
            out = replace(out, keypoints=motion.lowpass(out.keypoints, out.fps))
        if not self.handles_speed and speed != 1.0:
            out = _resample_output(out, 1.0 / speed)
        return out


def _resample_output(out: PoseOutput, factor: float) -> PoseOutput:
    """The output played ``1 / factor`` times as fast, timings moved with it."""
    kp = motion.resample(out.keypoints, factor)
    mask = motion.resample_mask(out.mask, factor)
    scale = len(kp) / max(1, len(out))  # frame boundaries move with the clip
    timings = [
        GlossTiming(t.gloss, int(round(t.start * scale)), int(round(t.end * scale)))
        for t in out.timings
    ]
    return replace(out, keypoints=kp.astype(np.float32), mask=mask, timings=timings)
