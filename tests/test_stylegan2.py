"""The StyleGAN2 pose-to-video backend: its modulated convolution, keypoint normalisation,
fixed noise, empty frames, the signer embedding, its training pairs and command. Save/load,
signers, bad checkpoints, missing keypoints and a few generator and discriminator steps are
the common tests (tests/model_tester.py); the shipped checkpoint's contract is
test_contract_pose2video."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from sign_pipeline import skeleton as sk
from sign_pipeline.pose2video import gan
from sign_pipeline.pose2video.stylegan2 import (
    ModulatedConv,
    StyleGAN2,
    StyleGAN2Config,
    StyleGAN2Model,
    draw_frames,
    pose_vector,
)
from tests.model_tester import Pose2VideoModelTester, lexicon_motion
from training import train_pose2video as tp

TINY = dict(size=64, channels=[16, 16, 8, 8], w_dim=32, mapping_layers=2, refine_channels=8,
            face_crop=16, hand_crop=16)  # fmt: skip


def tiny_model(signers=(1, 2)) -> StyleGAN2Model:
    torch.manual_seed(0)
    placements = {str(s): [32.0, 28.0, 20.0] for s in signers}
    return StyleGAN2Model(StyleGAN2Config(signers=list(signers), placements=placements, **TINY))


class TestStyleGAN2(Pose2VideoModelTester):
    backend_class = StyleGAN2
    generation_methods = (StyleGAN2.render, StyleGAN2.draw, draw_frames)
    plain_weights = {"gan": 0.0, "kp": 0.0, "face_gan": 0.0, "hand_gan": 0.0}

    def tiny_model(self, signers=(1, 2)):
        return tiny_model(signers)

    def check_trained(self, model, first_parts, last_parts):
        assert {"l1", "ssim", "motion", "crop_l1", "gan", "kp"} <= set(last_parts)

    def check_discriminator(self, history):
        assert "r1" in history[0] and "r1" not in history[1] and "r1" in history[4]  # lazy R1
        assert history[-1]["adv"] < 0.5 * history[0]["adv"]
        assert history[-1]["kp"] < 0.5 * history[0]["kp"]

    def test_the_crop_ssim_loss_is_off_unless_weighted(self, training_data):
        """--loss crop_ssim=W adds 1 - SSIM of the face/hand crops (what the evaluation's
        crop SSIM measures) and nothing else changes."""
        model, (batch, disc) = self.setup_batch(training_data, 3)
        torch.manual_seed(0)
        plain_loss, plain, _ = model.generator_step(batch, disc, {})
        torch.manual_seed(0)
        loss, parts, _ = model.generator_step(batch, disc, {"crop_ssim": 2.0})
        assert "crop_ssim" not in plain and 0.0 < parts["crop_ssim"] <= 2.0
        assert loss.item() == pytest.approx(plain_loss.item() + 2.0 * parts["crop_ssim"],
                                            rel=1e-5)  # fmt: skip

    def test_the_tight_face_and_hand_losses_are_off_unless_weighted(self, training_data):
        """--loss face_ssim=W / hands_ssim=W add 1 - SSIM on the evaluation's tight boxes
        (gan.tight_dissimilarity of frames t-1 and t) and nothing else changes."""
        model, (batch, disc) = self.setup_batch(training_data, 3)
        torch.manual_seed(0)
        plain_loss, plain, _ = model.generator_step(batch, disc, {})
        torch.manual_seed(0)
        loss, parts, fakes = model.generator_step(batch, disc, {"face_ssim": 2.0,
                                                                "hands_ssim": 3.0})  # fmt: skip
        assert "face_ssim" not in plain and "hands_ssim" not in plain
        expected = gan.tight_dissimilarity(fakes["frames"], fakes["real"],
                                           batch["keypoints"].flatten(0, 1), fakes["mask"],
                                           "face")  # fmt: skip
        assert parts["face_ssim"] == pytest.approx(float(expected), rel=1e-5)
        assert loss.item() == pytest.approx(
            plain_loss.item() + 2.0 * parts["face_ssim"] + 3.0 * parts["hands_ssim"], rel=1e-5)

    def test_pairs_copied_into_device_memory_give_the_same_batches(self, training_data):
        pairs = training_data
        rows = np.array([3, 0, 5])
        before = pairs.batch(rows, (16, 16, 16), 0.0, np.random.default_rng(0))
        pairs.preload(torch.device("cpu"))  # what --device cuda does, into the GPU's memory
        try:
            after = pairs.batch(rows, (16, 16, 16), 0.0, np.random.default_rng(0))
        finally:
            pairs.on_device = {}
        assert before.keys() == after.keys()
        assert all(torch.equal(before[k], after[k]) if torch.is_tensor(before[k])
                   else before[k] == after[k] for k in before)  # fmt: skip
        assert before["sticks"].shape == (3, 2, 3, 64, 64) and before["real"].shape[1] == 3


def test_modulated_convolution_demodulates_and_its_style_steers_the_output():
    torch.manual_seed(0)
    conv = ModulatedConv(8, 6, w_dim=4)
    conv.reset_style()
    x = torch.randn(2, 8, 10, 10)
    w = torch.randn(2, 4)
    y = conv(x, w)
    # demodulation: each output channel has about unit scale whatever the style's size
    assert y[:, :, 2:-2, 2:-2].std().item() == pytest.approx(1.0, abs=0.35)
    y_big = conv(x, w * 10)
    assert y_big[:, :, 2:-2, 2:-2].std().item() == pytest.approx(1.0, abs=0.35)
    # a plain convolution with the style folded into the weights gives the same result
    s = conv.affine(w[:1])
    wt = conv.weight * s[0][None, :, None, None]
    wt = wt / wt.square().sum(dim=(1, 2, 3), keepdim=True).add(1e-8).sqrt()
    ref = torch.nn.functional.conv2d(x[:1], wt, conv.bias, padding=1)
    assert torch.allclose(y[:1], ref, atol=1e-4)
    assert not torch.allclose(conv(x, -w), y)


def test_the_keypoints_of_a_training_frame_are_normalised_by_the_signers_placement():
    model = tiny_model()
    rng = np.random.default_rng(0)
    kp = rng.normal(size=(3, sk.NUM_POINTS, 2)).astype(np.float32)
    px = torch.from_numpy(gan.place(kp, model.config.placements["2"]))
    back = model.normalised(px[None], model.signer_onehot([2]))[0]
    assert torch.allclose(back, torch.from_numpy(kp), atol=1e-5)
    vec = pose_vector(torch.from_numpy(kp), torch.ones(3, sk.NUM_POINTS, dtype=torch.bool))
    assert vec.shape == (3, 3 * sk.NUM_POINTS) and vec[:, -sk.NUM_POINTS :].eq(1).all()


def test_size_and_channel_count_must_agree():
    with pytest.raises(ValueError, match="channel counts"):
        StyleGAN2Config(size=128, channels=[16, 16, 8, 8])


def test_a_still_pose_does_not_flicker_and_another_pose_is_another_frame():
    backend = StyleGAN2(tiny_model().eval())
    kp, mask = lexicon_motion()
    still = backend.draw(np.repeat(kp[:1], 4, axis=0), np.repeat(mask[:1], 4, axis=0), 1)
    assert all(np.array_equal(still[0], f) for f in still[1:])  # fixed noise
    moving = backend.draw(kp[:3], mask[:3], 1)
    assert not np.array_equal(moving[0], moving[2])

def test_an_empty_first_frame_shows_the_first_drawn_one():
    backend = StyleGAN2(tiny_model())
    kp, mask = lexicon_motion()
    m = mask[:3].copy()
    m[0] = False
    frames = backend.draw(kp[:3], m, 1)
    assert np.array_equal(frames[0], frames[1]) and not np.array_equal(frames[2], frames[1])


def test_the_signer_one_hot_alone_changes_the_look():
    model = tiny_model()
    with torch.no_grad():  # an untrained signer embedding is too weak to see: make it count
        model.signer_embed.weight.mul_(20)
    kp, mask = lexicon_motion()
    a = draw_frames(model, kp[:2], mask[:2], 1).astype(int)
    b = draw_frames(model, kp[:2], mask[:2], 2).astype(int)
    assert np.abs(a - b).mean() > 0.5


def test_chunks_with_an_empty_frame_put_together_are_the_whole_rendering():
    backend = StyleGAN2(tiny_model())
    kp, mask = lexicon_motion()
    m = mask[:7].copy()
    m[3] = False
    whole = backend.draw(kp[:7], m, 1)
    pieces = list(backend.draw_chunks(kp[:7], m, 1, chunk=3))
    assert [len(p) for p in pieces] == [3, 3, 1]
    assert np.array_equal(np.concatenate(pieces), whole)


def _args(data, out, *extra):
    sets = [x for k, v in TINY.items() for x in ("--set", f"{k}={json.dumps(v)}")]
    return ["--backend", "stylegan2", "--data", str(data), "--out", str(out), "--batch", "2",
            "--workers", "1", "--dev-clips", "1", "--dev-frames", "3", "--ndf", "8",
            *sets, *extra]  # fmt: skip


def test_training_command_writes_checkpoint_curves_grids_and_resumes(small_prepared, tmp_path):
    out = tmp_path / "run"
    args = _args(small_prepared, out, "--steps", "4", "--eval-every", "2", "--loss", "motion=2",
                 "--keep-resume")
    assert tp.main(args) == 0
    for name in ("config.json", "model.safetensors", "losses.csv", "losses.png", "resume.pt",
                 "training.json", "samples/step_000004.png", "pairs/sticks.u8"):  # fmt: skip
        assert (out / name).is_file(), name
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["model_type"] == "ksl_stylegan2" and set(cfg["placements"]) == {"1", "2"}
    assert "synthetic demo corpus" in cfg["trained_on"]
    header = (out / "losses.csv").read_text().splitlines()[0]
    assert "train_g_motion" in header and "train_d_kp" in header and "dev_ssim" in header
    args[args.index("--steps") + 1] = "6"
    assert tp.main(args) == 0
    summary = json.loads((out / "training.json").read_text())
    assert summary["steps"] == 6 and summary["config"]["channels"] == TINY["channels"]
    frames = StyleGAN2.from_pretrained(out).draw(np.zeros((2, sk.NUM_POINTS, 2)) + 0.1, None, 2)
    assert frames.shape == (2, 64, 64, 3)
    # the pairs read here train another run without the videos (another machine, say)
    again = tmp_path / "again"
    assert tp.main(_args(small_prepared, again, "--steps", "1", "--eval-every", "1",
                         "--pairs", str(out / "pairs"))) == 0  # fmt: skip
    assert not (again / "pairs").exists() and (again / "model.safetensors").is_file()


def test_a_folder_that_holds_no_pairs_is_a_clear_error(small_prepared, tmp_path, capsys):
    code = tp.main(_args(small_prepared, tmp_path / "out", "--steps", "1", "--pairs",
                         str(tmp_path)))  # fmt: skip
    assert code == 2 and "no pairs.npz" in capsys.readouterr().err


@pytest.mark.parametrize("item, words", [("hand=2", "no loss part 'hand'"),
                                         ("motion", "expected PART=WEIGHT"),
                                         ("motion=lots", "expected PART=WEIGHT")])  # fmt: skip
def test_a_loss_weight_that_would_change_nothing_is_a_clear_error(
    small_prepared, tmp_path, capsys, item, words
):
    code = tp.main(_args(small_prepared, tmp_path / "out", "--steps", "1", "--loss", item))
    err = capsys.readouterr().err
    assert code == 2 and words in err, err
    if "=" in item and item.split("=")[1].isdigit():  # an unknown part: the known ones listed
        assert ("(its parts: l1, ssim, crop_l1, crop_ssim, face_ssim, hands_ssim, motion, gan, kp, "
                "face_gan, hand_gan)") in err, err
    assert not (tmp_path / "out" / "pairs").exists()  # refused before any video was read
