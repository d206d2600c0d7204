"""Any text-to-pose backend with the taught signs: each taught gloss is the person's clip.

:class:`WithTaughtSigns` wraps a backend (lexicon, Transformer, Tacotron). The backend signs
the sentence without the taught glosses; each taught clip (fitted to the signer, see
:mod:`sign_pipeline.signs.retarget`) is then put in where its gloss belongs, between the
backend's own signs (their gloss timings), joined by the same minimum-jerk transitions the
lexicon uses. A built-in gloss is taught only with ``--replace``, so every taught sign is
used.

``taught_only``: nothing the backend invented is shown. Taught glosses are signed; any other
gloss is held over the signer's rest pose with its caption and reported in
``PoseOutput.extras["not_signed"]``.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..motion import GlossTiming, minimum_jerk, transition_frames
from ..text2pose.base import GlossInput, PoseOutput, SentencePlan, Text2Pose
from .retarget import fit_clip
from .store import TaughtSigns

#: Frames of a transition into or out of a taught clip at speed 1 (the lexicon's).
TRANSITION_FRAMES = 6
#: Peak hand speed in those transitions (shoulder widths a frame; the lexicon's).
MAX_TRANSITION_SPEED = 0.2
#: Rest frames before and after a sentence signed from taught clips alone.
REST_FRAMES = 6
#: How long a gloss without a taught sign is held (captioned) in taught-only mode.
HOLD_S = 0.8
FPS = 30.0


class WithTaughtSigns(Text2Pose):
    """``base`` signing with the taught signs of ``signs`` (see the module docstring)."""

    def __init__(self, base: Text2Pose, signs: TaughtSigns, taught_only: bool = False) -> None:
        self.base = base
        self.signs = signs
        self.taught_only = taught_only
        self.name, self.label = base.name, base.label
        self.description = base.description
        self._rest: dict[int, np.ndarray] = {}

    @classmethod
    def from_pretrained(cls, path):  # pragma: no cover - built around a loaded backend
        raise TypeError("wrap a loaded backend: WithTaughtSigns(backend, TaughtSigns(folder))")

    def known_glosses(self) -> set[str] | None:
        base = self.base.known_glosses()
        if base is None:
            from ..inventory import load_inventory

            base = set(load_inventory())
        return set(base) | self.signs.glosses()

    def signers(self) -> list[int] | None:
        return self.base.signers()

    def about(self) -> dict:
        return dict(self.base.about(), taught_signs=len(self.signs), taught_only=self.taught_only)

    def __getattr__(self, name: str):
        base = self.__dict__.get("base")  # absent while unpickling
        if base is None:
            raise AttributeError(name)
        return getattr(base, name)  # the backend's own attributes (model, config, ...)

    # ------------------------------------------------------------------ generation

    def generate(self, inputs: GlossInput, signer: int = 1, speed: float = 1.0) -> PoseOutput:
        taught = self.signs.glosses()
        glosses = inputs.glosses
        used = [g in taught for g in glosses]
        if not any(used) and not self.taught_only:
            return self.base.sign(inputs, signer, speed)
        kept = _without(inputs, used)
        if self.taught_only or kept is None:
            rest = self.rest_pose(signer)
            out = PoseOutput(np.repeat(rest[None], 2 * REST_FRAMES, axis=0),
                             np.ones((2 * REST_FRAMES, rest.shape[0]), bool), FPS)  # fmt: skip
            anchors = [REST_FRAMES] * len(glosses)
        else:
            out = self.base.sign(kept, signer, speed)
            rest = self._rest.setdefault(signer, out.keypoints[0].copy())
            anchors = _anchors(used, out.timings, len(out))
        return self._insert(out, glosses, used, anchors, rest, speed)

    def rest_pose(self, signer: int) -> np.ndarray:
        """The signer at rest as this backend draws them (its first frame)."""
        if signer not in self._rest:
            rest = getattr(self.base, "rest", None)
            if isinstance(rest, dict) and signer in rest:
                self._rest[signer] = np.asarray(rest[signer], np.float32)
            else:
                first = sorted(self.base.known_glosses() or {"여기"})[0]
                probe = self.base.sign(GlossInput.from_glosses([first]), signer, 1.0)
                self._rest[signer] = probe.keypoints[0].copy()
        return self._rest[signer]

    def _insert(self, out: PoseOutput, glosses: list[str], used: list[bool],
                anchors: list[int], rest: np.ndarray, speed: float) -> PoseOutput:  # fmt: skip
        """``out`` with each taught (or, taught-only, held) gloss put in at its anchor frame."""
        kp, fps = out.keypoints, out.fps
        base_timings = iter(out.timings)
        pieces, timings, not_signed, pos, shift = [], [], [], 0, 0
        for i, gloss in enumerate(glosses):
            if not used[i] and not self.taught_only:
                t = next(base_timings)
                timings.append(GlossTiming(t.gloss, t.start + shift, t.end + shift))
                continue
            cut = anchors[i]
            if cut > pos:
                pieces.append(kp[pos:cut])
                pos = cut
            before = pieces[-1][-1] if pieces else kp[0]
            if used[i]:
                entry = self.signs.clip(gloss)
                clip = fit_clip(entry.keypoints, entry.mask, entry.fps, rest, fps, speed)
            else:  # taught-only: the rest pose, captioned
                not_signed.append(gloss)
                clip = np.repeat(rest[None], max(2, int(round(HOLD_S * fps / speed))), axis=0)
            lead = self._transition(before, clip[0], speed)
            start = sum(len(p) for p in pieces) + len(lead)
            pieces += [lead, clip]
            timings.append(GlossTiming(gloss, start, start + len(clip)))
            if i + 1 == len(glosses) or anchors[i + 1] != cut or not used[i + 1]:
                pieces.append(self._transition(clip[-1], kp[min(cut, len(kp) - 1)], speed))
            shift = sum(len(p) for p in pieces) - pos
        pieces.append(kp[pos:])
        frames = np.concatenate(pieces).astype(np.float32)
        extras = {k: v for k, v in out.extras.items() if k != "attention"}  # frames moved
        extras.update(taught=[g for g, u in zip(glosses, used, strict=True) if u],
                      not_signed=not_signed)  # fmt: skip
        timings.sort(key=lambda t: t.start)
        return replace(out, keypoints=frames, mask=np.ones(frames.shape[:2], bool),
                       timings=timings, extras=extras)  # fmt: skip

    def _transition(self, a: np.ndarray, b: np.ndarray, speed: float) -> np.ndarray:
        base = max(2, int(round(TRANSITION_FRAMES / speed)))
        n = transition_frames(a, b, base, speed, MAX_TRANSITION_SPEED)
        return minimum_jerk(a, b, n)


def _without(inputs: GlossInput, used: list[bool]) -> GlossInput | None:
    """``inputs`` with the taught glosses left out (None when nothing is left)."""
    flags = iter(used)
    plans = []
    for s in inputs.sentences:
        keep = [not next(flags) for _ in s.glosses]
        glosses = tuple(g for g, k in zip(s.glosses, keep, strict=True) if k)
        if not glosses:
            continue
        q_start = sum(keep[: s.question_start])
        plans.append(SentencePlan(glosses, s.question if q_start < len(glosses) else None,
                                  min(q_start, len(glosses)), s.negation, s.tense))  # fmt: skip
    return GlossInput(tuple(plans)) if plans else None


def _anchors(used: list[bool], timings: list[GlossTiming], n_frames: int) -> list[int]:
    """Per gloss, the frame of the backend's output where a taught gloss goes in: after the
    end of the backend's previous sign, or before its first (after a few rest frames)."""
    out, k = [], 0
    for u in used:
        if not u:
            out.append(-1)
            k += 1
        elif k == 0:
            out.append(max(1, min(REST_FRAMES, timings[0].start if timings else n_frames)))
        else:
            out.append(min(timings[k - 1].end, n_frames - 1))
    return out
