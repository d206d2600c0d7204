"""Which backends exist and which are installed (importable, with their checkpoint present).

A backend is a module of a stage package (``sign_pipeline/text2pose/``, ``.../pose2video/``)
that decorates its class with :func:`register`; the backend's name is the module's file
name, given once. The registry finds backends by importing the stage's modules lazily, so
a missing optional dependency hides one backend (and says why: "needs torch"), not the app.
Modules that register nothing (interfaces, shared drawing code) are not backends.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import pkgutil
from dataclasses import dataclass
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
#: The source checkout (the folder above the package) when run from one.
ROOT = PACKAGE.parent
#: Where ``pip install .`` puts the repository-root files the library ships (pyproject.toml).
INSTALLED_DATA = PACKAGE / "shipped"


def shipped(relative: str) -> Path:
    """A repository-root file or folder the library ships (``"checkpoints"``,
    ``"assets/NanumGothic-subset.woff2"``): the installed copy after ``pip install .``, else
    the source checkout's (a checkout or an editable install has no installed copy)."""
    installed = INSTALLED_DATA / relative
    return installed if installed.exists() else ROOT / relative


#: The shipped checkpoints; ``KSL_CHECKPOINTS`` (or the app/CLI's ``--checkpoints``) picks another folder.
DEFAULT_CHECKPOINTS = shipped("checkpoints")
CHECKPOINTS = Path(os.environ.get("KSL_CHECKPOINTS") or DEFAULT_CHECKPOINTS)

STAGES = ("text2pose", "pose2video")
#: Backends listed first, in this order (the rest follow alphabetically).
PREFERRED_ORDER = {"text2pose": ("lexicon", "tacotron", "progressive"),
                   "pose2video": ("avatar", "edn", "stylegan2")}  # fmt: skip
#: Modules of a stage package that are never backends.
NOT_BACKENDS = frozenset({"base", "learned", "gan"})  # shared helpers of learned backends

_CLASSES: dict[tuple[str, str], type] = {}
_FAILED: dict[tuple[str, str], str] = {}
_SCANNED: set[str] = set()


def register(cls: type) -> type:
    """Class decorator for a backend: stage and name come from the module it is defined in
    (``sign_pipeline/text2pose/lexicon.py`` -> stage "text2pose", name "lexicon")."""
    parts = cls.__module__.split(".")
    if len(parts) < 2 or parts[-2] not in STAGES:
        raise TypeError(f"{cls.__name__}: backends live in sign_pipeline/<stage>/<name>.py")
    stage, name = parts[-2], parts[-1]
    cls.name = name
    if not cls.__dict__.get("label"):
        cls.label = name
    if getattr(cls, "checkpoint", "") == "":  # "" = the default folder, None = no checkpoint
        cls.checkpoint = name
    _CLASSES[(stage, name)] = cls
    return cls


def _why(exc: BaseException) -> str:
    """A one-line reason for an import failure ("needs torch")."""
    if isinstance(exc, ModuleNotFoundError) and exc.name:
        return f"needs {exc.name.split('.')[0]} (pip install -r requirements.txt)"
    return f"{type(exc).__name__}: {exc}"


def _scan(stage: str) -> None:
    """Import every module of a stage package once, recording which failed and why."""
    if stage in _SCANNED:
        return
    if stage not in STAGES:
        raise KeyError(f"unknown stage {stage!r}; stages: {', '.join(STAGES)}")
    package = importlib.import_module(f"sign_pipeline.{stage}")
    for mod in pkgutil.iter_modules(package.__path__):
        if mod.name in NOT_BACKENDS or mod.name.startswith("_") or mod.ispkg:
            continue
        try:
            importlib.import_module(f"sign_pipeline.{stage}.{mod.name}")
        except Exception as exc:  # an optional dependency or a broken file: say which
            _FAILED[(stage, mod.name)] = _why(exc)
    _SCANNED.add(stage)


def _import_one(stage: str, name: str) -> None:
    """Import just the module ``name`` of a stage, when that is a backend's file name: a
    process that asks for one backend by file name (a signing worker) does not import the
    others and their dependencies (transformers for the learned models)."""
    if stage in _SCANNED or (stage, name) in _CLASSES or (stage, name) in _FAILED:
        return
    if stage not in STAGES or name in NOT_BACKENDS or name.startswith("_"):
        return
    if not name.isidentifier():  # a label ("Progressive Transformer"), not a file name
        return
    module = f"sign_pipeline.{stage}.{name}"
    try:
        if importlib.util.find_spec(module) is None:
            return
        importlib.import_module(module)
    except Exception as exc:  # as in _scan: say which dependency is missing
        _FAILED[(stage, name)] = _why(exc)


def resolve(stage: str, name: object) -> str:
    """The backend's file name for what a user typed: its file name or its label, in any case
    (``"Transformer"``, ``"progressive transformer"``, ``"progressive"`` -> ``"progressive"``).
    Unknown names come back unchanged, so :func:`backend_class` can say which exist."""
    text = str(name).strip()
    wanted = " ".join(text.lower().replace("_", " ").replace("-", " ").split())
    _import_one(stage, text)
    if (stage, text) in _CLASSES or (stage, text) in _FAILED:  # a file name: no scan needed
        return text
    _scan(stage)
    for (s, n), cls in _CLASSES.items():
        if s != stage:
            continue
        spellings = {n, cls.label.lower(), *(a.lower() for a in getattr(cls, "aliases", ()))}
        if wanted in spellings:
            return n
    return text


def label(stage: str, name: str) -> str:
    """The name users know a backend by (``"progressive"`` -> ``"Transformer"``)."""
    try:
        return backend_class(stage, resolve(stage, name)).label
    except (KeyError, ImportError):
        return name


def names(stage: str) -> list[str]:
    """Every backend of a stage that exists as a file (installed or not), preferred first."""
    _scan(stage)
    found = {n for s, n in _CLASSES if s == stage} | {n for s, n in _FAILED if s == stage}
    order = PREFERRED_ORDER.get(stage, ())
    return [n for n in order if n in found] + sorted(found - set(order))


@dataclass(frozen=True)
class BackendInfo:
    stage: str
    name: str
    checkpoint: Path | None
    installed: bool
    reason: str
    description: str = ""


def backend_class(stage: str, name: str) -> type:
    """The registered class (KeyError naming the known backends, ImportError saying why)."""
    name = resolve(stage, name)
    if (stage, name) in _CLASSES:
        return _CLASSES[(stage, name)]
    if (stage, name) in _FAILED:
        raise ImportError(f"{stage} backend {name!r} cannot be loaded: {_FAILED[(stage, name)]}")
    _scan(stage)
    known = ", ".join(f"{_CLASSES[(stage, n)].label} ({n})" if (stage, n) in _CLASSES
                      and _CLASSES[(stage, n)].label != n else n for n in names(stage))
    raise KeyError(f"unknown {stage} backend {name!r}; known: {known}")


def info(stage: str, name: str, checkpoints: Path | None = None) -> BackendInfo:
    """Whether a backend can be used, and if not, why."""
    checkpoints = Path(checkpoints) if checkpoints is not None else CHECKPOINTS
    name = resolve(stage, name)
    try:
        cls = backend_class(stage, name)
    except ImportError:
        return BackendInfo(stage, name, None, False, _FAILED[(stage, name)])
    folder = cls.checkpoint
    ckpt = checkpoints / folder if folder else None
    if ckpt is not None and not (ckpt / "config.json").is_file():
        return BackendInfo(stage, name, ckpt, False, f"no checkpoint at {ckpt}", cls.description)
    return BackendInfo(stage, name, ckpt, True, "ok", cls.description)


def available(stage: str, checkpoints: Path | None = None) -> list[str]:
    """Names of the installed backends of a stage, preferred first."""
    return [n for n in names(stage) if info(stage, n, checkpoints).installed]


def load(stage: str, name: str, checkpoints: Path | None = None):
    """Instantiate an installed backend from its checkpoint."""
    name = resolve(stage, name)
    bi = info(stage, name, checkpoints)
    if not bi.installed:
        raise ValueError(f"{stage} backend {name!r} is not installed: {bi.reason}")
    return backend_class(stage, name).from_pretrained(bi.checkpoint)
