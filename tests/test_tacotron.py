"""The Tacotron backend: padded frames count in no loss (the seed's shrinking-pose bug), the
attention guide, the hand critic, the stop output (never a reference length) ending
decoding, the attention coming out with the keypoints, the training command. Save/load,
signers, bad checkpoints, a few training steps and the shipped model's length, numbers and
questions are the common tests (tests/model_tester.py)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from sign_pipeline.metrics import attention_failure
from sign_pipeline.text2pose.tacotron import (
    Tacotron,
    TacotronConfig,
    TacotronText2Pose,
    attention_boundaries,
)
from tests.model_tester import GLOSSES, Text2PoseModelTester, text2pose_training_data
from training.train_text2pose import train


def tiny_model(**kw) -> Tacotron:
    torch.manual_seed(0)
    cfg = dict(glosses=GLOSSES, signers=[1, 2], embed=32, bank_channels=8, highway_layers=1,
               prenet_hidden=32, attention_rnn=32, decoder_rnn=32, attention_dim=16,
               signer_dim=8)  # fmt: skip
    return Tacotron(TacotronConfig(**{**cfg, **kw})).eval()


def set_stop(model: Tacotron, logit: float) -> None:
    """Make the stop output give ``logit`` on every frame."""
    with torch.no_grad():
        model.stop_out.weight.zero_()
        model.stop_out.bias.fill_(logit)


class TestTacotron(Text2PoseModelTester):
    """The shipped model's marks reach the face: a yes/no question raises the brows by about
    0.022 shoulder widths (at least 0.016 on 12 sentence/signer pairs; the Transformer 0.021;
    the model shipped before this one 0.006)."""

    backend_class = TacotronText2Pose
    name = "tacotron"
    stopped_by = "stop output"
    brow_rise = 0.01
    generation_methods = (TacotronText2Pose.generate, Tacotron.generate_values)
    training_config = {"embed": 32, "attention_rnn": 64, "decoder_rnn": 64,
                       "prenet_dropout": 0.1}  # fmt: skip

    def tiny_model(self, signers=(1, 2)):
        return tiny_model(signers=list(signers))

    def inference_model(self, signers=(1, 2)):
        model = tiny_model(signers=list(signers))
        set_stop(model, -1.0)
        return model

    def output(self, backend, signer):
        out = backend.sign(self.signed, signer=signer)
        return out.keypoints, out.extras["attention"]

    def check_trained(self, model, first_parts, last_parts):
        assert set(first_parts) == {"frames", "postnet", "velocity", "stop", "attention"}
        assert last_parts["attention"] < first_parts["attention"]

    def test_the_shipped_attention_does_not_fail(self, shipped):
        for glosses in (["지하철"], ["지하철", "가다", "타다"],
                        ["지하철", "가다", "명동", "타다", "가방", "빠지다"]):  # fmt: skip
            out = shipped.sign(glosses, signer=1)
            assert not attention_failure(out.extras["attention"])["failed"], glosses


@pytest.fixture(scope="module")
def small_batch(small_prepared):
    return text2pose_training_data(small_prepared)


# ---------------------------------------------------------------------------- masking


def test_padded_frames_count_in_no_loss(small_batch):
    """The seed's bug: zero-padded targets pulled the end of short sentences toward 0. The
    loss must not change whatever the padding holds (the short clips' padded frames are
    set far away here), and no gradient may reach a padded frame's prediction."""
    data, batch = small_batch
    lengths = batch["frame_mask"].sum(1)
    assert lengths.min() < lengths.max()  # some clips are padded
    model = Tacotron(TacotronConfig(glosses=data.dataset.vocab.glosses, signers=[1, 2],
                                    embed=32, attention_rnn=32, decoder_rnn=32))  # fmt: skip
    model.fit_normalization((data[i]["keypoints"], data[i]["mask"]) for i in range(len(data)))
    model.eval()
    with torch.no_grad():
        loss, _ = model(batch)
    garbage = {**batch, "keypoints": batch["keypoints"].clone(), "mask": batch["mask"].clone()}
    pad = ~batch["frame_mask"]
    garbage["keypoints"][pad] = 50.0
    garbage["mask"][pad] = True  # even "detected" points in padding must not count
    with torch.no_grad():
        again, _ = model(garbage)
    assert float(again) == pytest.approx(float(loss), rel=1e-6)


def test_the_attention_guide_follows_the_gloss_spans():
    model = tiny_model(frames_per_step=2)
    mask = torch.tensor([[True, True, True]])
    lengths = torch.tensor([[12.0]])
    # spans end at 1/4, 1/2, 1: steps cover frames 0-1, 2-3, ... 10-11
    penalty = model.guide(6, lengths, mask, torch.tensor([[0.25, 0.5, 1.0]]))
    right = penalty[0].argmin(1).tolist()
    assert right == [0, 0, 1, 2, 2, 2]
    assert penalty[0, 0, 0] == 0 and penalty[0, 0, 1] == 1
    # unknown spans: a soft diagonal, lowest on the gloss in the same share of the sentence
    diag = model.guide(6, lengths, mask, torch.tensor([[float("nan")] * 3]))
    assert diag[0].argmin(1).tolist() == [0, 0, 1, 1, 2, 2]
    assert 0 < float(diag[0, 0, 1]) < 1


# ---------------------------------------------------------------------------- training


def test_the_hand_critic_judges_the_post_net_hands(small_batch):
    data, batch = small_batch
    model = Tacotron(TacotronConfig(glosses=data.dataset.vocab.glosses, signers=[1, 2],
                                    embed=32, attention_rnn=32, decoder_rnn=32,
                                    adversarial_weight=0.1))  # fmt: skip
    model.train()
    loss, parts = model(batch)
    assert {"critic", "adversarial"} <= set(parts) and torch.isfinite(loss)
    loss.backward()
    assert model.hand_critic.net[0].weight.grad.abs().sum() > 0
    assert model.postnet_out.bias.grad.abs().sum() > 0


def test_the_energy_loss_judges_the_post_net_arms(small_batch):
    data, batch = small_batch
    model = Tacotron(TacotronConfig(glosses=data.dataset.vocab.glosses, signers=[1, 2],
                                    embed=32, attention_rnn=32, decoder_rnn=32,
                                    energy_weight=1.0))  # fmt: skip
    model.train()
    loss, parts = model(batch)
    assert parts["energy"] > 0 and torch.isfinite(loss)
    loss.backward()
    assert model.postnet_out.bias.grad.abs().sum() > 0


def test_the_encoder_skip_starts_as_no_change_and_carries_the_gloss():
    """``encoder_skip`` adds each gloss's own embedding to the encoder's output: zero at
    first, so a model started from one without it signs the same; once trained, the same
    gloss's memory depends less on the sentence around it."""
    plain = tiny_model()
    skip = tiny_model(encoder_skip=True)
    result = skip.load_state_dict(plain.state_dict(), strict=False)
    assert {k.split(".")[0] for k in result.missing_keys} == {"encoder_skip"}
    ids = torch.tensor([[1, 2, 3]])
    q, neg, mask = torch.zeros_like(ids), torch.zeros(1, 3, dtype=torch.bool), ids > 0
    signer = plain.signer_embed(plain.signer_onehot(1))
    assert torch.equal(plain.encode(ids, q, neg, mask, signer),
                       skip.encode(ids, q, neg, mask, signer))  # fmt: skip
    with torch.no_grad():
        skip.encoder_skip.weight.copy_(torch.eye(skip.config.embed) * 10)
    other = torch.tensor([[1, 4, 5]])  # gloss 1 in another sentence
    with torch.no_grad():
        a, b, a0, b0 = (m.encode(x, q, neg, mask, signer)[0, 0]
                        for m in (skip, plain) for x in (ids, other))  # fmt: skip
    assert float(F.cosine_similarity(a, b, 0)) > float(F.cosine_similarity(a0, b0, 0))
    assert TacotronConfig(encoder_skip=True).to_dict()["encoder_skip"] is True


def test_training_command_saves_and_resumes(small_prepared, tmp_path):
    common = dict(backend="tacotron", data=small_prepared, out=tmp_path, seed=0, batch_size=8,
                  model_config={"embed": 32, "attention_rnn": 32, "decoder_rnn": 32},
                  keep_resume=True, show_progress=False, eval_clips=4)  # fmt: skip
    first = train(epochs=1, **common)
    assert first["epochs_run"] == 1 and (tmp_path / "resume.pt").is_file()
    again = train(epochs=2, **common)
    assert again["epochs_run"] == 2
    from training.loop import LossLog

    assert [r["epoch"] for r in LossLog(tmp_path).rows()] == [1, 2]  # one row per epoch
    cfg = json.loads((tmp_path / "config.json").read_text("utf-8"))
    assert cfg["model_type"] == "ksl_tacotron" and cfg["signers"] == [1, 2]
    assert TacotronText2Pose.from_pretrained(tmp_path).about()["synthetic"] is True


# ---------------------------------------------------------------------------- decoding


def test_the_stop_output_ends_decoding():
    model = tiny_model()
    ids = model.vocab.encode(["지하철"])  # one gloss: the attention is always on the last
    set_stop(model, 10.0)
    values, attn, stopped = model.generate_values(ids, [0], [False], 1)
    assert stopped and len(values) == 2  # at least two frames per gloss
    assert attn.shape == (2, 1)
    set_stop(model, -10.0)  # never fires: the safety cap stops it, and says so
    values, _, stopped = model.generate_values(ids, [0], [False], 1)
    assert not stopped
    assert len(values) == int(np.ceil(model.config.max_seconds_per_gloss * 15)) + 8


def test_the_stop_output_waits_for_the_last_gloss():
    model = tiny_model()
    set_stop(model, 10.0)
    with torch.no_grad():  # equal energies: the peak (first of the ties) stays on gloss 0
        model.attention.v.weight.zero_()
    ids = model.vocab.encode(["지하철", "가다", "명동"])
    values, attn, stopped = model.generate_values(ids, [0, 0, 0], [False] * 3, 1)
    assert not stopped  # the stop output fired on every frame, but never on the last gloss
    assert len(values) == int(np.ceil(model.config.max_seconds_per_gloss * 15 * 3)) + 8
    assert attention_failure(attn.numpy())["skipped"] == [1, 2]


def test_output_has_the_attention_and_timings_at_the_data_rate():
    model = tiny_model()
    set_stop(model, 10.0)
    out = TacotronText2Pose(model).sign(["지하철"], signer=2)
    assert len(out) == 3 and out.fps == 30.0  # 2 frames at 15 fps -> 3 at 30
    assert out.extras["stopped_by"] == "stop output"
    assert out.extras["attention"].shape == (3, 1)
    assert [(t.gloss, t.start, t.end) for t in out.timings] == [("지하철", 0, 3)]


def test_attention_boundaries_follow_the_peaks():
    att = np.zeros((8, 3))
    att[[0, 1, 2], 0] = 1
    att[[3, 5], 1] = 1
    att[4, 0] = 1  # a step back is read as staying on gloss 1
    att[[6, 7], 2] = 1
    assert list(attention_boundaries(att)) == [0, 3, 6, 8]
    assert attention_failure(att)["backward"]
    att[4] = [0, 1, 0]
    assert not attention_failure(att)["failed"]
