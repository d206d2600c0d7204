"""Serving many people from one small machine: run folders, work slots, the answer cache,
handing memory back. Nothing here knows the page's layout or imports gradio."""

from __future__ import annotations

import ctypes
import math
import shutil
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from pathlib import Path

from sign_pipeline import registry
from sign_pipeline.pipeline import PipelineError

OUT_ROOT = Path(tempfile.gettempdir()) / "ksl_app_outputs"
#: Run folders kept (oldest removed first): temporary files stay bounded under load.
KEEP_RUNS = 48
#: Gradio's own cache (files it copies to serve): cleaned every 10 min of files over 10 min old.
DELETE_CACHE = (600, 600)
MAX_CHARS = 300
#: Signing work (a pipeline stage, a comparison's pair) runs in at most this many threads at
#: once, whatever asked for it: the machine has 2 cores.
WORK_SLOTS = 2
WORK = threading.BoundedSemaphore(WORK_SLOTS)
#: A backend slower than real time (a GAN: seconds per clip) signs in this one slot of its
#: own, so heavy requests queue behind each other, never in front of light ones.
HEAVY = threading.BoundedSemaphore(1)
#: Requests in progress at once per event; they wait for a work slot, so an answer from the
#: cache or a bad call's message never waits behind signing. Comparisons run one at a time
#: in their own queue and take one work slot per pair, so a long comparison never blocks
#: sentences.
CONCURRENCY = 8
#: Frames per streamed piece for a backend slower than real time (half a second at 30 fps).
STREAM_CHUNK = 15
#: Spare time for encoding the pieces when deciding how much to draw ahead (10%).
ENCODE_SPARE = 1.1


#: A new piece is shown when the player is predicted to be this close to the end of the
#: one it has (seconds), or when the drawn part has doubled.
LEAD_S = 0.5


class PieceSchedule:
    """When the page shows the next piece of a signer being drawn: the first once
    :func:`first_piece` frames are drawn, then whenever the drawn part has doubled or the
    player (playing since the first piece) is within :data:`LEAD_S` of the end of what it
    has, and once more when the whole clip is drawn (pieces cost a file copy:
    :class:`~sign_pipeline.render.GrowingMp4`)."""

    def __init__(self, n_frames: int, ms_per_frame: float | None, fps: float,
                 chunk: int = STREAM_CHUNK) -> None:  # fmt: skip
        self.n_frames, self.fps = n_frames, fps
        self.first = first_piece(n_frames, ms_per_frame, fps, chunk)
        self.shown = 0
        self.started: float | None = None

    def due(self, done: int, now: float) -> bool:
        """Whether to show a piece now that ``done`` frames are drawn (``now``: seconds)."""
        if done < self.first or done <= self.shown:
            return False
        if self.started is None or done >= self.n_frames:
            return True
        played = (now - self.started) * self.fps
        return done >= 2 * self.shown or played >= self.shown - LEAD_S * self.fps

    def mark(self, frames: int, now: float) -> None:
        """A piece of ``frames`` frames was shown at ``now``."""
        if self.started is None:
            self.started = now
        self.shown = frames


def first_piece(n_frames: int, ms_per_frame: float | None, fps: float,
                chunk: int = STREAM_CHUNK) -> int:  # fmt: skip
    """Frames drawn before the page shows the first piece of a streamed signer: one piece
    when the renderer keeps up with the clip's frame rate (or has not been timed yet); else
    enough that the rest is drawn before the player gets there, so it never waits."""
    if not ms_per_frame or ms_per_frame <= 0:
        return min(chunk, n_frames)
    ahead = 1.0 - 1000.0 / (fps * ms_per_frame)  # the share of the clip to draw first
    return min(n_frames, max(chunk, math.ceil(ENCODE_SPARE * ahead * n_frames)))


def new_run_dir(root: Path | None = None) -> Path:
    """A fresh folder for one run's files under ``root`` (default :data:`OUT_ROOT`); the
    oldest are removed beyond :data:`KEEP_RUNS` (only run folders this module made)."""
    root = OUT_ROOT if root is None else root
    root.mkdir(parents=True, exist_ok=True)
    runs = sorted((p for p in root.iterdir() if p.name.startswith("run_")),
                  key=lambda p: p.stat().st_mtime)  # fmt: skip
    for old in runs[: max(0, len(runs) - KEEP_RUNS + 1)]:
        shutil.rmtree(old, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix="run_", dir=root))


def validate_text(text: object) -> str:
    """The sentence, or PipelineError with a message for the user."""
    if not isinstance(text, str):
        raise PipelineError("Please type a Korean sentence (text).")
    if not text.strip():
        raise PipelineError("The sentence is empty: please type a Korean sentence.")
    if len(text) > MAX_CHARS:
        raise PipelineError(
            f"The sentence has {len(text)} characters; at most {MAX_CHARS} can be signed at "
            "once. Please split it."
        )
    return text


class AnswerCache:
    """The last ``size`` translate answers by (sentence, signer, backends, speed): a station
    page asks the same few sentences over and over, and an answer already made is served
    without signing it again. Bounded; an entry whose file was cleaned up is made again.

    :meth:`fetch` also shares work in flight: a request for an answer that another request
    is making right now waits for that one instead of signing the same sentence twice (when
    the maker fails, the next waiter makes it and gets its own error)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[tuple, tuple[Path, dict]] = OrderedDict()
        self._making: dict[tuple, threading.Event] = {}
        self._waiters: dict[tuple, int] = {}
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)  # a waiter came or went
        self.hits = self.misses = 0

    def _get(self, key: tuple) -> tuple[Path, dict] | None:
        """The entry if its file still exists (call holding the lock)."""
        item = self._items.get(key)
        if item is not None and item[0].is_file():
            self._items.move_to_end(key)
            self.hits += 1
            return item
        self.misses += 1
        return None

    def put(self, key: tuple, video: Path, summary: dict) -> None:
        """Keep an answer (the oldest goes beyond ``size``)."""
        if self.size <= 0:
            return
        with self._lock:
            self._items[key] = (video, summary)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def wait_for_waiters(self, key: tuple, n: int, timeout: float) -> bool:
        """Block until ``n`` requests wait for the answer to ``key`` being made (False after
        ``timeout`` s): lets a test or a benchmark know that work in flight is shared."""
        with self._changed:
            return self._changed.wait_for(lambda: self._waiters.get(key, 0) >= n, timeout)

    def _wait(self, key: tuple, event: threading.Event, wait_s: float) -> None:
        """Wait for another request making ``key`` (counted while it waits)."""
        with self._changed:
            self._waiters[key] = self._waiters.get(key, 0) + 1
            self._changed.notify_all()
        try:
            event.wait(wait_s)
        finally:
            with self._changed:
                self._waiters[key] -= 1
                if not self._waiters[key]:
                    del self._waiters[key]

    def fetch(
        self, key: tuple, make: Callable[[], tuple[Path, dict]], wait_s: float = 300.0
    ) -> tuple[Path, dict, bool]:
        """The cached answer (``True``), or ``make()``'s, made once for all who ask at the
        same time (``False`` for the maker, ``True`` for those who waited for it)."""
        if self.size <= 0:
            return (*make(), False)
        while True:
            with self._lock:
                item = self._get(key)
                if item is not None:
                    return (*item, True)
                event = self._making.get(key)
                maker = event is None
                if maker:
                    event = self._making[key] = threading.Event()
            if not maker:
                self._wait(key, event, wait_s)  # then look again: made, or failed (make it)
                continue
            try:
                video, summary = make()
                self.put(key, video, summary)
                return video, summary, False
            finally:
                with self._lock:
                    self._making.pop(key, None)
                event.set()


def slots_for(pose2video: object) -> threading.BoundedSemaphore:
    """The work slots a request with this pose-to-video backend signs in (:data:`HEAVY` for
    one slower than real time, else :data:`WORK`); takes a file name or a label."""
    try:
        name = registry.resolve("pose2video", str(pose2video))
        heavy = registry.backend_class("pose2video", name).streams
    except (ImportError, KeyError):  # an unknown name: the pipeline says so, in a light slot
        heavy = False
    return HEAVY if heavy else WORK


def one_slot_per_step(steps: Iterator, slots: threading.BoundedSemaphore = WORK) -> Iterator:
    """Yield from ``steps``, computing each item while holding one of ``slots`` (released
    between items, so an abandoned generator never keeps one)."""
    while True:
        with slots:
            try:
                item = next(steps)
            except StopIteration:
                return
        yield item


def release_memory() -> None:
    """Hand freed memory back to the system after a request: each holds a few hundred MB of
    frames, and glibc otherwise keeps it in per-thread arenas (the server grew ~350 MB over
    100 requests without this)."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to do
        pass
