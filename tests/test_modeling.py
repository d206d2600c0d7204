"""The torch model base: save/load round trip offline, vocabulary inside, clear errors."""

from __future__ import annotations

import json

import pytest
import torch

from sign_pipeline.modeling import (
    CheckpointError,
    GlossVocab,
    SignModelConfig,
    SignPreTrainedModel,
)


class TinyConfig(SignModelConfig):
    model_type = "ksl_tiny_test"

    def __init__(self, hidden: int = 8, **kwargs) -> None:
        self.hidden = hidden
        super().__init__(**kwargs)


class TinyModel(SignPreTrainedModel):
    """Gloss embedding + signer -> one pose per gloss (enough to exercise the base)."""

    config_class = TinyConfig

    def __init__(self, config: TinyConfig) -> None:
        super().__init__(config)
        self.embed = torch.nn.Embedding(len(self.vocab), config.hidden)
        self.signer = torch.nn.Linear(config.num_signers, config.hidden)
        self.out = torch.nn.Linear(config.hidden, config.num_points * 2)
        self.post_init()

    def forward(self, glosses: list[str], signer: int) -> torch.Tensor:
        ids = torch.tensor(self.vocab.encode(glosses))
        h = self.embed(ids) + self.signer(self.signer_onehot(signer))
        return self.out(torch.tanh(h)).view(len(glosses), -1, 2)


@pytest.fixture
def model() -> TinyModel:
    torch.manual_seed(0)
    return TinyModel(TinyConfig(glosses=["지하철", "가다", "ㄱ"], signers=[1, 2])).eval()


def test_vocab_ids_and_unknown_gloss():
    v = GlossVocab(["가다", "오다", "가다"])
    assert len(v) == 5 and v.encode(["오다", "가다"]) == [4, 3]
    assert v.decode([1, 4, 0, 3]) == ["오다", "가다"]
    with pytest.raises(ValueError, match="not in the model's vocabulary: 없다"):
        v.encode(["가다", "없다"])


def test_save_load_round_trip_gives_identical_output(model, tmp_path):
    model.save_pretrained(tmp_path)
    assert {p.name for p in tmp_path.iterdir()} >= {"config.json", "model.safetensors"}
    cfg = json.loads((tmp_path / "config.json").read_text("utf-8"))
    assert cfg["glosses"] == ["지하철", "가다", "ㄱ"] and cfg["signers"] == [1, 2]
    loaded = TinyModel.load(tmp_path, device="cpu")
    assert not loaded.training
    with torch.no_grad():
        a, b = model(["가다", "지하철"], 2), loaded(["가다", "지하철"], 2)
    assert torch.equal(a, b)
    assert a.shape == (2, 127, 2)


def test_signer_onehot_and_unknown_signer(model):
    oh = model.signer_onehot([2, 1])
    assert oh.shape == (2, 16) and oh[0, 1] == 1 and oh[1, 0] == 1 and oh.sum() == 2
    with pytest.raises(ValueError, match=r"signer 3 .*\[1, 2\]"):
        model.signer_onehot(3)


def test_clear_errors_for_bad_checkpoints(model, tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        TinyModel.load(tmp_path / "nowhere")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(CheckpointError, match="no config.json"):
        TinyModel.load(empty)
    good = tmp_path / "good"
    model.save_pretrained(good)
    # weights cut in half: corrupt
    corrupt = tmp_path / "corrupt"
    model.save_pretrained(corrupt)
    data = (corrupt / "model.safetensors").read_bytes()
    (corrupt / "model.safetensors").write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="cannot load the weights"):
        TinyModel.load(corrupt)
    # another layout
    other = tmp_path / "other"
    model.save_pretrained(other)
    cfg = json.loads((other / "config.json").read_text("utf-8"))
    cfg.update(layout="phoenix50", num_points=50)
    (other / "config.json").write_text(json.dumps(cfg), "utf-8")
    with pytest.raises(CheckpointError, match="layout 'phoenix50' with 50 points"):
        TinyModel.load(other)
    # a vocabulary that does not match the weights (embedding size differs)
    grown = tmp_path / "grown"
    model.save_pretrained(grown)
    cfg = json.loads((grown / "config.json").read_text("utf-8"))
    cfg["glosses"] = cfg["glosses"] + ["오다", "내리다"]
    (grown / "config.json").write_text(json.dumps(cfg), "utf-8")
    with pytest.raises(CheckpointError, match="cannot load the weights"):
        TinyModel.load(grown)
    # another model type
    with pytest.raises(CheckpointError, match="not 'ksl_other'"):

        class OtherConfig(TinyConfig):
            model_type = "ksl_other"

        class Other(TinyModel):
            config_class = OtherConfig

        Other.load(good)
