"""A researcher's own data end to end (issue 10): a tiny AI Hub-layout tree whose signers are
REAL02, REAL06 and REAL10 and whose test split holds a gloss found nowhere else (쥐, which the
built-in inventory lacks) -> prepare -> build_lexicon -> the CLI and the API with
``--checkpoints`` sign every gloss for each signer, fingerspell a word the data lacks, and
report coverage truthfully."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sign_pipeline.formats.aihub import GlossSpan, write_aihub_clip
from sign_pipeline.pipeline import SignPipeline
from training.build_lexicon import build
from training.corpus.generate import ClipJob, make_clip
from training.dataset import load_manifest
from training.prepare import prepare

ROOT = Path(__file__).resolve().parent.parent
#: the corpus generator's signer styles, written out under the ids real data would have
SIGNERS = {"REAL01": "REAL02", "REAL02": "REAL06", "REAL03": "REAL10"}
SENTENCES = [
    ("명동역에 어떻게 가요?", ("명동", "지하철", "가다", "어떻게")),
    ("여기서 명동역까지 멀어요?", ("여기", "명동", "지하철", "멀다")),
    ("강남역에 어떻게 가요?", ("강남", "지하철", "가다", "어떻게")),
    ("시청역에 어떻게 가요?", ("시청", "지하철", "가다", "어떻게")),
    ("지하철 환풍구에 가방이 빠졌어요!", ("지하철", "환풍구", "가방", "빠지다")),
    ("화장실이 어디예요?", ("화장실", "어디")),
]
LETTERS = ("ㅇ", "ㅣ", "ㅌ", "ㅐ", "ㅝ", "ㄴ")  # enough to fingerspell 이태원
NEW_GLOSS = "쥐"


def _write_tree(root: Path, rename: dict[str, str] | None = None) -> None:
    """SEN clips of SENTENCES and WORD clips of LETTERS for every signer; ``rename`` maps
    a Korean sentence to the gloss of it that is relabelled NEW_GLOSS."""
    rename = rename or {}
    for style, real in SIGNERS.items():
        jobs = [ClipJob(f"NIA_SL_SEN{i + 1:04d}_{style}_F", "SEN", style, g, text, 0, False)
                for i, (text, g) in enumerate(SENTENCES)]  # fmt: skip
        jobs += [ClipJob(f"NIA_SL_WORD{i + 1:04d}_{style}_F", "WORD", style, (g,), None, 0, False)
                 for i, g in enumerate(LETTERS)]  # fmt: skip
        for job in jobs:
            seq, spans, _, _ = make_clip(job)
            if job.sentence in rename:
                old = rename[job.sentence]
                spans = [GlossSpan(NEW_GLOSS if s.gloss == old else s.gloss, s.start, s.end)
                         for s in spans]  # fmt: skip
            write_aihub_clip(root, job.name.replace(style, real), seq, spans,
                             sentence=job.sentence, exported_on="2020/11/26")  # fmt: skip


@pytest.fixture(scope="module")
def real_data(tmp_path_factory) -> dict:
    base = tmp_path_factory.mktemp("real")
    kwargs = dict(workers=1, dev_frac=0.2, test_frac=0.2, seed=0, progress=False, verbose=False)
    _write_tree(base / "raw0")
    prepare(base / "prep0", aihub=[str(base / "raw0")], **kwargs)
    records = load_manifest(base / "prep0")
    test_sentence = next(r["sentence"] for r in records if r["split"] == "test")
    # relabel a gloss of the test sentence: it then occurs nowhere but in the test split
    old = next(g for t, gs in SENTENCES if t == test_sentence for g in gs if g != "지하철")
    _write_tree(base / "raw", {test_sentence: old})
    prepare(base / "prepared", aihub=[str(base / "raw")], **kwargs)
    ckpt = base / "checkpoints"
    summary = build(base / "prepared", ckpt / "lexicon")
    return {"ckpt": ckpt, "prepared": base / "prepared", "summary": summary,
            "test_sentence": test_sentence}  # fmt: skip


def test_the_new_gloss_lives_only_in_the_test_split(real_data):
    records = load_manifest(real_data["prepared"])
    where = {r["split"] for r in records for g in r["glosses"] if g["gloss"] == NEW_GLOSS}
    assert where == {"test"}
    assert NEW_GLOSS in real_data["summary"]["gloss_list"]
    assert NEW_GLOSS in real_data["summary"]["not_in_gloss_stage"]
    assert real_data["summary"]["signers"] == [2, 6, 10]


@pytest.fixture(scope="module")
def pipe(real_data) -> SignPipeline:
    return SignPipeline(checkpoints=real_data["ckpt"])


def test_signers_offered_are_the_data_s_and_the_first_is_the_default(pipe):
    assert [n for n, _ in pipe.signers()] == [2, 6, 10]
    assert pipe.default_signer() == 2
    assert not pipe.about()["synthetic"] and "your data" in pipe.about()["trained_on"]


@pytest.mark.parametrize("signer", [2, 6, 10])
def test_every_data_gloss_is_signed_by_every_signer(pipe, real_data, signer):
    lexicon = pipe.backend("text2pose", "lexicon")
    texts = [t for t, _ in SENTENCES if t != real_data["test_sentence"]] + ["쥐가 있어요"]
    seen: set[str] = set()
    for text in texts:
        res = pipe.run(text, signer=signer)
        assert set(res.gloss.glosses) <= lexicon.known_glosses()
        assert [t.gloss for t in res.pose.timings] == res.gloss.glosses  # nothing dropped
        seen |= set(res.gloss.glosses)
        if NEW_GLOSS in res.gloss.glosses:
            t = res.pose.timings[res.gloss.glosses.index(NEW_GLOSS)]
            clip = lexicon.clips[(signer, NEW_GLOSS)]
            played = res.pose.keypoints[t.start : t.end]
            n = min(len(played), len(clip))
            mid = slice(n // 4, 3 * n // 4)  # the clip's own frames, not the transitions
            assert np.abs(played[mid] - clip[-n:][mid]).mean() < 0.05
    data_words = {g for _, gs in SENTENCES for g in gs} - {"환풍구", "빠지다"}
    assert NEW_GLOSS in seen and len(seen & data_words) >= 8


def test_a_word_the_data_lacks_is_fingerspelled_and_counted_so(pipe):
    res = pipe.run("이태원", signer=6)
    assert res.gloss.glosses == ["ㅇ", "ㅣ", "ㅌ", "ㅐ", "ㅇ", "ㅝ", "ㄴ"]
    assert res.gloss.coverage["fingerspelling"] == 1 and res.gloss.coverage["lexicon"] == 0
    # a word whose letters the data lacks too is reported as skipped, not signed as silence
    res = pipe.run("이태원에 쥐가 있어요", signer=10)
    assert NEW_GLOSS in res.gloss.glosses
    missing = pipe.run("엘리베이터 어디", signer=10)
    assert "엘리베이터" in " ".join(s.text for s in missing.gloss.skipped)
    assert missing.gloss.coverage["skipped"] >= 1
    assert [t.gloss for t in missing.pose.timings] == missing.gloss.glosses


def test_cli_and_list_use_the_checkpoint_folder(real_data, tmp_path):
    out = tmp_path / "out.mp4"
    cmd = [sys.executable, "-m", "sign_pipeline", "쥐가 있어요", "--checkpoints",
           str(real_data["ckpt"]), "--signer", "REAL06", "-o", str(out), "--keypoints",
           str(tmp_path / "k.pose")]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert NEW_GLOSS in proc.stdout and out.stat().st_size > 5000
    listing = subprocess.run(
        [sys.executable, "-m", "sign_pipeline", "--list", "--checkpoints", str(real_data["ckpt"])],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert listing.returncode == 0, listing.stderr
    assert "your data" in listing.stdout
    assert "2 · REAL02" in listing.stdout and "10 · REAL10" in listing.stdout
    assert "1 · REAL01" not in listing.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "sign_pipeline", "쥐", "--checkpoints", str(tmp_path / "none")],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert bad.returncode == 2 and "does not exist" in bad.stderr
    wrong = subprocess.run(
        [sys.executable, "-m", "sign_pipeline", "쥐", "--checkpoints", str(real_data["ckpt"]),
         "--signer", "1"],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert wrong.returncode == 2 and "choose one of [2, 6, 10]" in wrong.stderr
    summary = json.loads((real_data["ckpt"] / "lexicon" / "config.json").read_text("utf-8"))
    assert summary["synthetic"] is False
