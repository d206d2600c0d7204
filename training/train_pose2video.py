"""Train a learned pose-to-video backend (stick figure + signer -> frames) on video pairs.

    python -m training.train_pose2video --backend edn --data data/prepared_video \
        --out checkpoints/edn [--steps 20000] [--max-minutes 90] [--batch-size 4]
    python -m training.train_pose2video --backend edn --videos my_videos/ \
        --out checkpoints/edn_signers/me [--init-from checkpoints/edn]
    python -m training.train_pose2video --backend stylegan2 --data data/prepared_video \
        --out data/sg2_run --device cuda --batch-size 32 [--pairs data/sg2_run/pairs]
    torchrun --nproc_per_node 2 -m training.train_pose2video --backend edn ...

Training pairs are a prepared dataset's clips that have a video (``video`` + ``trim`` in the
manifest; ``python -m training.prepare`` records them): the clip's own keypoints, with
their detection noise and dropped hands, drawn as a stick figure in the video's pixels,
beside the video frame they were found in. ``--videos DIR`` first prepares a person's own
recordings through MediaPipe (into ``OUT/prepared``); a non-square video is cut to a square
around the signer and scaled to the model's size. Frame triples (t-2, t-1, t) are read once
into ``OUT/pairs`` (a uint8 memory map; reused while the data and size are the same).

The flags every training command shares (``--config``, ``--epochs``/``--steps``,
``--eval-every``, ``--patience``, ``--set``...) are described in :mod:`training.cli`; an
epoch here is as many steps as it takes to draw every training triple once on average.

The backend is found by name in ``sign_pipeline/pose2video/`` and brings its model
(``model_class``/``config_class``; the model offers ``make_discriminators()``,
``generator_step(batch, disc, weights)`` and the discriminators ``loss(batch, fakes,
sizes)``): "edn" and "stylegan2" train with this command. ``--device cuda`` trains on a GPU
(the pairs and stick figures are copied into its memory once); ``--pairs DIR`` trains from
pairs read earlier (on another machine, say) without the videos.

Every ``--eval-every`` steps it renders a few dev clip segments the way the app does (frame
by frame from its own previous output, no real frame read), measures SSIM and PSNR against
the real frames, saves ``samples/step_N.png`` (stick figure | output | real) and keeps the
best model by dev SSIM in ``--out``. ``resume.pt`` (generator, discriminators, optimisers,
step) is written every ``--save-minutes``: the same command continues an interrupted run.
Curves go to ``losses.csv`` / ``losses.png``; ``training.json`` and ``README.md`` record
the run.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from multiprocessing import Pool
from pathlib import Path

import numpy as np
import torch

from sign_pipeline import metrics
from sign_pipeline import signers as signer_ids
from sign_pipeline.pose2video import gan
from training import cli
from training.dataset import data_origin, denormalized_keypoints, load_clip, load_manifest
from training.loop import (
    LossLog,
    Run,
    RunningMeans,
    Schedule,
    from_main,
    in_step,
    optimizer_step,
    progress,
    seed_everything,
    setup_distributed,
    to_processes,
)
from training.record import RunRecord, prepared_summary

MODULE = "training.train_pose2video"
#: Frame triples read at least (a single short recording gives more than --pairs-per-clip).
MIN_PAIRS = 64


# ---------------------------------------------------------------------------- pairs


class TrainingDataError(cli.UsageError):
    """Data that cannot give training pairs (no video, no person found...)."""


def square_transform(px: np.ndarray, mask: np.ndarray, width: int, height: int, size: int):
    """(x0, y0, side, scale): the square of the video kept (around the signer's neck, the
    neck 40% down from its top) and the factor to ``size`` pixels."""
    side = min(width, height)
    ok = mask[:, [1, 2]].all(axis=1) if mask.shape[1] > 2 else np.zeros(len(mask), bool)
    neck = (
        np.median(px[ok][:, [1, 2]].mean(axis=1), axis=0) if ok.any() else (width / 2, height / 2)
    )
    x0 = int(np.clip(round(neck[0] - side / 2), 0, width - side))
    y0 = int(np.clip(round(neck[1] - 0.4 * side), 0, height - side))
    return x0, y0, side, size / side


def square_frame(frame: np.ndarray, x0: int, y0: int, side: int, size: int) -> np.ndarray:
    """The square of a video frame kept by :func:`square_transform`, at ``size`` pixels."""
    import cv2

    f = frame[y0 : y0 + side, x0 : x0 + side]
    return f if f.shape[0] == size else cv2.resize(f, (size, size), interpolation=cv2.INTER_AREA)


def read_frames(path: str, wanted: list[int]) -> dict[int, np.ndarray]:
    """The RGB frames with the given indices of a video (decoded in order, once)."""
    import imageio.v2 as imageio

    want, out = set(wanted), {}
    reader = imageio.get_reader(path)
    try:
        for i, frame in enumerate(reader):
            if i in want:
                out[i] = np.asarray(frame)[..., :3]
            if i >= max(want):
                break
    finally:
        reader.close()
    return out


def clip_triples(args: tuple) -> dict | None:
    """``per_clip`` frame triples (t-2, t-1, t) of one clip: frames resized to ``size``,
    keypoints in the same pixels, mask, signer id. None when the video is unreadable."""
    data, record, per_clip, size, seed = args
    clip = load_clip(data, record["clip_id"])
    kp, mask = denormalized_keypoints(clip), clip["mask"]
    n = len(kp)
    if n < 3:
        return None
    rng = np.random.default_rng([seed, n, len(record["clip_id"])])
    ends = rng.choice(np.arange(2, n), size=min(per_clip, n - 2), replace=False)
    step = float(record.get("source_fps") or clip["fps"]) / float(clip["fps"])
    first = int(record["trim"][0])
    index = {t: int(round(first + t * step)) for e in ends for t in (e - 2, e - 1, e)}
    try:
        frames = read_frames(record["video"], sorted(set(index.values())))
    except Exception:  # an unreadable video: the clip gives no pairs
        return None
    if not frames:
        return None
    height, width = next(iter(frames.values())).shape[:2]
    x0, y0, _, scale = square_transform(kp, mask, width, height, size)
    px = ((kp - np.array([x0, y0], np.float32)) * scale).astype(np.float32)
    px[~mask] = 0.0
    out_frames, out_kp, out_mask = [], [], []
    for e in ends:
        ts = (e - 2, e - 1, e)
        if any(index[t] not in frames for t in ts):
            continue
        side = min(width, height)
        out_frames.append(np.stack([square_frame(frames[index[t]], x0, y0, side, size)
                                    for t in ts]))  # fmt: skip
        out_kp.append(px[list(ts)])
        out_mask.append(mask[list(ts)])
    if not out_frames:
        return None
    return {
        "frames": np.stack(out_frames),
        "keypoints": np.stack(out_kp),
        "mask": np.stack(out_mask),
        "signer": int(clip["signer_index"]) + 1,
    }


class Pairs:
    """Frame triples in ``folder`` (``frames.u8`` memory map + ``pairs.npz``), built once."""

    def __init__(self, folder: Path) -> None:
        meta = np.load(folder / "pairs.npz")
        self.keypoints = meta["keypoints"]
        self.mask = meta["mask"]
        self.signers = meta["signers"]
        self.size = int(meta["size"])
        self.frames = np.memmap(folder / "frames.u8", np.uint8, "r",
                                shape=(len(self.signers), 3, self.size, self.size, 3))  # fmt: skip
        self.folder = folder
        self.sticks: np.ndarray | None = None
        self.on_device: dict[str, torch.Tensor] = {}

    def __len__(self) -> int:
        return len(self.signers)

    @staticmethod
    def build(
        data: Path,
        records: list[dict],
        folder: Path,
        size: int,
        per_clip: int,
        workers: int,
        seed: int = 0,
    ) -> Pairs:
        """Read the triples of ``records`` into ``folder`` (reused when it matches)."""
        key = {"data": str(data.resolve()), "clips": sorted(r["clip_id"] for r in records),
               "size": size, "per_clip": per_clip, "seed": seed}  # fmt: skip
        stamp = folder / "source.json"
        if stamp.is_file() and json.loads(stamp.read_text("utf-8")) == key:
            return Pairs(folder)
        folder.mkdir(parents=True, exist_ok=True)
        jobs = [(data, r, per_clip, size, seed) for r in records]
        results = []
        if workers > 1:
            with Pool(workers) as pool:
                it = pool.imap(clip_triples, jobs, chunksize=4)
                results = list(progress(it, total=len(jobs), desc="reading video frames"))
        else:
            results = [clip_triples(j) for j in progress(jobs, desc="reading video frames")]
        results = [r for r in results if r is not None]
        if not results:
            raise TrainingDataError("no clip gave frame pairs (are the videos readable?)")
        total = sum(len(r["frames"]) for r in results)
        frames = np.memmap(folder / "frames.u8", np.uint8, "w+", shape=(total, 3, size, size, 3))
        a = 0
        for r in results:
            frames[a : a + len(r["frames"])] = r["frames"]
            a += len(r["frames"])
        frames.flush()
        np.savez(
            folder / "pairs.npz",
            keypoints=np.concatenate([r["keypoints"] for r in results]),
            mask=np.concatenate([r["mask"] for r in results]),
            signers=np.concatenate([[r["signer"]] * len(r["frames"]) for r in results]),
            size=size,
        )
        stamp.write_text(json.dumps(key), "utf-8")
        return Pairs(folder)

    def draw_sticks(self, workers: int = 1) -> None:
        """The stick figures of frames t-1 and t of every triple, drawn once into
        ``sticks.u8`` (a memory map beside the frames) so batches only read them."""
        path = self.folder / "sticks.u8"
        shape = (len(self), 2, self.size, self.size, 3)
        stamp = self.folder / "sticks.json"
        if not (path.is_file() and stamp.is_file()
                and json.loads(stamp.read_text("utf-8")) == list(shape)):  # fmt: skip
            out = np.memmap(path, np.uint8, "w+", shape=shape)
            jobs = [(self.keypoints[a : a + 64, 1:], self.mask[a : a + 64, 1:], self.size)
                    for a in range(0, len(self), 64)]  # fmt: skip
            if workers > 1:
                with Pool(workers) as pool:
                    drawn = list(progress(pool.imap(_draw_rows, jobs), total=len(jobs),
                                          desc="drawing stick figures"))  # fmt: skip
            else:
                drawn = [_draw_rows(j) for j in progress(jobs, desc="drawing stick figures")]
            out[:] = np.concatenate(drawn)
            out.flush()
            stamp.write_text(json.dumps(list(shape)), "utf-8")
        self.sticks = np.memmap(path, np.uint8, "r", shape=shape)

    def preload(self, device: torch.device) -> None:
        """Frames and stick figures copied once into ``device`` memory (an accelerator's:
        batches are then cut there, not read from disk and sent every step)."""
        if self.sticks is None:
            raise RuntimeError("draw_sticks() first")
        # read-only memory maps: copied into writable arrays first (torch wants them)
        self.on_device = {"frames": torch.from_numpy(np.array(self.frames)).to(device),
                          "sticks": torch.from_numpy(np.array(self.sticks)).to(device)}  # fmt: skip

    def _rows(self, name: str, rows: np.ndarray, device) -> torch.Tensor:
        if name in self.on_device:
            return self.on_device[name][torch.from_numpy(rows).to(self.on_device[name].device)]
        return torch.from_numpy(np.asarray(getattr(self, name)[rows])).to(device)

    def batch(
        self, rows: np.ndarray, crop_sizes, blank_rate: float, rng, device=None, rollout: int = 0
    ) -> dict:
        """A training batch of triples ``rows`` on ``device``: stick figures and keypoints
        (pixels) of frames t-1 and t, the three real frames, signer, crops, and ``rollout``
        (how many times frame t-1 is drawn from a blank start; 0: once from the real t-2)."""
        rows = np.sort(rows)  # memory-map reads in file order
        kp, m = self.keypoints[rows][:, 1:], self.mask[rows][:, 1:]  # frames t-1, t
        if self.sticks is not None:
            sticks = self._rows("sticks", rows, device)
        else:
            sticks = torch.from_numpy(_draw_rows((kp, m, self.size))).to(device)
        corners, present = gan.crop_corners(kp.reshape(-1, *kp.shape[2:]),
                                            m.reshape(-1, m.shape[-1]), crop_sizes, self.size)  # fmt: skip
        b = len(rows)
        onehot = np.stack([signer_ids.onehot(int(s)) for s in self.signers[rows]])
        return {
            "sticks": gan.to_tensor(sticks),
            "real": gan.to_tensor(self._rows("frames", rows, device)),
            "keypoints": torch.from_numpy(np.ascontiguousarray(kp)).to(device),
            "mask": torch.from_numpy(np.ascontiguousarray(m)).to(device),
            "onehot": torch.from_numpy(onehot).to(device),
            "corners": torch.from_numpy(corners.reshape(b, 2, *corners.shape[1:])),
            "present": torch.from_numpy(present.reshape(b, 2, -1)),  # crop places stay on CPU
            "blank_prev": torch.from_numpy(rng.random(b) < blank_rate).to(device),
            "rollout": int(rollout),
        }


def _draw_rows(job: tuple) -> np.ndarray:
    """Stick figures ``[B, 2, size, size, 3]`` of keypoints ``[B, 2, 127, 2]`` in pixels."""
    kp, m, size = job
    sticks = gan.draw_sticks(kp.reshape(-1, *kp.shape[2:]), m.reshape(-1, m.shape[-1]), size)
    return sticks.reshape(len(kp), 2, *sticks.shape[1:])


def signer_placements(pairs: Pairs) -> dict[str, list[float]]:
    """Where each signer stands in the frames: :func:`gan.placement_of` over their triples."""
    out = {}
    for s in np.unique(pairs.signers):
        rows = pairs.signers == s
        out[str(int(s))] = list(gan.placement_of(pairs.keypoints[rows].reshape(-1, 127, 2),
                                                 pairs.mask[rows].reshape(-1, 127)))  # fmt: skip
    return out


# ---------------------------------------------------------------------------- dev


def dev_segments(data: Path, records: list[dict], count: int, frames: int, size: int) -> list[dict]:
    """``count`` dev clip segments of ``frames`` frames: normalised keypoints, mask, signer,
    the real frames (for SSIM/PSNR) and the keypoints in their pixels (for the grids)."""
    out = []
    for r in records:
        if len(out) >= count:
            break
        clip = load_clip(data, r["clip_id"])
        n = len(clip["keypoints"])
        a = max(0, n // 2 - frames // 2)
        step = float(r.get("source_fps") or clip["fps"]) / float(clip["fps"])
        idx = [int(round(r["trim"][0] + t * step)) for t in range(a, min(n, a + frames))]
        try:
            video = read_frames(r["video"], idx)
        except Exception:
            continue
        if len(video) != len(idx):
            continue
        kp_px = denormalized_keypoints(clip)
        height, width = video[idx[0]].shape[:2]
        x0, y0, side, scale = square_transform(kp_px, clip["mask"], width, height, size)
        real = np.stack([square_frame(video[i], x0, y0, side, size) for i in idx])
        sl = slice(a, a + len(idx))
        out.append({
            "keypoints": clip["keypoints"][sl], "mask": clip["mask"][sl],
            "signer": int(clip["signer_index"]) + 1, "real": real,
            "px": ((kp_px[sl] - np.array([x0, y0], np.float32)) * scale).astype(np.float32),
        })  # fmt: skip
    return out


def evaluate_dev(backend, segments: list[dict]) -> tuple[dict[str, float], list[np.ndarray]]:
    """Dev SSIM/PSNR, SSIM of the face and of the hands (the evaluation's crops, where the
    segment has its keypoints in pixels) and relative flicker (frame-to-frame change against
    the real segment's, :func:`metrics.relative_flicker`, pooled) of the backend's rendering
    (as the app renders) and the frames."""
    ssims, psnrs, outputs, change, real_change = [], [], [], [], []
    crops: dict[str, list[float]] = {"face": [], "hands": []}
    for seg in segments:
        pred = backend.draw(seg["keypoints"], seg["mask"], seg["signer"])
        outputs.append(pred)
        ssims.append(metrics.ssim(pred, seg["real"]))
        psnrs.append(metrics.psnr(pred, seg["real"]))
        if seg.get("px") is not None:
            for part in ("face", "left_hand", "right_hand"):
                value = metrics.crop_ssim(pred, seg["real"], seg["px"], seg["mask"], part)
                if not np.isnan(value):
                    crops["face" if part == "face" else "hands"].append(value)
        if len(pred) > 1:
            change.append(metrics.flicker(pred))
            real_change.append(metrics.flicker(seg["real"]))
    row = {"dev_ssim": float(np.mean(ssims)), "dev_psnr": float(np.mean(psnrs))}
    row.update({f"dev_ssim_{k}": float(np.mean(v)) for k, v in crops.items() if v})
    if change and sum(real_change) > 0:
        row["dev_flicker"] = float(sum(change) / sum(real_change))
    return row, outputs


#: ``--select``: what a dev check is ranked by.
SELECT = {"ssim": ("dev_ssim",), "crops": ("dev_ssim", "dev_ssim_face", "dev_ssim_hands")}


def selection_metric(row: dict, flicker_limit: float | None, select: str = "ssim") -> float:
    """What a dev check is ranked by (lower is better): minus dev SSIM, or with ``select``
    "crops" minus the mean of the dev SSIM of the frame, the face and the hands (those the
    segments have); a check whose dev flicker is above ``flicker_limit`` ranks below every
    check within it (a sharper frame that shimmers from frame to frame is not better); among
    those the steadier wins."""
    if "dev_ssim" not in row:  # no dev clip (e.g. trained from --pairs alone)
        return row["train_g_l1"]
    if flicker_limit is not None and row.get("dev_flicker", 0.0) > flicker_limit:
        return 1.0 + row["dev_flicker"]  # above any -SSIM (which is at most 0)
    return -float(np.mean([row[k] for k in SELECT[select] if k in row]))


def save_grid(path: Path, segments: list[dict], outputs: list[np.ndarray], size: int) -> None:
    """One row per dev segment (its middle frame): stick figure | output | real."""
    from PIL import Image

    rows = []
    for seg, pred in zip(segments, outputs, strict=True):
        t = len(pred) // 2
        stick = gan.draw_sticks(seg["px"][t : t + 1], seg["mask"][t : t + 1], size)[0]
        rows.append(np.concatenate([stick, pred[t], seg["real"][t]], axis=1))
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.concatenate(rows, axis=0)).save(path)


# ---------------------------------------------------------------------------- training


def loss_weights(items: list[str], parts: Sequence[str], backend: str) -> dict[str, float]:
    """``--loss PART=WEIGHT`` values as weights; a ValueError names a malformed item or a
    part the backend's generator does not have (a typo would otherwise change nothing)."""
    out = {}
    for item in items:
        part, _, value = item.partition("=")
        try:
            out[part] = float(value)
        except ValueError:
            raise ValueError(f"--loss {item!r}: expected PART=WEIGHT (motion=5)") from None
        if part not in parts:
            raise ValueError(f"--loss {item!r}: {backend} has no loss part {part!r} "
                             f"(its parts: {', '.join(parts)})")  # fmt: skip
    return out


def prepare_videos(videos: Path, out: Path, workers: int) -> Path:
    """Own recordings -> a prepared dataset in ``out/prepared`` (MediaPipe extraction)."""
    from training.prepare import prepare

    if not videos.exists():
        raise TrainingDataError(f"--videos {videos}: no such file or folder")
    target = out / "prepared"
    try:
        prepare(target, videos=[str(videos)], workers=workers, dev_frac=0.0, test_frac=0.0,
                seed=0, progress=True, verbose=True)  # fmt: skip
    except ValueError as exc:  # PrepareError: nothing usable, with each file's reason
        raise TrainingDataError(
            f"--videos {videos}: no video gave a signer (MediaPipe found no person with both "
            f"shoulders, or no video was readable): {exc}"
        ) from None
    records = load_manifest(target)
    usable = [r for r in records if r.get("video") and r.get("n_frames", 0) >= 3]
    if not usable:
        raise TrainingDataError(
            f"--videos {videos}: no video gave a signer (no person with both shoulders "
            "found by MediaPipe, or no readable video); see the prepare messages above"
        )
    return target


def own_signers(videos: Path, init_from: Path | None) -> list[int]:
    """The signer ids own recordings train: the ``REALnn`` in each video's path (its name,
    or a folder from ``--videos`` down, ``--videos my_videos/REAL09`` included). A usage
    error for a video without one, or for an id ``init_from`` already has (the new
    checkpoint would shadow that signer when the app loads both)."""
    from training.prepare import VIDEO_EXTENSIONS, _files_under, label_from_name

    files = [videos] if videos.is_file() else list(_files_under(videos, VIDEO_EXTENSIONS))
    if not files:
        raise TrainingDataError(f"--videos {videos}: no video file in it")
    codes = {f: label_from_name(f, videos).signer for f in files}
    unnamed = [f.name for f, code in codes.items() if code is None]
    if unnamed:
        raise cli.UsageError(f"--videos {videos}: no signer id for {', '.join(unnamed[:3])}; put "
                             "the videos in a folder named after a free signer id, e.g. "
                             "my_videos/REAL09, so the new signer gets that number")  # fmt: skip
    numbers = sorted({signer_ids.parse_signer(code) for code in codes.values()})
    if init_from is not None:
        taken = json.loads((init_from / "config.json").read_text(encoding="utf-8")).get("signers")
        clash = [n for n in numbers if n in (taken or [])]
        if clash:
            free = [s for s in signer_ids.ALL_SIGNERS if s not in taken]
            raise cli.UsageError(
                f"--videos {videos}: signer {clash[0]} is already a signer of {init_from} "
                f"({', '.join(map(str, taken))}); use a free id, e.g. REAL{free[0]:02d}")
    return numbers


def usable_records(data: Path, records: list[dict]) -> list[dict]:
    """Records with a readable video file, a trim and at least 3 frames."""
    return [r for r in records if r.get("video") and Path(r["video"]).is_file()
            and r.get("trim") and r.get("n_frames", 0) >= 3]  # fmt: skip


def train(args: argparse.Namespace) -> dict:
    """Train with the parsed command line (see :func:`main`); returns the run's record.
    Bad input is a :class:`training.cli.UsageError`, raised before any video is read."""
    if bool(args.data) == bool(args.videos):
        raise cli.UsageError("give one of --data (a prepared dataset) or --videos (recordings)")
    cls = cli.learned_backend("pose2video", args.backend)
    out = cli.claim_out_dir(args.out, MODULE)
    init_from = cli.check_checkpoint(args.init_from)
    custom_weights = loss_weights(args.loss, cls.model_class.loss_parts, args.backend)
    overrides = cli.model_overrides(cls.config_class, args.set)
    if init_from and overrides:
        raise cli.UsageError("--set with --init-from: the model's config comes from the "
                             "checkpoint; leave out --set (or --init-from)")  # fmt: skip
    if args.rollout < 0:
        raise cli.UsageError(f"--rollout {args.rollout}: must be 0 or more")
    if args.rollout and not getattr(cls.model_class, "draws_from_previous", False):
        raise cli.UsageError(f"--rollout: {args.backend} does not draw a frame from the one "
                             "before it, so there is nothing to roll out")  # fmt: skip
    if args.pairs and not (Path(args.pairs) / "pairs.npz").is_file():
        raise TrainingDataError(f"--pairs {args.pairs}: no pairs.npz (not a pairs folder)")
    data = cli.check_data(args.data) if args.data else None
    if args.videos and not Path(args.videos).exists():
        raise TrainingDataError(f"--videos {args.videos}: no such file or folder")
    if args.videos:
        own_signers(Path(args.videos), init_from)
    device = torch.device(cli.check_device(args.device))
    dist = setup_distributed(str(device))
    device = dist.device
    seed_everything(args.seed, dist.rank)
    if args.threads:
        torch.set_num_threads(args.threads)
    record = RunRecord(out, MODULE, args.argv, stage="pose2video", backend=cls.name,
                       label=cls.label, training={}, config={}, data={},
                       world_size=dist.world_size, device=_device_name(device))  # fmt: skip
    if dist.is_main:
        record.start()  # marks --out as this command's before anything else is written
    if args.videos:
        data = prepare_videos(Path(args.videos), out, args.workers)
    records = load_manifest(data)
    train_records = usable_records(data, [r for r in records if r.get("split") == "train"])
    dev_records = usable_records(data, [r for r in records if r.get("split") == "dev"])
    if not train_records:  # own recordings: every clip trains; the dev check reuses them
        train_records = usable_records(data, records)
        dev_records = dev_records or train_records
    if not train_records and not args.pairs:
        raise TrainingDataError(f"{data}: no clip with a readable video (manifest 'video')")
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    if init_from:
        model = cls.model_class.load(init_from)
        config = model.config
    else:
        config = cli.build_config(cls.config_class, overrides)
        model = None
    folder = Path(args.pairs) if args.pairs else out / "pairs"
    if dist.is_main:  # one process reads the video and draws; the others wait for its files
        pairs = Pairs(folder) if args.pairs else Pairs.build(
            data, train_records, folder, config.size,
            max(args.pairs_per_clip, -(-MIN_PAIRS // len(train_records))), args.workers,
            args.seed)  # fmt: skip
        pairs.draw_sticks(args.workers)
    if dist.distributed:
        torch.distributed.barrier()
    pairs = Pairs(folder)
    if pairs.size != config.size:
        raise TrainingDataError(f"pairs in {folder} are {pairs.size} px, the model {config.size}")
    pairs.draw_sticks(1)  # made above: opens them
    if device.type != "cpu":
        pairs.preload(device)
    placements = signer_placements(pairs)
    origin, synthetic = data_origin(records)
    # a model fine-tuned on own recordings is that person's checkpoint: only the new
    # signers (it is loaded beside the shipped one); on more corpus data it keeps them all
    keep = bool(init_from) and not args.videos
    config.signers = sorted({int(s) for s in placements} | (set(config.signers) if keep else set()))
    config.placements = {**(config.placements if keep else {}), **placements}
    if args.videos:  # own recordings: only the new signers, each with its note
        config.signer_notes = {s: f"own recording ({Path(args.videos).name})" for s in placements}
    config.trained_on, config.synthetic = origin, synthetic
    if model is None:
        model = cls.model_class(config)
    model = to_processes(model, dist).train()
    disc = to_processes(model.make_discriminators(args.ndf), dist)
    opt_g = torch.optim.Adam(model.parameters(), lr=args.lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(disc.parameters(), lr=args.lr, betas=(0.5, 0.999))
    weights = {"l1": args.l1, "ssim": args.ssim, "crop_l1": args.crop_l1, "feat": args.feat,
               "gan": args.gan, "temporal": args.gan, "face_gan": args.gan, "hand_gan": args.gan}  # fmt: skip
    weights.update(custom_weights)
    per_epoch = -(-len(pairs) // (args.batch_size * dist.world_size))
    schedule = Schedule(args.epochs, args.steps, args.eval_every, args.max_minutes, per_epoch)
    run = Run(out, schedule, args.patience, args.save_minutes, dist, model=model, disc=disc,
              opt_g=opt_g, opt_d=opt_d)
    run.restore()
    record.record.update(
        config=config.to_dict(),
        training={**{k: v for k, v in vars(args).items()
                     if k not in ("argv", "config_values", "set", "out", "data", "videos")},
                  "loss_weights": weights, "steps_per_epoch": per_epoch},
        data={"path": data, "trained_on": origin, "synthetic": synthetic,
              "train_clips": len(train_records), "dev_clips": len(dev_records),
              "pairs": len(pairs), "pairs_folder": folder, **prepared_summary(data)},
    )  # fmt: skip
    if dist.is_main:
        record.start()
    segments = (dev_segments(data, dev_records, args.dev_clips, args.dev_frames, config.size)
                if dist.is_main else [])  # fmt: skip

    def rows_for(epoch: int):
        rng = np.random.default_rng([args.seed, dist.rank, epoch])
        for _ in range(per_epoch):
            few = len(pairs) < args.batch_size  # one short recording: pairs repeat
            yield rng.choice(len(pairs), size=args.batch_size, replace=few), rng

    log, means = LossLog(out), RunningMeans()
    for rows, rng in run.training_batches(rows_for, not args.no_progress):
        batch = pairs.batch(rows, config.crop_sizes, args.blank_rate, rng, device, args.rollout)
        disc.requires_grad_(False)
        g_loss, g_parts, fakes = model.generator_step(batch, disc, weights)
        optimizer_step(model, opt_g, g_loss, dist, args.clip_grad)
        disc.requires_grad_(True)
        d_loss, d_parts = disc.loss(batch, fakes, config.crop_sizes)
        optimizer_step(disc, opt_d, d_loss, dist, args.clip_grad)
        means.add(**{f"g_{k}": v for k, v in g_parts.items()},
                  **{f"d_{k}": v for k, v in d_parts.items()})  # fmt: skip
        if run.check_due():
            row = means.take(dist)
            if dist.is_main and segments:
                model.to("cpu").eval()  # rendered as the app renders: on the CPU
                metrics_dev, outputs = evaluate_dev(cls(model), segments)
                model.to(device).train()
                row.update(metrics_dev)
                save_grid(out / "samples" / f"step_{run.step:06d}.png", segments, outputs,
                          config.size)  # fmt: skip
            # no dev clip (e.g. trained from --pairs alone): the lowest training L1
            metric = from_main(selection_metric(row, args.dev_flicker_limit, args.select), dist)
            run.dev_check(metric, row, model, log)
        if run.step_end():
            break
    result = {**run.results(), "minutes": round(run.seconds / 60, 1),
              "best_dev_ssim": run.best.get("dev_ssim"),
              "best_train_l1": None if "dev_ssim" in run.best else run.best.get("train_g_l1"),
              "parameters": int(sum(p.numel() for p in model.parameters())),
              "processes_in_step": in_step(model, dist) and in_step(disc, dist)}  # fmt: skip
    return run.close(model, record, result, args.keep_resume)


def _device_name(device: torch.device) -> str:
    return torch.cuda.get_device_name(device) if device.type == "cuda" else device.type


def main(argv: list[str] | None = None) -> int:
    ap = cli.training_parser("python -m training.train_pose2video", __doc__, epochs=None,
                             steps=20000, batch_size=4, lr=2e-4, eval_every=250, patience=0,
                             save_minutes=5.0, data_required=False)  # fmt: skip
    ap.add_argument("--backend", required=True,
                    help=f"a learned pose2video backend: {cli.backends_help('pose2video')}")
    ap.add_argument("--videos", help="own recordings (a video or a folder), instead of --data: "
                    "prepared first, into OUT/prepared")  # fmt: skip
    ap.add_argument("--ndf", type=int, default=24, help="discriminator width")
    ap.add_argument("--pairs-per-clip", type=int, default=3)
    ap.add_argument("--blank-rate", type=float, default=0.1,
                    help="share of steps whose previous frame is blank (the first frame)")
    ap.add_argument("--rollout", type=int, default=0,
                    help="draw frame t-1 this many times, first from no previous frame, then "
                    "from its own output (as the app draws a clip's first frame), before frame t "
                    "is drawn from it: the previous frame never holds the real frame's detail, "
                    "as in the app (edn; 0: frame t-1 once from the real frame t-2)")  # fmt: skip
    ap.add_argument("--l1", type=float, default=10.0, help="weight of the L1 loss")
    ap.add_argument("--ssim", type=float, default=5.0, help="weight of the SSIM loss")
    ap.add_argument("--crop-l1", type=float, default=10.0, help="weight of the face/hand L1")
    ap.add_argument("--feat", type=float, default=5.0, help="weight of feature matching")
    ap.add_argument("--gan", type=float, default=1.0, help="weight of every adversarial loss")
    ap.add_argument("--loss", action="append", default=[], metavar="PART=WEIGHT",
                    help="weight of one generator loss part, e.g. --loss motion=5 (an unknown "
                    "part is an error)")  # fmt: skip
    ap.add_argument("--dev-clips", type=int, default=3, help="dev clip segments per check")
    ap.add_argument("--dev-frames", type=int, default=8, help="frames per dev segment")
    ap.add_argument("--dev-flicker-limit", type=float, default=None,
                    help="a dev check whose frames change more than this many times the real "
                    "frames do (dev_flicker) ranks below every check within it")  # fmt: skip
    ap.add_argument("--select", choices=sorted(SELECT), default="ssim",
                    help="keep the dev check with the best SSIM of the frame (ssim) or the best "
                    "mean of the frame's, the face's and the hands' SSIM (crops)")  # fmt: skip
    ap.add_argument("--workers", type=int, default=2, help="processes reading video frames")
    ap.add_argument("--pairs", help="frame pairs already read (a pairs folder of another run "
                    "or machine) instead of reading the videos again")  # fmt: skip
    ap.add_argument("--clip-grad", type=float, default=0.0,
                    help="clip G and D gradient norms to this (0: no clipping)")  # fmt: skip
    return cli.run_command(ap, argv, train)


if __name__ == "__main__":
    raise SystemExit(main())
