"""Shared fixtures: one small synthetic corpus, prepared, for every test that trains or evaluates."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

# Taught signs (sign_pipeline.signs) live in the user's data folder by default: the tests use a
# fresh empty folder of their own, so a developer's own signs never change a result.
os.environ["KSL_SIGNS"] = tempfile.mkdtemp(prefix="ksl_test_signs_")
atexit.register(shutil.rmtree, os.environ["KSL_SIGNS"], True)
# networks converted for the inference runtime: kept for the session, not in the user's cache
os.environ["KSL_CACHE"] = tempfile.mkdtemp(prefix="ksl_test_cache_")
atexit.register(shutil.rmtree, os.environ["KSL_CACHE"], True)


@pytest.fixture(scope="session")
def small_corpus(tmp_path_factory) -> Path:
    """The corpus generator's small preset with video (seconds), seed 0."""
    from training.corpus.generate import SIZES, generate_corpus

    root = tmp_path_factory.mktemp("small_corpus")
    n_sent, n_words, n_signers = SIZES["small"]
    generate_corpus(root, seed=0, sentences=n_sent, words=n_words, signers=n_signers,
                    video=True, workers=1, progress=False)  # fmt: skip
    return root


@pytest.fixture(scope="session")
def small_prepared(small_corpus, tmp_path_factory) -> Path:
    """``small_corpus`` through ``training.prepare`` (train/dev/test by sentence)."""
    from training.prepare import prepare

    out = tmp_path_factory.mktemp("small_prepared")
    prepare(out, aihub=[str(small_corpus)], workers=1, dev_frac=0.15, test_frac=0.15, seed=0,
            progress=False, verbose=False)  # fmt: skip
    return out


#: The sentence the compare tests sign, and the signer and pair of its reference clip.
REFERENCE_SENTENCE = "화장실이 어디예요?"
#: Every sentence with a reference clip (the page's browser test compares the second).
REFERENCE_SENTENCES = (REFERENCE_SENTENCE, "지하철 환풍구에 가방이 빠졌어요!")


@pytest.fixture(scope="session")
def sentence_reference(tmp_path_factory) -> Path:
    """A prepared folder (``--data`` of the app, ``compare.References``) holding one clip
    per sentence of :data:`REFERENCE_SENTENCES` (``c1``, ``c2``): the shipped lexicon +
    avatar's own signing (signer 1), cut to its signing span, so the compare view shows
    exactly one reference column for them and a pair's DTW to it is 0."""
    import json

    import numpy as np

    from sign_pipeline import compare as cmp
    from sign_pipeline import registry
    from sign_pipeline.pipeline import SignPipeline

    pipe = SignPipeline("lexicon", "avatar", checkpoints=registry.DEFAULT_CHECKPOINTS)
    data = tmp_path_factory.mktemp("sentence_reference")
    (data / "clips").mkdir()
    records = []
    for i, sentence in enumerate(REFERENCE_SENTENCES, start=1):
        kp, mask = cmp.signing_span(pipe.run(sentence, signer=1))
        np.savez(data / "clips" / f"c{i}.npz", keypoints=kp, mask=mask)
        records.append({"clip_id": f"c{i}", "sentence": sentence, "signer": "REAL01", "fps": 30.0})
    (data / "manifest.jsonl").write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in records), "utf-8")
    return data
