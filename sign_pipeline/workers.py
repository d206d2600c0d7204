"""Signing in worker processes: each loads the pipeline once and signs whole requests.

Threads in one process sign one at a time where it counts: the avatar's drawing and the
frame composition are Python + NumPy under the GIL (40 API requests on this 2-core machine
took 1.5 s each with two threads, against 1.0 s for one alone). Two processes sign two
requests at once. The server keeps the page's streamed runs in its own threads; the
``translate`` API hands its requests here.

    workers = SigningProcesses(checkpoints, processes=2)
    video, summary = workers.sign("화장실이 어디예요?", out_dir=folder, signer=1)
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

_PIPE = None  # the worker process's pipeline (set by _start)


def _start(checkpoints: str | None) -> None:
    """In each new worker: one torch thread (the processes share the cores) and the
    pipeline with its default backends loaded; not Kiwi (the gloss stage runs in the
    server, which has it loaded anyway, and hands the glosses over: 490 MB a worker)."""
    global _PIPE
    parent = os.getppid()

    def leave_with_the_server() -> None:  # a pool worker outlives a killed server otherwise
        while os.getppid() == parent:
            time.sleep(2)
        os._exit(0)

    threading.Thread(target=leave_with_the_server, daemon=True).start()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import torch

    from sign_pipeline.pipeline import SignPipeline

    torch.set_num_threads(1)
    _PIPE = SignPipeline(checkpoints=checkpoints)
    _PIPE.warm_up(gloss=False)  # the server hands each request its glosses: no Kiwi here


def _ready() -> int:
    return os.getpid()


class WorkerError(RuntimeError):
    """An unexpected error in a worker, by its type name and message (any exception can
    cross back to the server this way, whatever its constructor takes)."""


def _sign(text: str, out_dir: str, kwargs: dict) -> tuple[str, dict]:
    from sign_pipeline.pipeline import PipelineError

    try:
        res = _PIPE.run(text, out_dir=Path(out_dir), files="video", **kwargs)
    except PipelineError as exc:
        raise PipelineError(str(exc)) from None
    except Exception as exc:
        raise WorkerError(f"{type(exc).__name__}: {exc}") from None
    return str(res.files["video"]), res.summary()


class SigningProcesses:
    """A pool of ``processes`` workers (spawned, each with its own pipeline)."""

    def __init__(self, checkpoints: str | Path | None, processes: int = 2) -> None:
        if processes < 1:
            raise ValueError(f"processes must be at least 1, got {processes}")
        self.processes = processes
        self.checkpoints = None if checkpoints is None else str(checkpoints)
        self.pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            self.processes, mp_context=multiprocessing.get_context("spawn"),
            initializer=_start, initargs=(self.checkpoints,),
        )  # fmt: skip

    def warm_up(self, timeout: float = 300.0) -> list[int]:
        """Start every worker now (loading takes seconds), not on the first requests;
        returns their process ids."""
        futures: list[Future] = [self.pool.submit(_ready) for _ in range(self.processes * 2)]
        wait(futures, timeout=timeout)
        return sorted({f.result() for f in futures})

    def sign(self, text: str, out_dir: str | Path, **kwargs) -> tuple[Path, dict]:
        """Sign ``text`` in a worker (``kwargs``: signer, speed, text2pose, pose2video,
        taught_only, and ``gloss``: the gloss stage's result, made by the caller so workers
        need not load Kiwi; without it the worker loads Kiwi on its first request): the
        side-by-side mp4 written in ``out_dir`` and the result summary. A
        :class:`~sign_pipeline.pipeline.PipelineError` comes back as itself."""
        try:
            video, summary = self.pool.submit(_sign, text, str(out_dir), kwargs).result()
        except BrokenProcessPool:  # a worker died (killed, out of memory): new ones, once
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = self._new_pool()
            video, summary = self.pool.submit(_sign, text, str(out_dir), kwargs).result()
        return Path(video), summary

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)


__all__ = ["SigningProcesses", "WorkerError"]
