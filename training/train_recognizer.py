"""Train the back-translation recogniser (keypoints -> glosses, CTC) for evaluation.

    python -m training.train_recognizer --data data/prepared --out checkpoints/recognizer \
        [--epochs 60] [--seed 0] [--batch-size 16] [--lr 2e-3] [--patience 12] [--set hidden=144]
    torchrun --nproc_per_node 2 -m training.train_recognizer --data ... --out ...

The flags every training command shares are described in :mod:`training.cli`.

Trains on the train split with each clip's own gloss annotation (the recogniser judges
what was signed, not what the gloss stage would say), sentences and WORD clips alike.
Augmentation makes it read generated signing, not only corpus clips: scale, aspect,
rotation and shift jitter, speed jitter (0.8-1.25x), point noise, runs of dropped hand
frames, a low-pass on some clips (generated output is smooth) and the signer's rest pose
with a minimum-jerk move added before and after some clips (backends frame their output
in the rest pose; the prepared clips are trimmed to the first and last gloss).

At every dev check (``--eval-every``; by default after every epoch): greedy-decoded gloss
WER on the dev split; the best model so far is
saved to ``--out`` (``config.json`` + ``model.safetensors``), the curves to
``losses.csv``/``losses.png``, and everything needed to continue to ``resume.pt``: run the
same command again after an interruption and it picks up where it stopped. Training stops
after ``--epochs`` / ``--steps`` / ``--max-minutes`` or when the dev WER has not improved for
``--patience`` checks; then ``resume.pt`` is removed (``--keep-resume`` keeps it) and
``training.json`` and ``README.md`` record the run.
"""

from __future__ import annotations

import argparse
import math
import sys
from functools import partial
from pathlib import Path

import numpy as np
import torch

from sign_pipeline import skeleton as sk
from sign_pipeline.backtranslation import (
    MODEL_FPS,
    Recognizer,
    RecognizerConfig,
    decode_batch,
    frame_features,
    model_rate_indices,
    pad_features,
    word_errors,
)
from sign_pipeline.inventory import load_inventory
from sign_pipeline.modeling import GlossVocab
from sign_pipeline.motion import lowpass, minimum_jerk
from training import cli
from training.dataset import PoseDataset, data_origin, load_clip, load_manifest
from training.loop import (
    LossLog,
    Run,
    RunningMeans,
    Schedule,
    from_main,
    in_step,
    make_loader,
    mean_over_ranks,
    optimizer_step,
    print_summary,
    seed_everything,
    setup_distributed,
    to_processes,
)
from training.record import RunRecord, prepared_summary

MODULE = "training.train_recognizer"


# ---------------------------------------------------------------------------- data


def recognizer_vocab(data: str | Path) -> GlossVocab:
    """Every gloss of the sign inventory plus any other gloss the dataset's clips carry
    (so a gloss the gloss stage can produce is always a gloss the recogniser can say)."""
    glosses = list(load_inventory())
    for record in load_manifest(data):
        glosses += [g["gloss"] for g in record.get("glosses", [])]
    return GlossVocab(glosses)


def rest_poses(data: str | Path, records: list[dict]) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Per signer (1-based): the rest pose and its mask from the first clip that has one."""
    out: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for record in records:
        signer = int(record["signer_index"]) + 1
        if signer in out or not record.get("rest_frames"):
            continue
        clip = load_clip(data, record["clip_id"])
        if "rest" in clip:
            out[signer] = (clip["rest"].astype(np.float32), clip["rest_mask"].astype(bool))
    return out


class Augment:
    """Random changes that keep the glosses (see the module docstring); numpy in, numpy out."""

    def __init__(
        self,
        rest: dict[int, tuple[np.ndarray, np.ndarray]],
        rng: np.random.Generator | None = None,
    ) -> None:
        self.rest = rest
        self.rng = rng if rng is not None else np.random.default_rng()

    def add_rest(
        self, kp: np.ndarray, m: np.ndarray, signer: int, fps: float
    ) -> tuple[np.ndarray, np.ndarray]:
        rest, rest_mask = self.rest[signer]
        rng = self.rng
        pieces, masks = [], []
        hold_a, hold_b = (int(rng.integers(0, int(0.6 * fps))) for _ in range(2))
        move_a, move_b = (int(rng.integers(int(0.15 * fps), int(0.45 * fps))) for _ in range(2))
        # missing points of the first/last frame take the rest value: the move stays finite
        first = np.where(m[0][:, None], kp[0], rest)
        last = np.where(m[-1][:, None], kp[-1], rest)
        pieces += [np.repeat(rest[None], hold_a, 0), minimum_jerk(rest, first, move_a), kp]
        masks += [np.repeat(rest_mask[None], hold_a + move_a, 0), m]
        pieces += [minimum_jerk(last, rest, move_b), np.repeat(rest[None], hold_b, 0)]
        masks += [np.repeat(rest_mask[None], move_b + hold_b, 0)]
        return np.concatenate(pieces).astype(np.float32), np.concatenate(masks)

    def __call__(
        self, kp: np.ndarray, m: np.ndarray, signer: int, fps: float
    ) -> tuple[np.ndarray, np.ndarray, float]:
        """(keypoints, mask, speed factor) for one training clip."""
        rng = self.rng
        kp, m = np.array(kp, np.float32), np.array(m, bool)
        if signer in self.rest and rng.random() < 0.5:
            kp, m = self.add_rest(kp, m, signer, fps)
        if rng.random() < 0.3:  # smooth like generated output (points seen throughout)
            whole = m.all(axis=0)
            kp[:, whole] = lowpass(kp[:, whole], fps, blocks=(slice(None),))
        # similarity + aspect jitter about the neck (the origin)
        scale = rng.uniform(0.9, 1.1) * np.array([rng.uniform(0.95, 1.05), 1.0], np.float32)
        angle = np.deg2rad(rng.uniform(-6.0, 6.0))
        rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        shift = rng.uniform(-0.1, 0.1, size=2)
        kp = ((kp * scale) @ rot.T.astype(np.float32) + shift).astype(np.float32)
        if rng.random() < 0.5:
            kp = kp + rng.normal(0.0, 0.008, kp.shape).astype(np.float32)
        for block in (sk.LEFT_HAND, sk.RIGHT_HAND):  # runs of frames without this hand
            if rng.random() < 0.3:
                for _ in range(int(rng.integers(1, 4))):
                    a = int(rng.integers(0, len(kp)))
                    m[a : a + int(rng.integers(2, 9)), block] = False
        kp[~m] = 0.0
        return kp, m, float(rng.uniform(0.8, 1.25))


def make_batch(items: list[dict], augment: Augment | None = None, fps: float = 30.0,
               model_fps: float = MODEL_FPS) -> dict:  # fmt: skip
    """Features at the model's frame rate (augmented when ``augment`` is given) + targets."""
    feats = []
    for it in items:
        kp, m, speed = it["keypoints"], it["mask"], 1.0
        if augment is not None:
            kp, m, speed = augment(kp, m, it["signer"], fps)
        idx = model_rate_indices(len(kp), fps, model_fps, speed)
        feats.append(frame_features(kp[idx], m[idx]))
    x, lengths = pad_features(feats)
    n = [len(it["gloss_ids"]) for it in items]
    targets = torch.zeros(len(items), max(n), dtype=torch.long)
    for i, it in enumerate(items):
        targets[i, : n[i]] = torch.from_numpy(np.asarray(it["gloss_ids"], np.int64))
    return {
        "features": x,
        "lengths": lengths,
        "targets": targets,
        "target_lengths": torch.tensor(n),
        "glosses": [list(it["glosses"]) for it in items],
    }


def length_buckets(
    lengths: list[int], batch_size: int, seed: int, rank: int = 0, world_size: int = 1
) -> list[list[int]]:
    """Batches of clips of similar length, in random order: this rank's share.

    Word clips are a third as long as sentences; random batches would be mostly padding.
    Clips are sorted by length with a little noise (so batches differ between epochs), cut
    into batches, the batches shuffled, and dealt out to the ranks (every rank gets the same
    number of batches, as DDP needs).
    """
    rng = np.random.default_rng(seed)
    noisy = np.asarray(lengths, np.float64) * rng.uniform(0.85, 1.15, len(lengths))
    order = np.argsort(noisy, kind="stable")
    batches = [order[i : i + batch_size].tolist() for i in range(0, len(order), batch_size)]
    rng.shuffle(batches)
    per_rank = len(batches) // world_size
    return batches[rank * per_rank : (rank + 1) * per_rank]


# ---------------------------------------------------------------------------- training


@torch.no_grad()
def evaluate_wer(model: Recognizer, loader, device: torch.device) -> tuple[float, int, int]:
    """(mean CTC loss, gloss errors, reference glosses) of greedy decoding over a loader."""
    model.eval()
    losses, errors, words = [], 0, 0
    for batch in loader:
        x, lengths = batch["features"].to(device), batch["lengths"].to(device)
        log_probs = model(x, lengths)
        losses.append(
            float(model.ctc_loss(log_probs, lengths, batch["targets"].to(device),
                                 batch["target_lengths"].to(device)))
        )  # fmt: skip
        for ids, ref in zip(decode_batch(log_probs, lengths), batch["glosses"]):
            errors += word_errors(model.vocab.decode(ids), ref)
            words += len(ref)
    return (float(np.mean(losses)) if losses else float("nan")), errors, words


def train(
    data: str | Path,
    out: str | Path,
    epochs: int | None = 60,
    seed: int = 0,
    batch_size: int = 16,
    lr: float = 2e-3,
    patience: int = 12,
    keep_resume: bool = False,
    model_config: dict | None = None,
    max_steps_per_epoch: int | None = None,
    show_progress: bool = True,
    threads: int | None = None,
    steps: int | None = None,
    eval_every: int = 0,
    max_minutes: float | None = None,
    device: str = "auto",
    save_minutes: float = 0.0,
    init_from: str | Path | None = None,
    argv: list[str] | None = None,
) -> dict:
    """Train (or continue training) the recogniser; returns the run's record (what
    ``training.json`` holds). Bad input is a :class:`training.cli.UsageError`."""
    data, out = cli.check_data(data), cli.claim_out_dir(out, MODULE)
    init_from = cli.check_checkpoint(init_from)
    overrides = cli.check_model_config(RecognizerConfig, dict(model_config or {}))
    dist = setup_distributed(cli.check_device(device))
    seed_everything(seed, dist.rank)
    torch.set_num_threads(threads or max(1, torch.get_num_threads() // dist.world_size))
    vocab = recognizer_vocab(data)
    train_set = PoseDataset(data, "train", vocab=vocab, gloss_source="data")
    dev_set = PoseDataset(data, "dev", vocab=vocab, gloss_source="data")
    if not len(train_set):
        raise cli.UsageError(f"--data {data}: no training clips with glosses")
    fps = float(train_set.records[0]["fps"])
    signers = sorted({int(r["signer_index"]) + 1 for r in train_set.records})
    trained_on, synthetic = data_origin(train_set.records)
    config = cli.build_config(RecognizerConfig, overrides, glosses=vocab.glosses,
                              signers=signers, fps=fps, trained_on=str(data))  # fmt: skip
    model = Recognizer(config)
    if init_from is not None and not (out / "resume.pt").is_file():
        model.load_state_dict(Recognizer.load(init_from).state_dict())
    model = to_processes(model, dist)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-2)
    clip_lengths = [int(r["n_frames"]) for r in train_set.records]
    per_epoch = len(length_buckets(clip_lengths, batch_size, seed, dist.rank, dist.world_size))
    per_epoch = min(per_epoch, max_steps_per_epoch or per_epoch)
    schedule = Schedule(epochs, steps, eval_every, max_minutes, per_epoch)
    warmup = 2 * per_epoch

    def lr_at(step: int) -> float:  # linear warm-up (2 epochs), then cosine down to 5%
        if step < warmup:
            return (step + 1) / warmup
        t = (step - warmup) / max(1, schedule.total_steps - warmup)
        return 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(1.0, t)))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_at)
    run = Run(out, schedule, patience, save_minutes, dist, model=model, optimizer=optimizer,
              scheduler=scheduler)
    record = RunRecord(
        out, MODULE, argv if argv is not None else sys.argv[1:], stage="recognizer",
        backend="recognizer", label="Recogniser", config=config.to_dict(),
        world_size=dist.world_size, device=str(dist.device),
        training={"epochs": epochs, "steps": steps, "steps_per_epoch": per_epoch,
                  "batch_size": batch_size, "lr": lr, "seed": seed, "patience": patience,
                  "eval_every": eval_every, "max_minutes": max_minutes,
                  "save_minutes": save_minutes, "init_from": init_from},
        data={"path": data, "trained_on": trained_on, "synthetic": synthetic,
              "train_clips": len(train_set), "dev_clips": len(dev_set),
              "vocabulary": len(vocab), **prepared_summary(data)},
    )  # fmt: skip
    run.restore()
    if dist.is_main:
        record.start()
    rng = np.random.default_rng([seed, dist.rank, run.step])
    augment = Augment(rest_poses(data, train_set.records), rng)
    collate_train = partial(make_batch, augment=augment, fps=fps, model_fps=config.model_fps)
    collate_eval = partial(make_batch, augment=None, fps=fps, model_fps=config.model_fps)
    dev_loader = make_loader(dev_set, 32, dist, shuffle=False, collate_fn=collate_eval)

    def loader_for(epoch: int):
        batches = length_buckets(clip_lengths, batch_size, seed + epoch, dist.rank,
                                 dist.world_size)  # fmt: skip
        return torch.utils.data.DataLoader(train_set, batch_sampler=batches,
                                           collate_fn=collate_train)  # fmt: skip

    log, means = LossLog(out), RunningMeans()
    for batch in run.training_batches(loader_for, show_progress):
        model.train()
        lengths = batch["lengths"].to(dist.device)
        log_probs = model(batch["features"].to(dist.device), lengths)
        loss = model.ctc_loss(log_probs, lengths, batch["targets"].to(dist.device),
                              batch["target_lengths"].to(dist.device))  # fmt: skip
        optimizer_step(model, optimizer, loss, dist, clip=5.0)
        scheduler.step()
        means.add(loss=float(loss.detach()))
        if run.check_due():
            row = means.take(dist)
            if len(dev_set):
                dev_loss, errors, words = evaluate_wer(model, dev_loader, dist.device)
                words_mean = mean_over_ranks(words, dist)
                row["dev_wer"] = (mean_over_ranks(errors, dist) / words_mean
                                  if words_mean else float("nan"))  # fmt: skip
                row["dev_loss"] = mean_over_ranks(dev_loss, dist)
            # no dev split: select on the training loss (said so: no dev_ figure)
            metric = from_main(row.get("dev_wer", row["train_loss"]), dist)
            run.dev_check(metric, row, model, log, optimizer)
        if run.step_end():
            break
    result = {**run.results(), "best_dev_wer": run.best.get("dev_wer"),
              "parameters": model.num_parameters_total(), "train_clips": len(train_set),
              "processes_in_step": in_step(model, dist)}  # fmt: skip
    return run.close(model, record, result, keep_resume)


def main(argv: list[str] | None = None) -> int:
    ap = cli.training_parser("python -m training.train_recognizer", __doc__, epochs=60,
                             steps=None, batch_size=16, lr=2e-3, eval_every=0, patience=12)  # fmt: skip
    ap.add_argument("--hidden", type=int, default=None, help=argparse.SUPPRESS)  # deprecated
    return cli.run_command(ap, argv, train_from_args)


def train_from_args(args) -> None:
    """:func:`train` with the parsed command line."""
    items = list(args.set)
    if args.hidden is not None:
        print("note: --hidden is deprecated, use --set hidden=N", file=sys.stderr)
        items.append(f"hidden={args.hidden}")
    summary = train(args.data, args.out, epochs=args.epochs, steps=args.steps, seed=args.seed,
                    batch_size=args.batch_size, lr=args.lr, patience=args.patience,
                    keep_resume=args.keep_resume,
                    model_config=cli.model_overrides(RecognizerConfig, items),
                    show_progress=not args.no_progress, threads=args.threads,
                    eval_every=args.eval_every, max_minutes=args.max_minutes,
                    device=args.device, save_minutes=args.save_minutes,
                    init_from=args.init_from, argv=args.argv)  # fmt: skip
    print_summary(summary)


if __name__ == "__main__":
    sys.exit(main())
