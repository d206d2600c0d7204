"""``python -m sign_pipeline.gloss``: glosses, --json, one result per standard-input line."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

from sign_pipeline.gloss.__main__ import main

ROOT = Path(__file__).resolve().parents[1]
SEED = "서울역까지 가려면 지하철 몇호선으로 환승 해야하나요?"


def test_prints_glosses(capsys):
    assert main([SEED]) == 0
    assert capsys.readouterr().out == "서울 기차 가다 목적 지하철 바꾸다 몇호?\n"


def test_json(capsys):
    assert main(["--json", SEED]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["glosses"] == ["서울", "기차", "가다", "목적", "지하철", "바꾸다", "몇호"]
    assert doc["question"] is True
    assert doc["coverage"]["synonym"] == 4


def test_error_goes_to_stderr_with_status_1(capsys):
    assert main(["   "]) == 1
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err == "! Please type a sentence: the text is empty.\n"


def test_stdin_one_json_object_per_line(capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("지하철 타요\n\n명동역 어디예요?\n"))
    assert main(["--json"]) == 1  # the empty line could not be signed
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    docs = [json.loads(line) for line in lines]
    assert docs[0]["glosses"] == ["지하철", "타다"]
    assert docs[1] == {"text": "", "error": "Please type a sentence: the text is empty."}
    assert docs[2]["glosses"] == ["명동", "지하철", "어디"]


def test_stdin_dash_plain(capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("지하철 환풍구에 가방이 빠졌어요!\n"))
    assert main(["-"]) == 0
    assert capsys.readouterr().out == "지하철 환풍구 가방 빠지다\n"


def test_module_runs_as_a_program():
    proc = subprocess.run(
        [sys.executable, "-m", "sign_pipeline.gloss", "--json"],
        input="지하철 환풍구에 가방이 빠졌어요!\n",
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["glosses"] == ["지하철", "환풍구", "가방", "빠지다"]
