"""The page in a real browser (Debian chromium via Playwright) and the API via gradio_client.

Both talk to a server this module starts on 127.0.0.1. Screenshots go to
``screenshots/`` (git-ignored) so a person can look at them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from benchmarks.load import start_server
from sign_pipeline import registry

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory, sentence_reference):
    info = registry.info("text2pose", "lexicon", registry.DEFAULT_CHECKPOINTS)
    assert info.installed, f"the shipped checkpoint is missing: {info.reason}"
    # --data: a corpus holding the compare tests' sentence, so its reference column shows
    # --signs: a taught-signs folder of its own (the teaching test adds to it)
    tmp = tmp_path_factory.mktemp("server")
    proc, url, _ = start_server(tmp, timeout=180, args=["--data", str(sentence_reference),
                                                        "--signs", str(tmp / "signs")])
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


# ---------------------------------------------------------------------------- API


def test_api_translate_with_the_sentence_alone_and_after_bad_input(server):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    client = Client(server, verbose=False)
    for bad, needle in [
        ("", "empty"),
        ("   ", "empty"),
        ("가" * 10_000, "at most 300"),
        ("가" * 400, "has 400 characters; at most 300"),
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
    assert isinstance(video, str) and video.endswith(".mp4")  # a file, downloaded by the client
    assert Path(video).is_file() and Path(video).stat().st_size > 10_000
    assert result["gloss"]["glosses"]
    assert " ".join(result["gloss"]["glosses"]) == "지하철 환풍구 가방 빠지다"
    sources = {item["source"] for item in result["gloss"]["items"]}
    assert sources == {"lexicon"}
    assert result["frames"] > 30


def test_api_compare_every_installed_pair_and_a_failing_one(server):
    from gradio_client import Client

    from sign_pipeline import compare as cmp

    client = Client(server, verbose=False)
    labels = [cmp.pair_label(*p) for p in cmp.installed_pairs()]
    info = client.view_api(return_format="dict", print_info=False)["named_endpoints"]
    assert "/compare" in info and "/translate" in info
    video, rows = client.predict("화장실이 어디예요?", labels + ["nope + nope"], api_name="/compare")
    assert str(video).endswith(".mp4") and Path(video).stat().st_size > 10_000
    reference = [r for r in rows if r["kind"] == "reference"]  # the server's --data clip
    assert len(reference) == 1 and reference[0]["frames"] > 30
    rows = [r for r in rows if r["kind"] == "pair"]
    assert [r["pair"] for r in rows] == labels + ["nope + nope"]
    assert all(r["error"] is None and r["frames"] > 30 for r in rows[:-1])
    assert "nope" in rows[-1]["error"]
    from sign_pipeline.render import probe_video

    assert probe_video(video)["frames"] == max(r["frames"] for r in rows[:-1] + reference)


def test_load_smoke_every_request_served(server):
    """A few concurrent users (the full figures: python -m benchmarks.load)."""
    from benchmarks.load import run_load

    result = run_load(server, users=3, requests=2, timeout=180)
    assert result.errors == [] and len(result.latencies) == 6


# ---------------------------------------------------------------------------- browser


#: fontconfig that sees only DejaVu (no Korean): the page must bring its own Korean font.
FONTS_WITHOUT_KOREAN = """<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig><dir>/usr/share/fonts/truetype/dejavu</dir><cachedir>{cache}</cachedir></fontconfig>
"""


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium not installed")
    tmp = tmp_path_factory.mktemp("fonts")
    conf = tmp / "fonts.conf"
    conf.write_text(FONTS_WITHOUT_KOREAN.format(cache=tmp / "cache"))
    env = dict(os.environ, FONTCONFIG_FILE=str(conf))
    if SHOTS.exists():
        shutil.rmtree(SHOTS)
    SHOTS.mkdir()
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True, env=env
        )
        yield b
        b.close()


@pytest.mark.browser
def test_page_in_a_real_browser(server, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 1400})
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(server, wait_until="domcontentloaded")
    page.wait_for_selector("#sentence textarea", timeout=60_000)
    assert "placeholders" in page.inner_text("#notice")
    # the backends by the names users know them by
    for stage, elem in (("text2pose", "#t2p"), ("pose2video", "#p2v")):
        shown = page.inner_text(elem)
        for name in registry.available(stage, registry.DEFAULT_CHECKPOINTS):
            assert registry.label(stage, name) in shown
    # Korean comes from the served font: this browser sees no Korean system font
    loaded = page.evaluate(
        "async () => (await document.fonts.load('20px KSLKorean', '수어')).length"
    )
    assert loaded >= 1
    # Enter in the sentence box signs it
    page.fill("#sentence textarea", "지하철 환풍구에 가방이 빠졌어요!")
    page.press("#sentence textarea", "Enter")
    page.wait_for_selector("#glosses .gloss-chip", timeout=60_000)
    glosses = page.get_attribute("#glosses .gloss-line", "data-glosses")
    assert glosses == "지하철 환풍구 가방 빠지다"
    assert page.input_value("#sentence textarea") == "지하철 환풍구에 가방이 빠졌어요!"
    _wait_video_playable(page)
    # while it plays: the gloss being signed (or the next one) under the video, its chip lit
    page.wait_for_selector("#glosses .gloss-chip.playing", timeout=30_000)
    now = page.inner_text("#now-signing").strip().lstrip("→ ")
    assert now in glosses.split()
    page.screenshot(path=str(SHOTS / "01_signed.png"), full_page=True)
    first_src = page.get_attribute("#sign_video video", "src")

    # switch the signer: the sentence is signed again by another person
    page.click("#signer input")
    page.locator("ul[role=listbox] li").nth(1).click()
    page.wait_for_function(
        "src => { const v = document.querySelector('#sign_video video');"
        " return v && v.getAttribute('src') && v.getAttribute('src') !== src; }",
        arg=first_src,
        timeout=90_000,
    )
    _wait_video_playable(page)
    # no stale downloads of the previous run next to the new video
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
    _wait_video_playable(page)
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
    page.fill("#sentence textarea", "가" * 400)  # not cut to 300 in silence
    page.click("#go")
    page.wait_for_function(
        "() => (document.querySelector('#error') || {}).innerText?.includes('400 characters')",
        timeout=30_000,
    )
    page.screenshot(path=str(SHOTS / "04_too_long.png"), full_page=True)
    # clicking an example signs it; a wh-question gets lowered, knitted brows
    page.locator("button", has_text="화장실이 어디예요?").first.click()
    page.wait_for_function(
        "() => { const g = document.querySelector('#glosses .gloss-line');"
        " return g && g.dataset.glosses === '화장실 어디' && !document.querySelector('#error'); }",
        timeout=60_000,
    )
    assert page.input_value("#sentence textarea") == "화장실이 어디예요?"
    assert "wh-question (lowered, knitted brows)" in page.inner_text("#marks")
    # the training instructions are on the page, not a raw markdown file
    assert page.get_attribute("#notice a", "href") == "#training-on-real-data"
    page.click("#training-on-real-data button, #training-on-real-data .label-wrap")
    page.wait_for_function(
        "() => document.querySelector('#training-on-real-data').innerText.includes('Prepare')",
        timeout=10_000,
    )

    # the compare tab: every installed pair, videos that start together, the table
    from sign_pipeline import compare as cmp

    labels = [cmp.pair_label(*p) for p in cmp.installed_pairs()]
    page.get_by_role("tab", name="Compare models").click()
    page.fill("#cmp-sentence textarea", "지하철 환풍구에 가방이 빠졌어요!")
    page.click("#cmp-go")
    page.wait_for_function(
        "() => document.querySelector('#cmp-status').innerText.startsWith('Done')",
        timeout=180_000,
    )
    _wait_compare_playable(page, len(labels))
    cells = page.eval_on_selector_all(
        "#cmp-grid .compare-cell[data-pair]", "cs => cs.map(c => c.dataset.pair)"
    )
    assert cells == labels
    # the prepared corpus given to the server holds the sentence: its clip is an extra column
    refs = page.query_selector_all("#cmp-grid .compare-cell.reference")
    assert len(refs) == 1 and refs[0].query_selector("video") is not None
    rows = page.eval_on_selector_all(
        "#cmp-table tr[data-pair]", "rs => rs.map(r => [...r.cells].map(c => c.innerText))"
    )
    assert [r[0] for r in rows] == labels
    assert all(int(r[1]) > 30 for r in rows)  # frames
    # "Play all together" restarts every video at once: read them in the browser 0.5 s later
    # (no round trip between reading one and the next; a clip shorter than that has ended)
    times = page.evaluate(
        "async () => { document.querySelector('#cmp-grid .play-all').click();"
        " await new Promise(r => setTimeout(r, 500));"
        " return [...document.querySelectorAll('#cmp-grid video')]"
        ".filter(v => !v.ended).map(v => v.currentTime); }")  # fmt: skip
    assert len(times) >= len(labels) and max(times) - min(times) < 0.5, times  # together
    assert "comparison.mp4" in page.inner_text("#cmp-tiled").replace("\n", "")
    assert page.locator("#about-models").count() == 1
    page.screenshot(path=str(SHOTS / "05_compare.png"), full_page=True)
    first = page.get_attribute("#cmp-grid video", "src")
    page.click("#cmp-signer input")
    page.locator("ul[role=listbox] li").nth(1).click()
    page.wait_for_function(
        "src => { const v = document.querySelector('#cmp-grid video');"
        " return v && v.getAttribute('src') !== src"
        " && document.querySelector('#cmp-status').innerText.startsWith('Done'); }",
        arg=first,
        timeout=180_000,
    )
    _wait_compare_playable(page, len(labels))
    page.screenshot(path=str(SHOTS / "06_compare_other_signer.png"), full_page=True)
    page.close()
    # offline: the page fetched nothing from anywhere but this server
    foreign = [u for u in requests if not u.startswith((server, "data:", "blob:"))]
    assert not foreign, foreign[:5]


@pytest.mark.browser
def test_a_slower_than_real_time_backend_plays_while_it_draws(server, browser):
    if not registry.info("pose2video", "edn", registry.DEFAULT_CHECKPOINTS).installed:
        pytest.skip("no EDN checkpoint")
    page = browser.new_page(viewport={"width": 1280, "height": 1400})
    page.goto(server, wait_until="domcontentloaded")
    page.wait_for_selector("#sentence textarea", timeout=60_000)
    page.locator("#p2v label", has_text="edn").click()
    page.fill("#sentence textarea", "지하철 환풍구에 가방이 빠졌어요!")
    page.press("#sentence textarea", "Enter")
    # what is drawn so far plays while the rest is drawn
    page.wait_for_function(
        "() => document.querySelector('#status').innerText.startsWith('Drawing the signer')"
        " && (document.querySelector('#sign_video video') || {}).src?.includes('drawn_')",
        timeout=60_000,
    )
    _wait_video_playable(page)
    page.screenshot(path=str(SHOTS / "07_drawing.png"), full_page=True)
    page.wait_for_function(
        "() => document.querySelector('#status').innerText.startsWith('Done')",
        timeout=120_000,
    )
    # the whole clip replaces what was drawn so far
    page.wait_for_function(
        "() => { const v = document.querySelector('#sign_video video');"
        " return v && v.src && !v.src.includes('drawn_') && v.readyState >= 2; }",
        timeout=30_000,
    )
    page.screenshot(path=str(SHOTS / "08_edn_done.png"), full_page=True)
    # each piece, and then the whole clip, went on from where the player was: no restart
    page.wait_for_function("() => (window.kslPlayedOn || []).some(e => !e[0].includes('drawn_'))",
                           timeout=10_000)  # fmt: skip
    played_on = page.evaluate("() => window.kslPlayedOn || []")
    last_src, at, landed = next(e for e in played_on if "drawn_" not in e[0])
    assert at > 0.3 and abs(landed - at) < 0.2, played_on  # the whole clip went on, no restart
    assert all(a > 0 and abs(t - a) < 0.2 for _, a, t in played_on), played_on
    page.close()


@pytest.mark.browser
def test_teach_a_sign_by_upload_see_it_in_a_sentence_and_animate_keypoints(server, browser):
    data = Path(__file__).parent / "data"
    page = browser.new_page(viewport={"width": 1280, "height": 1400})
    page.goto(server, wait_until="domcontentloaded")
    page.wait_for_selector("#sentence textarea", timeout=60_000)
    page.get_by_role("tab", name="Teach a sign").click()
    page.set_input_files("#teach-keypoints input[type=file]", str(data / "openpose.pose"))
    page.locator("#teach-word textarea, #teach-word input").first.fill("광화문")
    page.click("#teach-preview")
    _wait_text(page, "#teach-status", "signing found")
    _wait_playable(page, "#teach-preview-video")
    page.click("#teach-save")
    _wait_text(page, "#teach-status", "Saved 광화문")
    assert "광화문" in page.inner_text("#signs-table")
    page.screenshot(path=str(SHOTS / "09_taught.png"), full_page=True)

    # the taught word in a sentence: signed with the taught sign (its chip says so)
    page.get_by_role("tab", name="Sign a sentence").click()
    page.fill("#sentence textarea", "광화문역에서 내려요")
    page.press("#sentence textarea", "Enter")
    page.wait_for_selector("#glosses .gloss-chip[data-source=taught]", timeout=60_000)
    assert page.get_attribute("#glosses .gloss-line", "data-glosses") == "광화문 지하철 내리다"
    _wait_video_playable(page)
    _wait_text(page, "#status", "Done")
    page.screenshot(path=str(SHOTS / "10_taught_in_sentence.png"), full_page=True)

    # your signing on our signer: a keypoint file re-signed by signer 1
    page.get_by_role("tab", name="Your signing on our signer").click()
    page.set_input_files("#anim-keypoints input[type=file]", str(data / "openpose.pose"))
    page.click("#anim-go")
    _wait_text(page, "#anim-status", "93 frames", timeout=120_000)
    _wait_playable(page, "#anim-result")
    page.screenshot(path=str(SHOTS / "11_animated.png"), full_page=True)
    page.close()


@pytest.mark.browser
def test_page_on_a_phone(server, browser):
    page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True,
                            has_touch=True, device_scale_factor=2)  # fmt: skip
    page.goto(server, wait_until="domcontentloaded")
    page.wait_for_selector("#sentence textarea", timeout=60_000)
    page.fill("#sentence textarea", "화장실이 어디예요?")
    page.click("#go")
    # the layout of the finished page (the skeleton preview's player is replaced on the way)
    page.wait_for_function(
        "() => document.querySelector('#status').innerText.startsWith('Done')",
        timeout=90_000,
    )
    _wait_video_playable(page)
    page.wait_for_timeout(500)
    video = page.locator("#sign_video video").bounding_box()
    assert video["x"] >= 0 and video["x"] + video["width"] <= 390 + 1  # both panels in view
    top = page.evaluate("() => document.querySelector('#glosses').getBoundingClientRect().top")
    assert -50 < top < 844  # scrolled to the result
    signer = page.locator("#signer").bounding_box()
    assert signer["x"] >= 0 and signer["x"] + signer["width"] <= 390 + 1
    page.screenshot(path=str(SHOTS / "07_phone.png"), full_page=False)
    page.close()


def _wait_text(page, selector: str, text: str, timeout: int = 90_000) -> None:
    page.wait_for_function(
        "([s, t]) => (document.querySelector(s) || {}).innerText?.includes(t)",
        arg=[selector, text], timeout=timeout)  # fmt: skip


def _wait_playable(page, selector: str) -> None:
    page.wait_for_function(
        "s => { const v = document.querySelector(s + ' video'); return v && v.readyState >= 2; }",
        arg=selector, timeout=60_000)  # fmt: skip


def _wait_video_playable(page) -> None:
    page.wait_for_function(
        "() => { const v = document.querySelector('#sign_video video');"
        " return v && v.readyState >= 2; }",
        timeout=90_000,
    )


def _wait_compare_playable(page, n: int) -> None:
    page.wait_for_function(
        "n => { const vs = [...document.querySelectorAll('#cmp-grid video')];"
        " const pairs = document.querySelectorAll('#cmp-grid [data-pair] video').length;"
        " return pairs === n && vs.every(v => v.readyState >= 2); }",
        arg=n,
        timeout=90_000,
    )
