"""Announcements rendered ahead of time: python -m sign_pipeline.batch."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sign_pipeline.batch import BatchError, parse_shard, read_list, shard_items

ROOT = Path(__file__).resolve().parent.parent
SENTENCES = ["화장실이 어디예요?", "지하철 어디예요?", "hello world", "엘리베이터는 어디에 있어요?",
             "버스 타요"]  # fmt: skip


def batch(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sign_pipeline.batch", *map(str, args),
                           "--no-progress"], capture_output=True, text=True, cwd=ROOT)  # fmt: skip


def test_shards_split_a_list_with_no_overlap():
    items = read_list_of(SENTENCES * 3)
    shards = [shard_items(items, k, 4) for k in range(1, 5)]
    ids = [it.id for shard in shards for it in shard]
    assert sorted(ids) == sorted(it.id for it in items) and len(set(ids)) == len(items)
    assert parse_shard("2/4") == (2, 4)
    for bad in ("0/4", "5/4", "1", "a/b"):
        with pytest.raises(BatchError):
            parse_shard(bad)


def read_list_of(lines: list[str], tmp=None) -> list:
    import tempfile

    path = Path(tmp or tempfile.mkdtemp()) / "list.txt"
    path.write_text("# announcements\n\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return read_list(path)


@pytest.mark.slow
def test_two_shards_render_the_whole_list_and_a_second_run_resumes(tmp_path):
    listing = tmp_path / "list.txt"
    listing.write_text("\n".join(SENTENCES), encoding="utf-8")
    out = tmp_path / "out"
    first = batch(listing, "--out", out, "--shard", "1/2", "--processes", "2")
    second = batch(listing, "--out", out, "--shard", "2/2")
    # shard 1: items 1, 3 (hello world: nothing to sign, exit 1) and 5; shard 2: items 2 and 4
    assert first.returncode == 1 and "Latin letters have no sign" in first.stderr
    assert second.returncode == 0, second.stderr
    manifest = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    assert [r["index"] for r in manifest] == [1, 2, 3, 4, 5]
    assert [r["status"] for r in manifest] == ["ok", "ok", "error", "ok", "ok"]
    for r in manifest[:2]:
        assert (out / r["files"]["video"]).stat().st_size > 10_000
        assert (out / r["files"]["pose"]).is_file() and r["frames"] > 30
    assert not list(out.glob("*_openpose"))  # the frames are in the zip
    again = batch(listing, "--out", out)
    assert "4 already done" in again.stdout and "1 rendered now" in again.stdout


@pytest.mark.slow
def test_a_csv_list_names_the_models_and_signer_per_sentence(tmp_path):
    listing = tmp_path / "list.csv"
    listing.write_text("text,text2pose,signer\n화장실이 어디예요?,Transformer,2\n지하철 어디예요?,,\n",
                       encoding="utf-8")  # fmt: skip
    done = batch(listing, "--out", tmp_path / "out", "--signer", "3")
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in (tmp_path / "out" / "manifest.jsonl").read_text()
               .splitlines()]  # fmt: skip
    assert [(r["text2pose"], r["signer"]) for r in records] == [("Transformer", 2), ("lexicon", 3)]


def test_bad_input_is_a_message_and_touches_nothing(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    (tmp_path / "no_text.csv").write_text("sentence\n가\n", encoding="utf-8")
    (tmp_path / "ok.txt").write_text("지하철\n", encoding="utf-8")
    for args, message in [
        ((tmp_path / "missing.txt", "--out", tmp_path / "o1"), "no such file"),
        ((tmp_path / "no_text.csv", "--out", tmp_path / "o2"), "needs a 'text' column"),
        ((tmp_path / "ok.txt", "--out", tmp_path / "o3", "--shard", "3/2"), "between 1 and N"),
        ((tmp_path / "ok.txt", "--out", tmp_path / "mine"), "did not write"),
    ]:  # fmt: skip
        done = batch(*args)
        assert done.returncode == 2 and message in done.stderr, (args, done.stderr)
        assert "Traceback" not in done.stderr
    assert [p.name for p in (tmp_path / "mine").iterdir()] == ["notes.txt"]
