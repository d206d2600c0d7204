"""What every training command shares: seeding, resumable checkpoints, a progress bar, loss
curves (CSV + PNG), early stopping, and ``torchrun`` DistributedDataParallel set-up.

Plain functions and two small classes, no framework: a training script shows its own loop.

    dist = setup_distributed()                 # rank/world from torchrun's env, or 1 process
    seed_everything(0, dist.rank)
    model = wrap_model(model, dist)            # DDP when world_size > 1 (gloo on CPU, nccl on GPU)
    resume = ResumeState(out_dir)              # out_dir/resume.pt, written atomically
    state = resume.load()                      # None on a fresh start
    log = LossLog(out_dir)                     # out_dir/losses.csv + losses.png
    for step in progress(range(start, steps), dist): ...
"""

from __future__ import annotations

import csv
import os
import random
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch


def seed_everything(seed: int, rank: int = 0) -> None:
    """Seed Python, NumPy and torch (each rank differently, deterministically)."""
    s = int(seed) + 1000 * int(rank)
    random.seed(s)
    np.random.seed(s % 2**32)
    torch.manual_seed(s)


# ---------------------------------------------------------------------------- distributed


@dataclass(frozen=True)
class DistInfo:
    rank: int
    world_size: int
    local_rank: int
    device: torch.device

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def setup_distributed(device: str | None = None) -> DistInfo:
    """Join the process group ``torchrun`` describes in the environment (RANK, WORLD_SIZE,
    LOCAL_RANK), with gloo on CPU and nccl on GPU; one plain process when not under torchrun."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    use_cuda = torch.cuda.is_available() if device is None else device.startswith("cuda")
    dev = torch.device(f"cuda:{local}") if use_cuda else torch.device("cpu")
    if use_cuda:
        torch.cuda.set_device(dev)
    if world > 1 and not torch.distributed.is_initialized():
        torch.distributed.init_process_group(backend="nccl" if use_cuda else "gloo")
    return DistInfo(rank, world, local, dev)


def cleanup_distributed() -> None:
    """Leave the process group once every process is done with it: a process that closed
    its connections while another still read its last message made that one abort (gloo)."""
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        torch.distributed.barrier()
        torch.distributed.destroy_process_group()


def wrap_model(model: torch.nn.Module, dist: DistInfo) -> torch.nn.Module:
    """The model on its device, in DistributedDataParallel when there are several processes."""
    model = model.to(dist.device)
    if not dist.distributed:
        return model
    ids = [dist.local_rank] if dist.device.type == "cuda" else None
    return torch.nn.parallel.DistributedDataParallel(model, device_ids=ids)


def unwrap(model: torch.nn.Module) -> torch.nn.Module:
    """The model inside DDP (for saving)."""
    return model.module if hasattr(model, "module") else model


def length_batches(
    lengths: Sequence[int], batch_size: int, seed: int, pool: int = 50
) -> list[list[int]]:
    """Batches of similar lengths, in random order: shuffled, cut into pools of
    ``pool`` batches, each pool sorted by length and cut into batches. A batch costs as
    much as its longest item (padding; a step-by-step decoder runs for the longest), so this
    saves the padding of random batches."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(lengths))
    batches = []
    for start in range(0, len(order), batch_size * pool):
        chunk = sorted(order[start : start + batch_size * pool], key=lambda i: lengths[i])
        batches += [[int(i) for i in chunk[k : k + batch_size]]
                    for k in range(0, len(chunk), batch_size)]  # fmt: skip
    return [batches[i] for i in rng.permutation(len(batches))]


def make_loader(
    dataset, batch_size: int, dist: DistInfo, shuffle: bool, collate_fn, seed: int = 0,
    drop_last: bool = False, lengths: Sequence[int] | None = None,
) -> torch.utils.data.DataLoader:
    """A DataLoader that gives each rank its own shard (DistributedSampler) under torchrun.
    With ``lengths`` (one process, shuffled), batches group items of similar length."""
    if lengths is not None and shuffle and not dist.distributed:
        return torch.utils.data.DataLoader(
            dataset, batch_sampler=length_batches(lengths, batch_size, seed),
            collate_fn=collate_fn,
        )  # fmt: skip
    sampler = None
    if dist.distributed:
        sampler = torch.utils.data.distributed.DistributedSampler(
            dataset, dist.world_size, dist.rank, shuffle=shuffle, seed=seed, drop_last=drop_last
        )
    return torch.utils.data.DataLoader(
        dataset, batch_size=batch_size, shuffle=shuffle and sampler is None, sampler=sampler,
        collate_fn=collate_fn, drop_last=drop_last,
    )  # fmt: skip


def mean_over_ranks(value: float, dist: DistInfo) -> float:
    """The mean of a number over all processes (itself with one process)."""
    if not dist.distributed:
        return float(value)
    t = torch.tensor([float(value)], device=dist.device)
    torch.distributed.all_reduce(t)
    return float(t.item()) / dist.world_size


# ---------------------------------------------------------------------------- progress + logs


def progress(iterable: Iterable, dist: DistInfo | None = None, **kwargs) -> Iterator:
    """A tqdm bar on the main process (silent on the others)."""
    from tqdm import tqdm

    disable = dist is not None and not dist.is_main
    return iter(tqdm(iterable, disable=disable, dynamic_ncols=True, **kwargs))


class LossLog:
    """Appends rows (step + named values) to ``losses.csv`` and draws ``losses.png``."""

    def __init__(self, out_dir: str | os.PathLike, name: str = "losses") -> None:
        self.csv = Path(out_dir) / f"{name}.csv"
        self.png = Path(out_dir) / f"{name}.png"
        self.csv.parent.mkdir(parents=True, exist_ok=True)

    def log(self, step: int, **values: float) -> None:
        rows = self.rows()
        fields = ["step"] + sorted({k for r in rows for k in r if k != "step"} | set(values))
        rows.append({"step": step, **{k: float(v) for k, v in values.items()}})
        tmp = self.csv.with_suffix(".csv.tmp")
        with open(tmp, "w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=fields)
            w.writeheader()
            w.writerows(rows)
        os.replace(tmp, self.csv)

    def rows(self) -> list[dict]:
        if not self.csv.is_file():
            return []
        with open(self.csv, encoding="utf-8") as f:
            return [
                {k: (int(v) if k == "step" else float(v)) for k, v in r.items() if v != ""}
                for r in csv.DictReader(f)
            ]

    def plot(self) -> Path:
        """The curves against step, one panel per kind: training losses, dev distances,
        dev shares and ratios (0..1-ish), the rest (learning rate, timings); log scale in a
        panel whose values are all positive."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        rows = self.rows()
        keys = sorted({k for r in rows for k in r if k != "step"})
        shares = ("ratio", "error", "stops", "failures", "rate", "wer", "ssim")

        def panel(k: str) -> str:
            if k == "lr" or "_ms" in k or k.endswith("seconds"):
                return "other"
            if k.startswith("train"):
                return "training loss"
            if k.startswith("dev"):
                return "dev shares and ratios" if any(w in k for w in shares) else "dev distances"
            return "other"

        names = [n for n in ("training loss", "dev distances", "dev shares and ratios", "other")
                 if any(panel(k) == n for k in keys)] or ["training loss"]  # fmt: skip
        fig, axes = plt.subplots(1, len(names), figsize=(4.2 * len(names), 3.6), dpi=100,
                                 squeeze=False)  # fmt: skip
        for ax, name in zip(axes[0], names, strict=True):
            mine = [k for k in keys if panel(k) == name]
            for k in mine:
                pts = [(r["step"], r[k]) for r in rows if k in r]
                if pts:
                    ax.plot(*zip(*pts), label=k, marker="." if len(pts) < 30 else None)
            if mine and all(r[k] > 0 for r in rows for k in mine if k in r):
                ax.set_yscale("log")
            ax.set_title(name, fontsize=10)
            ax.set_xlabel("step")
            if mine:
                ax.legend(loc="best", fontsize=7)
            ax.grid(alpha=0.3)
        fig.tight_layout()
        fig.savefig(self.png)
        plt.close(fig)
        return self.png


# ---------------------------------------------------------------------------- resume + stop


class ResumeState:
    """``out_dir/resume.pt``: everything needed to continue a run (written atomically)."""

    def __init__(self, out_dir: str | os.PathLike, name: str = "resume.pt") -> None:
        self.path = Path(out_dir) / name
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def save(self, **state) -> None:
        """Save model/optimizer state dicts, step, metrics... plus the RNG states."""
        state["rng"] = {
            "python": random.getstate(),
            "numpy": np.random.get_state(),
            "torch": torch.get_rng_state(),
        }
        tmp = self.path.with_name(self.path.name + ".tmp")
        torch.save(state, tmp)
        os.replace(tmp, self.path)

    def load(self) -> dict | None:
        """The saved state (RNG states restored), or None when there is none."""
        if not self.path.is_file():
            return None
        state = torch.load(self.path, map_location="cpu", weights_only=False)
        rng = state.pop("rng", None)
        if rng:
            random.setstate(rng["python"])
            np.random.set_state(rng["numpy"])
            torch.set_rng_state(rng["torch"])
        return state


class EarlyStopping:
    """Stop when a dev metric (lower is better) has not improved for ``patience`` checks."""

    def __init__(self, patience: int = 5, min_delta: float = 0.0) -> None:
        self.patience = patience
        self.min_delta = min_delta
        self.best = float("inf")
        self.bad = 0

    def step(self, value: float) -> bool:
        """Record a value; True if it is the best so far."""
        if value < self.best - self.min_delta:
            self.best, self.bad = float(value), 0
            return True
        self.bad += 1
        return False

    @property
    def should_stop(self) -> bool:
        return self.bad >= self.patience

    def state_dict(self) -> dict:
        return {"best": self.best, "bad": self.bad}

    def load_state_dict(self, d: dict) -> None:
        self.best, self.bad = float(d["best"]), int(d["bad"])
