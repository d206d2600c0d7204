"""The Progressive Transformer backend: its relative frames, its counter (never a reference
length) ending decoding, its hand critic and training command. Save/load, signers, bad
checkpoints, a few training steps and the shipped model's length, numbers and questions are
the common tests (tests/model_tester.py)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from sign_pipeline import skeleton as sk
from sign_pipeline.text2pose.progressive import (
    COUNTER_SCALE,
    ProgressiveConfig,
    ProgressiveText2Pose,
    ProgressiveTransformer,
    counter_boundaries,
    from_relative,
    to_relative,
)
from tests.model_tester import GLOSSES, Text2PoseModelTester
from training.dataset import PoseDataset
from training.train_text2pose import AtModelRate, collate, init_weights, selection_metric, train


def tiny_model(**kw) -> ProgressiveTransformer:
    torch.manual_seed(0)
    cfg = dict(glosses=GLOSSES, signers=[1, 2], hidden=32, heads=2, dropout=0.0)
    return ProgressiveTransformer(ProgressiveConfig(**{**cfg, **kw})).eval()


def set_counter_rise(model: ProgressiveTransformer, rise: float) -> None:
    """Make every frame add exactly ``rise`` to the counter."""
    with torch.no_grad():
        model.counter_out.weight.zero_()
        model.counter_out.bias.fill_(float(np.log(np.expm1(rise / COUNTER_SCALE))))


class TestProgressiveTransformer(Text2PoseModelTester):
    backend_class = ProgressiveText2Pose
    name = "progressive"
    stopped_by = "counter"
    brow_rise = 0.01
    generation_methods = (ProgressiveText2Pose.generate, ProgressiveTransformer.generate_values)
    training_config = {"hidden": 32, "heads": 2, "dropout": 0.0}

    def tiny_model(self, signers=(1, 2)):
        return tiny_model(signers=list(signers))

    def inference_model(self, signers=(1, 2)):
        model = tiny_model(signers=list(signers))
        set_counter_rise(model, 0.05)
        return model

    def check_trained(self, model, first_parts, last_parts):
        assert set(first_parts) == {"frames", "future", "velocity", "counter", "duration"}
        # the input noise follows the model's own error: measured in training
        assert not torch.allclose(model.error_std[:-1],
                                  torch.full_like(model.error_std[:-1], 0.5))  # fmt: skip


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


def test_training_command_saves_and_resumes(small_prepared, tmp_path):
    common = dict(backend="progressive", data=small_prepared, out=tmp_path, seed=0,
                  batch_size=8, model_config={"hidden": 32, "heads": 2}, keep_resume=True,
                  show_progress=False)  # fmt: skip
    first = train(epochs=2, **common)
    assert first["epochs_run"] == 2 and (tmp_path / "resume.pt").is_file()
    again = train(epochs=3, **common)  # continues from epoch 2, does not start over
    assert again["epochs_run"] == 3
    from training.loop import LossLog

    assert [r["epoch"] for r in LossLog(tmp_path).rows()] == [1, 2, 3]  # one row per epoch
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


def test_dev_checks_read_the_outputs_back(small_prepared):
    from sign_pipeline.backtranslation import BackTranslator, corpus_wer
    from training.dataset import clip_gloss_input, load_clip, load_manifest
    from training.train_text2pose import evaluate_clips

    model = tiny_model()
    set_counter_rise(model, 0.05)
    backend = ProgressiveText2Pose(model)
    clips = []
    for record in load_manifest(small_prepared, "train"):
        inp = clip_gloss_input(record, "data")
        if len(clips) < 2 and inp.glosses and all(g in GLOSSES for g in inp.glosses):
            clip = load_clip(small_prepared, record["clip_id"])
            clips.append({"input": inp, "signer": 1, "keypoints": clip["keypoints"],
                          "mask": clip["mask"]})  # fmt: skip
    assert clips
    reader = BackTranslator.load("checkpoints/recognizer")
    row = evaluate_clips(backend, clips, reader)
    expected = []
    for c in clips:
        out = backend.sign(c["input"], signer=1)
        expected.append((reader.recognise(out.keypoints, out.mask, out.fps), c["input"].glosses))
    assert row["dev_wer"] == pytest.approx(corpus_wer(expected))
    assert "dev_wer" not in evaluate_clips(backend, clips)  # no recogniser: no WER
    assert row["dev_dtw"] == pytest.approx(evaluate_clips(backend, clips)["dev_dtw"])


def test_extra_training_clips_only_with_known_glosses_and_signers(small_prepared):
    from training.cli import UsageError
    from training.train_text2pose import extra_training_set

    main = PoseDataset(small_prepared, "train", gloss_source="data")
    extra = extra_training_set(small_prepared, main, "data")  # every split of the folder
    every = PoseDataset(small_prepared, None, vocab=main.vocab, gloss_source="data")
    assert len(main) <= len(extra) < len(every)  # dev/test clips with unseen glosses left out
    assert all(g in main.vocab for inp in extra.inputs for g in inp.glosses)
    extra[0]  # its items encode with the main vocabulary
    main.records = [dict(r, signer_index=r["signer_index"] + 1) for r in main.records]
    with pytest.raises(UsageError, match="no clip with only the glosses and signers"):
        extra_training_set(small_prepared, main, "data")


def test_selection_by_wer_breaks_ties_by_dtw():
    a = {"dev_dtw": 6.0, "dev_wer": 0.10, "train_loss": 1.0}
    b = {"dev_dtw": 5.0, "dev_wer": 0.10, "train_loss": 1.0}
    c = {"dev_dtw": 9.0, "dev_wer": 0.09, "train_loss": 1.0}
    assert selection_metric(b, "wer") < selection_metric(a, "wer")
    assert selection_metric(c, "wer") < selection_metric(b, "wer")
    assert selection_metric(c, "dtw") == 9.0
    assert selection_metric({"train_loss": 2.0}, "wer") == 2.0  # no dev clip signed


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


# ---------------------------------------------------------------------------- output modes


def test_output_modes_train_the_closest_mode_and_decode_the_best_scored(small_prepared):
    train_set = PoseDataset(small_prepared, "train")
    data = AtModelRate(train_set, step=2)
    batch = collate([data[i] for i in range(8)])
    glosses = train_set.vocab.glosses
    signers = sorted({int(r["signer_index"]) + 1 for r in train_set.records})
    one = tiny_model(glosses=glosses, signers=signers)
    several = tiny_model(glosses=glosses, signers=signers, modes=3)
    init_weights(several, one, "one-mode model", verbose=False)
    # each mode starts as a (slightly perturbed) copy of the one-mode model's output
    per_mode = one.frame_out.weight.shape[0]
    assert several.frame_out.weight.shape[0] == 3 * per_mode
    for k in range(3):
        part = several.frame_out.weight[k * per_mode : (k + 1) * per_mode]
        assert torch.allclose(part, one.frame_out.weight, atol=0.05 * float(one.frame_out.weight.std().detach()))
        assert not torch.equal(part, one.frame_out.weight)
    several.train()
    torch.manual_seed(1)
    loss, parts = several(batch)
    assert "modes" in parts and parts["modes"] == pytest.approx(np.log(3), abs=0.05)
    loss.backward()
    assert several.mode_out.weight.grad.abs().sum() > 0
    # the frame loss is that of the closest mode: below the one-mode model's (equal copies)
    one.train()
    torch.manual_seed(1)
    _, one_parts = one(batch)
    assert parts["frames"] <= one_parts["frames"] * 1.05
    # decoding takes the mode with the highest score: make mode 2 win, then mode 0
    several.eval()
    set_counter_rise(several, 0.1)
    ids = several.vocab.encode(["지하철", "가다"])
    outs = []
    for winner in (2, 0):
        with torch.no_grad():
            several.mode_out.weight.zero_()
            several.mode_out.bias.copy_(torch.tensor([0.0, 0.0, 0.0]))
            several.mode_out.bias[winner] = 5.0
            several.frame_out.bias.view(3, -1)[winner].add_(1.0)  # the winner's own look
        values = several.generate_values(ids, [0, 0], [False, False], 1)[0]
        outs.append(values)
        with torch.no_grad():
            several.frame_out.bias.view(3, -1)[winner].sub_(1.0)
    assert len(outs[0]) == len(outs[1]) == 10
    assert not torch.allclose(outs[0], outs[1])


def test_one_mode_is_the_plain_model_and_modes_must_be_positive():
    model = tiny_model()
    assert model.mode_out is None and model.config.modes == 1
    with pytest.raises(ValueError, match="modes"):
        ProgressiveConfig(glosses=GLOSSES, signers=[1], modes=0)


def test_the_energy_loss_compares_how_far_the_arms_travel_not_when():
    model = tiny_model(energy_weight=1.0)
    torch.manual_seed(0)
    t = torch.linspace(0, 6 * np.pi, 40)
    values = torch.randn(2, 1, 254) * 0.1 + torch.sin(t)[None, :, None] * torch.rand(2, 1, 254)
    ok = torch.ones(2, 40, 254, dtype=torch.bool)
    assert float(model.energy_loss(values, values, ok)) == pytest.approx(0.0, abs=1e-4)
    # moving half as far is half wrong, wherever it moves
    mean = values.mean(1, keepdim=True)
    half = mean + 0.5 * (values - mean)
    assert float(model.energy_loss(half, values, ok)) == pytest.approx(0.5, abs=1e-3)
    # the same movement a little later: a small energy error, a large velocity error
    late = torch.cat([values[:, :2], values[:, :-2]], 1)
    # a saw-tooth within each decoder step (3 frames) travels nothing over a step
    tooth = values + (torch.arange(40) % 3 == 1).float()[None, :, None] * 0.5
    assert float(model.energy_loss(tooth, values, ok)) < 0.05
    assert float(model.energy_loss(late, values, ok)) < 0.2
    assert float(model.velocity_loss(late, values, ok)) > 5 * float(
        model.velocity_loss(values + 0.001, values, ok)
    )
    # moving in the next window instead, where the reference holds still: wrong twice
    moving = torch.linspace(0, 1, 12)[None, :, None].expand(2, 12, 254)
    ref = torch.cat([moving, moving[:, -1:].expand(2, 28, 254)], 1)
    pred = torch.cat([ref[:, :1].expand(2, 12, 254), moving, moving[:, -1:].expand(2, 16, 254)], 1)
    assert float(model.energy_loss(pred, ref, ok)) == pytest.approx(2.0, abs=0.35)
    # frames where a point was not detected do not count
    gone = ok.clone()
    gone[:, 10:20] = False
    still = values.clone()
    still[:, 10:20] = 100.0  # would be a huge jump if it counted
    assert float(model.energy_loss(still, values, gone)) < 0.3


def test_the_energy_loss_is_part_of_training_when_weighted(small_prepared):
    train_set = PoseDataset(small_prepared, "train")
    batch = collate([AtModelRate(train_set, step=2)[i] for i in range(4)])
    signers = sorted({int(r["signer_index"]) + 1 for r in train_set.records})
    for weight, present in ((0.0, False), (1.0, True)):
        model = tiny_model(glosses=train_set.vocab.glosses, signers=signers, energy_weight=weight)
        model.train()
        loss, parts = model(batch)
        assert ("energy" in parts) == present and torch.isfinite(loss)
