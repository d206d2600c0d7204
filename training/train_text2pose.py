"""Train a learned text-to-pose backend (glosses + marks + signer -> keypoints).

    python -m training.train_text2pose --backend progressive --data data/prepared \
        --out checkpoints/progressive [--epochs 80] [--max-minutes 60] [--set hidden=128]
    python -m training.train_text2pose --backend Tacotron --config tacotron.toml ...
    torchrun --nproc_per_node 2 -m training.train_text2pose --backend progressive ...

The flags every training command shares (``--config``, ``--epochs``/``--steps``,
``--eval-every``, ``--patience``, ``--set``...) are described in :mod:`training.cli`.

The backend is found by name in ``sign_pipeline/text2pose/`` and brings its own model; a
learned backend class offers ``config_class`` and ``model_class`` (a
:class:`~sign_pipeline.modeling.SignPreTrainedModel` with ``fit_normalization(clips)`` and
``forward(batch) -> (loss, parts)``, its training loss) and is built from a model by ``cls(model)``. So
the Tacotron backend trains with this same command once its file exists.

The model learns from the glosses the gloss stage gives each corpus sentence
(``--gloss-source stage``, what it receives at inference; ``data`` takes the corpus's
hand-written glosses), sentences and WORD clips alike, at its own frame rate
(``config.model_fps``; the clips are subsampled). At every dev check (``--eval-every``) it signs a
fixed set of dev clips the way the app does (``backend.sign``: its own length, no reference
read) and measures DTW, hands DTW, length error and the motion statistics against the
references; the best model by dev DTW is saved to ``--out`` (``config.json`` +
``model.safetensors``), the curves to ``losses.csv`` / ``losses.png``, and ``resume.pt``
holds the rest: run the same command again after an interruption and it continues. It stops
after ``--epochs`` / ``--steps``, after ``--max-minutes`` of training, or when dev DTW has
not improved for ``--patience`` checks; ``training.json`` and ``README.md`` record the run.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import torch

from sign_pipeline.backtranslation import BackTranslator, corpus_wer
from sign_pipeline.metrics import (
    attention_failure,
    dtw,
    hands_dtw,
    length_error,
    pooled_motion_stats,
)
from sign_pipeline.modeling import GlossVocab
from training import cli
from training.dataset import (
    PoseDataset,
    clip_gloss_input,
    collate_padded,
    data_origin,
    load_clip,
    load_manifest,
)
from training.loop import (
    LossLog,
    Run,
    RunningMeans,
    Schedule,
    from_main,
    in_step,
    make_loader,
    optimizer_step,
    print_summary,
    seed_everything,
    setup_distributed,
    to_processes,
)
from training.record import RunRecord, prepared_summary

MODULE = "training.train_text2pose"


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


def extra_training_set(extra: Path, main: PoseDataset, gloss_source: str) -> PoseDataset:
    """The clips of another prepared folder (every split) that join the training set: only
    those whose glosses are all in ``main``'s vocabulary and whose signer has the same index
    as in ``main`` (a clip of another signer would be taught as someone else)."""
    extra_set = PoseDataset(extra, None, vocab=main.vocab, gloss_source=gloss_source)
    index = {r["signer"]: r["signer_index"] for r in main.records}
    keep = [i for i, (r, inp) in enumerate(zip(extra_set.records, extra_set.inputs))
            if all(g in main.vocab for g in inp.glosses)
            and index.get(r["signer"]) == r["signer_index"]]  # fmt: skip
    if not keep:
        raise cli.UsageError(f"--extra-data {extra}: no clip with only the glosses and signers "
                             f"of --data's training split")  # fmt: skip
    extra_set.records = [extra_set.records[i] for i in keep]
    extra_set.inputs = [extra_set.inputs[i] for i in keep]
    return extra_set


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
def evaluate_clips(backend, clips: list[dict], recognizer=None) -> dict[str, float]:
    """Sign each clip's glosses (its own length) and compare with the reference: mean DTW,
    hands DTW, length error, wrist speed and articulation as ratios to the references',
    the share of clips whose decoding the model ended itself (not the length cap), the
    share whose attention failed to move forward (when the backend returns one) and ms
    per clip; with a ``recognizer`` (:class:`~sign_pipeline.backtranslation.BackTranslator`)
    also the back-translation WER against the glosses asked for (``dev_wer``)."""
    if not clips:
        return {}
    d, hd, le, stops, fails, outs, refs, readback = [], [], [], [], [], [], [], []
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
        if recognizer is not None:  # not timed: the recogniser's time is not the model's
            t1 = time.perf_counter()
            readback.append((recognizer.recognise(out.keypoints, out.mask, out.fps),
                             c["input"].glosses))  # fmt: skip
            t0 += time.perf_counter() - t1
    ms = 1000 * (time.perf_counter() - t0) / len(clips)
    gen = pooled_motion_stats(outs, fps, dominant="right")
    ref = pooled_motion_stats(refs, fps, dominant="right")
    return {
        "dev_dtw": float(np.mean(d)),
        "dev_hands_dtw": float(np.mean(hd)),
        "dev_length_error": float(np.mean(le)),
        "dev_speed_ratio": gen["wrist_speed_mean"] / ref["wrist_speed_mean"],
        # the same with the jitter averaged out (a shaking output cannot pass for speed)
        "dev_smooth_speed_ratio": gen["wrist_speed_smooth_mean"] / ref["wrist_speed_smooth_mean"],
        "dev_articulation_ratio": gen["articulation"] / ref["articulation"],
        "dev_model_stops": float(np.mean(stops)),
        **({"dev_attention_failures": float(np.mean(fails))} if fails else {}),
        "dev_ms_per_clip": ms,
        **({"dev_wer": corpus_wer(readback)} if readback else {}),
    }


def selection_metric(row: dict[str, float], select: str) -> float:
    """The dev figure a check is ranked by (lower is better): dev DTW, or for ``"wer"`` the
    dev back-translation WER with dev DTW breaking ties (WER moves in steps of one gloss);
    the training loss when no dev clip could be signed."""
    if "dev_dtw" not in row:
        return row["train_loss"]
    if select == "wer":
        if "dev_wer" not in row:
            raise cli.UsageError("--select wer needs --recognizer")
        return row["dev_wer"] + 1e-4 * row["dev_dtw"]
    return row["dev_dtw"]


# ---------------------------------------------------------------------------- training


def init_weights(model, source, path: str | Path, verbose: bool = True) -> None:
    """Copy ``source``'s weights into ``model`` (same glosses and signers required); keys
    only one of them has are reported (a critic the new recipe adds starts fresh); a model
    may adapt the source's weights to its own shapes (``adapt_source_state``)."""
    for key in ("glosses", "signers"):
        if list(getattr(source.config, key)) != list(getattr(model.config, key)):
            raise cli.UsageError(f"--init-from {path}: its {key} differ from this data's; "
                             "train from scratch (or prepare the data with the same ones)")  # fmt: skip
    state = source.state_dict()
    adapt = getattr(model, "adapt_source_state", None)
    if adapt is not None:  # e.g. one output made into several output modes
        state = adapt(state)
    result = model.load_state_dict(state, strict=False)
    if verbose:
        fresh = sorted({k.split(".")[0] for k in result.missing_keys})
        dropped = sorted({k.split(".")[0] for k in result.unexpected_keys})
        print(f"initialised from {path}" + (f"; new: {', '.join(fresh)}" if fresh else "")
              + (f"; not used: {', '.join(dropped)}" if dropped else ""), flush=True)  # fmt: skip


def train(
    backend: str,
    data: str | Path,
    out: str | Path,
    epochs: int | None = 80,
    seed: int = 0,
    batch_size: int = 16,
    lr: float = 1e-3,
    patience: int = 8,
    eval_every: int = 0,
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
    steps: int | None = None,
    device: str = "auto",
    save_minutes: float = 0.0,
    recognizer: str | Path | None = None,
    select: str = "dtw",
    extra_data: str | Path | list | None = None,
    argv: list[str] | None = None,
) -> dict:
    """Train (or continue training) ``backend``'s model; returns the run's record (what
    ``training.json`` holds). Bad input is a :class:`training.cli.UsageError`.

    ``init_from``: a checkpoint of the same backend to start from (fine-tuning, e.g. the
    shipped model with a new loss term or on new data with the same glosses); its weights
    and normalisation replace the fresh ones, parts it lacks (a critic) start fresh.
    ``recognizer``: a back-translation checkpoint; each dev check then also reads the dev
    outputs back (``dev_wer``), and ``select="wer"`` keeps the check with the lowest.
    ``extra_data``: other prepared folders (one or a list) whose clips join the training set
    (e.g. the corpus's ``--mixed`` gloss sequences); dev checks and normalisation stay
    ``data``'s."""
    cls = cli.learned_backend("text2pose", backend)
    if select not in ("dtw", "wer"):
        raise cli.UsageError(f"--select {select}: choose dtw or wer")
    if select == "wer" and recognizer is None:
        raise cli.UsageError("--select wer needs --recognizer (a back-translation checkpoint)")
    reader = None
    if recognizer is not None:
        recognizer = cli.check_checkpoint(recognizer, "--recognizer")
        try:
            reader = BackTranslator.load(recognizer)
        except Exception as exc:  # noqa: BLE001 - any unreadable checkpoint is bad input
            raise cli.UsageError(f"--recognizer {recognizer}: {exc}") from exc
    data = cli.check_data(data)
    if isinstance(extra_data, (str, Path)):
        extra_data = [extra_data]
    extra_data = [cli.check_data(x, "--extra-data") for x in extra_data or []]
    out = cli.claim_out_dir(out, MODULE)
    init_from = cli.check_checkpoint(init_from)
    overrides = cli.check_model_config(cls.config_class, dict(model_config or {}))
    dist = setup_distributed(cli.check_device(device))
    seed_everything(seed, dist.rank)
    torch.set_num_threads(threads or max(1, torch.get_num_threads() // dist.world_size))
    train_set = PoseDataset(data, "train", gloss_source=gloss_source)
    if not len(train_set):
        raise cli.UsageError(f"--data {data}: no training clips with glosses")
    vocab = train_set.vocab
    fps = float(train_set.records[0]["fps"])
    signers = sorted({int(r["signer_index"]) + 1 for r in train_set.records})
    trained_on, synthetic = data_origin(train_set.records)
    config = cli.build_config(cls.config_class, overrides, glosses=vocab.glosses,
                              signers=signers, fps=fps, synthetic=synthetic,
                              trained_on=f"{trained_on} ({data.name})")  # fmt: skip
    model = cls.model_class(config)
    rate_set = AtModelRate(train_set, max(1, int(round(fps / getattr(config, "model_fps", fps)))))
    model.fit_normalization(
        (rate_set[i]["keypoints"], rate_set[i]["mask"]) for i in range(len(rate_set))
    )
    if init_from is not None and not (out / "resume.pt").is_file():
        init_weights(model, cls.model_class.load(init_from), init_from, dist.is_main)
    records = list(train_set.records)
    extra_clips = 0
    parts = [rate_set]
    for folder in extra_data:
        extra_set = extra_training_set(folder, train_set, gloss_source)
        extra_clips += len(extra_set)
        records += extra_set.records
        parts.append(AtModelRate(extra_set, rate_set.step))
    if len(parts) > 1:
        rate_set = torch.utils.data.ConcatDataset(parts)
    lengths = [int(r.get("n_frames") or 0) for r in records] if bucket else None

    def loader_for(epoch: int):
        loader = make_loader(rate_set, batch_size, dist, shuffle=True, collate_fn=collate,
                             seed=seed + epoch, lengths=lengths)  # fmt: skip
        if hasattr(loader.sampler, "set_epoch"):
            loader.sampler.set_epoch(epoch)
        return loader

    model = to_processes(model, dist)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.98))
    # the paper's schedule: x0.7 when dev stops improving, down to a fifth of the start
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
        optimizer, factor=0.7, patience=2, min_lr=lr / 5
    )
    per_epoch = min(len(loader_for(0)), max_steps_per_epoch or len(loader_for(0)))
    run = Run(out, Schedule(epochs, steps, eval_every, max_minutes, per_epoch), patience,
              save_minutes, dist,
              model=model, optimizer=optimizer, scheduler=scheduler)  # fmt: skip
    record = RunRecord(
        out, MODULE, argv if argv is not None else sys.argv[1:], stage="text2pose",
        backend=cls.name, label=cls.label, config=config.to_dict(),
        world_size=dist.world_size, device=str(dist.device),
        training={"epochs": epochs, "steps": steps, "steps_per_epoch": per_epoch,
                  "batch_size": batch_size, "lr": lr, "seed": seed, "patience": patience,
                  "eval_every": eval_every, "eval_clips": eval_clips,
                  "max_minutes": max_minutes, "save_minutes": save_minutes,
                  "gloss_source": gloss_source, "bucket": bucket, "init_from": init_from,
                  "recognizer": recognizer, "select": select, "extra_data": extra_data},
        data={"path": data, "trained_on": trained_on, "synthetic": synthetic,
              "train_clips": len(train_set), "extra_clips": extra_clips,
              "vocabulary": len(vocab.glosses),
              "signers": signers, "model_fps": getattr(config, "model_fps", fps),
              **prepared_summary(data)},
    )  # fmt: skip
    run.restore()
    if dist.is_main:
        record.start()
    dev = dev_clips(data, vocab, gloss_source, eval_clips, seed) if dist.is_main else []
    signer = cls(model)
    log, means = LossLog(out), RunningMeans()
    for batch in run.training_batches(loader_for, show_progress):
        model.train()
        loss, parts = model(batch)  # the model's training_loss
        optimizer_step(model, optimizer, loss, dist, clip=5.0)
        means.add(loss=loss.item(), **parts)
        if run.check_due():
            row = means.take(dist)
            if dist.is_main:
                model.eval()
                row.update(evaluate_clips(signer, dev, reader))
            metric = from_main(selection_metric(row, select) if dist.is_main else 0.0, dist)
            scheduler.step(metric)
            run.dev_check(metric, row, model, log, optimizer)
        if run.step_end():
            break
    result = {**run.results(), "dev_clips_evaluated": len(dev), "init_from": init_from,
              "parameters": sum(p.numel() for p in model.parameters()),
              "processes_in_step": in_step(model, dist)}  # fmt: skip
    return run.close(model, record, result, keep_resume)


def main(argv: list[str] | None = None) -> int:
    ap = cli.training_parser("python -m training.train_text2pose", __doc__, epochs=80,
                             steps=None, batch_size=16, lr=1e-3, eval_every=0, patience=8)  # fmt: skip
    ap.add_argument("--backend", required=True,
                    help=f"a learned text2pose backend: {cli.backends_help('text2pose')}")
    ap.add_argument("--eval-clips", type=int, default=48, help="dev clips signed per check")
    ap.add_argument("--gloss-source", choices=("stage", "data"), default="stage",
                    help="glosses from the gloss stage's rules (the app without its gloss memory) "
                         "or the clips' own")
    ap.add_argument("--bucket", action="store_true",
                    help="batches of similar clip lengths (less padding; faster)")
    ap.add_argument("--recognizer", metavar="DIR", default=None,
                    help="a back-translation checkpoint (e.g. checkpoints/recognizer): dev "
                         "checks also report dev_wer")
    ap.add_argument("--extra-data", metavar="DIR", action="append", default=None,
                    help="another prepared folder whose clips (every split) join the training "
                         "set, e.g. the corpus's --mixed gloss sequences (repeatable)")
    ap.add_argument("--select", choices=("dtw", "wer"), default="dtw",
                    help="the dev figure that picks the saved model (wer: needs --recognizer; "
                         "ties broken by DTW)")
    return cli.run_command(ap, argv, train_from_args)


def train_from_args(args) -> None:
    """:func:`train` with the parsed command line."""
    cls = cli.learned_backend("text2pose", args.backend)
    summary = train(args.backend, args.data, args.out, epochs=args.epochs, steps=args.steps,
                    seed=args.seed, batch_size=args.batch_size, lr=args.lr,
                    patience=args.patience, eval_every=args.eval_every,
                    eval_clips=args.eval_clips, max_minutes=args.max_minutes,
                    gloss_source=args.gloss_source,
                    model_config=cli.model_overrides(cls.config_class, args.set),
                    keep_resume=args.keep_resume, show_progress=not args.no_progress,
                    threads=args.threads, init_from=args.init_from, bucket=args.bucket,
                    device=args.device, save_minutes=args.save_minutes,
                    recognizer=args.recognizer, select=args.select,
                    extra_data=args.extra_data, argv=args.argv)  # fmt: skip
    print_summary(summary)


if __name__ == "__main__":
    sys.exit(main())
