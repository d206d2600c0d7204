"""Train the back-translation recogniser (keypoints -> glosses, CTC) for evaluation.

    python -m training.train_recognizer --data data/prepared --out checkpoints/recognizer \
        [--epochs 60] [--seed 0] [--batch-size 16] [--lr 2e-3] [--patience 12]
    torchrun --nproc_per_node 2 -m training.train_recognizer --data ... --out ...

Trains on the train split with each clip's own gloss annotation (the recogniser judges
what was signed, not what the gloss stage would say), sentences and WORD clips alike.
Augmentation makes it read generated signing, not only corpus clips: scale, aspect,
rotation and shift jitter, speed jitter (0.8-1.25x), point noise, runs of dropped hand
frames, a low-pass on some clips (generated output is smooth) and the signer's rest pose
with a minimum-jerk move added before and after some clips (backends frame their output
in the rest pose; the prepared clips are trimmed to the first and last gloss).

After every epoch: greedy-decoded gloss WER on the dev split; the best model so far is
saved to ``--out`` (``config.json`` + ``model.safetensors``), the curves to
``losses.csv``/``losses.png``, and everything needed to continue to ``resume.pt``: run the
same command again after an interruption and it picks up where it stopped. Training stops
after ``--epochs`` or when the dev WER has not improved for ``--patience`` epochs; then
``resume.pt`` is removed (``--keep-resume`` keeps it) and ``training.json`` records the run.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
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
from training.dataset import PoseDataset, load_clip, load_manifest, load_summary
from training.loop import (
    EarlyStopping,
    LossLog,
    ResumeState,
    cleanup_distributed,
    make_loader,
    mean_over_ranks,
    progress,
    seed_everything,
    setup_distributed,
    unwrap,
    wrap_model,
)

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
    epochs: int = 60,
    seed: int = 0,
    batch_size: int = 16,
    lr: float = 2e-3,
    patience: int = 12,
    keep_resume: bool = False,
    model_config: dict | None = None,
    max_steps_per_epoch: int | None = None,
    show_progress: bool = True,
    threads: int | None = None,
) -> dict:
    """Train (or continue training) the recogniser; returns the run summary."""
    data, out = Path(data), Path(out)
    dist = setup_distributed()
    seed_everything(seed, dist.rank)
    torch.set_num_threads(threads or max(1, torch.get_num_threads() // dist.world_size))
    vocab = recognizer_vocab(data)
    train_set = PoseDataset(data, "train", vocab=vocab, gloss_source="data")
    dev_set = PoseDataset(data, "dev", vocab=vocab, gloss_source="data")
    if not len(train_set):
        raise SystemExit(f"{data}: no training clips with glosses")
    fps = float(train_set.records[0]["fps"])
    signers = sorted({int(r["signer_index"]) + 1 for r in train_set.records})
    config = RecognizerConfig(
        glosses=vocab.glosses, signers=signers, fps=fps, trained_on=str(data),
        **(model_config or {}),
    )  # fmt: skip
    model = wrap_model(Recognizer(config), dist)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-2)
    warmup = 2

    def lr_at(epoch: int) -> float:  # linear warm-up, then cosine down to 5%
        if epoch < warmup:
            return (epoch + 1) / warmup
        t = (epoch - warmup) / max(1, epochs - warmup)
        return 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(1.0, t)))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_at)
    stopper = EarlyStopping(patience=patience)
    resume = ResumeState(out)
    log = LossLog(out)
    start, seconds = 0, 0.0
    state = resume.load()
    if state is not None:
        unwrap(model).load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        stopper.load_state_dict(state["stopper"])
        start, seconds = int(state["epoch"]), float(state.get("seconds", 0.0))
        if dist.is_main:
            print(f"resuming from epoch {start} (best dev WER {stopper.best:.4f})")

    rng = np.random.default_rng([seed, dist.rank, start])
    augment = Augment(rest_poses(data, train_set.records), rng)
    collate_train = partial(make_batch, augment=augment, fps=fps, model_fps=config.model_fps)
    collate_eval = partial(make_batch, augment=None, fps=fps, model_fps=config.model_fps)
    clip_lengths = [int(r["n_frames"]) for r in train_set.records]
    dev_loader = make_loader(dev_set, 32, dist, shuffle=False, collate_fn=collate_eval)
    epochs_run = start
    for epoch in range(start, epochs):
        if stopper.should_stop:
            break
        t0 = time.time()
        batches = length_buckets(clip_lengths, batch_size, seed + epoch, dist.rank, dist.world_size)
        loader = torch.utils.data.DataLoader(
            train_set, batch_sampler=batches, collate_fn=collate_train
        )
        model.train()
        losses = []
        bar = (
            progress(loader, dist, desc=f"epoch {epoch + 1}/{epochs}", leave=False)
            if show_progress
            else loader
        )
        for step, batch in enumerate(bar):
            if max_steps_per_epoch is not None and step >= max_steps_per_epoch:
                break
            lengths = batch["lengths"].to(dist.device)
            log_probs = model(batch["features"].to(dist.device), lengths)
            loss = unwrap(model).ctc_loss(log_probs, lengths, batch["targets"].to(dist.device),
                                          batch["target_lengths"].to(dist.device))  # fmt: skip
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimizer.step()
            losses.append(float(loss.detach()))
            if hasattr(bar, "set_postfix"):
                bar.set_postfix(loss=f"{np.mean(losses[-20:]):.3f}")
        scheduler.step()
        train_loss = mean_over_ranks(float(np.mean(losses)), dist)
        if len(dev_set):
            dev_loss, errors, words = evaluate_wer(unwrap(model), dev_loader, dist.device)
            errors_mean = mean_over_ranks(errors, dist)
            words_mean = mean_over_ranks(words, dist)
            dev_wer = errors_mean / words_mean if words_mean else float("nan")
            dev_loss = mean_over_ranks(dev_loss, dist)
        else:  # no dev split: select on the training loss
            dev_loss, dev_wer = float("nan"), train_loss
        best = stopper.step(dev_wer)
        seconds += time.time() - t0
        epochs_run = epoch + 1
        if dist.is_main:
            log.log(epoch + 1, train_loss=train_loss, dev_loss=dev_loss, dev_wer=dev_wer,
                    lr=optimizer.param_groups[0]["lr"])  # fmt: skip
            log.plot()
            if best:
                unwrap(model).save_pretrained(out)
            print(
                f"epoch {epoch + 1}: train loss {train_loss:.4f}, dev loss {dev_loss:.4f}, "
                f"dev WER {dev_wer:.4f}{' (best)' if best else ''}, {time.time() - t0:.0f} s",
                flush=True,
            )
            resume.save(model=unwrap(model).state_dict(), optimizer=optimizer.state_dict(),
                        scheduler=scheduler.state_dict(), stopper=stopper.state_dict(),
                        epoch=epoch + 1, seconds=seconds)  # fmt: skip
    summary = {
        "data": str(data),
        "epochs_run": epochs_run,
        "best_dev_wer": stopper.best,
        "stopped_early": stopper.should_stop,
        "seconds": round(seconds, 1),
        "train_clips": len(train_set),
        "dev_clips": len(dev_set),
        "parameters": unwrap(model).num_parameters_total(),
        "vocabulary": len(vocab),
        "seed": seed,
        "world_size": dist.world_size,
        "corpus": _corpus_note(data),
    }
    if dist.is_main:
        (out / "training.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1))
        if not keep_resume and resume.path.is_file():
            resume.path.unlink()
    cleanup_distributed()
    return summary


def _corpus_note(data: Path) -> dict:
    try:
        s = load_summary(data)
    except (OSError, ValueError):
        return {}
    return {"clips": s.get("clips"), "frames": s.get("frames"), "signers": s.get("n_signers"),
            "glosses": s.get("n_glosses")}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m training.train_recognizer", description=__doc__.split("\n")[0]
    )
    ap.add_argument("--data", required=True, help="a folder written by training.prepare")
    ap.add_argument("--out", default="checkpoints/recognizer")
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--patience", type=int, default=12, help="epochs without dev improvement")
    ap.add_argument("--hidden", type=int, default=None, help="model width (default 144)")
    ap.add_argument("--threads", type=int, default=None, help="torch threads per process")
    ap.add_argument("--keep-resume", action="store_true", help="keep resume.pt at the end")
    ap.add_argument("--no-progress", action="store_true")
    args = ap.parse_args(argv)
    model_config = {"hidden": args.hidden} if args.hidden else None
    summary = train(args.data, args.out, epochs=args.epochs, seed=args.seed,
                    batch_size=args.batch_size, lr=args.lr, patience=args.patience,
                    keep_resume=args.keep_resume, model_config=model_config,
                    show_progress=not args.no_progress, threads=args.threads)  # fmt: skip
    if int(os.environ.get("RANK", "0")) == 0:
        print(json.dumps(summary, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
