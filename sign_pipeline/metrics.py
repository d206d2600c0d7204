"""The ruler: how close produced signing is to a reference, and how alive it looks.

Keypoint metrics take float32 ``[T, 127, 2]`` arrays in the normalised frame (neck at 0,
shoulder width 1) with bool masks ``[T, 127]``; the motion statistics measure the
shoulder width themselves, so they also work on pixels. Video metrics take uint8 RGB
frames ``[T, H, W, 3]`` and report the mean over frames.

- :func:`dtw`, :func:`hands_dtw`, :func:`length_error`: closeness to a reference clip.
- :func:`motion_stats`, :func:`pooled_motion_stats`: wrist speed, non-dominant ratio, hand
  size and finger articulation. Regression to the mean (slow, averaged, under-articulated
  hands), the known failure of learned sign production, shows here.
- :func:`mse`, :func:`psnr`, :func:`ssim`, :func:`crop_ssim`, :func:`flicker`,
  :func:`relative_flicker`: generated video against the real frames (PSNR and SSIM come
  from torchmetrics; nothing here loads network weights).
- :func:`pose_consistency`: MediaPipe run on the generated frames, compared with the
  keypoints the video was made from.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from scipy.spatial.distance import cdist

from . import skeleton as sk

PointSelection = Sequence[int] | slice | np.ndarray | None

#: Both hands' points (left then right), the selection :func:`hands_dtw` uses.
HAND_POINTS: np.ndarray = np.r_[sk.LEFT_HAND, sk.RIGHT_HAND]
#: Fingertips (thumb, index, middle, ring, pinky) as offsets inside a hand block.
FINGERTIP_OFFSETS: tuple[int, ...] = (4, 8, 12, 16, 20)
#: Per-frame PSNR is capped here, so identical frames give 100 dB instead of infinity.
PSNR_CAP_DB = 100.0
#: Crops for :func:`crop_ssim` are never smaller than this (SSIM's window is 11 pixels).
MIN_CROP = 24

_SIDES = {
    "right": (sk.R_WRIST, sk.R_HAND_WRIST, sk.RIGHT_HAND),
    "left": (sk.L_WRIST, sk.L_HAND_WRIST, sk.LEFT_HAND),
}

# ---------------------------------------------------------------------------- keypoints


def _check_sequence(kp: np.ndarray, mask: np.ndarray | None, name: str):
    kp = np.asarray(kp, np.float64)
    if kp.ndim != 3 or kp.shape[-1] != 2:
        raise ValueError(f"{name} must be [T, points, 2], got {kp.shape}")
    if len(kp) == 0:
        raise ValueError(f"{name} has no frames")
    m = np.ones(kp.shape[:2], bool) if mask is None else np.asarray(mask, bool)
    if m.shape != kp.shape[:2]:
        raise ValueError(f"{name} mask must be {kp.shape[:2]}, got {m.shape}")
    return kp, m


def frame_costs(
    pred: np.ndarray,
    ref: np.ndarray,
    pred_mask: np.ndarray | None = None,
    ref_mask: np.ndarray | None = None,
) -> np.ndarray:
    """``[T_pred, T_ref]`` L1 distance between every pair of frames, float64.

    ``cost[i, j] = sum over points p present in both pred[i] and ref[j] of
    |x_pi - x_pj| + |y_pi - y_pj|``: a point masked in either frame adds nothing.
    """
    p, pm = _check_sequence(pred, pred_mask, "pred")
    r, rm = _check_sequence(ref, ref_mask, "ref")
    if p.shape[1] != r.shape[1]:
        raise ValueError(f"pred has {p.shape[1]} points, ref {r.shape[1]}")
    full = pm.all(axis=0) & rm.all(axis=0)  # points present in every frame of both
    out = cdist(p[:, full].reshape(len(p), -1), r[:, full].reshape(len(r), -1), "cityblock")
    for k in np.flatnonzero(~full):  # the rest point by point, weighted by both masks
        both = np.outer(pm[:, k], rm[:, k])
        if both.any():
            out += cdist(p[:, k], r[:, k], "cityblock") * both
    return out


def accumulated_cost(cost: np.ndarray) -> float:
    """Total cost of the cheapest warping path through ``cost`` [n, m].

    Standard DTW: the path starts at (0, 0), ends at (n-1, m-1) and moves by (1, 0), (0, 1)
    or (1, 1); no window. Row by row, the horizontal moves are one min-plus scan
    (a running minimum over cumulative sums), so the only Python loop is over rows.
    """
    cost = np.asarray(cost, np.float64)
    n, m = cost.shape
    prev = np.full(m + 1, np.inf)
    prev[0] = 0.0
    for i in range(n):
        row = cost[i]
        # best arrival from above or the diagonal, then any run of steps to the right
        enter = row + np.minimum(prev[1:], prev[:-1])
        run = np.cumsum(row)
        best = run + np.minimum.accumulate(enter - run)
        prev = np.concatenate(([np.inf], best))
    return float(prev[m])


def _select(points: PointSelection) -> np.ndarray:
    if points is None:
        return np.arange(sk.NUM_POINTS)
    return np.arange(sk.NUM_POINTS)[points]


def dtw(
    pred: np.ndarray,
    ref: np.ndarray,
    pred_mask: np.ndarray | None = None,
    ref_mask: np.ndarray | None = None,
    points: PointSelection = None,
) -> float:
    """Dynamic time warping distance, as Progressive Transformers reports it.

    Each frame is the flattened vector of its (x, y) values; the cost of pairing frame i of
    ``pred`` with frame j of ``ref`` is the L1 distance (sum of absolute differences over
    all values) and the distance is the total cost of the cheapest warping path (steps
    (1, 0), (0, 1), (1, 1), no window) divided by the number of reference frames.

    Our sequences carry no counter column and no BOS frame, so nothing is cut or dropped
    first (PT drops its BOS frame and cuts at the counter's argmax). A point masked in
    either frame of a pair costs 0 for that pair (masks default to all present).
    ``points`` picks a subset of the 127 points (indices, a slice or a bool array), e.g.
    :data:`HAND_POINTS`. Expects the normalised frame: the value is in shoulder widths.
    """
    sel = _select(points)
    pm = None if pred_mask is None else np.asarray(pred_mask, bool)[:, sel]
    rm = None if ref_mask is None else np.asarray(ref_mask, bool)[:, sel]
    pred = np.asarray(pred)[:, sel]
    ref = np.asarray(ref)[:, sel]
    return accumulated_cost(frame_costs(pred, ref, pm, rm)) / len(ref)


def hands_dtw(
    pred: np.ndarray,
    ref: np.ndarray,
    pred_mask: np.ndarray | None = None,
    ref_mask: np.ndarray | None = None,
) -> float:
    """:func:`dtw` on the 42 points of both hands only (body and face ignored)."""
    return dtw(pred, ref, pred_mask, ref_mask, points=HAND_POINTS)


def length_error(n_pred: int, n_ref: int) -> float:
    """``|T_pred - T_ref| / T_ref``: 0 for the reference length, 1 for twice or none of it."""
    if n_ref <= 0:
        raise ValueError(f"reference length must be positive, got {n_ref}")
    return abs(int(n_pred) - int(n_ref)) / int(n_ref)


# ---------------------------------------------------------------------------- motion


def attention_failure(attention: np.ndarray) -> dict:
    """Whether a text-to-pose attention ``[T, n_glosses]`` failed to move forward through
    the glosses (the classic Tacotron failure). Each frame's peak is its most attended
    gloss; ``skipped``: glosses that are never a frame's peak; ``backward``: the peak
    returned to an earlier gloss after moving past it (a repeated gloss); ``failed``:
    either, or the peak never reached the last gloss."""
    att = np.asarray(attention, dtype=np.float64)
    if att.ndim != 2 or att.shape[0] < 1 or att.shape[1] < 1:
        raise ValueError(f"attention must be [frames, glosses] with both > 0, got {att.shape}")
    peaks = att.argmax(1)
    skipped = sorted(set(range(att.shape[1])) - set(peaks.tolist()))
    backward = bool((peaks < np.maximum.accumulate(peaks)).any())
    return {
        "skipped": skipped,
        "backward": backward,
        "failed": bool(skipped) or backward or int(peaks[-1]) != att.shape[1] - 1,
    }


def shoulder_width(keypoints: np.ndarray, mask: np.ndarray) -> float:
    """Median distance between the two shoulders over frames where both were detected."""
    kp = np.asarray(keypoints, np.float64)
    m = np.asarray(mask, bool)
    both = m[:, sk.R_SHOULDER] & m[:, sk.L_SHOULDER]
    if not both.any():
        raise ValueError("no frame has both shoulders: cannot measure the shoulder width")
    width = float(
        np.median(np.linalg.norm(kp[both, sk.R_SHOULDER] - kp[both, sk.L_SHOULDER], axis=-1))
    )
    if not width > 1e-9:
        raise ValueError("the shoulder width is zero")
    return width


def _wrist_speeds(kp: np.ndarray, m: np.ndarray, side: str, smooth: int = 1) -> np.ndarray:
    """Per-frame wrist displacements (input units) between consecutive detected frames;
    ``smooth`` > 1: of the wrist track averaged over that many frames (centred, within each
    run of detected frames, ends held), which leaves out frame-to-frame jitter."""
    body, hand, _ = _SIDES[side]
    pos = np.where(m[:, body, None], kp[:, body], kp[:, hand]).astype(np.float64)
    ok = m[:, body] | m[:, hand]
    if len(pos) < 2:
        return np.zeros(0)
    if smooth > 1:
        half = smooth // 2
        idx = np.flatnonzero(ok)
        for run in np.split(idx, np.flatnonzero(np.diff(idx) > 1) + 1):
            if len(run) > 1:
                seg = np.pad(pos[run], ((half, half), (0, 0)), mode="edge")
                sums = np.cumsum(np.pad(seg, ((1, 0), (0, 0))), axis=0)
                pos[run] = (sums[smooth:] - sums[:-smooth]) / smooth
    both = ok[1:] & ok[:-1]
    return np.linalg.norm(np.diff(pos, axis=0), axis=-1)[both]


def smoothing_frames(fps: float) -> int:
    """Frames of the moving average for the smoothed wrist speed: a sixth of a second,
    odd (5 at 30 fps, 3 at 15)."""
    n = max(1, int(round(float(fps) / 6)))
    return n if n % 2 else n + 1


def _tip_distances(kp: np.ndarray, m: np.ndarray, side: str, offset: int) -> np.ndarray:
    """Hand-wrist to one hand point, in input units, over frames where both exist."""
    hand = _SIDES[side][2]
    w, tip = hand.start, hand.start + offset
    ok = m[:, w] & m[:, tip]
    return np.linalg.norm(kp[ok, tip] - kp[ok, w], axis=-1)


def _articulation(kp: np.ndarray, m: np.ndarray, side: str) -> float:
    stds = [
        float(d.std())
        for d in (_tip_distances(kp, m, side, o) for o in FINGERTIP_OFFSETS)
        if len(d) >= 2
    ]
    return float(np.mean(stds)) if stds else float("nan")


class _Motion:
    """One sequence's raw motion figures, already in shoulder widths (per frame); the
    smoothed speeds after a ``smooth``-frame moving average (:func:`smoothing_frames`)."""

    def __init__(self, keypoints: np.ndarray, mask: np.ndarray, smooth: int):
        kp, m = _check_sequence(keypoints, mask, "keypoints")
        kp = kp / shoulder_width(kp, m)
        self.speeds = {s: _wrist_speeds(kp, m, s) for s in _SIDES}
        self.smooth_speeds = {s: _wrist_speeds(kp, m, s, smooth) for s in _SIDES}
        self.sizes = {s: _tip_distances(kp, m, s, 12) for s in _SIDES}
        self.articulation = {s: _articulation(kp, m, s) for s in _SIDES}

    def travel(self, side: str) -> float:
        return float(self.speeds[side].sum())


def _check_dominant(dominant: str | None) -> None:
    if dominant not in (None, "left", "right"):
        raise ValueError(f"dominant must be 'left', 'right' or None, got {dominant!r}")


def _mean(x: np.ndarray) -> float:
    return float(x.mean()) if len(x) else float("nan")


def _ratio(nondom: np.ndarray, dom: np.ndarray) -> float:
    if not len(nondom) or not len(dom) or dom.mean() <= 0:
        return float("nan")
    return float(nondom.mean() / dom.mean())


def motion_stats(
    keypoints: np.ndarray, mask: np.ndarray, fps: float, dominant: str | None = None
) -> dict[str, float | str]:
    """Motion statistics of one sequence (the corpus realism check's figures, per second).

    Lengths are in shoulder widths (SW): the median shoulder distance of the sequence, so
    pixels and normalised keypoints give the same values. Returned keys:

    - ``dominant``: "right" or "left", as given, else the side whose wrist travels further;
    - ``wrist_speed_mean``, ``wrist_speed_p95``: mean and 95th percentile of the dominant
      wrist's speed in SW per second (displacement per frame x ``fps``). The wrist is the
      body wrist, or the hand's wrist point where the body one is missing; a speed is taken
      only between consecutive frames where the wrist was detected;
    - ``wrist_speed_smooth_mean``: the same mean after averaging the wrist track over a sixth
      of a second (:func:`smoothing_frames`): the movement without frame-to-frame jitter
      (detector noise in real keypoints, a shaking output);
    - ``nondominant_ratio``: mean non-dominant wrist speed / mean dominant wrist speed;
    - ``hand_size``: median over frames of the dominant hand's wrist to middle fingertip
      distance (SW);
    - ``articulation``: for each of the dominant hand's 5 fingertips, the standard
      deviation over time of its distance to the hand's wrist (SW), averaged over the
      fingertips: 0 for a rigid hand, larger when the fingers open and close.

    A figure with no data (no two consecutive detected frames, no hand) is NaN.
    """
    _check_dominant(dominant)
    mo = _Motion(keypoints, mask, smoothing_frames(fps))
    if dominant is None:
        dominant = "right" if mo.travel("right") >= mo.travel("left") else "left"
    nondominant = "left" if dominant == "right" else "right"
    speed = mo.speeds[dominant] * float(fps)
    sizes = mo.sizes[dominant]
    return {
        "dominant": dominant,
        "wrist_speed_mean": _mean(speed),
        "wrist_speed_p95": float(np.percentile(speed, 95)) if len(speed) else float("nan"),
        "wrist_speed_smooth_mean": _mean(mo.smooth_speeds[dominant] * float(fps)),
        "nondominant_ratio": _ratio(mo.speeds[nondominant], mo.speeds[dominant]),
        "hand_size": float(np.median(sizes)) if len(sizes) else float("nan"),
        "articulation": mo.articulation[dominant],
    }


def pooled_motion_stats(
    sequences: Sequence[tuple[np.ndarray, np.ndarray]],
    fps: float,
    dominant: str | None = None,
) -> dict[str, float | str]:
    """:func:`motion_stats` over many sequences (e.g. one signer's or one backend's clips).

    Each sequence is scaled by its own shoulder width. ``dominant`` defaults to the side
    that travels further over all sequences together. ``wrist_speed_mean``/``_p95``/
    ``_smooth_mean`` and
    ``hand_size`` pool the frames of every sequence; ``nondominant_ratio`` is the median of
    the per-sequence ratios (as the corpus realism check reports it); ``articulation`` is
    the mean of the per-sequence values (a std over time only means something within a
    clip). Also returns ``sequences``: how many were measured.
    """
    _check_dominant(dominant)
    motions = [_Motion(kp, m, smoothing_frames(fps)) for kp, m in sequences]
    if not motions:
        raise ValueError("no sequences to measure")
    if dominant is None:
        right = sum(mo.travel("right") for mo in motions)
        left = sum(mo.travel("left") for mo in motions)
        dominant = "right" if right >= left else "left"
    nondominant = "left" if dominant == "right" else "right"
    speed = np.concatenate([mo.speeds[dominant] for mo in motions]) * float(fps)
    sizes = np.concatenate([mo.sizes[dominant] for mo in motions])
    ratios = [_ratio(mo.speeds[nondominant], mo.speeds[dominant]) for mo in motions]
    ratios = [r for r in ratios if np.isfinite(r)]
    arts = [mo.articulation[dominant] for mo in motions]
    arts = [a for a in arts if np.isfinite(a)]
    return {
        "dominant": dominant,
        "wrist_speed_mean": _mean(speed),
        "wrist_speed_p95": float(np.percentile(speed, 95)) if len(speed) else float("nan"),
        "wrist_speed_smooth_mean": _mean(
            np.concatenate([mo.smooth_speeds[dominant] for mo in motions]) * float(fps)
        ),
        "nondominant_ratio": float(np.median(ratios)) if ratios else float("nan"),
        "hand_size": float(np.median(sizes)) if len(sizes) else float("nan"),
        "articulation": float(np.mean(arts)) if arts else float("nan"),
        "sequences": len(motions),
    }


# ---------------------------------------------------------------------------- video


def _check_frames(frames: np.ndarray, name: str) -> np.ndarray:
    f = np.asarray(frames)
    if f.ndim == 3:
        f = f[None]
    if f.ndim != 4 or f.shape[-1] != 3:
        raise ValueError(f"{name} must be [T, H, W, 3] (or [H, W, 3]), got {np.shape(frames)}")
    if f.dtype != np.uint8:
        raise ValueError(f"{name} must be uint8, got {f.dtype}")
    return f


def _check_pair(pred: np.ndarray, real: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    p, r = _check_frames(pred, "pred"), _check_frames(real, "real")
    if p.shape != r.shape:
        raise ValueError(f"pred is {p.shape}, real {r.shape}: they must match")
    if len(p) == 0:
        raise ValueError("no frames")
    return p, r


def _tensor(frames: np.ndarray):
    """uint8 [N, H, W, 3] -> float32 tensor [N, 3, H, W] in 0..255."""
    import torch

    return torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2).float()


_CHUNK = 16  # frames per torchmetrics call (bounded memory for long clips)


def _per_frame(pred: np.ndarray, real: np.ndarray, fn) -> np.ndarray:
    out = []
    for a in range(0, len(pred), _CHUNK):
        out.append(fn(_tensor(pred[a : a + _CHUNK]), _tensor(real[a : a + _CHUNK])).numpy())
    return np.concatenate(out).astype(np.float64)


def _ssim_values(pred: np.ndarray, real: np.ndarray) -> np.ndarray:
    from torchmetrics.functional.image import structural_similarity_index_measure

    def fn(p, r):
        return structural_similarity_index_measure(
            p, r, gaussian_kernel=True, sigma=1.5, kernel_size=11, data_range=255.0,
            reduction="none",
        )  # fmt: skip

    return _per_frame(pred, real, fn)


def mse(pred: np.ndarray, real: np.ndarray) -> float:
    """Mean squared error over every pixel and channel, values 0..255 (the seed's 245)."""
    p, r = _check_pair(pred, real)
    total = 0.0
    for a in range(0, len(p), _CHUNK):
        d = p[a : a + _CHUNK].astype(np.float64) - r[a : a + _CHUNK]
        total += float((d * d).sum())
    return total / p.size


def psnr(pred: np.ndarray, real: np.ndarray) -> float:
    """Mean over frames of each frame's PSNR in dB (peak 255, torchmetrics).

    A frame identical to the real one would be infinite: it counts as :data:`PSNR_CAP_DB`
    (100 dB), so the mean stays finite and JSON-safe.
    """
    from torchmetrics.functional.image import peak_signal_noise_ratio

    def fn(p, r):
        return peak_signal_noise_ratio(p, r, data_range=255.0, reduction="none", dim=(1, 2, 3))

    values = _per_frame(*_check_pair(pred, real), fn)
    return float(np.minimum(values, PSNR_CAP_DB).mean())


def ssim(pred: np.ndarray, real: np.ndarray) -> float:
    """Mean over frames of SSIM (torchmetrics: Gaussian window 11, sigma 1.5, RGB, peak 255).

    1 for identical frames.
    """
    return float(_ssim_values(*_check_pair(pred, real)).mean())


CropPart = Literal["face", "left_hand", "right_hand"]


def crop_boxes(
    keypoints_px: np.ndarray,
    mask: np.ndarray,
    part: CropPart,
    frame_size: tuple[int, int],
    margin: float = 0.25,
) -> tuple[np.ndarray, int]:
    """Square crop boxes around one part, one size for the whole sequence.

    The size is the median over frames of the part's extent (the larger side of the box
    around its detected points), grown by ``margin`` of it on each side, at least
    :data:`MIN_CROP` and at most the frame. Each frame's box is centred on that frame's
    box around the points, then shifted to lie inside the frame. Returns ``(corners, size)``
    with ``corners`` int [T, 2] as (x0, y0), -1 where the part is not detected.
    """
    if part not in ("face", "left_hand", "right_hand"):
        raise ValueError(f"part must be face, left_hand or right_hand, got {part!r}")
    height, width = frame_size
    sl = sk.BLOCKS[part]
    kp = np.asarray(keypoints_px, np.float64)[:, sl]
    m = np.asarray(mask, bool)[:, sl]
    corners = np.full((len(kp), 2), -1, np.int64)
    present = m.any(axis=1)
    if not present.any():
        return corners, MIN_CROP
    lo = np.where(m[..., None], kp, np.inf).min(axis=1)
    hi = np.where(m[..., None], kp, -np.inf).max(axis=1)
    extent = (hi - lo).max(axis=1)[present]
    size = int(round(float(np.median(extent)) * (1 + 2 * margin)))
    size = min(max(size, MIN_CROP), height, width)
    centre = (lo[present] + hi[present]) / 2
    x0 = np.clip(np.round(centre[:, 0] - size / 2), 0, width - size)
    y0 = np.clip(np.round(centre[:, 1] - size / 2), 0, height - size)
    corners[present] = np.stack([x0, y0], axis=1).astype(np.int64)
    return corners, size


def crop_ssim(
    pred: np.ndarray,
    real: np.ndarray,
    keypoints_px: np.ndarray,
    mask: np.ndarray,
    part: CropPart,
    margin: float = 0.25,
) -> float:
    """:func:`ssim` on the crops of one part ("face", "left_hand" or "right_hand").

    Crops come from :func:`crop_boxes` on the keypoints in the frames' pixel coordinates
    (the pose the video was made from); the mean is over frames where the part exists,
    NaN if it never does.
    """
    p, r = _check_pair(pred, real)
    corners, size = crop_boxes(keypoints_px, mask, part, p.shape[1:3], margin)
    if len(corners) != len(p):
        raise ValueError(f"{len(corners)} keypoint frames for {len(p)} video frames")
    frames = np.flatnonzero(corners[:, 0] >= 0)
    if not len(frames):
        return float("nan")

    def crops(video: np.ndarray) -> np.ndarray:
        return np.stack(
            [video[t, y : y + size, x : x + size] for t, (x, y) in zip(frames, corners[frames])]
        )

    return float(_ssim_values(crops(p), crops(r)).mean())


def flicker(frames: np.ndarray) -> float:
    """Mean absolute change between consecutive frames, over every pixel and channel (0..255).

    NaN for fewer than two frames.
    """
    f = _check_frames(frames, "frames")
    if len(f) < 2:
        return float("nan")
    total = 0.0
    for a in range(0, len(f) - 1, _CHUNK):
        seg = f[a : a + _CHUNK + 1].astype(np.int16)
        total += float(np.abs(np.diff(seg, axis=0)).sum())
    return total / (f[1:].size)


def relative_flicker(pred: np.ndarray, real: np.ndarray) -> float:
    """``flicker(pred) / flicker(real)``: 1 as steady as the real clip, above 1 flickers more.

    NaN when the real clip does not change at all.
    """
    ref = flicker(real)
    if not ref > 0:
        return float("nan")
    return flicker(pred) / ref


# ---------------------------------------------------------------------------- pose consistency


def extract_frames(frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """MediaPipe Holistic on RGB frames in memory -> (keypoints [T, 127, 2] pixels, mask).

    The project's video extraction (:mod:`sign_pipeline.formats.video`: same settings,
    model_complexity 1, offline, same mapping onto the 127 points), on frames instead of a
    file, in tracking mode across the frames.
    """
    import warnings

    import mediapipe as mp

    from .formats import video

    f = _check_frames(frames, "frames")
    if len(f) == 0:
        raise ValueError("no frames to extract from")
    height, width = f.shape[1:3]
    kps, masks = [], []
    with warnings.catch_warnings(), video._native_logs_silenced():
        warnings.filterwarnings("ignore", message=r".*GetPrototype\(\) is deprecated")
        holistic = mp.solutions.holistic.Holistic(**video.HOLISTIC_SETTINGS)
        try:
            for rgb in f:
                bgr = np.ascontiguousarray(rgb[..., ::-1])  # the extractor reads BGR
                kp, m = video._process_frame(
                    holistic, bgr, width, height, video.MIN_POSE_VISIBILITY
                )
                kps.append(kp)
                masks.append(m)
        finally:
            holistic.close()
    return np.stack(kps).astype(np.float32), np.stack(masks).astype(bool)


def pose_agreement(
    found: np.ndarray,
    found_mask: np.ndarray,
    keypoints_px: np.ndarray,
    mask: np.ndarray,
) -> dict[str, float]:
    """Compare keypoints extracted from generated frames with the input keypoints.

    Both in the same pixel coordinates. Returned keys:

    - ``body_found_rate``: share of frames where both shoulders were extracted;
    - ``hand_found_rate_left``, ``hand_found_rate_right``: among frames where the input has
      that hand (any of its points), the share where the extraction has it too;
      ``hand_found_rate``: the same over both hands together (NaN without input hands);
    - ``wrist_error``, ``elbow_error``: mean distance between extracted and input body
      wrists (elbows), both sides, over frames where both exist, in shoulder widths of the
      input (NaN when no pair exists).
    """
    fk, fm = _check_sequence(found, found_mask, "found")
    ik, im = _check_sequence(keypoints_px, mask, "keypoints_px")
    if fk.shape != ik.shape:
        raise ValueError(f"found is {fk.shape}, input {ik.shape}: they must match")
    out: dict[str, float] = {
        "body_found_rate": float((fm[:, sk.R_SHOULDER] & fm[:, sk.L_SHOULDER]).mean())
    }
    has_total = found_total = 0
    for side, block in (("left", sk.LEFT_HAND), ("right", sk.RIGHT_HAND)):
        has = im[:, block].any(axis=1)
        found_here = has & fm[:, block].any(axis=1)
        has_total += int(has.sum())
        found_total += int(found_here.sum())
        out[f"hand_found_rate_{side}"] = (
            float(found_here.sum() / has.sum()) if has.any() else float("nan")
        )
    out["hand_found_rate"] = found_total / has_total if has_total else float("nan")
    width = shoulder_width(ik, im)
    for name, joints in (("wrist", (sk.R_WRIST, sk.L_WRIST)), ("elbow", (sk.R_ELBOW, sk.L_ELBOW))):
        dists = [
            np.linalg.norm(fk[ok, j] - ik[ok, j], axis=-1)
            for j in joints
            for ok in [fm[:, j] & im[:, j]]
        ]
        d = np.concatenate(dists)
        out[f"{name}_error"] = float(d.mean() / width) if len(d) else float("nan")
    return out


def pose_consistency(
    frames: np.ndarray, keypoints_px: np.ndarray, mask: np.ndarray
) -> dict[str, float]:
    """Does MediaPipe see, in the generated frames, the pose they were generated from?

    Runs :func:`extract_frames` on ``frames`` (uint8 RGB ``[T, H, W, 3]``) and compares with
    ``keypoints_px`` (the input pose in the frames' pixels) by :func:`pose_agreement`; see
    there for the keys.
    """
    found, found_mask = extract_frames(frames)
    return pose_agreement(found, found_mask, keypoints_px, mask)


__all__ = [
    "FINGERTIP_OFFSETS",
    "HAND_POINTS",
    "MIN_CROP",
    "PSNR_CAP_DB",
    "accumulated_cost",
    "attention_failure",
    "crop_boxes",
    "crop_ssim",
    "dtw",
    "extract_frames",
    "flicker",
    "frame_costs",
    "hands_dtw",
    "length_error",
    "motion_stats",
    "mse",
    "pooled_motion_stats",
    "pose_agreement",
    "pose_consistency",
    "psnr",
    "relative_flicker",
    "shoulder_width",
    "ssim",
]
