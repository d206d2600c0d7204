"""The one signer registry: ids, readable names, the one-hot the learned models take.

A signer is a number 1..``NUM_SIGNERS`` (16, the skeleton's one-hot size); in data it is
written ``REALnn`` / ``SYNnn`` / ``CROWDnn``. Every count, index, one-hot and menu label of a
signer in the project comes from here (:func:`label` for menus).
Each backend says which ids it knows (:meth:`Text2Pose.signers`, :meth:`Pose2Video.signers`:
the ids its checkpoint was built or trained with, or ``None`` for "any"); the pipeline offers
the ids both chosen backends know, the first of them by default. How a signer *looks* is the
pose-to-video backend's business (the avatar keeps its appearances, keyed by id).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

#: Size of the signer one-hot vector given to every model (AI Hub has up to ~16 signers).
NUM_SIGNERS = 16
ALL_SIGNERS: tuple[int, ...] = tuple(range(1, NUM_SIGNERS + 1))


class SignerError(ValueError):
    """A signer id that is not a number in range, or one the chosen backends do not know."""


def parse_signer(signer: object) -> int:
    """``3``, ``"3"``, ``"REAL03"`` -> 3; anything else is a :class:`SignerError`."""
    if isinstance(signer, bool):
        raise SignerError(f"signer must be a number 1..{NUM_SIGNERS}, got {signer!r}")
    if isinstance(signer, (int, np.integer)):
        number = int(signer)
    elif isinstance(signer, str) and signer.strip().isdigit():
        number = int(signer.strip())
    elif isinstance(signer, str) and signer.strip():
        digits = "".join(ch for ch in signer if ch.isdigit())
        if not digits:
            raise SignerError(f"signer id {signer!r} has no number (expected e.g. REAL03)")
        number = int(digits)
    else:
        raise SignerError(f"signer must be a number 1..{NUM_SIGNERS}, got {signer!r}")
    if not 1 <= number <= NUM_SIGNERS:
        raise SignerError(f"signer {number} is outside 1..{NUM_SIGNERS}")
    return number


def index(signer: object) -> int:
    """The 0-based row of a signer in the one-hot: ``"REAL03"`` -> 2, ``3`` -> 2."""
    return parse_signer(signer) - 1


def code(signer: int) -> str:
    """The data-style id of a signer number: 6 -> ``"REAL06"``."""
    return f"REAL{parse_signer(signer):02d}"


def name(signer: int, description: str | None = None) -> str:
    """Readable name for menus: ``"6 · REAL06"`` or ``"6 · REAL06 · long brown hair"``."""
    n = parse_signer(signer)
    return f"{n} · {code(n)}" + (f" · {description}" if description else "")


def label(signer: object, note: str | None = None) -> str:
    """The one label of a signer in every menu, whatever the backend draws it with:
    ``"1 · REAL01 · short dark hair, blue shirt"``. The words are ``note`` when given (a
    signer trained from someone's own recording says so), else the look of the corpus signer
    with this id, which the avatar draws and the video models learned from."""
    n = parse_signer(signer)
    if not note:
        from sign_pipeline.pose2video.appearances import get_appearance  # it imports this module

        note = get_appearance(n).description
    return name(n, note)


def onehot(signer: int) -> np.ndarray:
    """The float32 one-hot ``[NUM_SIGNERS]`` the learned models are conditioned on."""
    vec = np.zeros(NUM_SIGNERS, np.float32)
    vec[parse_signer(signer) - 1] = 1.0
    return vec


def supported(*known: Iterable[int] | None) -> list[int]:
    """The ids every backend knows (``None`` = any id), sorted."""
    ids = set(ALL_SIGNERS)
    for k in known:
        if k is not None:
            ids &= {parse_signer(s) for s in k}
    return sorted(ids)


def check(signer: object, known: Iterable[int] | None = None) -> int:
    """The signer number, or a :class:`SignerError` naming the ids that can be chosen."""
    n = parse_signer(signer)
    if known is not None:
        ids = sorted(parse_signer(s) for s in known)
        if n not in ids:
            raise SignerError(f"signer {n} is not known to the loaded models; choose one of {ids}")
    return n
