"""One convention for the three training commands: shared flags, --config files, --set
checked against the backend's config, bad input as exit code 2, training.json + model card,
no --out that holds someone else's files, and two torchrun processes in step."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch

from tests.torchrun import ROOT, run_two_processes
from training import cli
from training import train_pose2video as p2v
from training import train_recognizer as rec
from training import train_text2pose as t2p
from training.loop import best_text

TINY_RECOGNIZER = ["--set", "hidden=32", "--set", "heads=2", "--set", "feedforward=32"]
TINY_PROGRESSIVE = ["--set", "hidden=32", "--set", "heads=2"]
TINY_EDN = ["--set", "size=64", "--set", "face_crop=16", "--set", "hand_crop=16", "--set",
            "ngf=8", "--set", "n_blocks=1", "--set", "refine_channels=8"]  # fmt: skip


# ---------------------------------------------------------------------------- --set


@pytest.mark.parametrize("main, argv, words", [
    (t2p.main, ["--backend", "progressive", "--set", "hiddn=64"],
     ["ProgressiveConfig has no 'hiddn'", "hidden (int)"]),
    (t2p.main, ["--backend", "Tacotron", "--set", "embed=wide"], ["embed takes a value of type int"]),
    (t2p.main, ["--backend", "progressive", "--set", "hidden=1.5"], ["type int, not 1.5"]),
    (p2v.main, ["--backend", "edn", "--set", "ngff=16"], ["EDNConfig has no 'ngff'", "ngf (int)"]),
    (p2v.main, ["--backend", "stylegan2", "--set", "channels=8"], ["type list"]),
    (rec.main, ["--set", "hidden"], ["expected NAME=VALUE"]),
    (rec.main, ["--set", "glosses=[\"a\"]"], ["no 'glosses'"]),  # the data decides those
])  # fmt: skip
def test_set_refuses_unknown_names_and_wrong_types(tmp_path, capsys, main, argv, words):
    code = main([*argv, "--data", str(tmp_path / "data"), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2, err
    assert all(w in err for w in words), err
    assert "Traceback" not in err and not (tmp_path / "out").exists()


def test_set_takes_json_values_of_the_right_type():
    from sign_pipeline.pose2video.stylegan2 import StyleGAN2Config

    got = cli.model_overrides(StyleGAN2Config, ["channels=[16, 16, 8]", "pose_fraction=1",
                                                "w-dim=32"])  # fmt: skip
    assert got == {"channels": [16, 16, 8], "pose_fraction": 1, "w_dim": 32}


# ---------------------------------------------------------------------------- --config


def _parser():
    return cli.training_parser("x", "x", epochs=60, steps=None, batch_size=16, lr=2e-3,
                               eval_every=0, patience=12)  # fmt: skip


@pytest.mark.parametrize("suffix", [".toml", ".json"])
def test_config_file_overrides_defaults_and_flags_override_the_file(tmp_path, suffix):
    path = tmp_path / f"run{suffix}"
    values = {"batch_size": 8, "lr": 5e-4, "data": "from_file", "out": "o",
              "model": {"hidden": 64, "heads": 2}}  # fmt: skip
    if suffix == ".json":
        path.write_text(json.dumps(values))
    else:
        path.write_text('batch_size = 8\nlr = 5e-4\ndata = "from_file"\nout = "o"\n'
                        "[model]\nhidden = 64\nheads = 2\n")  # fmt: skip
    args = cli.parse_args(_parser(), ["--config", str(path), "--batch-size", "4",
                                      "--set", "hidden=32"])  # fmt: skip
    assert (args.batch_size, args.lr, args.data, args.epochs) == (4, 5e-4, "from_file", 60)
    # the file's model table first, --set after it: the last word wins
    assert args.set == ["hidden=64", "heads=2", "hidden=32"]
    from sign_pipeline.backtranslation import RecognizerConfig

    assert cli.model_overrides(RecognizerConfig, args.set) == {"hidden": 32, "heads": 2}


def test_config_file_with_an_unknown_setting_or_bad_syntax_is_refused(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text("batch_sise = 8\n")
    with pytest.raises(cli.UsageError, match="unknown setting.*batch_sise.*known: .*batch_size"):
        cli.parse_args(_parser(), ["--config", str(path), "--data", "d", "--out", "o"])
    path.write_text("batch_size = = 8\n")
    with pytest.raises(cli.UsageError, match="not valid TOML"):
        cli.parse_args(_parser(), ["--config", str(path), "--data", "d", "--out", "o"])
    with pytest.raises(cli.UsageError, match="no such file"):
        cli.parse_args(_parser(), ["--config", str(tmp_path / "no.toml"), "--data", "d",
                                   "--out", "o"])  # fmt: skip


def test_the_three_commands_share_their_flags(capsys):
    shared = ["--data", "--out", "--config", "--init-from", "--epochs", "--steps",
              "--batch-size", "--lr", "--seed", "--max-minutes", "--threads", "--device",
              "--eval-every", "--patience", "--save-minutes", "--no-progress", "--keep-resume",
              "--set"]  # fmt: skip
    for main in (t2p.main, p2v.main, rec.main):
        with pytest.raises(SystemExit):
            main(["--help"])
        text = capsys.readouterr().out
        assert [f for f in shared if f not in text] == [], main.__module__
    with pytest.raises(SystemExit):
        t2p.main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "tacotron (Tacotron), progressive (Transformer)" in text


def test_the_old_batch_spelling_still_works_with_a_note(capsys):
    args = cli.parse_args(_parser(), ["--batch", "3", "--data", "d", "--out", "o"])
    assert args.batch_size == 3 and "--batch is deprecated, use --batch-size" in capsys.readouterr().err


# ---------------------------------------------------------------------------- bad input


def test_bad_input_is_a_message_and_exit_code_2(tmp_path, capsys):
    out = str(tmp_path / "out")
    cases = [
        (t2p.main, ["--backend", "foo", "--data", "d", "--out", out],
         "trainable: tacotron (Tacotron), progressive (Transformer)"),
        (t2p.main, ["--backend", "lexicon", "--data", "d", "--out", out], "trainable:"),
        (t2p.main, ["--backend", "transformer", "--data", str(tmp_path / "missing"),
                    "--out", out], "missing: no such folder"),
        (rec.main, ["--data", str(tmp_path), "--out", out], "no manifest.jsonl"),
        (p2v.main, ["--backend", "avatar", "--data", "d", "--out", out], "trainable: edn"),
        (p2v.main, ["--backend", "edn", "--videos", str(tmp_path / "none"), "--out", out],
         "no such file or folder"),
        (p2v.main, ["--backend", "edn", "--out", out], "give one of --data"),
        (rec.main, ["--data", "d", "--out", out, "--batch-size", "0"], "must be positive"),
        (p2v.main, ["--backend", "edn", "--data", "d", "--out", out, "--init-from",
                    str(tmp_path)], "not a checkpoint"),
        (t2p.main, ["--backend", "progressive", "--data", "d", "--out", out, "--select", "wer"],
         "--select wer needs --recognizer"),
        (t2p.main, ["--backend", "progressive", "--data", "d", "--out", out, "--recognizer",
                    str(tmp_path)], "--recognizer"),
        (p2v.main, ["--backend", "stylegan2", "--data", "d", "--out", out, "--rollout", "2"],
         "stylegan2 does not draw a frame from the one before"),
        (p2v.main, ["--backend", "edn", "--data", "d", "--out", out, "--rollout", "-1"],
         "must be 0 or more"),
    ]  # fmt: skip
    for main, argv, words in cases:
        code = main(argv)
        err = capsys.readouterr().err
        assert code == 2 and words in err and "Traceback" not in err, (argv, err)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without a GPU")
def test_a_gpu_asked_for_on_a_cpu_machine_is_a_message(tmp_path, small_prepared, capsys):
    for main, head in ((p2v.main, ["--backend", "stylegan2"]), (t2p.main, ["--backend", "progressive"]),
                       (rec.main, [])):  # fmt: skip
        code = main([*head, "--data", str(small_prepared), "--out", str(tmp_path / "o"),
                     "--device", "cuda"])  # fmt: skip
        err = capsys.readouterr().err
        assert code == 2 and "no CUDA GPU on this machine" in err, err


def test_corpus_add_video_on_a_folder_that_is_not_a_corpus(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "training.corpus", "--add-video", "--out",
                           str(tmp_path / "nothing")], capture_output=True, text=True,
                          cwd=ROOT)  # fmt: skip
    assert proc.returncode == 2 and "not a corpus made by python -m training.corpus" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_resumed_run_never_calls_a_training_loss_a_dev_figure():
    assert best_text({"step": 4, "epoch": 1.0, "train_loss": 1.25}) == "train_loss 1.2500 (step 4)"
    assert "dev_dtw 6.9000" in best_text({"step": 8, "dev_dtw": 6.9})


# ---------------------------------------------------------------------------- --out


def test_out_folders_with_other_files_are_refused_and_left_alone(tmp_path, small_prepared, capsys):
    mine = tmp_path / "photos"
    mine.mkdir()
    (mine / "holiday.jpg").write_bytes(b"not yours")
    other = tmp_path / "other_run"
    other.mkdir()
    (other / "training.json").write_text(json.dumps({"command": "python -m training.train_recognizer"}))
    data = ["--data", str(small_prepared)]
    for main, head in ((t2p.main, ["--backend", "progressive", *TINY_PROGRESSIVE]),
                       (p2v.main, ["--backend", "edn", *TINY_EDN]), (rec.main, TINY_RECOGNIZER)):  # fmt: skip
        code = main([*head, *data, "--out", str(mine), "--steps", "1"])
        err = capsys.readouterr().err
        assert code == 2 and "holds files this command did not write" in err, err
        assert sorted(p.name for p in mine.iterdir()) == ["holiday.jpg"]
        assert (mine / "holiday.jpg").read_bytes() == b"not yours"
    code = t2p.main(["--backend", "progressive", *data, "--out", str(other), "--steps", "1"])
    assert code == 2 and "holds the run of another command" in capsys.readouterr().err
    assert sorted(p.name for p in other.iterdir()) == ["training.json"]


@pytest.mark.parametrize("argv", [["-m", "training.corpus", "--size", "small", "--no-video"],
                                  ["-m", "training.prepare", "--videos", "VIDEOS"]])  # fmt: skip
def test_corpus_and_prepare_refuse_an_out_folder_of_other_files(tmp_path, argv):
    mine = tmp_path / "notes"
    mine.mkdir()
    (mine / "todo.txt").write_text("mine")
    (tmp_path / "videos").mkdir()
    (tmp_path / "videos" / "a.mp4").write_bytes(b"")
    argv = [str(tmp_path / "videos") if a == "VIDEOS" else a for a in argv]
    proc = subprocess.run([sys.executable, *argv, "--out", str(mine)], capture_output=True,
                          text=True, cwd=ROOT)  # fmt: skip
    assert proc.returncode == 2 and "did not write" in proc.stderr, proc.stderr
    assert [p.name for p in mine.iterdir()] == ["todo.txt"]


# ---------------------------------------------------------------------------- the record


def test_a_run_writes_training_json_and_a_model_card(tmp_path, small_prepared, capsys):
    config = tmp_path / "recognizer.toml"
    config.write_text("epochs = 2\nbatch_size = 8\n[model]\nhidden = 32\nheads = 2\n")
    out = tmp_path / "rec"
    argv = ["--data", str(small_prepared), "--out", str(out), "--config", str(config),
            "--set", "feedforward=32", "--no-progress", "--lr", "3e-3"]  # fmt: skip
    assert rec.main(argv) == 0
    record = json.loads((out / "training.json").read_text("utf-8"))
    assert record["command"] == "python -m training.train_recognizer " + " ".join(argv)
    assert record["argv"] == argv
    assert (record["config"]["hidden"], record["config"]["feedforward"]) == (32, 32)
    assert record["training"]["batch_size"] == 8 and record["training"]["lr"] == 3e-3
    assert record["training"]["epochs"] == 2
    data = record["data"]
    assert data["synthetic"] is True and data["train_clips"] >= 10 and data["all_clips"] > 0
    assert len(record["git"]["commit"]) == 40
    assert record["started"] <= record["ended"] and record["status"] == "finished"
    assert record["stopped_by"] == "epochs" and record["epochs_run"] == 2
    assert record["steps"] == 2 * record["training"]["steps_per_epoch"]
    assert 0 <= record["best"]["dev_wer"] and record["best_dev_wer"] == record["best"]["dev_wer"]
    card = (out / "README.md").read_text("utf-8")
    assert card.startswith("# Recogniser (recognizer)")
    assert "synthetic demo corpus" in card and record["command"] in card
    assert "Written by the training command itself" in card
    assert not (out / "resume.pt").exists()
    # the same command into the same folder is its own folder: it may train again
    assert cli.claim_out_dir(out, rec.MODULE) == out


# ---------------------------------------------------------------------------- torchrun


@pytest.mark.slow
@pytest.mark.parametrize("module, argv", [
    ("training.train_text2pose", ["--backend", "progressive", *TINY_PROGRESSIVE, "--steps", "3",
                                  "--batch-size", "4", "--eval-clips", "1"]),
    ("training.train_recognizer", [*TINY_RECOGNIZER, "--steps", "3", "--batch-size", "4"]),
    ("training.train_pose2video", ["--backend", "edn", *TINY_EDN, "--steps", "3",
                                   "--batch-size", "2", "--eval-every", "3", "--workers", "1",
                                   "--dev-clips", "1", "--dev-frames", "2", "--ndf", "8"]),
])  # fmt: skip
def test_two_cpu_processes_stay_in_step(small_prepared, tmp_path, module, argv):
    out = tmp_path / "ddp"
    run_two_processes(["-m", module, "--data", str(small_prepared), "--out", str(out),
                       "--device", "cpu", "--no-progress", *argv], timeout=400)  # fmt: skip
    record = json.loads((out / "training.json").read_text("utf-8"))
    assert record["processes"] == 2 and record["processes_in_step"] is True
    assert record["steps"] == 3 and record["command"].startswith(f"torchrun --nproc_per_node 2 -m {module}")
    assert record["device"] == "cpu"
