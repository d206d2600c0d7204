"""Which backends exist and which are installed (importable, with their checkpoint present).

A backend file registers its class with :func:`register`; the registry imports the known
backend modules lazily so that a missing optional dependency hides one backend, not the app.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHECKPOINTS = ROOT / "checkpoints"

#: stage -> backend name -> (module, checkpoint folder name or None)
KNOWN: dict[str, dict[str, tuple[str, str | None]]] = {
    "text2pose": {
        "lexicon": ("sign_pipeline.text2pose.lexicon", "lexicon"),
        "tacotron": ("sign_pipeline.text2pose.tacotron", "tacotron"),
        "progressive": ("sign_pipeline.text2pose.progressive", "progressive"),
    },
    "pose2video": {
        "avatar": ("sign_pipeline.pose2video.avatar", None),
        "edn": ("sign_pipeline.pose2video.edn", "edn"),
        "stylegan2": ("sign_pipeline.pose2video.stylegan2", "stylegan2"),
    },
}

_CLASSES: dict[tuple[str, str], type] = {}


def register(stage: str, name: str):
    """Class decorator: ``@register("text2pose", "lexicon")``."""

    def deco(cls):
        _CLASSES[(stage, name)] = cls
        return cls

    return deco


@dataclass(frozen=True)
class BackendInfo:
    stage: str
    name: str
    checkpoint: Path | None
    installed: bool
    reason: str
    description: str = ""


def _load_class(stage: str, name: str) -> type:
    if (stage, name) not in _CLASSES:
        module, _ = KNOWN[stage][name]
        importlib.import_module(module)
    return _CLASSES[(stage, name)]


def info(stage: str, name: str, checkpoints: Path = CHECKPOINTS) -> BackendInfo:
    if stage not in KNOWN:
        raise KeyError(f"unknown stage {stage!r}; stages: {', '.join(KNOWN)}")
    if name not in KNOWN[stage]:
        raise KeyError(f"unknown {stage} backend {name!r}; known: {', '.join(KNOWN[stage])}")
    _, folder = KNOWN[stage][name]
    ckpt = checkpoints / folder if folder else None
    try:
        cls = _load_class(stage, name)
    except ImportError as exc:
        return BackendInfo(stage, name, ckpt, False, f"not importable: {exc}")
    if ckpt is not None and not (ckpt / "config.json").is_file():
        return BackendInfo(stage, name, ckpt, False, f"no checkpoint at {ckpt}", cls.description)
    return BackendInfo(stage, name, ckpt, True, "ok", cls.description)


def available(stage: str, checkpoints: Path = CHECKPOINTS) -> list[str]:
    """Names of the installed backends of a stage, in the order of KNOWN."""
    return [n for n in KNOWN[stage] if info(stage, n, checkpoints).installed]


def load(stage: str, name: str, checkpoints: Path = CHECKPOINTS):
    """Instantiate an installed backend from its checkpoint."""
    bi = info(stage, name, checkpoints)
    if not bi.installed:
        raise ValueError(f"{stage} backend {name!r} is not installed: {bi.reason}")
    return _load_class(stage, name).from_pretrained(bi.checkpoint)
