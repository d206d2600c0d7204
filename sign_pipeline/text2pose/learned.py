"""What the learned text-to-pose backends share: frames as standardised values, gloss
boundaries from a monotone position, the sentence-mark ids, one-thread decoding, a
hand-motion critic, the config and model bases (the shared recipe fields, set-up,
training-loss parts and decoding limits) and the backend wrapper around a trained model.

A frame's 127 points become 254 values: body points as they are, face points relative to
the nose, finger points relative to their hand's wrist point (the wrist points themselves
as they are), each value standardised over the training data (so a finger closing is as
large a target as an arm's move). The change is linear and undone exactly.

Not a backend (it registers nothing); used by ``progressive.py`` and ``tacotron.py``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from sign_pipeline import motion
from sign_pipeline import skeleton as sk
from sign_pipeline.modeling import SignModelConfig, SignPreTrainedModel
from sign_pipeline.text2pose.base import GlossInput, PoseOutput, Text2Pose

#: Question type of a gloss -> embedding id.
QUESTION_IDS = {None: 0, "wh": 1, "yes_no": 2}
NUM_VALUES = sk.NUM_VALUES  # 254 values per frame

_REFERENCE = np.arange(sk.NUM_POINTS)  # the point each point is measured from (itself = none)
_REFERENCE[sk.FACE] = sk.NOSE
_REFERENCE[sk.LEFT_HAND.start + 1 : sk.LEFT_HAND.stop] = sk.L_HAND_WRIST
_REFERENCE[sk.RIGHT_HAND.start + 1 : sk.RIGHT_HAND.stop] = sk.R_HAND_WRIST
_RELATIVE = _REFERENCE != np.arange(sk.NUM_POINTS)
_HAND_POINTS = np.r_[sk.LEFT_HAND, sk.RIGHT_HAND]
#: Decoder steps per window of :meth:`Text2PoseModel.energy_loss` (4 x 3 frames at 15 fps:
#: 0.8 s, about a sign).
ENERGY_WINDOW_STEPS = 4
#: The points whose travel :meth:`Text2PoseModel.energy_loss` compares: shoulders, elbows,
#: the body's and the hands' wrists (absolute, not relative, values).
_ARM_POINTS = np.array([sk.R_SHOULDER, sk.L_SHOULDER, sk.R_ELBOW, sk.L_ELBOW, sk.R_WRIST,
                        sk.L_WRIST, sk.R_HAND_WRIST, sk.L_HAND_WRIST])  # fmt: skip


def to_relative(kp: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``[..., 127, 2]`` keypoints + ``[..., 127]`` mask -> the relative form and its mask
    (a relative point is valid where it and its reference point were both detected)."""
    ref = torch.as_tensor(_REFERENCE, device=kp.device)
    rel = torch.as_tensor(_RELATIVE, device=kp.device)
    out = torch.where(rel[:, None], kp - kp[..., ref, :], kp)
    valid = mask & mask[..., ref]
    return out, valid


def from_relative(rel_kp: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`to_relative` (reference points are never relative themselves)."""
    ref = torch.as_tensor(_REFERENCE, device=rel_kp.device)
    rel = torch.as_tensor(_RELATIVE, device=rel_kp.device)
    return torch.where(rel[:, None], rel_kp + rel_kp[..., ref, :], rel_kp)


def value_weights(hand_weight: float, face_weight: float) -> torch.Tensor:
    """``[254]`` loss weight per value: the hands' points (wrist and fingers) weigh more, the
    face's 70 points (mostly still, their standardised values mostly detector noise) less."""
    w = torch.ones(sk.NUM_POINTS, 2)
    w[_HAND_POINTS] = hand_weight
    w[sk.FACE] = face_weight
    return w.reshape(-1)


def _window_travel(pos: torch.Tensor, ok: torch.Tensor, lag: int, window: int) -> torch.Tensor:
    """Distance each point ``pos [B,T,P,2]`` moves over ``lag`` frames where ``ok [B,T-lag,P]``,
    summed per window of ``window`` frames: ``[B, windows, P]``."""
    step = pos[:, lag:] - pos[:, :-lag]
    moved = (step.square().sum(-1) + 1e-8).sqrt() * ok
    moved = F.pad(moved, (0, 0, 0, -moved.shape[1] % window))
    return moved.unflatten(1, (-1, window)).sum(2)


class StandardisedFrames:
    """Mixin for a model (an ``nn.Module``) working on standardised frame values: its
    ``value_mean`` / ``value_std`` buffers ``[254]``, fitted on the training clips, the
    per-value loss ``weights``, and keypoints <-> values."""

    value_mean: torch.Tensor
    value_std: torch.Tensor
    weights: torch.Tensor

    def register_frame_buffers(self, hand_weight: float, face_weight: float) -> None:
        """Create the buffers (saved with the checkpoint): identity standardisation until
        :meth:`fit_normalization`, and the loss weights of :func:`value_weights`."""
        self.register_buffer("value_mean", torch.zeros(NUM_VALUES))
        self.register_buffer("value_std", torch.ones(NUM_VALUES))
        self.register_buffer("weights", value_weights(hand_weight, face_weight))

    @torch.no_grad()
    def fit_normalization(self, clips: Iterable[tuple[np.ndarray, np.ndarray]]) -> None:
        """Mean and std of each relative frame value over ``clips`` ((keypoints, mask) pairs)."""
        total = torch.zeros(NUM_VALUES, dtype=torch.float64)
        sq = torch.zeros(NUM_VALUES, dtype=torch.float64)
        count = torch.zeros(NUM_VALUES, dtype=torch.float64)
        for kp, mask in clips:
            rel, valid = to_relative(torch.as_tensor(kp), torch.as_tensor(mask))
            v = rel.reshape(-1, NUM_VALUES).double()
            m = valid.repeat_interleave(2, dim=-1).reshape(-1, NUM_VALUES).double()
            total += (v * m).sum(0)
            sq += (v * v * m).sum(0)
            count += m.sum(0)
        n = count.clamp(min=1)
        mean = total / n
        std = (sq / n - mean**2).clamp(min=0).sqrt()
        self.value_mean.copy_(mean.float())
        self.value_std.copy_(std.float().clamp(min=1e-3))

    def to_values(self, kp: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``[B,T,127,2]`` + mask -> standardised values ``[B,T,254]`` + value mask."""
        rel, valid = to_relative(kp, mask)
        values = (rel.flatten(-2) - self.value_mean) / self.value_std
        valid = valid.repeat_interleave(2, dim=-1)
        return values * valid, valid

    def to_keypoints(self, values: torch.Tensor) -> torch.Tensor:
        """Inverse of :meth:`to_values`: ``[..., 254]`` -> ``[..., 127, 2]``."""
        rel = (values * self.value_std + self.value_mean).unflatten(-1, (sk.NUM_POINTS, 2))
        return from_relative(rel)


#: The standardised values of both hands' 42 points (wrists absolute, fingers relative).
HAND_VALUES = np.stack([2 * _HAND_POINTS, 2 * _HAND_POINTS + 1], 1).reshape(-1)


class HandMotionCritic(nn.Module):
    """A small temporal discriminator on hand motion (Saunders et al. 2020 judge the hands
    adversarially against regression to the mean): the hands' values and their frame-to-frame
    changes -> a realness score per frame (receptive field about 15 frames).

    :meth:`losses` gives the least-squares GAN losses of one batch: the critic's (real vs
    predicted, the prediction detached) and the generator's (computed through a detached copy
    of the critic's weights), so one optimizer and one backward pass train both, each on its
    own loss."""

    def __init__(self, channels: int = 64) -> None:
        super().__init__()
        n = 2 * len(HAND_VALUES)
        self.net = nn.Sequential(
            nn.Conv1d(n, channels, 5, padding=2), nn.LeakyReLU(0.2),
            nn.Conv1d(channels, channels, 5, padding=4, dilation=2), nn.LeakyReLU(0.2),
            nn.Conv1d(channels, 1, 3, padding=1),
        )  # fmt: skip

    @staticmethod
    def features(values: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        """``[B,T,254]`` values + mask -> ``[B, 2*84, T]`` hand values and their changes."""
        idx = torch.as_tensor(HAND_VALUES, device=values.device)
        hands = values[..., idx] * valid[..., idx]
        change = torch.diff(hands, dim=1, prepend=hands[:, :1])
        return torch.cat([hands, change], -1).transpose(1, 2)

    def forward(self, values: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        return self.net(self.features(values, valid))[:, 0]  # [B, T]

    def losses(
        self, real: torch.Tensor, fake: torch.Tensor, valid: torch.Tensor, frame_mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(critic loss, generator loss) for reference ``real`` and predicted ``fake``
        values ``[B,T,254]`` (both seen only where ``valid``), averaged over real frames."""
        m = frame_mask.float()
        n = m.sum().clamp(min=1)
        d_real = self(real, valid)
        d_fake = self(fake.detach(), valid)
        critic = (((d_real - 1) ** 2 + d_fake**2) * m).sum() / n
        frozen = {k: v.detach() for k, v in self.named_parameters()}
        g_fake = torch.func.functional_call(self, frozen, (fake, valid))
        generator = (((g_fake - 1) ** 2) * m).sum() / n
        return critic, generator


def counter_boundaries(counters: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """``len(ends) + 1`` frame boundaries: frame t belongs to the gloss whose span on the
    counter scale holds its counter; every gloss keeps at least one frame (needs
    ``len(counters) >= len(ends)``)."""
    t, n = len(counters), len(ends)
    b = np.r_[0, [int(np.searchsorted(counters, e, side="right")) for e in ends[:-1]], t]
    b = np.maximum.accumulate(b)
    for i in range(1, n):  # at least one frame each, leaving room for the rest
        b[i] = min(max(b[i], b[i - 1] + 1), t - (n - i))
    return b


@contextmanager
def one_thread() -> Iterator[None]:
    """Run torch on one thread: decoding multiplies tiny matrices, and on a busy machine
    several threads wait on each other (30 ms became 900 ms on this project's 2 cores)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


class Text2PoseConfig(SignModelConfig):
    """What every learned text-to-pose model's config holds besides its sizes: the frame
    rates, the decoding cap, the loss weights of :class:`Text2PoseModel` and where the
    training data came from (saved in ``config.json``)."""

    def __init__(
        self,
        model_fps: float = 15.0,
        frames_per_step: int = 3,
        max_seconds_per_gloss: float = 3.0,
        feedback_dropout: float = 0.5,
        hand_weight: float = 3.0,
        face_weight: float = 0.3,
        velocity_weight: float = 1.0,
        adversarial_weight: float = 0.0,
        energy_weight: float = 0.0,
        synthetic: bool = False,
        **kwargs,
    ) -> None:
        #: The decoder's frame rate; the output is interpolated to ``fps`` (the data's).
        self.model_fps = float(model_fps)
        #: Frames written per decoder step (a chunk, Tacotron's reduction factor r): fewer
        #: steps, so training and decoding are fast on a CPU.
        self.frames_per_step = int(frames_per_step)
        #: Safety cap on decoding when the model never ends it itself (reported in extras).
        self.max_seconds_per_gloss = float(max_seconds_per_gloss)
        #: Share of training steps whose fed-back frames are hidden (zeros) from the decoder,
        #: so it must sign from the glosses and where it is in them instead of carrying its
        #: input forward (which froze the pose at the start pose).
        self.feedback_dropout = float(feedback_dropout)
        #: Loss weight of the hands' values and of the face's (:func:`value_weights`).
        self.hand_weight = float(hand_weight)
        self.face_weight = float(face_weight)
        #: Weight of the frame-to-frame change loss (:meth:`Text2PoseModel.velocity_loss`).
        self.velocity_weight = float(velocity_weight)
        #: Weight of the hand-motion critic's adversarial loss (0: no critic in the model).
        self.adversarial_weight = float(adversarial_weight)
        #: Weight of the arms' travel loss (:meth:`Text2PoseModel.energy_loss`; 0: none).
        self.energy_weight = float(energy_weight)
        #: Trained on the synthetic demo corpus (placeholder signs).
        self.synthetic = bool(synthetic)
        super().__init__(**kwargs)


class Text2PoseModel(StandardisedFrames, SignPreTrainedModel):
    """Base of the learned text-to-pose models: the gloss and sentence-mark embeddings'
    initial scale, the frame buffers and the hand critic, the loss parts every model has
    (velocity, the critic's) and the limits of decoding one sentence. A subclass builds its
    network, computes its own training loss and decodes."""

    #: Initial std of ``gloss_embed`` and of ``question_embed`` / ``negation_embed``.
    gloss_init_std: float
    marks_init_std: float
    hand_critic: HandMotionCritic | None

    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)
        if module is getattr(self, "gloss_embed", None):
            nn.init.normal_(module.weight, std=self.gloss_init_std)
        elif module in (
            getattr(self, "question_embed", None),
            getattr(self, "negation_embed", None),
        ):
            nn.init.normal_(module.weight, std=self.marks_init_std)

    def add_frame_parts(self, config) -> None:
        """The standardisation buffers and loss weights (:meth:`register_frame_buffers`) and
        the hand critic, which judges the hands' motion in training only (absent when
        ``config.adversarial_weight`` is 0)."""
        self.register_frame_buffers(config.hand_weight, config.face_weight)
        self.hand_critic = HandMotionCritic() if config.adversarial_weight > 0 else None

    def frame_targets(
        self, batch: dict
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """A training batch's frames: the real-frame mask ``[B,T]``, the standardised values
        ``[B,T,254]``, where a value counts (detected, in a real frame) ``[B,T,254]`` and
        each clip's length ``[B,1]`` (at least 1)."""
        dev = self.device
        frame_mask = batch["frame_mask"].to(dev)
        values, valid = self.to_values(
            batch["keypoints"].to(dev), batch["mask"].to(dev) & frame_mask[..., None]
        )
        lengths = frame_mask.sum(1, keepdim=True).clamp(min=1)
        return frame_mask, values, valid & frame_mask[..., None], lengths

    def velocity_loss(
        self, pred: torch.Tensor, values: torch.Tensor, ok: torch.Tensor
    ) -> torch.Tensor:
        """Weighted L1 between the predicted and the reference frame-to-frame changes
        ``[B,T,254]``, where both frames of a change count."""
        w = self.weights
        v_ok = ok[:, 1:] & ok[:, :-1]
        v_err = ((pred[:, 1:] - pred[:, :-1]) - (values[:, 1:] - values[:, :-1])).abs() * w
        return (v_err * v_ok).sum() / (v_ok.float() * w).sum().clamp(min=1)

    def energy_loss(
        self, pred: torch.Tensor, values: torch.Tensor, ok: torch.Tensor
    ) -> torch.Tensor:
        """How far the arms travel against the reference ``[B,T,254]``: per arm point
        (:data:`_ARM_POINTS`) and window of :data:`ENERGY_WINDOW_STEPS` decoder steps, the
        distance moved over one and over two steps (``frames_per_step`` frames and twice
        that), compared as a relative L1. Inside a window it has no timing, so a move whose
        exact timing is uncertain cannot be averaged away to a slow one, as it is in the
        frame and velocity losses. Over whole steps, not single frames: measured frame by
        frame, the model added travel by swinging within each step and back at the next (a
        saw-tooth on held poses); per window, not per clip: measured over the whole clip, it
        made up for moves it missed by wobbling where the reference holds still."""
        idx = torch.as_tensor(np.stack([2 * _ARM_POINTS, 2 * _ARM_POINTS + 1], -1),
                              device=pred.device)  # fmt: skip
        scale, shift = self.value_std[idx], self.value_mean[idx]
        ok_p = ok[..., idx[:, 0]] & ok[..., idx[:, 1]]  # [B, T, P]
        pos_pred, pos_ref = pred[..., idx] * scale + shift, values[..., idx] * scale + shift
        diff = pred.new_zeros(())
        total = pred.new_zeros(())
        r = self.config.frames_per_step
        window = ENERGY_WINDOW_STEPS * r
        for lag in (r, 2 * r):
            if pred.shape[1] <= lag:
                continue
            m = (ok_p[:, lag:] & ok_p[:, :-lag]).float()  # [B, T-lag, P]
            ref = _window_travel(pos_ref, m, lag, window)
            diff = diff + (_window_travel(pos_pred, m, lag, window) - ref).abs().sum()
            total = total + ref.sum()
        return diff / total.clamp(min=1e-6)

    def with_critic_loss(
        self,
        loss: torch.Tensor,
        parts: dict[str, float],
        values: torch.Tensor,
        pred: torch.Tensor,
        ok: torch.Tensor,
        frame_mask: torch.Tensor,
    ) -> tuple[torch.Tensor, dict[str, float]]:
        """The training loss and its parts, with the hand critic's losses (its own and the
        weighted adversarial one) added when the model has a critic and is training."""
        if self.hand_critic is not None and self.training:
            critic_loss, adversarial = self.hand_critic.losses(values, pred, ok, frame_mask)
            loss = loss + critic_loss + self.config.adversarial_weight * adversarial
            parts.update(critic=critic_loss.item(), adversarial=adversarial.item())
        return loss, parts

    def sentence_tensors(
        self, gloss_ids: list[int], question: list[int], negation: list[bool]
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """One sentence as a batch of one ``[1,N]``: gloss ids, question ids, negation
        flags and the gloss mask (all True)."""
        dev = self.device
        return (torch.tensor([gloss_ids], device=dev), torch.tensor([question], device=dev),
                torch.tensor([negation], device=dev),
                torch.ones(1, len(gloss_ids), dtype=torch.bool, device=dev))  # fmt: skip

    def frame_limits(self, glosses: int) -> tuple[int, int]:
        """The fewest frames decoding may stop at (two a gloss) and its safety cap
        (``max_seconds_per_gloss``), at the model's rate."""
        c = self.config
        return 2 * glosses, int(math.ceil(c.max_seconds_per_gloss * c.model_fps * glosses)) + 8


class LearnedText2Pose(Text2Pose):
    """The backend around a trained model (``model_class``, a
    :class:`~sign_pipeline.modeling.SignPreTrainedModel` with ``config.model_fps``): loading,
    saving, its glosses and signers, and the model-rate <-> data-rate bookkeeping. A
    subclass writes :meth:`generate`."""

    #: sign() resamples for speed; the output is already band-limited (15 fps, interpolated)
    handles_speed = False
    smooths = True
    model_class: type
    config_class: type

    def __init__(self, model) -> None:
        self.model = model.eval()

    @classmethod
    def from_pretrained(cls, path: str | Path) -> LearnedText2Pose:
        return cls(cls.model_class.load(path, device="cpu"))

    def save_pretrained(self, path: str | Path) -> Path:
        self.model.save_pretrained(path)
        return Path(path)

    def known_glosses(self) -> set[str]:
        return set(self.model.config.glosses)

    def signers(self) -> list[int]:
        return list(self.model.config.signers)

    def about(self) -> dict:
        c = self.model.config
        return {"trained_on": c.trained_on or "unknown", "synthetic": bool(c.synthetic)}

    def model_inputs(self, inputs: GlossInput) -> tuple[list[int], list[int], list[bool]]:
        """Gloss ids, question ids and negation flags, one per gloss (ValueError for a gloss
        outside the vocabulary)."""
        marks = inputs.marks()
        ids = self.model.vocab.encode(inputs.glosses)
        return ids, [QUESTION_IDS[m["question"]] for m in marks], [bool(m["negation"]) for m in marks]

    def to_data_rate(self, *series: np.ndarray) -> list[np.ndarray]:
        """Per-frame arrays at the model's rate -> at the data's: the (T - 1) intervals
        stretched on the exact grid, linearly interpolated."""
        c = self.model.config
        t_model = len(series[0])
        t_out = int(round((t_model - 1) * c.fps / c.model_fps)) + 1
        if t_out == t_model:
            return list(series)
        return [motion.resample(x, t_out / t_model) for x in series]

    def decode_sentence(self, inputs: GlossInput, signer: int) -> tuple:
        """The model's ``generate_values`` for a sentence, on one thread."""
        with one_thread():
            return self.model.generate_values(*self.model_inputs(inputs), signer)

    def at_data_rate(
        self, values: torch.Tensor, attention: torch.Tensor, *series: torch.Tensor
    ) -> list[np.ndarray]:
        """Decoded values ``[T,254]`` as keypoints, the attention ``[T,N]`` and any other
        per-frame series, at the data's rate (:meth:`to_data_rate`)."""
        return self.to_data_rate(
            self.model.to_keypoints(values).cpu().numpy().astype(np.float32),
            attention.cpu().numpy().astype(np.float64),
            *(x.cpu().numpy() for x in series),
        )

    def pose_output(
        self, inputs: GlossInput, keypoints: np.ndarray, bounds: np.ndarray,
        attention: np.ndarray, **extras,
    ) -> PoseOutput:  # fmt: skip
        """The backend's answer: every frame real, the gloss timings from the frame
        ``bounds`` and the attention (then ``extras``) in the extras."""
        return PoseOutput(
            keypoints=keypoints.astype(np.float32),
            mask=np.ones(keypoints.shape[:2], bool),
            fps=float(self.model.config.fps),
            timings=motion.timings_from_progress(inputs.glosses, bounds),
            extras={"attention": attention.astype(np.float32), **extras},
        )
