"""The page's handlers without a browser or a server: what each event shows, bad input as a
message, the API's answers, and the attention plot that belongs to the video beside it."""

from __future__ import annotations

from pathlib import Path

import gradio as gr
import pytest

from sign_pipeline import registry, render
from sign_pipeline.pipeline import SignPipeline
from ui import page, tab_sign
from ui.handlers import PageHandlers, signer_number
from ui.serving import STREAM_CHUNK, PieceSchedule, first_piece

SENTENCE = "지하철 환풍구에 가방이 빠졌어요!"
GLOSSES = "지하철 환풍구 가방 빠지다"


@pytest.fixture(scope="module")
def handlers(tmp_path_factory) -> PageHandlers:
    pipe = SignPipeline(checkpoints=registry.DEFAULT_CHECKPOINTS)
    return PageHandlers(pipe, cache=4, out_root=tmp_path_factory.mktemp("runs"))


def _shown(updates: list[dict], state: dict | None = None) -> dict:
    """What the page shows after these updates (each replaces the outputs it names)."""
    state = dict(state or {})
    for update in updates:
        state.update(update)
    return state


def _visible(value) -> bool:
    """Whether an output is shown (a ``gr.update`` says; a plain value is shown)."""
    return value.get("visible", True) if isinstance(value, dict) else value is not None


def _signer_label(handlers: PageHandlers, n: int = 1) -> str:
    return next(label for label in handlers.signer_labels() if signer_number(label) == n)


def test_a_sentence_on_the_page_glosses_video_downloads(handlers):
    updates = list(handlers.run_page(SENTENCE, _signer_label(handlers), "lexicon", "avatar", 1.0))
    assert [u["status"].split(" — ")[0] for u in updates[:3]] == [
        "Glosses ready", "Skeleton ready", "Video ready"]  # fmt: skip
    shown = _shown(updates)
    assert shown["status"].startswith("Done in") and "frames" in shown["status"]
    assert f'data-glosses="{GLOSSES}"' in shown["glosses"]
    assert Path(shown["video"]).name == "sign.mp4" and Path(shown["video"]).stat().st_size > 10_000
    downloads = [Path(f).name for f in shown["downloads"]["value"]]
    assert downloads == ["sign.mp4", "sign.pose", "sign_openpose.zip", "sign_gloss.json"]
    assert shown["downloads"]["visible"] is True
    assert not _visible(shown["attention"])  # the lexicon has no attention
    assert "| text2pose |" in shown["timings"] and "| files |" in shown["timings"]


@pytest.mark.parametrize(
    "text, needle",
    [("   ", "empty"), ("가" * 400, "has 400 characters; at most 300"), (None, "Korean sentence"),
     ("hello world", "Latin letters have no sign")],
)  # fmt: skip
def test_bad_input_on_the_page_is_a_message_and_clears_the_result(handlers, text, needle):
    updates = list(handlers.run_page(text, _signer_label(handlers), "lexicon", "avatar", 1.0))
    shown = _shown(updates)
    assert 'id="error"' in shown["status"] and needle in shown["status"]
    assert shown["video"] is None and shown["glosses"] == ""
    assert not _visible(shown["attention"]) and not _visible(shown["downloads"])


def test_an_unknown_signer_or_backend_on_the_page_is_a_message(handlers):
    shown = _shown(handlers.run_page(SENTENCE, "9", "lexicon", "avatar", 1.0))
    assert "signer 9 is not known" in shown["status"]
    shown = _shown(handlers.run_page(SENTENCE, "1", "nope", "avatar", 1.0))
    assert 'id="error"' in shown["status"] and "nope" in shown["status"]


def test_no_attention_plot_from_an_earlier_sentence_beside_the_video(handlers):
    """A Transformer run shows its attention; the next run with a backend that has none,
    or one that fails, must not leave that plot beside its own video, whichever of its
    updates the browser applies (every update that shows a video says which plot goes with
    it)."""
    signer = _signer_label(handlers)
    first = list(handlers.run_page("화장실이 어디예요?", signer, "Transformer", "avatar", 1.0))
    after_first = _shown(first)
    assert after_first["attention"]["visible"] is True
    assert Path(after_first["attention"]["value"]).is_file()
    for update in first:
        if "video" in update and update["video"] is not None:
            assert update["attention"] is after_first["attention"] or update["attention"] == \
                after_first["attention"]
    second = list(handlers.run_page(SENTENCE, signer, "lexicon", "avatar", 1.0))
    with_video = [u for u in second if u.get("video")]
    assert with_video and all(not _visible(u["attention"]) for u in with_video)
    assert not _visible(_shown(second, after_first)["attention"])
    # even were the run's first update (which clears the page) never applied
    assert not _visible(_shown(second[1:], after_first)["attention"])
    failed = list(handlers.run_page("hello", signer, "lexicon", "avatar", 1.0))
    assert not _visible(_shown(failed, after_first)["attention"])


def test_a_streamed_run_after_a_transformer_run_shows_no_old_attention(handlers):
    """A backend slower than real time shows what is drawn so far: none of those pieces
    comes with the earlier sentence's plot."""
    if "edn" not in registry.available("pose2video", handlers.pipe.checkpoints):
        pytest.skip("no EDN checkpoint")
    signer = _signer_label(handlers)
    after_first = _shown(handlers.run_page("지하철", signer, "Transformer", "avatar", 1.0))
    assert after_first["attention"]["visible"] is True
    streamed = list(handlers.run_page(SENTENCE, signer, "lexicon", "EDN", 1.0))
    pieces = [u for u in streamed if "drawn_" in str(u.get("video"))]
    assert pieces, "EDN drew nothing in pieces"
    assert all(not _visible(u["attention"]) for u in pieces)
    shown = _shown(streamed[1:], after_first)
    assert shown["status"].startswith("Done") and not _visible(shown["attention"])


@pytest.mark.parametrize("ms", [20.0, 73.0])
def test_the_first_piece_plays_when_the_rest_will_be_drawn_in_time(handlers, monkeypatch, ms):
    """A GAN signer that keeps up shows its first piece at once; a slower one once enough
    is drawn that the player never waits (by its measured speed); then each piece grows."""
    if "edn" not in registry.available("pose2video", handlers.pipe.checkpoints):
        pytest.skip("no EDN checkpoint")
    edn = handlers.pipe.backend("pose2video", "edn")
    monkeypatch.setattr(edn, "ms_per_frame", ms)
    updates = list(handlers.run_page("화장실이 어디예요?", _signer_label(handlers), "lexicon",
                                     "EDN", 1.0))  # fmt: skip
    videos = [str(u["video"]) for u in updates if u.get("video")]
    assert videos[0].endswith("skeleton.mp4") and _shown(updates)["status"].startswith("Done")
    shown = [int(v.rsplit("drawn_", 1)[1][:5]) for v in videos if "drawn_" in v]
    n = int(_shown(updates)["status"].split("(")[1].split()[0])  # "(87 frames, ..."
    start = first_piece(n, ms, 30.0)  # pieces come STREAM_CHUNK frames at a time
    assert shown and shown[0] == -(-start // STREAM_CHUNK) * STREAM_CHUNK
    assert (shown[0] == STREAM_CHUNK) == (ms < 1000 / 30)
    assert shown == sorted(set(shown)) and shown[-1] == n  # growing, to the whole clip
    last = Path([v for v in videos if "drawn_" in v][-1])
    assert render.probe_video(last)["frames"] == n - 1  # all but the frame still in the muxer
    assert not videos[-1].rsplit("/", 1)[-1].startswith("drawn_")  # the final clip last
    assert edn.ms_per_frame != ms  # this clip was timed: the median of the last five


def test_pieces_come_when_doubled_when_the_player_runs_short_and_at_the_end():
    plan = PieceSchedule(300, 20.0, 30.0)  # keeps up: the first piece at once
    assert not plan.due(10, 0.0) and plan.due(15, 0.0)
    plan.mark(14, 0.0)
    assert plan.due(30, 0.1)  # doubled
    plan.mark(29, 0.1)
    assert not plan.due(45, 0.2)  # the player is at frame 3 of 29
    assert plan.due(45, 0.1 + (29 - 14) / 30)  # within half a second of the end of what it has
    plan.mark(44, 0.7)
    assert plan.due(300, 0.8) and not plan.due(44, 5.0)  # the whole clip; nothing new: no


@pytest.mark.parametrize("ms", [10.0, 33.0, 34.0, 45.0, 73.0, 150.0])
@pytest.mark.parametrize("n", [20, 87, 201, 600])
def test_a_player_starting_at_the_first_piece_never_waits(ms, n):
    """Drawing goes on at ``ms`` a frame after the first piece is shown; the player plays
    30 frames a second from then: it never reaches a frame not yet drawn."""
    start = first_piece(n, ms, 30.0)
    assert STREAM_CHUNK <= start <= n or start == n
    drawn_at = [(f - start) * ms / 1000 for f in range(start, n + 1)]  # seconds after showing
    played_at = [f / 30.0 for f in range(start, n + 1)]
    assert all(d <= p + 1e-9 for d, p in zip(drawn_at, played_at, strict=True))


def test_switching_the_signer_without_a_sentence_changes_nothing(handlers):
    assert list(handlers.rerun_for_signer("  ", "2", "lexicon", "avatar", 1.0)) == []
    assert list(handlers.rerun_compare_for_signer("", ["lexicon + avatar"], "2", 1.0)) == []


def test_one_signer_label_whichever_backend_draws_the_signer(handlers):
    avatar = dict(handlers.pipe.signers("lexicon", "avatar"))
    assert avatar[1] == "1 · REAL01 · short dark hair, blue shirt"
    for p2v in registry.available("pose2video", handlers.pipe.checkpoints):
        for n, label in handlers.pipe.signers("lexicon", p2v):
            assert label == avatar[n], (p2v, n)
    update = handlers.signer_choices("lexicon", "stylegan2", avatar[2])
    if "stylegan2" in registry.available("pose2video", handlers.pipe.checkpoints):
        assert update["value"] == avatar[2] and avatar[1] in update["choices"]


def test_the_page_offers_the_backends_by_their_labels(handlers):
    choices = dict(tab_sign.backend_choices("text2pose", handlers.pipe.checkpoints))
    assert choices["lexicon"] == "lexicon"
    if "progressive" in choices.values():
        assert choices["Transformer"] == "progressive"


def test_translate_takes_labels_and_answers_with_them_from_the_cache(handlers):
    video, summary = handlers.translate("화장실이 어디예요?", text2pose="Transformer")
    assert Path(video.path).is_file() and video.path.endswith(".mp4")
    assert summary["backends"] == {"text2pose": "Transformer", "pose2video": "avatar"}
    assert summary["gloss"]["glosses"] == ["화장실", "어디"] and summary["frames"] > 30
    assert "cached" not in summary
    again_video, again = handlers.translate("화장실이 어디예요?", text2pose="progressive")
    assert again["cached"] is True and again_video.path == video.path


@pytest.mark.parametrize(
    "kwargs, needle",
    [({"text": ""}, "empty"), ({"text": 123}, "Korean sentence"),
     ({"text": "지하철", "signer": 42}, "signer 42 is outside 1..16"),
     ({"text": "지하철", "text2pose": "nope"}, "nope")],
)  # fmt: skip
def test_translate_refuses_bad_input_with_a_message(handlers, kwargs, needle):
    with pytest.raises(gr.Error) as err:
        handlers.translate(**kwargs)
    assert needle in str(err.value.message)


def test_compare_on_the_page_and_through_the_api(handlers):
    updates = list(handlers.run_compare_page(SENTENCE, ["lexicon + avatar", "nope + avatar"],
                                             _signer_label(handlers), 1.0))  # fmt: skip
    assert 'data-pair="lexicon + avatar"' in updates[0]["cmp_grid"] and "running" in \
        updates[0]["cmp_grid"]
    shown = _shown(updates)
    assert shown["cmp_status"] == "Done: 1 of 2 pairs signed, 1 failed."
    assert 'class="compare-cell failed" data-pair="nope + avatar"' in shown["cmp_grid"]
    assert Path(shown["cmp_tiled"]["value"]).name == "comparison.mp4"
    video, rows = handlers.compare("화장실이 어디예요?", ["Transformer + avatar"])
    assert [r["pair"] for r in rows] == ["Transformer + avatar"]
    assert rows[0]["error"] is None and rows[0]["frames"] > 30 and Path(video.path).is_file()
    with pytest.raises(gr.Error, match="nope"):
        handlers.compare("화장실이 어디예요?", ["nope + nope"])
    with pytest.raises(gr.Error, match="a pair is written"):
        handlers.compare("화장실이 어디예요?", "garbage")


def test_the_page_builds_with_both_api_endpoints(handlers):
    demo = page.build(handlers)
    names = {d.get("api_name") for d in demo.config["dependencies"]}
    assert {"translate", "compare"} <= names
    assert "Prepare" in page.TRAINING_HELP.read_text(encoding="utf-8")
    kwargs = page.launch_kwargs()
    assert "KSLKorean" in kwargs["css"] and "nowSigning" in kwargs["head"]


def test_the_page_stays_a_package_of_small_functions():
    """app.py parses flags and launches; no function of the page package is a giant."""
    import ast

    root = Path(__file__).resolve().parent.parent
    assert len((root / "app.py").read_text(encoding="utf-8").splitlines()) <= 200
    long = []
    for path in sorted((root / "ui").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1
                if lines > 80:
                    long.append(f"{path.name}:{node.name} ({lines} lines)")
    assert not long
