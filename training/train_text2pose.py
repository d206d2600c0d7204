"""Train a learned text-to-pose backend (glosses + marks + signer -> keypoints).

    python -m training.train_text2pose --backend progressive --data data/prepared \
        --out checkpoints/progressive [--epochs 80] [--max-minutes 60] [--seed 0]
    torchrun --nproc_per_node 2 -m training.train_text2pose --backend progressive ...

The backend is found by name in ``sign_pipeline/text2pose/`` and brings its own model; a
learned backend class offers ``config_class`` and ``model_class`` (a
:class:`~sign_pipeline.modeling.SignPreTrainedModel` with ``fit_normalization(clips)`` and
``forward(batch) -> (loss, parts)``, its training loss) and is built from a model by ``cls(model)``. So
the Tacotron backend trains with this same command once its file exists.

The model learns from the glosses the gloss stage gives each corpus sentence
(``--gloss-source stage``, what it receives at inference; ``data`` takes the corpus's
hand-written glosses), sentences and WORD clips alike, at its own frame rate
(``config.model_fps``; the clips are subsampled). Every ``--eval-every`` epochs it signs a
fixed set of dev clips the way the app does (``backend.sign``: its own length, no reference
read) and measures DTW, hands DTW, length error and the motion statistics against the
references; the best model by dev DTW is saved to ``--out`` (``config.json`` +
``model.safetensors``), the curves to ``losses.csv`` / ``losses.png``, and ``resume.pt``
holds the rest: run the same command again after an interruption and it continues. It stops
after ``--epochs``, after ``--max-minutes`` of training, or when dev DTW has not improved for
``--patience`` evaluations; ``training.json`` records the run.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from sign_pipeline import registry
from sign_pipeline.metrics import (
    attention_failure,
    dtw,
    hands_dtw,
    length_error,
    pooled_motion_stats,
)
from sign_pipeline.modeling import GlossVocab
from training.dataset import (
    PoseDataset,
    clip_gloss_input,
    collate_padded,
    data_origin,
    load_clip,
    load_manifest,
)
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


class AtModelRate(torch.utils.data.Dataset):
    """A :class:`PoseDataset` with every ``step``-th frame (the model's frame rate); the
    progress counter is recomputed over the kept frames (0 at the first, 1 at the last).

    Adds ``gloss_ends`` [N]: where each gloss ends as a share of the clip, from the data's
    gloss spans when the glosses the model reads are the annotated ones (NaN otherwise:
    the gloss stage's glosses differ and the spans do not apply)."""

    def __init__(self, dataset: PoseDataset, step: int) -> None:
        self.dataset = dataset
        self.step = max(1, int(step))

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, i: int) -> dict:
        item = dict(self.dataset[i])
        kp, mask = item["keypoints"][:: self.step], item["mask"][:: self.step]
        n = len(kp)
        record = self.dataset.records[i]
        spans = record.get("glosses", [])
        ends = np.full(len(item["glosses"]), np.nan, np.float32)
        if [g["gloss"] for g in spans] == list(item["glosses"]) and record.get("n_frames"):
            ends[:] = [min(1.0, g["end"] / record["n_frames"]) for g in spans]
        item.update(
            gloss_ends=ends,
            keypoints=kp,
            mask=mask,
            progress=np.linspace(0.0, 1.0, n, dtype=np.float32)
            if n > 1
            else np.ones(1, np.float32),
        )
        return item


def dev_clips(data: Path, vocab: GlossVocab, source: str, count: int, seed: int) -> list[dict]:
    """A fixed sample of dev clips the model can sign (every gloss in its vocabulary), with
    their gloss input, signer and reference keypoints; sentences before WORD clips."""
    rows = []
    for record in load_manifest(data, "dev"):
        inp = clip_gloss_input(record, source)
        if inp.glosses and all(g in vocab for g in inp.glosses):
            rows.append((record, inp))
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(rows))
    order = sorted(order, key=lambda i: len(rows[i][1].glosses) < 2)  # sentences first
    out = []
    for i in order[:count]:
        record, inp = rows[i]
        clip = load_clip(data, record["clip_id"])
        out.append({"input": inp, "signer": int(record["signer_index"]) + 1,
                    "keypoints": clip["keypoints"], "mask": clip["mask"],
                    "clip_id": record["clip_id"]})  # fmt: skip
    return out


def collate(items: list[dict]) -> dict:
    """:func:`collate_padded` plus ``gloss_ends`` [B, N] (padding 1.0, unknown NaN)."""
    batch = collate_padded(items)
    if all("gloss_ends" in it for it in items):
        ends = torch.ones(len(items), batch["gloss_ids"].shape[1])
        for i, it in enumerate(items):
            ends[i, : len(it["gloss_ends"])] = torch.from_numpy(it["gloss_ends"])
        batch["gloss_ends"] = ends
    return batch


# ---------------------------------------------------------------------------- evaluation


@torch.no_grad()
def evaluate_clips(backend, clips: list[dict]) -> dict[str, float]:
    """Sign each clip's glosses (its own length) and compare with the reference: mean DTW,
    hands DTW, length error, wrist speed and articulation as ratios to the references',
    the share of clips whose decoding the model ended itself (not the length cap), the
    share whose attention failed to move forward (when the backend returns one) and ms
    per clip."""
    if not clips:
        return {}
    d, hd, le, stops, fails, outs, refs = [], [], [], [], [], [], []
    t0 = time.perf_counter()
    fps = 30.0
    for c in clips:
        out = backend.sign(c["input"], signer=c["signer"])
        fps = out.fps
        d.append(dtw(out.keypoints, c["keypoints"], out.mask, c["mask"]))
        hd.append(hands_dtw(out.keypoints, c["keypoints"], out.mask, c["mask"]))
        le.append(length_error(len(out), len(c["keypoints"])))
        stops.append(out.extras.get("stopped_by") != "length cap")
        if out.extras.get("attention") is not None and len(c["input"].glosses) > 1:
            fails.append(attention_failure(out.extras["attention"])["failed"])
        outs.append((out.keypoints, out.mask))
        refs.append((c["keypoints"], c["mask"]))
    ms = 1000 * (time.perf_counter() - t0) / len(clips)
    gen = pooled_motion_stats(outs, fps, dominant="right")
    ref = pooled_motion_stats(refs, fps, dominant="right")
    return {
        "dev_dtw": float(np.mean(d)),
        "dev_hands_dtw": float(np.mean(hd)),
        "dev_length_error": float(np.mean(le)),
        "dev_speed_ratio": gen["wrist_speed_mean"] / ref["wrist_speed_mean"],
        "dev_articulation_ratio": gen["articulation"] / ref["articulation"],
        "dev_model_stops": float(np.mean(stops)),
        **({"dev_attention_failures": float(np.mean(fails))} if fails else {}),
        "dev_ms_per_clip": ms,
    }


# ---------------------------------------------------------------------------- training


def init_weights(model, source, path: str | Path, verbose: bool = True) -> None:
    """Copy ``source``'s weights into ``model`` (same glosses and signers required); keys
    only one of them has are reported (a critic the new recipe adds starts fresh)."""
    for key in ("glosses", "signers"):
        if list(getattr(source.config, key)) != list(getattr(model.config, key)):
            raise SystemExit(f"--init-from {path}: its {key} differ from this data's; "
                             "train from scratch (or prepare the data with the same ones)")  # fmt: skip
    result = model.load_state_dict(source.state_dict(), strict=False)
    if verbose:
        fresh = sorted({k.split(".")[0] for k in result.missing_keys})
        dropped = sorted({k.split(".")[0] for k in result.unexpected_keys})
        print(f"initialised from {path}" + (f"; new: {', '.join(fresh)}" if fresh else "")
              + (f"; not used: {', '.join(dropped)}" if dropped else ""), flush=True)  # fmt: skip


def train(
    backend: str,
    data: str | Path,
    out: str | Path,
    epochs: int = 80,
    seed: int = 0,
    batch_size: int = 16,
    lr: float = 1e-3,
    patience: int = 8,
    eval_every: int = 1,
    eval_clips: int = 48,
    max_minutes: float | None = None,
    gloss_source: str = "stage",
    model_config: dict | None = None,
    max_steps_per_epoch: int | None = None,
    keep_resume: bool = False,
    show_progress: bool = True,
    threads: int | None = None,
    init_from: str | Path | None = None,
    bucket: bool = False,
) -> dict:
    """Train (or continue training) ``backend``'s model; returns the run summary.

    ``init_from``: a checkpoint of the same backend to start from (fine-tuning, e.g. the
    shipped model with a new loss term or on new data with the same glosses); its weights
    and normalisation replace the fresh ones, parts it lacks (a critic) start fresh."""
    data, out = Path(data), Path(out)
    cls = registry.backend_class("text2pose", backend)
    if not hasattr(cls, "model_class"):
        raise SystemExit(f"the {backend} backend has no model to train")
    dist = setup_distributed()
    seed_everything(seed, dist.rank)
    torch.set_num_threads(threads or max(1, torch.get_num_threads() // dist.world_size))
    train_set = PoseDataset(data, "train", gloss_source=gloss_source)
    if not len(train_set):
        raise SystemExit(f"{data}: no training clips with glosses")
    vocab = train_set.vocab
    fps = float(train_set.records[0]["fps"])
    signers = sorted({int(r["signer_index"]) + 1 for r in train_set.records})
    trained_on, synthetic = data_origin(train_set.records)
    config = cls.config_class(glosses=vocab.glosses, signers=signers, fps=fps,
                              trained_on=f"{trained_on} ({data.name})", synthetic=synthetic,
                              **(model_config or {}))  # fmt: skip
    model = cls.model_class(config)
    step = max(1, int(round(fps / getattr(config, "model_fps", fps))))
    rate_set = AtModelRate(train_set, step)
    model.fit_normalization(
        (rate_set[i]["keypoints"], rate_set[i]["mask"]) for i in range(len(rate_set))
    )
    if init_from is not None and not (out / "resume.pt").is_file():
        init_weights(model, cls.model_class.load(init_from), init_from, dist.is_main)
    lengths = [int(r.get("n_frames") or 0) for r in train_set.records]
    model = wrap_model(model, dist)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.98))
    # the paper's schedule: x0.7 when dev stops improving, down to a fifth of the start
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
        optimizer, factor=0.7, patience=2, min_lr=lr / 5
    )
    stopper = EarlyStopping(patience=patience)
    resume = ResumeState(out)
    log = LossLog(out)
    start, seconds, best_eval = 0, 0.0, {}
    state = resume.load()
    if state is not None:
        unwrap(model).load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        stopper.load_state_dict(state["stopper"])
        start, seconds = int(state["epoch"]), float(state.get("seconds", 0.0))
        best_eval = state.get("best_eval", {})
        if dist.is_main:
            print(f"resuming from epoch {start} (best dev DTW {stopper.best:.4f})", flush=True)
    dev = dev_clips(data, vocab, gloss_source, eval_clips, seed) if dist.is_main else []
    backend_obj = cls(unwrap(model))
    epochs_run = start
    stop_reason = "epochs"
    for epoch in range(start, epochs):
        if stopper.should_stop:
            stop_reason = "early stopping"
            break
        if max_minutes is not None and seconds >= 60 * max_minutes:
            stop_reason = "time budget"
            break
        t0 = time.time()
        loader = make_loader(rate_set, batch_size, dist, shuffle=True, collate_fn=collate,
                             seed=seed + epoch, lengths=lengths if bucket else None)  # fmt: skip
        if hasattr(loader.sampler, "set_epoch"):
            loader.sampler.set_epoch(epoch)
        model.train()
        losses, parts_sum = [], {}
        bar = (progress(loader, dist, desc=f"epoch {epoch + 1}/{epochs}", leave=False)
               if show_progress else loader)  # fmt: skip
        for i, batch in enumerate(bar):
            if max_steps_per_epoch is not None and i >= max_steps_per_epoch:
                break
            loss, parts = model(batch)  # the model's training_loss, through DDP if wrapped
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimizer.step()
            losses.append(loss.item())
            for k, v in parts.items():
                parts_sum[k] = parts_sum.get(k, 0.0) + v
            if hasattr(bar, "set_postfix"):
                bar.set_postfix(loss=f"{np.mean(losses[-20:]):.3f}")
        train_loss = mean_over_ranks(float(np.mean(losses)), dist)
        row = {"train_loss": train_loss,
               **{f"train_{k}": v / max(1, len(losses)) for k, v in parts_sum.items()}}  # fmt: skip
        seconds += time.time() - t0
        epochs_run = epoch + 1
        last = epoch + 1 == epochs or (max_minutes is not None and seconds >= 60 * max_minutes)
        if (epoch + 1) % eval_every == 0 or last:
            if dist.is_main:
                unwrap(model).eval()
                row.update(evaluate_clips(backend_obj, dev))
            # select on dev DTW; on the training loss when no dev clip can be signed
            metric = row.get("dev_dtw", train_loss)
            metric = mean_over_ranks(metric, dist) if dist.distributed else metric
            scheduler.step(metric)
            best = stopper.step(metric)
            if dist.is_main and best:
                unwrap(model).save_pretrained(out)
                best_eval = {"epoch": epoch + 1, **{k: v for k, v in row.items()
                                                    if k.startswith("dev_")}}  # fmt: skip
        else:
            best = False
        if dist.is_main:
            row["lr"] = optimizer.param_groups[0]["lr"]
            log.log(epoch + 1, **row)
            log.plot()
            shown = ", ".join(f"{k.removeprefix('dev_')} {v:.3f}" for k, v in row.items()
                              if k.startswith("dev_"))  # fmt: skip
            print(
                f"epoch {epoch + 1}: loss {train_loss:.4f}{', ' + shown if shown else ''}"
                f"{' (best)' if best else ''}, {time.time() - t0:.0f} s",
                flush=True,
            )
            resume.save(model=unwrap(model).state_dict(), optimizer=optimizer.state_dict(),
                        scheduler=scheduler.state_dict(), stopper=stopper.state_dict(),
                        epoch=epoch + 1, seconds=seconds, best_eval=best_eval)  # fmt: skip
    else:
        stop_reason = "early stopping" if stopper.should_stop else "epochs"
    summary = {
        "backend": backend,
        "command": "python -m training.train_text2pose " + " ".join(sys.argv[1:]),
        "data": str(data),
        "gloss_source": gloss_source,
        "init_from": str(init_from) if init_from else None,
        "bucket": bucket,
        "epochs_run": epochs_run,
        "stopped_by": stop_reason,
        "best": best_eval,
        "seconds": round(seconds, 1),
        "train_clips": len(train_set),
        "dev_clips_evaluated": len(dev),
        "parameters": sum(p.numel() for p in unwrap(model).parameters()),
        "vocabulary": len(vocab.glosses),
        "signers": signers,
        "model_fps": getattr(config, "model_fps", fps),
        "seed": seed,
        "world_size": dist.world_size,
    }
    if dist.is_main:
        out.mkdir(parents=True, exist_ok=True)
        if not (out / "config.json").is_file():  # never evaluated: keep the last weights
            unwrap(model).save_pretrained(out)
        (out / "training.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1))
        if not keep_resume and stop_reason != "time budget" and resume.path.is_file():
            resume.path.unlink()
    cleanup_distributed()
    return summary


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m training.train_text2pose",
                                 description=__doc__.split("\n")[0])  # fmt: skip
    ap.add_argument("--backend", required=True, help="a learned text2pose backend: progressive")
    ap.add_argument("--data", required=True, help="a folder written by training.prepare")
    ap.add_argument("--out", required=True, help="checkpoint folder, e.g. checkpoints/progressive")
    ap.add_argument("--epochs", type=int, default=80)
    ap.add_argument("--max-minutes", type=float, default=None, help="stop after this much training")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--patience", type=int, default=8, help="evaluations without dev improvement")
    ap.add_argument("--eval-every", type=int, default=1, help="epochs between dev evaluations")
    ap.add_argument("--eval-clips", type=int, default=48, help="dev clips signed per evaluation")
    ap.add_argument("--gloss-source", choices=("stage", "data"), default="stage")
    ap.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a model config value, e.g. --set hidden=128 (repeatable)",
    )
    ap.add_argument("--threads", type=int, default=None, help="torch threads per process")
    ap.add_argument("--keep-resume", action="store_true", help="keep resume.pt at the end")
    ap.add_argument("--bucket", action="store_true",
                    help="batches of similar clip lengths (less padding; faster)")
    ap.add_argument("--init-from", default=None, metavar="DIR",
                    help="start from this checkpoint of the same backend (fine-tuning)")
    ap.add_argument("--no-progress", action="store_true")
    args = ap.parse_args(argv)
    model_config = {}
    for item in args.set:
        key, _, value = item.partition("=")
        model_config[key.replace("-", "_")] = json.loads(value)
    summary = train(args.backend, args.data, args.out, epochs=args.epochs, seed=args.seed,
                    batch_size=args.batch_size, lr=args.lr, patience=args.patience,
                    eval_every=args.eval_every, eval_clips=args.eval_clips,
                    max_minutes=args.max_minutes, gloss_source=args.gloss_source,
                    model_config=model_config, keep_resume=args.keep_resume,
                    show_progress=not args.no_progress, threads=args.threads,
                    init_from=args.init_from, bucket=args.bucket)  # fmt: skip
    print(json.dumps(summary, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
