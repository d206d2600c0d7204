"""The page in a real browser (Debian chromium via Playwright) and the API via gradio_client.

Both talk to a server this module starts on 127.0.0.1. Screenshots go to
``screenshots/`` (git-ignored) so a person can look at them.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from sign_pipeline import registry

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    info = registry.info("text2pose", "lexicon", registry.DEFAULT_CHECKPOINTS)
    assert info.installed, f"the shipped checkpoint is missing: {info.reason}"
    port = _free_port()
    env = dict(os.environ, PYTHONUNBUFFERED="1", GRADIO_ANALYTICS_ENABLED="False")
    log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"ksl_app_test_{port}.log"
    log = open(log_path, "w")
    proc = subprocess.Popen(
        [sys.executable, "app.py", "--port", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 180
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"app.py exited: {log_path.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            time.sleep(1)
    else:
        proc.kill()
        raise RuntimeError("app.py did not start within 180 s")
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


# ---------------------------------------------------------------------------- API


def test_api_translate_with_the_sentence_alone_and_after_bad_input(server):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    client = Client(server, verbose=False)
    for bad, needle in [
        ("", "empty"),
        ("   ", "empty"),
        ("가" * 10_000, "at most 300"),
        ("🙂🙂🙂", "emoji: not signed"),
        ("<script>alert(1)</script>", "no visible characters"),
        ("\x00\x01\x02", "no visible characters"),
        ("hello world", "Latin letters have no sign"),
    ]:
        with pytest.raises(AppError) as err:
            client.predict(bad, api_name="/translate")
        assert needle in str(err.value)
    with pytest.raises(AppError, match="signer 42 is outside 1..16"):
        client.predict("지하철", signer=42, api_name="/translate")
    with pytest.raises(AppError, match=r"signer 9 is not known .*choose one of \[1, 2, 3, 4\]"):
        client.predict("지하철", signer=9, api_name="/translate")
    with pytest.raises(AppError, match="nope"):
        client.predict("지하철", text2pose="nope", api_name="/translate")
    # the server keeps serving: a good request after the bad ones
    video, result = client.predict("지하철 환풍구에 가방이 빠졌어요!", api_name="/translate")
    path = video if isinstance(video, str) else video.get("video") or video.get("path")
    assert Path(path).is_file() and Path(path).stat().st_size > 10_000
    assert result["gloss"]["glosses"]
    assert " ".join(result["gloss"]["glosses"]) == "지하철 환풍구 가방 빠지다"
    sources = {item["source"] for item in result["gloss"]["items"]}
    assert sources == {"lexicon"}
    assert result["frames"] > 30


# ---------------------------------------------------------------------------- browser


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed")
def test_page_in_a_real_browser(server):
    from playwright.sync_api import sync_playwright

    if SHOTS.exists():
        shutil.rmtree(SHOTS)
    SHOTS.mkdir()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        page = browser.new_page(viewport={"width": 1280, "height": 1400})
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto(server, wait_until="domcontentloaded")
        page.wait_for_selector("#sentence textarea", timeout=60_000)
        assert "placeholders" in page.inner_text("#notice")
        page.fill("#sentence textarea", "지하철 환풍구에 가방이 빠졌어요!")
        page.click("#go")
        page.wait_for_selector("#glosses .gloss-chip", timeout=60_000)
        glosses = page.get_attribute("#glosses .gloss-line", "data-glosses")
        assert glosses == "지하철 환풍구 가방 빠지다"
        _wait_videos_playable(page)
        page.screenshot(path=str(SHOTS / "01_signed.png"), full_page=True)
        first_src = page.get_attribute("#signer_video video", "src")

        # switch the signer: the sentence is signed again by another person
        page.click("#signer input")
        page.locator("ul[role=listbox] li").nth(1).click()
        page.wait_for_function(
            "src => { const v = document.querySelector('#signer_video video');"
            " return v && v.getAttribute('src') && v.getAttribute('src') !== src; }",
            arg=first_src,
            timeout=90_000,
        )
        _wait_videos_playable(page)
        # no stale downloads of the previous run next to the new videos
        # (one snapshot of the page: status and downloads change in the same update)
        assert page.evaluate(
            "() => { const d = document.querySelector('#downloads');"
            " const shown = d && d.offsetParent !== null && d.getClientRects().length > 0;"
            " return document.querySelector('#status').innerText.startsWith('Done') || !shown; }"
        )
        page.screenshot(path=str(SHOTS / "02_other_signer.png"), full_page=True)

        # a fingerspelled name and the downloads
        page.fill("#sentence textarea", "이태원역 가고 싶어요")
        page.click("#go")
        page.wait_for_selector("#glosses .gloss-word", timeout=60_000)
        _wait_videos_playable(page)
        page.wait_for_function(
            "() => document.querySelector('#status').innerText.startsWith('Done')",
            timeout=60_000,
        )
        names = page.inner_text("#downloads").replace("\n", "")
        for name in ("sign.mp4", "sign.pose", "sign_openpose.zip", "sign_gloss.json"):
            assert name in names
        page.screenshot(path=str(SHOTS / "03_fingerspelling.png"), full_page=True)

        # bad input: a clear message, and the page keeps working
        page.fill("#sentence textarea", "   ")
        page.click("#go")
        page.wait_for_selector("#error", timeout=30_000)
        assert "empty" in page.inner_text("#error")
        page.screenshot(path=str(SHOTS / "04_empty.png"), full_page=True)
        page.fill("#sentence textarea", "화장실이 어디예요?")
        page.click("#go")
        page.wait_for_function(
            "() => { const g = document.querySelector('#glosses .gloss-line');"
            " return g && g.dataset.glosses === '화장실 어디'; }",
            timeout=60_000,
        )
        assert page.locator("#error").count() == 0
        # the README link of the notice is served locally
        href = page.get_attribute("#notice a", "href")
        assert href and "README.md" in href
        with urllib.request.urlopen(server.rstrip("/") + href.split("#")[0]) as r:
            assert "Training on real data" in r.read().decode("utf-8")
        browser.close()
    # offline: the page fetched nothing from anywhere but this server
    foreign = [u for u in requests if not u.startswith((server, "data:", "blob:"))]
    assert not foreign, foreign[:5]


def _wait_videos_playable(page) -> None:
    page.wait_for_function(
        "() => ['#skeleton_video video', '#signer_video video'].every(s => {"
        " const v = document.querySelector(s); return v && v.readyState >= 2; })",
        timeout=90_000,
    )
