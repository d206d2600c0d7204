"""Run a command under ``torchrun`` with two CPU processes, as the DDP tests do."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_two_processes(args: list[str], timeout: float) -> subprocess.CompletedProcess:
    """``python -m torch.distributed.run --nproc_per_node 2 ARGS`` on a free port; fails the
    test with the lines that say why. A gloo transport abort (SIGABRT in a socket thread, seen
    once on a busy machine) is retried once; any other failure, or the same twice, fails."""
    from benchmarks.load import free_port

    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    for attempt in range(2):
        cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
               "--master_port", str(free_port()), *args]  # fmt: skip
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout,
                              cwd=ROOT)  # fmt: skip
        if proc.returncode == 0 or "SIGABRT" not in proc.stderr or attempt:
            break
    why = [ln for ln in proc.stderr.splitlines()
           if any(w in ln for w in ("what()", "terminate", "Error", "Signal", "rank"))]  # fmt: skip
    assert proc.returncode == 0, "\n".join(why[-30:]) or proc.stderr[-2000:]
    return proc
