"""The EDN pose-to-video backend: its model, its training command, its bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from sign_pipeline import registry
from sign_pipeline import skeleton as sk
from sign_pipeline.modeling import CheckpointError
from sign_pipeline.pose2video import gan
from sign_pipeline.pose2video.edn import EDN, EDNConfig, EDNModel, render_frames
from sign_pipeline.text2pose.base import GlossInput
from tests.torchrun import run_two_processes
from training import train_pose2video as tp
from training.dataset import load_manifest

TINY = ["size=64", "face_crop=16", "hand_crop=16", "ngf=8", "n_blocks=1", "refine_channels=8"]


def tiny_model(signers=(1, 2)) -> EDNModel:
    torch.manual_seed(0)
    placements = {str(s): [32.0, 28.0, 20.0] for s in signers}
    cfg = EDNConfig(size=64, face_crop=16, hand_crop=16, ngf=8, n_blocks=1, refine_channels=8,
                    signers=list(signers), placements=placements)  # fmt: skip
    return EDNModel(cfg)


@pytest.fixture(scope="module")
def pairs(small_prepared, tmp_path_factory) -> tp.Pairs:
    records = [r for r in load_manifest(small_prepared) if r["split"] == "train"]
    folder = tmp_path_factory.mktemp("pairs")
    return tp.Pairs.build(small_prepared, records, folder, 64, 2, 1)


@pytest.fixture(scope="module")
def motion() -> tuple[np.ndarray, np.ndarray]:
    lexicon = registry.load("text2pose", "lexicon")
    out = lexicon.sign(GlossInput.from_glosses(["지하철", "가방"]), signer=1)
    return out.keypoints[::4].copy(), out.mask[::4].copy()


def test_pairs_hold_video_frames_beside_their_keypoints(pairs):
    assert len(pairs) > 10 and pairs.frames.shape[1:] == (3, 64, 64, 3)
    # the signer's shirt is under the shoulders' midpoint, the background far from the body
    row = 0
    kp, m = pairs.keypoints[row, 2], pairs.mask[row, 2]
    frame = pairs.frames[row, 2].astype(int)
    chest = ((kp[sk.R_SHOULDER] + kp[sk.L_SHOULDER]) / 2 + [0, 6]).round().astype(int)
    assert m[sk.R_SHOULDER] and m[sk.L_SHOULDER]
    corner = frame[1, 1]
    assert np.abs(frame[chest[1], chest[0]] - corner).sum() > 60


def _setup(pairs, seed: int):
    """A tiny generator, its discriminators and a batch of 4 triples."""
    model = tiny_model()
    batch = pairs.batch(np.arange(4), model.config.crop_sizes, 0.0, np.random.default_rng(seed))
    return model, model.make_discriminators(8), batch


def test_a_few_steps_lower_the_generator_loss(pairs):
    model, disc, batch = _setup(pairs, 0)
    opt = torch.optim.Adam(model.parameters(), 2e-3, betas=(0.5, 0.999))
    weights = {"gan": 0.0, "feat": 0.0, "temporal": 0.0, "face_gan": 0.0, "hand_gan": 0.0}
    losses = []
    for _ in range(30):
        loss, parts, _ = model.generator_step(batch, disc, weights)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(parts["l1"])
    assert losses[-1] < 0.6 * losses[0], losses


def test_the_discriminators_learn_to_tell_real_from_generated(pairs):
    model, disc, batch = _setup(pairs, 1)
    opt = torch.optim.Adam(disc.parameters(), 1e-3, betas=(0.5, 0.999))
    _, _, fakes = model.generator_step(batch, disc, {})
    first = None
    for _ in range(15):
        loss, _ = disc.loss(batch, fakes, model.config.crop_sizes)
        first = float(loss.detach()) if first is None else first
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert float(loss.detach()) < 0.5 * first


def test_ssim_loss_matches_the_evaluation_metric():
    from sign_pipeline import metrics

    rng = np.random.default_rng(0)
    a = rng.integers(0, 255, (2, 48, 48, 3), dtype=np.uint8)
    b = np.clip(a.astype(int) + rng.integers(-40, 40, a.shape), 0, 255).astype(np.uint8)
    ours = gan.ssim(gan.to_tensor(a), gan.to_tensor(b)).mean().item()
    assert ours == pytest.approx(metrics.ssim(a, b), abs=0.02)
    assert gan.ssim(gan.to_tensor(a), gan.to_tensor(a)).mean().item() == pytest.approx(1.0)


def test_crops_are_centred_on_their_part_and_pasted_back():
    kp = np.zeros((1, sk.NUM_POINTS, 2), np.float32)
    m = np.zeros((1, sk.NUM_POINTS), bool)
    kp[0, sk.RIGHT_HAND] = [40, 30]
    m[0, sk.RIGHT_HAND] = True
    corners, present = gan.crop_corners(kp, m, (16, 16, 16), 64)
    assert present.tolist() == [[False, False, True]]
    assert corners[0, 2].tolist() == [32, 22]
    img = torch.zeros(1, 3, 64, 64)
    out = gan.paste_crops(img, torch.ones(1, 3, 16, 16), torch.from_numpy(corners),
                          2, torch.from_numpy(present))  # fmt: skip
    assert out[0, :, 22:38, 32:48].eq(1).all() and out.sum() == 3 * 16 * 16


def test_batched_crops_match_per_frame_slices_in_values_and_gradients():
    torch.manual_seed(0)
    img = torch.randn(5, 3, 64, 64, requires_grad=True)
    corners = torch.from_numpy(np.random.default_rng(0).integers(0, 48, (5, 3, 2)))
    present = torch.tensor([[1, 1, 0], [1, 0, 1], [0, 0, 0], [1, 1, 1], [0, 1, 1]]).bool()
    for part in range(3):
        crops = gan.take_crops(img, corners, part, 16)
        for i, (x, y) in enumerate(corners[:, part].tolist()):
            assert torch.equal(crops[i], img[i, :, y : y + 16, x : x + 16])
        patch = torch.randn(5, 3, 16, 16, requires_grad=True)
        out = gan.paste_crops(img, patch, corners, part, present)
        ref = img.clone()
        for i, (x, y) in enumerate(corners[:, part].tolist()):
            if present[i, part]:
                ref[i, :, y : y + 16, x : x + 16] = patch[i]
        assert torch.equal(out, ref)
        weight = torch.randn_like(out)
        grads = torch.autograd.grad((out * weight).sum(), [img, patch])
        expected = torch.autograd.grad((ref * weight).sum(), [img, patch])
        assert all(torch.equal(a, b) for a, b in zip(grads, expected, strict=True))


def test_save_load_gives_identical_frames(tmp_path, motion):
    model = tiny_model().eval()
    kp, mask = motion
    model.save_pretrained(tmp_path)
    again = EDN.from_pretrained(tmp_path)
    a = render_frames(model, kp[:3], mask[:3], 1)
    b = again.draw(kp[:3], mask[:3], 1)
    assert a.shape == (3, 64, 64, 3) and np.array_equal(a, b)


def test_all_missing_keypoints_are_an_error_and_an_empty_frame_repeats(motion):
    backend = EDN(tiny_model())
    kp, mask = motion
    with pytest.raises(ValueError, match="every keypoint is missing"):
        backend.draw(kp[:3], np.zeros_like(mask[:3]), 1)
    m = mask[:3].copy()
    m[1] = False
    frames = backend.draw(kp[:3], m, 1)
    assert np.array_equal(frames[1], frames[0])


def test_a_signer_outside_the_checkpoint_is_refused(motion):
    backend = EDN(tiny_model(signers=(1, 2)))
    kp, mask = motion
    with pytest.raises(ValueError, match="not known"):
        backend.draw(kp[:2], mask[:2], 7)


def test_a_corrupt_checkpoint_is_a_clear_error(tmp_path):
    tiny_model().save_pretrained(tmp_path)
    (tmp_path / "model.safetensors").write_bytes(b"not weights")
    with pytest.raises(CheckpointError, match="cannot load"):
        EDN.from_pretrained(tmp_path)


def test_own_signer_checkpoints_are_found_beside_the_shipped_one(tmp_path, monkeypatch):
    tiny_model(signers=(1, 2)).save_pretrained(tmp_path / "edn")
    own = tiny_model(signers=(9,))
    own.config.signer_notes = {"9": "own recording (me)"}
    own.save_pretrained(tmp_path / "edn_signers" / "me")
    other = tmp_path / "elsewhere"
    tiny_model(signers=(11,)).save_pretrained(other)
    monkeypatch.setenv("KSL_EDN_SIGNERS", str(other))
    backend = EDN.from_pretrained(tmp_path / "edn")
    assert backend.signers() == [1, 2, 9, 11]
    assert backend.describe_signer(9) == "own recording (me)"


def test_training_command_writes_checkpoint_curves_grids_and_resumes(small_prepared, tmp_path):
    out = tmp_path / "run"
    args = ["--backend", "edn", "--data", str(small_prepared), "--out", str(out), "--steps", "4",
            "--eval-every", "2", "--batch", "2", "--workers", "1", "--dev-clips", "1",
            "--dev-frames", "3", "--ndf", "8"] + [x for kv in TINY for x in ("--set", kv)]  # fmt: skip
    assert tp.main(args) == 0
    for name in ("config.json", "model.safetensors", "losses.csv", "losses.png", "resume.pt",
                 "training.json", "samples/step_000004.png"):  # fmt: skip
        assert (out / name).is_file(), name
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["signers"] == [1, 2] and set(cfg["placements"]) == {"1", "2"}
    assert "synthetic demo corpus" in cfg["trained_on"]
    args[args.index("--steps") + 1] = "6"
    assert tp.main(args) == 0
    assert json.loads((out / "training.json").read_text())["steps"] == 6
    backend = EDN.from_pretrained(out)
    frames = backend.draw(np.zeros((2, sk.NUM_POINTS, 2), np.float32) + 0.1, None, 2)
    assert frames.shape == (2, 64, 64, 3)


def test_own_video_trains_a_new_signer(tmp_path):
    video = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "real" / "test_video.mp4"
    if not video.is_file():
        pytest.skip("shared fixture video not present")
    folder = tmp_path / "videos" / "REAL09"
    folder.mkdir(parents=True)
    (folder / "test_video.mp4").symlink_to(video)
    out = tmp_path / "me"
    tiny_model(signers=(1, 2)).save_pretrained(tmp_path / "shipped")  # fine-tuned from it
    args = ["--backend", "edn", "--videos", str(tmp_path / "videos"), "--out", str(out),
            "--init-from", str(tmp_path / "shipped"), "--steps", "2", "--eval-every", "2",
            "--batch", "2", "--workers", "1", "--dev-clips", "1", "--dev-frames", "2",
            "--ndf", "8"]  # fmt: skip
    assert tp.main(args) == 0
    backend = EDN.from_pretrained(out)
    assert backend.signers() == [9]  # the person's own checkpoint: not the shipped signers
    assert list(backend.model.config.placements) == ["9"]
    assert "own recording" in backend.describe_signer(9)
    assert "your data" in backend.about()["trained_on"]


def test_a_video_without_a_person_is_a_clear_error(tmp_path, capsys):
    from training.corpus.generate import write_video

    write_video(tmp_path / "videos" / "empty.mp4", np.zeros((12, 64, 64, 3), np.uint8))
    code = tp.main(["--backend", "edn", "--videos", str(tmp_path / "videos"),
                    "--out", str(tmp_path / "out"), "--steps", "1", "--workers", "1"])  # fmt: skip
    assert code == 2
    assert "no video gave a signer" in capsys.readouterr().err


def test_chunks_put_together_are_the_whole_rendering(motion):
    backend = EDN(tiny_model())
    kp, mask = motion
    whole = backend.draw(kp[:7], mask[:7], 1)
    pieces = list(backend.draw_chunks(kp[:7], mask[:7], 1, chunk=3))
    assert [len(p) for p in pieces] == [3, 3, 1]
    assert np.array_equal(np.concatenate(pieces), whole)


def test_torchrun_two_processes_train_in_step(small_prepared, tmp_path):
    out = tmp_path / "ddp"
    run_two_processes(["-m", "training.train_pose2video",
                       "--backend", "edn", "--data", str(small_prepared), "--out", str(out),
                       "--steps", "3", "--eval-every", "3", "--batch", "2", "--workers", "1",
                       "--dev-clips", "1", "--dev-frames", "2", "--ndf", "8"]
                      + [x for kv in TINY for x in ("--set", kv)], timeout=300)  # fmt: skip
    summary = json.loads((out / "training.json").read_text())
    assert summary["processes"] == 2 and summary["processes_in_step"] is True
