"""Concatenative text-to-pose in the style of sign.mt: look each gloss up, join the clips.

Per signer, one clip per gloss (from the corpus's WORD clips, or cut from sentences by their
morpheme spans) is stored in ``checkpoints/lexicon``. Generation plays the clips in order:
consecutive clips are joined at the closest pair of frames inside a short window, bridged by
a minimum-jerk transition, framed by the signer's rest pose, and low-pass filtered
(zero-phase Butterworth) on body and hands. Finger-alphabet letters hold the last letter of a
word longer. ``speed`` resamples the clips and shortens the transitions.

Build the data with ``python -m training.build_lexicon --data PREPARED --out checkpoints/lexicon``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import skeleton as sk
from ..inventory import load_inventory
from ..motion import GlossTiming, lowpass, minimum_jerk, question_face, resample, transition_frames
from ..registry import register
from .base import GlossInput, PoseOutput, Text2Pose

#: Values are stored as int16 multiples of this (shoulder widths), delta-coded along time:
#: 0.002 shoulder widths is about 0.15 px in the avatar's 256 x 256 frame.
QUANTUM = 2e-3


@dataclass
class LexiconConfig:
    fps: float = 30.0
    join_window_s: float = 0.3
    transition_frames: int = 6
    rest_frames: int = 6
    lowpass_hz: float = 8.0
    lowpass_order: int = 4
    finger_hold: float = 2.0
    #: Word clips longer than this are sped up to it inside sentences (as sign.mt does).
    max_sign_s: float = 0.85
    #: Finger-alphabet letters inside a word are signed in this time (2.5 letters a second).
    letter_s: float = 0.4
    #: Peak hand speed in a transition (shoulder widths per frame at speed 1): 0.2 keeps the
    #: pace at real signing's ~0.78 s per gloss.
    max_transition_speed: float = 0.2

    @classmethod
    def from_dict(cls, d: dict) -> LexiconConfig:
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})


def encode_clips(
    clips: list[np.ndarray], quantum: float = QUANTUM
) -> tuple[np.ndarray, np.ndarray]:
    """Quantise and delta-code clips ``[n_i, 127, 2]`` for compact storage."""
    lengths = np.array([len(c) for c in clips], np.int32)
    q = [np.round(np.asarray(c, np.float64) / quantum).astype(np.int32) for c in clips]
    deltas = [np.diff(c, axis=0, prepend=np.zeros_like(c[:1])) for c in q]
    flat = np.concatenate(deltas, axis=0)
    if np.abs(flat).max(initial=0) >= 2**15:
        raise ValueError("keypoints too large to store as int16 deltas; are they normalised?")
    return flat.astype(np.int16), lengths


def decode_clips(
    flat: np.ndarray, lengths: np.ndarray, quantum: float = QUANTUM
) -> list[np.ndarray]:
    """Inverse of :func:`encode_clips`."""
    out, pos = [], 0
    for n in lengths:
        seg = np.cumsum(flat[pos : pos + n].astype(np.int32), axis=0)
        out.append((seg * quantum).astype(np.float32))
        pos += n
    return out


def _join_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise distances between frames of a ``[n,127,2]`` and b ``[m,127,2]`` (body + hands)."""
    keep = np.r_[sk.POSE.start : sk.POSE.stop, sk.LEFT_HAND.start : sk.RIGHT_HAND.stop]
    fa = a[:, keep].reshape(len(a), -1)
    fb = b[:, keep].reshape(len(b), -1)
    return np.linalg.norm(fa[:, None, :] - fb[None, :, :], axis=-1)


@register
class LexiconText2Pose(Text2Pose):
    name = "lexicon"
    label = "lexicon"
    description = "Lexicon concatenation (sign.mt style): no training, one clip per gloss"

    def __init__(
        self,
        clips: dict[tuple[int, str], np.ndarray],
        rest: dict[int, np.ndarray],
        config: LexiconConfig,
    ) -> None:
        self.clips = clips
        self.rest = rest
        self.config = config
        self._signer_ids = sorted(rest)
        self._glosses = {g for _, g in clips}
        #: where the clips came from (see :meth:`Text2Pose.about`)
        self.origin: dict = {"trained_on": "clips given in code", "synthetic": False}
        inv = load_inventory()
        self._letters = {g for g, e in inv.items() if e.is_finger_letter}

    # ------------------------------------------------------------------ storage

    @classmethod
    def from_pretrained(cls, path: str | Path) -> LexiconText2Pose:
        path = Path(path)
        cfg = json.loads((path / "config.json").read_text(encoding="utf-8"))
        with np.load(path / "clips.npz") as z:
            flat, lengths = z["deltas"], z["lengths"]
            rest_arr = z["rest"].astype(np.float32)
        keys = cfg["clips"]  # list of [signer, gloss]
        decoded = decode_clips(flat, lengths, float(cfg.get("quantum", QUANTUM)))
        clips = {(int(s), g): c for (s, g), c in zip(keys, decoded)}
        rest = {int(s): rest_arr[i] for i, s in enumerate(cfg["signers"])}
        backend = cls(clips, rest, LexiconConfig.from_dict(cfg.get("generation", {})))
        synthetic = bool(cfg.get("synthetic", "Placeholder" in cfg.get("note", "")))
        backend.origin = {"trained_on": cfg.get("trained_on") or str(path), "synthetic": synthetic}
        return backend

    def save_pretrained(self, path: str | Path, extra: dict | None = None) -> Path:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        keys = sorted(self.clips)
        flat, lengths = encode_clips([self.clips[k] for k in keys], QUANTUM)
        rest = np.stack([self.rest[s] for s in self._signer_ids]).astype(np.float16)
        np.savez_compressed(path / "clips.npz", deltas=flat, lengths=lengths, rest=rest)
        cfg = {
            "backend": self.name,
            "signers": self._signer_ids,
            "clips": [[s, g] for s, g in keys],
            "quantum": QUANTUM,
            "generation": self.config.__dict__,
            **self.origin,
            **(extra or {}),
        }
        (path / "config.json").write_text(json.dumps(cfg, ensure_ascii=False, indent=1), "utf-8")
        return path

    # ------------------------------------------------------------------ generation

    def known_glosses(self) -> set[str]:
        return set(self._glosses)

    def about(self) -> dict:
        return dict(self.origin)

    def _clip(self, signer: int, gloss: str) -> np.ndarray | None:
        if (signer, gloss) in self.clips:
            return self.clips[(signer, gloss)]
        # another signer's clip, moved onto this signer's rest-pose body
        for s in self._signer_ids:
            if (s, gloss) in self.clips:
                return self.clips[(s, gloss)] + (self.rest[signer] - self.rest[s])[None]
        return None

    def signers(self) -> list[int]:
        return list(self._signer_ids)

    def generate(self, inputs: GlossInput, signer: int = 1, speed: float = 1.0) -> PoseOutput:
        cfg = self.config
        rest = self.rest[signer]
        glosses = inputs.glosses
        pieces: list[tuple[str, np.ndarray]] = []
        for i, gloss in enumerate(glosses):
            clip = self._clip(signer, gloss)
            if clip is None:  # sign() lets only known glosses through
                raise ValueError(f"no clip for gloss {gloss!r}")
            longest = (cfg.letter_s if gloss in self._letters else cfg.max_sign_s) * cfg.fps
            if len(glosses) > 1 and len(clip) > longest:  # word clips are slower than
                clip = resample(clip, longest / len(clip))  # signs inside a sentence
            clip = resample(clip, 1.0 / speed)
            is_last_letter = gloss in self._letters and (
                i + 1 == len(glosses) or glosses[i + 1] not in self._letters
            )
            if is_last_letter:  # hold the final letter of a fingerspelled word
                hold = int(round(len(clip) * (cfg.finger_hold - 1)))
                clip = np.concatenate([clip, np.repeat(clip[-1:], hold, axis=0)])
            pieces.append((gloss, clip))

        window = max(1, int(round(cfg.join_window_s * cfg.fps)))
        trans = max(2, int(round(cfg.transition_frames / speed)))
        rest_n = max(2, int(round(cfg.rest_frames / speed)))
        frames: list[np.ndarray] = [np.repeat(rest[None], rest_n, axis=0)]
        timings: list[GlossTiming] = []
        prev = rest[None]
        for k, (gloss, clip) in enumerate(pieces):
            # trim the end of the previous piece and the start of this one at the closest pair
            if k > 0:
                tail = frames[-1]
                wa = min(window, len(tail) - 1)
                wb = min(window, len(clip) - 1)
                d = _join_distance(tail[len(tail) - wa - 1 :], clip[: wb + 1])
                ia, ib = np.unravel_index(np.argmin(d), d.shape)
                cut_a = len(tail) - wa - 1 + ia
                frames[-1] = tail[: cut_a + 1]
                timings[-1].end = min(timings[-1].end, _total(frames))
                clip = clip[ib:]
                prev = frames[-1][-1:]
            base = trans if k > 0 else rest_n
            n = transition_frames(prev[-1], clip[0], base, speed, cfg.max_transition_speed)
            frames.append(minimum_jerk(prev[-1], clip[0], n))
            start = _total(frames)
            frames.append(clip)
            timings.append(GlossTiming(gloss, start, _total(frames)))
            prev = clip[-1:]
        frames.append(
            minimum_jerk(
                prev[-1],
                rest,
                transition_frames(prev[-1], rest, rest_n, speed, cfg.max_transition_speed),
            )
        )
        frames.append(np.repeat(rest[None], rest_n, axis=0))
        kp = np.concatenate(frames).astype(np.float32)
        kp = self._smooth(kp)
        first = 0
        for sentence in inputs.sentences:  # the question face, sentence by sentence
            n = len(sentence.glosses)
            if sentence.question is not None and sentence.question_start < n:
                span = timings[first + sentence.question_start : first + n]
                question_face(kp, span[0].start, span[-1].end, sentence.question)
            first += n
        mask = np.ones(kp.shape[:2], bool)
        return PoseOutput(kp, mask, cfg.fps, timings)

    def _smooth(self, kp: np.ndarray) -> np.ndarray:
        cfg = self.config
        return lowpass(kp, cfg.fps, cfg.lowpass_hz, cfg.lowpass_order)


def _total(frames: list[np.ndarray]) -> int:
    return int(sum(len(f) for f in frames))
