"""The server's answer cache: answers served again, and work in flight shared, not repeated."""

from __future__ import annotations

import threading
from pathlib import Path

from ui.serving import AnswerCache

#: Seconds a test waits for another thread before it fails (never slept through).
TIMEOUT = 30


def test_simultaneous_requests_for_one_answer_make_it_once(tmp_path):
    cache = AnswerCache(4)
    video = tmp_path / "a.mp4"
    calls = []

    def make() -> tuple[Path, dict]:
        calls.append(1)
        # the other four ask while this one is making it: they wait for it, not make it
        # again (were they to make it, this would time out with fewer than four waiting)
        if len(calls) == 1:
            assert cache.wait_for_waiters(("k",), 4, timeout=TIMEOUT)
        video.write_bytes(b"mp4")
        return video, {"frames": 10}

    got = []
    threads = [threading.Thread(target=lambda: got.append(cache.fetch(("k",), make)))
               for _ in range(5)]  # fmt: skip
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT)
    assert len(calls) == 1
    assert sorted(shared for _, _, shared in got) == [False, True, True, True, True]
    assert all(v == video and s == {"frames": 10} for v, s, _ in got)
    # another key is made on its own; the first is now served from the cache
    assert cache.fetch(("other",), make)[2] is False and len(calls) == 2
    assert cache.fetch(("k",), make)[2] is True and len(calls) == 2


def test_a_failed_maker_leaves_the_waiters_to_try_themselves(tmp_path):
    cache = AnswerCache(4)
    started = threading.Event()
    calls = []

    def failing() -> tuple[Path, dict]:
        calls.append("fail")
        started.set()
        # fail only once the second request waits for this answer
        assert cache.wait_for_waiters(("k",), 1, timeout=TIMEOUT)
        raise ValueError("no sign")

    def working() -> tuple[Path, dict]:
        calls.append("ok")
        video = tmp_path / "b.mp4"
        video.write_bytes(b"mp4")
        return video, {}

    errors = []

    def first():
        try:
            cache.fetch(("k",), failing)
        except ValueError as exc:
            errors.append(str(exc))

    t = threading.Thread(target=first)
    t.start()
    assert started.wait(TIMEOUT)
    video, _, shared = cache.fetch(("k",), working)  # waits, then makes it itself
    t.join(TIMEOUT)
    assert errors == ["no sign"] and calls == ["fail", "ok"]
    assert shared is False and video.name == "b.mp4"


def test_no_cache_makes_every_answer(tmp_path):
    cache = AnswerCache(0)
    video = tmp_path / "c.mp4"
    video.write_bytes(b"mp4")
    calls = []
    for _ in range(2):
        assert cache.fetch(("k",), lambda: (calls.append(1) or video, {}))[2] is False
    assert len(calls) == 2


def test_an_answer_whose_file_was_cleaned_up_is_made_again(tmp_path):
    cache = AnswerCache(1)
    video = tmp_path / "d.mp4"
    video.write_bytes(b"mp4")
    cache.put(("k",), video, {})
    video.unlink()
    calls = []

    def make():
        calls.append(1)
        video.write_bytes(b"mp4")
        return video, {}

    assert cache.fetch(("k",), make)[2] is False and calls == [1]
