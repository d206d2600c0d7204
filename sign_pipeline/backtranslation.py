"""Back-translation: read glosses back from keypoints, to judge produced signing.

Progressive Transformers scores generated signing by translating it back with a
recogniser; this is the same idea for glosses. A small CTC recogniser (per-frame body and
hand features at 15 fps, a residual temporal convolution stack, a bidirectional GRU, one
output per gloss of the vocabulary plus the CTC blank) is trained on the prepared corpus's
training split (``python -m training.train_recognizer``) and shipped in
``checkpoints/recognizer`` (a few MB). It is used only for evaluation: the gloss word error
rate (WER) of what it reads from a backend's output, against the glosses that were asked
for, says whether the signs came out recognisable, with or without a reference clip.

    bt = BackTranslator.load()                      # checkpoints/recognizer
    hyp = bt.recognise(out.keypoints, out.mask, out.fps)
    wer(hyp, ["지하철", "가다"])                     # 0.0 when every gloss was read back
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn

from . import skeleton as sk
from .modeling import SignModelConfig, SignPreTrainedModel
from .registry import CHECKPOINTS

#: The recogniser's folder under the checkpoints root.
CHECKPOINT_NAME = "recognizer"
#: Frames per second the recogniser reads (input at any rate is resampled to it).
MODEL_FPS = 15.0
#: CTC blank: the vocabulary's ``<pad>`` id.
BLANK = 0
#: Hand-shape offsets (about 0.4 shoulder widths) and per-frame velocities are scaled by
#: these so every feature is of order 1.
HAND_SCALE = 2.0
VELOCITY_SCALE = 5.0
_HANDS = (sk.LEFT_HAND, sk.RIGHT_HAND)
_BODY_WRISTS = (sk.L_WRIST, sk.R_WRIST)
#: pose x,y (15 points) + 2 hands x 21 offsets x,y + 2 wrist positions + 2 hand-present
#: flags + velocities of the pose points and both wrists.
NUM_FEATURES = 2 * 15 + 2 * 42 + 4 + 2 + (2 * 15 + 4)

# ---------------------------------------------------------------------------- features


def model_rate_indices(
    n_frames: int, fps: float, model_fps: float = MODEL_FPS, speed: float = 1.0
) -> np.ndarray:
    """Which input frames the recogniser reads: the nearest frame every ``fps / model_fps``
    frames (times ``speed``: above 1 the clip plays faster). At least one frame."""
    if n_frames <= 0:
        raise ValueError("no frames")
    step = float(fps) / float(model_fps) * float(speed)
    idx = np.round(np.arange(0.0, n_frames - 0.5, max(step, 1e-3))).astype(np.int64)
    return np.clip(idx, 0, n_frames - 1) if len(idx) else np.zeros(1, np.int64)


def frame_features(keypoints: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """Per-frame features ``[T, NUM_FEATURES]`` float32 of normalised keypoints.

    Upper-body positions; each hand's shape as its points relative to its wrist; each
    wrist's position (the hand's wrist point, else the body wrist); whether each hand was
    detected; frame-to-frame velocities of the body points and wrists. The face is left
    out: glosses are told apart by the hands. Missing values are 0.
    """
    kp = np.asarray(keypoints, np.float32)
    m = np.ones(kp.shape[:2], bool) if mask is None else np.asarray(mask, bool)
    kp = np.where(m[..., None], kp, 0.0).astype(np.float32)
    t_len = len(kp)
    pose = kp[:, sk.POSE]
    pose_ok = m[:, sk.POSE]
    shapes, wrists, wrists_ok, present = [], [], [], []
    for block, body_wrist in zip(_HANDS, _BODY_WRISTS):
        hand, hm = kp[:, block], m[:, block]
        has = hm[:, 0]
        rel = (hand - hand[:, :1]) * HAND_SCALE
        rel = np.where((hm & has[:, None])[..., None], rel, 0.0)
        shapes.append(rel.reshape(t_len, -1))
        pos = np.where(has[:, None], hand[:, 0], kp[:, body_wrist])
        ok = has | m[:, body_wrist]
        wrists.append(np.where(ok[:, None], pos, 0.0))
        wrists_ok.append(ok)
        present.append(has.astype(np.float32))
    positions = np.concatenate([pose, np.stack(wrists, axis=1)], axis=1)  # [T, 17, 2]
    ok = np.concatenate([pose_ok, np.stack(wrists_ok, axis=1)], axis=1)
    vel = np.zeros_like(positions)
    if t_len > 1:
        both = ok[1:] & ok[:-1]
        vel[1:] = np.where(both[..., None], np.diff(positions, axis=0), 0.0) * VELOCITY_SCALE
    out = np.concatenate(
        [
            pose.reshape(t_len, -1),
            *shapes,
            np.stack(wrists, axis=1).reshape(t_len, -1),
            np.stack(present, axis=1),
            vel.reshape(t_len, -1),
        ],
        axis=1,
    )
    return out.astype(np.float32)


def clip_features(
    keypoints: np.ndarray, mask: np.ndarray | None, fps: float, model_fps: float = MODEL_FPS
) -> np.ndarray:
    """:func:`frame_features` of a clip taken at the recogniser's frame rate."""
    idx = model_rate_indices(len(keypoints), fps, model_fps)
    m = None if mask is None else np.asarray(mask, bool)[idx]
    return frame_features(np.asarray(keypoints)[idx], m)


def pad_features(features: Sequence[np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
    """Zero-padded batch ``[B, T, F]`` and the lengths ``[B]``."""
    lengths = torch.tensor([len(f) for f in features], dtype=torch.long)
    out = torch.zeros(len(features), int(lengths.max()), features[0].shape[1])
    for i, f in enumerate(features):
        out[i, : len(f)] = torch.from_numpy(f)
    return out, lengths


# ---------------------------------------------------------------------------- model


class RecognizerConfig(SignModelConfig):
    """Sizes of the recogniser (defaults: about 0.9 M parameters, 3.5 MB in fp32)."""

    model_type = "ksl_recognizer"

    def __init__(
        self,
        hidden: int = 144,
        kernel: int = 5,
        dilations: Sequence[int] = (1, 2, 4, 8),
        attention_layers: int = 2,
        heads: int = 4,
        feedforward: int = 384,
        dropout: float = 0.2,
        model_fps: float = MODEL_FPS,
        num_features: int = NUM_FEATURES,
        **kwargs,
    ) -> None:
        self.hidden = int(hidden)
        self.kernel = int(kernel)
        self.dilations = [int(d) for d in dilations]
        self.attention_layers = int(attention_layers)
        self.heads = int(heads)
        self.feedforward = int(feedforward)
        self.dropout = float(dropout)
        self.model_fps = float(model_fps)
        self.num_features = int(num_features)
        super().__init__(**kwargs)


class _ConvBlock(nn.Module):
    """Residual dilated temporal convolution: x + dropout(GELU(conv(LayerNorm(x))))."""

    def __init__(self, hidden: int, kernel: int, dilation: int, dropout: float) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(hidden)
        self.conv = nn.Conv1d(
            hidden, hidden, kernel, padding=dilation * (kernel // 2), dilation=dilation
        )
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, frame_mask: torch.Tensor) -> torch.Tensor:
        h = self.conv(self.norm(x).transpose(1, 2)).transpose(1, 2)
        x = x + self.drop(nn.functional.gelu(h))
        return x * frame_mask[..., None]


class Recognizer(SignPreTrainedModel):
    """Features ``[B, T, F]`` -> CTC log-probabilities ``[B, T, len(vocab)]`` (blank = 0).

    Dilated convolutions see about 4 s of context (local motion, relative position in time);
    the self-attention layers on top relate signs across the sentence. Everything runs in
    parallel over frames (a GRU was 5x slower on CPU for the same accuracy budget).
    """

    config_class = RecognizerConfig

    def __init__(self, config: RecognizerConfig) -> None:
        super().__init__(config)
        h = config.hidden
        self.inp = nn.Sequential(
            nn.Linear(config.num_features, h),
            nn.LayerNorm(h),
            nn.GELU(),
            nn.Dropout(config.dropout),
        )
        self.convs = nn.ModuleList(
            _ConvBlock(h, config.kernel, d, config.dropout) for d in config.dilations
        )
        self.attention = nn.ModuleList(
            nn.TransformerEncoderLayer(
                h,
                config.heads,
                config.feedforward,
                config.dropout,
                activation="gelu",
                batch_first=True,
                norm_first=True,
            )  # fmt: skip
            for _ in range(config.attention_layers)
        )
        self.norm = nn.LayerNorm(h)
        self.out = nn.Linear(h, len(self.vocab))
        self.post_init()

    def forward(self, features: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        t_max = features.shape[1]
        valid = torch.arange(t_max, device=features.device)[None] < lengths[:, None]
        frame_mask = valid.float()
        x = self.inp(features) * frame_mask[..., None]
        for block in self.convs:
            x = block(x, frame_mask)
        for layer in self.attention:
            x = layer(x, src_key_padding_mask=~valid) * frame_mask[..., None]
        return torch.log_softmax(self.out(self.norm(x)), dim=-1)

    def ctc_loss(
        self,
        log_probs: torch.Tensor,
        lengths: torch.Tensor,
        targets: torch.Tensor,
        target_lengths: torch.Tensor,
    ) -> torch.Tensor:
        """Mean CTC loss (per target gloss) of a batch; ``targets`` padded ``[B, N]``."""
        flat = torch.cat([targets[i, : int(n)] for i, n in enumerate(target_lengths)])
        return nn.functional.ctc_loss(
            log_probs.transpose(0, 1), flat, lengths, target_lengths,
            blank=BLANK, reduction="mean", zero_infinity=True,
        )  # fmt: skip

    def num_parameters_total(self) -> int:
        return sum(p.numel() for p in self.parameters())


def ctc_greedy_decode(ids: Sequence[int], blank: int = BLANK) -> list[int]:
    """Best-path CTC decoding: collapse runs of the same id, then drop blanks.

    ``[0, 5, 5, 0, 5, 7, 7, 0]`` -> ``[5, 5, 7]`` (a blank between two 5s keeps both).
    """
    out: list[int] = []
    prev = None
    for i in ids:
        i = int(i)
        if i != prev and i != blank:
            out.append(i)
        prev = i
    return out


def decode_batch(log_probs: torch.Tensor, lengths: torch.Tensor) -> list[list[int]]:
    """Greedy decoding of each sequence of a batch (frames past its length ignored)."""
    best = log_probs.argmax(dim=-1).cpu().numpy()
    return [ctc_greedy_decode(best[i, : int(n)]) for i, n in enumerate(lengths)]


# ---------------------------------------------------------------------------- scoring


def word_errors(hyp: Sequence[str], ref: Sequence[str]) -> int:
    """Levenshtein distance in glosses: substitutions + deletions + insertions."""
    hyp, ref = list(hyp), list(ref)
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1]


def wer(hyp: Sequence[str], ref: Sequence[str]) -> float:
    """Gloss word error rate: :func:`word_errors` / ``len(ref)``.

    0 for a perfect read-back; can exceed 1 with insertions. An empty reference gives
    ``len(hyp)`` (every hypothesis gloss is an insertion).
    """
    errors = word_errors(hyp, ref)
    return float(errors) / len(ref) if len(ref) else float(errors)


def corpus_wer(pairs: Sequence[tuple[Sequence[str], Sequence[str]]]) -> float:
    """WER over many (hyp, ref) pairs: total errors / total reference glosses."""
    errors = sum(word_errors(h, r) for h, r in pairs)
    words = sum(len(r) for _, r in pairs)
    return float(errors) / words if words else float("nan")


@contextlib.contextmanager
def torch_threads(n: int | None):
    """Run the block with ``n`` torch intra-op threads (unchanged for None), then restore."""
    before = torch.get_num_threads()
    if n:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        if n:
            torch.set_num_threads(before)


class BackTranslator:
    """The recogniser behind a simple call: keypoints at any fps -> glosses.

    Inference runs on ``threads`` torch threads (default 1): the model is too small to gain
    from more, and a second thread waiting on a busy core made one sentence 40x slower on
    the project's 2-core machine (about 300 ms instead of 9 ms).
    """

    def __init__(self, model: Recognizer, threads: int | None = 1) -> None:
        self.model = model.eval()
        self.threads = threads

    @classmethod
    def load(
        cls,
        path: str | os.PathLike | None = None,
        device: str | torch.device = "cpu",
        threads: int | None = 1,
    ) -> BackTranslator:
        """Load ``path`` (default ``checkpoints/recognizer``); CheckpointError if unusable."""
        path = Path(path) if path is not None else CHECKPOINTS / CHECKPOINT_NAME
        return cls(Recognizer.load(path, device), threads)

    @property
    def glosses(self) -> list[str]:
        """Glosses the recogniser can read."""
        return list(self.model.config.glosses)

    @property
    def num_parameters(self) -> int:
        return self.model.num_parameters_total()

    @torch.no_grad()
    def recognise_many(
        self, clips: Sequence[tuple[np.ndarray, np.ndarray | None, float]]
    ) -> list[list[str]]:
        """Glosses of each ``(keypoints [T,127,2], mask [T,127] or None, fps)``, one batch."""
        if not clips:
            return []
        mfps = self.model.config.model_fps
        feats = [clip_features(kp, m, fps, mfps) for kp, m, fps in clips]
        x, lengths = pad_features(feats)
        with torch_threads(self.threads if self.model.device.type == "cpu" else None):
            log_probs = self.model(x.to(self.model.device), lengths.to(self.model.device))
        return [self.model.vocab.decode(ids) for ids in decode_batch(log_probs, lengths)]

    def recognise(
        self, keypoints: np.ndarray, mask: np.ndarray | None = None, fps: float = 30.0
    ) -> list[str]:
        """Glosses read from normalised keypoints ``[T, 127, 2]`` played at ``fps``."""
        kp = np.asarray(keypoints, np.float32)
        if kp.ndim != 3 or kp.shape[1:] != (sk.NUM_POINTS, 2) or len(kp) == 0:
            raise ValueError(f"keypoints must be [T>0, {sk.NUM_POINTS}, 2], got {list(kp.shape)}")
        return self.recognise_many([(kp, mask, fps)])[0]

    def score(
        self,
        keypoints: np.ndarray,
        mask: np.ndarray | None,
        fps: float,
        glosses: Sequence[str],
    ) -> tuple[list[str], float]:
        """(glosses read back, WER against ``glosses``): the compare view's score."""
        hyp = self.recognise(keypoints, mask, fps)
        return hyp, wer(hyp, glosses)


__all__ = [
    "BLANK",
    "CHECKPOINT_NAME",
    "MODEL_FPS",
    "NUM_FEATURES",
    "BackTranslator",
    "Recognizer",
    "RecognizerConfig",
    "clip_features",
    "corpus_wer",
    "ctc_greedy_decode",
    "decode_batch",
    "frame_features",
    "model_rate_indices",
    "pad_features",
    "torch_threads",
    "wer",
    "word_errors",
]
