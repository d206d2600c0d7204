"""What every training command shares: seeding, resumable checkpoints, a progress bar, loss
curves (CSV + PNG), early stopping, the run's schedule, and ``torchrun`` set-up with one
gradient all-reduce path.

Plain functions and small classes, no framework: a training script shows its own loop.

    dist = setup_distributed(device)           # rank/world from torchrun's env, or 1 process
    seed_everything(0, dist.rank)
    model = to_processes(model, dist)          # on its device, rank 0's weights everywhere
    resume = ResumeState(out_dir)              # out_dir/resume.pt, written atomically
    state = resume.load()                      # None on a fresh start
    log = LossLog(out_dir)                     # out_dir/losses.csv + losses.png
    schedule = Schedule(epochs, steps, eval_every, max_minutes, steps_per_epoch)
    for batch in ...:
        optimizer_step(model, optimizer, loss, dist, clip=5.0)   # averaged over processes
        if schedule.eval_due(step, end_of_epoch): ...
"""

from __future__ import annotations

import csv
import os
import random
import time
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
    LOCAL_RANK); one plain process when not under torchrun. ``device`` ("cpu", "cuda",
    "cuda:N"; None or "auto": a GPU when there is one) decides the device and the process
    group's backend: nccl for GPU tensors, gloo for CPU tensors (also on a GPU host)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    if device in (None, "auto"):
        device = "cuda" if torch.cuda.is_available() else "cpu"
    use_cuda = device.startswith("cuda")
    if use_cuda:
        index = device.partition(":")[2]
        dev = torch.device(f"cuda:{int(index) if index and world == 1 else local}")
        torch.cuda.set_device(dev)
    else:
        dev = torch.device("cpu")
    if world > 1 and not torch.distributed.is_initialized():
        torch.distributed.init_process_group(backend="nccl" if use_cuda else "gloo")
    return DistInfo(rank, world, local, dev)


def cleanup_distributed() -> None:
    """Leave the process group once every process is done with it: a process that closed
    its connections while another still read its last message made that one abort (gloo)."""
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        torch.distributed.barrier()
        torch.distributed.destroy_process_group()


def broadcast_parameters(module: torch.nn.Module, dist: DistInfo) -> None:
    """Rank 0's parameters and buffers copied to every process (no-op for one process)."""
    if dist.distributed:
        for t in [*module.parameters(), *module.buffers()]:
            torch.distributed.broadcast(t.data, 0)


def to_processes(module: torch.nn.Module, dist: DistInfo) -> torch.nn.Module:
    """``module`` on this process's device, with rank 0's weights in every process: the
    start :func:`optimizer_step` keeps in step."""
    module = module.to(dist.device)
    broadcast_parameters(module, dist)
    return module


def average_gradients(module: torch.nn.Module, dist: DistInfo) -> None:
    """The mean of the gradients over the torchrun processes, in one all-reduce (no-op for
    one process). A parameter without a gradient here counts as zero, so every process
    sends the same tensors whatever parts of the model its batch used."""
    if not dist.distributed:
        return
    params = [p for p in module.parameters() if p.requires_grad]
    grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in params]
    flat = torch.cat([g.reshape(-1) for g in grads])
    torch.distributed.all_reduce(flat)
    flat /= dist.world_size
    offset = 0
    for p, g in zip(params, grads, strict=True):
        n = g.numel()
        p.grad = flat[offset : offset + n].view_as(g).clone()
        offset += n


def optimizer_step(module: torch.nn.Module, optimizer: torch.optim.Optimizer,
                   loss: torch.Tensor, dist: DistInfo, clip: float = 0.0) -> None:  # fmt: skip
    """One update of ``module`` on ``loss``: zero, backward, gradients averaged over the
    processes, norm clipped to ``clip`` (0: not clipped), step; then rank 0's buffers
    (running statistics) copied to the others, so every process holds the same model."""
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    average_gradients(module, dist)
    if clip:
        torch.nn.utils.clip_grad_norm_(module.parameters(), clip)
    optimizer.step()
    if dist.distributed:
        for b in module.buffers():
            torch.distributed.broadcast(b.data, 0)


def in_step(module: torch.nn.Module, dist: DistInfo) -> bool:
    """Whether every process holds exactly the same weights (True for one process)."""
    if not dist.distributed:
        return True
    flat = torch.cat([p.detach().reshape(-1) for p in module.parameters()])
    everyone = [torch.zeros_like(flat) for _ in range(dist.world_size)]
    torch.distributed.all_gather(everyone, flat)
    return all(torch.equal(x, flat) for x in everyone)


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
    """A tqdm bar on the main process (silent on the others, and with ``disable=True``)."""
    from tqdm import tqdm

    disable = kwargs.pop("disable", False) or (dist is not None and not dist.is_main)
    return tqdm(iterable, disable=disable, dynamic_ncols=True, **kwargs)


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
        keys = sorted({k for r in rows for k in r if k not in ("step", "epoch")})
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


# ---------------------------------------------------------------------------- schedule


@dataclass
class Schedule:
    """When a run checks the dev set and when it ends, the same in every command.

    ``epochs``: passes over the training data; ``steps``: optimiser updates (None: no
    limit; the run ends at whichever comes first); ``eval_every``: optimiser steps between
    dev checks, 0 at the end of every epoch; ``max_minutes``: training time;
    ``steps_per_epoch``: optimiser updates in one pass over the data."""

    epochs: int | None
    steps: int | None
    eval_every: int
    max_minutes: float | None
    steps_per_epoch: int

    @property
    def total_steps(self) -> int:
        """Optimiser updates the run makes when nothing stops it early."""
        limits = [self.steps] if self.steps is not None else []
        if self.epochs is not None:
            limits.append(self.epochs * max(1, self.steps_per_epoch))
        if not limits:
            raise ValueError("give --epochs or --steps")
        return min(limits)

    def eval_due(self, step: int, end_of_epoch: bool) -> bool:
        """Whether to check the dev set after optimiser step ``step`` (1-based): every
        ``eval_every`` steps (or every epoch) and always after the last one."""
        if step >= self.total_steps:
            return True
        if self.eval_every:
            return step % self.eval_every == 0
        return end_of_epoch

    def out_of_time(self, seconds: float) -> bool:
        return self.max_minutes is not None and seconds >= 60 * self.max_minutes


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
    """Stop when a dev metric (lower is better) has not improved for ``patience`` checks
    (0: never stop early)."""

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
        """``patience`` checks without improvement (never with patience 0)."""
        return self.patience > 0 and self.bad >= self.patience

    def state_dict(self) -> dict:
        return {"best": self.best, "bad": self.bad}

    def load_state_dict(self, d: dict) -> None:
        self.best, self.bad = float(d["best"]), int(d["bad"])


# ---------------------------------------------------------------------------- the run


def from_main(value: float, dist: DistInfo) -> float:
    """Rank 0's number in every process (a dev check runs there only; a clock read in each
    process would differ)."""
    if not dist.distributed:
        return float(value)
    t = torch.tensor([float(value)], dtype=torch.float64, device=dist.device)
    torch.distributed.broadcast(t, 0)
    return float(t.item())


class RunningMeans:
    """Named training figures summed step by step; :meth:`take` gives their means since the
    last take, averaged over the processes, with ``prefix`` on every name."""

    def __init__(self, prefix: str = "train_") -> None:
        self.prefix = prefix
        self.sums: dict[str, float] = {}
        self.counts: dict[str, int] = {}

    def add(self, **values: float) -> None:
        for k, v in values.items():
            self.sums[k] = self.sums.get(k, 0.0) + float(v)
            self.counts[k] = self.counts.get(k, 0) + 1

    def take(self, dist: DistInfo) -> dict[str, float]:
        out = {f"{self.prefix}{k}": mean_over_ranks(v / self.counts[k], dist)
               for k, v in sorted(self.sums.items())}  # fmt: skip
        self.sums, self.counts = {}, {}
        return out


def agree(flag: bool, dist: DistInfo) -> bool:
    """Rank 0's answer in every process."""
    return from_main(1.0 if flag else 0.0, dist) > 0.5


class Run:
    """Where a training run stands (optimiser step, epoch, batch within it, training
    seconds, the best dev check) and what comes next, the same in every command: when to
    check the dev set, when to write ``resume.pt``, when and why to stop.

        run = Run(out, schedule, patience, save_minutes, dist, model=model, optimizer=opt)
        run.restore()                                  # from resume.pt, when there is one
        for batch in run.training_batches(loader_for_epoch):   # resumes mid-epoch too
            ...optimizer_step(...)
            if run.check_due(): run.dev_check(dev_metric, row, model, log)  # lower: better
            if run.step_end(): break                   # resume.pt written when due
        return run.close(model, record, {**run.results(), ...}, keep_resume)
    """

    def __init__(self, out, schedule: Schedule, patience: int, save_minutes: float,
                 dist: DistInfo, **parts) -> None:  # fmt: skip
        self.parts = parts  # what resume.pt holds: name -> object with state_dict()
        self.resume = ResumeState(out)
        self.schedule = schedule
        self.stopper = EarlyStopping(patience)
        self.save_minutes = float(save_minutes)
        self.dist = dist
        self.step = self.epoch = self.batch = 0
        self._seconds_before = 0.0
        self._started = time.time()
        self.best: dict = {}
        self.resumed_at: int | None = None
        self._end_of_epoch = False
        self._last_save = time.time()
        self._reason: tuple[int, str | None] = (-1, None)

    def restore(self) -> bool:
        """Continue from ``resume.pt`` when there is one: the run's counters and every
        part (model, optimisers...) as saved; says so on rank 0. False on a fresh start."""
        state = self.resume.load()
        if state is None:
            return False
        run = state.pop("run", None)
        if run is None or set(self.parts) - set(state):
            raise ValueError(f"{self.resume.path} was written by an older version of this "
                             "command; remove it to start again")  # fmt: skip
        self.step, self.epoch, self.batch = int(run["step"]), int(run["epoch"]), int(run["batch"])
        self._seconds_before, self.best = float(run["seconds"]), dict(run["best"])
        self._started = time.time()
        self.stopper.load_state_dict(run["stopper"])
        self.resumed_at = self.step
        for name, part in self.parts.items():
            part.load_state_dict(state[name])
        if self.dist.is_main:
            print(f"resuming at step {self.step}; best so far: {best_text(self.best)}",
                  flush=True)  # fmt: skip
        return True

    def training_batches(self, loader_for_epoch, show_progress: bool = True) -> Iterator:
        """:meth:`batches` behind a progress bar (rank 0); nothing when the run has
        already ended (a finished run resumed)."""
        if self.stop_reason() is not None:
            return iter(())
        return progress(self.batches(loader_for_epoch), self.dist, initial=self.step,
                        total=self.schedule.total_steps, desc="steps",
                        disable=not show_progress)  # fmt: skip

    def batches(self, loader_for_epoch) -> Iterator:
        """The training batches from where the run stands: ``loader_for_epoch(epoch)``
        gives one epoch's batches (the same ones again for the same epoch), at most
        ``schedule.steps_per_epoch`` of them are used; the batches of a resumed epoch that
        were already trained on are passed over. The counters count a batch as it is
        handed out (the loop body sees the step it is making)."""
        per_epoch = max(1, self.schedule.steps_per_epoch)
        while True:
            skip, self._end_of_epoch = self.batch, False
            for i, batch in enumerate(loader_for_epoch(self.epoch)):
                if i >= per_epoch:
                    break
                if i < skip:
                    continue
                self.step, self.batch = self.step + 1, i + 1
                self._end_of_epoch = self.batch >= per_epoch
                if self._end_of_epoch:
                    self.epoch, self.batch = self.epoch + 1, 0
                yield batch
            if not self._end_of_epoch:  # a loader shorter than steps_per_epoch
                self.epoch, self.batch = self.epoch + 1, 0

    @property
    def seconds(self) -> float:
        """Training time so far, earlier sessions of a resumed run included."""
        return self._seconds_before + time.time() - self._started

    def report(self, row: dict[str, float], best: bool, log: LossLog) -> None:
        """A dev check's figures: a ``losses.csv`` row (step, epoch, values), the curves
        drawn again and one printed line (rank 0 only)."""
        if not self.dist.is_main:
            return
        epoch = round(self.step / max(1, self.schedule.steps_per_epoch), 3)
        log.log(self.step, epoch=epoch, **row)
        log.plot()
        shown = ", ".join(f"{k} {v:.4f}" for k, v in row.items() if k != "lr")
        print(f"step {self.step} (epoch {epoch:g}): {shown}{' (best)' if best else ''}",
              flush=True)  # fmt: skip

    @property
    def end_of_epoch(self) -> bool:
        """Whether the last step finished an epoch."""
        return self._end_of_epoch

    def check_due(self) -> bool:
        """Whether to check the dev set now (after the step just made): as the schedule
        says, and when the time budget ends the run."""
        return (self.schedule.eval_due(self.step, self._end_of_epoch)
                or self.stop_reason() == "time budget")  # fmt: skip

    def checked(self, metric: float, row: dict) -> bool:
        """Record a dev check (``metric``: lower is better, the same in every process);
        True when it is the best so far. The best keeps the row's dev figures, or its
        training figures when there are none (so none is ever called a dev figure)."""
        better = self.stopper.step(metric)
        self._reason = (-1, None)  # patience may end the run now
        if better:
            kept = ({k: v for k, v in row.items() if k.startswith("dev_")}
                    or {k: v for k, v in row.items() if k.startswith("train_")})  # fmt: skip
            self.best = {"step": self.step, "epoch": round(self.step / max(
                1, self.schedule.steps_per_epoch), 2), **kept}  # fmt: skip
        return better

    def dev_check(self, metric: float, row: dict, model, log: LossLog,
                  optimizer: torch.optim.Optimizer | None = None) -> bool:  # fmt: skip
        """:meth:`checked`, then the model saved to ``out`` when it is the best so far and
        the row (with the ``optimizer``'s learning rate "lr", when given) logged and printed
        (:meth:`report`); rank 0 writes."""
        if optimizer is not None:
            row = {**row, "lr": optimizer.param_groups[0]["lr"]}
        better = self.checked(metric, row)
        if better and self.dist.is_main:
            model.save_pretrained(self.resume.path.parent)
        self.report(row, better, log)
        return better

    def stop_reason(self) -> str | None:
        """Why the run ends now: "steps", "epochs", "time budget" or "patience" (None:
        it goes on). The same answer in every process, and all through one step."""
        if self._reason[0] == self.step:
            return self._reason[1]
        schedule = self.schedule
        reason = None
        if self.step >= schedule.total_steps:
            by_epochs = schedule.epochs is not None and (
                schedule.steps is None
                or schedule.epochs * max(1, schedule.steps_per_epoch) < schedule.steps)
            reason = "epochs" if by_epochs else "steps"
        elif self.stopper.should_stop:
            reason = "patience"
        elif agree(schedule.out_of_time(self.seconds), self.dist):
            reason = "time budget"
        self._reason = (self.step, reason)
        return reason

    def save_due(self) -> bool:
        """Whether to write ``resume.pt`` now: every ``save_minutes`` (0: after every
        epoch and every dev check) and when the run stops."""
        if self.stop_reason():
            return True
        if self.save_minutes:
            return agree(time.time() - self._last_save >= 60 * self.save_minutes, self.dist)
        return self._end_of_epoch or self.check_due()

    def save(self) -> None:
        """``resume.pt`` (from rank 0): every part's state and the run's counters."""
        if self.dist.is_main:
            run = {"step": self.step, "epoch": self.epoch, "batch": self.batch,
                   "seconds": self.seconds, "best": self.best,
                   "stopper": self.stopper.state_dict()}  # fmt: skip
            self.resume.save(run=run, **{k: v.state_dict() for k, v in self.parts.items()})
        self._last_save = time.time()

    def step_end(self) -> bool:
        """After each step: ``resume.pt`` written when due; True when the run ends now."""
        if self.save_due():
            self.save()
        return self.stop_reason() is not None

    def finish(self, keep_resume: bool, reason: str | None) -> None:
        """Remove ``resume.pt`` (this run's) unless asked to keep it or the time budget
        stopped the run (the same command continues it)."""
        if self.dist.is_main and not keep_resume and reason != "time budget":
            if self.resume.path.is_file():
                self.resume.path.unlink()

    def results(self) -> dict:
        """The run's figures for ``training.json`` (once it has stopped)."""
        reason = self.stop_reason()
        return {"stopped_by": reason, "steps": self.step,
                "epochs_run": round(self.step / max(1, self.schedule.steps_per_epoch), 2),
                "seconds": round(self.seconds, 1), "best": self.best,
                "resumed_at_step": self.resumed_at}  # fmt: skip

    def close(self, model, record, result: dict, keep_resume: bool) -> dict:
        """The end of a run, once it has stopped: the model saved to ``out`` when no check
        saved one (the last weights), ``training.json`` and the model card written by
        ``record`` (a :class:`training.record.RunRecord`) with ``result``, ``resume.pt``
        removed (:meth:`finish`; rank 0 writes), the processes let go. The run's summary."""
        reason = self.stop_reason()
        if self.dist.is_main:
            out = self.resume.path.parent
            if not (out / "config.json").is_file():
                model.save_pretrained(out)
            result = record.finish(**result)
            self.finish(keep_resume, reason)
        cleanup_distributed()
        return {**record.record, **result}


def print_summary(summary: dict) -> None:
    """The line a training command ends with (rank 0 only): why the run stopped, after how
    many steps, and its best check (:func:`best_text`)."""
    if int(os.environ.get("RANK", "0")) == 0:
        print(f"stopped by {summary['stopped_by']} after {summary['steps']} steps; "
              f"best: {best_text(summary['best'])}", flush=True)  # fmt: skip


def best_text(best: dict) -> str:
    """The best check of a run, said as what it is: its own figures by name (a training
    loss when no dev clip could be checked, never called a dev figure)."""
    if not best:
        return "none yet"
    shown = ", ".join(f"{k} {v:.4f}" for k, v in best.items() if k not in ("step", "epoch"))
    return f"{shown} (step {best.get('step')})"
