"""Concurrent API users against a fresh server: is everyone served, how long, how much memory.

    python -m benchmarks.load [--users 8] [--requests 5] [--memory-after 100]
        [--timeout 120] [--max-seconds 900] [--no-cache] [--processes N]
        [--url http://127.0.0.1:7860/]

Starts ``app.py`` on 127.0.0.1 (a free port, its own temporary folder) unless ``--url`` is
given, times requests of one user alone (median of 3 after a warm-up), then runs ``--users`` gradio_client users at once, each
sending ``--requests`` ``translate`` calls (default backends, the page's example sentences
in turn). Prints successes, p50/p95 latency and p95 / single-request, the server's memory
(RSS and PSS, with its signing worker processes) after the first request and after ``--memory-after`` requests in all (more rounds of
the same users are sent until then; 0 skips it), and the size of the server's temporary
files. Every request has a timeout and the whole run a deadline.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sign_pipeline.gloss.examples import SHOWCASE as EXAMPLES

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class LoadResult:
    """Latencies of the served requests (seconds) and the errors of the others."""

    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def sent(self) -> int:
        return len(self.latencies) + len(self.errors)

    def percentile(self, q: float) -> float:
        xs = sorted(self.latencies)
        if not xs:
            return float("nan")
        return xs[min(len(xs) - 1, max(0, round(q / 100 * len(xs) + 0.5) - 1))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(
    tmp: Path, timeout: float = 240, args: Sequence[str] = ()
) -> tuple[subprocess.Popen, str, Path]:
    """``app.py`` on a free port with its temporary files under ``tmp``, given ``args``;
    waits until it serves."""
    port = free_port()
    env = dict(os.environ, PYTHONUNBUFFERED="1", GRADIO_ANALYTICS_ENABLED="False",
               TMPDIR=str(tmp), GRADIO_TEMP_DIR=str(tmp / "gradio"))  # fmt: skip
    log_path = tmp / "server.log"
    proc = subprocess.Popen(
        [sys.executable, "app.py", "--port", str(port), *args],
        cwd=ROOT, env=env, stdout=open(log_path, "w"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"app.py exited: {log_path.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return proc, url, log_path
        except OSError:
            time.sleep(1)
    proc.kill()
    raise RuntimeError(f"app.py did not start within {timeout:.0f} s")


def wait_for_log(log_path: Path, needles: Sequence[str], timeout: float) -> bool:
    """Wait until the server's log says one of ``needles`` (False after ``timeout`` s)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        text = log_path.read_text(errors="replace") if log_path.is_file() else ""
        if any(n in text for n in needles):
            return True
        time.sleep(0.5)
    return False


def _children(pid: int) -> list[int]:
    kids = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            kids += [int(k) for k in (task / "children").read_text().split()]
        except OSError:
            pass
    return kids


def rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants (the signing workers, ffmpeg)
    (Linux /proc), MB: pages the processes share (torch's libraries) count once per process."""
    return _tree_mb(pid, "status", "VmRSS:")


def pss_mb(pid: int) -> float:
    """Proportional memory of a process and its descendants, MB: each shared page divided
    among the processes that map it, so the sum is what they hold together."""
    return _tree_mb(pid, "smaps_rollup", "Pss:")


def _tree_mb(pid: int, table: str, field: str) -> float:
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        try:
            for line in Path(f"/proc/{p}/{table}").read_text().splitlines():
                if line.startswith(field):
                    total += int(line.split()[1]) / 1024
        except OSError:  # it ended meanwhile
            continue
        todo += _children(p)
    return total if total else float("nan")


def _memory(pid: int) -> str:
    return f"RSS {rss_mb(pid):.0f} MB, PSS {pss_mb(pid):.0f} MB"


def folder_mb(path: Path) -> tuple[int, float]:
    files = [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else []
    return len(files), sum(p.stat().st_size for p in files) / 1e6


def run_load(
    url: str, users: int, requests: int, timeout: float = 120, deadline: float | None = None
) -> LoadResult:
    """``users`` threads, each its own gradio_client, each sending ``requests`` translate calls."""
    from gradio_client import Client

    result = LoadResult()
    lock = threading.Lock()
    clients = [Client(url, verbose=False) for _ in range(users)]

    def user(i: int) -> None:
        for j in range(requests):
            if deadline is not None and time.time() > deadline:
                with lock:
                    result.errors.append("not sent: past the run's deadline")
                continue
            text = EXAMPLES[(i * requests + j) % len(EXAMPLES)]
            t0 = time.perf_counter()
            try:
                job = clients[i].submit(text, api_name="/translate")
                video, summary = job.result(timeout=timeout)
                assert summary["frames"] > 0, summary
                with lock:
                    result.latencies.append(time.perf_counter() - t0)
            except Exception as exc:  # counted and printed, the run goes on
                with lock:
                    result.errors.append(f"{type(exc).__name__}: {exc}"[:200])

    threads = [threading.Thread(target=user, args=(i,)) for i in range(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--users", type=int, default=8)
    ap.add_argument("--requests", type=int, default=5, help="per user")
    ap.add_argument("--memory-after", type=int, default=100,
                    help="measure memory after this many requests in all (0: skip)")  # fmt: skip
    ap.add_argument("--timeout", type=float, default=120, help="seconds per request")
    ap.add_argument("--max-seconds", type=float, default=900, help="deadline of the whole run")
    ap.add_argument("--url", default=None, help="use a running server instead of starting one")
    ap.add_argument("--no-cache", action="store_true",
                    help="start the server with --cache 0 (every request signed anew)")  # fmt: skip
    ap.add_argument("--processes", type=int, default=None,
                    help="the server's --processes (default: its own default)")  # fmt: skip
    args = ap.parse_args()
    deadline = time.time() + args.max_seconds

    with tempfile.TemporaryDirectory(prefix="ksl_load_") as tmp_name:
        tmp = Path(tmp_name)
        proc = None
        if args.url:
            url = args.url
        else:
            t0 = time.perf_counter()
            server_args = ["--cache", "0"] if args.no_cache else []
            if args.processes is not None:
                server_args += ["--processes", str(args.processes)]
            proc, url, log = start_server(tmp, args=server_args)
            print(f"server up in {time.perf_counter() - t0:.1f} s at {url}")
            # the GAN signers are timed in the background after start: not during the runs
            ready = wait_for_log(log, ("signers ready", "could not time"), 180)
            print(f"signers {'ready' if ready else 'not ready after 180 s'} at "
                  f"{time.perf_counter() - t0:.1f} s")  # fmt: skip
        try:
            single = run_load(url, 1, 4, args.timeout, deadline)  # warm-up + three timed
            if len(single.latencies) < 2:
                print(f"the server answers nothing: {single.errors[:3]}")
                return 1
            base = statistics.median(single.latencies[1:])
            mem_first = rss_mb(proc.pid) if proc else float("nan")
            print(f"single request (median of 3, one user): {base:.2f} s; server memory: "
                  f"{_memory(proc.pid) if proc else 'n/a'}")  # fmt: skip
            t0 = time.perf_counter()
            load = run_load(url, args.users, args.requests, args.timeout, deadline)
            wall = time.perf_counter() - t0
            served = len(load.latencies)
            print(
                f"{args.users} users x {args.requests} requests: {served}/{load.sent} served "
                f"in {wall:.1f} s; p50 {load.percentile(50):.2f} s, p95 "
                f"{load.percentile(95):.2f} s = {load.percentile(95) / base:.1f}x the single "
                f"request; max {max(load.latencies, default=float('nan')):.2f} s"
            )
            cores = os.cpu_count() or 1
            print(f"throughput {served / wall:.2f} requests/s = "
                  f"{served / wall / (cores / base):.2f}x of {cores} cores / single request")  # fmt: skip
            for err in sorted(set(load.errors))[:5]:
                print(f"  error: {err}")
            total = single.sent + load.sent
            more = LoadResult()
            while args.memory_after and total < args.memory_after and time.time() < deadline:
                n = min(args.requests, -(-(args.memory_after - total) // args.users))
                batch = run_load(url, args.users, n, args.timeout, deadline)
                more.latencies += batch.latencies
                more.errors += batch.errors
                total += batch.sent
            for err in sorted(set(more.errors))[:5]:
                print(f"  error (memory rounds): {err}")
            if args.memory_after and proc:
                print(
                    f"server memory after {total} requests: {_memory(proc.pid)} "
                    f"(RSS +{rss_mb(proc.pid) - mem_first:.0f} MB); those rounds: "
                    f"{len(more.latencies)}/{more.sent} served"
                )
            if proc:
                n_out, mb_out = folder_mb(tmp / "ksl_app_outputs")
                n_cache, mb_cache = folder_mb(tmp / "gradio")
                print(f"temporary files: app runs {n_out} files {mb_out:.1f} MB, gradio cache "
                      f"{n_cache} files {mb_cache:.1f} MB")  # fmt: skip
            return 0 if not load.errors and not more.errors else 1
        finally:
            if proc:
                proc.terminate()
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()


if __name__ == "__main__":
    sys.exit(main())
