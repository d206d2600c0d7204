"""Signing in worker processes (the API's translate): same answer, errors come back, a
dead worker is replaced."""

from __future__ import annotations

import os
import signal

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


def test_errors_come_back_and_a_dead_worker_is_replaced(workers, tmp_path):
    with pytest.raises(PipelineError, match="signer"):
        workers.sign("지하철", tmp_path, signer=99)
    for pid in workers.warm_up():
        os.kill(pid, signal.SIGKILL)
    video, _ = workers.sign("지하철", tmp_path, signer=1)
    assert video.is_file()
