"""The folder of taught signs: one ``.pose`` clip per sign plus ``index.json``.

The folder is ``--signs DIR``, else ``$KSL_SIGNS``, else the user's data folder (outside the
source tree, never under ``checkpoints/``). Every change takes a lock on the folder, writes
to a temporary file and renames it into place, so two people teaching at once, or a crash
mid-write, never leave a broken index or a half-saved sign: a clip is written before the
index names it, and an old clip is removed only after the index stopped naming it.

Clips are stored on a fixed canvas (:data:`CANVAS`: neck at (500, 350) px, one shoulder
width = 200 px, 1000 x 1000), so each file is an ordinary pose-format file that other tools
can open, and reading one back gives the normalised clip (neck 0, shoulder width 1).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .. import skeleton as sk
from .teach import TeachError, check_word, teach_source

INDEX = "index.json"
FORMAT = "ksl-taught-signs/1"
#: (neck x, neck y, pixels per shoulder width, canvas side) of a stored clip
CANVAS = (500.0, 350.0, 200.0, 1000)
LOCK = ".lock"


def default_folder() -> Path:
    """``$KSL_SIGNS`` or the user's data folder for this app."""
    if os.environ.get("KSL_SIGNS"):
        return Path(os.environ["KSL_SIGNS"]).expanduser()
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "ksl-transit-sign" / "signs"


@dataclass(frozen=True)
class TaughtSign:
    """One entry of the index."""

    gloss: str
    file: str
    source: str
    frames: int
    fps: float
    date: str
    #: True when the word is also a built-in (placeholder) gloss that this sign replaces
    replaces_builtin: bool = False

    @property
    def seconds(self) -> float:
        return self.frames / self.fps


def _to_canvas(kp: np.ndarray) -> np.ndarray:
    x, y, scale, _ = CANVAS
    return kp * scale + np.array([x, y], np.float32)


def _from_canvas(kp: np.ndarray) -> np.ndarray:
    x, y, scale, _ = CANVAS
    return (kp - np.array([x, y], np.float32)) / scale


def _write_atomic(path: Path, data: bytes) -> None:
    """``data`` into ``path`` through a temporary file in the same folder and a rename."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _pose_bytes(seq: sk.PoseSequence) -> bytes:
    from ..formats.pose import write_pose

    side = CANVAS[3]
    kp = np.where(seq.mask[..., None], _to_canvas(seq.keypoints), 0.0)
    canvas = sk.PoseSequence(kp, seq.mask, fps=seq.fps, width=side, height=side)
    with tempfile.TemporaryDirectory() as tmp:
        return write_pose(canvas, Path(tmp) / "sign.pose").read_bytes()


class TaughtSigns:
    """The taught signs in ``folder`` (created on the first sign)."""

    def __init__(self, folder: str | Path | None = None) -> None:
        self.folder = Path(folder).expanduser() if folder is not None else default_folder()
        if self.folder.exists() and not self.folder.is_dir():
            raise TeachError(f"{self.folder} is a file, not a folder of taught signs")

    # ------------------------------------------------------------------ reading

    def _read_index(self) -> dict[str, TaughtSign]:
        path = self.folder / INDEX
        if not path.is_file():
            return {}
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            if raw.get("format") != FORMAT:
                raise ValueError(f"format {raw.get('format')!r}, expected {FORMAT!r}")
            return {e["gloss"]: TaughtSign(**e) for e in raw["signs"]}
        except (ValueError, KeyError, TypeError) as exc:
            raise TeachError(f"{path} is not an index of taught signs ({exc})") from None

    def entries(self) -> list[TaughtSign]:
        """Every taught sign, by word."""
        return sorted(self._read_index().values(), key=lambda e: e.gloss)

    def glosses(self) -> set[str]:
        return set(self._read_index())

    def __contains__(self, gloss: object) -> bool:
        return gloss in self._read_index()

    def __len__(self) -> int:
        return len(self._read_index())

    def version(self) -> str:
        """Changes whenever a sign is added, replaced, renamed or removed (answer caches
        key on it)."""
        try:
            st = (self.folder / INDEX).stat()
        except FileNotFoundError:
            return "none"
        return f"{st.st_mtime_ns}-{st.st_size}-{st.st_ino}"

    def get(self, gloss: str) -> TaughtSign:
        entries = self._read_index()
        if gloss not in entries:
            raise TeachError(f"no taught sign for {gloss!r}")
        return entries[gloss]

    def clip(self, gloss: str) -> sk.PoseSequence:
        """The stored clip of ``gloss``, normalised (neck 0, shoulder width 1), own fps."""
        from ..formats.pose import read_pose

        entry = self.get(gloss)
        seq = read_pose(self.folder / entry.file)
        kp = np.where(seq.mask[..., None], _from_canvas(seq.keypoints), 0.0)
        return sk.PoseSequence(kp, seq.mask, fps=seq.fps, meta={"gloss": gloss})

    # ------------------------------------------------------------------ changing

    @contextlib.contextmanager
    def _locked(self) -> Iterator[dict[str, TaughtSign]]:
        """The index under an exclusive lock; what the block leaves in it is written."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / LOCK, "a+b") as handle:
            _lock(handle)
            try:
                entries = self._read_index()
                before = dict(entries)
                yield entries
                if entries != before:
                    self._write_index(entries)
            finally:
                _unlock(handle)

    def _write_index(self, entries: dict[str, TaughtSign]) -> None:
        data = {"format": FORMAT, "note": "Signs taught to the KSL transit app, one .pose each",
                "signs": [asdict(e) for e in sorted(entries.values(), key=lambda e: e.gloss)]}
        _write_atomic(self.folder / INDEX,
                      json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8"))  # fmt: skip

    def _save(self, entries: dict[str, TaughtSign], gloss: str, seq: sk.PoseSequence,
              source: str, replace: bool, builtin: set[str]) -> tuple[TaughtSign, str | None]:
        """Write the clip, enter it; the entry and the file it replaced (removed later)."""
        _refuse_taken(gloss, set(entries), replace, builtin)
        stamp = dt.datetime.now(dt.UTC)
        digest = hashlib.sha1(gloss.encode("utf-8")).hexdigest()[:10]
        name = f"{digest}-{stamp.strftime('%Y%m%d%H%M%S%f')}.pose"
        _write_atomic(self.folder / name, _pose_bytes(seq))
        old = entries.get(gloss)
        entries[gloss] = TaughtSign(gloss, name, source, len(seq), float(seq.fps),
                                    stamp.isoformat(timespec="seconds"), gloss in builtin)
        return entries[gloss], (old.file if old is not None else None)

    def add(self, source: str | Path, gloss: str, replace: bool = False,
            builtin: set[str] | None = None, fps: float = 30.0) -> TaughtSign:  # fmt: skip
        """Teach ``gloss`` from a video, ``.pose`` file or OpenPose folder. ``builtin``: the
        glosses that have a placeholder sign (taught over only with ``replace``)."""
        gloss = check_word(gloss)
        builtin = set(builtin or ())
        _refuse_taken(gloss, self.glosses(), replace, builtin)  # before the slow extraction
        seq = teach_source(source, fps)
        return self.add_clip(seq, gloss, Path(source).name, replace, builtin)

    def add_clip(self, seq: sk.PoseSequence, gloss: str, source: str, replace: bool = False,
                 builtin: set[str] | None = None) -> TaughtSign:  # fmt: skip
        """Store an already prepared (normalised, trimmed) clip."""
        gloss = check_word(gloss)
        with self._locked() as entries:
            entry, replaced = self._save(entries, gloss, seq, source, replace, set(builtin or ()))
        self._remove_files([replaced] if replaced else [])
        return entry

    def remove(self, gloss: str) -> TaughtSign:
        with self._locked() as entries:
            if gloss not in entries:
                raise TeachError(f"no taught sign for {gloss!r}")
            old = entries.pop(gloss)
        self._remove_files([old.file])
        return old

    def rename(self, old: str, new: str) -> TaughtSign:
        new = check_word(new)
        with self._locked() as entries:
            if old not in entries:
                raise TeachError(f"no taught sign for {old!r}")
            if new in entries:
                raise TeachError(f"{new!r} is already taught; remove it first")
            e = entries.pop(old)
            entries[new] = TaughtSign(new, e.file, e.source, e.frames, e.fps, e.date,
                                      e.replaces_builtin)  # fmt: skip
        return entries[new]

    def _remove_files(self, names: list[str]) -> None:
        for name in names:
            with contextlib.suppress(FileNotFoundError):
                (self.folder / name).unlink()

    # ------------------------------------------------------------------ sharing

    def export(self, path: str | Path) -> int:
        """Every taught sign into one zip (index + clips); the number of signs."""
        path = Path(path)
        if path.suffix.lower() != ".zip":
            raise TeachError(f"{path}: the export is a .zip file")
        entries = self.entries()
        buffer = tempfile.SpooledTemporaryFile()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr(INDEX, json.dumps({"format": FORMAT, "signs": [asdict(e) for e in entries]},
                                         ensure_ascii=False, indent=1))  # fmt: skip
            for e in entries:
                z.write(self.folder / e.file, e.file)
        buffer.seek(0)
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_atomic(path, buffer.read())
        return len(entries)

    def import_zip(self, path: str | Path, replace: bool = False) -> list[TaughtSign]:
        """Add the signs of an export; nothing is added unless all of them can be."""
        clips = _read_export(Path(path))
        with self._locked() as entries:
            clash = sorted(g for g in clips if g in entries)
            if clash and not replace:
                raise TeachError(f"already taught: {', '.join(clash)}; add --replace to take "
                                 "the imported signs instead")  # fmt: skip
            saved = [self._save(entries, g, seq, e.source, True,
                                {g} if e.replaces_builtin else set())
                     for g, (e, seq) in sorted(clips.items())]  # fmt: skip
        self._remove_files([old for _, old in saved if old])
        return [entry for entry, _ in saved]


def _refuse_taken(gloss: str, taught: set[str], replace: bool, builtin: set[str]) -> None:
    """TeachError when ``gloss`` already has a sign and ``replace`` was not asked for."""
    if replace:
        return
    if gloss in taught:
        raise TeachError(f"{gloss!r} is already taught; add --replace to record it again")
    if gloss in builtin:
        raise TeachError(f"{gloss!r} has a built-in placeholder sign; add --replace to sign it "
                         "with yours instead")  # fmt: skip


def _read_export(path: Path) -> dict[str, tuple[TaughtSign, sk.PoseSequence]]:
    """The signs of an export zip, every clip read; TeachError if it is not one."""
    from ..formats.pose import read_pose

    if not path.is_file():
        raise TeachError(f"{path}: no such file")
    try:
        with zipfile.ZipFile(path) as z:
            raw = json.loads(z.read(INDEX).decode("utf-8"))
            if not isinstance(raw, dict) or raw.get("format") != FORMAT:
                raise ValueError("its index is not one of taught signs")
            out = {}
            with tempfile.TemporaryDirectory() as tmp:
                for item in raw["signs"]:
                    e = TaughtSign(**item)
                    check_word(e.gloss)
                    clip_path = Path(tmp) / "clip.pose"
                    clip_path.write_bytes(z.read(e.file))
                    seq = read_pose(clip_path)
                    kp = np.where(seq.mask[..., None], _from_canvas(seq.keypoints), 0.0)
                    out[e.gloss] = (e, sk.PoseSequence(kp, seq.mask, fps=seq.fps))
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError) as exc:
        raise TeachError(f"{path.name} is not an export of taught signs ({exc})") from None
    if not out:
        raise TeachError(f"{path.name} holds no taught signs")
    return out


def _lock(handle) -> None:
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import msvcrt

        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_LOCK, 1)
    else:
        import fcntl

        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)


def _unlock(handle) -> None:
    if sys.platform == "win32":  # pragma: no cover
        import msvcrt

        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
