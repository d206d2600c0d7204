"""Progressive Transformers / seed text2keypoint files: ``{split}.skels/.gloss/.files(/.text)``.

Parallel text files, one sequence per line. A ``.skels`` line is every frame of a
sequence concatenated, each frame ``D`` joint values followed by one counter value:

- seed KSL files: ``D = 254`` (the 127-point layout, x/y interleaved), counter ``i / (N-1)``;
- PHOENIX14T files: ``D = 150`` (50 joints x 3D), counter ``i / N``.

``D`` is detected from the line length (a multiple of 255 or 151 values). ``.gloss`` holds
the gloss sequence, ``.files`` the source name and the optional ``.text`` the spoken
sentence of each line. Values are written with 9 significant digits, which round-trips
float32 exactly.

Units: the seed wrote image units, ``x / 2048`` and ``y / 1152`` (:data:`SEED_SCALE`, the
same 16:9 aspect as 1920x1080 video); a missing point is ``(0, 0)``.
:func:`skels_keypoints` turns a D=254 line back into the 127-point layout with the picture's
aspect restored, ready for :func:`sign_pipeline.skeleton.normalize`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sign_pipeline import skeleton
from sign_pipeline.formats import FormatError

#: Joint values per frame (without the counter) of the known ``.skels`` variants.
KSL_DIM = 254
PHOENIX_DIM = 150
KNOWN_DIMS = (KSL_DIM, PHOENIX_DIM)
#: The seed's image units: x / 2048, y / 1152 (16:9, like 1920x1080 video).
SEED_SCALE = skeleton.SEED_SCALE


@dataclass
class SkelsSequence:
    """One line of a ``.skels`` split: ``values [T, D]``, ``counter [T]`` and its texts."""

    values: np.ndarray
    counter: np.ndarray
    gloss: str
    name: str
    text: str | None = None

    @property
    def dim(self) -> int:
        return int(self.values.shape[1])


def looks_like_image_units(keypoints: np.ndarray, mask: np.ndarray) -> bool:
    """True when the detected coordinates lie in 0..1 (image units, as the seed wrote them).

    Keypoints already in a body-centred frame (neck at 0) have about half their x values
    negative, so the 1st percentile tells the two apart.
    """
    values = np.asarray(keypoints)[np.asarray(mask, bool)]
    if values.size == 0:
        return True
    low, high = np.percentile(values, [1, 99])
    return bool(low >= -0.1 and high <= 1.1)


def skels_keypoints(
    seq: SkelsSequence, frame_size: tuple[float, float] = SEED_SCALE
) -> tuple[np.ndarray, np.ndarray, str]:
    """A D=254 line -> (keypoints [T, 127, 2], mask [T, 127], units).

    Image units (:func:`looks_like_image_units`) are multiplied by ``frame_size`` (the
    seed's 2048x1152 by default) so x and y have the picture's aspect again; ``units`` is
    then ``"image"``, otherwise ``"as given"`` and the values are kept. ``(0, 0)`` and NaN
    are missing (mask False, coordinates 0). Raises :class:`FormatError` for another D.
    """
    if seq.dim != KSL_DIM:
        raise FormatError(
            f"{seq.name}: D={seq.dim} (e.g. PHOENIX 50 joints x 3D) does not fit the "
            f"127-point layout (needs D={KSL_DIM})"
        )
    kp = skeleton.unflatten(np.asarray(seq.values, np.float32)).copy()
    mask = skeleton.missing_mask(kp)
    kp = np.nan_to_num(kp)
    units = "as given"
    if looks_like_image_units(kp, mask):
        kp *= np.asarray(frame_size, np.float32)
        units = "image"
    kp[~mask] = 0.0
    return kp, mask, units


def make_counter(n_frames: int, dim: int = KSL_DIM) -> np.ndarray:
    """The progress counter of a sequence: ``i/(N-1)`` for D=254 (seed), ``i/N`` for D=150."""
    i = np.arange(n_frames, dtype=np.float64)
    if dim == PHOENIX_DIM:
        return (i / n_frames).astype(np.float32)
    return (i / max(n_frames - 1, 1)).astype(np.float32)


def skels_paths(prefix: str | os.PathLike) -> dict[str, Path]:
    """``data/train`` (or ``data/train.skels``) -> the four file paths of that split."""
    prefix = Path(prefix)
    if prefix.suffix in (".skels", ".gloss", ".files", ".text"):
        prefix = prefix.with_suffix("")
    return {
        ext: prefix.with_name(prefix.name + "." + ext)
        for ext in ("skels", "gloss", "files", "text")
    }


def _looks_like_counter(counter: np.ndarray) -> bool:
    return bool(
        counter.size > 0
        and np.all(np.diff(counter) >= -1e-6)
        and counter[0] >= -1e-6
        and counter[-1] <= 1 + 1e-6
    )


def _detect_dim(values: np.ndarray, path: Path, line_no: int, dim: int | None) -> int:
    n = values.size
    candidates = [dim] if dim is not None else list(KNOWN_DIMS)
    fits = [d for d in candidates if n % (d + 1) == 0 and n > 0]
    if not fits:
        if dim is not None:
            raise FormatError(
                f"{path} line {line_no}: {n} values is not a multiple of {dim + 1} "
                f"(D={dim} joint values + 1 counter per frame)"
            )
        raise FormatError(
            f"{path} line {line_no}: {n} values is a multiple of neither 255 (D=254 joint "
            "values + counter, KSL 127-point layout) nor 151 (D=150 + counter, PHOENIX14T)"
        )
    if len(fits) > 1:  # both divide: keep the one whose last column is a counter
        good = [d for d in fits if _looks_like_counter(values.reshape(-1, d + 1)[:, -1])]
        fits = good or fits
    return fits[0]


def _count_lines(path: Path) -> int:
    count, last = 0, b"\n"
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            count += chunk.count(b"\n")
            last = chunk[-1:]
    return count + (last != b"\n")


def _text_lines(path: Path) -> Iterator[str]:
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                yield line.rstrip("\n").rstrip("\r")
    except UnicodeDecodeError as err:
        raise FormatError(f"{path}: not UTF-8 text ({err.reason})") from None


def iter_skels(prefix: str | os.PathLike, dim: int | None = None) -> Iterator[SkelsSequence]:
    """Stream one split line by line (memory stays at one sequence); see :func:`read_skels`."""
    paths = skels_paths(prefix)
    for ext in ("skels", "gloss", "files"):
        if not paths[ext].is_file():
            raise FormatError(
                f"{paths[ext]}: missing (a .skels split needs .skels, .gloss, .files)"
            )
    exts = ["skels", "gloss", "files"] + (["text"] if paths["text"].is_file() else [])
    try:
        counts = {ext: _count_lines(paths[ext]) for ext in exts}
    except OSError as err:
        raise FormatError(f"{paths['skels']}: cannot read the split ({err})") from None
    if len(set(counts.values())) != 1:
        listing = ", ".join(f"{paths[k].name}: {v}" for k, v in counts.items())
        raise FormatError(
            f"{paths['skels']}: the split files have different line counts ({listing})"
        )
    readers = [_text_lines(paths[ext]) for ext in exts]
    first_dim: int | None = None
    for i, lines in enumerate(zip(*readers, strict=True)):
        line, gloss, name = lines[0], lines[1], lines[2]
        try:
            values = np.array(line.split(), dtype=np.float64)
        except ValueError as err:
            raise FormatError(f"{paths['skels']} line {i + 1}: not a number ({err})") from None
        if values.size == 0:
            raise FormatError(f"{paths['skels']} line {i + 1}: empty line (no frames)")
        d = _detect_dim(values, paths["skels"], i + 1, dim)
        if first_dim is None:
            first_dim = d
        elif d != first_dim:
            raise FormatError(
                f"{paths['skels']} line {i + 1}: {values.size} values fit D={d} but line 1 "
                f"has D={first_dim} (every line of a split must have the same D)"
            )
        frames = values.reshape(-1, d + 1).astype(np.float32)
        yield SkelsSequence(
            values=frames[:, :d],
            counter=frames[:, d],
            gloss=gloss,
            name=name,
            text=lines[3] if len(lines) > 3 else None,
        )


def read_skels(prefix: str | os.PathLike, dim: int | None = None) -> list[SkelsSequence]:
    """Read one split (``prefix.skels`` + ``.gloss`` + ``.files``, ``.text`` if present).

    ``dim`` forces D; by default D is detected from the line length (254 or 150) and
    every line must agree with line 1. Raises :class:`FormatError` naming the file and
    line on a length that fits no D, a D that changes between lines, non-numbers, or split
    files with different numbers of lines.
    """
    return list(iter_skels(prefix, dim))


def _format_line(values: np.ndarray, counter: np.ndarray) -> str:
    frames = np.concatenate([values, counter[:, None]], axis=1).astype(np.float32)
    flat = frames.reshape(-1).astype(np.float64).tolist()
    return ("%.9g " * len(flat)).rstrip() % tuple(flat)


def write_skels(
    prefix: str | os.PathLike, sequences: Iterable[SkelsSequence], write_text: bool | None = None
) -> dict[str, Path]:
    """Write one split; returns the paths written.

    A sequence whose ``counter`` is None gets :func:`make_counter` for its D. ``.text`` is
    written when ``write_text`` is True, or (None) when any sequence has a text. Every
    sequence must have the same D. Gloss, file name and text must be single lines.
    """
    paths = skels_paths(prefix)
    seqs = list(sequences)
    dims = {int(np.asarray(s.values).shape[1]) for s in seqs}
    if len(dims) > 1:
        raise ValueError(f"all sequences of a split need the same D, got {sorted(dims)}")
    if write_text is None:
        write_text = any(s.text is not None for s in seqs)
    for s in seqs:
        for label, value in (("gloss", s.gloss), ("name", s.name), ("text", s.text or "")):
            if "\n" in value:
                raise ValueError(f"{label} of {s.name!r} must be one line, got {value!r}")
    paths["skels"].parent.mkdir(parents=True, exist_ok=True)
    written = {}
    with open(paths["skels"], "w", encoding="utf-8") as f:
        for s in seqs:
            values = np.asarray(s.values, np.float32)
            if values.ndim != 2 or len(values) == 0:
                raise ValueError(f"values of {s.name!r} must be [T>0, D], got {values.shape}")
            counter = s.counter
            if counter is None:
                counter = make_counter(len(values), values.shape[1])
            counter = np.asarray(counter, np.float32).reshape(-1)
            if len(counter) != len(values):
                raise ValueError(
                    f"counter of {s.name!r} has {len(counter)} frames, values {len(values)}"
                )
            f.write(_format_line(values, counter) + "\n")
    written["skels"] = paths["skels"]
    texts = {"gloss": [s.gloss for s in seqs], "files": [s.name for s in seqs]}
    if write_text:
        texts["text"] = [s.text or "" for s in seqs]
    for ext, lines in texts.items():
        paths[ext].write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        written[ext] = paths[ext]
    return written
