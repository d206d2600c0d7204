"""The product end to end on the shipped lexicon data and the avatar renderer."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from sign_pipeline import registry, render
from sign_pipeline.formats.pose import read_pose
from sign_pipeline.pipeline import PipelineError, SignPipeline
from sign_pipeline.text2pose.base import GlossInput

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def pipe() -> SignPipeline:
    # the shipped checkpoint must be there: a missing one fails, it is not skipped
    info = registry.info("text2pose", "lexicon", registry.DEFAULT_CHECKPOINTS)
    assert info.installed, info.reason
    return SignPipeline("lexicon", "avatar", checkpoints=registry.DEFAULT_CHECKPOINTS)


@pytest.fixture(scope="module")
def seoul(pipe, tmp_path_factory):
    out = tmp_path_factory.mktemp("seoul")
    started = time.perf_counter()
    res = pipe.run("서울역까지 가려면 지하철 몇호선으로 환승 해야하나요?", out_dir=out)
    res.wall_s = time.perf_counter() - started  # what the stage timings must fit in
    return res


def test_output_grows_with_the_sentence(pipe):
    short = pipe.run("지하철")
    longer = pipe.run("지하철 환풍구에 가방이 빠졌어요!")
    assert len(longer.gloss.glosses) > len(short.gloss.glosses)
    assert longer.n_frames > short.n_frames + 15
    assert short.skeleton_frames.shape[0] == short.n_frames
    assert longer.signer_frames.shape[0] == longer.n_frames


def test_result_has_every_stage(seoul):
    assert seoul.gloss.question
    assert "지하철" in seoul.gloss.glosses
    stages = ("gloss", "text2pose", "skeleton", "pose2video", "videos", "files")
    assert all(seoul.timings[stage] > 0 for stage in stages), seoul.timings
    assert seoul.timings["total"] == pytest.approx(sum(seoul.timings[s] for s in stages))
    assert seoul.timings["total"] <= seoul.wall_s  # each stage timed once, none overlapping
    assert seoul.pose.keypoints.shape == (seoul.n_frames, 127, 2)
    assert np.isfinite(seoul.pose.keypoints).all()
    # every gloss that the lexicon knows is signed, in order
    signed = [t.gloss for t in seoul.pose.timings]
    assert signed == [g for g in seoul.gloss.glosses]
    starts = [t.start for t in seoul.pose.timings]
    assert starts == sorted(starts)


def _motion_energy(frames: np.ndarray) -> np.ndarray:
    """Mean absolute change between consecutive frames, per frame pair."""
    return np.abs(np.diff(frames.astype(np.float32), axis=0)).mean(axis=(1, 2, 3))


def test_signer_changes_the_appearance_not_the_motion(pipe, seoul):
    avatar = pipe.backend("pose2video", "avatar")
    kp, mask = seoul.pose.keypoints, seoul.pose.mask
    one = avatar.draw(kp, mask, signer=1)
    two = avatar.draw(kp, mask, signer=2)
    assert one.shape == two.shape
    assert np.abs(one.astype(int) - two.astype(int)).mean() > 5  # another person
    # the same keypoints move both signers the same way: their motion over time agrees,
    # and it does not agree with another motion drawn on the same person
    e1, e2 = _motion_energy(one), _motion_energy(two)
    assert np.corrcoef(e1, e2)[0, 1] > 0.9
    other = avatar.draw(kp[::-1].copy(), mask[::-1].copy(), signer=2)
    assert np.corrcoef(e1, _motion_energy(other))[0, 1] < 0.6


def test_subtitles_follow_the_gloss(seoul):
    frames = seoul.skeleton_frames
    labels = seoul.pose.gloss_per_frame()
    caption = frames[:, 256:]  # the strip under the 256x256 skeleton
    t_a = seoul.pose.timings[0]
    t_b = seoul.pose.timings[1]
    a0, a1 = t_a.start, t_a.end - 1
    assert labels[a0] == labels[a1] == t_a.gloss
    assert np.array_equal(caption[a0], caption[a1])  # same gloss, same subtitle
    b0 = t_b.start
    assert labels[b0] == t_b.gloss != t_a.gloss
    assert not np.array_equal(caption[a0], caption[b0])  # new gloss, new subtitle


def test_files_decode_as_h264(seoul):
    for key in ("video", "skeleton_video", "signer_video"):
        info = render.probe_video(seoul.files[key])
        assert info["codec"] == "h264", (key, info)
        assert info["pix_fmt"] == "yuv420p", (key, info)
        assert info["frames"] == seoul.n_frames
    pose = read_pose(seoul.files["pose"])
    assert len(pose) == seoul.n_frames
    summary = json.loads(seoul.files["gloss_json"].read_text(encoding="utf-8"))
    assert summary["gloss"]["question"] is True
    assert summary["frames"] == seoul.n_frames


def test_speed_changes_duration(pipe):
    slow = pipe.run("교통카드 충전", speed=0.7)
    fast = pipe.run("교통카드 충전", speed=1.5)
    assert fast.n_frames < 0.8 * slow.n_frames


@pytest.mark.parametrize(
    "kwargs, needle",
    [
        ({"signer": 99}, "signer 99 is outside 1..16"),
        ({"signer": "x"}, "signer"),
        ({"text2pose": "nope"}, "nope"),
        ({"speed": 20}, "speed"),
    ],
)
def test_bad_options_give_clear_errors(pipe, kwargs, needle):
    with pytest.raises(PipelineError, match=needle):
        pipe.run("지하철", **kwargs)


@pytest.mark.parametrize("text", ["", "   ", "🙂🙂", "!!!"])
def test_unsignable_text_is_a_pipeline_error(pipe, text):
    with pytest.raises(PipelineError):
        pipe.run(text)


def test_command_line_writes_video_and_keypoints(tmp_path):
    out = tmp_path / "out.mp4"
    kp = tmp_path / "out.pose"
    proc = subprocess.run(
        [sys.executable, "-m", "sign_pipeline", "지하철 환풍구에 가방이 빠졌어요!",
         "--signer", "2", "-o", str(out), "--keypoints", str(kp)],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "지하철 환풍구 가방 빠지다" in proc.stdout
    assert render.probe_video(out)["codec"] == "h264"
    assert len(read_pose(kp)) > 30
    listing = subprocess.run(
        [sys.executable, "-m", "sign_pipeline", "--list"],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert "lexicon" in listing.stdout and "avatar" in listing.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "sign_pipeline", "   ", "-o", str(out)],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert bad.returncode == 2 and "error:" in bad.stderr


def test_questions_get_the_question_face(pipe):
    res = pipe.run("장애인복지카드로 할인이 되나요?")
    assert res.gloss.question_type == "yes_no"
    t2p = pipe.backend("text2pose", "lexicon")
    plain = t2p.sign(GlossInput.from_glosses(res.gloss.glosses), signer=1)
    last = res.pose.timings[-1]
    t = (last.start + last.end) // 2
    brows = slice(15 + 17, 15 + 27)
    lift = plain.keypoints[t, brows, 1] - res.pose.keypoints[t, brows, 1]
    assert lift.mean() > 0.04  # brows raised on the avatar's keypoints
    assert np.array_equal(plain.keypoints[:, :15], res.pose.keypoints[:, :15])


def test_a_streaming_backend_is_timed_by_the_clips_it_draws(pipe, monkeypatch):
    text = "화장실이 어디예요?"
    p2v = pipe.backend("pose2video", "avatar")
    assert p2v.keeps_up(30)  # a backend that never streams keeps up by definition
    monkeypatch.setattr(p2v, "streams", True)  # one that may be slower than real time
    assert p2v.ms_per_frame is None and not p2v.keeps_up(30)  # not timed: not trusted
    monkeypatch.setattr(p2v, "ms_per_frame", 1000 / 30 + 0.5)  # just slower than 30 fps
    assert not p2v.keeps_up(30)
    res = pipe.run(text, signer=1, stream=10)  # drawn in pieces, and timed
    assert p2v.ms_per_frame < 1000 / 30 and p2v.keeps_up(30)  # the avatar: a few ms a frame
    ms = p2v.measure_speed(res.pose.keypoints[:20], res.pose.mask[:20], signer=1)
    assert ms == p2v.ms_per_frame and 0 < ms < 1000 / 30
    for slow in (90.0, 91.0, 92.0):  # one busy clip does not decide alone: the last five do
        p2v.note_speed(slow)
    assert p2v.ms_per_frame == 90.0 and not p2v.keeps_up(30)


def test_the_gan_signers_are_converted_and_timed_before_the_first_request(pipe):
    speeds = pipe.prepare_renderers()
    streaming = [n for n in registry.available("pose2video", pipe.checkpoints)
                 if registry.backend_class("pose2video", n).streams]  # fmt: skip
    assert sorted(speeds) == sorted(streaming) and streaming
    for name, (how, ms) in speeds.items():
        backend = pipe.backend("pose2video", name)
        assert how == backend.runtime() and ms == backend.ms_per_frame and 1 < ms < 2000
        assert backend.keeps_up(30) == (ms <= 1000 / 30)


def test_a_slow_backend_is_streamed_in_pieces_that_make_the_whole(pipe, monkeypatch):
    text = "지하철 환풍구에 가방이 빠졌어요!"
    whole = pipe.run(text, signer=1)
    assert [r.stage for r in pipe.stages(text, signer=1, stream=10)].count("pose2video_chunk") == 0
    p2v = pipe.backend("pose2video", "avatar")
    monkeypatch.setattr(p2v, "streams", True)  # as if it were slower than real time
    pieces, starts = [], []
    for res in pipe.stages(text, signer=1, stream=10):
        if res.stage == "pose2video_chunk":
            pieces.append(res.chunk.copy())
            starts.append(res.chunk_start)
    assert starts == list(range(0, whole.n_frames, 10))
    assert np.array_equal(np.concatenate(pieces), whole.signer_frames)
    assert res.stage == "pose2video" and np.array_equal(res.signer_frames, whole.signer_frames)
    assert 0 < res.timings["first_frames"] <= res.timings["pose2video"]
