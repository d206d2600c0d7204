"""The compare view's logic (sign_pipeline.compare) and its HTML, in-process (no browser)."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from sign_pipeline import compare as cmp
from sign_pipeline import registry, render
from sign_pipeline.pipeline import PipelineError, SignPipeline

SENTENCE = "화장실이 어디예요?"


@pytest.fixture(scope="module")
def pipe():
    return SignPipeline()


@pytest.fixture(scope="module")
def pair():
    pairs = cmp.installed_pairs()
    assert pairs, "the shipped checkpoints install at least one pair"
    return pairs[0]


def test_installed_pairs_are_every_installed_combination():
    t2p = registry.available("text2pose")
    p2v = registry.available("pose2video")
    pairs = cmp.installed_pairs()
    assert len(pairs) == len(t2p) * len(p2v)
    assert set(pairs) == {(t, p) for t in t2p for p in p2v}
    assert pairs[0] == (t2p[0], p2v[0])  # preferred backends first


def test_pair_labels_round_trip_and_bad_labels_are_refused():
    assert cmp.parse_pair(cmp.pair_label("a", "b")) == ("a", "b")
    assert cmp.parse_pair(["a", "b"]) == ("a", "b")
    for bad in ("a", "a + b + c", " + b", 5, None, ["a"]):
        with pytest.raises(PipelineError):
            cmp.parse_pair(bad)


def test_a_failing_pair_shows_its_error_and_the_others_go_on(pipe, pair, tmp_path):
    pairs = [pair, ("no_such_backend", pair[1]), pair]
    results = list(cmp.compare(pipe, SENTENCE, pairs, signer=2, out_dir=tmp_path))
    assert [r.label for r in results] == [cmp.pair_label(*p) for p in pairs]
    assert [r.ok for r in results] == [True, False, True]
    assert "no_such_backend" in results[1].error
    assert results[1].video is None and results[1].to_dict()["error"] == results[1].error
    assert results[0].signer == results[2].signer == 2


def test_pair_figures_match_the_pipeline(pipe, pair, tmp_path):
    started = time.perf_counter()
    (res,) = cmp.compare(pipe, SENTENCE, [pair], signer=1, out_dir=tmp_path)
    wall_ms = (time.perf_counter() - started) * 1000
    direct = pipe.run(SENTENCE, signer=1, text2pose=pair[0], pose2video=pair[1])
    assert res.ok, res.error
    assert res.glosses == direct.gloss.glosses == ["화장실", "어디"]
    assert res.n_frames == direct.n_frames
    assert res.duration_s == pytest.approx(direct.duration_s, abs=1e-3)
    stages = ("gloss", "text2pose", "skeleton", "pose2video", "video")
    assert all(res.timings_ms[stage] > 0 for stage in stages), res.timings_ms
    assert sum(res.timings_ms[stage] for stage in stages) <= wall_ms  # timed once each
    info = render.probe_video(res.video)
    assert (info["codec"], info["pix_fmt"], info["frames"]) == ("h264", "yuv420p", res.n_frames)
    # motion of the signing span, as metrics.motion_stats gives it
    assert set(res.motion) == set(cmp.MOTION_KEYS)
    assert all(np.isfinite(v) for v in res.motion.values())
    assert 0.0 < res.motion["wrist_speed_mean"] < 10.0
    # gloss spans in seconds, in order, inside the clip
    assert [g for g, _, _ in res.gloss_spans] == res.glosses
    assert all(0 <= a < b <= res.duration_s + 1e-6 for _, a, b in res.gloss_spans)
    json.dumps(res.to_dict())  # JSON-ready for the API


def test_dtw_against_a_reference_clip_of_the_same_sentence(pipe, pair, sentence_reference,
                                                           tmp_path):  # fmt: skip
    """A prepared folder whose clip is this very output: DTW 0; another sentence: no DTW."""
    assert pair == ("lexicon", "avatar")  # the pair that signed the reference clip
    kp = np.load(sentence_reference / "clips" / "c1.npz")["keypoints"]
    refs = cmp.References(sentence_reference)
    same, reference = cmp.compare(pipe, SENTENCE, [pair], signer=1, out_dir=tmp_path,
                                  references=refs)  # fmt: skip
    assert same.dtw == pytest.approx(0.0, abs=1e-6)
    # the reference clip is an extra column: its skeleton video and its own motion
    assert (reference.kind, reference.label, reference.text2pose) == ("reference", "corpus reference", "c1")
    assert reference.ok and reference.n_frames == len(kp)
    assert render.probe_video(reference.video)["frames"] == len(kp)
    assert reference.motion == pytest.approx(same.motion)  # same keypoints, same figures
    other_signer, _ = cmp.compare(pipe, SENTENCE, [pair], signer=2, out_dir=tmp_path,
                                  references=refs)  # fmt: skip
    assert other_signer.dtw > 0.01  # another signer's proportions, same reference clip
    (other,) = cmp.compare(pipe, "지하철", [pair], signer=1, out_dir=tmp_path, references=refs)
    assert other.dtw is None  # not in the corpus: no DTW, no reference column
    with pytest.raises(FileNotFoundError):
        cmp.References(tmp_path / "missing")


class _FakeRecognizer:
    """Reads back the first gloss only: WER 1/2 on a two-gloss sentence."""

    def score(self, keypoints, mask, fps, glosses):
        assert keypoints.shape[1:] == (127, 2) and fps > 0
        return list(glosses[:1]), 0.5


def test_back_translation_column_uses_the_recognizer(pipe, pair, tmp_path):
    res = cmp.run_pair(pipe, SENTENCE, *pair, signer=1, speed=1.0, out_dir=tmp_path,
                       recognizer=_FakeRecognizer())  # fmt: skip
    assert res.read_back == ["화장실"] and res.wer == 0.5
    res = cmp.run_pair(pipe, SENTENCE, *pair, signer=1, speed=1.0, out_dir=tmp_path)
    assert res.read_back is None and res.wer is None


def test_attention_in_the_output_is_plotted(pipe, pair, tmp_path, monkeypatch):
    backend = pipe.backend("text2pose", pair[0])
    original = backend.sign

    def sign_with_attention(*args, **kwargs):
        out = original(*args, **kwargs)
        att = np.zeros((len(out), 2), np.float32)
        att[: len(out) // 2, 0] = att[len(out) // 2 :, 1] = 1.0
        return replace(out, extras={"attention": att})

    monkeypatch.setattr(backend, "sign", sign_with_attention)
    res = cmp.run_pair(pipe, SENTENCE, *pair, signer=1, speed=1.0, out_dir=tmp_path)
    assert res.ok, res.error
    assert res.attention_png.is_file() and res.attention_png.read_bytes()[:4] == b"\x89PNG"


def test_tiled_video_holds_every_pair_until_the_longest_ends(pipe, pair, tmp_path):
    a = cmp.run_pair(pipe, "지하철", *pair, signer=1, speed=1.0, out_dir=tmp_path / "a")
    b = cmp.run_pair(pipe, SENTENCE, *pair, signer=1, speed=1.0, out_dir=tmp_path / "b")
    c = cmp.run_pair(pipe, "지하철", *pair, signer=2, speed=1.0, out_dir=tmp_path / "c")
    assert a.n_frames < b.n_frames
    tiled = cmp.write_tiled([a.video, b.video, c.video], tmp_path / "tiled.mp4")
    info = render.probe_video(tiled)
    assert info["codec"] == "h264" and info["frames"] == b.n_frames
    import imageio_ffmpeg

    reader = imageio_ffmpeg.read_frames(str(tiled))
    w, h = next(reader)["size"]
    cell = imageio_ffmpeg.read_frames(str(a.video))
    cw, ch = next(cell)["size"]
    assert (w, h) == (2 * cw + 4, 2 * ch + 4)  # 2 columns x 2 rows, 4 px gaps
    with pytest.raises(ValueError):
        cmp.write_tiled([], tmp_path / "none.mp4")


def test_evaluation_json_feeds_the_about_table_and_the_reference_motion(tmp_path):
    page_html = pytest.importorskip("ui.html")
    ev = {
        "date": "2026-11-29T10:00:00+00:00",
        "command": "python -m training.evaluate --data data/prepared",
        "data": {"evaluated_clips": 12, "path": "data/prepared"},
        "text2pose": [
            {"name": "references", "kind": "reference", "clips": 12, "wer": 0.1,
             "motion": {"wrist_speed_mean": 1.25, "articulation": 0.05}},
            {"name": "some_backend", "kind": "backend", "clips": 12, "dtw": 3.5, "wer": 0.4,
             "motion": {"wrist_speed_mean": 0.9}},
        ],
        "pose2video": [{"name": "some_renderer", "clips": 3, "psnr": 21.5, "ssim": 0.8}],
    }  # fmt: skip
    path = tmp_path / "evaluation.json"
    path.write_text(json.dumps(ev), "utf-8")
    loaded = cmp.load_evaluation(path)
    assert cmp.reference_motion(loaded) == {"wrist_speed_mean": 1.25, "articulation": 0.05}
    page = page_html.about_models_html(loaded)
    for needle in ("2026-11-29", "python -m training.evaluate", "some_backend", "3.500",
                   "0.400", "some_renderer", "21.50"):  # fmt: skip
        assert needle in page
    assert "about-models-asked" not in page  # no such figure in this evaluation
    ev["recognizer"] = {"wer_references": 0.024, "wer_references_vs_asked": 0.086,
                        "sentences_signed_otherwise": 7}  # fmt: skip
    page = page_html.about_models_html(ev)
    assert "about-models-asked" in page and "0.086" in page and "7 test" in page
    assert "gloss memory" not in page
    ev["gloss_memory"] = {"patterns": 83, "open_patterns": 12, "learned_from": "prepared"}
    page = page_html.about_models_html(ev)  # the memory the glosses went through is named
    assert "then the gloss memory learned from the training sentences" in page
    assert cmp.load_evaluation(tmp_path / "missing.json") is None
    (tmp_path / "bad.json").write_text("{not json", "utf-8")
    assert cmp.load_evaluation(tmp_path / "bad.json") is None
    assert "training.evaluate" in page_html.about_models_html(None)


def test_grid_and_table_html_show_results_errors_and_pending(pipe, pair, tmp_path):
    page_html = pytest.importorskip("ui.html")
    ok = cmp.run_pair(pipe, SENTENCE, *pair, signer=1, speed=1.0, out_dir=tmp_path)
    bad = cmp.PairResult("x", "y", error="x <broke>")
    grid = page_html.grid_html([ok, bad], ["later + one"])
    assert grid.count('class="compare-cell') == 3
    assert f"/gradio_api/file={ok.video}" in grid and "x &lt;broke&gt;" in grid
    assert "running" in grid
    table = page_html.table_html([ok, bad], {"wrist_speed_mean": 1.25})
    assert f"<td>{ok.n_frames}</td>" in table and "failed: x &lt;broke&gt;" in table
    assert "corpus reference clips" in table and "1.250" in table
    assert "n/a" in table  # no recogniser, no reference clip: said, not left blank
    assert isinstance(Path(ok.video), Path)


def test_a_saved_recognizer_is_found_and_scores_the_pair(pipe, pair, tmp_path):
    """The real BackTranslator (tiny, untrained) from ``<checkpoints>/recognizer``: the WER
    it reports is its read-back against the asked glosses."""
    torch = pytest.importorskip("torch")
    from sign_pipeline.backtranslation import Recognizer, RecognizerConfig, wer

    torch.manual_seed(0)
    config = RecognizerConfig(glosses=["화장실", "어디", "지하철"], signers=[1, 2], hidden=16,
                              feedforward=32, heads=2, attention_layers=1, dilations=(1,))  # fmt: skip
    Recognizer(config).save_pretrained(tmp_path / "recognizer")
    bt = cmp.load_recognizer(tmp_path)
    assert bt is not None and cmp.load_recognizer(tmp_path) is bt  # loaded once
    res = cmp.run_pair(pipe, SENTENCE, *pair, signer=1, speed=1.0, out_dir=tmp_path,
                       recognizer=bt)  # fmt: skip
    assert res.ok, res.error
    assert isinstance(res.read_back, list)
    assert res.wer == pytest.approx(wer(res.read_back, res.glosses))
    assert cmp.load_recognizer(tmp_path / "none") is None
