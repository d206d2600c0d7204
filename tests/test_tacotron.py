"""The Tacotron backend: padded frames count in no loss (the seed's shrinking-pose bug),
training lowers the loss, the stop output (never a reference length) ends decoding, the
attention comes out with the keypoints, save/load is exact, bad input gets clear errors."""

from __future__ import annotations

import inspect
import json

import numpy as np
import pytest
import torch

from sign_pipeline import registry
from sign_pipeline import skeleton as sk
from sign_pipeline.metrics import attention_failure
from sign_pipeline.modeling import CheckpointError
from sign_pipeline.text2pose.base import GlossInput, SentencePlan
from sign_pipeline.text2pose.tacotron import (
    Tacotron,
    TacotronConfig,
    TacotronText2Pose,
    attention_boundaries,
)
from training.dataset import PoseDataset
from training.train_text2pose import AtModelRate, collate, train

GLOSSES = ["지하철", "가다", "명동", "타다", "ㄱ", "7"]


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


@pytest.fixture(scope="module")
def shipped() -> TacotronText2Pose:
    return registry.load("text2pose", "tacotron", registry.DEFAULT_CHECKPOINTS)


@pytest.fixture(scope="module")
def small_batch(small_prepared):
    data = AtModelRate(PoseDataset(small_prepared, "train"), step=2)
    return data, collate([data[i] for i in range(len(data))])


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


def test_a_few_training_steps_lower_the_loss(small_batch):
    torch.manual_seed(0)
    data, batch = small_batch
    model = Tacotron(TacotronConfig(glosses=data.dataset.vocab.glosses, signers=[1, 2],
                                    embed=32, attention_rnn=64, decoder_rnn=64,
                                    prenet_dropout=0.1))  # fmt: skip
    model.fit_normalization((data[i]["keypoints"], data[i]["mask"]) for i in range(len(data)))
    model.eval()
    with torch.no_grad():
        before, parts = model(batch)
    assert set(parts) == {"frames", "postnet", "velocity", "stop", "attention"}
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    model.train()
    for _ in range(25):
        loss, _ = model(batch)
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        after, after_parts = model(batch)
    assert float(after) < 0.7 * float(before)
    assert after_parts["attention"] < parts["attention"]


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


def test_training_command_saves_and_resumes(small_prepared, tmp_path):
    common = dict(backend="tacotron", data=small_prepared, out=tmp_path, seed=0, batch_size=8,
                  model_config={"embed": 32, "attention_rnn": 32, "decoder_rnn": 32},
                  keep_resume=True, show_progress=False, eval_clips=4)  # fmt: skip
    first = train(epochs=1, **common)
    assert first["epochs_run"] == 1 and (tmp_path / "resume.pt").is_file()
    again = train(epochs=2, **common)
    assert again["epochs_run"] == 2
    rows = list(open(tmp_path / "losses.csv", encoding="utf-8"))
    assert [int(r.split(",")[0]) for r in rows[1:]] == [1, 2]
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


def test_generation_never_reads_a_reference_length():
    for method in (TacotronText2Pose.generate, Tacotron.generate_values):
        params = set(inspect.signature(method).parameters) - {"self"}
        assert not {p for p in params if "len" in p or "frame" in p or "ref" in p}, params


def test_save_load_gives_identical_output(tmp_path):
    model = tiny_model()
    set_stop(model, -1.0)
    backend = TacotronText2Pose(model)
    backend.save_pretrained(tmp_path)
    again = TacotronText2Pose.from_pretrained(tmp_path)
    a = backend.sign(["지하철", "7", "ㄱ"], signer=2)
    b = again.sign(["지하철", "7", "ㄱ"], signer=2)
    assert np.array_equal(a.keypoints, b.keypoints) and len(a) > 10
    assert np.array_equal(a.extras["attention"], b.extras["attention"])


# ---------------------------------------------------------------------------- shipped model


def test_shipped_model_length_follows_the_gloss_count(shipped):
    lengths = []
    for glosses in (["지하철"], ["지하철", "가다", "타다"], ["지하철", "가다", "명동", "타다", "가방", "빠지다"]):
        out = shipped.sign(glosses, signer=1)
        assert out.extras["stopped_by"] == "stop output"
        assert not attention_failure(out.extras["attention"])["failed"]
        lengths.append(len(out))
    assert lengths[0] < lengths[1] < lengths[2]


def test_shipped_model_signs_numbers_and_fingerspelling(shipped):
    known = shipped.known_glosses()
    spelled = [g for g in ["ㅇ", "ㅣ", "ㅌ", "ㅐ", "ㅇ", "ㅝ", "ㄴ"] if g in known]
    assert len(spelled) == 7
    assert shipped.sign(["1000", "2", "100", "50", "원"], signer=1).extras["stopped_by"] == (
        "stop output"
    )
    out = shipped.sign(spelled, signer=1)
    assert out.extras["stopped_by"] == "stop output"
    assert [t.gloss for t in out.timings] == spelled


def test_shipped_model_raises_the_brows_for_a_yes_no_question(shipped):
    """The marks reach the face, in the right direction, but weakly: about 0.006 shoulder
    widths on average here against the Transformer's 0.025 (README, the Tacotron section)."""
    brows = np.r_[sk.FACE.start + 17 : sk.FACE.start + 27]

    def brow_height(out):  # brows above the eyes' upper lids, shoulder widths
        lids = out.keypoints[:, sk.FACE.start + 36 : sk.FACE.start + 48, 1].mean(1)
        return float((lids - out.keypoints[:, brows, 1].mean(1)).mean())

    rises = []
    for glosses in (("지하철", "가다", "타다"), ("화장실", "있다"), ("명동", "지하철", "가다", "방향")):
        plain = shipped.sign(GlossInput((SentencePlan(glosses),)), signer=1)
        start = len(glosses) - 2
        asked = shipped.sign(GlossInput((SentencePlan(glosses, "yes_no", start),)), signer=1)
        rises.append(brow_height(asked) - brow_height(plain))
    assert np.mean(rises) > 0.003 and min(rises) > 0


# ---------------------------------------------------------------------------- bad input


def test_bad_input_gives_clear_errors(tmp_path):
    backend = TacotronText2Pose(tiny_model())
    with pytest.raises(ValueError, match="no glosses"):
        backend.sign([])
    with pytest.raises(ValueError, match="cannot sign 버스 .*not in its vocabulary"):
        backend.sign(["지하철", "버스"])
    with pytest.raises(ValueError, match=r"signer 3 is not known .*\[1, 2\]"):
        backend.sign(["지하철"], signer=3)
    backend.save_pretrained(tmp_path)
    (tmp_path / "model.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(CheckpointError, match="cannot load the weights"):
        TacotronText2Pose.from_pretrained(tmp_path)
    (tmp_path / "config.json").write_text('{"model_type": "ksl_progressive_transformer"}')
    with pytest.raises(CheckpointError, match="not 'ksl_tacotron'"):
        TacotronText2Pose.from_pretrained(tmp_path)
