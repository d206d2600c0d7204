"""The pose-to-video backend "edn": Everybody Dance Now, a pix2pixHD-style translation of
stick-figure images into frames of the chosen signer.

Per frame, the generator reads the keypoints drawn as a stick figure
(:func:`.stickfigure.draw_stick_figure`, placed where the signer stood in their training
video), its own previous output frame (temporal smoothing: black for the first frame) and
the signer one-hot; it encodes them (pixel-unshuffle, two strided convolutions), runs
residual blocks at 1/8 resolution, and decodes with additive skips and a pixel-shuffle to
256 x 256. The signer steers every residual and decoder layer (FiLM: a scale and shift per
channel from the one-hot), so one model renders every corpus signer and changing only the
signer changes the look, not the pose. Small refiners then add a residual on crops of the
face and of each hand (the hands are too small in the full frame to come out right).

Training (``python -m training.train_pose2video --backend edn``) pairs the corpus's
keypoints, with their detection noise and dropped hands, with its video frames: L1 + SSIM
on the frame and on the crops, a two-scale patch discriminator on (stick figure, frame)
with feature matching, a temporal discriminator on consecutive pairs, and a discriminator
each for face and hand crops. No pretrained network is involved anywhere.

Sized for a 2-core CPU (see docs/models/edn.md for the sizes tried): the default config renders a
256 x 256 frame in about 40 ms there.

A new signer trained from a person's own recording (``--videos``) is a checkpoint of its
own; every EDN checkpoint in ``checkpoints/edn_signers/`` (or in the folders listed in
``KSL_EDN_SIGNERS``) is loaded beside the shipped one and its signers offered.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from sign_pipeline import runtime
from sign_pipeline.modeling import CheckpointError, SignModelConfig, SignPreTrainedModel
from sign_pipeline.pose2video import gan
from sign_pipeline.pose2video.base import Pose2Video
from sign_pipeline.registry import register

#: Extra signer checkpoints: this folder beside the shipped ``edn`` checkpoint, and the
#: folders (``os.pathsep``-separated) in this environment variable.
SIGNERS_FOLDER = "edn_signers"
SIGNERS_ENV = "KSL_EDN_SIGNERS"
#: The first frame of a clip is drawn from no previous frame, then this many times more from
#: its own output: the model's steady look for that pose, so a still pose does not visibly
#: settle over the first frames (frame-to-frame change halves with every pass).
SETTLE_PASSES = 4


class EDNConfig(SignModelConfig):
    """Sizes of the generator and refiners, and where each signer stands in the frame.

    ``placements``: signer id (str) -> [neck x, neck y, shoulder width] in pixels of the
    ``size`` frame, measured on the training video (:func:`.gan.placement_of`).
    ``signer_notes``: signer id (str) -> a few words for the signer menu.
    """

    model_type = "ksl_edn"

    def __init__(
        self,
        size: int = 256,
        ngf: int = 24,
        n_blocks: int = 4,
        refine_channels: int = 24,
        face_crop: int = 64,
        hand_crop: int = 56,
        placements: dict | None = None,
        signer_notes: dict | None = None,
        **kwargs,
    ) -> None:
        self.size = int(size)
        self.ngf = int(ngf)
        self.n_blocks = int(n_blocks)
        self.refine_channels = int(refine_channels)
        self.face_crop = int(face_crop)
        self.hand_crop = int(hand_crop)
        self.placements = {str(k): [float(x) for x in v] for k, v in (placements or {}).items()}
        self.signer_notes = {str(k): str(v) for k, v in (signer_notes or {}).items()}
        super().__init__(**kwargs)

    @property
    def crop_sizes(self) -> tuple[int, int, int]:
        """Crop side per :data:`.gan.CROP_PARTS` (face, left hand, right hand)."""
        return (self.face_crop, self.hand_crop, self.hand_crop)


# ---------------------------------------------------------------------------- generator


def _conv(cin: int, cout: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, 3, stride, 1)


class FiLMNorm(nn.Module):
    """Instance norm, then a per-channel scale and shift from the signer embedding."""

    def __init__(self, channels: int, embed: int) -> None:
        super().__init__()
        self.norm = nn.InstanceNorm2d(channels, affine=False)
        self.film = nn.Linear(embed, 2 * channels)
        nn.init.zeros_(self.film.weight)
        nn.init.zeros_(self.film.bias)

    def forward(self, x: torch.Tensor, e: torch.Tensor) -> torch.Tensor:
        g, b = self.film(e).chunk(2, dim=1)
        return self.norm(x) * (1 + g[..., None, None]) + b[..., None, None]


class ResBlock(nn.Module):
    def __init__(self, channels: int, embed: int) -> None:
        super().__init__()
        self.conv1, self.norm1 = _conv(channels, channels), FiLMNorm(channels, embed)
        self.conv2, self.norm2 = _conv(channels, channels), FiLMNorm(channels, embed)

    def forward(self, x: torch.Tensor, e: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.norm1(self.conv1(x), e))
        return x + self.norm2(self.conv2(h), e)


class Refiner(nn.Module):
    """A residual for a crop, from (stick-figure crop, coarse frame crop), signer-steered."""

    def __init__(self, channels: int, embed: int) -> None:
        super().__init__()
        self.inp = _conv(6, channels)
        self.block = ResBlock(channels, embed)
        self.out = _conv(channels, 3)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, stick: torch.Tensor, coarse: torch.Tensor, e: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.inp(torch.cat([stick, coarse], 1)))
        return (coarse + self.out(F.relu(self.block(h, e)))).clamp(-1, 1)


class EDNModel(SignPreTrainedModel):
    """Generator: (stick figure, previous frame, signer) -> frame, with crop refiners."""

    config_class = EDNConfig
    main_input_name = "sticks"
    #: The parts of :meth:`generator_step`'s loss (what the training command can weight).
    loss_parts = ("l1", "ssim", "crop_l1", "crop_ssim", "face_ssim", "hands_ssim", "motion",
                  "gan", "feat", "temporal", "face_gan", "hand_gan")  # fmt: skip
    #: :meth:`generator_step` reads ``batch["rollout"]`` (frame t-1 drawn from a blank start).
    draws_from_previous = True

    def __init__(self, config: EDNConfig) -> None:
        super().__init__(config)
        c, g = config, config.ngf
        embed = 32
        self.embed = nn.Sequential(nn.Linear(c.num_signers, embed), nn.ReLU())
        # stick (3) + previous frame (3) + "previous frame exists" (1), pixel-unshuffled x2
        self.enc1 = _conv(7 * 4, g)
        self.enc2 = _conv(g, 2 * g, 2)
        self.enc3 = _conv(2 * g, 4 * g, 2)
        self.norm2 = nn.InstanceNorm2d(2 * g, affine=True)
        self.norm3 = nn.InstanceNorm2d(4 * g, affine=True)
        self.blocks = nn.ModuleList(ResBlock(4 * g, embed) for _ in range(c.n_blocks))
        self.dec2, self.dnorm2 = _conv(4 * g, 2 * g), FiLMNorm(2 * g, embed)
        self.dec1, self.dnorm1 = _conv(2 * g, g), FiLMNorm(g, embed)
        self.out = _conv(g, 3 * 4)
        self.face = Refiner(c.refine_channels, embed)
        self.hand = Refiner(c.refine_channels, embed)
        self.post_init()

    def coarse(
        self, stick: torch.Tensor, prev: torch.Tensor, has_prev: torch.Tensor, e: torch.Tensor
    ) -> torch.Tensor:
        """The whole frame before the crop refiners, ``[B, 3, H, W]`` in -1..1."""
        flag = has_prev.to(stick).view(-1, 1, 1, 1).expand(-1, 1, *stick.shape[-2:])
        x = F.pixel_unshuffle(torch.cat([stick, prev * flag, flag], 1), 2)
        e1 = F.relu(self.enc1(x))
        e2 = F.relu(self.norm2(self.enc2(e1)))
        h = F.relu(self.norm3(self.enc3(e2)))
        for block in self.blocks:
            h = block(h, e)
        h = F.interpolate(h, scale_factor=2, mode="nearest")
        h = F.relu(self.dnorm2(self.dec2(h), e)) + e2
        h = F.interpolate(h, scale_factor=2, mode="nearest")
        h = F.relu(self.dnorm1(self.dec1(h), e)) + e1
        return torch.tanh(F.pixel_shuffle(self.out(h), 2))

    def forward(
        self,
        sticks: torch.Tensor,
        prev: torch.Tensor,
        has_prev: torch.Tensor,
        onehot: torch.Tensor,
        corners: torch.Tensor,
        present: torch.Tensor,
    ) -> torch.Tensor:
        """Frames ``[B, 3, H, W]`` in -1..1 from stick figures ``[B, 3, H, W]``, the previous
        frames, whether there is one ``[B]``, signer one-hots ``[B, 16]``, crop corners
        ``[B, 3, 2]`` and which crops exist ``[B, 3]`` (:func:`.gan.crop_corners`)."""
        e = self.embed(onehot)
        out = self.coarse(sticks, prev, has_prev, e)
        for j, size in enumerate(self.config.crop_sizes):
            if not torch.jit.is_tracing() and not bool(present[:, j].any()):
                continue
            refiner = self.face if j == 0 else self.hand
            fixed = refiner(gan.take_crops(sticks, corners, j, size),
                            gan.take_crops(out, corners, j, size), e)  # fmt: skip
            out = gan.paste_crops(out, fixed, corners, j, present)
        return out

    # ------------------------------------------------------------------------ training

    def make_discriminators(self, ndf: int = 24) -> EDNDiscriminators:
        """The discriminators this generator trains against (not part of the checkpoint)."""
        return EDNDiscriminators(ndf)

    def generator_step(
        self, batch: dict, disc: EDNDiscriminators, weights: dict[str, float]
    ) -> tuple[torch.Tensor, dict[str, float], dict]:
        """The generator's loss on a batch of frame triples (t-2, t-1, t).

        Frame t-1 is generated (without gradient) from the real frame t-2, or with
        ``batch["rollout"]`` = N from no previous frame and then N - 1 times more from its
        own output, as the app draws a clip's first frame: the frame t is drawn from then
        holds none of the real frames' detail, as at inference, where every previous frame
        is the model's own. Frame t is drawn from that output, or, for
        ``batch["blank_prev"]``, from no previous frame (the first frame of a clip).
        Returns (loss, parts, fakes) with the fakes for the discriminators."""
        s1, s2 = batch["sticks"][:, 0], batch["sticks"][:, 1]
        r0, r1, r2 = batch["real"][:, 0], batch["real"][:, 1], batch["real"][:, 2]
        first = batch["blank_prev"]
        rollout = int(batch.get("rollout", 0))
        with torch.no_grad():
            f1, has = r0, torch.ones_like(first)
            if rollout:  # the model's own frame, from a blank start
                f1, has = torch.zeros_like(r0), torch.zeros_like(first)
            for _ in range(max(rollout, 1)):
                f1 = self(s1, f1, has, batch["onehot"], batch["corners"][:, 0],
                          batch["present"][:, 0])  # fmt: skip
                has = torch.ones_like(first)
        f2 = self(s2, f1, ~first, batch["onehot"], batch["corners"][:, 1], batch["present"][:, 1])
        parts: dict[str, torch.Tensor] = {
            "l1": F.l1_loss(f2, r2),
            "ssim": 1 - gan.ssim(f2, r2).mean(),
        }
        crops = disc.crops(batch, f2, r2, self.config.crop_sizes)
        if crops["count"]:
            parts["crop_l1"] = crops["l1"]
            if weights.get("crop_ssim", 0.0):  # off unless weighted (--loss crop_ssim=W)
                parts["crop_ssim"] = crops["ssim"]
        parts.update(gan.tight_losses(f2, r2, batch["keypoints"][:, 1], batch["mask"][:, 1],
                                      weights.get))  # fmt: skip
        if weights.get("motion", 0.0) and bool((~first).any()):  # off unless weighted
            # the change from the previous frame should be the real change: what the real
            # clip keeps still (the background) must not shimmer from frame to frame
            keep = ~first
            parts["motion"] = F.l1_loss(f2[keep] - f1[keep], r2[keep] - r1[keep])
        d_fake = disc.frame(torch.cat([s2, f2], 1))
        with torch.no_grad():
            d_real = disc.frame(torch.cat([s2, r2], 1))
        parts["gan"] = gan.lsgan(d_fake, True)
        parts["feat"] = gan.feature_matching(d_fake, d_real)
        parts["temporal"] = gan.lsgan([disc.temporal(disc.pair(s1, s2, f1, f2))], True)
        for name in ("face", "hand"):
            if crops[name] is not None:
                parts[f"{name}_gan"] = gan.lsgan([getattr(disc, name)(crops[name])], True)
        loss = sum(weights.get(k, 1.0) * v for k, v in parts.items())
        return (
            loss,
            {k: float(v.detach()) for k, v in parts.items()},
            {"f1": f1.detach(), "f2": f2.detach()},
        )


class EDNDiscriminators(nn.Module):
    """Frame (two scales), temporal (consecutive pairs at half size), face and hand crops;
    each judges (stick figure, frame) pairs so it checks the pose as well as the look."""

    def __init__(self, ndf: int = 24) -> None:
        super().__init__()
        self.frame = gan.MultiscaleDiscriminator(6, ndf, scales=2, layers=3)
        self.temporal = gan.PatchDiscriminator(12, ndf, layers=3)
        self.face = gan.PatchDiscriminator(6, ndf, layers=2)
        self.hand = gan.PatchDiscriminator(6, ndf, layers=2)

    @staticmethod
    def pair(s1, s2, f1, f2) -> torch.Tensor:
        return F.avg_pool2d(torch.cat([s1, s2, f1, f2], 1), 2)

    @staticmethod
    def crops(batch: dict, fake: torch.Tensor, real: torch.Tensor, sizes) -> dict:
        """:func:`.gan.crop_pairs` of frame t (the second stick figure of the batch)."""
        return gan.crop_pairs(batch["sticks"][:, 1], batch["corners"][:, 1],
                              batch["present"][:, 1], fake, real, sizes)  # fmt: skip

    def loss(self, batch: dict, fakes: dict, sizes) -> tuple[torch.Tensor, dict[str, float]]:
        """LSGAN loss of every discriminator on real and (detached) generated frames."""
        s1, s2 = batch["sticks"][:, 0], batch["sticks"][:, 1]
        r1, r2 = batch["real"][:, 1], batch["real"][:, 2]
        f1, f2 = fakes["f1"], fakes["f2"]
        parts = {
            "frame": gan.lsgan(self.frame(torch.cat([s2, r2], 1)), True)
            + gan.lsgan(self.frame(torch.cat([s2, f2], 1)), False),
            "temporal": gan.lsgan([self.temporal(self.pair(s1, s2, r1, r2))], True)
            + gan.lsgan([self.temporal(self.pair(s1, s2, f1, f2))], False),
        }
        crops = self.crops(batch, f2, r2, sizes)
        for name in ("face", "hand"):
            if crops[name] is not None:
                net = getattr(self, name)
                parts[name] = gan.lsgan([net(crops[f"{name}_real"])], True) + gan.lsgan(
                    [net(crops[name])], False
                )
        loss = sum(parts.values()) * 0.5
        return loss, {k: float(v.detach()) for k, v in parts.items()}


# ---------------------------------------------------------------------------- backend


def _signer_folders(shipped: Path) -> list[Path]:
    """Extra EDN signer checkpoints: ``edn_signers/*`` beside ``shipped`` and the folders in
    ``KSL_EDN_SIGNERS`` (each a checkpoint or a folder of checkpoints)."""
    roots = [shipped.parent / SIGNERS_FOLDER]
    roots += [Path(p) for p in os.environ.get(SIGNERS_ENV, "").split(os.pathsep) if p.strip()]
    found = []
    for root in roots:
        if (root / "config.json").is_file():
            found.append(root)
        elif root.is_dir():
            found += sorted(p for p in root.iterdir() if (p / "config.json").is_file())
    return [p for p in found if p.resolve() != shipped.resolve()]


@register
class EDN(Pose2Video):
    """Everybody Dance Now: a trained stick-figure-to-frame GAN (see the module docstring)."""

    label = "EDN"
    aliases = ("everybody dance now",)
    description = "Everybody Dance Now GAN: stick figure -> signer video (trained, ~40 ms/frame)"
    streams = True
    model_class = EDNModel
    config_class = EDNConfig
    #: Precision under the inference runtime where the CPU has bf16 natively. Each frame is
    #: drawn from the one before, so rounding could add up; measured, it does not (a 201-frame
    #: clip stays >= 48 dB PSNR from eager f32 to its last frame: docs/benchmarks.md).
    runtime_precision = "bf16"

    def __init__(self, model: EDNModel, extra: list[EDNModel] | None = None) -> None:
        self.model = model.eval()
        self.models = {}
        self.runners: dict[int, runtime.Runner] = {}
        for m in [model, *(extra or [])]:  # a signer id belongs to the first that has it
            m.eval()
            for s in m.config.signers:
                if int(s) in self.models:
                    print(f"edn: signer {int(s)} of {m.name_or_path or 'an extra checkpoint'} "
                          "is already loaded; not shadowing it (train it under a free id)",
                          flush=True)  # fmt: skip
                    continue
                self.models[int(s)] = m
                if id(m) not in self.runners:
                    self.runners[id(m)] = runtime.Runner(m, "edn", self.runtime_precision)

    @classmethod
    def from_pretrained(cls, path: str | Path | None = None) -> EDN:
        if path is None:
            raise CheckpointError("the edn backend needs its checkpoint folder")
        path = Path(path)
        extra = []
        for folder in _signer_folders(path):
            try:
                extra.append(_load(folder))
            except CheckpointError as exc:  # one broken own-signer folder must not stop the app
                print(f"edn: skipping signer checkpoint {folder}: {exc}", flush=True)
        return cls(_load(path), extra)

    def save_pretrained(self, path: str | Path) -> Path:
        self.model.save_pretrained(path)
        return Path(path)

    def signers(self) -> list[int]:
        return sorted(self.models)

    def describe_signer(self, signer: int) -> str:
        model = self.models.get(int(signer))
        return "" if model is None else gan.describe_signer(model.config, signer)

    def about(self) -> dict:
        return gan.about(self.model.config)

    def runtime(self) -> str:
        """What draws the shipped signers' frames: "openvino bf16|f32" or "eager"."""
        return self.runners[id(self.model)].runtime

    def render(self, keypoints: np.ndarray, mask: np.ndarray, signer: int = 1) -> np.ndarray:
        return np.concatenate(list(self.render_chunks(keypoints, mask, signer, len(keypoints))))

    def render_chunks(
        self, keypoints: np.ndarray, mask: np.ndarray, signer: int, chunk: int
    ) -> Iterator[np.ndarray]:
        model = self.models[int(signer)]
        yield from iter_frames(model, keypoints, mask, int(signer), chunk, self.runners[id(model)])


def _load(path: Path) -> EDNModel:
    return gan.load_placed(EDNModel, path)


def render_frames(
    model: EDNModel, keypoints: np.ndarray, mask: np.ndarray, signer: int
) -> np.ndarray:
    """Frames uint8 ``[T, size, size, 3]`` for normalised keypoints, one frame at a time, each
    from the previous output. A frame with no point at all repeats the frame before it (the
    first frames of a clip that starts empty show the signer's empty scene); a clip with no
    point anywhere is an error, not a video of nothing."""
    return np.concatenate(list(iter_frames(model, keypoints, mask, signer, len(keypoints))))


def iter_frames(
    model: EDNModel,
    keypoints: np.ndarray,
    mask: np.ndarray,
    signer: int,
    chunk: int,
    runner: runtime.Runner | None = None,
) -> Iterator[np.ndarray]:
    """:func:`render_frames` in pieces of ``chunk`` frames (the state carries across), each
    frame through ``runner`` (the inference runtime) when given, else eager PyTorch."""
    net = model if runner is None else runner
    c = model.config
    m = np.asarray(mask, bool)
    if not m.any():
        raise ValueError("every keypoint is missing: there is no pose to render")
    px = gan.place(keypoints, c.placements[str(signer)])
    px = np.where(m[..., None], px, 0.0)
    onehot = model.signer_onehot(signer)
    prev = torch.zeros(1, 3, c.size, c.size)
    has = torch.zeros(1, dtype=torch.bool)
    last = None
    for a in range(0, len(px), chunk):
        sl = slice(a, a + chunk)
        sticks = gan.to_tensor(gan.draw_sticks(px[sl], m[sl], c.size))
        corners, present = gan.crop_corners(px[sl], m[sl], c.crop_sizes, c.size)
        corners_t, present_t = torch.from_numpy(corners), torch.from_numpy(present)
        out = np.empty((len(sticks), c.size, c.size, 3), np.uint8)
        with torch.inference_mode():
            for t in range(len(sticks)):
                if not m[a + t].any() and last is not None:
                    out[t] = last
                    continue
                passes = 1 if last is not None else 1 + SETTLE_PASSES
                for _ in range(passes):  # the first frame: settled on its own output
                    frame = net(sticks[t : t + 1], prev, has, onehot, corners_t[t : t + 1],
                                present_t[t : t + 1])  # fmt: skip
                    prev, has = frame, torch.ones(1, dtype=torch.bool)
                out[t] = last = gan.to_frames(frame)[0]
        yield out


__all__ = ["EDN", "EDNConfig", "EDNDiscriminators", "EDNModel", "iter_frames", "render_frames"]
