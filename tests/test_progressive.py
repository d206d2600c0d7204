"""The Progressive Transformer backend: training lowers the loss, the counter (never a
reference length) ends decoding, save/load is exact, bad input gets clear errors."""

from __future__ import annotations

import inspect
import json

import numpy as np
import pytest
import torch

from sign_pipeline import registry
from sign_pipeline import skeleton as sk
from sign_pipeline.modeling import CheckpointError
from sign_pipeline.text2pose.base import GlossInput, SentencePlan
from sign_pipeline.text2pose.progressive import (
    COUNTER_SCALE,
    ProgressiveConfig,
    ProgressiveText2Pose,
    ProgressiveTransformer,
    counter_boundaries,
    from_relative,
    to_relative,
)
from training.dataset import PoseDataset
from training.train_text2pose import AtModelRate, collate, init_weights, train

GLOSSES = ["지하철", "가다", "명동", "타다", "ㄱ", "7"]


def tiny_model(**kw) -> ProgressiveTransformer:
    torch.manual_seed(0)
    cfg = dict(glosses=GLOSSES, signers=[1, 2], hidden=32, heads=2, dropout=0.0)
    return ProgressiveTransformer(ProgressiveConfig(**{**cfg, **kw})).eval()


def set_counter_rise(model: ProgressiveTransformer, rise: float) -> None:
    """Make every frame add exactly ``rise`` to the counter."""
    with torch.no_grad():
        model.counter_out.weight.zero_()
        model.counter_out.bias.fill_(float(np.log(np.expm1(rise / COUNTER_SCALE))))


@pytest.fixture(scope="module")
def shipped() -> ProgressiveText2Pose:
    return registry.load("text2pose", "progressive", registry.DEFAULT_CHECKPOINTS)


# ---------------------------------------------------------------------------- representation


def test_relative_frames_round_trip_exactly():
    rng = np.random.default_rng(0)
    kp = torch.from_numpy(rng.normal(size=(5, sk.NUM_POINTS, 2)).astype(np.float32))
    rel, valid = to_relative(kp, torch.ones(5, sk.NUM_POINTS, dtype=torch.bool))
    # a fingertip is measured from its hand's wrist, a face point from the nose
    tip = sk.RIGHT_HAND.start + 8
    assert torch.allclose(rel[:, tip], kp[:, tip] - kp[:, sk.R_HAND_WRIST])
    assert torch.allclose(rel[:, sk.FACE.start], kp[:, sk.FACE.start] - kp[:, sk.NOSE])
    assert torch.equal(rel[:, sk.NECK], kp[:, sk.NECK])
    assert torch.allclose(from_relative(rel), kp, atol=1e-6)
    assert valid.all()


def test_a_relative_point_is_missing_when_its_reference_is():
    kp = torch.zeros(1, sk.NUM_POINTS, 2)
    mask = torch.ones(1, sk.NUM_POINTS, dtype=torch.bool)
    mask[0, sk.L_HAND_WRIST] = False
    _, valid = to_relative(kp, mask)
    assert not valid[0, sk.LEFT_HAND].any()
    assert valid[0, sk.RIGHT_HAND].all()


def test_counter_boundaries_follow_the_gloss_ends():
    counters = np.arange(1, 13) / 12  # 12 frames
    b = counter_boundaries(counters, np.array([0.25, 0.5, 1.0]))
    assert list(b) == [0, 3, 6, 12]
    # a gloss with no share still gets a frame, and the boundaries never go back
    b = counter_boundaries(counters, np.array([0.0, 0.0, 1.0]))
    assert list(b) == [0, 1, 2, 12]


def test_the_clock_finds_the_gloss_and_its_phase():
    ends = torch.tensor([[0.25, 0.5, 1.0, 1.0]])
    mask = torch.tensor([[True, True, True, False]])
    idx, phase = ProgressiveTransformer.clock(torch.tensor([[0.0, 0.125, 0.25, 0.75, 1.0]]),
                                              ends, mask)  # fmt: skip
    assert idx.tolist() == [[0, 0, 1, 2, 2]]
    assert phase[0].tolist() == pytest.approx([0.0, 0.5, 0.0, 0.5, 1.0])


# ---------------------------------------------------------------------------- training


def test_a_few_training_steps_lower_the_loss(small_prepared):
    torch.manual_seed(0)
    data = AtModelRate(PoseDataset(small_prepared, "train"), step=2)
    batch = collate([data[i] for i in range(len(data))])
    assert torch.isfinite(batch["gloss_ends"]).all(1).any()  # spans teach the durations
    vocab = data.dataset.vocab
    model = ProgressiveTransformer(ProgressiveConfig(
        glosses=vocab.glosses, signers=[1, 2], hidden=32, heads=2, dropout=0.0))  # fmt: skip
    model.fit_normalization((data[i]["keypoints"], data[i]["mask"]) for i in range(len(data)))
    model.eval()
    with torch.no_grad():
        before, parts = model(batch)
    assert set(parts) == {"frames", "future", "velocity", "counter", "duration"}
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    model.train()
    for _ in range(25):
        loss, _ = model(batch)
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        after, _ = model(batch)
    assert float(after) < 0.7 * float(before)
    # the input noise follows the model's own error: measured in training
    assert not torch.allclose(model.error_std[:-1], torch.full_like(model.error_std[:-1], 0.5))


def test_training_command_saves_and_resumes(small_prepared, tmp_path):
    common = dict(backend="progressive", data=small_prepared, out=tmp_path, seed=0,
                  batch_size=8, model_config={"hidden": 32, "heads": 2}, keep_resume=True,
                  show_progress=False)  # fmt: skip
    first = train(epochs=2, **common)
    assert first["epochs_run"] == 2 and (tmp_path / "resume.pt").is_file()
    again = train(epochs=3, **common)  # continues from epoch 2, does not start over
    assert again["epochs_run"] == 3
    rows = [r for r in open(tmp_path / "losses.csv", encoding="utf-8")][1:]
    assert [int(r.split(",")[0]) for r in rows] == [1, 2, 3]
    cfg = json.loads((tmp_path / "config.json").read_text("utf-8"))
    assert cfg["model_type"] == "ksl_progressive_transformer" and cfg["signers"] == [1, 2]
    backend = ProgressiveText2Pose.from_pretrained(tmp_path)
    assert backend.about()["synthetic"] is True
    assert (tmp_path / "losses.png").is_file()


def test_the_hand_critic_trains_and_fine_tuning_starts_from_a_checkpoint(small_prepared, tmp_path):
    common = dict(backend="progressive", data=small_prepared, seed=0, batch_size=8,
                  show_progress=False, eval_clips=2)  # fmt: skip
    train(epochs=1, out=tmp_path / "a", model_config={"hidden": 32, "heads": 2}, **common)
    base = ProgressiveTransformer.load(tmp_path / "a")
    assert base.hand_critic is None  # no critic unless asked for
    tuned_cfg = {"hidden": 32, "heads": 2, "adversarial_weight": 0.1}
    model = ProgressiveTransformer(ProgressiveConfig(
        glosses=base.config.glosses, signers=base.config.signers, **tuned_cfg))  # fmt: skip
    init_weights(model, base, tmp_path / "a")
    assert torch.equal(model.gloss_embed.weight, base.gloss_embed.weight)
    assert torch.equal(model.value_std, base.value_std)
    # one batch: the critic's and the adversarial losses are part of training
    data = AtModelRate(PoseDataset(small_prepared, "train"), step=2)
    batch = collate([data[i] for i in range(8)])
    model.train()
    loss, parts = model(batch)
    assert {"critic", "adversarial"} <= set(parts) and torch.isfinite(loss)
    loss.backward()
    assert model.hand_critic.net[0].weight.grad.abs().sum() > 0
    summary = train(epochs=1, out=tmp_path / "b", model_config=tuned_cfg,
                    init_from=tmp_path / "a", **common)  # fmt: skip
    assert summary["init_from"] == str(tmp_path / "a")
    tuned = ProgressiveTransformer.load(tmp_path / "b")
    assert tuned.hand_critic is not None
    with pytest.raises(SystemExit, match="glosses differ"):
        other = ProgressiveTransformer(ProgressiveConfig(glosses=["x"], signers=[1, 2], hidden=32,
                                                         heads=2))  # fmt: skip
        init_weights(other, base, tmp_path / "a")


# ---------------------------------------------------------------------------- decoding


def test_the_counter_ends_decoding():
    model = tiny_model()
    ids = model.vocab.encode(["지하철", "가다"])
    set_counter_rise(model, 0.1)  # counters 0.1, 0.2, ...: 1 at the 10th frame
    values, counters, attn, ends, stopped = model.generate_values(ids, [0, 0], [False, False], 1)
    assert stopped and len(values) == 10
    assert counters[-1] == pytest.approx(1.0, abs=1e-4)
    assert attn.shape == (10, 2)
    set_counter_rise(model, 0.2)
    assert len(model.generate_values(ids, [0, 0], [False, False], 1)[0]) == 5
    set_counter_rise(model, 1e-4)  # never reaches 1: the safety cap stops it, and says so
    values, _, _, _, stopped = model.generate_values(ids, [0, 0], [False, False], 1)
    assert not stopped
    assert len(values) == int(np.ceil(model.config.max_seconds_per_gloss * 15 * 2)) + 8


def test_output_is_at_the_data_rate_with_the_counters_length():
    model = tiny_model()
    set_counter_rise(model, 0.1)
    out = ProgressiveText2Pose(model).sign(["지하철", "가다", "명동"], signer=2)
    assert len(out) == 19 and out.fps == 30.0  # 10 frames at 15 fps -> 19 at 30
    assert out.extras["stopped_by"] == "counter"
    assert [t.gloss for t in out.timings] == ["지하철", "가다", "명동"]
    assert out.timings[-1].end == 19


def test_generation_never_reads_a_reference_length():
    for method in (ProgressiveText2Pose.generate, ProgressiveTransformer.generate_values):
        params = set(inspect.signature(method).parameters) - {"self"}
        assert not {p for p in params if "len" in p or "frame" in p or "ref" in p}, params


def test_shipped_model_length_follows_the_gloss_count(shipped):
    lengths = []
    for glosses in (["지하철"], ["지하철", "가다", "타다"], ["지하철", "가다", "명동", "타다", "가방", "빠지다"]):
        out = shipped.sign(glosses, signer=1)
        assert out.extras["stopped_by"] == "counter"
        lengths.append(len(out))
    assert lengths[0] < lengths[1] < lengths[2]


def test_shipped_model_signs_numbers_and_fingerspelling(shipped):
    known = shipped.known_glosses()
    spelled = [g for g in ["ㅇ", "ㅣ", "ㅌ", "ㅐ", "ㅇ", "ㅝ", "ㄴ"] if g in known]
    assert len(spelled) == 7
    out = shipped.sign(["1000", "2", "100", "50", "원"], signer=1)
    assert out.extras["stopped_by"] == "counter"
    assert shipped.sign(spelled, signer=1).extras["stopped_by"] == "counter"


def test_shipped_model_raises_the_brows_for_a_yes_no_question(shipped):
    glosses = ("지하철", "가다", "타다")
    plain = shipped.sign(GlossInput((SentencePlan(glosses),)), signer=1)
    asked = shipped.sign(GlossInput((SentencePlan(glosses, "yes_no", 0),)), signer=1)
    brows = np.r_[sk.FACE.start + 17 : sk.FACE.start + 27]

    def brow_height(out):  # brows above the eyes' upper lids, shoulder widths
        lids = out.keypoints[:, sk.FACE.start + 36 : sk.FACE.start + 48, 1].mean(1)
        return float((lids - out.keypoints[:, brows, 1].mean(1)).mean())

    assert brow_height(asked) > brow_height(plain) + 0.01


def test_save_load_gives_identical_output(tmp_path):
    model = tiny_model()
    set_counter_rise(model, 0.05)
    backend = ProgressiveText2Pose(model)
    backend.save_pretrained(tmp_path)
    again = ProgressiveText2Pose.from_pretrained(tmp_path)
    a = backend.sign(["지하철", "7", "ㄱ"], signer=2)
    b = again.sign(["지하철", "7", "ㄱ"], signer=2)
    assert np.array_equal(a.keypoints, b.keypoints) and len(a) > 10


# ---------------------------------------------------------------------------- bad input


def test_bad_input_gives_clear_errors(tmp_path):
    backend = ProgressiveText2Pose(tiny_model())
    with pytest.raises(ValueError, match="no glosses"):
        backend.sign([])
    with pytest.raises(ValueError, match="cannot sign 버스 .*not in its vocabulary"):
        backend.sign(["지하철", "버스"])
    with pytest.raises(ValueError, match=r"signer 3 is not known .*\[1, 2\]"):
        backend.sign(["지하철"], signer=3)
    backend.save_pretrained(tmp_path)
    (tmp_path / "model.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(CheckpointError, match="cannot load the weights"):
        ProgressiveText2Pose.from_pretrained(tmp_path)
    with pytest.raises(CheckpointError, match="does not exist"):
        ProgressiveText2Pose.from_pretrained(tmp_path / "nowhere")
