"""The training scaffold: dataset + collator on a prepared corpus, logs, resume, torchrun DDP."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch

from sign_pipeline import skeleton as sk
from tests.torchrun import run_two_processes
from training.dataset import PoseDataset, collate_padded, load_manifest
from training.loop import EarlyStopping, LossLog, ResumeState, seed_everything

ROOT = Path(__file__).resolve().parent.parent


def test_dataset_items_carry_glosses_marks_signer_and_progress(small_prepared):
    ds = PoseDataset(small_prepared, "train")
    assert len(ds) > 0
    for i in range(len(ds)):
        it = ds[i]
        t = len(it["keypoints"])
        assert it["keypoints"].shape == (t, 127, 2) and it["mask"].shape == (t, 127)
        assert it["progress"][0] == 0.0 and it["progress"][-1] == pytest.approx(1.0)
        assert np.all(np.diff(it["progress"]) > 0)
        assert ds.vocab.decode(it["gloss_ids"].tolist()) == it["glosses"]
        assert len(it["question"]) == len(it["negation"]) == len(it["glosses"])
        assert it["signer_onehot"].argmax() + 1 == it["signer"]
    # the gloss stage's glosses of the sentence, not the corpus's hand-written ones
    rec = ds.records[0]
    if rec.get("sentence"):
        from sign_pipeline.gloss import text_to_gloss

        assert ds[0]["glosses"] == text_to_gloss(rec["sentence"]).glosses


def test_question_marks_reach_the_dataset(small_prepared):
    ds = PoseDataset(small_prepared, None)
    questions = [ds[i]["question"] for i in range(len(ds)) if ds.records[i].get("sentence")]
    sentences = [r["sentence"] for r in ds.records if r.get("sentence")]
    for q, s in zip(questions, sentences):
        assert (q > 0).any() == s.rstrip().endswith("?")


def test_collator_pads_with_zeros_and_masks_the_padding(small_prepared):
    ds = PoseDataset(small_prepared, None)
    items = sorted((ds[i] for i in range(min(4, len(ds)))), key=lambda it: len(it["keypoints"]))
    batch = collate_padded(items)
    lengths = batch["lengths"].tolist()
    assert lengths == [len(it["keypoints"]) for it in items]
    t_max = max(lengths)
    assert batch["keypoints"].shape == (len(items), t_max, sk.NUM_POINTS, 2)
    for b, n in enumerate(lengths):
        assert batch["frame_mask"][b, :n].all() and not batch["frame_mask"][b, n:].any()
        assert not batch["mask"][b, n:].any()
        assert torch.count_nonzero(batch["keypoints"][b, n:]) == 0
        assert torch.allclose(batch["keypoints"][b, :n], torch.from_numpy(items[b]["keypoints"]))
        g = len(items[b]["glosses"])
        assert batch["gloss_mask"][b].sum() == g and (batch["gloss_ids"][b, g:] == 0).all()


def test_manifest_pairs_keypoints_with_video_frames(small_prepared):
    recs = [r for r in load_manifest(small_prepared) if r["source"] == "aihub"]
    assert recs and all(r["video"] and Path(r["video"]).is_file() for r in recs)
    import imageio.v3 as iio

    r = recs[0]
    first, last = r["trim"]
    assert last - first == r["n_frames"]
    meta = iio.immeta(r["video"], plugin="FFMPEG")
    n_video = int(round(meta["duration"] * meta["fps"]))
    assert n_video >= last  # every keypoint frame has its video frame


def test_loss_log_writes_csv_and_png(tmp_path):
    log = LossLog(tmp_path)
    for step in range(5):
        log.log(step, train=1.0 / (step + 1))
    log.log(5, train=0.1, dev=0.2)
    rows = log.rows()
    assert [r["step"] for r in rows] == list(range(6)) and rows[-1]["dev"] == 0.2
    assert log.plot().stat().st_size > 1000


def test_resume_state_restores_model_optimizer_and_rng(tmp_path):
    seed_everything(3)
    model = torch.nn.Linear(4, 2)
    opt = torch.optim.Adam(model.parameters(), lr=0.1)
    model(torch.randn(8, 4)).sum().backward()
    opt.step()
    ResumeState(tmp_path).save(model=model.state_dict(), optimizer=opt.state_dict(), step=7)
    expected = torch.rand(3)
    state = ResumeState(tmp_path).load()
    assert state["step"] == 7
    again = torch.rand(3)
    assert torch.equal(expected, again)  # RNG continues where the save left it
    fresh = torch.nn.Linear(4, 2)
    fresh.load_state_dict(state["model"])
    assert torch.equal(fresh.weight, model.weight)
    assert ResumeState(tmp_path / "new").load() is None


def test_early_stopping_counts_checks_without_improvement():
    es = EarlyStopping(patience=2)
    assert es.step(1.0) and not es.step(1.0) and not es.should_stop
    assert not es.step(1.5) and es.should_stop
    es2 = EarlyStopping(patience=2)
    es2.load_state_dict(es.state_dict())
    assert es2.should_stop and es2.best == 1.0


SCRIPT = textwrap.dedent(
    """
    import json, sys, torch
    from training.loop import (setup_distributed, seed_everything, to_processes, make_loader,
                               mean_over_ranks, cleanup_distributed, optimizer_step)
    dist = setup_distributed("cpu")
    seed_everything(0, dist.rank)  # a different init on every rank: rank 0's is copied
    model = to_processes(torch.nn.Linear(3, 1), dist)
    x = torch.randn(64, 3)
    data = list(zip(x, x @ torch.tensor([1.0, -2.0, 0.5]) + 0.3))
    loader = make_loader(data, 8, dist, shuffle=True, collate_fn=None)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    losses = []
    for epoch in range(5):
        loader.sampler.set_epoch(epoch) if hasattr(loader.sampler, "set_epoch") else None
        for xb, yb in loader:
            loss = ((model(xb).squeeze(-1) - yb) ** 2).mean()
            optimizer_step(model, opt, loss, dist)
            losses.append(mean_over_ranks(loss.item(), dist))
    w = model.weight.detach().flatten().tolist()
    # one file per rank: two processes printing at once can interleave their lines
    with open(f"{sys.argv[1]}/rank{dist.rank}.json", "w") as f:
        json.dump({"rank": dist.rank, "world": dist.world_size, "backend":
                   torch.distributed.get_backend(), "first": losses[0], "last": losses[-1],
                   "w": w}, f)
    cleanup_distributed()
    """
)


@pytest.mark.slow
def test_torchrun_two_cpu_processes_train_in_step(tmp_path):
    script = tmp_path / "tiny_ddp.py"
    script.write_text(SCRIPT)
    run_two_processes([str(script), str(tmp_path)], timeout=240)
    rows = [json.loads(p.read_text()) for p in sorted(tmp_path.glob("rank*.json"))]
    assert sorted(r["rank"] for r in rows) == [0, 1]
    assert all(r["world"] == 2 and r["backend"] == "gloo" for r in rows)
    assert rows[0]["w"] == pytest.approx(rows[1]["w"], abs=1e-6)  # DDP kept them in step
    assert all(r["last"] < 0.2 * r["first"] for r in rows)


def test_length_batches_group_similar_lengths_and_cover_every_item():
    from training.loop import length_batches

    lengths = np.random.default_rng(0).integers(10, 300, 500)
    batches = length_batches(lengths, 16, seed=3)
    flat = [i for b in batches for i in b]
    assert sorted(flat) == list(range(500))  # every item once
    assert all(len(b) <= 16 for b in batches)
    padded = sum(max(lengths[b]) * len(b) for b in batches)
    random_batches = [list(range(i, min(i + 16, 500))) for i in range(0, 500, 16)]
    padded_random = sum(max(lengths[b]) * len(b) for b in random_batches)
    assert padded < 0.75 * padded_random
    assert batches != length_batches(lengths, 16, seed=4)  # another epoch, another order
    assert batches == length_batches(lengths, 16, seed=3)  # seeded
