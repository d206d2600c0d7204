"""Bad input through the API, on a real server: every endpoint answers with a message, never a
500 or a traceback, the server keeps serving, and a good request afterwards succeeds."""

from __future__ import annotations

import json
import random
import urllib.error
import urllib.request

import pytest

from benchmarks.load import start_server

pytestmark = pytest.mark.slow

GOOD = "화장실이 어디예요?"


def _random_text(rng: random.Random, n: int) -> str:
    """Code points from every plane people type in (no surrogates: UTF-8 cannot carry them)."""
    ranges = [(0x20, 0x7E), (0xA0, 0x2FF), (0x1100, 0x11FF), (0x3130, 0x318F), (0xAC00, 0xD7A3),
              (0x4E00, 0x9FFF), (0x0600, 0x06FF), (0x1F300, 0x1FAFF), (0x0, 0x1F), (0xE000, 0xF8FF),
              (0xFE00, 0xFE0F), (0x200B, 0x200F)]  # fmt: skip
    out = []
    for _ in range(n):
        lo, hi = rng.choice(ranges)
        out.append(chr(rng.randint(lo, hi)))
    return "".join(out)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fuzz_server")
    proc, url, log = start_server(tmp)
    yield url, proc, log
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except Exception:
        proc.kill()


def _call(client, api_name: str, *args, **kwargs) -> str:
    """"ok" or the error message; anything but a served answer or an AppError fails."""
    from gradio_client.exceptions import AppError

    try:
        job = client.submit(*args, api_name=api_name, **kwargs)
        job.result(timeout=180)
        return "ok"
    except AppError as exc:
        message = str(exc)
        assert message.strip(), "an error with no message"
        assert "Traceback" not in message
        return message


def _cases(rng: random.Random) -> list[tuple[str, tuple, dict]]:
    texts = [_random_text(rng, rng.randint(1, 40)) for _ in range(12)]
    texts += [_random_text(rng, 350), "가" * 100_000, "\x00\x07\x1b[31m지하철\r\n\t", "\u202e지하철",
              "지하철" + "\u0301" * 50, "😀" * 10, "<img src=x onerror=alert(1)>", "'; DROP TABLE", ""]  # fmt: skip
    cases = [("/translate", (t,), {}) for t in texts]
    # every installed pair (the default) once; light pairs for the rest (the learned
    # renderers draw at ~15 fps here, and what is checked is the refusal, not the drawing)
    light = {"pairs": ["lexicon + avatar", "progressive + avatar"]}
    cases += [("/compare", (texts[0],), {})]
    cases += [("/compare", (t,), light) for t in texts[1:3] + texts[-6:]]
    wrong = [123, None, ["지하철"], {"a": 1}, 1.5, True]
    cases += [("/translate", (w,), {}) for w in wrong]
    cases += [("/compare", (w,), {}) for w in wrong[:4]]
    cases += [
        ("/translate", ("지하철",), {"signer": s}) for s in ["x", -1, 0, 1.5, [1], {"a": 1}, 10**12, "REAL99"]
    ]  # fmt: skip
    cases += [("/translate", ("지하철",), {"speed": s}) for s in ["fast", None, 1e9, -1, [1], 0]]
    cases += [("/translate", ("지하철",), {"text2pose": b}) for b in ["../../etc/passwd", "", 5, None]]
    cases += [("/translate", ("지하철",), {"pose2video": b}) for b in ["nope", "base", [], "avatar\x00"]]
    cases += [
        ("/compare", ("지하철",), {"pairs": p})
        for p in [["a + b"], "garbage", [1, 2], [["x"]], ["lexicon + nope"], {"k": "v"}, [None]]
    ]  # fmt: skip
    cases += [("/compare", ("지하철",), {"signer": "nobody"}), ("/compare", ("지하철",), {"speed": "x"})]
    rng.shuffle(cases)
    return cases


def test_fuzzed_api_calls_get_messages_and_the_server_keeps_serving(server):
    from gradio_client import Client

    url, proc, log = server
    client = Client(url, verbose=False)
    outcomes = []
    for api_name, args, kwargs in _cases(random.Random(15)):
        outcome = _call(client, api_name, *args, **kwargs)
        outcomes.append((api_name, repr(args)[:40], kwargs, outcome[:80]))
        assert proc.poll() is None, f"the server died on {api_name} {args!r:.60} {kwargs}"
    errors = [o for o in outcomes if o[3] != "ok"]
    assert len(errors) > len(outcomes) // 2, outcomes  # most of these are refused, with reasons
    assert any("at most 300" in o[3] for o in errors)
    assert any("pair" in o[3] for o in errors)
    # the server log: one line per bad call, no traceback
    text = log.read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in text, text[text.find("Traceback") - 200 :][:3000]
    assert text.count("bad translate call") >= 10
    # and a good request afterwards is served
    video, result = client.predict(GOOD, api_name="/translate")
    assert result["gloss"]["glosses"] == ["화장실", "어디"] and result["frames"] > 30
    assert str(video).endswith(".mp4")


def test_malformed_http_bodies_are_refused_without_a_server_error(server):
    url, proc, log = server
    bodies = [b"not json", b"{}", b'{"data": "x"}', b'{"data": [1, 2, 3, 4, 5, 6, 7, 8]}',
              json.dumps({"data": [None] * 2}).encode(), b"[" * 10_000]  # fmt: skip
    for endpoint in ("translate", "compare"):
        for body in bodies:
            req = urllib.request.Request(
                f"{url}gradio_api/call/{endpoint}", data=body,
                headers={"Content-Type": "application/json"}, method="POST",
            )  # fmt: skip
            try:
                with urllib.request.urlopen(req, timeout=30) as r:
                    status = r.status
                    answer = r.read().decode("utf-8", "replace")
            except urllib.error.HTTPError as exc:
                status, answer = exc.code, exc.read().decode("utf-8", "replace")
            assert status < 500, (endpoint, body[:40], status, answer[:300])
            assert "Traceback" not in answer
            if status == 200 and "event_id" in answer:  # accepted: its result is an error
                event = json.loads(answer)["event_id"]
                with urllib.request.urlopen(f"{url}gradio_api/call/{endpoint}/{event}",
                                            timeout=120) as r:  # fmt: skip
                    stream = r.read().decode("utf-8", "replace")
                assert "Traceback" not in stream
    assert proc.poll() is None
