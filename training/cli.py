"""The command line every training command shares (``train_text2pose``, ``train_pose2video``,
``train_recognizer``), after nanoGPT's configurator: defaults in the command, then a config
file, then flags and ``--set NAME=VALUE`` on the command line; the resolved values are saved
with the run (``training.json``, see :mod:`training.record`).

    ap = training_parser("python -m training.train_x", __doc__, epochs=60, lr=2e-3)
    ap.add_argument("--only-mine", ...)          # the command's own flags
    return run_command(ap, argv, train_from_args)   # --config FILE under the flags;
    overrides = model_overrides(ConfigClass, args.set)   # checked names and types

Shared flags (the same name means the same thing in every command):

``--data DIR`` a folder written by ``training.prepare``; ``--out DIR`` the checkpoint folder
(refused when it holds files this command did not write); ``--config FILE`` JSON or TOML
with any of these flags (``batch_size = 8``) and a ``[model]`` table of hyper-parameters;
``--init-from DIR`` start from a checkpoint; ``--epochs N`` passes over the training data;
``--steps N`` optimiser updates (the run stops at whichever comes first); ``--batch-size``;
``--lr``; ``--seed``; ``--max-minutes``; ``--threads``; ``--device auto|cpu|cuda``;
``--eval-every N`` optimiser steps between dev checks (0: at the end of every epoch);
``--patience N`` dev checks without improvement before stopping (0: never stop early);
``--save-minutes`` how often ``resume.pt`` is written; ``--no-progress``; ``--keep-resume``.

Bad input is a :class:`UsageError`; :func:`run_command` prints it and returns exit code 2.
Flags renamed when the commands took one convention keep working, with a note, as
:data:`DEPRECATED` says.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

#: Flags renamed when the commands were given one convention: old spelling -> new.
DEPRECATED = {"--batch": "--batch-size"}

#: Model config values a training command takes from the data (never from ``--set``).
FROM_DATA = {"glosses", "signers", "fps", "trained_on", "synthetic", "placements",
             "signer_notes", "num_points", "num_signers", "layout", "num_features"}  # fmt: skip


class UsageError(SystemExit):
    """Bad input to a training command: printed as ``error: ...``, exit code 2 (a
    SystemExit, so a script calling ``train()`` stops with the message, not a traceback)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.code = 2


def run_command(
    ap: argparse.ArgumentParser,
    argv: Sequence[str] | None,
    train: Callable[[argparse.Namespace], object],
) -> int:
    """Parse ``argv`` (:func:`parse_args`) and run ``train(args)``; bad input (a
    :class:`UsageError`, a missing file, a value a config refuses) is one line on stderr
    and exit code 2, never a traceback."""
    try:
        train(parse_args(ap, argv))
    except (UsageError, FileNotFoundError, NotADirectoryError, ValueError, KeyError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"error: {message}", file=sys.stderr)
        return 2
    return 0


# ---------------------------------------------------------------------------- the parser


class _Deprecated(argparse.Action):
    """An old flag spelling: stores into the new flag's value and says so once."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        new = DEPRECATED.get(option_string, option_string)
        print(f"note: {option_string} is deprecated, use {new}", file=sys.stderr)
        setattr(namespace, self.dest, values)


def training_parser(
    prog: str,
    doc: str | None,
    *,
    epochs: int | None,
    steps: int | None,
    batch_size: int,
    lr: float,
    eval_every: int,
    patience: int,
    save_minutes: float = 0.0,
    data_required: bool = True,
) -> argparse.ArgumentParser:
    """An ArgumentParser with the shared flags (see the module docstring); the defaults
    given are the command's own."""
    ap = argparse.ArgumentParser(prog=prog, description=(doc or "").split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    ap.add_argument("--data", required=data_required, metavar="DIR",
                    help="a folder written by training.prepare")  # fmt: skip
    ap.add_argument("--out", required=True, metavar="DIR",
                    help="checkpoint folder (new, empty, or one this command wrote)")  # fmt: skip
    ap.add_argument("--config", metavar="FILE", help="JSON or TOML file with any of these "
                    "flags (batch_size = 8) and a [model] table; flags override it")  # fmt: skip
    ap.add_argument("--init-from", metavar="DIR", help="start from this checkpoint (fine-tune)")
    ap.add_argument("--epochs", type=int, default=epochs,
                    help=f"passes over the training data (default {epochs})")  # fmt: skip
    ap.add_argument("--steps", type=int, default=steps,
                    help=f"optimiser updates; stops at whichever comes first (default {steps})")
    ap.add_argument("--batch-size", type=int, default=batch_size)
    ap.add_argument("--batch", dest="batch_size", type=int, action=_Deprecated,
                    help=argparse.SUPPRESS)  # fmt: skip
    ap.add_argument("--lr", type=float, default=lr, help="learning rate")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-minutes", type=float, default=None,
                    help="stop after this much training (resume.pt is kept)")  # fmt: skip
    ap.add_argument("--threads", type=int, default=None, help="torch threads per process")
    ap.add_argument("--device", default="auto",
                    help="auto (a GPU when there is one), cpu, cuda or cuda:N")  # fmt: skip
    ap.add_argument("--eval-every", type=int, default=eval_every,
                    help="optimiser steps between dev checks; 0: at the end of every epoch")
    ap.add_argument("--patience", type=int, default=patience,
                    help="dev checks without improvement before stopping (0: never)")  # fmt: skip
    ap.add_argument("--save-minutes", type=float, default=save_minutes,
                    help="write resume.pt at most this often (0: at every chance)")  # fmt: skip
    ap.add_argument("--no-progress", action="store_true", help="no progress bar")
    ap.add_argument("--keep-resume", action="store_true", help="keep resume.pt at the end")
    ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                    help="a model hyper-parameter (JSON value), e.g. --set hidden=128; "
                    "an unknown name or a wrong type is an error")  # fmt: skip
    return ap


def read_config_file(path: str | os.PathLike) -> dict:
    """A ``--config`` file: JSON (``.json``) or TOML (anything else), a table of values."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"--config {path}: no such file")
    text = path.read_text("utf-8")
    try:
        if path.suffix.lower() == ".json":
            values = json.loads(text)
        else:
            import tomllib

            values = tomllib.loads(text)
    except ValueError as exc:  # JSONDecodeError, TOMLDecodeError
        raise UsageError(f"--config {path}: not valid {'JSON' if path.suffix == '.json' else 'TOML'}"
                         f": {exc}") from None  # fmt: skip
    if not isinstance(values, dict):
        raise UsageError(f"--config {path}: expected a table of NAME = VALUE")
    return values


def parse_args(ap: argparse.ArgumentParser, argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse ``argv`` with the values of ``--config FILE`` as the defaults (so flags win).

    The file's keys are flag names (``batch_size`` or ``batch-size``); its ``model`` table
    goes before any ``--set``. ``args.config_values`` keeps what the file said; an unknown
    key is an error naming the known ones."""
    argv = list(sys.argv[1:] if argv is None else argv)
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--config")
    first, _ = pre.parse_known_args(argv)
    file_values: dict = {}
    if first.config:
        file_values = read_config_file(first.config)
        known = {a.dest for a in ap._actions if a.dest not in ("help", "config", "set")}
        flags = {k.replace("-", "_"): v for k, v in file_values.items() if k != "model"}
        unknown = sorted(set(flags) - known)
        if unknown:
            raise UsageError(f"--config {first.config}: unknown setting(s) {', '.join(unknown)} "
                             f"(known: {', '.join(sorted(known))}, and a [model] table)")  # fmt: skip
        model = file_values.get("model", {})
        if not isinstance(model, dict):
            raise UsageError(f"--config {first.config}: 'model' must be a table of NAME = VALUE")
        ap.set_defaults(**flags)
        for action in ap._actions:  # a required flag the file gives is no longer required
            if action.dest in flags:
                action.required = False
    args = ap.parse_args(argv)
    model = file_values.get("model", {})
    args.set = [f"{k}={json.dumps(v)}" for k, v in model.items()] + list(args.set)
    args.config_values = file_values
    args.argv = argv
    for name in ("epochs", "steps", "batch_size", "eval_every", "patience"):
        value = getattr(args, name, None)
        if value is not None and value < (1 if name in ("batch_size",) else 0):
            raise UsageError(f"--{name.replace('_', '-')} {value}: must be "
                             f"{'positive' if name == 'batch_size' else 'zero or more'}")  # fmt: skip
    if args.lr is not None and not args.lr > 0:
        raise UsageError(f"--lr {args.lr}: must be positive")
    return args


# ---------------------------------------------------------------------------- --set


def config_fields(config_class: type) -> dict[str, str]:
    """The hyper-parameters ``--set`` may change: the config's constructor arguments (its
    own and its bases' up to the shared base), less those the data decides; name -> type
    ("int", "float", "bool", "str", "list", "any")."""
    fields: dict[str, str] = {}
    for cls in config_class.__mro__:
        init = cls.__dict__.get("__init__")
        if init is None or cls.__module__.startswith("transformers"):
            continue
        for name, p in inspect.signature(init).parameters.items():
            if name == "self" or p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL) or name in fields:
                continue
            if name in FROM_DATA:
                continue
            fields[name] = _kind(p)
    return fields


def _kind(p: inspect.Parameter) -> str:
    text = str(p.annotation)
    for kind in ("bool", "list", "Sequence", "tuple", "int", "float", "str"):
        if kind in text:
            return {"Sequence": "list", "tuple": "list"}.get(kind, kind)
    if p.default is not inspect.Parameter.empty and p.default is not None:
        return {bool: "bool", int: "int", float: "float", str: "str",
                list: "list", tuple: "list"}.get(type(p.default), "any")  # fmt: skip
    return "any"


def _fits(value: object, kind: str) -> bool:
    if kind == "any":
        return True
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "float":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "list":
        return isinstance(value, list | tuple)
    return isinstance(value, str)


def model_overrides(config_class: type, items: Sequence[str]) -> dict:
    """``NAME=VALUE`` items (a JSON value, else the text) as config keyword arguments,
    checked by :func:`check_model_config`; a malformed item is a :class:`UsageError`."""
    values = {}
    for item in items:
        name, eq, text = item.partition("=")
        name = name.strip().replace("-", "_")
        if not eq or not name:
            raise UsageError(f"--set {item!r}: expected NAME=VALUE (hidden=128)")
        try:
            values[name] = json.loads(text)
        except ValueError:
            values[name] = text
    return check_model_config(config_class, values)


def check_model_config(config_class: type, values: dict) -> dict:
    """``values`` when every name is a hyper-parameter of ``config_class`` and every value
    of its type; else a :class:`UsageError` naming the known ones (a typo would otherwise
    train with the default, silently)."""
    fields = config_fields(config_class)
    for name, value in values.items():
        if name not in fields:
            known = ", ".join(f"{k} ({v})" for k, v in sorted(fields.items()))
            raise UsageError(f"--set {name}={json.dumps(value)}: {config_class.__name__} has no "
                             f"{name!r} (known: {known})")  # fmt: skip
        if not _fits(value, fields[name]):
            raise UsageError(f"--set {name}={json.dumps(value)}: {name} takes a value of type "
                             f"{fields[name]}, not {value!r}")  # fmt: skip
    return dict(values)


def build_config(config_class: type, overrides: dict, **from_data):
    """``config_class(**from_data, **overrides)``; a value the config refuses (a size that
    does not fit its channels, say) is a :class:`UsageError`."""
    try:
        return config_class(**from_data, **overrides)
    except (ValueError, TypeError) as exc:
        raise UsageError(f"--set: {config_class.__name__} refuses these values: {exc}") from None


# ---------------------------------------------------------------------------- inputs


def check_data(data: str | os.PathLike, flag: str = "--data") -> Path:
    """``--data``: a folder with the ``manifest.jsonl`` of ``training.prepare``."""
    path = Path(data)
    if not path.is_dir():
        raise UsageError(f"{flag} {path}: no such folder (make one with python -m "
                         "training.prepare --out DIR ...)")  # fmt: skip
    if not (path / "manifest.jsonl").is_file():
        raise UsageError(f"{flag} {path}: no manifest.jsonl (not a folder written by "
                         "python -m training.prepare)")  # fmt: skip
    return path


def check_device(device: str | None) -> str:
    """``--device``: "auto" -> "cuda" when a GPU is there, else "cpu"; "cuda" without one
    is a :class:`UsageError`."""
    import torch

    device = (device or "auto").strip().lower()
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cpu":
        return device
    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            raise UsageError(f"--device {device}: no CUDA GPU on this machine (use --device cpu)")
        index = device.partition(":")[2]
        if index and (not index.isdigit() or int(index) >= torch.cuda.device_count()):
            raise UsageError(f"--device {device}: this machine has "
                             f"{torch.cuda.device_count()} GPU(s)")  # fmt: skip
        return device
    raise UsageError(f"--device {device}: expected auto, cpu, cuda or cuda:N")


def check_checkpoint(path: str | os.PathLike | None, flag: str = "--init-from") -> Path | None:
    """A checkpoint folder given on the command line: it must hold a ``config.json``."""
    if path is None:
        return None
    folder = Path(path)
    if not (folder / "config.json").is_file():
        raise UsageError(f"{flag} {folder}: not a checkpoint (no config.json in it)")
    return folder


def claim_out_dir(out: str | os.PathLike, module: str) -> Path:
    """``--out``: a new or empty folder, or one this command wrote before (its
    ``training.json`` names ``module``, or it holds a ``resume.pt``). A folder holding
    anything else is refused: the run would overwrite files it did not make."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: a file, not a folder")
    if not out.is_dir() or not any(out.iterdir()):
        return out
    if (out / "resume.pt").is_file():
        return out
    record = out / "training.json"
    if record.is_file():
        try:
            command = json.loads(record.read_text("utf-8")).get("command", "")
        except (OSError, ValueError, AttributeError):
            command = ""
        if module in command:
            return out
        raise UsageError(f"--out {out}: holds the run of another command ({command or 'unknown'}"
                         "); choose a new folder")  # fmt: skip
    raise UsageError(f"--out {out}: the folder holds files this command did not write (no "
                     "training.json of its own); choose a new or empty folder")  # fmt: skip


def trainable_backends(stage: str) -> list[tuple[str, str]]:
    """(file name, label) of the backends of ``stage`` that bring a model to train."""
    from sign_pipeline import registry

    out = []
    for name in registry.names(stage):
        try:
            cls = registry.backend_class(stage, name)
        except (KeyError, ImportError):
            continue
        if hasattr(cls, "model_class") and hasattr(cls, "config_class"):
            out.append((name, cls.label))
    return out


def backends_help(stage: str) -> str:
    """"progressive (Transformer), tacotron (Tacotron)": for ``--backend``'s help."""
    return ", ".join(f"{n} ({label})" if label != n else n for n, label in trainable_backends(stage))


def learned_backend(stage: str, name: str) -> type:
    """The backend class for ``--backend NAME`` (a file name or a label, any case); a
    :class:`UsageError` names the trainable ones when it is unknown or has no model."""
    from sign_pipeline import registry

    try:
        cls = registry.backend_class(stage, registry.resolve(stage, name))
    except ImportError as exc:
        raise UsageError(f"--backend {name}: {exc}") from None
    except KeyError:
        cls = None
    if cls is None or not hasattr(cls, "model_class"):
        raise UsageError(f"--backend {name}: not a {stage} backend with a model to train; "
                         f"trainable: {backends_help(stage)}")  # fmt: skip
    return cls
