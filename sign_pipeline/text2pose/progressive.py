"""Progressive Transformer text-to-pose (Saunders et al., ECCV 2020), fixed and made to move.

Glosses + sentence marks + signer one-hot -> keypoints ``[T, 127, 2]``. A transformer
encoder reads the glosses (each with its question type and negation, plus the signer); a
causal transformer decoder writes the frames, each with a *progress counter* 0..1, reading
its own previous output. Decoding stops when the predicted counter reaches 1, so the length
is the model's own: no reference length or frames are ever read (the published code decoded
for the ground-truth length and overwrote the counter with the ground truth; not here).

What differs from the paper, and why:

- **The counter only grows.** Each frame adds a positive increment (softplus) to the counter
  it was given; frame t of T has counter (t + 1) / T. The increment is 1/T when right, so
  the model learns the length as a rate, and decoding always ends.
- **The counter is a clock.** The encoder also predicts each gloss's share of the sentence
  (learned from the corpus's gloss spans where the glosses match them); the decoder is told
  which gloss the counter is in and how far into it (its phase), besides attending to all
  glosses. Subtitles (gloss timings) come from the same clock.
- **Chunks of frames at 15 fps, played at 30.** Each decoder step writes 3 frames at 15 fps
  (as Tacotron's reduction factor) and predicts 2 more it throws away ("future
  prediction"); the output is linearly interpolated to the data's 30 fps. Six times fewer
  steps: training fits a 2-core CPU and decoding takes tens of milliseconds.
- **Against regression to the mean** (slow, averaged motion, closed frozen hands): finger
  points are predicted relative to their hand's wrist and face points relative to the nose,
  every value standardised over the training data (a finger closing is as large a target as
  an arm's move); the hands weigh more in the L1 loss; a velocity loss makes frame-to-frame
  changes match the reference's; Gaussian noise on the decoder's own inputs, scaled by the
  running std of its own error (the paper's scheme, capped), and hiding the fed-back frames
  on some training steps keep the decoder from copying its input instead of signing.
  Optionally (``adversarial_weight`` > 0) a small temporal critic judges the hands' motion
  (:class:`~.learned.HandMotionCritic`, as Saunders et al. 2020), pushing towards real,
  crisp hand movement instead of the averaged one.

Train with ``python -m training.train_text2pose --backend progressive --data DIR --out DIR``.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from sign_pipeline.registry import register
from sign_pipeline.text2pose.base import GlossInput, PoseOutput
from sign_pipeline.text2pose.learned import (  # noqa: F401 (re-exported for tests)
    NUM_VALUES,
    QUESTION_IDS,
    LearnedText2Pose,
    Text2PoseConfig,
    Text2PoseModel,
    counter_boundaries,
    from_relative,
    to_relative,
    value_weights,
)

#: The phase inside a gloss is given as itself and sin/cos of 1..3 half-turns.
PHASE_FEATURES = 7
#: Counter increments are softplus(output) x this: about 1/70 per frame at initialisation.
COUNTER_SCALE = 0.02
#: The error std (standardised units) above which the input noise stops growing.
MAX_NOISE_ERROR = 0.5


# ---------------------------------------------------------------------------- config + layers


class ProgressiveConfig(Text2PoseConfig):
    """The Transformer's sizes, its decoder-input noise and counter (``config.json``);
    the frame rates, decoding cap and shared loss weights: :class:`~.learned.Text2PoseConfig`."""

    model_type = "ksl_progressive_transformer"

    def __init__(
        self,
        hidden: int = 128,
        heads: int = 4,
        encoder_layers: int = 2,
        decoder_layers: int = 2,
        ff_mult: int = 4,
        dropout: float = 0.1,
        future_frames: int = 2,
        noise_rate: float = 1.0,
        counter_noise: float = 0.01,
        counter_weight: float = 1.0,
        modes: int = 1,
        mode_floor: float = 0.05,
        **kwargs,
    ) -> None:
        self.hidden = int(hidden)
        self.heads = int(heads)
        self.encoder_layers = int(encoder_layers)
        self.decoder_layers = int(decoder_layers)
        self.ff_mult = int(ff_mult)
        self.dropout = float(dropout)
        #: Frames predicted beyond each chunk (of ``frames_per_step``, which the next step
        #: reads whole), trained and thrown away ("future prediction").
        self.future_frames = int(future_frames)
        #: Decoder input noise = noise_rate x the running std of the model's own error.
        self.noise_rate = float(noise_rate)
        #: (``feedback_dropout`` 1.0: the frames are never fed back, only the counter is.)
        #: Std of the noise on the input counter (fixed: the output counter is input + rises).
        self.counter_noise = float(counter_noise)
        self.counter_weight = float(counter_weight)
        #: Output modes per chunk (1: one prediction). With K > 1 the decoder proposes K
        #: chunks and scores them; training moves the closest one to the reference (and the
        #: others by ``mode_floor`` of the loss, so none is left unused) and teaches the scores
        #: to pick it; decoding takes the best-scored. Quick moves whose timing is uncertain
        #: then get a mode each instead of their average.
        self.modes = int(modes)
        self.mode_floor = float(mode_floor)
        if self.modes < 1:
            raise ValueError(f"modes must be at least 1, got {modes}")
        super().__init__(**kwargs)


def sinusoid(length: int, dim: int, offset: int = 0, device=None) -> torch.Tensor:
    """``[length, dim]`` sinusoidal position encoding starting at position ``offset``."""
    pos = torch.arange(offset, offset + length, device=device, dtype=torch.float32)[:, None]
    freq = torch.exp(
        torch.arange(0, dim, 2, device=device, dtype=torch.float32) * (-math.log(1e4) / dim)
    )
    pe = torch.zeros(length, dim, device=device)
    pe[:, 0::2] = torch.sin(pos * freq)
    pe[:, 1::2] = torch.cos(pos * freq)
    return pe


class Attention(nn.Module):
    """Multi-head attention with an optional key/value cache (self-attention while decoding)
    and optional attention weights (cross-attention, for gloss timings)."""

    def __init__(self, hidden: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.heads = heads
        self.q = nn.Linear(hidden, hidden)
        self.kv = nn.Linear(hidden, 2 * hidden)
        self.out = nn.Linear(hidden, hidden)
        self.dropout = dropout

    def _split(self, x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        return x.view(b, t, self.heads, d // self.heads).transpose(1, 2)

    def keys_values(self, source: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        k, v = self.kv(source).chunk(2, dim=-1)
        return self._split(k), self._split(v)

    def forward(
        self,
        x: torch.Tensor,
        source: torch.Tensor | None = None,
        key_mask: torch.Tensor | None = None,
        causal: bool = False,
        cache: dict | None = None,
        weights: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``x`` [B,T,D] attends to ``source`` (itself when None). ``key_mask`` [B,S]: True
        for real keys. ``cache``: a dict keeping keys/values across decoding steps (for
        self-attention, appended to; for cross-attention, computed once)."""
        b, t, d = x.shape
        q = self._split(self.q(x))
        if source is None:  # self-attention, growing cache
            k, v = self.keys_values(x)
            if cache is not None:
                if "k" in cache:
                    k, v = torch.cat([cache["k"], k], 2), torch.cat([cache["v"], v], 2)
                cache["k"], cache["v"] = k, v
        elif cache is not None and "k" in cache:  # cross-attention, memory fixed
            k, v = cache["k"], cache["v"]
        else:
            k, v = self.keys_values(source)
            if cache is not None:
                cache["k"], cache["v"] = k, v
        drop = self.dropout if self.training else 0.0
        if not weights:
            mask = None if key_mask is None else key_mask[:, None, None, :]
            y = F.scaled_dot_product_attention(
                q, k, v, attn_mask=mask, dropout_p=drop, is_causal=causal and mask is None
            )
            attn = None
        else:
            scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
            if key_mask is not None:
                scores = scores.masked_fill(~key_mask[:, None, None, :], float("-inf"))
            if causal:
                s = k.shape[2]
                tri = torch.ones(t, s, dtype=torch.bool, device=x.device).tril(s - t)
                scores = scores.masked_fill(~tri, float("-inf"))
            attn = scores.softmax(-1)
            y = F.dropout(attn, drop, self.training) @ v
            attn = attn.mean(1)  # [B, T, S] over heads
        y = y.transpose(1, 2).reshape(b, t, d)
        return self.out(y), attn


class FeedForward(nn.Sequential):
    def __init__(self, hidden: int, mult: int, dropout: float) -> None:
        super().__init__(
            nn.Linear(hidden, hidden * mult), nn.GELU(), nn.Dropout(dropout),
            nn.Linear(hidden * mult, hidden),
        )  # fmt: skip


class EncoderLayer(nn.Module):
    """Pre-norm self-attention + feed-forward over the glosses."""

    def __init__(self, c: ProgressiveConfig) -> None:
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(c.hidden), nn.LayerNorm(c.hidden)
        self.attn = Attention(c.hidden, c.heads, c.dropout)
        self.ff = FeedForward(c.hidden, c.ff_mult, c.dropout)
        self.drop = nn.Dropout(c.dropout)

    def forward(self, x: torch.Tensor, key_mask: torch.Tensor) -> torch.Tensor:
        x = x + self.drop(self.attn(self.norm1(x), key_mask=key_mask)[0])
        return x + self.drop(self.ff(self.norm2(x)))


class DecoderLayer(nn.Module):
    """Pre-norm causal self-attention over frames, cross-attention to the glosses, feed-forward."""

    def __init__(self, c: ProgressiveConfig) -> None:
        super().__init__()
        self.norm1, self.norm2, self.norm3 = (nn.LayerNorm(c.hidden) for _ in range(3))
        self.self_attn = Attention(c.hidden, c.heads, c.dropout)
        self.cross_attn = Attention(c.hidden, c.heads, c.dropout)
        self.ff = FeedForward(c.hidden, c.ff_mult, c.dropout)
        self.drop = nn.Dropout(c.dropout)

    def forward(
        self,
        x: torch.Tensor,
        memory: torch.Tensor,
        memory_mask: torch.Tensor,
        cache: dict | None = None,
        weights: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        self_cache = None if cache is None else cache.setdefault("self", {})
        cross_cache = None if cache is None else cache.setdefault("cross", {})
        causal = cache is None or "k" not in self_cache
        h = self.self_attn(self.norm1(x), causal=causal, cache=self_cache)[0]
        x = x + self.drop(h)
        h, attn = self.cross_attn(
            self.norm2(x), memory, memory_mask, cache=cross_cache, weights=weights
        )
        x = x + self.drop(h)
        return x + self.drop(self.ff(self.norm3(x))), attn


# ---------------------------------------------------------------------------- the model


class ProgressiveTransformer(Text2PoseModel):
    """Gloss encoder + autoregressive pose decoder with a progress counter."""

    config_class = ProgressiveConfig
    # the glosses and their marks as strong as the position encoding (the base's std 0.02
    # left the encoder blind to which gloss it reads for many epochs)
    gloss_init_std = 1.0
    marks_init_std = 0.5

    def __init__(self, config: ProgressiveConfig) -> None:
        super().__init__(config)
        c = config
        self.gloss_embed = nn.Embedding(len(self.vocab), c.hidden, padding_idx=0)
        self.question_embed = nn.Embedding(len(QUESTION_IDS), c.hidden)
        self.negation_embed = nn.Embedding(2, c.hidden)
        self.signer_encoder = nn.Linear(c.num_signers, c.hidden)
        self.encoder = nn.ModuleList(EncoderLayer(c) for _ in range(c.encoder_layers))
        self.encoder_norm = nn.LayerNorm(c.hidden)
        # decoder input: the previous chunk's standardised values + its last counter + start flag
        self.frame_in = nn.Linear(c.frames_per_step * NUM_VALUES + 3, c.hidden)
        self.signer_decoder = nn.Linear(c.num_signers, c.hidden)
        # the counter as a clock: each gloss's share of the sentence, then per step the
        # gloss the counter is in and how far into it (its phase)
        self.duration_out = nn.Sequential(
            nn.Linear(c.hidden, c.hidden), nn.GELU(), nn.Linear(c.hidden, 1)
        )
        self.clock_in = nn.Linear(c.hidden + PHASE_FEATURES, c.hidden)
        self.decoder = nn.ModuleList(DecoderLayer(c) for _ in range(c.decoder_layers))
        self.decoder_norm = nn.LayerNorm(c.hidden)
        self.frame_out = nn.Linear(
            c.hidden, c.modes * NUM_VALUES * (c.frames_per_step + c.future_frames)
        )
        # the score of each output mode (absent with one mode)
        self.mode_out = nn.Linear(c.hidden, c.modes) if c.modes > 1 else None
        self.counter_out = nn.Linear(c.hidden, c.frames_per_step)
        # standardisation of the relative frame values (fitted on the training data), the
        # loss weights and the hand critic
        self.add_frame_parts(c)
        # the running std of the model's own one-step error, per value (+ the counter's):
        # the scale of the noise put on the decoder's inputs in training
        self.register_buffer("error_std", torch.full((NUM_VALUES + 1,), 0.5))
        self.post_init()
        if self.mode_out is not None:  # the modes start equally likely
            nn.init.zeros_(self.mode_out.weight)
            nn.init.zeros_(self.mode_out.bias)

    # ------------------------------------------------------------------ network

    def encode(
        self,
        gloss_ids: torch.Tensor,
        question: torch.Tensor,
        negation: torch.Tensor,
        gloss_mask: torch.Tensor,
        signer_onehot: torch.Tensor,
    ) -> torch.Tensor:
        """``[B, N, D]`` gloss memory."""
        n = gloss_ids.shape[1]
        x = (
            self.gloss_embed(gloss_ids)
            + self.question_embed(question)
            + self.negation_embed(negation.long())
            + self.signer_encoder(signer_onehot)[:, None]
            + sinusoid(n, self.config.hidden, device=gloss_ids.device)
        )
        for layer in self.encoder:
            x = layer(x, gloss_mask)
        return self.encoder_norm(x)

    def gloss_ends(self, memory: torch.Tensor, gloss_mask: torch.Tensor) -> torch.Tensor:
        """``[B, N]`` where each gloss ends on the counter's 0..1 scale (its predicted share
        of the sentence, accumulated); padded glosses end at 1. It reads the memory without
        training it: pushed by durations, the encoder made every gloss look alike."""
        logits = self.duration_out(memory.detach())[..., 0].masked_fill(~gloss_mask, float("-inf"))
        return logits.softmax(-1).cumsum(-1).clamp(max=1.0)

    @staticmethod
    def clock(
        position: torch.Tensor, ends: torch.Tensor, gloss_mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """For counter positions ``[B,S]`` (the share of frames already signed): the index of
        the gloss being signed ``[B,S]`` and the phase inside it 0..1 ``[B,S]``."""
        n_real = gloss_mask.sum(1, keepdim=True)  # [B, 1]
        inner = ends.masked_fill(~gloss_mask, float("inf"))
        idx = (inner[:, None, :] <= position[..., None]).sum(-1)
        idx = torch.minimum(idx, n_real - 1)
        starts = F.pad(ends[:, :-1], (1, 0))
        s_i, e_i = starts.gather(1, idx), ends.gather(1, idx)
        phase = ((position - s_i) / (e_i - s_i).clamp(min=1e-3)).clamp(0.0, 1.0)
        return idx, phase

    def clock_features(
        self, memory: torch.Tensor, idx: torch.Tensor, phase: torch.Tensor
    ) -> torch.Tensor:
        """``[B,S,D]``: the current gloss's encoding and its phase, for the decoder input."""
        current = memory.gather(1, idx[..., None].expand(-1, -1, memory.shape[-1]))
        k = torch.arange(1, 4, device=phase.device) * math.pi
        waves = phase[..., None] * k
        feats = torch.cat([phase[..., None], waves.sin(), waves.cos()], -1)
        return self.clock_in(torch.cat([current, feats], -1))

    def decode(
        self,
        previous: torch.Tensor,
        counters: torch.Tensor,
        start: torch.Tensor,
        signer_onehot: torch.Tensor,
        memory: torch.Tensor,
        memory_mask: torch.Tensor,
        ends: torch.Tensor,
        cache: list[dict] | None = None,
        offset: int = 0,
        weights: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None, torch.Tensor]:
        """One decoder step per chunk of ``frames_per_step`` frames.

        In: each step's previous chunk ``[B,S,r*254]`` (standardised values), the counter of
        its last frame ``[B,S]`` (0 at the start) and a start flag ``[B,S]``; the glosses'
        ends on the counter scale ``[B,N]`` say which gloss the counter is in. Out: the
        predicted values ``[B,S,K,r+future,254]`` of each of the K output modes (the chunk,
        then the future frames), the chunk's counters ``[B,S,r]`` (the input counter plus
        positive increments), if asked the last layer's cross-attention ``[B,S,N]``, and
        the modes' scores ``[B,S,K]`` (zeros with one mode).
        """
        c = self.config
        s = previous.shape[1]
        given = (previous != 0).any(-1, keepdim=True).float()  # frames fed back, or hidden
        x = self.frame_in(torch.cat([previous, counters[..., None], start[..., None], given], -1))
        x = x + self.signer_decoder(signer_onehot)[:, None]
        x = x + sinusoid(s, c.hidden, offset, device=x.device)
        x = x + self.clock_features(memory, *self.clock(counters, ends, memory_mask))
        attn = None
        for i, layer in enumerate(self.decoder):
            x, a = layer(x, memory, memory_mask, None if cache is None else cache[i],
                         weights=weights and i == len(self.decoder) - 1)  # fmt: skip
            attn = a if a is not None else attn
        x = self.decoder_norm(x)
        frames = self.frame_out(x).unflatten(
            -1, (c.modes, c.frames_per_step + c.future_frames, NUM_VALUES)
        )
        scores = (self.mode_out(x) if self.mode_out is not None
                  else torch.zeros(*x.shape[:2], 1, device=x.device))  # fmt: skip
        # the counter only grows: each frame adds a positive increment (1/T when right)
        increments = F.softplus(self.counter_out(x)) * COUNTER_SCALE
        return frames, counters[..., None] + increments.cumsum(-1), attn, scores

    def adapt_source_state(self, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Another checkpoint's weights for this model (fine-tuning with ``--init-from``):
        a source with fewer output modes gives each of this model's modes a copy of its
        output layer (its first mode's), slightly perturbed so the modes can part."""
        c = self.config
        out = dict(state)
        per_mode = NUM_VALUES * (c.frames_per_step + c.future_frames)
        for name in ("frame_out.weight", "frame_out.bias"):
            have, want = out.get(name), self.state_dict()[name]
            if have is None or have.shape == want.shape or have.shape[0] % per_mode:
                continue
            first = have[:per_mode]
            copies = first.repeat(c.modes, *([1] * (first.dim() - 1)))
            g = torch.Generator().manual_seed(0)
            out[name] = copies + 0.01 * first.std() * torch.randn(copies.shape, generator=g)
        return out

    # ------------------------------------------------------------------ training

    def forward(self, batch: dict) -> tuple[torch.Tensor, dict[str, float]]:
        """The training loss of a batch of :func:`training.dataset.collate_padded` at the
        model's frame rate, teacher-forced: weighted L1 on the frames (the chunk, and the
        future frames at half weight), L1 on frame-to-frame changes (velocity), L1 on the
        counter. The decoder's inputs get noise scaled by the model's own error (see the
        module docstring); in training mode the error statistics are updated."""
        c = self.config
        r, f = c.frames_per_step, c.future_frames
        dev = self.device
        frame_mask, values, okv, lengths = self.frame_targets(batch)
        b, t, _ = values.shape
        counters = (torch.arange(1, t + 1, device=dev)[None] / lengths).clamp(max=1.0)
        steps = -(-t // r)
        pad = steps * r + f - t  # whole chunks, plus room for the last future frames
        vals_p = F.pad(values, (0, 0, 0, pad))
        ok_p = F.pad(okv, (0, 0, 0, pad))
        cnt_p = F.pad(counters, (0, pad))
        signer = batch["signer_onehot"].to(dev)
        gloss_mask = batch["gloss_mask"].to(dev)
        memory = self.encode(batch["gloss_ids"].to(dev), batch["question"].to(dev),
                             batch["negation"].to(dev), gloss_mask, signer)  # fmt: skip
        # where each gloss ends: from the data's gloss spans when they match the glosses
        # (teacher forcing), else predicted; the prediction learns from the spans
        ends = self.gloss_ends(memory, gloss_mask)
        duration_loss = torch.zeros((), device=dev)
        if "gloss_ends" in batch:
            true_ends = batch["gloss_ends"].to(dev)
            known = torch.isfinite(true_ends).all(1)
            if known.any():
                m = gloss_mask[known]
                duration_loss = ((ends[known] - true_ends[known]).abs() * m).sum() / m.sum()
            ends = torch.where(known[:, None], true_ends.nan_to_num(1.0), ends.detach())
        # step j reads chunk j-1 (step 0 a start token) and writes chunk j (+ future frames)
        chunks = vals_p[:, : steps * r].reshape(b, steps, r * NUM_VALUES)
        previous = torch.cat([torch.zeros_like(chunks[:, :1]), chunks[:, :-1]], 1)
        prev_counter = torch.cat([torch.zeros_like(cnt_p[:, :1]),
                                  cnt_p[:, r - 1 : (steps - 1) * r : r]], 1)  # fmt: skip
        start = torch.zeros(b, steps, device=dev)
        start[:, 0] = 1.0
        if self.training and c.noise_rate > 0:
            # capped: the model's error grows with the noise, which must not feed back forever
            std = self.error_std[:NUM_VALUES].clamp(max=MAX_NOISE_ERROR) * c.noise_rate
            keep = 1 - start
            previous = previous + torch.randn_like(previous) * std.repeat(r)
            previous = previous * keep[..., None]
            if c.feedback_dropout > 0:
                hide = torch.rand(b, steps, 1, device=dev) < c.feedback_dropout
                previous = previous.masked_fill(hide, 0.0)
            noise = torch.randn_like(prev_counter) * c.counter_noise
            prev_counter = (prev_counter + noise).clamp(min=0) * keep
        pred, pred_counter, _, scores = self.decode(previous, prev_counter, start, signer,
                                                    memory, gloss_mask, ends)  # fmt: skip
        idx = torch.arange(steps, device=dev)[:, None] * r + torch.arange(r + f, device=dev)
        target, ok = vals_p[:, idx], ok_p[:, idx]  # [B, S, r+f, 254]
        w = self.weights
        den = ok.float() * w
        # every mode's weighted L1 per step; the closest mode (on the chunk) learns it
        err = (pred - target[:, :, None]).abs() * w * ok[:, :, None]  # [B, S, K, r+f, 254]
        chunk_err, future_err = err[..., :r, :].sum((-1, -2)), err[..., r:, :].sum((-1, -2))
        mode_loss = torch.zeros((), device=dev)
        if c.modes > 1:
            best = chunk_err.detach().argmin(-1)  # [B, S]
            share = F.one_hot(best, c.modes).float()
            share = share * (1 - c.mode_floor) + (1 - share) * c.mode_floor / (c.modes - 1)
            step_ok = ok[:, :, :r].any(-1).any(-1).float()  # steps with a frame to learn
            picked = F.cross_entropy(scores.flatten(0, 1), best.flatten(), reduction="none")
            mode_loss = (picked * step_ok.flatten()).sum() / step_ok.sum().clamp(min=1)
            pred = pred.gather(2, best[:, :, None, None, None].expand(-1, -1, 1, *pred.shape[3:]))
        else:
            share = torch.ones_like(chunk_err)
        pred = pred[:, :, 0]
        frame_loss = (chunk_err * share).sum() / den[:, :, :r].sum().clamp(min=1)
        future_loss = ((future_err * share).sum() / den[:, :, r:].sum().clamp(min=1)
                       if f else torch.zeros((), device=dev))  # fmt: skip
        # velocity: the predicted change between consecutive frames must match the reference's
        seq = pred[:, :, :r].reshape(b, steps * r, NUM_VALUES)[:, :t]
        velocity_loss = self.velocity_loss(seq, values, okv)
        energy_loss = (self.energy_loss(seq, values, okv) if c.energy_weight > 0
                       else torch.zeros((), device=dev))  # fmt: skip
        seq_counter = pred_counter.reshape(b, steps * r)[:, :t]
        counter_loss = ((seq_counter - counters).abs() * frame_mask).sum() / frame_mask.sum()
        # and each increment relative to 1/T (an error here is a length error)
        rises = torch.diff(pred_counter, dim=-1, prepend=prev_counter[..., None])
        rises = rises.reshape(b, steps * r)[:, :t]
        counter_loss = counter_loss + 0.1 * ((rises * lengths - 1).abs() * frame_mask).sum() / (
            frame_mask.sum()
        )
        loss = (frame_loss + 0.5 * future_loss + c.velocity_weight * velocity_loss
                + c.counter_weight * (counter_loss + duration_loss) + mode_loss
                + c.energy_weight * energy_loss)  # fmt: skip
        if self.training:
            self._update_error_std(seq.detach(), values, okv, seq_counter.detach(), counters,
                                   frame_mask)  # fmt: skip
        parts = {"frames": frame_loss.item(), "future": future_loss.item(),
                 "velocity": velocity_loss.item(), "counter": counter_loss.item(),
                 "duration": duration_loss.item(),
                 **({"modes": mode_loss.item()} if c.modes > 1 else {}),
                 **({"energy": energy_loss.item()} if c.energy_weight > 0 else {})}  # fmt: skip
        return self.with_critic_loss(loss, parts, values, seq, okv, frame_mask)

    @torch.no_grad()
    def _update_error_std(self, pred, target, ok, pred_counter, counters, frame_mask) -> None:
        okf = ok.float()
        n = okf.sum((0, 1)).clamp(min=1)
        err = (pred - target) * okf
        mean = err.sum((0, 1)) / n
        std = ((err**2).sum((0, 1)) / n - mean**2).clamp(min=0).sqrt()
        c_err = (pred_counter - counters)[frame_mask]
        c_std = c_err.std() if c_err.numel() > 1 else torch.zeros((), device=pred.device)
        self.error_std.mul_(0.9).add_(0.1 * torch.cat([std, c_std[None]]))

    # ------------------------------------------------------------------ generation

    @torch.no_grad()
    def generate_values(
        self,
        gloss_ids: list[int],
        question: list[int],
        negation: list[bool],
        signer: int,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, bool]:
        """Decode chunk by chunk until a frame's counter reaches 1 (to within half its
        increment; frame t of T has counter (t + 1) / T, the start token 0): values
        ``[T,254]``, counters ``[T]``, cross-attention ``[T,N]`` at the model's rate, the
        glosses' ends on the counter scale ``[N]``, and whether the counter stopped it
        (False: the safety cap did)."""
        c = self.config
        r = c.frames_per_step
        dev = self.device
        ids, question_ids, negations, gloss_mask = self.sentence_tensors(gloss_ids, question,
                                                                         negation)  # fmt: skip
        onehot = self.signer_onehot(signer)
        memory = self.encode(ids, question_ids, negations, gloss_mask, onehot)
        ends = self.gloss_ends(memory, gloss_mask)
        cache: list[dict] = [{} for _ in self.decoder]
        min_frames, cap = self.frame_limits(len(gloss_ids))
        previous = torch.zeros(1, 1, r * NUM_VALUES, device=dev)
        counter = torch.zeros(1, 1, device=dev)
        start = torch.ones(1, 1, device=dev)
        values, counters, attns = [], [], []
        stopped = False
        for step in range(-(-cap // r)):
            pred, cs, attn, scores = self.decode(previous, counter, start, onehot, memory,
                                                 gloss_mask, ends, cache=cache, offset=step,
                                                 weights=True)  # fmt: skip
            chunk, cs = pred[0, 0, int(scores[0, 0].argmax()), :r], cs[0, 0]
            last = float(counter)
            for k in range(r):
                values.append(chunk[k])
                counters.append(cs[k])
                attns.append(attn[0, 0])
                now = float(cs[k])
                stopped = len(values) >= min_frames and now + 0.5 * (now - last) >= 1.0
                if stopped or len(values) >= cap:
                    break
                last = now
            if stopped or len(values) >= cap:
                break
            if c.feedback_dropout < 1.0:
                previous = chunk.reshape(1, 1, r * NUM_VALUES)
            counter, start = cs[-1].view(1, 1), torch.zeros_like(start)
        values, counters, attns = torch.stack(values), torch.stack(counters), torch.stack(attns)
        return values, counters, attns, ends[0], stopped


# ---------------------------------------------------------------------------- the backend


@register
class ProgressiveText2Pose(LearnedText2Pose):
    """The "Transformer" choice: a trained Progressive Transformer."""

    label = "Transformer"
    aliases = ("progressive transformer",)
    description = "Progressive Transformer (learned; counter-based length, attention timings)"
    model_class = ProgressiveTransformer
    config_class = ProgressiveConfig

    def generate(self, inputs: GlossInput, signer: int = 1, speed: float = 1.0) -> PoseOutput:
        """Keypoints decoded until the counter reaches 1, the gloss timings from the counter
        and the glosses' predicted ends (``speed``: applied by :meth:`Text2Pose.sign`)."""
        values, counters, attn, ends, stopped = self.decode_sentence(inputs, signer)
        kp, attn_np, counters_np = self.at_data_rate(values, attn, counters)
        bounds = counter_boundaries(counters_np, ends.cpu().numpy())
        return self.pose_output(inputs, kp, bounds, attn_np, counter=counters_np,
                                stopped_by="counter" if stopped else "length cap")  # fmt: skip
