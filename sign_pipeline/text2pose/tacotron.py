"""Tacotron text-to-pose (Wang et al. 2017, as the seed built it), fixed and made to move.

Glosses + sentence marks + signer one-hot -> keypoints ``[T, 127, 2]``. Each gloss (with its
question type and negation, plus the signer) goes through a pre-net and a CBHG encoder
(1-D convolution bank, max-pool, convolution projections, highway layers, bidirectional
GRU). An autoregressive decoder writes ``r`` frames per step: a pre-net on the previous
chunk, an attention GRU, location-sensitive attention over the glosses (it sees where it
attended before, so it moves forward), two residual decoder GRUs, and a stop output per
frame. A CBHG post-net then refines the whole sequence (a residual on the decoder's
frames). Decoding ends when the stop output fires while the attention is on the last
gloss: the length is the model's own; no reference length or frame is ever read.

The attention is returned with the keypoints (``extras["attention"]``, frames x glosses)
and the page plots it; the gloss timings (subtitles) come from it.

What differs from the seed, and why:

- **Padded frames are masked out of every loss** (frames, velocity, stop, attention). The
  seed's zero-padded targets pulled the poses toward 0 at the end of short sentences.
- **Guided attention.** Where the corpus's gloss spans match the glosses the model reads,
  the attention is taught the gloss each step signs (the mass on other glosses is the
  loss); elsewhere a soft diagonal (Tachibana et al. 2018). Without it, attention on a
  few-gloss input learns slowly and skips or repeats glosses.
- **Each gloss's own embedding beside the encoder's output** (``encoder_skip``). The
  CBHG's bidirectional GRU makes a gloss's memory a function of the whole sentence; with a
  few hundred training sentences it learned them by heart (free-running DTW 7.8 on training
  sentences, 11.5 on unseen ones) and signed unseen sentences' glosses half unreadably.
- **Chunks of frames at 15 fps, played at 30**, as the Transformer: the output is linearly
  interpolated to the data's rate; fewer steps, so it trains on a 2-core CPU.
- **Scheduled sampling, hidden feedback and a phase.** On half the training steps the
  decoder reads its own previous chunk instead of the reference's, as it does at inference,
  and on half the fed-back chunk is hidden; the decoder is told how many steps its
  attention has spent on the glosses it attends to now (from the cumulative attention). With
  teacher forcing alone the training loss fell and the decoder froze when fed its own
  frames: it had learned to carry its input forward, not to sign the attended gloss.
- **Against regression to the mean**: the frame representation of :mod:`.learned`
  (finger points relative to the wrist, face to the nose, standardised), hands weighing
  more in the L1 loss, a velocity loss on frame-to-frame changes, Gaussian noise on the
  fed-back frames and the pre-net's dropout, so the decoder signs from the glosses instead
  of copying its input; optionally (``adversarial_weight`` > 0) the hand-motion critic of
  :mod:`.learned` judges the post-net's hands, as for the Transformer.

Train with ``python -m training.train_text2pose --backend tacotron --data DIR --out DIR``.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from sign_pipeline.registry import register
from sign_pipeline.text2pose.base import GlossInput, PoseOutput
from sign_pipeline.text2pose.learned import (
    NUM_VALUES,
    QUESTION_IDS,
    LearnedText2Pose,
    Text2PoseConfig,
    Text2PoseModel,
    counter_boundaries,
)

#: How long the attention has been on the glosses it attends to now, as features.
PHASE_FEATURES = 5
#: Steps (of r frames) that one turn of the slowest phase wave covers.
PHASE_PERIOD = 8.0

# ---------------------------------------------------------------------------- config


class TacotronConfig(Text2PoseConfig):
    """Tacotron's sizes, attention, scheduled sampling and stop output (``config.json``);
    the frame rates, decoding cap and shared loss weights: :class:`~.learned.Text2PoseConfig`."""

    model_type = "ksl_tacotron"

    def __init__(
        self,
        embed: int = 128,
        encoder_bank: int = 4,
        bank_channels: int = 64,
        highway_layers: int = 4,
        prenet_dropout: float = 0.5,
        prenet_hidden: int = 256,
        attention_rnn: int = 256,
        decoder_rnn: int = 256,
        attention_dim: int = 128,
        location_filters: int = 16,
        location_kernel: int = 15,
        signer_dim: int = 32,
        attention_window: int = 0,
        feedback_noise: float = 0.3,
        own_output_rate: float = 0.5,
        stop_weight: float = 1.0,
        attention_weight: float = 1.0,
        guide_width: float = 0.2,
        encoder_skip: bool = False,
        **kwargs,
    ) -> None:
        #: Width of the gloss embedding, the encoder pre-net and the encoder's output.
        self.embed = int(embed)
        #: Kernel sizes 1..K in each CBHG's convolution bank, ``bank_channels`` each.
        self.encoder_bank = int(encoder_bank)
        self.bank_channels = int(bank_channels)
        self.highway_layers = int(highway_layers)
        #: Pre-net dropout (in training only: output is deterministic).
        self.prenet_dropout = float(prenet_dropout)
        self.prenet_hidden = int(prenet_hidden)
        self.attention_rnn = int(attention_rnn)
        self.decoder_rnn = int(decoder_rnn)
        self.attention_dim = int(attention_dim)
        self.location_filters = int(location_filters)
        self.location_kernel = int(location_kernel)
        self.signer_dim = int(signer_dim)
        #: At inference, attend only to glosses from the last peak to this many past it
        #: (0: off, the attention is free; the failure rate is measured either way).
        self.attention_window = int(attention_window)
        #: Std of the Gaussian noise on the fed-back frames in training (standardised units).
        self.feedback_noise = float(feedback_noise)
        #: Share of training steps that read the model's own previous chunk (detached)
        #: instead of the reference's (scheduled sampling): at inference it only ever reads
        #: its own, and teacher forcing alone taught it to copy frames it is then not given.
        self.own_output_rate = float(own_output_rate)
        self.stop_weight = float(stop_weight)
        self.attention_weight = float(attention_weight)
        #: Width of the diagonal guide (share of the sentence) where no gloss spans are known.
        self.guide_width = float(guide_width)
        #: Add each gloss's own embedding (a linear map, zero at first) to the encoder's
        #: output. The CBHG's bidirectional GRU makes every gloss's memory a function of the
        #: whole sentence; on 321 training sentences it learned them by heart (free-running
        #: DTW 7.8 on training sentences, 11.5 on unseen ones) and had no plain path for
        #: "which gloss is this" to reach a sentence it has not seen.
        self.encoder_skip = bool(encoder_skip)
        super().__init__(**kwargs)


# ---------------------------------------------------------------------------- layers


class Prenet(nn.Module):
    """Two dense + ReLU + dropout layers (the bottleneck Tacotron puts before each RNN)."""

    def __init__(self, dim_in: int, hidden: int, dim_out: int, dropout: float) -> None:
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(dim_in, hidden), nn.Linear(hidden, dim_out)
        self.dropout = dropout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.dropout(F.relu(self.fc1(x)), self.dropout, self.training)
        return F.dropout(F.relu(self.fc2(x)), self.dropout, self.training)


class ConvNorm(nn.Module):
    """Conv1d over time + batch norm (+ ReLU), same length out ('same' padding, trimmed)."""

    def __init__(self, dim_in: int, dim_out: int, kernel: int, relu: bool = True) -> None:
        super().__init__()
        self.conv = nn.Conv1d(dim_in, dim_out, kernel, padding=kernel // 2, bias=False)
        self.norm = nn.BatchNorm1d(dim_out)
        self.relu = relu

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # [B, C, T]
        y = self.norm(self.conv(x)[..., : x.shape[-1]])
        return F.relu(y) if self.relu else y


class Highway(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.h, self.t = nn.Linear(dim, dim), nn.Linear(dim, dim)
        nn.init.constant_(self.t.bias, -1.0)  # carry the input at first

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate = torch.sigmoid(self.t(x))
        return gate * F.relu(self.h(x)) + (1 - gate) * x


class CBHG(nn.Module):
    """Convolution bank (kernels 1..K), max-pool, two convolution projections with a residual,
    highway layers and a bidirectional GRU: ``[B,T,dim]`` -> ``[B,T,dim]``."""

    def __init__(self, dim: int, bank: int, channels: int, highway_layers: int) -> None:
        super().__init__()
        self.bank = nn.ModuleList(ConvNorm(dim, channels, k) for k in range(1, bank + 1))
        self.proj1 = ConvNorm(bank * channels, dim, 3)
        self.proj2 = ConvNorm(dim, dim, 3, relu=False)
        self.highways = nn.Sequential(*(Highway(dim) for _ in range(highway_layers)))
        self.gru = nn.GRU(dim, dim // 2, batch_first=True, bidirectional=True)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        m = mask[:, None].float()  # [B, 1, T]: padding stays 0 before every convolution
        t = x.shape[1]
        xc = x.transpose(1, 2) * m
        y = torch.cat([conv(xc) for conv in self.bank], 1) * m
        y = F.max_pool1d(y, 2, stride=1, padding=1)[..., :t] * m
        y = self.proj2(self.proj1(y) * m) + xc
        y = self.highways(y.transpose(1, 2))
        lengths = mask.sum(1).clamp(min=1).cpu()
        packed = nn.utils.rnn.pack_padded_sequence(y, lengths, batch_first=True,
                                                   enforce_sorted=False)  # fmt: skip
        out, _ = self.gru(packed)
        out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=t)
        return out


class LocationAttention(nn.Module):
    """Location-sensitive attention (Chorowski et al. 2015): energies from the query, the
    glosses and a convolution of the previous and the cumulative attention weights."""

    def __init__(self, query: int, memory: int, dim: int, filters: int, kernel: int) -> None:
        super().__init__()
        self.query = nn.Linear(query, dim, bias=False)
        self.memory = nn.Linear(memory, dim, bias=False)
        self.location_conv = nn.Conv1d(2, filters, kernel, padding=kernel // 2, bias=False)
        self.location = nn.Linear(filters, dim, bias=False)
        self.v = nn.Linear(dim, 1)

    def forward(
        self,
        query: torch.Tensor,
        keys: torch.Tensor,
        memory: torch.Tensor,
        mask: torch.Tensor,
        previous: torch.Tensor,
        cumulative: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``query`` [B,Q], ``keys`` = ``self.memory(memory)`` [B,N,D], ``mask`` [B,N] (True
        where attention may go): context [B,M] and weights [B,N]."""
        loc = self.location_conv(torch.stack([previous, cumulative], 1))[..., : keys.shape[1]]
        energy = self.v(torch.tanh(self.query(query)[:, None] + keys
                                   + self.location(loc.transpose(1, 2))))[..., 0]  # fmt: skip
        weights = energy.masked_fill(~mask, float("-inf")).softmax(-1)
        return (weights[:, None] @ memory)[:, 0], weights


# ---------------------------------------------------------------------------- the model


class Tacotron(Text2PoseModel):
    """CBHG gloss encoder + attention decoder with a stop output + CBHG post-net."""

    config_class = TacotronConfig
    gloss_init_std = 0.3
    marks_init_std = 0.3

    def __init__(self, config: TacotronConfig) -> None:
        super().__init__(config)
        c = config
        r = c.frames_per_step
        self.gloss_embed = nn.Embedding(len(self.vocab), c.embed, padding_idx=0)
        self.question_embed = nn.Embedding(len(QUESTION_IDS), c.embed)
        self.negation_embed = nn.Embedding(2, c.embed)
        self.signer_embed = nn.Linear(c.num_signers, c.signer_dim)
        self.encoder_signer = nn.Linear(c.signer_dim, c.embed)
        self.encoder_prenet = Prenet(c.embed, c.embed, c.embed, c.prenet_dropout)
        self.encoder = CBHG(c.embed, c.encoder_bank, c.bank_channels, c.highway_layers)
        self.encoder_skip = nn.Linear(c.embed, c.embed) if c.encoder_skip else None
        self.decoder_prenet = Prenet(r * NUM_VALUES, c.prenet_hidden, c.prenet_hidden // 2,
                                     c.prenet_dropout)  # fmt: skip
        self.attention_rnn = nn.GRUCell(c.prenet_hidden // 2 + c.embed + c.signer_dim,
                                        c.attention_rnn)  # fmt: skip
        self.attention = LocationAttention(c.attention_rnn, c.embed, c.attention_dim,
                                           c.location_filters, c.location_kernel)  # fmt: skip
        self.decoder_in = nn.Linear(c.attention_rnn + c.embed + c.signer_dim + PHASE_FEATURES,
                                    c.decoder_rnn)  # fmt: skip
        self.decoder_rnns = nn.ModuleList(nn.GRUCell(c.decoder_rnn, c.decoder_rnn)
                                          for _ in range(2))  # fmt: skip
        self.frame_out = nn.Linear(c.decoder_rnn + c.embed, r * NUM_VALUES)
        self.stop_out = nn.Linear(c.decoder_rnn + c.embed, r)
        self.postnet_in = nn.Linear(NUM_VALUES + c.signer_dim, c.embed)
        self.postnet = CBHG(c.embed, c.encoder_bank, c.bank_channels, 2)
        self.postnet_out = nn.Linear(c.embed, NUM_VALUES)
        self.add_frame_parts(c)  # the frame standardisation, loss weights and hand critic
        self.post_init()

    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)
        if module is getattr(self, "postnet_out", None):
            nn.init.zeros_(module.weight)  # the post-net starts as "no change"
        if module is getattr(self, "encoder_skip", None):
            nn.init.zeros_(module.weight)  # the skip starts as "no change" (--init-from)
            nn.init.zeros_(module.bias)

    # ------------------------------------------------------------------ network

    def encode(
        self,
        gloss_ids: torch.Tensor,
        question: torch.Tensor,
        negation: torch.Tensor,
        gloss_mask: torch.Tensor,
        signer: torch.Tensor,
    ) -> torch.Tensor:
        """``[B, N, embed]`` gloss memory (``signer`` is the signer embedding [B, S])."""
        x = (self.gloss_embed(gloss_ids) + self.question_embed(question)
             + self.negation_embed(negation.long()) + self.encoder_signer(signer)[:, None])  # fmt: skip
        out = self.encoder(self.encoder_prenet(x), gloss_mask)
        if self.encoder_skip is not None:
            out = out + self.encoder_skip(x)
        return out * gloss_mask[..., None]

    def initial_state(self, memory: torch.Tensor) -> dict[str, torch.Tensor]:
        b, n, _ = memory.shape
        c = self.config
        weights = torch.zeros(b, n, device=memory.device)
        weights[:, 0] = 1.0  # the first step starts on the first gloss
        return {
            "attention_h": memory.new_zeros(b, c.attention_rnn),
            "decoder_h": [memory.new_zeros(b, c.decoder_rnn) for _ in self.decoder_rnns],
            "context": memory[:, 0],
            "weights": weights,
            "cumulative": weights.clone(),
        }

    def step(
        self,
        previous: torch.Tensor,
        state: dict,
        memory: torch.Tensor,
        keys: torch.Tensor,
        allowed: torch.Tensor,
        signer: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor, dict]:
        """One decoder step: the pre-net output of the previous chunk [B,P] -> the chunk's
        values ``[B, r*254]``, its stop logits ``[B, r]`` and the new state (its
        ``weights`` are this step's attention)."""
        h_att = self.attention_rnn(torch.cat([previous, state["context"], signer], -1),
                                   state["attention_h"])  # fmt: skip
        context, weights = self.attention(h_att, keys, memory, allowed, state["weights"],
                                          state["cumulative"])  # fmt: skip
        # the phase: steps already spent on the glosses attended now (soft), as features
        spent = (weights * state["cumulative"]).sum(-1, keepdim=True) - 1.0
        k = torch.arange(1, 3, device=spent.device) * (2 * math.pi / PHASE_PERIOD)
        phase = torch.cat([spent / PHASE_PERIOD, (spent * k).sin(), (spent * k).cos()], -1)
        x = self.decoder_in(torch.cat([h_att, context, signer, phase], -1))
        hs = []
        for rnn, h in zip(self.decoder_rnns, state["decoder_h"], strict=True):
            h = rnn(x, h)
            x = x + h
            hs.append(h)
        out = torch.cat([x, context], -1)
        new = {"attention_h": h_att, "decoder_h": hs, "context": context, "weights": weights,
               "cumulative": state["cumulative"] + weights}  # fmt: skip
        return self.frame_out(out), self.stop_out(out), new

    def refine(
        self, values: torch.Tensor, mask: torch.Tensor, signer: torch.Tensor
    ) -> torch.Tensor:
        """The post-net: decoder values ``[B,T,254]`` -> refined values (a residual)."""
        x = self.postnet_in(torch.cat([values, signer[:, None].expand(-1, values.shape[1], -1)],
                                      -1))  # fmt: skip
        return values + self.postnet_out(self.postnet(x, mask))

    # ------------------------------------------------------------------ training

    def guide(self, steps: int, lengths: torch.Tensor, gloss_mask: torch.Tensor,
              ends: torch.Tensor | None) -> torch.Tensor:  # fmt: skip
        """``[B, S, N]`` penalty on attending to gloss n at step s: 0 on the gloss the data's
        spans put at the step's middle frame (where known), else a soft diagonal."""
        r = self.config.frames_per_step
        dev = gloss_mask.device
        middle = (torch.arange(steps, device=dev) * r + (r - 1) / 2 + 0.5)[None] / lengths
        middle = middle.clamp(max=1.0)  # [B, S], share of the clip
        n_real = gloss_mask.sum(1, keepdim=True).float()  # [B, 1]
        n_idx = torch.arange(gloss_mask.shape[1], device=dev).float()
        centre = (n_idx[None] + 0.5) / n_real  # [B, N]
        g = self.config.guide_width
        penalty = 1 - torch.exp(-((centre[:, None] - middle[..., None]) ** 2) / (2 * g * g))
        if ends is not None:
            known = torch.isfinite(ends).all(1)
            inner = ends.nan_to_num(1.0).masked_fill(~gloss_mask, float("inf"))
            idx = (inner[:, None, :] <= middle[..., None] - 1e-6).sum(-1)  # [B, S]
            idx = torch.minimum(idx, n_real.long() - 1)
            exact = (n_idx[None, None] != idx[..., None]).float()
            penalty = torch.where(known[:, None, None], exact, penalty)
        return penalty

    def forward(self, batch: dict) -> tuple[torch.Tensor, dict[str, float]]:
        """The training loss of a batch of :func:`training.dataset.collate_padded` at the
        model's frame rate, teacher-forced: weighted L1 on the decoder's and the post-net's
        frames, L1 on frame-to-frame changes, the stop output's cross-entropy and the
        guided-attention penalty; padded frames count nowhere."""
        c = self.config
        r = c.frames_per_step
        dev = self.device
        frame_mask, values, ok, lengths = self.frame_targets(batch)
        b, t, _ = values.shape
        steps = -(-t // r)
        vals_p = F.pad(values, (0, 0, 0, steps * r - t))
        signer = self.signer_embed(batch["signer_onehot"].to(dev))
        gloss_mask = batch["gloss_mask"].to(dev)
        memory = self.encode(batch["gloss_ids"].to(dev), batch["question"].to(dev),
                             batch["negation"].to(dev), gloss_mask, signer)  # fmt: skip
        keys = self.attention.memory(memory)
        # step j reads chunk j-1 (step 0 a zero "go" chunk) and writes chunk j
        chunks = vals_p.reshape(b, steps, r * NUM_VALUES)
        previous = torch.cat([torch.zeros_like(chunks[:, :1]), chunks[:, :-1]], 1)
        if self.training and c.feedback_noise > 0:
            noise = torch.randn_like(previous) * c.feedback_noise
            noise[:, 0] = 0.0
            previous = previous + noise
        own = torch.zeros(b, steps, 1, dtype=torch.bool, device=dev)
        if self.training and c.own_output_rate > 0:
            own = torch.rand(b, steps, 1, device=dev) < c.own_output_rate
            own[:, 0] = False  # the first step always reads the "go" chunk
        state = self.initial_state(memory)
        outs, stops, attns = [], [], []
        hide = torch.zeros(b, steps, 1, dtype=torch.bool, device=dev)
        if self.training and c.feedback_dropout > 0:
            hide = torch.rand(b, steps, 1, device=dev) < c.feedback_dropout
        for j in range(steps):
            given = previous[:, j]
            if j > 0 and bool(own[:, j].any()):
                given = torch.where(own[:, j], outs[-1].detach(), given)
            given = given.masked_fill(hide[:, j], 0.0)
            out, stop, state = self.step(self.decoder_prenet(given), state, memory, keys,
                                         gloss_mask, signer)  # fmt: skip
            outs.append(out)
            stops.append(stop)
            attns.append(state["weights"])
        pre = torch.stack(outs, 1).reshape(b, steps * r, NUM_VALUES)[:, :t]
        stop_logits = torch.stack(stops, 1).reshape(b, steps * r)[:, :t]
        attention = torch.stack(attns, 1)  # [B, S, N]
        post = self.refine(pre, frame_mask, signer)
        w = self.weights
        den = (ok.float() * w).sum().clamp(min=1)
        pre_loss = ((pre - values).abs() * w * ok).sum() / den
        post_loss = ((post - values).abs() * w * ok).sum() / den
        velocity_loss = self.velocity_loss(post, values, ok)
        energy_loss = (self.energy_loss(post, values, ok) if c.energy_weight > 0
                       else torch.zeros((), device=dev))  # fmt: skip
        last = torch.arange(t, device=dev)[None] == (lengths - 1)
        stop_loss = (F.binary_cross_entropy_with_logits(
            stop_logits, last.float(), pos_weight=torch.tensor(8.0, device=dev),
            reduction="none") * frame_mask).sum() / frame_mask.sum()  # fmt: skip
        step_mask = (torch.arange(steps, device=dev)[None] * r < lengths).float()  # [B, S]
        penalty = self.guide(steps, lengths, gloss_mask, batch.get("gloss_ends"))
        attention_loss = ((attention * penalty).sum(-1) * step_mask).sum() / step_mask.sum()
        loss = (pre_loss + post_loss + c.velocity_weight * velocity_loss
                + c.stop_weight * stop_loss + c.attention_weight * attention_loss
                + c.energy_weight * energy_loss)  # fmt: skip
        parts = {"frames": pre_loss.item(), "postnet": post_loss.item(),
                 "velocity": velocity_loss.item(), "stop": stop_loss.item(),
                 "attention": attention_loss.item(),
                 **({"energy": energy_loss.item()} if c.energy_weight > 0 else {})}  # fmt: skip
        return self.with_critic_loss(loss, parts, values, post, ok, frame_mask)

    # ------------------------------------------------------------------ generation

    @torch.no_grad()
    def generate_values(
        self,
        gloss_ids: list[int],
        question: list[int],
        negation: list[bool],
        signer: int,
    ) -> tuple[torch.Tensor, torch.Tensor, bool]:
        """Decode chunk by chunk until the stop output fires (probability > 0.5) on a frame
        while the attention is on the last gloss: values ``[T,254]`` after the post-net,
        the attention ``[T,N]`` (each frame carries its step's) at the model's rate, and
        whether the stop output ended it (False: the safety cap did)."""
        c = self.config
        r = c.frames_per_step
        dev = self.device
        n = len(gloss_ids)
        signer_vec = self.signer_embed(self.signer_onehot(signer))
        *sentence, gloss_mask = self.sentence_tensors(gloss_ids, question, negation)
        memory = self.encode(*sentence, gloss_mask, signer_vec)
        keys = self.attention.memory(memory)
        state = self.initial_state(memory)
        min_frames, cap = self.frame_limits(n)
        previous = torch.zeros(1, r * NUM_VALUES, device=dev)
        values, attns = [], []
        peak, stopped = 0, False
        for _ in range(-(-cap // r)):
            allowed = gloss_mask
            if c.attention_window > 0:
                idx = torch.arange(n, device=dev)
                allowed = ((idx >= peak) & (idx <= peak + c.attention_window))[None]
            out, stop, state = self.step(self.decoder_prenet(previous), state, memory, keys,
                                         allowed, signer_vec)  # fmt: skip
            peak = int(state["weights"][0].argmax())
            chunk = out.view(r, NUM_VALUES)
            probs = torch.sigmoid(stop[0])
            for k in range(r):
                values.append(chunk[k])
                attns.append(state["weights"][0])
                stopped = len(values) >= min_frames and peak == n - 1 and bool(probs[k] > 0.5)
                if stopped or len(values) >= cap:
                    break
            if stopped or len(values) >= cap:
                break
            previous = out
        pre = torch.stack(values)[None]
        post = self.refine(pre, torch.ones(1, pre.shape[1], dtype=torch.bool, device=dev),
                           signer_vec)  # fmt: skip
        return post[0], torch.stack(attns), stopped


def attention_boundaries(attention: np.ndarray) -> np.ndarray:
    """``N + 1`` frame boundaries from an attention ``[T, N]``: each frame belongs to the
    gloss of its attention peak, made monotone (a step back is read as staying); every
    gloss keeps at least one frame."""
    t, n = attention.shape
    peak = np.maximum.accumulate(attention.argmax(1))
    return counter_boundaries((peak + 0.5) / n, (np.arange(n) + 1.0) / n)


# ---------------------------------------------------------------------------- the backend


@register
class TacotronText2Pose(LearnedText2Pose):
    """The "Tacotron" choice: a trained Tacotron with location-sensitive attention."""

    label = "Tacotron"
    description = "Tacotron (learned; CBHG encoder, location-sensitive attention, stop output)"
    model_class = Tacotron
    config_class = TacotronConfig

    def generate(self, inputs: GlossInput, signer: int = 1, speed: float = 1.0) -> PoseOutput:
        """Keypoints decoded until the stop output fires on the last gloss, the gloss
        timings from the attention's peaks (``speed``: applied by :meth:`Text2Pose.sign`)."""
        values, attn, stopped = self.decode_sentence(inputs, signer)
        kp, attn_np = self.at_data_rate(values, attn)
        return self.pose_output(inputs, kp, attention_boundaries(attn_np), attn_np,
                                stopped_by="stop output" if stopped else "length cap")  # fmt: skip
