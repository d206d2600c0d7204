"""What the learned pose-to-video backends share: frames as tensors, the signer's placement
in the frame, crops of the face and hands, patch discriminators and the losses (LSGAN,
feature matching, SSIM) that stand in for a pretrained perceptual network, which cannot be
had here.

Not a backend (it registers nothing); used by ``edn.py`` (and any later GAN backend).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from sign_pipeline import skeleton as sk

#: The parts that get their own crop (refiner, discriminator, crop loss), in this order.
CROP_PARTS = ("face", "left_hand", "right_hand")


def to_tensor(frames: np.ndarray | torch.Tensor, device=None) -> torch.Tensor:
    """uint8 ``[..., H, W, 3]`` (array or tensor) -> float ``[..., 3, H, W]`` in -1..1 (on
    ``device``; the bytes travel there before they become floats)."""
    if not isinstance(frames, torch.Tensor):
        frames = torch.from_numpy(np.ascontiguousarray(frames))
    t = frames.to(device).float()
    return (t / 127.5 - 1.0).movedim(-1, -3)


def to_frames(images: torch.Tensor) -> np.ndarray:
    """float ``[..., 3, H, W]`` in -1..1 -> uint8 ``[..., H, W, 3]``."""
    x = ((images.detach().clamp(-1, 1) + 1.0) * 127.5).round().to(torch.uint8)
    return x.movedim(-3, -1).cpu().numpy()


# ---------------------------------------------------------------------------- checkpoints


def load_placed(model_class, path) -> torch.nn.Module:
    """A generator checkpoint (``model_class.load``, CPU) that knows where its signers stand."""
    from sign_pipeline.modeling import CheckpointError

    model = model_class.load(path, device="cpu")
    if not model.config.placements:
        raise CheckpointError(f"{path}: no signer placements in config.json")
    return model


def describe_signer(config, signer: int) -> str:
    """The menu words for a signer of a generator: its note (an own recording), else the
    corpus signer's look, else ""."""
    from sign_pipeline import signers
    from sign_pipeline.pose2video.appearances import SIGNERS_BY_ID

    note = config.signer_notes.get(str(int(signer)))
    if note:
        return note
    look = SIGNERS_BY_ID.get(signers.code(signer))
    return look.description if look is not None else ""


def about(config) -> dict:
    """What the page says about a generator's training data."""
    return {
        "trained_on": config.trained_on or "unknown",
        "synthetic": bool(getattr(config, "synthetic", False)),
    }


# ---------------------------------------------------------------------------- placement


def placement_of(keypoints_px: np.ndarray, mask: np.ndarray) -> tuple[float, float, float]:
    """(neck x, neck y, shoulder width) in pixels: the medians of the neck point and of the
    shoulder width over the frames where they were found (how a signer stands in their
    video). The neck point, not the shoulders' midpoint (a few pixels lower): normalised
    keypoints have the neck point at 0 (:func:`sign_pipeline.skeleton.normalize`), so
    :func:`place` puts the figure where the video has it."""
    kp = np.asarray(keypoints_px, np.float64)
    m = np.asarray(mask, bool)
    ok = m[:, sk.R_SHOULDER] & m[:, sk.L_SHOULDER]
    if not ok.any() or not m[:, sk.NECK].any():
        raise ValueError("no frame with the neck and both shoulders: cannot place the signer")
    width = np.linalg.norm(kp[ok, sk.R_SHOULDER] - kp[ok, sk.L_SHOULDER], axis=-1)
    x, y = np.median(kp[m[:, sk.NECK], sk.NECK], axis=0)
    return float(x), float(y), float(np.median(width))


def place(keypoints: np.ndarray, placement: Sequence[float]) -> np.ndarray:
    """Normalised keypoints (neck 0, shoulder width 1) -> pixels, by a ``placement_of``."""
    x, y, width = placement
    return np.asarray(keypoints, np.float32) * np.float32(width) + np.array([x, y], np.float32)


def draw_sticks(keypoints_px: np.ndarray, mask: np.ndarray, size: int) -> np.ndarray:
    """Stick figures ``[T, size, size, 3]`` of keypoints already in pixels of the ``size``
    frame (:func:`.stickfigure.draw_stick_figure` with line widths for that size)."""
    from sign_pipeline.pose2video.placement import FRAME_SIZE
    from sign_pipeline.pose2video.stickfigure import draw_stick_figure

    px = np.asarray(keypoints_px, np.float32) * np.float32(FRAME_SIZE / size)
    return draw_stick_figure(px, mask, pixel=True, size=size)


def crop_corners(
    keypoints_px: np.ndarray, mask: np.ndarray, sizes: Sequence[int], frame: int
) -> tuple[np.ndarray, np.ndarray]:
    """Top-left corners int ``[T, 3, 2]`` (x, y) of fixed-size square crops centred on the
    face and each hand (:data:`CROP_PARTS`, ``sizes`` one per part), kept inside the frame,
    and whether the part exists ``[T, 3]`` (a hand needs its wrist or a finger point)."""
    kp = np.asarray(keypoints_px, np.float32)
    m = np.asarray(mask, bool)
    corners = np.zeros((len(kp), len(CROP_PARTS), 2), np.int64)
    present = np.zeros((len(kp), len(CROP_PARTS)), bool)
    for j, (part, size) in enumerate(zip(CROP_PARTS, sizes, strict=True)):
        block = sk.BLOCKS[part]
        pm = m[:, block]
        present[:, j] = pm.any(axis=1)
        count = np.maximum(pm.sum(axis=1, keepdims=True), 1)
        centre = (kp[:, block] * pm[..., None]).sum(axis=1) / count
        corners[:, j] = np.clip(np.round(centre - size / 2), 0, frame - size)
    return corners, present


def _crop_source(corners: torch.Tensor, part: int, size: int, width: int) -> torch.Tensor:
    """Flat pixel index ``[B, size * size]`` into a ``width``-wide image of each square of
    ``size`` at ``corners[:, part]`` (row by row)."""
    c = corners[:, part].to(torch.long)
    steps = torch.arange(size, device=c.device)
    ys = (c[:, 1:2] + steps)[:, :, None]  # [B, S, 1]
    xs = (c[:, 0:1] + steps)[:, None, :]  # [B, 1, S]
    return (ys * width + xs).flatten(1)


def take_crops(images: torch.Tensor, corners: torch.Tensor, part: int, size: int) -> torch.Tensor:
    """``[B, C, size, size]`` crops of ``images`` ``[B, C, H, W]`` at ``corners[:, part]``
    (one gather for the whole batch; fixed shapes, so it converts to an inference runtime)."""
    b, ch, _, w = images.shape
    index = _crop_source(corners.to(images.device), part, size, w)
    flat = images.flatten(2).gather(2, index[:, None, :].expand(b, ch, -1))
    return flat.view(b, ch, size, size)


def paste_crops(
    images: torch.Tensor,
    crops: torch.Tensor,
    corners: torch.Tensor,
    part: int,
    present: torch.Tensor,
) -> torch.Tensor:
    """``images`` with each present crop written back at its corner (differentiable: the
    gradient reaches the crop inside its square and the image outside it).

    Every pixel looks up the crop pixel it would be and keeps it inside the square of a
    present part: shapes do not depend on the data, so the paste converts to an inference
    runtime, and the values are the crop's own (the same frames as writing it in place)."""
    b, ch, h, w = images.shape
    size = crops.shape[-1]
    c = corners[:, part].to(device=images.device, dtype=torch.long)
    dy = torch.arange(h, device=images.device)[None, :] - c[:, 1:2]  # [B, H]
    dx = torch.arange(w, device=images.device)[None, :] - c[:, 0:1]  # [B, W]
    inside_y, inside_x = (dy >= 0) & (dy < size), (dx >= 0) & (dx < size)
    keep = present[:, part].to(device=images.device, dtype=torch.bool)[:, None, None]
    inside = inside_y[:, :, None] & inside_x[:, None, :] & keep  # [B, H, W]
    index = dy.clamp(0, size - 1)[:, :, None] * size + dx.clamp(0, size - 1)[:, None, :]
    index = index.flatten(1)[:, None, :].expand(b, ch, -1)
    placed = crops.flatten(2).gather(2, index).view(b, ch, h, w)
    return torch.where(inside[:, None], placed, images)


def crop_pairs(
    sticks: torch.Tensor,
    corners: torch.Tensor,
    present: torch.Tensor,
    fake: torch.Tensor,
    real: torch.Tensor,
    sizes: Sequence[int],
) -> dict:
    """Face and hand crops of generated and real frames for the crop losses: "face"/"hand"
    (stick crop, generated crop) and "face_real"/"hand_real" (stick crop, real crop) pairs
    for a crop discriminator (None when no frame has the part), "l1" the mean L1 and "ssim"
    the mean (1 - SSIM) between generated and real crops (what the evaluation's face and
    hand SSIM measure), "count" how many parts were found."""
    out: dict = {"face": None, "hand": None, "face_real": None, "hand_real": None}
    l1, dissim, count = 0.0, 0.0, 0
    for j, size in enumerate(sizes):
        rows = present[:, j].nonzero().flatten()
        if not len(rows):
            continue
        c = corners[rows]
        s = take_crops(sticks[rows], c, j, size)
        f = take_crops(fake[rows], c, j, size)
        r = take_crops(real[rows], c, j, size)
        l1 = l1 + F.l1_loss(f, r)
        dissim = dissim + (1 - ssim(f, r).mean())
        count += 1
        key = "face" if j == 0 else "hand"
        for k, v in ((key, torch.cat([s, f], 1)), (f"{key}_real", torch.cat([s, r], 1))):
            out[k] = v if out[k] is None else torch.cat([out[k], v])
    out["l1"] = l1 / max(count, 1)
    out["ssim"] = dissim / max(count, 1)
    out["count"] = count
    return out


def tight_dissimilarity(
    fake: torch.Tensor, real: torch.Tensor, keypoints: torch.Tensor, mask: torch.Tensor, part: str
) -> torch.Tensor | None:
    """1 - SSIM of ``fake`` against ``real`` on the boxes the evaluation's crop SSIM uses
    (:func:`metrics.crop_boxes` on ``keypoints`` in pixels, the batch taken as one
    sequence): tight around the face ("face") or each hand ("hands"), not the refiners'
    wider squares with hair and background in them. None when no frame has the part."""
    from sign_pipeline import metrics

    kp, m = keypoints.detach().cpu().numpy(), mask.detach().cpu().numpy()
    names = ("face",) if part == "face" else ("left_hand", "right_hand")
    total, count = 0.0, 0
    for name in names:
        corners, size = metrics.crop_boxes(kp, m, name, tuple(fake.shape[-2:]))
        rows = np.flatnonzero(corners[:, 0] >= 0)
        if not len(rows):
            continue
        c = torch.from_numpy(corners[rows])[:, None]
        f, r = take_crops(fake[rows], c, 0, size), take_crops(real[rows], c, 0, size)
        total, count = total + (1 - ssim(f, r, whole=True).mean()), count + 1
    return total / count if count else None


def tight_losses(
    fake: torch.Tensor, real: torch.Tensor, keypoints: torch.Tensor, mask: torch.Tensor, weight
) -> dict[str, torch.Tensor]:
    """The generator loss parts "face_ssim" and "hands_ssim" (:func:`tight_dissimilarity`)
    that ``weight(name, 0.0)`` weights (off unless weighted: ``--loss face_ssim=W``), for the
    frames that have the part."""
    out = {}
    for part, name in (("face", "face_ssim"), ("hands", "hands_ssim")):
        if weight(name, 0.0):
            value = tight_dissimilarity(fake, real, keypoints, mask, part)
            if value is not None:
                out[name] = value
    return out


# ---------------------------------------------------------------------------- losses


def _gauss(size: int = 11, sigma: float = 1.5) -> torch.Tensor:
    x = torch.arange(size, dtype=torch.float32) - (size - 1) / 2
    g = torch.exp(-(x**2) / (2 * sigma**2))
    return g / g.sum()


def ssim(a: torch.Tensor, b: torch.Tensor, whole: bool = False) -> torch.Tensor:
    """Per-image SSIM ``[B]`` of images in -1..1 (Gaussian window 11, sigma 1.5, as the
    evaluation's torchmetrics SSIM), differentiable: over the windows inside the image, or
    with ``whole`` over every pixel, the image mirrored at its edges as torchmetrics does
    (the same figure as the evaluation's; the edges weigh more in a small crop)."""
    if whole:
        a, b = (F.pad(x, (5, 5, 5, 5), mode="reflect") for x in (a, b))
    g = _gauss().to(a)
    c = a.shape[1]
    wx = g.view(1, 1, 1, -1).repeat(c, 1, 1, 1)
    wy = g.view(1, 1, -1, 1).repeat(c, 1, 1, 1)

    def blur(x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(F.conv2d(x, wx, groups=c), wy, groups=c)

    x, y = (a + 1) / 2, (b + 1) / 2
    c1, c2 = 0.01**2, 0.03**2
    mx, my = blur(x), blur(y)
    sxx = blur(x * x) - mx * mx
    syy = blur(y * y) - my * my
    sxy = blur(x * y) - mx * my
    s = ((2 * mx * my + c1) * (2 * sxy + c2)) / ((mx * mx + my * my + c1) * (sxx + syy + c2))
    return s.flatten(1).mean(1)


def lsgan(outputs: list[list[torch.Tensor]], real: bool) -> torch.Tensor:
    """LSGAN loss over every discriminator's final map: (D - 1)^2 for real, D^2 for fake."""
    target = 1.0 if real else 0.0
    return sum(((feats[-1] - target) ** 2).mean() for feats in outputs) / len(outputs)


def feature_matching(
    fake: list[list[torch.Tensor]], real: list[list[torch.Tensor]]
) -> torch.Tensor:
    """L1 between the discriminators' inner features on fake and (detached) real input."""
    total, count = 0.0, 0
    for f_feats, r_feats in zip(fake, real, strict=True):
        for f, r in zip(f_feats[:-1], r_feats[:-1], strict=True):
            total = total + F.l1_loss(f, r.detach())
            count += 1
    return total / max(count, 1)


# ---------------------------------------------------------------------------- discriminators


class PatchDiscriminator(nn.Module):
    """A PatchGAN: strided 4x4 convolutions, LeakyReLU, instance norm after the first; every
    layer's output is kept (for feature matching); the last is a map of real/fake scores."""

    def __init__(self, in_channels: int, ndf: int = 32, layers: int = 3) -> None:
        super().__init__()
        blocks, ch = [], in_channels
        for i in range(layers):
            out = ndf * 2**i
            norm = nn.InstanceNorm2d(out, affine=True) if i else nn.Identity()
            blocks.append(nn.Sequential(nn.Conv2d(ch, out, 4, 2, 1), norm, nn.LeakyReLU(0.2)))
            ch = out
        blocks.append(nn.Sequential(nn.Conv2d(ch, ch, 3, 1, 1), nn.InstanceNorm2d(ch, affine=True),
                                    nn.LeakyReLU(0.2)))  # fmt: skip
        blocks.append(nn.Conv2d(ch, 1, 3, 1, 1))
        self.blocks = nn.ModuleList(blocks)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        feats = []
        for block in self.blocks:
            x = block(x)
            feats.append(x)
        return feats


class MultiscaleDiscriminator(nn.Module):
    """``scales`` patch discriminators on the input at full, 1/2, 1/4... resolution."""

    def __init__(self, in_channels: int, ndf: int = 32, scales: int = 2, layers: int = 3) -> None:
        super().__init__()
        self.nets = nn.ModuleList(
            PatchDiscriminator(in_channels, ndf, layers) for _ in range(scales)
        )

    def forward(self, x: torch.Tensor) -> list[list[torch.Tensor]]:
        out = []
        for i, net in enumerate(self.nets):
            if i:
                x = F.avg_pool2d(x, 3, 2, 1, count_include_pad=False)
            out.append(net(x))
        return out


__all__ = [
    "CROP_PARTS",
    "about",
    "describe_signer",
    "load_placed",
    "MultiscaleDiscriminator",
    "PatchDiscriminator",
    "crop_corners",
    "crop_pairs",
    "draw_sticks",
    "feature_matching",
    "lsgan",
    "paste_crops",
    "place",
    "placement_of",
    "ssim",
    "take_crops",
    "tight_dissimilarity",
    "tight_losses",
    "to_frames",
    "to_tensor",
]
