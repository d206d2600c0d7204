"""The EDN pose-to-video backend: the training pairs, the SSIM loss and crops it trains with,
own-signer checkpoints, an empty frame, its training command. Save/load, signers, bad
checkpoints, missing keypoints and a few generator and discriminator steps are the common
tests (tests/model_tester.py); the shipped checkpoint's contract is test_contract_pose2video."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from sign_pipeline import skeleton as sk
from sign_pipeline.pose2video import gan
from sign_pipeline.pose2video.edn import EDN, EDNConfig, EDNModel, render_frames
from tests.model_tester import Pose2VideoModelTester
from tests.torchrun import run_two_processes
from training import train_pose2video as tp

TINY = ["size=64", "face_crop=16", "hand_crop=16", "ngf=8", "n_blocks=1", "refine_channels=8"]


def tiny_model(signers=(1, 2)) -> EDNModel:
    torch.manual_seed(0)
    placements = {str(s): [32.0, 28.0, 20.0] for s in signers}
    cfg = EDNConfig(size=64, face_crop=16, hand_crop=16, ngf=8, n_blocks=1, refine_channels=8,
                    signers=list(signers), placements=placements)  # fmt: skip
    return EDNModel(cfg)


class TestEDN(Pose2VideoModelTester):
    backend_class = EDN
    generation_methods = (EDN.render, EDN.draw, render_frames)
    plain_weights = {"gan": 0.0, "feat": 0.0, "temporal": 0.0, "face_gan": 0.0, "hand_gan": 0.0}

    def tiny_model(self, signers=(1, 2)):
        return tiny_model(signers)

    def test_pairs_hold_video_frames_beside_their_keypoints(self, training_data):
        pairs = training_data
        assert len(pairs) > 10 and pairs.frames.shape[1:] == (3, 64, 64, 3)
        # the signer's shirt is under the shoulders' midpoint, the background far from the body
        kp, m = pairs.keypoints[0, 2], pairs.mask[0, 2]
        frame = pairs.frames[0, 2].astype(int)
        chest = ((kp[sk.R_SHOULDER] + kp[sk.L_SHOULDER]) / 2 + [0, 6]).round().astype(int)
        assert m[sk.R_SHOULDER] and m[sk.L_SHOULDER]
        corner = frame[1, 1]
        assert np.abs(frame[chest[1], chest[0]] - corner).sum() > 60


    def test_the_motion_loss_is_the_change_between_frames_against_the_real_change(
        self, training_data
    ):
        """--loss motion=W: L1 between the generated change from frame t-1 to t and the real
        one (a shimmer where the real frames stay still costs); off unless weighted, and
        not counted for triples whose frame t starts a clip (no previous frame)."""
        model, (batch, disc) = self.setup_batch(training_data, 2)
        _, parts, fakes = model.generator_step(batch, disc, {"motion": 1.0})
        real = batch["real"]
        expected = (fakes["f2"] - fakes["f1"] - (real[:, 2] - real[:, 1])).abs().mean()
        assert parts["motion"] == pytest.approx(float(expected), rel=1e-5)
        assert "motion" not in model.generator_step(batch, disc, {})[1]
        batch = {**batch, "blank_prev": torch.tensor([True, True, False, False])}
        _, parts, fakes = model.generator_step(batch, disc, {"motion": 1.0})
        later = (fakes["f2"] - fakes["f1"] - (real[:, 2] - real[:, 1]))[2:].abs().mean()
        assert parts["motion"] == pytest.approx(float(later), rel=1e-5)
        batch["blank_prev"][:] = True
        assert "motion" not in model.generator_step(batch, disc, {"motion": 1.0})[1]

    def test_a_rollout_draws_the_previous_frame_from_a_blank_start(self, training_data):
        """batch["rollout"] = N: frame t-1 is drawn from no previous frame, then N - 1 times
        more from its own output (the real frame t-2 is never read); 0: once from the real
        frame t-2."""
        model, (batch, disc) = self.setup_batch(training_data, 3)
        args = (batch["onehot"], batch["corners"][:, 0], batch["present"][:, 0])
        ones, zeros = torch.ones(4, dtype=torch.bool), torch.zeros(4, dtype=torch.bool)
        s1 = batch["sticks"][:, 0]
        with torch.no_grad():
            from_real = model(s1, batch["real"][:, 0], ones, *args)
            blank = model(s1, torch.zeros_like(from_real), zeros, *args)
            thrice = model(s1, model(s1, blank, ones, *args), ones, *args)
        _, _, fakes = model.generator_step(batch, disc, {})
        assert torch.allclose(fakes["f1"], from_real, atol=1e-6)
        other_real = {**batch, "real": batch["real"].clone()}
        other_real["real"][:, 0] = -1.0  # frame t-2 is not read with a rollout
        for n, expected in ((1, blank), (3, thrice)):
            _, _, fakes = model.generator_step({**other_real, "rollout": n}, disc, {})
            assert torch.allclose(fakes["f1"], expected, atol=1e-6)
        assert not torch.allclose(thrice, blank, atol=1e-3)
        assert not torch.allclose(blank, from_real, atol=1e-3)
        made = training_data.batch(np.arange(2), model.config.crop_sizes, 0.0,
                                   np.random.default_rng(0), rollout=3)  # fmt: skip
        assert made["rollout"] == 3

    def test_the_tight_crop_losses_are_the_evaluations_crop_ssim(self):
        """--loss face_ssim / hands_ssim: 1 - SSIM on the evaluation's crop boxes (tight
        around the part, metrics.crop_boxes), the image edges mirrored as torchmetrics does."""
        from sign_pipeline import metrics
        from sign_pipeline.pose2video.gan import tight_dissimilarity

        rng = np.random.default_rng(1)
        kp = np.zeros((3, sk.NUM_POINTS, 2), np.float32)
        m = np.zeros((3, sk.NUM_POINTS), bool)
        kp[:, sk.FACE] = rng.uniform(20, 50, (3, sk.FACE.stop - sk.FACE.start, 2))
        m[:, sk.FACE] = True
        kp[:2, sk.RIGHT_HAND] = rng.uniform(5, 30, (2, 21, 2))
        m[:2, sk.RIGHT_HAND] = True
        real = rng.integers(0, 255, (3, 64, 64, 3), dtype=np.uint8)
        fake = real.copy()
        fake[:, 30:40] = 255 - fake[:, 30:40]  # a band across the face, below the hand
        args = (gan.to_tensor(fake), gan.to_tensor(real), torch.from_numpy(kp), torch.from_numpy(m))
        face = float(tight_dissimilarity(*args, "face"))
        hands = float(tight_dissimilarity(*args, "hands"))
        assert 1 - face == pytest.approx(metrics.crop_ssim(fake, real, kp, m, "face"), abs=1e-4)
        assert 1 - hands == pytest.approx(metrics.crop_ssim(fake[:2], real[:2], kp[:2], m[:2],
                                                            "right_hand"), abs=1e-4)  # fmt: skip
        assert face > 0.2 and hands < face
        nothing = torch.zeros_like(args[3])  # no keypoint found: no crop to compare
        assert tight_dissimilarity(*args[:3], nothing, "hands") is None

    def test_a_dev_check_that_shimmers_is_never_kept_as_the_best(self, training_data):
        """dev_flicker: the rendered segments' frame-to-frame change against the real ones';
        with --dev-flicker-limit a check above it ranks below any check within it."""
        segment = {"keypoints": None, "mask": None, "signer": 1,
                   "real": np.repeat(np.linspace(0, 100, 6).astype(np.uint8)[:, None, None, None],
                                     8, 1).repeat(8, 2).repeat(3, 3)}  # fmt: skip

        class Drawn:  # a backend whose frames change twice as fast as the real ones
            def draw(self, keypoints, mask, signer):
                return segment["real"] * 2

        row, _ = tp.evaluate_dev(Drawn(), [segment])
        assert row["dev_flicker"] == pytest.approx(2.0)
        assert tp.evaluate_dev(Drawn(), [{**segment, "real": segment["real"] * 2}])[0][
            "dev_flicker"] == pytest.approx(1.0)  # fmt: skip
        sharp = {"dev_ssim": 0.90, "dev_flicker": 2.5}
        steady = {"dev_ssim": 0.85, "dev_flicker": 1.4}
        steadier = {"dev_ssim": 0.80, "dev_flicker": 2.0}
        assert tp.selection_metric(sharp, None) < tp.selection_metric(steady, None)
        assert tp.selection_metric(steady, 1.6) < tp.selection_metric(sharp, 1.6)
        assert tp.selection_metric(steadier, 1.6) < tp.selection_metric(sharp, 1.6)
        assert tp.selection_metric({"train_g_l1": 0.3}, 1.6) == 0.3
        # --select crops: the mean of the frame's, the face's and the hands' dev SSIM
        frame = {"dev_ssim": 0.89, "dev_ssim_face": 0.45, "dev_ssim_hands": 0.60}
        faces = {"dev_ssim": 0.88, "dev_ssim_face": 0.55, "dev_ssim_hands": 0.62}
        assert tp.selection_metric(frame, 1.6) < tp.selection_metric(faces, 1.6)
        assert tp.selection_metric(faces, 1.6, "crops") < tp.selection_metric(frame, 1.6, "crops")
        assert tp.selection_metric(faces, None, "crops") == pytest.approx(-(0.88 + 0.55 + 0.62) / 3)
        assert tp.selection_metric({**faces, "dev_flicker": 2.0}, 1.6, "crops") == 3.0

    def test_a_dev_check_measures_the_face_and_hands_as_the_evaluation_does(self):
        """dev_ssim_face / dev_ssim_hands: metrics.crop_ssim on the segment's keypoints in
        pixels (the hands' figure the mean over both hands and segments)."""
        from sign_pipeline import metrics

        rng = np.random.default_rng(2)
        kp = np.zeros((4, sk.NUM_POINTS, 2), np.float32)
        m = np.zeros((4, sk.NUM_POINTS), bool)
        kp[:, sk.FACE] = rng.uniform(10, 40, (4, sk.FACE.stop - sk.FACE.start, 2))
        kp[:, sk.LEFT_HAND] = rng.uniform(30, 60, (4, 21, 2))
        m[:, sk.FACE] = m[:, sk.LEFT_HAND] = True
        real = rng.integers(0, 255, (4, 64, 64, 3), dtype=np.uint8)
        drawn = real.copy()
        drawn[:, :32] //= 2  # the top half (the face) drawn darker, the hand mostly right

        class Drawn:
            def draw(self, keypoints, mask, signer):
                return drawn

        segment = {"keypoints": None, "mask": m, "signer": 1, "real": real, "px": kp}
        row, _ = tp.evaluate_dev(Drawn(), [segment])
        assert row["dev_ssim_face"] == pytest.approx(metrics.crop_ssim(drawn, real, kp, m, "face"))
        assert row["dev_ssim_hands"] == pytest.approx(
            metrics.crop_ssim(drawn, real, kp, m, "left_hand"))  # no right hand: not counted
        assert row["dev_ssim_face"] < row["dev_ssim_hands"] < 1.0


def test_ssim_loss_matches_the_evaluation_metric():
    from sign_pipeline import metrics

    rng = np.random.default_rng(0)
    a = rng.integers(0, 255, (2, 48, 48, 3), dtype=np.uint8)
    b = np.clip(a.astype(int) + rng.integers(-40, 40, a.shape), 0, 255).astype(np.uint8)
    ours = gan.ssim(gan.to_tensor(a), gan.to_tensor(b)).mean().item()
    assert ours == pytest.approx(metrics.ssim(a, b), abs=0.02)  # the edges left out
    whole = gan.ssim(gan.to_tensor(a), gan.to_tensor(b), whole=True).mean().item()
    assert whole == pytest.approx(metrics.ssim(a, b), abs=1e-4)
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
            "--dev-frames", "3", "--ndf", "8", "--keep-resume"] + [x for kv in TINY
                                                                   for x in ("--set", kv)]  # fmt: skip
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


@pytest.mark.slow
def test_the_readme_command_trains_one_video_as_its_folders_signer(tmp_path, monkeypatch):
    """``train_pose2video --backend edn --videos my_videos/REAL09 --out
    checkpoints/edn_signers/me --init-from checkpoints/edn``, as README has it, with one
    short video (58 frames; the default batch of 4 needs more triples than 3 per clip)."""
    video = Path(__file__).resolve().parent / "data" / "test_video.mp4"
    (tmp_path / "my_videos" / "REAL09").mkdir(parents=True)
    (tmp_path / "my_videos" / "REAL09" / "hello.mp4").symlink_to(video)
    tiny_model(signers=(1, 2, 3, 4)).save_pretrained(tmp_path / "checkpoints" / "edn")
    monkeypatch.chdir(tmp_path)
    command = ["--backend", "edn", "--videos", "my_videos/REAL09", "--out",
               "checkpoints/edn_signers/me", "--init-from", "checkpoints/edn"]
    assert tp.main(command + ["--steps", "2", "--workers", "1", "--dev-clips", "1",
                              "--dev-frames", "2", "--ndf", "8"]) == 0  # fmt: skip
    me = EDN.from_pretrained(tmp_path / "checkpoints" / "edn_signers" / "me")
    assert me.signers() == [9] and "own recording (REAL09)" in me.describe_signer(9)
    both = EDN.from_pretrained(tmp_path / "checkpoints" / "edn")  # the app loads both
    assert both.signers() == [1, 2, 3, 4, 9]
    assert both.models[1] is both.model and both.models[9] is not both.model


def test_own_videos_need_a_free_signer_id(tmp_path, capsys):
    video = Path(__file__).resolve().parent / "data" / "test_video.mp4"
    tiny_model(signers=(1, 2)).save_pretrained(tmp_path / "shipped")
    for folder, message in (("REAL02", "signer 2 is already a signer of"),
                            ("person", "no signer id for hello.mp4")):  # fmt: skip
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "hello.mp4").symlink_to(video)
        code = tp.main(["--backend", "edn", "--videos", str(tmp_path / folder), "--out",
                        str(tmp_path / f"out_{folder}"), "--init-from", str(tmp_path / "shipped")])
        assert code == 2 and message in capsys.readouterr().err
        assert not (tmp_path / f"out_{folder}").exists()


def test_an_extra_checkpoint_never_shadows_a_loaded_signer(tmp_path):
    tiny_model(signers=(1, 2)).save_pretrained(tmp_path / "edn")
    tiny_model(signers=(2, 5)).save_pretrained(tmp_path / "edn_signers" / "other")
    backend = EDN.from_pretrained(tmp_path / "edn")
    assert backend.signers() == [1, 2, 5]
    assert backend.models[2] is backend.model and backend.models[5] is not backend.model


def test_a_video_without_a_person_is_a_clear_error(tmp_path, capsys):
    from training.corpus.generate import write_video

    write_video(tmp_path / "videos" / "REAL09" / "empty.mp4", np.zeros((12, 64, 64, 3), np.uint8))
    code = tp.main(["--backend", "edn", "--videos", str(tmp_path / "videos"),
                    "--out", str(tmp_path / "out"), "--steps", "1", "--workers", "1"])  # fmt: skip
    assert code == 2
    assert "no video gave a signer" in capsys.readouterr().err


def test_torchrun_two_processes_train_in_step(small_prepared, tmp_path):
    out = tmp_path / "ddp"
    run_two_processes(["-m", "training.train_pose2video",
                       "--backend", "edn", "--data", str(small_prepared), "--out", str(out),
                       "--steps", "3", "--eval-every", "3", "--batch", "2", "--workers", "1",
                       "--dev-clips", "1", "--dev-frames", "2", "--ndf", "8"]
                      + [x for kv in TINY for x in ("--set", kv)], timeout=300)  # fmt: skip
    summary = json.loads((out / "training.json").read_text())
    assert summary["processes"] == 2 and summary["processes_in_step"] is True


def test_the_crop_ssim_loss_measures_what_the_evaluation_does():
    """--loss crop_ssim=W: 1 - SSIM between generated and real face/hand crops (off unless
    weighted), 0 for the real crops themselves, near 1 for unrelated ones."""
    torch.manual_seed(0)
    frames = torch.rand(2, 3, 64, 64) * 2 - 1
    corners = torch.tensor([[[5, 5], [20, 20], [40, 40]]] * 2)
    present = torch.tensor([[True, True, False], [True, False, False]])
    same = gan.crop_pairs(frames, corners, present, frames, frames.clone(), (16, 16, 16))
    assert float(same["ssim"]) == pytest.approx(0.0, abs=1e-6) and same["count"] == 2
    other = gan.crop_pairs(frames, corners, present, frames, torch.rand_like(frames), (16,) * 3)
    face = gan.take_crops(frames, corners, 0, 16)
    assert float(other["ssim"]) > 0.5
    assert float(gan.ssim(face, face).mean()) == pytest.approx(1.0, abs=1e-6)
    assert "crop_ssim" in EDNModel.loss_parts
    assert tp.loss_weights(["crop_ssim=5"], EDNModel.loss_parts, "edn") == {"crop_ssim": 5.0}
