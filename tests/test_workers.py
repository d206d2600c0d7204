"""Signing in worker processes (the API's translate): same answer, errors come back, a
dead worker is replaced."""

from __future__ import annotations

import os
import signal
import sys
import types
from pathlib import Path

import pytest

from sign_pipeline import registry
from sign_pipeline.pipeline import PipelineError, SignPipeline
from sign_pipeline.workers import SigningProcesses


@pytest.fixture(scope="module")
def workers():
    w = SigningProcesses(registry.DEFAULT_CHECKPOINTS, processes=1)
    pids = w.warm_up()
    assert pids and os.getpid() not in pids
    yield w
    w.close()


def test_a_worker_signs_what_this_process_signs(workers, tmp_path):
    text = "화장실이 어디예요?"
    video, summary = workers.sign(text, tmp_path, signer=1, text2pose="lexicon",
                                  pose2video="avatar", speed=1.0)  # fmt: skip
    assert video.is_file() and video.parent == tmp_path and video.stat().st_size > 1000
    here = SignPipeline("lexicon", "avatar", checkpoints=registry.DEFAULT_CHECKPOINTS)
    res = here.run(text, signer=1)
    assert summary["gloss"]["glosses"] == res.gloss.glosses
    assert summary["frames"] == res.n_frames


def _kiwi_transformers_and_memory() -> tuple[bool, bool, int]:
    """Run in a worker: whether it created Kiwi, whether it imported transformers, and its
    resident memory in MB."""
    from sign_pipeline.gloss import tokens

    rss = next(int(line.split()[1]) // 1024 for line in open("/proc/self/status")
               if line.startswith("VmRSS"))  # fmt: skip
    return tokens.kiwi_load_seconds() is not None, "transformers" in sys.modules, rss


def test_a_worker_handed_the_glosses_never_loads_kiwi(tmp_path):
    text = "서울역까지 가려면 지하철 몇호선으로 환승 해야하나요?"
    here = SignPipeline("lexicon", "avatar", checkpoints=registry.DEFAULT_CHECKPOINTS)
    gloss = here.glosses(text, "lexicon")
    fresh = SigningProcesses(registry.DEFAULT_CHECKPOINTS, processes=1)  # never given text alone
    try:
        _, summary = fresh.sign(text, tmp_path, signer=1, text2pose="lexicon",
                                pose2video="avatar", speed=1.0, gloss=gloss)  # fmt: skip
        loaded, learned, rss = fresh.pool.submit(_kiwi_transformers_and_memory).result(timeout=60)
    finally:
        fresh.close()
    assert summary["gloss"]["glosses"] == gloss.glosses == here.run(text, signer=1).gloss.glosses
    assert summary["frames"] == here.run(text, signer=1).n_frames
    assert not loaded, "the worker loaded Kiwi although it was handed the glosses"
    # lexicon + avatar need neither the learned models' modules nor transformers (140 MB)
    assert not learned, "the worker imported transformers for the lexicon and the avatar"
    assert rss < 600  # with Kiwi ~960 MB, with transformers ~480, with neither ~375


def test_errors_come_back_and_a_dead_worker_is_replaced(workers, tmp_path):
    with pytest.raises(PipelineError, match="signer"):
        workers.sign("지하철", tmp_path, signer=99)
    for pid in workers.warm_up():
        os.kill(pid, signal.SIGKILL)
    video, _ = workers.sign("지하철", tmp_path, signer=1)
    assert video.is_file()


def _gradio_loaded() -> bool:
    """Run in a worker: whether gradio was imported there."""
    return "gradio" in sys.modules


def test_a_worker_started_by_the_app_does_not_load_gradio(monkeypatch):
    """A spawned worker runs the server's main file again (as ``__mp_main__``): app.py must
    not import gradio at its top, or every worker carries ~1 GB it never uses."""
    app_py = Path(__file__).resolve().parent.parent / "app.py"
    main = types.ModuleType("__main__")
    main.__file__ = str(app_py)  # the workers are started from ``python app.py``
    monkeypatch.setitem(sys.modules, "__main__", main)
    w = SigningProcesses(registry.DEFAULT_CHECKPOINTS, processes=1)
    try:
        assert w.pool.submit(_gradio_loaded).result(timeout=300) is False
        # the worker did run app.py: its command line is there
        assert w.pool.submit(_main_file).result(timeout=60) == str(app_py)
    finally:
        w.close()


def _main_file() -> str | None:
    """Run in a worker: the file its ``__mp_main__`` came from."""
    main = sys.modules.get("__mp_main__")
    return getattr(main, "__file__", None)
