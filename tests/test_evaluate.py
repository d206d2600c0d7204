"""The one evaluation command, end to end on the small corpus, and its helpers."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from sign_pipeline.motion import GlossTiming
from sign_pipeline.text2pose.base import GlossInput, PoseOutput
from training.evaluate import (
    clips_to_evaluate,
    format_tables,
    keep_known,
    load_recognizer,
    main,
    regenerate,
    signing_span,
)

TINY = {"hidden": 32, "dilations": (1, 2), "attention_layers": 1, "heads": 2, "feedforward": 64}


def _strict(text: str) -> dict:
    def no_constant(name):
        raise ValueError(f"non-finite number {name} in the results JSON")

    return json.loads(text, parse_constant=no_constant)


@pytest.fixture(scope="module")
def evaluation(small_prepared, tmp_path_factory):
    """``python -m training.evaluate --size small`` with a recogniser trained for 2 epochs."""
    from training.train_recognizer import train

    root = tmp_path_factory.mktemp("evaluate")
    train(small_prepared, root / "recognizer", epochs=2, batch_size=8, model_config=TINY,
          show_progress=False)  # fmt: skip
    out = root / "evaluation.json"
    (root / "checkpoints").mkdir()  # no learned backend installed: lexicon + avatar only
    argv = ["--data", str(small_prepared), "--checkpoints", str(root / "checkpoints"),
            "--recognizer", str(root / "recognizer"), "--size", "small", "--out", str(out)]  # fmt: skip
    assert main(argv) == 0
    return _strict(out.read_text(encoding="utf-8"))


def test_results_have_every_row_with_finite_numbers(evaluation, small_prepared):
    rows = {r["name"]: r for r in evaluation["text2pose"]}
    assert list(rows) == ["references", "floor", "cross-signer", "lexicon"]
    assert evaluation["command"].startswith("python -m training.evaluate --data ")
    assert evaluation["size"] == "small" and evaluation["date"]
    assert evaluation["data"]["evaluated_clips"] == len(clips_to_evaluate(small_prepared)) == 2
    for name in ("floor", "cross-signer", "lexicon"):
        row = rows[name]
        assert row["clips"] == 2, name
        for key in ("dtw", "hands_dtw"):  # other clips (another seed, signer, backend)
            assert math.isfinite(row[key]) and row[key] > 0, (name, key)
        assert 0 <= row["length_error"] < 1, name  # a share of the reference's length
    for name in ("references", "floor", "lexicon"):
        wer = rows[name]["wer"]
        assert wer is not None and 0 <= wer, name
        motion = rows[name]["motion"]
        assert motion["wrist_speed_mean"] > 0 and motion["hand_size"] > 0, name
    lex = rows["lexicon"]
    assert lex["ms_per_sentence"] > 0 and lex["checkpoint_mb"] > 0
    # the DTW over the clips that sign what was asked: all of them, or none (one sentence)
    if evaluation["recognizer"]["sentences_signed_otherwise"] == 0:
        assert lex["clips_signed_as_asked"] == 2
        assert lex["dtw_signed_as_asked"] == pytest.approx(lex["dtw"])
    else:
        assert "dtw_signed_as_asked" not in lex
    assert "train split" in lex["note"]
    # the test sentence's glosses 7, 호선, 지연 occur only in test clips: a lexicon built
    # from the train split cannot have them, so they must have been left out
    assert lex["glosses_left_out"] >= 2
    assert evaluation["gloss_memory"] is None  # that checkpoint folder has none
    rec = evaluation["recognizer"]
    assert rec["available"] and rec["parameters"] > 0 and rec["wer_references"] is not None
    # a held frame never reads back the sentence; one test sentence: no other to compare
    assert rec["wer_frozen"] > 0 and rec["wer_other_sentence"] is None
    # the references read against the gloss stage's glosses: the same figure when the
    # corpus signs the sentence with those glosses, otherwise worse
    assert rec["sentences_signed_otherwise"] in (0, 1)
    if rec["sentences_signed_otherwise"] == 0:
        assert rec["wer_references_vs_asked"] == pytest.approx(rec["wer_references"])
    else:
        assert rec["wer_references_vs_asked"] > rec["wer_references"]


def test_floor_is_closer_than_another_signer(evaluation):
    rows = {r["name"]: r for r in evaluation["text2pose"]}
    assert rows["floor"]["dtw"] < rows["cross-signer"]["dtw"]
    assert rows["floor"]["dtw"] < rows["lexicon"]["dtw"]
    assert rows["floor"]["length_error"] < 0.25
    # remade with the corpus's own seed, the reference comes back (float16 + JSON rounding)
    assert rows["floor"]["same_seed_dtw"] < 0.05
    assert "WARNING" not in rows["floor"]["note"]


def test_video_rows_and_pose_consistency(evaluation):
    (avatar,) = evaluation["pose2video"]
    assert avatar["name"] == "avatar" and avatar["clips"] == 2 and avatar["frames_compared"] > 0
    assert 0 < avatar["ssim"] <= 1 and avatar["psnr"] > 10
    for part in ("face", "left_hand", "right_hand"):
        assert 0 < avatar[f"ssim_{part}"] <= 1
    assert avatar["relative_flicker"] > 0 and avatar["ms_per_frame"] > 0
    assert avatar["real_frames"] == ["mp4"]
    sources = {r["keypoints"]: r for r in evaluation["pose_consistency"]}
    assert set(sources) == {"references", "lexicon"}
    for row in sources.values():
        assert row["frames"] > 0 and row["body_found_rate"] == 1.0
        assert row["wrist_error"] < 0.5
        assert row["flicker"] > 0.5  # the avatar moves
        assert row["flicker_vs_avatar"] == pytest.approx(1.0)  # the avatar against itself
        assert row["hands_vs_avatar"] in (None, pytest.approx(1.0))


def test_tables_show_every_row(evaluation):
    text = format_tables(evaluation)
    for name in ("references", "floor", "cross-signer", "lexicon", "avatar"):
        assert f"| {name}" in text


def test_a_gloss_memory_that_is_not_one_stops_it_before_anything_runs(small_prepared, tmp_path,
                                                                      capsys):
    (tmp_path / "checkpoints").mkdir()
    (tmp_path / "checkpoints" / "gloss_memory.json").write_text("[1, 2]", encoding="utf-8")
    out = tmp_path / "evaluation.json"
    with pytest.raises(SystemExit) as exc:
        main(["--data", str(small_prepared), "--checkpoints", str(tmp_path / "checkpoints"),
              "--out", str(out)])  # fmt: skip
    assert exc.value.code == 2 and "gloss_memory.json" in capsys.readouterr().err
    assert not out.exists()


def test_missing_recogniser_is_reported_not_fatal(tmp_path):
    bt, info = load_recognizer(tmp_path / "none")
    assert bt is None and info["available"] is False and "does not exist" in info["reason"]


def test_keep_known_moves_the_question_start():
    inp = GlossInput.from_glosses(["명동", "지하철", "어디", "가다"], question="wh")
    assert inp.sentences[0].question_start == 2
    kept, dropped = keep_known(inp, {"지하철", "어디", "가다"})
    assert kept.glosses == ["지하철", "어디", "가다"] and dropped == ["명동"]
    assert kept.sentences[0].question_start == 1 and kept.sentences[0].question == "wh"
    assert keep_known(inp, None) == (inp, [])


def test_signing_span_trims_to_the_gloss_timings():
    kp = np.arange(20, dtype=np.float32)[:, None, None] * np.ones((20, 127, 2), np.float32)
    out = PoseOutput(kp, np.ones((20, 127), bool), 30.0,
                     [GlossTiming("a", 4, 9), GlossTiming("b", 9, 15)])  # fmt: skip
    span, mask = signing_span(out)
    assert len(span) == 11 and span[0, 0, 0] == 4 and span[-1, 0, 0] == 14
    assert len(signing_span(PoseOutput(kp, out.mask, 30.0))[0]) == 20


def test_regenerate_remakes_the_clip_with_another_seed(small_prepared):
    from sign_pipeline import metrics
    from training.dataset import load_clip
    from training.evaluate import _corpus_manifest

    record = clips_to_evaluate(small_prepared)[0]
    ref = load_clip(small_prepared, record["clip_id"])
    again = regenerate(record, _corpus_manifest(record))
    assert again is not None
    kp, m = again
    assert kp.shape[1:] == (127, 2) and abs(len(kp) - len(ref["keypoints"])) <= 10
    assert not np.array_equal(kp[: len(ref["keypoints"])], ref["keypoints"][: len(kp)])
    # normalised like prepare: neck at 0, shoulder width 1
    assert np.abs(np.median(kp[m[:, 1], 1], axis=0)).max() < 1e-3
    assert metrics.shoulder_width(kp, m) == pytest.approx(1.0, abs=0.02)
    # without corpus.json the sentence is found in the generator's sentence list
    assert regenerate(record, None) is not None
    same, same_mask = regenerate(record, _corpus_manifest(record), seed_offset=0)
    assert metrics.dtw(same, ref["keypoints"], same_mask, ref["mask"]) < 0.05
    assert regenerate({**record, "sentence": "없는 문장"}, None) is None


def test_remade_video_matches_the_corpus_mp4(small_prepared):
    from sign_pipeline import metrics
    from training.evaluate import _corpus_manifest, read_video_frames, remade_video

    record = clips_to_evaluate(small_prepared)[0]
    mp4 = read_video_frames(record["video"], *record["trim"])
    remade = remade_video(record, _corpus_manifest(record))
    assert remade.shape == mp4.shape == (record["n_frames"], 256, 256, 3)
    idx = [0, len(mp4) // 2, len(mp4) - 1]
    assert metrics.psnr(remade[idx], mp4[idx]) > 30  # the same frames, up to H.264
