"""What a training run leaves beside its weights, written by code, never by hand:
``training.json`` (the exact command line, the resolved config, a data summary, the git
commit, start/end time and the final metrics) and a model card ``README.md`` made from it.

    record = RunRecord(out, "training.train_recognizer", argv, backend="recognizer", ...)
    record.start()                         # training.json as soon as the run begins
    ...
    record.finish(stopped_by="patience", best={...}, ...)   # training.json + README.md

``python -m training.record DIR`` writes DIR/README.md again from DIR/training.json (the
shipped checkpoints' cards are made so).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

STAGES = {
    "text2pose": "text-to-pose model: glosses, question/negation marks and a signer id in, "
                 "body, hand and face keypoints out",
    "pose2video": "pose-to-video model: keypoints (drawn as a stick figure) and a signer id "
                  "in, video frames out",
    "recognizer": "back-translation recogniser: keypoints in, glosses out (CTC); it is used "
                  "to measure generated signing (gloss WER), not by the app",
}  # fmt: skip

SYNTHETIC = ("the synthetic demo corpus made by `python -m training.corpus` (placeholder sign "
             "forms, not validated Korean Sign Language): a demonstration, not a model of real "
             "signing")  # fmt: skip


def utc_now() -> str:
    """The time now, UTC, to the second (ISO 8601)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def git_commit(root: Path = ROOT) -> dict:
    """The checkout's commit and whether it had uncommitted changes (None outside git)."""
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                                text=True, timeout=10, check=True).stdout.strip()  # fmt: skip
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=root, capture_output=True, text=True, timeout=20,
                               check=True).stdout.strip() != ""  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "uncommitted_changes": None}
    return {"commit": commit, "uncommitted_changes": dirty}


def command_line(module: str, argv: list[str]) -> str:
    """The command as typed: ``python -m MODULE ARGS`` (``torchrun`` when under it)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    head = (f"torchrun --nproc_per_node {world} -m {module}" if world > 1
            else f"python -m {module}")  # fmt: skip
    return " ".join([head, *(shlex.quote(a) for a in argv)])


def out_resumed(out: Path) -> bool:
    """Whether a run in ``out`` continues an earlier one (its ``resume.pt`` is there)."""
    return (Path(out) / "resume.pt").is_file()


def prepared_summary(data: str | os.PathLike) -> dict:
    """Counts from a prepared dataset's ``summary.json`` (empty when it has none)."""
    try:
        s = json.loads((Path(data) / "summary.json").read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return {"all_clips": s.get("clips"), "all_frames": s.get("frames"),
            "all_signers": s.get("n_signers"), "all_glosses": s.get("n_glosses"),
            "splits": s.get("splits")}  # fmt: skip


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "item") and callable(value.item):  # numpy / torch scalars
        return value.item()
    return value


class RunRecord:
    """``training.json`` + ``README.md`` of one run in ``out`` (see the module docstring).

    ``stage``: "text2pose", "pose2video" or "recognizer"; ``training``: the resolved
    training options; ``config``: the model's config (as in config.json); ``data``: what
    it trained on (path, trained_on, synthetic, counts)."""

    def __init__(self, out: str | os.PathLike, module: str, argv: list[str], *, stage: str,
                 backend: str, label: str, training: dict, config: dict, data: dict,
                 world_size: int = 1, device: str = "cpu") -> None:  # fmt: skip
        self.out = Path(out)
        self.path = self.out / "training.json"
        self.record = {
            "command": command_line(module, list(argv)),
            "argv": list(argv),
            "stage": stage,
            "backend": backend,
            "label": label,
            "training": _jsonable(training),
            "config": _jsonable(config),
            "data": _jsonable(data),
            "git": git_commit(),
            "processes": int(world_size),
            "device": device,
            "started": utc_now(),
            "ended": None,
            "status": "running",
        }

    def start(self) -> None:
        """Write ``training.json`` as the run begins (it also marks ``out`` as this
        command's: see :func:`training.cli.claim_out_dir`); a resumed run keeps the first
        start time and the earlier command lines."""
        try:
            before = json.loads(self.path.read_text("utf-8"))
        except (OSError, ValueError):
            before = {}
        if before.get("status") in ("running", "finished") and (out_resumed(self.out)):
            self.record["first_started"] = before.get("first_started") or before.get("started")
            earlier = list(before.get("earlier_commands", []))
            if before.get("command") and before.get("command") != self.record["command"]:
                earlier.append(before["command"])
            self.record["earlier_commands"] = earlier
        self._write()

    def finish(self, **result) -> dict:
        """Add the end time and the results, write ``training.json`` and ``README.md``."""
        self.record.update(_jsonable(result))
        self.record.update(ended=utc_now(), status="finished")
        self._write()
        (self.out / "README.md").write_text(model_card(self.record), "utf-8")
        return self.record

    def _write(self) -> None:
        self.out.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".json.tmp")
        self.record = _jsonable(self.record)
        tmp.write_text(json.dumps(self.record, ensure_ascii=False, indent=1), "utf-8")
        os.replace(tmp, self.path)


# ---------------------------------------------------------------------------- model card


def _figure(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _table(rows: dict) -> list[str]:
    if not rows:
        return []
    lines = ["| | |", "| --- | --- |"]
    lines += [f"| {k} | {_figure(v)} |" for k, v in rows.items() if v is not None]
    return lines + [""]


def model_card(record: dict) -> str:
    """The model card (Markdown) of a ``training.json`` record."""
    label, backend = record.get("label") or record.get("backend"), record.get("backend")
    stage = record.get("stage", "")
    data = record.get("data") or {}
    synthetic = data.get("synthetic")
    lines = [f"# {label} ({backend})", ""]
    lines += [f"A {STAGES.get(stage, stage + ' model')}.", ""]
    lines += ["## Trained on", ""]
    if synthetic:
        lines += [f"{SYNTHETIC[0].upper()}{SYNTHETIC[1:]}.", ""]
    elif data.get("trained_on"):
        lines += [f"{data['trained_on']}.", ""]
    lines += _table({k: v for k, v in data.items() if k not in ("trained_on", "synthetic")})
    lines += ["## Command", "", "```", record.get("command", "(not recorded)"), "```", ""]
    for note in record.get("earlier_commands", []):
        lines += [f"Before it: `{note}`", ""]
    lines += ["## Training", ""]
    facts = {"started": record.get("started"), "ended": record.get("ended"),
             "processes": record.get("processes"), "device": record.get("device"),
             "git commit": (record.get("git") or {}).get("commit")}  # fmt: skip
    facts.update(record.get("training") or {})
    lines += _table(facts)
    lines += ["## Results", ""]
    results = {k: v for k, v in record.items() if k in RESULT_KEYS}
    lines += _table(results)
    for key in ("best", "final"):
        if record.get(key):
            lines += [f"{key.capitalize()} dev check:", ""] + _table(record[key])
    lines += ["## Where these figures come from", ""]
    lines += [record.get("provenance") or (
        "Written by the training command itself at the end of the run (`training.json` in "
        "this folder); the curves are `losses.csv` / `losses.png`."), ""]  # fmt: skip
    config = record.get("config") or {}
    if config:
        shown = {k: v for k, v in config.items()
                 if k not in ("glosses", "placements", "signer_notes", "architectures",
                              "transformers_version")}  # fmt: skip
        lines += ["## Model config", "", "```json", json.dumps(shown, ensure_ascii=False),
                  "```", ""]  # fmt: skip
    return "\n".join(lines)


#: The result fields shown in a card's table (the rest are in training.json).
RESULT_KEYS = ("stopped_by", "epochs_run", "steps", "seconds", "minutes", "parameters",
               "best_dev_dtw", "best_dev_wer", "best_dev_ssim", "best_train_l1",
               "processes_in_step")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m training.record",
                                 description="Write a checkpoint's README.md (model card) "
                                 "from its training.json.")  # fmt: skip
    ap.add_argument("folders", nargs="+", metavar="DIR")
    args = ap.parse_args(argv)
    for folder in map(Path, args.folders):
        try:
            record = json.loads((folder / "training.json").read_text("utf-8"))
        except (OSError, ValueError) as exc:
            print(f"error: {folder}: no readable training.json ({exc})", file=sys.stderr)
            return 2
        (folder / "README.md").write_text(model_card(record), "utf-8")
        print(f"wrote {folder / 'README.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
