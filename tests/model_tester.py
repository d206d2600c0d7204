"""The tests every learned model runs, once (transformers' ``ModelTesterMixin``): a model's
test class supplies a tiny model and says how to read its output; saving and loading,
generation that takes no reference length, signer conditioning, bad checkpoints and a few
training steps come from here. Each model's own file keeps only what is its own.

The contract over every *shipped* backend (output shapes, timings, speed, bad input to
``sign``/``draw``) is in ``test_contract_text2pose.py`` and ``test_contract_pose2video.py``.
"""

from __future__ import annotations

import functools
import inspect
import json

import numpy as np
import pytest
import torch

from sign_pipeline import registry
from sign_pipeline import skeleton as sk
from sign_pipeline.modeling import CheckpointError
from sign_pipeline.text2pose.base import GlossInput, SentencePlan

#: Glosses the tiny text-to-pose models know (a word, a number, a finger letter among them).
GLOSSES = ["지하철", "가다", "명동", "타다", "ㄱ", "7"]
#: Parameter names that would let generation read the length or frames of a reference clip.
REFERENCE_WORDS = ("len", "frame", "ref", "target")


def shipped_backends(stage: str):
    """The contract suites' ``backend`` fixture: every backend of ``stage`` in turn, loaded
    from the shipped checkpoints (a new backend file runs the contract with no edit)."""

    @pytest.fixture(scope="module", params=registry.names(stage))
    def backend(request):
        return registry.load(stage, request.param, registry.DEFAULT_CHECKPOINTS)

    return backend


def assert_every_backend_installed(stage: str) -> None:
    """Every backend file of ``stage`` imports and finds its shipped checkpoint."""
    for name in registry.names(stage):
        info = registry.info(stage, name, registry.DEFAULT_CHECKPOINTS)
        assert info.installed, f"{name}: {info.reason}"


class ModelTesterMixin:
    """Common tests of a learned backend; a test class mixes it in and supplies the rest."""

    #: The registered backend class (``ProgressiveText2Pose``, ``EDN``, ...).
    backend_class: type
    #: Generation methods whose parameters must not name a reference length or frames.
    generation_methods: tuple = ()
    #: A few training steps: how many, at which learning rate, and the drop they must give
    #: (the watched loss after < ``loss_drop`` x before).
    training_steps = 25
    learning_rate = 3e-3
    betas = (0.9, 0.999)
    loss_drop = 0.7

    def tiny_model(self, signers=(1, 2)):
        """A small, seeded, untrained model knowing ``signers``."""
        raise NotImplementedError

    def inference_model(self, signers=(1, 2)):
        """The tiny model made ready to generate (e.g. a stop output fixed to fire)."""
        return self.tiny_model(signers).eval()

    def output(self, backend, signer: int) -> tuple[np.ndarray, ...]:
        """What the backend makes of a fixed input, as arrays to compare."""
        raise NotImplementedError

    def trainable(self, training_data):
        """``(model, batch)``: a tiny model for the training data, and a batch of it."""
        raise NotImplementedError

    def training_loss(self, model, batch) -> tuple[torch.Tensor, float, dict]:
        """``(loss to minimise, figure that must drop, loss parts)`` for one step."""
        raise NotImplementedError

    def check_trained(self, model, first_parts: dict, last_parts: dict) -> None:
        """What else a few steps must change (the model's own checks; none by default)."""

    # ------------------------------------------------------------------ the common tests

    def test_save_load_gives_identical_output(self, tmp_path):
        backend = self.backend_class(self.inference_model())
        backend.save_pretrained(tmp_path)
        again = self.backend_class.from_pretrained(tmp_path)
        before, after = self.output(backend, 2), self.output(again, 2)
        assert len(before[0]) > 2
        for a, b in zip(before, after, strict=True):
            assert np.array_equal(a, b)

    def test_generation_never_reads_a_reference_length(self):
        assert self.generation_methods, "name the methods that generate"
        for method in self.generation_methods:
            params = set(inspect.signature(method).parameters) - {"self"}
            named = {p for p in params if any(w in p for w in REFERENCE_WORDS)}
            assert not named - {"keypoints"}, (method.__qualname__, named)

    def test_another_signer_changes_the_output(self):
        backend = self.backend_class(self.inference_model())
        a, b = self.output(backend, 1)[0], self.output(backend, 2)[0]
        n = min(len(a), len(b))
        assert len(a) != len(b) or not np.array_equal(a[:n], b[:n])

    def test_a_signer_the_checkpoint_does_not_know_is_refused(self):
        backend = self.backend_class(self.inference_model(signers=(1, 2)))
        with pytest.raises(ValueError, match=r"signer 7 is not known"):
            self.output(backend, 7)

    def test_a_corrupt_checkpoint_is_a_clear_error(self, tmp_path):
        self.backend_class(self.tiny_model()).save_pretrained(tmp_path)
        (tmp_path / "model.safetensors").write_bytes(b"not a safetensors file")
        with pytest.raises(CheckpointError, match="cannot load the weights"):
            self.backend_class.from_pretrained(tmp_path)

    def test_a_missing_or_foreign_checkpoint_is_a_clear_error(self, tmp_path):
        with pytest.raises(CheckpointError, match="does not exist"):
            self.backend_class.from_pretrained(tmp_path / "nowhere")
        self.backend_class(self.tiny_model()).save_pretrained(tmp_path)
        config = json.loads((tmp_path / "config.json").read_text("utf-8"))
        own = config["model_type"]
        config["model_type"] = "ksl_someone_else"
        (tmp_path / "config.json").write_text(json.dumps(config), "utf-8")
        with pytest.raises(CheckpointError, match=f"'ksl_someone_else' checkpoint, not '{own}'"):
            self.backend_class.from_pretrained(tmp_path)

    def test_a_few_training_steps_lower_the_loss(self, training_data):
        torch.manual_seed(0)
        model, batch = self.trainable(training_data)
        before, first_parts = self._measure(model, batch)
        opt = torch.optim.Adam(model.parameters(), self.learning_rate, betas=self.betas)
        model.train()
        for _ in range(self.training_steps):
            loss, _, _ = self.training_loss(model, batch)
            opt.zero_grad()
            loss.backward()
            opt.step()
        after, last_parts = self._measure(model, batch)
        assert after < self.loss_drop * before, (before, after)
        self.check_trained(model, first_parts, last_parts)

    def _measure(self, model, batch) -> tuple[float, dict]:
        """The watched figure and the loss parts in evaluation mode (no dropout, no noise)."""
        model.eval()
        with torch.no_grad():
            _, figure, parts = self.training_loss(model, batch)
        return figure, {k: float(v) for k, v in parts.items()}


def text2pose_training_data(prepared):
    """The prepared corpus's train split at the models' rate, and all of it as one batch."""
    from training.dataset import PoseDataset
    from training.train_text2pose import AtModelRate, collate

    data = AtModelRate(PoseDataset(prepared, "train"), step=2)
    return data, collate([data[i] for i in range(len(data))])


def brow_height(out) -> float:
    """The brows above the eyes' upper lids, in shoulder widths, over the clip."""
    brows = np.r_[sk.FACE.start + 17 : sk.FACE.start + 27]
    lids = out.keypoints[:, sk.FACE.start + 36 : sk.FACE.start + 48, 1].mean(1)
    return float((lids - out.keypoints[:, brows, 1].mean(1)).mean())


class Text2PoseModelTester(ModelTesterMixin):
    """A learned text-to-pose model: gloss errors, and its shipped checkpoint's length,
    numbers, finger-spelling and question marks (besides the common tests)."""

    #: The registry's name of the backend (its shipped checkpoint is tested too).
    name: str
    #: ``extras["stopped_by"]`` when the model itself ended decoding.
    stopped_by: str
    #: The least mean brow rise (shoulder widths) of a yes/no question, shipped model.
    brow_rise: float
    #: The model config for the training test (with the data's glosses added).
    training_config: dict = {}
    signed = ["지하철", "7", "ㄱ"]

    def output(self, backend, signer):
        return (backend.sign(self.signed, signer=signer).keypoints,)

    @pytest.fixture(scope="class")
    def training_data(self, small_prepared):
        return text2pose_training_data(small_prepared)

    @pytest.fixture(scope="class")
    def shipped(self):
        return registry.load("text2pose", self.name, registry.DEFAULT_CHECKPOINTS)

    def trainable(self, training_data):
        data, batch = training_data
        config = self.backend_class.config_class(glosses=data.dataset.vocab.glosses,
                                                 signers=[1, 2], **self.training_config)  # fmt: skip
        model = self.backend_class.model_class(config)
        model.fit_normalization((data[i]["keypoints"], data[i]["mask"]) for i in range(len(data)))
        return model, batch

    def training_loss(self, model, batch):
        loss, parts = model(batch)
        return loss, float(loss.detach()), parts

    def test_no_glosses_or_an_unknown_gloss_is_a_clear_error(self):
        backend = self.backend_class(self.inference_model())
        with pytest.raises(ValueError, match="no glosses"):
            backend.sign([])
        with pytest.raises(ValueError, match="cannot sign 버스 .*not in its vocabulary"):
            backend.sign(["지하철", "버스"])

    def test_shipped_model_length_follows_the_gloss_count(self, shipped):
        lengths = []
        for glosses in (["지하철"], ["지하철", "가다", "타다"],
                        ["지하철", "가다", "명동", "타다", "가방", "빠지다"]):  # fmt: skip
            out = shipped.sign(glosses, signer=1)
            assert out.extras["stopped_by"] == self.stopped_by
            lengths.append(len(out))
        assert lengths[0] < lengths[1] < lengths[2]

    def test_shipped_model_signs_numbers_and_fingerspelling(self, shipped):
        known = shipped.known_glosses()
        spelled = [g for g in ["ㅇ", "ㅣ", "ㅌ", "ㅐ", "ㅇ", "ㅝ", "ㄴ"] if g in known]
        assert len(spelled) == 7
        assert shipped.sign(["1000", "2", "100", "50", "원"], signer=1).extras["stopped_by"] == (
            self.stopped_by
        )
        out = shipped.sign(spelled, signer=1)
        assert out.extras["stopped_by"] == self.stopped_by
        assert [t.gloss for t in out.timings] == spelled

    def test_shipped_model_raises_the_brows_for_a_yes_no_question(self, shipped):
        rises = []
        for glosses in (("지하철", "가다", "타다"), ("화장실", "있다"), ("명동", "지하철", "가다", "방향")):
            plain = shipped.sign(GlossInput((SentencePlan(glosses),)), signer=1)
            start = len(glosses) - 2
            asked = shipped.sign(GlossInput((SentencePlan(glosses, "yes_no", start),)), signer=1)
            rises.append(brow_height(asked) - brow_height(plain))
        assert np.mean(rises) > self.brow_rise and min(rises) > 0, rises


@functools.cache
def lexicon_motion() -> tuple[np.ndarray, np.ndarray]:
    """Every 4th pose of the shipped lexicon's "지하철 가방" (signer 1): motion to draw."""
    lexicon = registry.load("text2pose", "lexicon", registry.DEFAULT_CHECKPOINTS)
    out = lexicon.sign(GlossInput.from_glosses(["지하철", "가방"]), signer=1)
    return out.keypoints[::4].copy(), out.mask[::4].copy()


class Pose2VideoModelTester(ModelTesterMixin):
    """A learned pose-to-video model: keypoints it cannot draw, and its discriminators
    (besides the common tests)."""

    training_steps = 30
    learning_rate = 2e-3
    betas = (0.5, 0.999)
    loss_drop = 0.6
    #: Generator loss weights for the training test: the GAN terms off, the L1 must drop.
    plain_weights: dict = {}

    @pytest.fixture(scope="class")
    def training_data(self, small_prepared, tmp_path_factory):
        from training import train_pose2video as tp
        from training.dataset import load_manifest

        records = [r for r in load_manifest(small_prepared) if r["split"] == "train"]
        pairs = tp.Pairs.build(small_prepared, records, tmp_path_factory.mktemp("pairs"), 64,
                               2, 1)  # fmt: skip
        pairs.draw_sticks(1)
        return pairs

    @pytest.fixture(scope="class")
    def motion(self) -> tuple[np.ndarray, np.ndarray]:
        return lexicon_motion()

    def output(self, backend, signer):
        kp, mask = lexicon_motion()
        frames = backend.draw(kp[:3], mask[:3], signer)
        size = backend.model.config.size
        assert frames.shape == (3, size, size, 3)  # one frame per pose: no other length
        return (frames,)

    def setup_batch(self, pairs, seed: int):
        """A tiny generator, its discriminators and a batch of 4 triples."""
        model = self.tiny_model()
        batch = pairs.batch(np.arange(4), model.config.crop_sizes, 0.0,
                            np.random.default_rng(seed))  # fmt: skip
        return model, (batch, model.make_discriminators(8))

    def trainable(self, training_data):
        return self.setup_batch(training_data, 0)

    def training_loss(self, model, batch):
        loss, parts, _ = model.generator_step(*batch, self.plain_weights)
        return loss, float(parts["l1"]), parts

    def test_all_missing_keypoints_are_an_error(self, motion):
        backend = self.backend_class(self.tiny_model())
        kp, mask = motion
        with pytest.raises(ValueError, match="every keypoint is missing"):
            backend.draw(kp[:3], np.zeros_like(mask[:3]), 1)

    def test_an_empty_frame_repeats_the_one_before(self, motion):
        backend = self.backend_class(self.tiny_model())
        kp, mask = motion
        m = mask[:4].copy()
        m[2] = False
        frames = backend.draw(kp[:4], m, 1)
        assert np.array_equal(frames[2], frames[1])
        assert not np.array_equal(frames[3], frames[1])

    def test_the_discriminators_learn_real_from_generated(self, training_data):
        model, (batch, disc) = self.setup_batch(training_data, 1)
        opt = torch.optim.Adam(disc.parameters(), 1e-3, betas=(0.5, 0.999))
        _, _, fakes = model.generator_step(batch, disc, {})
        losses, history = [], []
        for _ in range(40):
            loss, parts = disc.loss(batch, fakes, model.config.crop_sizes)
            losses.append(float(loss.detach()))
            history.append(parts)
            opt.zero_grad()
            loss.backward()
            opt.step()
        assert losses[-1] < 0.5 * losses[0], losses
        self.check_discriminator(history)

    def check_discriminator(self, history: list[dict]) -> None:
        """The model's own checks of its discriminators' loss parts (none by default)."""
