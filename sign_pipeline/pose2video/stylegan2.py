"""The pose-to-video backend "stylegan2": a conditional StyleGAN2 generator that paints the
chosen signer in the pose of each frame.

The condition is the frame's keypoints and the signer: a mapping network turns the signer
one-hot and the keypoint vector (x, y and "found" per point, in shoulder widths around the
neck) into the style ``w``. The synthesis network grows the frame from a learned 8 x 8
constant to 256 x 256 with modulated and demodulated 3 x 3 convolutions (each layer's
per-channel scale comes from ``w``), per-layer noise scaled by a learned strength, and
skip connections through ``toRGB`` layers (StyleGAN2's "skip" generator). The keypoints in
the style vector alone gave the seed project misplaced, blurry hands, so the pose is also
given spatially: the stick figure (:func:`.stickfigure.draw_stick_figure`, drawn where the
signer stood in their training video) is encoded into a feature pyramid that is added at
every resolution. Small style-modulated refiners add a residual on crops of the face and
each hand.

Each frame depends only on its own keypoints and the signer, and the noise is a fixed map
at inference (``noise_mode="const"``), so the same signer in the same pose looks the same
in every frame; changing only the signer one-hot gives the same motion on another person.

Training (``python -m training.train_pose2video --backend stylegan2``) knows the real frame
for every pose, so besides the adversarial loss (non-saturating logistic, lazy R1) it has
L1 + SSIM on the frame, L1 on the face/hand crops (and their SSIM, off unless weighted:
``--loss crop_ssim=W``), and a motion term (the change from frame
t-1 to t against the real change). The discriminator is a residual StyleGAN2 discriminator
with projection conditioning on the signer and a head that regresses the keypoints (the
seed's AC-GAN): the generator is also scored by how well that head finds the asked-for pose
in its frame. Patch discriminators judge the face and hand crops. No pretrained network.
"""

from __future__ import annotations

import math
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

#: Keypoint coordinates given to the mapping network are clipped to this many shoulder widths.
POSE_RANGE = 4.0
#: Default weight of each generator loss part (the training command's weights override).
LOSS_WEIGHTS = {"l1": 10.0, "ssim": 5.0, "crop_l1": 10.0, "crop_ssim": 0.0, "face_ssim": 0.0,
                "hands_ssim": 0.0, "motion": 10.0, "gan": 1.0, "kp": 1.0, "face_gan": 1.0,
                "hand_gan": 1.0}  # fmt: skip


class StyleGAN2Config(SignModelConfig):
    """Sizes of the mapping and synthesis networks, and where each signer stands.

    ``channels``: synthesis channels per resolution from 8 x 8 up to ``size`` (doubling),
    so ``size == 8 * 2 ** (len(channels) - 1)``. ``pose_fraction``: the stick-figure
    encoder's channels at each of those resolutions, as a fraction of ``channels``.
    ``placements`` and ``signer_notes`` as in the EDN config.
    """

    model_type = "ksl_stylegan2"

    def __init__(
        self,
        size: int = 256,
        channels: list[int] | None = None,
        pose_fraction: float = 0.5,
        w_dim: int = 256,
        mapping_layers: int = 4,
        refine_channels: int = 24,
        face_crop: int = 64,
        hand_crop: int = 56,
        noise_seed: int = 0,
        placements: dict | None = None,
        signer_notes: dict | None = None,
        **kwargs,
    ) -> None:
        self.size = int(size)
        self.channels = [int(c) for c in (channels or [128, 128, 96, 64, 32, 16])]
        self.pose_fraction = float(pose_fraction)
        self.w_dim = int(w_dim)
        self.mapping_layers = int(mapping_layers)
        self.refine_channels = int(refine_channels)
        self.face_crop = int(face_crop)
        self.hand_crop = int(hand_crop)
        self.noise_seed = int(noise_seed)
        self.placements = {str(k): [float(x) for x in v] for k, v in (placements or {}).items()}
        self.signer_notes = {str(k): str(v) for k, v in (signer_notes or {}).items()}
        super().__init__(**kwargs)
        if self.size != 8 * 2 ** (len(self.channels) - 1):
            raise ValueError(
                f"size {self.size} needs {int(math.log2(self.size / 8)) + 1} channel counts "
                f"(8 x 8 up to {self.size}), got {len(self.channels)}"
            )

    @property
    def crop_sizes(self) -> tuple[int, int, int]:
        """Crop side per :data:`.gan.CROP_PARTS` (face, left hand, right hand)."""
        return (self.face_crop, self.hand_crop, self.hand_crop)

    @property
    def resolutions(self) -> list[int]:
        return [8 * 2**i for i in range(len(self.channels))]


def pose_vector(keypoints: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """``[B, 127 * 3]``: normalised x, y (clipped, 0 where missing) and found (0/1) per point."""
    m = mask.to(keypoints.dtype)
    xy = keypoints.clamp(-POSE_RANGE, POSE_RANGE) * m[..., None]
    return torch.cat([xy.flatten(1), m], dim=1)


# ---------------------------------------------------------------------------- layers


class ModulatedConv(nn.Module):
    """StyleGAN2's modulated convolution: the input channels scaled by a style from ``w``,
    a shared convolution, then (``demodulate``) each output channel divided by its expected
    magnitude for that style, so the style sets the mix of features, not their size."""

    def __init__(self, cin: int, cout: int, w_dim: int, kernel: int = 3, demodulate: bool = True):
        super().__init__()
        self.weight = nn.Parameter(
            torch.randn(cout, cin, kernel, kernel) / math.sqrt(cin * kernel**2)
        )
        self.bias = nn.Parameter(torch.zeros(cout))
        self.affine = nn.Linear(w_dim, cin)
        self.demodulate = demodulate
        self.padding = kernel // 2

    def reset_style(self) -> None:
        """Styles start at 1 (plain convolution); run after the model's generic init."""
        nn.init.normal_(self.affine.weight, std=1.0 / math.sqrt(self.affine.in_features))
        nn.init.ones_(self.affine.bias)

    def forward(
        self, x: torch.Tensor, w: torch.Tensor, add: torch.Tensor | None = None
    ) -> torch.Tensor:
        """The convolution of ``x`` styled by ``w``, plus the bias and ``add`` (noise)."""
        s = self.affine(w)  # [B, cin]
        y = F.conv2d(x * s[:, :, None, None], self.weight, padding=self.padding)
        shift = self.bias[None, :, None, None]
        if add is not None:
            shift = shift + add
        if not self.demodulate:
            return y + shift
        energy = (s * s) @ self.weight.square().sum(dim=(2, 3)).t()  # [B, cout]
        return torch.addcmul(shift, y, torch.rsqrt(energy + 1e-8)[:, :, None, None])


class StyledLayer(nn.Module):
    """Modulated 3 x 3 convolution + noise (fixed map or random) + LeakyReLU."""

    def __init__(self, cin: int, cout: int, w_dim: int, res: int, seed: int) -> None:
        super().__init__()
        self.conv = ModulatedConv(cin, cout, w_dim)
        self.noise_strength = nn.Parameter(torch.zeros(()))
        g = torch.Generator().manual_seed(seed)
        self.register_buffer("noise_const", torch.randn(1, 1, res, res, generator=g))

    def forward(self, x: torch.Tensor, w: torch.Tensor, noise_mode: str) -> torch.Tensor:
        if noise_mode == "random":
            shape = (len(x), 1, *self.noise_const.shape[-2:])
            noise = torch.randn(shape, device=x.device, dtype=x.dtype)
        else:
            noise = self.noise_const
        return F.leaky_relu_(self.conv(x, w, self.noise_strength * noise), 0.2)


class SynthesisBlock(nn.Module):
    """One resolution: (upsample), add the stick-figure features, two styled layers, toRGB."""

    def __init__(self, cin: int, cout: int, pose: int, w_dim: int, res: int, seed: int):
        super().__init__()
        self.inject = nn.Conv2d(pose, cin, 1)
        self.layer1 = StyledLayer(cin, cout, w_dim, res, seed)
        self.layer2 = StyledLayer(cout, cout, w_dim, res, seed + 1)
        self.to_rgb = ModulatedConv(cout, 3, w_dim, kernel=1, demodulate=False)

    def forward(self, x, rgb, pose, w, noise_mode: str):
        x = x + self.inject(pose)
        x = self.layer2(self.layer1(x, w, noise_mode), w, noise_mode)
        out = self.to_rgb(x, w)
        return x, out if rgb is None else out + rgb


class StyleRefiner(nn.Module):
    """A residual for a crop, from (stick-figure crop, frame crop), modulated by ``w``."""

    def __init__(self, channels: int, w_dim: int) -> None:
        super().__init__()
        self.inp = nn.Conv2d(6, channels, 3, 1, 1)
        self.mid = ModulatedConv(channels, channels, w_dim)
        self.out = nn.Conv2d(channels, 3, 3, 1, 1)

    def forward(self, stick: torch.Tensor, frame: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        h = F.leaky_relu(self.inp(torch.cat([stick, frame], 1)), 0.2)
        h = F.leaky_relu(self.mid(h, w), 0.2)
        return (frame + self.out(h)).clamp(-1, 1)


# ---------------------------------------------------------------------------- generator


class StyleGAN2Model(SignPreTrainedModel):
    """Generator: (stick figure, keypoint vector, signer) -> frame."""

    config_class = StyleGAN2Config
    main_input_name = "sticks"
    #: The parts of :meth:`generator_step`'s loss (what the training command can weight).
    loss_parts = tuple(LOSS_WEIGHTS)

    def __init__(self, config: StyleGAN2Config) -> None:
        super().__init__(config)
        c = config
        chans, res = c.channels, c.resolutions
        pose_ch = [max(4, int(round(ch * c.pose_fraction))) for ch in chans]
        embed = min(64, c.w_dim // 4)  # the signer's share of the mapping input
        self.signer_embed = nn.Linear(c.num_signers, embed)
        self.pose_embed = nn.Linear(3 * c.num_points, c.w_dim - embed)
        layers = []
        for _ in range(c.mapping_layers):
            layers += [nn.Linear(c.w_dim, c.w_dim), nn.LeakyReLU(0.2)]
        self.mapping = nn.Sequential(*layers)
        # stick-figure pyramid: full size first, halved by each strided convolution
        self.pose_in = nn.Conv2d(3, pose_ch[-1], 3, 1, 1)
        self.pose_down = nn.ModuleList(
            nn.Conv2d(pose_ch[i + 1], pose_ch[i], 3, 2, 1) for i in reversed(range(len(res) - 1))
        )
        self.const = nn.Parameter(torch.randn(1, chans[0], 8, 8))
        self.blocks = nn.ModuleList(
            SynthesisBlock(
                chans[max(i - 1, 0)], chans[i], pose_ch[i], c.w_dim, r, c.noise_seed + 2 * i
            )  # fmt: skip
            for i, r in enumerate(res)
        )
        self.face = StyleRefiner(c.refine_channels, c.w_dim)
        self.hand = StyleRefiner(c.refine_channels, c.w_dim)
        self.post_init()
        for m in self.modules():
            if isinstance(m, ModulatedConv):
                m.reset_style()
        for refiner in (self.face, self.hand):  # crops start as the coarse frame
            nn.init.zeros_(refiner.out.weight)
            nn.init.zeros_(refiner.out.bias)

    def _init_weights(self, module: nn.Module) -> None:
        if isinstance(module, ModulatedConv):
            return  # its own init (weights at fan-in scale, styles at 1)
        super()._init_weights(module)

    def style(self, pose: torch.Tensor, onehot: torch.Tensor) -> torch.Tensor:
        """``w`` ``[B, w_dim]`` from the keypoint vector (:func:`pose_vector`) and signer."""
        z = torch.cat([self.signer_embed(onehot), self.pose_embed(pose)], dim=1)
        z = z * torch.rsqrt(z.square().mean(dim=1, keepdim=True) + 1e-8)  # pixel norm
        return self.mapping(z)

    def pose_features(self, sticks: torch.Tensor) -> list[torch.Tensor]:
        """Stick-figure features at 8 x 8 ... full size (the synthesis resolutions)."""
        h = F.leaky_relu(self.pose_in(sticks), 0.2)
        feats = [h]
        for conv in self.pose_down:
            h = F.leaky_relu(conv(h), 0.2)
            feats.append(h)
        return feats[::-1]

    def synthesis(self, sticks: torch.Tensor, w: torch.Tensor, noise_mode: str) -> torch.Tensor:
        """The whole frame before the crop refiners, ``[B, 3, H, W]`` in -1..1."""
        feats = self.pose_features(sticks)
        x = self.const.expand(w.shape[0], -1, -1, -1)
        rgb = None
        for i, (block, pose) in enumerate(zip(self.blocks, feats, strict=True)):
            if i:
                x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
                rgb = F.interpolate(rgb, scale_factor=2, mode="bilinear", align_corners=False)
            x, rgb = block(x, rgb, pose, w, noise_mode)
        return torch.tanh(rgb)

    def forward(
        self,
        sticks: torch.Tensor,
        pose: torch.Tensor,
        onehot: torch.Tensor,
        corners: torch.Tensor,
        present: torch.Tensor,
        noise_mode: str = "const",
    ) -> torch.Tensor:
        """Frames ``[B, 3, H, W]`` in -1..1 from stick figures ``[B, 3, H, W]``, keypoint
        vectors ``[B, 381]`` (:func:`pose_vector`), signer one-hots ``[B, 16]``, crop corners
        ``[B, 3, 2]`` and which crops exist ``[B, 3]`` (:func:`.gan.crop_corners`).
        ``noise_mode`` "const" (the fixed noise maps: inference) or "random" (training)."""
        w = self.style(pose, onehot)
        out = self.synthesis(sticks, w, noise_mode)
        for j, size in enumerate(self.config.crop_sizes):
            if not torch.jit.is_tracing() and not bool(present[:, j].any()):
                continue
            refiner = self.face if j == 0 else self.hand
            fixed = refiner(gan.take_crops(sticks, corners, j, size),
                            gan.take_crops(out, corners, j, size), w)  # fmt: skip
            out = gan.paste_crops(out, fixed, corners, j, present)
        return out

    # ------------------------------------------------------------------------ training

    def normalised(self, keypoints_px: torch.Tensor, onehot: torch.Tensor) -> torch.Tensor:
        """Training keypoints in frame pixels -> shoulder widths around the signer's neck, by
        the signer's placement (the inverse of :func:`.gan.place` used at inference)."""
        table = torch.zeros(self.config.num_signers, 3, device=keypoints_px.device)
        table[:, 2] = 1.0
        for s, p in self.config.placements.items():
            table[int(s) - 1] = torch.tensor(p)
        p = table[onehot.argmax(dim=1)]
        lead = (-1,) + (1,) * (keypoints_px.dim() - 2)  # one placement per row
        return (keypoints_px - p[:, :2].view(*lead, 2)) / p[:, 2:].view(*lead, 1)

    def make_discriminators(self, ndf: int = 16) -> StyleGAN2Discriminators:
        """The discriminators this generator trains against (not part of the checkpoint)."""
        c = self.config
        return StyleGAN2Discriminators(c.size, c.num_signers, c.num_points, ndf)

    def generator_step(
        self, batch: dict, disc: StyleGAN2Discriminators, weights: dict[str, float]
    ) -> tuple[torch.Tensor, dict[str, float], dict]:
        """The generator's loss on a batch of frame triples (t-2, t-1, t): frames t-1 and t
        are generated (each from its own pose; random noise) and compared with the real ones.
        Returns (loss, parts, fakes) with the fakes for the discriminators."""
        b = len(batch["onehot"])
        sticks = batch["sticks"].flatten(0, 1)  # frames t-1, t of each row
        onehot = batch["onehot"].repeat_interleave(2, dim=0)
        kp = self.normalised(batch["keypoints"].flatten(0, 1), onehot)
        mask = batch["mask"].flatten(0, 1)
        corners = batch["corners"].flatten(0, 1)
        present = batch["present"].flatten(0, 1)
        real = batch["real"][:, 1:].flatten(0, 1)
        fake = self(sticks, pose_vector(kp, mask), onehot, corners, present, "random")
        parts: dict[str, torch.Tensor] = {
            "l1": F.l1_loss(fake, real),
            "ssim": 1 - gan.ssim(fake, real).mean(),
        }
        f, r = fake.view(b, 2, *fake.shape[1:]), real.view(b, 2, *real.shape[1:])
        parts["motion"] = F.l1_loss(f[:, 1] - f[:, 0], r[:, 1] - r[:, 0])
        crops = gan.crop_pairs(sticks, corners, present, fake, real, self.config.crop_sizes)
        weight = {**LOSS_WEIGHTS, **weights}.get
        if crops["count"]:
            parts["crop_l1"] = crops["l1"]
            if weight("crop_ssim", 0.0):  # off unless weighted (--loss crop_ssim=W)
                parts["crop_ssim"] = crops["ssim"]
        parts.update(gan.tight_losses(fake, real, batch["keypoints"].flatten(0, 1), mask, weight))
        logits, kp_pred = disc.frame(fake, onehot)
        parts["gan"] = F.softplus(-logits).mean()
        parts["kp"] = disc.keypoint_error(kp_pred, kp, mask)
        for name in ("face", "hand"):
            if crops[name] is not None:
                parts[f"{name}_gan"] = gan.lsgan([getattr(disc, name)(crops[name])], True)
        loss = sum(weight(k, 1.0) * v for k, v in parts.items())
        fakes = {"frames": fake.detach(), "onehot": onehot, "sticks": sticks, "real": real,
                 "keypoints": kp, "mask": mask, "corners": corners, "present": present}  # fmt: skip
        return loss, {k: float(v.detach()) for k, v in parts.items()}, fakes


# ---------------------------------------------------------------------------- discriminator


class DBlock(nn.Module):
    """Residual discriminator block: two 3 x 3 convolutions and a 2x average-pool, with a
    pooled 1 x 1 skip; the sum scaled by 1/sqrt(2)."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cin, 3, 1, 1)
        self.conv2 = nn.Conv2d(cin, cout, 3, 1, 1)
        self.skip = nn.Conv2d(cin, cout, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.leaky_relu(self.conv1(x), 0.2)
        h = F.avg_pool2d(F.leaky_relu(self.conv2(h), 0.2), 2)
        return (h + self.skip(F.avg_pool2d(x, 2))) / math.sqrt(2)


class FrameDiscriminator(nn.Module):
    """Residual StyleGAN2 discriminator on whole frames with a projection on the signer
    (logit = out(h) + <embed(signer), h>) and a keypoint-regression head."""

    def __init__(self, size: int, num_signers: int, num_points: int, ndf: int = 16) -> None:
        super().__init__()
        n = int(math.log2(size / 4))  # blocks down to 4 x 4
        chans = [min(ndf * 2**i, 8 * ndf) for i in range(n + 1)]
        self.from_rgb = nn.Conv2d(3, chans[0], 1)
        self.blocks = nn.Sequential(*(DBlock(chans[i], chans[i + 1]) for i in range(n)))
        self.conv = nn.Conv2d(chans[-1], chans[-1], 3, 1, 1)
        hidden = 8 * ndf
        self.fc = nn.Linear(chans[-1] * 16, hidden)
        self.out = nn.Linear(hidden, 1)
        self.project = nn.Linear(num_signers, hidden, bias=False)
        self.keypoints = nn.Linear(hidden, 2 * num_points)

    def forward(self, frames: torch.Tensor, onehot: torch.Tensor):
        """(real/fake logits ``[B]``, keypoints ``[B, 127, 2]`` in shoulder widths)."""
        h = self.blocks(F.leaky_relu(self.from_rgb(frames), 0.2))
        h = F.leaky_relu(self.conv(h), 0.2).flatten(1)
        h = F.leaky_relu(self.fc(h), 0.2)
        logits = self.out(h).squeeze(1) + (self.project(onehot) * h).sum(1) / math.sqrt(h.shape[1])
        kp = POSE_RANGE * torch.tanh(self.keypoints(h) / POSE_RANGE)  # bounded: no blow-up
        return logits, kp.view(len(h), -1, 2)


class StyleGAN2Discriminators(nn.Module):
    """The frame discriminator (projection + keypoint head, R1 every ``r1_every`` steps)
    and patch discriminators on (stick, frame) crops of the face and hands."""

    def __init__(
        self,
        size: int,
        num_signers: int,
        num_points: int,
        ndf: int = 16,
        r1_gamma: float = 0.5,
        r1_every: int = 4,
    ) -> None:
        super().__init__()
        self.frame = FrameDiscriminator(size, num_signers, num_points, ndf)
        self.face = gan.PatchDiscriminator(6, ndf, layers=2)
        self.hand = gan.PatchDiscriminator(6, ndf, layers=2)
        self.r1_gamma, self.r1_every = r1_gamma, r1_every
        self.steps = 0

    @staticmethod
    def keypoint_error(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor):
        """Mean squared error over the points that were found (shoulder widths)."""
        m = mask.to(pred.dtype)[..., None]
        diff = (pred - target.clamp(-POSE_RANGE, POSE_RANGE)) * m
        return diff.square().sum() / (2 * m.sum()).clamp(min=1.0)

    def loss(self, batch: dict, fakes: dict, sizes) -> tuple[torch.Tensor, dict[str, float]]:
        """Logistic loss on real and generated frames, the keypoint head on real frames,
        lazy R1 on real frames, LSGAN on the crops."""
        real, onehot = fakes["real"], fakes["onehot"]
        r1 = self.steps % self.r1_every == 0 and self.r1_gamma > 0
        self.steps += 1
        real_in = real.detach().requires_grad_(r1)
        real_logits, kp_pred = self.frame(real_in, onehot)
        fake_logits, _ = self.frame(fakes["frames"], onehot)
        parts = {
            "adv": F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean(),
            "kp": self.keypoint_error(kp_pred, fakes["keypoints"], fakes["mask"]),
        }
        if r1:
            (grad,) = torch.autograd.grad(real_logits.sum(), real_in, create_graph=True)
            penalty = grad.square().sum(dim=(1, 2, 3)).mean()
            parts["r1"] = penalty * (self.r1_gamma / 2) * self.r1_every
        crops = gan.crop_pairs(fakes["sticks"], fakes["corners"], fakes["present"],
                               fakes["frames"], real, sizes)  # fmt: skip
        for name in ("face", "hand"):
            if crops[name] is not None:
                net = getattr(self, name)
                parts[name] = 0.5 * (gan.lsgan([net(crops[f"{name}_real"])], True)
                                     + gan.lsgan([net(crops[name])], False))  # fmt: skip
        loss = sum(parts.values())
        return loss, {k: float(v.detach()) for k, v in parts.items()}


# ---------------------------------------------------------------------------- backend


@register
class StyleGAN2(Pose2Video):
    """Conditional StyleGAN2: keypoints + signer -> frames (see the module docstring)."""

    label = "StyleGAN2"
    description = "StyleGAN2, pose-conditioned: keypoints + signer -> signer video (trained)"
    streams = True
    model_class = StyleGAN2Model
    config_class = StyleGAN2Config
    #: Frames per forward pass. One keeps every frame bit-identical however a clip is cut
    #: into pieces (batched CPU convolutions differ in the last bits), for a few % of speed.
    batch = 1
    #: Precision under the inference runtime where the CPU has bf16 natively (measured: see
    #: docs/benchmarks.md; frames PSNR >= 40 dB against f32).
    runtime_precision = "bf16"

    def __init__(self, model: StyleGAN2Model) -> None:
        self.model = model.eval()
        self.runner = runtime.Runner(self.model, "stylegan2", self.runtime_precision)

    @classmethod
    def from_pretrained(cls, path: str | Path | None = None) -> StyleGAN2:
        if path is None:
            raise CheckpointError("the stylegan2 backend needs its checkpoint folder")
        return cls(gan.load_placed(StyleGAN2Model, path))

    def save_pretrained(self, path: str | Path) -> Path:
        self.model.save_pretrained(path)
        return Path(path)

    def signers(self) -> list[int]:
        return sorted(int(s) for s in self.model.config.placements)

    def describe_signer(self, signer: int) -> str:
        return gan.describe_signer(self.model.config, signer)

    def about(self) -> dict:
        return gan.about(self.model.config)

    def runtime(self) -> str:
        """What draws the frames: "openvino bf16", "openvino f32" or "eager"."""
        return self.runner.runtime

    def render(self, keypoints: np.ndarray, mask: np.ndarray, signer: int = 1) -> np.ndarray:
        return np.concatenate(list(self.render_chunks(keypoints, mask, signer, len(keypoints))))

    def render_chunks(
        self, keypoints: np.ndarray, mask: np.ndarray, signer: int, chunk: int
    ) -> Iterator[np.ndarray]:
        """Frames in pieces of ``chunk``. A frame with no point shows the frame drawn before
        it (the first drawn frame for a clip that starts empty); a clip with no point at all
        is an error."""
        m = np.asarray(mask, bool)
        found = m.any(axis=1)
        if not found.any():
            raise ValueError("every keypoint is missing: there is no pose to render")
        # each frame is drawn from the nearest frame with points at or before it
        source = np.maximum.accumulate(np.where(found, np.arange(len(m)), -1))
        source[source < 0] = int(np.argmax(found))
        drawn: dict[int, np.ndarray] = {}
        for a in range(0, len(m), chunk):
            want = sorted({int(i) for i in source[a : a + chunk]} - set(drawn))
            for b in range(0, len(want), self.batch):
                rows = want[b : b + self.batch]
                frames = draw_frames(self.model, keypoints[rows], m[rows], signer, self.runner)
                for i, frame in zip(rows, frames, strict=True):
                    drawn[i] = frame
            yield np.stack([drawn[int(i)] for i in source[a : a + chunk]])
            keep = int(source[min(a + chunk, len(m)) - 1])
            drawn = {i: f for i, f in drawn.items() if i >= keep}


def draw_frames(
    model: StyleGAN2Model,
    keypoints: np.ndarray,
    mask: np.ndarray,
    signer: int,
    runner: runtime.Runner | None = None,
) -> np.ndarray:
    """Frames uint8 ``[T, size, size, 3]`` for normalised keypoints ``[T, 127, 2]`` (each
    frame on its own, fixed noise) of a signer in the model's placements; through
    ``runner`` (the inference runtime) when given, else eager PyTorch."""
    c = model.config
    m = np.asarray(mask, bool)
    px = gan.place(keypoints, c.placements[str(signer)])
    px = np.where(m[..., None], px, 0.0)
    sticks = gan.to_tensor(gan.draw_sticks(px, m, c.size), model.device)
    corners, present = gan.crop_corners(px, m, c.crop_sizes, c.size)
    kp = torch.from_numpy(np.asarray(keypoints, np.float32)).to(model.device)
    pose = pose_vector(kp, torch.from_numpy(m).to(model.device))
    onehot = model.signer_onehot([signer] * len(px))
    inputs = (sticks, pose, onehot, torch.from_numpy(corners), torch.from_numpy(present))
    if runner is not None:
        return gan.to_frames(runner(*inputs))
    with torch.inference_mode():
        return gan.to_frames(model(*inputs))


__all__ = [
    "StyleGAN2",
    "StyleGAN2Config",
    "StyleGAN2Discriminators",
    "StyleGAN2Model",
    "draw_frames",
    "pose_vector",
]
