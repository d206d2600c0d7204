"""training.place_signers: a GAN checkpoint's placements measured again on its run's frames."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from sign_pipeline import skeleton as sk
from sign_pipeline.pose2video import gan
from training import place_signers as ps
from training.corpus.parametric_signer import synthesize
from training.corpus.signer_styles import get_style

#: Where signer 3 stands in the frames of the test's run (neck x, y; shoulder width).
TRUE = (129.0, 107.9, 73.9)


def _pairs(folder: Path, placement=TRUE, signer: int = 3, size: int = 8) -> Path:
    """A pairs folder (as train_pose2video writes one) of a synthesized clip drawn at
    ``placement``: keypoints in pixels, every point found, blank frames."""
    syn = synthesize(["지하철", "어디"], get_style("REAL01"), np.random.default_rng(0))
    mask = np.ones(syn.keypoints.shape[:2], bool)
    norm, _ = sk.normalize(syn.keypoints, mask)
    px = gan.place(norm, placement)
    n = len(px) // 3
    folder.mkdir(parents=True)
    np.savez(folder / "pairs.npz", keypoints=px[: 3 * n].reshape(n, 3, *px.shape[1:]),
             mask=mask[: 3 * n].reshape(n, 3, -1), signers=np.full(n, signer), size=size)  # fmt: skip
    np.zeros((n, 3, size, size, 3), np.uint8).tofile(folder / "frames.u8")
    return folder


def _checkpoint(folder: Path, placements: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    config = {"model_type": "ksl_edn", "placements": placements, "signers": [3]}
    (folder / "config.json").write_text(json.dumps(config), "utf-8")
    return folder


def test_old_placement_is_measured_again_and_the_original_kept(tmp_path, capsys):
    low = [TRUE[0], TRUE[1] + 2.7, TRUE[2]]  # the shoulders' midpoint: a few px lower
    ckpt = _checkpoint(tmp_path / "run", {"3": low, "5": [1.0, 2.0, 3.0]})
    _pairs(ckpt / "pairs")
    original = (ckpt / "config.json").read_text("utf-8")
    assert ps.main([str(ckpt)]) == 0
    placements = json.loads((ckpt / "config.json").read_text("utf-8"))["placements"]
    assert placements["3"] == pytest.approx(TRUE, abs=0.1)
    assert placements["5"] == [1.0, 2.0, 3.0]  # not in the frames: kept as it was
    assert (ckpt / ps.BACKUP).read_text("utf-8") == original
    assert "-2.7" in capsys.readouterr().out
    # a second run finds nothing to move; the first original stays
    assert ps.main([str(ckpt)]) == 0
    assert "nothing written" in capsys.readouterr().out
    assert (ckpt / ps.BACKUP).read_text("utf-8") == original


def test_dry_run_writes_nothing(tmp_path):
    ckpt = _checkpoint(tmp_path / "run", {"3": [TRUE[0], TRUE[1] + 3, TRUE[2]]})
    pairs = _pairs(tmp_path / "elsewhere")
    before = (ckpt / "config.json").read_bytes()
    found = ps.place_signers(ckpt, pairs, dry_run=True)
    assert found["3"][1][1] == pytest.approx(TRUE[1], abs=0.1)
    assert (ckpt / "config.json").read_bytes() == before
    assert not (ckpt / ps.BACKUP).exists()


@pytest.mark.parametrize(
    "placements, pairs_of, message",
    [
        ({"3": [129.0, 110.0, 60.0]}, 3, "not the frames it was trained on"),
        ({"4": [129.0, 110.0, 73.9]}, 3, "none in common"),
        ({}, 3, "no signer placements"),
        ({"3": [129.0, 110.0, 0.0]}, 3, "is not [neck x, neck y, shoulder width > 0]"),
        ({"3": "low"}, 3, "is not [neck x, neck y, shoulder width > 0]"),
        ({"3": list(TRUE)}, None, "no frame triples"),
    ],
)
def test_bad_input_is_refused_and_nothing_written(tmp_path, capsys, placements, pairs_of, message):
    ckpt = _checkpoint(tmp_path / "run", placements)
    if pairs_of is not None:
        _pairs(ckpt / "pairs", signer=pairs_of)
    before = (ckpt / "config.json").read_bytes()
    assert ps.main([str(ckpt)]) == 2
    assert message in capsys.readouterr().err
    assert (ckpt / "config.json").read_bytes() == before
    assert not (ckpt / ps.BACKUP).exists()


def test_not_a_checkpoint(tmp_path, capsys):
    assert ps.main([str(tmp_path)]) == 2
    assert "not a checkpoint" in capsys.readouterr().err
