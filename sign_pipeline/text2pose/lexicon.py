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
from scipy.signal import butter, sosfiltfilt

from .. import skeleton as sk
from ..gloss.analyzer import WH_GLOSSES  # a wh-question's face starts at the first
from ..lexicon import load_inventory
from ..registry import register
from .base import GlossTiming, PoseOutput, Text2Pose

#: Values are stored as int16 multiples of this (shoulder widths), delta-coded along time:
#: 0.002 shoulder widths is about 0.15 px in the avatar's 256 x 256 frame.
QUANTUM = 2e-3


@dataclass
class LexiconConfig:
    fps: float = 30.0
    join_window_s: float = 0.3
    transition_frames: int = 6
    rest_frames: int = 8
    lowpass_hz: float = 6.0
    lowpass_order: int = 4
    finger_hold: float = 2.0
    #: Word clips longer than this are sped up to it inside sentences (as sign.mt does).
    max_sign_s: float = 0.8
    #: Finger-alphabet letters inside a word are signed in this time (2.5 letters a second).
    letter_s: float = 0.4

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


def minimum_jerk(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    """``n`` frames strictly between poses ``a`` and ``b`` on a minimum-jerk profile."""
    if n <= 0:
        return np.zeros((0,) + a.shape, np.float32)
    s = np.arange(1, n + 1, dtype=np.float32) / (n + 1)
    w = 10 * s**3 - 15 * s**4 + 6 * s**5
    return (a[None] * (1 - w)[:, None, None] + b[None] * w[:, None, None]).astype(np.float32)


def resample(clip: np.ndarray, factor: float) -> np.ndarray:
    """Stretch a clip in time by ``factor`` (0.5 = twice as fast) with linear interpolation."""
    n = len(clip)
    m = max(2, int(round(n * factor)))
    if m == n:
        return clip
    src = np.linspace(0, n - 1, m)
    i0 = np.floor(src).astype(int)
    i1 = np.minimum(i0 + 1, n - 1)
    w = (src - i0)[:, None, None].astype(np.float32)
    return clip[i0] * (1 - w) + clip[i1] * w


def _join_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise distances between frames of a ``[n,127,2]`` and b ``[m,127,2]`` (body + hands)."""
    keep = np.r_[sk.POSE.start : sk.POSE.stop, sk.LEFT_HAND.start : sk.RIGHT_HAND.stop]
    fa = a[:, keep].reshape(len(a), -1)
    fb = b[:, keep].reshape(len(b), -1)
    return np.linalg.norm(fa[:, None, :] - fb[None, :, :], axis=-1)


@register("text2pose", "lexicon")
class LexiconText2Pose(Text2Pose):
    name = "lexicon"
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
        self.signers = sorted(rest)
        self._glosses = {g for _, g in clips}
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
        return cls(clips, rest, LexiconConfig.from_dict(cfg.get("generation", {})))

    def save_pretrained(self, path: str | Path, extra: dict | None = None) -> Path:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        keys = sorted(self.clips)
        flat, lengths = encode_clips([self.clips[k] for k in keys], QUANTUM)
        rest = np.stack([self.rest[s] for s in self.signers]).astype(np.float16)
        np.savez_compressed(path / "clips.npz", deltas=flat, lengths=lengths, rest=rest)
        cfg = {
            "backend": self.name,
            "signers": self.signers,
            "clips": [[s, g] for s, g in keys],
            "quantum": QUANTUM,
            "generation": self.config.__dict__,
            "note": "Placeholder signs of the synthetic demo corpus, not validated KSL.",
            **(extra or {}),
        }
        (path / "config.json").write_text(json.dumps(cfg, ensure_ascii=False, indent=1), "utf-8")
        return path

    # ------------------------------------------------------------------ generation

    def known_glosses(self) -> set[str]:
        return set(self._glosses)

    def _clip(self, signer: int, gloss: str) -> np.ndarray | None:
        if (signer, gloss) in self.clips:
            return self.clips[(signer, gloss)]
        # another signer's clip, moved onto this signer's rest-pose body
        for s in self.signers:
            if (s, gloss) in self.clips:
                return self.clips[(s, gloss)] + (self.rest[signer] - self.rest[s])[None]
        return None

    def generate(
        self,
        glosses: list[str],
        signer: int = 1,
        speed: float = 1.0,
        question: str | None = None,
    ) -> PoseOutput:
        if signer not in self.rest:
            raise ValueError(f"signer {signer} not in lexicon data (have {self.signers})")
        if not 0.25 <= speed <= 4.0:
            raise ValueError(f"speed must be within 0.25..4, got {speed}")
        cfg = self.config
        rest = self.rest[signer]
        pieces: list[tuple[str, np.ndarray]] = []
        for i, gloss in enumerate(glosses):
            clip = self._clip(signer, gloss)
            if clip is None:
                continue
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
            n = _transition_frames(prev[-1], clip[0], trans if k > 0 else rest_n, speed)
            frames.append(minimum_jerk(prev[-1], clip[0], n))
            start = _total(frames)
            frames.append(clip)
            timings.append(GlossTiming(gloss, start, _total(frames)))
            prev = clip[-1:]
        frames.append(
            minimum_jerk(prev[-1], rest, _transition_frames(prev[-1], rest, rest_n, speed))
        )
        frames.append(np.repeat(rest[None], rest_n, axis=0))
        kp = np.concatenate(frames).astype(np.float32)
        kp = self._smooth(kp)
        if question is not None and timings:
            wh = [t for t in timings if t.gloss in WH_GLOSSES]
            start = wh[0].start if wh else timings[max(0, len(timings) - 2)].start
            question_face(kp, start, timings[-1].end, question)
        mask = np.ones(kp.shape[:2], bool)
        return PoseOutput(kp, mask, cfg.fps, timings)

    def _smooth(self, kp: np.ndarray) -> np.ndarray:
        cfg = self.config
        return lowpass(kp, cfg.fps, cfg.lowpass_hz, cfg.lowpass_order)


_BROWS = np.r_[sk.FACE.start + 17 : sk.FACE.start + 27]
_UPPER_LIDS = sk.FACE.start + np.array([37, 38, 43, 44])


def question_face(kp: np.ndarray, start: int, end: int, kind: str, ramp: int = 6) -> None:
    """Add the question face in place over frames ``[start, end)`` (ramped in and out).

    Yes/no questions raise the brows and widen the eyes; wh-questions lower and draw the
    brows together. Offsets are in shoulder widths, about a tenth of the face's width.
    """
    if kind not in ("wh", "yes_no"):
        raise ValueError(f"question must be 'wh' or 'yes_no', got {kind!r}")
    t = np.arange(len(kp), dtype=np.float32)
    up = np.clip((t - (start - ramp)) / ramp, 0, 1)
    down = np.clip((end + ramp - t) / ramp, 0, 1)
    s = np.minimum(up, down)
    w = (10 * s**3 - 15 * s**4 + 6 * s**5)[:, None]
    if kind == "yes_no":
        kp[:, _BROWS, 1] -= 0.05 * w
        kp[:, _UPPER_LIDS, 1] -= 0.012 * w
    else:
        center = kp[:, _BROWS, 0].mean(axis=1, keepdims=True)
        kp[:, _BROWS, 1] += 0.02 * w
        kp[:, _BROWS, 0] += (center - kp[:, _BROWS, 0]) * 0.12 * w


def lowpass(
    kp: np.ndarray,
    fps: float,
    hz: float = 6.0,
    order: int = 4,
    blocks: tuple[slice, ...] = (sk.POSE, sk.LEFT_HAND, sk.RIGHT_HAND),
) -> np.ndarray:
    """Zero-phase Butterworth low-pass over time on the given blocks (default: not the face)."""
    if len(kp) < 3 * (2 * order + 1):
        return kp
    sos = butter(order, hz, fs=fps, output="sos")
    out = np.array(kp, np.float32, copy=True)
    for sl in blocks:
        out[:, sl] = sosfiltfilt(sos, kp[:, sl], axis=0)
    return out


#: Peak hand speed allowed in a transition, in shoulder widths per frame at speed 1.
MAX_TRANSITION_SPEED = 0.15


def _transition_frames(a: np.ndarray, b: np.ndarray, base: int, speed: float) -> int:
    """Frames for a minimum-jerk move a -> b: at least ``base``, longer for far moves.

    A minimum-jerk move peaks at 1.875x its mean speed; the length keeps that peak at
    ``MAX_TRANSITION_SPEED * speed`` for the hand point that travels furthest.
    """
    hands = np.r_[sk.LEFT_HAND.start : sk.RIGHT_HAND.stop]
    dist = float(np.linalg.norm(b[hands] - a[hands], axis=-1).max())
    need = 1.875 * dist / (MAX_TRANSITION_SPEED * speed)
    return int(np.clip(np.ceil(max(base, need)), 2, 45))


def _total(frames: list[np.ndarray]) -> int:
    return int(sum(len(f) for f in frames))
