"""What a newcomer hit on the command line: no stray files, clear refusals, no silent waits."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent


def _run(args: list[str], cwd: Path, **kwargs) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=300, **kwargs)  # fmt: skip


@pytest.mark.parametrize("name", ["x.avi", "x.txt", "x"])
def test_sign_refuses_an_output_that_is_not_mp4(tmp_path, name):
    proc = _run(["sign_pipeline", "지하철", "-o", name], tmp_path)
    assert proc.returncode == 2
    assert "mp4" in proc.stderr and name in proc.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_sign_without_output_writes_to_a_temporary_folder_and_says_where(tmp_path):
    proc = _run(["sign_pipeline", "지하철"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert list(tmp_path.iterdir()) == []  # nothing in the current folder
    written = Path(proc.stdout.split("-> ")[-1].split()[0])
    assert written.name == "sign.mp4" and written.is_file() and written.stat().st_size > 1000
    assert not written.is_relative_to(tmp_path)


def test_extract_refuses_a_still_image(tmp_path):
    png = tmp_path / "photo.png"
    Image.new("RGB", (64, 48), (200, 10, 10)).save(png)
    proc = _run(["sign_pipeline.extract", str(png), "-o", str(tmp_path / "out.pose")], tmp_path)
    assert proc.returncode == 2
    assert "PNG image, not a video" in proc.stderr
    assert not (tmp_path / "out.pose").exists()


def test_gloss_with_no_sentence_at_a_terminal_prints_usage_instead_of_waiting(tmp_path):
    leader, follower = pty.openpty()
    try:
        proc = _run(["sign_pipeline.gloss"], tmp_path, stdin=follower)
    finally:
        os.close(follower)
        os.close(leader)
    assert proc.returncode == 2
    assert "usage:" in proc.stderr and "give a sentence" in proc.stderr


def test_gloss_with_no_sentence_reads_piped_lines(tmp_path):
    proc = _run(["sign_pipeline.gloss"], tmp_path, input="화장실이 어디예요?\n")
    assert proc.returncode == 0
    assert proc.stdout.strip() == "화장실 어디?"


@pytest.mark.parametrize("make", ["missing", "empty"])
def test_evaluate_refuses_data_that_is_not_a_prepared_folder(tmp_path, make):
    data = tmp_path / "data"
    if make == "empty":
        data.mkdir()
    proc = _run(["training.evaluate", "--data", str(data), "--out", str(tmp_path / "e.json")],
                tmp_path)  # fmt: skip
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert ("no such folder" if make == "missing" else "no manifest.jsonl") in proc.stderr
    assert not (tmp_path / "e.json").exists()
