"""The back-translation recogniser: WER, CTC decoding, features, training, save/load."""

from __future__ import annotations

import csv

import numpy as np
import pytest
import torch

from sign_pipeline import skeleton as sk
from sign_pipeline.backtranslation import (
    NUM_FEATURES,
    BackTranslator,
    Recognizer,
    RecognizerConfig,
    clip_features,
    corpus_wer,
    ctc_greedy_decode,
    decode_batch,
    frame_features,
    model_rate_indices,
    pad_features,
    wer,
    word_errors,
)
from sign_pipeline.modeling import CheckpointError

TINY = {"hidden": 32, "dilations": (1, 2), "attention_layers": 1, "heads": 2, "feedforward": 64}


# ---------------------------------------------------------------------------- scoring


def test_wer_hand_computed_cases():
    assert wer(["지하철", "가다"], ["지하철", "가다"]) == 0.0
    assert wer(["지하철", "버스", "가다"], ["지하철", "가다"]) == 0.5  # one insertion
    assert wer([], ["a", "b", "c"]) == 1.0  # three deletions
    assert wer(["b", "a"], ["a", "b"]) == 1.0  # two substitutions (or delete + insert)
    assert wer(["x"], ["a", "b", "c", "d"]) == 1.0  # one substitution, three deletions
    assert word_errors(["a", "c", "d"], ["a", "b", "c"]) == 2  # delete b, insert d
    assert word_errors(["a", "a", "a"], ["a"]) == 2
    assert wer(["a", "b"], []) == 2.0  # empty reference: every gloss is an insertion
    # corpus WER weights by reference length: (1 + 0) / (2 + 1)
    assert corpus_wer([(["a"], ["a", "b"]), (["c"], ["c"])]) == pytest.approx(1 / 3)


def test_ctc_greedy_decoding_collapses_repeats_then_drops_blanks():
    assert ctc_greedy_decode([0, 5, 5, 0, 5, 7, 7, 0]) == [5, 5, 7]
    assert ctc_greedy_decode([3, 3, 3]) == [3]
    assert ctc_greedy_decode([0, 0, 0]) == []
    assert ctc_greedy_decode([4, 0, 4]) == [4, 4]
    assert ctc_greedy_decode([4, 4, 6, 6, 0, 6]) == [4, 6, 6]
    # batch decoding ignores frames past each sequence's length
    logits = torch.full((2, 4, 8), -10.0)
    for b, row in enumerate([[5, 5, 0, 7], [6, 0, 6, 7]]):
        for t, i in enumerate(row):
            logits[b, t, i] = 0.0
    assert decode_batch(logits.log_softmax(-1), torch.tensor([4, 3])) == [[5, 7], [6, 6]]


# ---------------------------------------------------------------------------- features


def _moving_clip(t_len: int = 30) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    kp = rng.normal(0, 0.3, (t_len, sk.NUM_POINTS, 2)).astype(np.float32)
    kp[:, sk.RIGHT_HAND] += np.linspace(0, 1, t_len, dtype=np.float32)[:, None, None]
    return kp, np.ones(kp.shape[:2], bool)


def test_model_rate_indices():
    assert model_rate_indices(10, 30.0, 15.0).tolist() == [0, 2, 4, 6, 8]
    assert model_rate_indices(4, 15.0, 15.0).tolist() == [0, 1, 2, 3]
    assert model_rate_indices(9, 30.0, 15.0, speed=1.5).tolist() == [0, 3, 6]
    assert model_rate_indices(1, 60.0, 15.0).tolist() == [0]


def test_frame_features_shape_and_hand_handling():
    kp, m = _moving_clip()
    f = frame_features(kp, m)
    assert f.shape == (30, NUM_FEATURES) and f.dtype == np.float32
    # a hand shape is relative to its wrist: moving the whole hand changes only positions
    moved = kp.copy()
    moved[:, sk.LEFT_HAND] += 0.5
    g = frame_features(moved, m)
    shape_left = slice(30, 30 + 42)
    assert np.allclose(f[:, shape_left], g[:, shape_left], atol=1e-5)
    # a missing hand: zero shape, presence flag 0, wrist from the body wrist
    m2 = m.copy()
    m2[:, sk.RIGHT_HAND] = False
    h = frame_features(kp, m2)
    assert np.all(h[:, 72:114] == 0)
    presence = h[:, 118:120]
    assert np.all(presence[:, 0] == 1) and np.all(presence[:, 1] == 0)
    assert np.allclose(h[:, 116:118], kp[:, sk.R_WRIST])
    # 30 fps in, 15 fps read
    assert clip_features(kp, m, 30.0).shape == (15, NUM_FEATURES)


# ---------------------------------------------------------------------------- model


@pytest.fixture
def tiny_model() -> Recognizer:
    torch.manual_seed(0)
    config = RecognizerConfig(glosses=["지하철", "가다", "ㄱ"], signers=[1, 2], **TINY)
    return Recognizer(config).eval()


def test_save_load_gives_identical_output(tiny_model, tmp_path):
    kp, m = _moving_clip(40)
    x, lengths = pad_features([clip_features(kp, m, 30.0), clip_features(kp[:20], m[:20], 30.0)])
    tiny_model.save_pretrained(tmp_path)
    loaded = Recognizer.load(tmp_path)
    with torch.no_grad():
        a, b = tiny_model(x, lengths), loaded(x, lengths)
    assert a.shape == (2, 20, 3 + 3)  # 3 special ids + 3 glosses
    assert torch.equal(a, b)
    assert torch.allclose(a.exp().sum(-1), torch.ones(2, 20))
    bt = BackTranslator.load(tmp_path)
    threads = torch.get_num_threads()
    assert bt.recognise(kp, m, 30.0) == BackTranslator(tiny_model).recognise(kp, m, 30.0)
    assert torch.get_num_threads() == threads  # inference ran on 1 thread, then restored
    assert bt.glosses == ["지하철", "가다", "ㄱ"]
    # padding does not change a sequence's output
    with torch.no_grad():
        alone = tiny_model(x[1:, :10], lengths[1:])
    assert torch.allclose(alone[0], a[1, :10], atol=1e-5)


def test_missing_checkpoint_is_a_clear_error(tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        BackTranslator.load(tmp_path / "nowhere")


def test_training_lowers_the_loss_and_the_checkpoint_reads_clips(small_prepared, tmp_path):
    from training.dataset import load_clip, load_manifest
    from training.train_recognizer import train

    out = tmp_path / "rec"
    summary = train(small_prepared, out, epochs=4, batch_size=4, lr=3e-3, model_config=TINY,
                    show_progress=False)  # fmt: skip
    assert summary["epochs_run"] == 4 and summary["train_clips"] >= 10
    assert (out / "model.safetensors").is_file() and (out / "losses.png").is_file()
    assert not (out / "resume.pt").exists()  # a finished run leaves only the model
    with open(out / "losses.csv", encoding="utf-8") as f:
        losses = [float(r["train_loss"]) for r in csv.DictReader(f)]
    assert len(losses) == 4 and losses[-1] < 0.7 * losses[0]
    bt = BackTranslator.load(out)
    record = load_manifest(small_prepared, "test")[0]
    clip = load_clip(small_prepared, record["clip_id"])
    hyp = bt.recognise(clip["keypoints"], clip["mask"], float(clip["fps"]))
    assert isinstance(hyp, list) and all(g in bt.glosses for g in hyp)
    # the vocabulary is the whole sign inventory, so any gloss the stage gives can be read
    assert len(bt.glosses) >= 300


def test_training_resumes_where_it_stopped(small_prepared, tmp_path):
    from training.train_recognizer import train

    out = tmp_path / "rec"
    train(small_prepared, out, epochs=1, batch_size=8, model_config=TINY, keep_resume=True,
          show_progress=False)  # fmt: skip
    assert (out / "resume.pt").is_file()
    summary = train(small_prepared, out, epochs=2, batch_size=8, model_config=TINY,
                    show_progress=False)  # fmt: skip
    assert summary["epochs_run"] == 2
    with open(out / "losses.csv", encoding="utf-8") as f:
        assert [float(r["epoch"]) for r in csv.DictReader(f)] == [1, 2]


def test_length_buckets_cover_every_clip_once_in_similar_length_batches():
    from training.train_recognizer import length_buckets

    lengths = [30] * 40 + [120] * 40
    batches = length_buckets(lengths, 8, seed=0)
    flat = sorted(i for b in batches for i in b)
    assert flat == list(range(80)) and all(len(b) == 8 for b in batches)
    mixed = [b for b in batches if len({lengths[i] for i in b}) > 1]
    assert len(mixed) <= 1  # only the batch at the boundary mixes words and sentences
    assert length_buckets(lengths, 8, seed=1) != batches  # another epoch, another order
    # two ranks: the same number of batches each, no clip twice
    r0, r1 = (length_buckets(lengths, 8, seed=0, rank=k, world_size=2) for k in (0, 1))
    assert len(r0) == len(r1) == 5
    assert not {i for b in r0 for i in b} & {i for b in r1 for i in b}
