"""Evaluate every installed backend on the test split: one command, one results JSON.

    python -m training.evaluate --data data/prepared [--checkpoints checkpoints]
        [--recognizer DIR] [--size small|full] [--out docs/evaluation.json] [--rules-only]

Text to pose, for every installed backend, on the test sentences (never seen in training):
each test clip's Korean sentence goes through the gloss stage (with the checkpoints' gloss
memory, learned from the train split, as the app; ``--rules-only``: without) and the
backend signs it for that clip's signer, with no reference length or frames given. Against
the reference clip: DTW and hands-only DTW (:func:`sign_pipeline.metrics.dtw`: L1 frame cost, standard steps, no
window, divided by the reference length, in shoulder widths) and the length error; the
back-translation WER (what the recogniser reads from the output against the glosses that
were asked for); the motion statistics pooled over the outputs next to the references';
milliseconds per sentence, parameters and checkpoint size.

* The reference clips are trimmed to their first and last gloss (``training.prepare``); a
  backend's output is trimmed to its first and last gloss timing the same way before DTW,
  length and motion (the back-translation reads the whole output, rest pose included).
* The lexicon backend is rebuilt from the train split into a temporary folder
  (``training.build_lexicon``), so no test clip is looked up; glosses it has no clip for are
  left out and counted (they still count as errors in the WER).
* Reference rows: ``references`` (the test clips: the recogniser's own WER on real
  signing is the floor of every WER here), ``floor`` (the same sentence by the same signer
  generated again by the corpus generator with another seed and prepared the same way: the
  distance between two renditions, on the demo corpus only) and ``cross-signer`` (the same
  sentence's reference clip by each other test signer).

Pose to video, for every installed backend, on test clips that have a video: the backend
draws the reference keypoints and is compared with the real frames (keypoint frame i is
video frame ``trim[0] + i``): PSNR, SSIM, SSIM of the face and hand crops, flicker relative
to the real clip, ms per frame at 256 x 256. Pose consistency: MediaPipe run on the
backend's frames for the reference keypoints and for each text-to-pose backend's output.
Frames are sampled (SSIM and MediaPipe are slow); ``--size small`` takes a few clips and
frames and runs in a minute or two (the tests use it).

It writes the results JSON (read by the app's compare view) and prints markdown tables
(docs/evaluation.md shows them).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as _dt
import json
import math
import shlex
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from sign_pipeline import metrics, registry
from sign_pipeline import skeleton as sk
from sign_pipeline.backtranslation import BackTranslator, corpus_wer
from sign_pipeline.modeling import CheckpointError
from sign_pipeline.motion import resample, resample_mask
from sign_pipeline.pose2video.placement import to_pixels
from sign_pipeline.text2pose.base import GlossInput, PoseOutput
from training.dataset import load_clip, load_manifest, load_summary

MOTION_KEYS = ("wrist_speed_mean", "wrist_speed_p95", "wrist_speed_smooth_mean",
               "nondominant_ratio", "hand_size", "articulation")  # fmt: skip
VIDEO_PARTS = ("face", "left_hand", "right_hand")
#: The floor row first remakes a few reference clips with the corpus's own seed: their DTW
#: to the reference must be ~0 (JSON rounding), else the generator has changed since.
SAME_SEED_CHECKS = 3
SAME_SEED_TOLERANCE = 0.05


#: Whole clips per keypoint source whose flicker is measured for each pose-to-video backend.
FLICKER_CLIPS = 2


@dataclass(frozen=True)
class EvalSize:
    """How much of the test split each part looks at (None = all)."""

    max_clips: int | None
    video_clips: int
    video_frames: int
    consistency_clips: int
    consistency_frames: int


SIZES = {
    "small": EvalSize(max_clips=4, video_clips=2, video_frames=4, consistency_clips=1,
                      consistency_frames=4),
    "full": EvalSize(max_clips=None, video_clips=24, video_frames=12, consistency_clips=8,
                     consistency_frames=24),
}  # fmt: skip


# ---------------------------------------------------------------------------- inputs


def clips_to_evaluate(data: str | Path, max_clips: int | None = None) -> list[dict]:
    """Test-split sentence clips (with a Korean sentence and glosses), spread over the
    sentences when ``max_clips`` cuts: every signer of a sentence before the next sentence."""
    records = [r for r in load_manifest(data, "test") if r.get("sentence") and r.get("glosses")]
    records.sort(key=lambda r: (r["sentence"], r["signer"], r["clip_id"]))
    return records if max_clips is None else records[:max_clips]


def signer_of(record: dict) -> int:
    """1-based signer id of a manifest record."""
    return int(record["signer_index"]) + 1


def data_glosses(record: dict) -> list[str]:
    return [g["gloss"] for g in record["glosses"]]


def keep_known(inputs: GlossInput, known: set[str] | None) -> tuple[GlossInput, list[str]]:
    """``inputs`` without the glosses a backend cannot sign, and the glosses left out."""
    if known is None:
        return inputs, []
    plans, dropped = [], []
    for plan in inputs.sentences:
        kept = [g for g in plan.glosses if g in known]
        dropped += [g for g in plan.glosses if g not in known]
        if not kept:
            continue
        start = sum(1 for g in plan.glosses[: plan.question_start] if g in known)
        plans.append(replace(plan, glosses=tuple(kept), question_start=start))
    return GlossInput(tuple(plans)), dropped


def signing_span(out: PoseOutput) -> tuple[np.ndarray, np.ndarray]:
    """The output from its first gloss's start to its last gloss's end (all of it when the
    backend reports no timings), as the reference clips are trimmed."""
    kp, m = out.keypoints, out.mask
    if out.timings:
        a = max(0, min(t.start for t in out.timings))
        b = min(len(kp), max(t.end for t in out.timings))
        if b > a:
            return kp[a:b], m[a:b]
    return kp, m


def at_rate(kp: np.ndarray, mask: np.ndarray, fps: float, target_fps: float):
    """Keypoints and mask resampled from ``fps`` to ``target_fps`` (unchanged when equal)."""
    if abs(fps - target_fps) < 1e-6:
        return kp, mask
    factor = target_fps / fps
    return resample(kp, factor).astype(np.float32), resample_mask(mask, factor)


def folder_mb(path: Path | None) -> float | None:
    if path is None or not Path(path).exists():
        return None
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file()) / 1e6


def count_parameters(backend) -> int | None:
    """Parameters of the torch modules a backend holds (None when it holds none)."""
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a requirement
        return None
    modules = [v for v in vars(backend).values() if isinstance(v, torch.nn.Module)]
    if not modules:
        return None
    return int(sum(p.numel() for mod in modules for p in mod.parameters()))


# ---------------------------------------------------------------------------- floor


def _corpus_manifest(record: dict) -> dict | None:
    """The demo corpus's ``corpus.json`` for a clip (next to its keypoint folders)."""
    source = record.get("source_path")
    if not source:
        return None
    path = Path(source).parent.parent / "corpus.json"
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def corpus_job(record: dict, corpus: dict | None, seed_offset: int = 1, video: bool = False):
    """The corpus generator's job for a test clip, with the corpus's seed + ``seed_offset``
    (``corpus``: its ``corpus.json``; without one, the sentence must be one of the
    generator's and the seed is taken as 0). None for a clip the generator did not make."""
    from training.corpus.generate import ClipJob
    from training.corpus.sentences import all_sentences

    glosses, sentence, seed = tuple(data_glosses(record)), record["sentence"], 0
    if corpus is not None:
        seed = int(corpus.get("seed", 0))
        entry = next((c for c in corpus.get("clips", []) if c["name"] == record["clip_id"]), None)
        if entry is None:
            return None
        glosses, sentence = tuple(entry["glosses"]), entry["sentence"]
    elif not any(s.text == sentence and tuple(s.glosses) == glosses for s in all_sentences()):
        return None
    return ClipJob(
        record["clip_id"], "SEN", record["signer"], glosses, sentence, seed + seed_offset, video
    )


def regenerate(record: dict, corpus: dict | None, max_gap: int = 1, seed_offset: int = 1):
    """The same sentence by the same signer from the corpus generator with the corpus's
    seed + ``seed_offset``, prepared as ``training.prepare`` does (trim to the glosses, fill
    short gaps, normalise): (keypoints, mask), or None for a clip the generator did not make.

    ``seed_offset=0`` remakes the reference clip itself: a check that the generator still
    is the one that made the corpus."""
    from training.corpus.generate import make_clip
    from training.prepare import trim_to_glosses

    job = corpus_job(record, corpus, seed_offset)
    if job is None:
        return None
    seq, spans, _, _ = make_clip(job)
    kp, m, _, _ = trim_to_glosses(seq.keypoints, seq.mask, spans)
    kp, m = sk.fill_short_gaps(kp, m, max_gap=max_gap)
    kp, _ = sk.normalize(kp, m)
    return kp.astype(np.float32), m


def remade_video(record: dict, corpus: dict | None) -> np.ndarray | None:
    """A demo-corpus clip's video frames ``[trim)`` remade by the generator with the
    corpus's own seed (for a corpus generated with ``--no-video``; only valid while the
    generator still remakes the corpus, see :data:`SAME_SEED_TOLERANCE`)."""
    from training.corpus.generate import make_clip

    job = corpus_job(record, corpus, seed_offset=0, video=True)
    if job is None:
        return None
    frames = make_clip(job)[2]
    a, b = record["trim"]
    return frames[a:b]


# ---------------------------------------------------------------------------- rows


class KeypointRow:
    """Accumulates one table row: per-clip distances, read-back pairs, motion, timings."""

    def __init__(self, name: str, kind: str, note: str = "") -> None:
        self.name, self.kind, self.note = name, kind, note
        self.dtw: list[float] = []
        self.hands_dtw: list[float] = []
        self.length_error: list[float] = []
        self.readback: list[tuple[list[str], list[str]]] = []
        self.sequences: list[tuple[np.ndarray, np.ndarray]] = []
        self.ms: list[float] = []
        self.failed: list[str] = []
        self.dropped: list[str] = []
        self.attention: list[dict] = []  # attention_failure() of multi-gloss outputs
        self.capped = 0  # outputs the length cap ended (the model never stopped itself)
        self.identity = [0, 0, 0, 0]  # own reference closest, clips, pairs won, pairs
        #: DTW of the clips whose reference signs exactly the glosses the backend was asked for
        self.dtw_as_asked: list[float] = []
        self.extra: dict = {}

    def add_output(self, out: PoseOutput) -> None:
        """What a learned backend's output says about itself: its attention and its stop."""
        att = out.extras.get("attention")
        if att is not None and np.ndim(att) == 2 and np.shape(att)[1] > 1:
            self.attention.append(metrics.attention_failure(att))
        self.capped += out.extras.get("stopped_by") == "length cap"

    def add_identity(self, kp, m, own: int, refs: dict[int, dict]) -> None:
        """Signer identity: is the output for signer ``own`` closer (DTW) to ``own``'s
        recording of the sentence than to the other signers' (``refs``: signer -> clip)?"""
        if own not in refs or len(refs) < 2:
            return
        d = {k: metrics.dtw(kp, c["keypoints"], m, c["mask"]) for k, c in refs.items()}
        self.identity[0] += min(d, key=d.get) == own
        self.identity[1] += 1
        self.identity[2] += sum(d[own] < v for k, v in d.items() if k != own)
        self.identity[3] += len(d) - 1

    def identity_result(self) -> dict | None:
        own, clips, won, pairs = self.identity
        if not clips:
            return None
        return {"own_closest": own, "clips": clips, "pairs_won": won, "pairs": pairs}

    def attention_result(self) -> dict | None:
        """Share of multi-gloss sentences whose attention failed (skipped a gloss, went
        back, or never reached the last gloss), and of each kind."""
        if not self.attention:
            return None
        n = len(self.attention)
        return {
            "sentences": n,
            "failed": sum(a["failed"] for a in self.attention) / n,
            "skipped_a_gloss": sum(bool(a["skipped"]) for a in self.attention) / n,
            "went_back": sum(a["backward"] for a in self.attention) / n,
        }

    def add_distance(self, kp, m, ref_kp, ref_m) -> None:
        self.dtw.append(metrics.dtw(kp, ref_kp, m, ref_m))
        self.hands_dtw.append(metrics.hands_dtw(kp, ref_kp, m, ref_m))
        self.length_error.append(metrics.length_error(len(kp), len(ref_kp)))

    def result(self, fps: float) -> dict:
        motion = None
        if self.sequences:
            try:
                motion = metrics.pooled_motion_stats(self.sequences, fps, dominant="right")
            except ValueError:
                motion = None
        return {
            "name": self.name,
            "kind": self.kind,
            "note": self.note,
            "clips": len(self.dtw) or len(self.readback) or len(self.sequences),
            "dtw": _mean(self.dtw),
            "hands_dtw": _mean(self.hands_dtw),
            "length_error": _mean(self.length_error),
            "wer": corpus_wer(self.readback) if self.readback else None,
            "motion": {k: motion[k] for k in MOTION_KEYS} if motion else None,
            "ms_per_sentence": float(np.median(self.ms)) if self.ms else None,
            "failed_clips": self.failed,
            "glosses_left_out": len(self.dropped),
            "attention_failures": self.attention_result(),
            "signer_identity": self.identity_result(),
            "stopped_by_length_cap": self.capped,
            **(
                {
                    "dtw_signed_as_asked": _mean(self.dtw_as_asked),
                    "clips_signed_as_asked": len(self.dtw_as_asked),
                }
                if self.dtw_as_asked
                else {}
            ),
            **self.extra,
        }


def _mean(values: Sequence[float]) -> float | None:
    return float(np.mean(values)) if len(values) else None


def evaluate_text2pose(
    data: Path,
    records: list[dict],
    checkpoints: Path,
    recognizer: BackTranslator | None,
    keep_outputs: int,
    log=print,
    memory=None,
) -> tuple[list[dict], dict[str, list[tuple[dict, PoseOutput]]]]:
    """Rows for the references, the floor, the cross-signer figure and every backend;
    also the first ``keep_outputs`` outputs of each backend (for pose consistency). Every
    backend is asked for the gloss stage's glosses, with ``memory`` (a
    :class:`~sign_pipeline.gloss.GlossMemory`) as the app uses it."""
    from sign_pipeline.gloss import text_to_gloss
    from training.build_lexicon import build as build_lexicon

    fps = float(records[0]["fps"])
    clips = {r["clip_id"]: load_clip(data, r["clip_id"]) for r in records}
    # what every backend is asked for (and read back against): once per sentence
    glossed = {r["sentence"]: GlossInput.from_gloss_result(text_to_gloss(r["sentence"],
                                                                         memory=memory))
               for r in records}  # fmt: skip
    by_sentence: dict[str, list[dict]] = {}
    for r in load_manifest(data, "test"):
        if r.get("sentence") and r.get("glosses"):
            by_sentence.setdefault(r["sentence"], []).append(r)

    def read_back(kp, m, clip_fps):
        return recognizer.recognise(kp, m, clip_fps) if recognizer is not None else None

    rows = []
    # the test clips themselves: the recogniser's floor and the reference motion
    ref = KeypointRow("references", "reference", "the test clips (recogniser floor)")
    for r in records:
        c = clips[r["clip_id"]]
        ref.sequences.append((c["keypoints"], c["mask"]))
        if recognizer is not None:
            t0 = time.perf_counter()
            hyp = read_back(c["keypoints"], c["mask"], float(c["fps"]))
            ref.ms.append((time.perf_counter() - t0) * 1000)
            ref.readback.append((hyp, data_glosses(r)))
    ref_result = ref.result(fps)
    ref_result["ms_per_sentence"] = None  # that timing is the recogniser's, reported apart
    rows.append(ref_result)
    judge = {"ms_per_sentence": float(np.median(ref.ms)) if ref.ms else None}
    if recognizer is not None:  # controls: the WER of signing that is wrong on purpose
        judge.update(recognizer_controls(records, clips, ref.readback, recognizer, glossed))

    # the floor: another rendition of the same sentence by the same signer
    floor = KeypointRow("floor", "reference", "same sentence and signer, corpus generator "
                        "with another seed, prepared the same way")  # fmt: skip
    max_gap = int(load_summary(data).get("config", {}).get("max_gap", 1))
    corpora: dict[str, dict | None] = {}
    same_seed: list[float] = []
    for r in records:
        root = str(Path(r.get("source_path") or "").parent.parent)
        if root not in corpora:
            corpora[root] = _corpus_manifest(r)
        try:
            again = regenerate(r, corpora[root], max_gap)
        except Exception as exc:  # noqa: BLE001 - a clip the generator cannot remake
            floor.failed.append(f"{r['clip_id']}: {type(exc).__name__}: {exc}")
            continue
        if again is None:
            floor.failed.append(f"{r['clip_id']}: not a demo-corpus clip")
            continue
        c = clips[r["clip_id"]]
        floor.add_distance(*again, c["keypoints"], c["mask"])
        floor.sequences.append(again)
        if recognizer is not None:
            floor.readback.append((read_back(*again, fps), data_glosses(r)))
        if len(same_seed) < SAME_SEED_CHECKS:  # does the generator still make this clip?
            same = regenerate(r, corpora[root], max_gap, seed_offset=0)
            same_seed.append(metrics.dtw(same[0], c["keypoints"], same[1], c["mask"]))
    if same_seed:
        floor.extra["same_seed_dtw"] = float(np.mean(same_seed))
        if floor.extra["same_seed_dtw"] > SAME_SEED_TOLERANCE:
            floor.note += (
                f"; WARNING: the generator no longer remakes the corpus clips (same-seed DTW "
                f"{floor.extra['same_seed_dtw']:.3f}), so this floor is not valid"
            )
            log(f"floor: {floor.note}")
    rows.append(floor.result(fps))

    # cross-signer: the same sentence's test clip by each other signer
    cross = KeypointRow(
        "cross-signer", "reference", "same sentence, each other test signer (clips = pairs)"
    )
    for r in records:
        c = clips[r["clip_id"]]
        others = [o for o in by_sentence[r["sentence"]] if o["signer"] != r["signer"]]
        for o in others:
            oc = clips.get(o["clip_id"]) or load_clip(data, o["clip_id"])
            cross.add_distance(oc["keypoints"], oc["mask"], c["keypoints"], c["mask"])
    rows.append(cross.result(fps))

    # every text-to-pose backend
    outputs: dict[str, list[tuple[dict, PoseOutput]]] = {}
    names = [n for n in registry.names("text2pose")
             if n == "lexicon" or registry.info("text2pose", n, checkpoints).installed]  # fmt: skip
    by_sentence: dict[str, list[dict]] = {}
    for r in records:
        by_sentence.setdefault(r["sentence"], []).append(r)
    for name in names:
        with contextlib.ExitStack() as stack:
            if name == "lexicon":
                tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="eval_lex_")))
                try:
                    built = build_lexicon(data, tmp, splits=("train",))
                    backend = registry.backend_class("text2pose", name).from_pretrained(tmp)
                except ValueError as exc:  # no usable gloss clip in the train split
                    log(f"text2pose {name}: cannot build from the train split ({exc})")
                    continue
                n_signers = built["signers"]
                n_signers = n_signers if isinstance(n_signers, int) else len(n_signers)
                note = (f"built from the train split only ({built['glosses']} glosses, "
                        f"{n_signers} signers), no test clip looked up")  # fmt: skip
                ckpt_mb = folder_mb(tmp)
            else:
                try:
                    backend = registry.load("text2pose", name, checkpoints)
                except Exception as exc:  # noqa: BLE001 - report, evaluate the others
                    log(f"text2pose {name}: cannot load ({exc})")
                    continue
                note = ""
                ckpt_mb = folder_mb(registry.info("text2pose", name, checkpoints).checkpoint)
            row = KeypointRow(name, "text2pose", note)
            row.extra = {"parameters": count_parameters(backend), "checkpoint_mb": ckpt_mb}
            known, signers = backend.known_glosses(), backend.signers()
            kept: list[tuple[dict, PoseOutput]] = []
            for r in records:
                asked = glossed[r["sentence"]]
                inputs, dropped = keep_known(asked, known)
                if signers is not None and signer_of(r) not in signers:
                    row.failed.append(f"{r['clip_id']}: signer {signer_of(r)} unknown")
                    continue
                if not inputs.glosses:
                    row.failed.append(f"{r['clip_id']}: no gloss it can sign")
                    if recognizer is not None:
                        row.readback.append(([], asked.glosses))
                    continue
                row.dropped += dropped
                t0 = time.perf_counter()
                try:
                    out = backend.sign(inputs, signer=signer_of(r))
                except Exception as exc:  # noqa: BLE001 - one failing sentence is a result
                    row.failed.append(f"{r['clip_id']}: {type(exc).__name__}: {exc}")
                    if recognizer is not None:
                        row.readback.append(([], asked.glosses))
                    continue
                row.ms.append((time.perf_counter() - t0) * 1000)
                row.add_output(out)
                c = clips[r["clip_id"]]
                kp, m = at_rate(*signing_span(out), out.fps, float(c["fps"]))
                row.add_distance(kp, m, c["keypoints"], c["mask"])
                if list(asked.glosses) == data_glosses(r):  # the reference signs what was asked
                    row.dtw_as_asked.append(row.dtw[-1])
                row.add_identity(kp, m, signer_of(r), {signer_of(x): clips[x["clip_id"]]
                                                       for x in by_sentence[r["sentence"]]})  # fmt: skip
                row.sequences.append((kp, m))
                if recognizer is not None:
                    row.readback.append((read_back(out.keypoints, out.mask, out.fps),
                                         asked.glosses))  # fmt: skip
                if len(kept) < keep_outputs:
                    kept.append((r, out))
            rows.append(row.result(fps))
            outputs[name] = kept
            log(f"text2pose {name}: {len(row.dtw)} clips")
    for row in rows:
        row.setdefault("parameters", None)
        row.setdefault("checkpoint_mb", None)
    rows[0]["recognizer"] = judge
    return rows, outputs


def recognizer_controls(
    records: list[dict],
    clips: dict[str, dict],
    readback: list[tuple[list[str], list[str]]],
    recognizer: BackTranslator,
    glossed: dict[str, GlossInput],
) -> dict:
    """WER of two wrong answers, to show the recogniser's scale next to its floor:
    ``wer_other_sentence`` reads each test clip's neighbour of another sentence against this
    clip's glosses; ``wer_frozen`` reads the clip's middle frame held for its length. And
    the floor a text-to-pose row is held to: ``wer_references_vs_asked`` reads the reference
    clips against the glosses the gloss stage gives their sentence (what every backend is
    asked to sign and judged against), which differ from the corpus's own glosses in
    ``sentences_signed_otherwise`` test sentences (dropped or reordered glosses); ``glossed``:
    sentence -> what the backends are asked for."""
    asked, differ = [], set()
    for r, (hyp, own) in zip(records, readback):
        stage = glossed[r["sentence"]].glosses
        asked.append((hyp, stage))
        if list(stage) != list(own):
            differ.add(r["sentence"])
    other = []
    for i, r in enumerate(records):
        j = next((k % len(records) for k in range(i + 1, i + len(records))
                  if records[k % len(records)]["sentence"] != r["sentence"]), None)  # fmt: skip
        if j is not None:
            other.append((readback[j][0], data_glosses(r)))
    frozen = []
    for r in records:
        c = clips[r["clip_id"]]
        mid = len(c["keypoints"]) // 2
        kp = np.repeat(c["keypoints"][mid : mid + 1], len(c["keypoints"]), axis=0)
        m = np.repeat(c["mask"][mid : mid + 1], len(c["mask"]), axis=0)
        frozen.append((recognizer.recognise(kp, m, float(c["fps"])), data_glosses(r)))
    return {
        "wer_other_sentence": corpus_wer(other) if other else None,
        "wer_frozen": corpus_wer(frozen),
        "wer_references_vs_asked": corpus_wer(asked) if asked else None,
        "sentences_signed_otherwise": len(differ),
    }


# ---------------------------------------------------------------------------- video


def read_video_frames(path: str | Path, start: int, stop: int) -> np.ndarray:
    """RGB frames ``[start, stop)`` of a video, uint8 ``[T, H, W, 3]`` (fewer if it ends)."""
    import imageio.v2 as imageio

    frames = []
    reader = imageio.get_reader(str(path))
    try:
        for i, frame in enumerate(reader):
            if i >= stop:
                break
            if i >= start:
                frames.append(np.asarray(frame)[..., :3])
    finally:
        reader.close()
    return np.stack(frames) if frames else np.zeros((0, 1, 1, 3), np.uint8)


def _sample(n: int, k: int) -> np.ndarray:
    return np.unique(np.linspace(0, n - 1, min(n, k)).round().astype(int))


def _resize_to(frames: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    if frames.shape[1:3] == shape:
        return frames
    from PIL import Image

    return np.stack(
        [
            np.asarray(Image.fromarray(f).resize((shape[1], shape[0]), Image.BILINEAR))
            for f in frames
        ]
    )


def evaluate_pose2video(
    data: Path,
    records: list[dict],
    checkpoints: Path,
    size: EvalSize,
    text2pose_outputs: dict[str, list[tuple[dict, PoseOutput]]],
    remake_videos: bool = False,
    log=print,
) -> tuple[list[dict], list[dict]]:
    """Video metrics and pose consistency for every installed pose-to-video backend.

    The real frames come from each clip's mp4; with ``remake_videos``, a demo-corpus clip
    without one has its frames remade by the corpus generator (:func:`remade_video`)."""
    videos: list[tuple[dict, np.ndarray, str]] = []
    for r in records:
        if len(videos) >= size.video_clips:
            break
        if r.get("video") and Path(r["video"]).is_file():
            videos.append((r, read_video_frames(r["video"], *r["trim"]), "mp4"))
        elif remake_videos:
            frames = remade_video(r, _corpus_manifest(r))
            if frames is not None:
                videos.append((r, frames, "remade by the corpus generator (same seed)"))
    video_rows, consistency_rows = [], []
    for name in registry.available("pose2video", checkpoints):
        backend = registry.load("pose2video", name, checkpoints)
        sums: dict[str, list[float]] = {k: [] for k in ("psnr", "ssim", "relative_flicker")}
        sums.update({f"ssim_{p}": [] for p in VIDEO_PARTS})
        ms, frames_seen, clips_seen = [], 0, 0
        for r, real, _ in videos:
            c = load_clip(data, r["clip_id"])
            kp, m, signer = c["keypoints"], c["mask"], signer_of(r)
            t0 = time.perf_counter()
            pred = backend.draw(kp, m, signer)
            ms.append((time.perf_counter() - t0) * 1000 / len(pred))
            n = min(len(real), len(pred))
            if n < 2:
                continue
            pred, real = pred[:n], _resize_to(real[:n], pred.shape[1:3])
            px = to_pixels(kp[:n], signer, m[:n], size=pred.shape[1])
            idx = _sample(n, size.video_frames)
            sums["psnr"].append(metrics.psnr(pred[idx], real[idx]))
            sums["ssim"].append(metrics.ssim(pred[idx], real[idx]))
            for part in VIDEO_PARTS:
                with np.errstate(invalid="ignore"):  # frames without the part: inf - inf
                    value = metrics.crop_ssim(pred[idx], real[idx], px[idx], m[:n][idx], part)
                sums[f"ssim_{part}"].append(value)
            sums["relative_flicker"].append(metrics.relative_flicker(pred, real))
            frames_seen += len(idx)
            clips_seen += 1
        video_rows.append({
            "name": name,
            "clips": clips_seen,
            "frames_compared": frames_seen,
            **{k: _nanmean(v) for k, v in sums.items()},
            "ms_per_frame": float(np.median(ms)) if ms else None,
            "frame_size": 256,
            "real_frames": sorted({source for _, _, source in videos}),
        })  # fmt: skip
        log(f"pose2video {name}: {clips_seen} clips with video")

        # pose consistency on the references and on each text-to-pose backend's output
        sources: dict[str, list[tuple[int, np.ndarray, np.ndarray]]] = {"references": []}
        for r in records[: size.consistency_clips]:
            c = load_clip(data, r["clip_id"])
            sources["references"].append((signer_of(r), c["keypoints"], c["mask"]))
        for t2p, outs in text2pose_outputs.items():
            sources[t2p] = [(signer_of(r), o.keypoints, o.mask) for r, o in outs]
        for source, seqs in sources.items():
            results = []
            for signer, kp, m in seqs[: size.consistency_clips]:
                idx = _sample(len(kp), size.consistency_frames)
                frames = backend.draw(kp[idx], m[idx], signer)
                px = to_pixels(kp[idx], signer, m[idx], size=frames.shape[1])
                results.append((len(idx), metrics.pose_consistency(frames, px, m[idx])))
            if not results:
                continue
            n_frames = sum(n for n, _ in results)
            keys = results[0][1].keys()
            # steadiness: mean change between consecutive frames of whole clips (no real
            # frames exist for generated keypoints; compare rows of the same keypoints)
            flick = [metrics.flicker(backend.draw(kp, m, signer))
                     for signer, kp, m in seqs[:FLICKER_CLIPS]]  # fmt: skip
            consistency_rows.append({
                "pose2video": name,
                "keypoints": source,
                "clips": len(results),
                "frames": n_frames,
                **{k: _nanmean([res[k] for _, res in results], [n for n, _ in results])
                   for k in keys},
                "flicker": _nanmean(flick),
            })  # fmt: skip
    return video_rows, consistency_rows


def _nanmean(values: Sequence[float], weights: Sequence[float] | None = None) -> float | None:
    v = np.asarray(values, np.float64)
    w = np.ones_like(v) if weights is None else np.asarray(weights, np.float64)
    ok = np.isfinite(v)
    if not ok.any():
        return None
    return float((v[ok] * w[ok]).sum() / w[ok].sum())


# ---------------------------------------------------------------------------- driver


def _clean(value):
    """NaN/inf -> None, numpy scalars -> Python: strict JSON."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, (np.floating, float)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def load_recognizer(path: Path) -> tuple[BackTranslator | None, dict]:
    """The recogniser and a description of it (``available`` False, and why, when missing)."""
    shown = _shown_path(path)
    try:
        bt = BackTranslator.load(path)
    except CheckpointError as exc:
        return None, {"available": False, "reason": str(exc), "checkpoint": shown}
    return bt, {
        "available": True,
        "checkpoint": shown,
        "parameters": bt.num_parameters,
        "checkpoint_mb": folder_mb_of_weights(path),
        "glosses": len(bt.glosses),
        "trained_on": bt.model.config.trained_on,
    }


def _shown_path(path: Path) -> str:
    """``path`` relative to the repository when inside it (results stay machine-neutral)."""
    try:
        return str(Path(path).resolve().relative_to(registry.ROOT))
    except ValueError:
        return str(path)


def _torch_threads() -> int | None:
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a requirement
        return None
    return torch.get_num_threads()


def folder_mb_of_weights(path: Path) -> float:
    return (Path(path) / "model.safetensors").stat().st_size / 1e6


def evaluate(
    data: str | Path,
    checkpoints: str | Path | None = None,
    recognizer: str | Path | None = None,
    size: str = "full",
    command: str = "",
    log=print,
    gloss_memory: bool = True,
) -> dict:
    """Run the whole evaluation; returns the results (see the module docstring).
    ``gloss_memory``: the gloss stage uses the checkpoints' gloss memory (as the app)."""
    from sign_pipeline.gloss import load_memory

    data = Path(data)
    checkpoints = Path(checkpoints) if checkpoints is not None else registry.CHECKPOINTS
    memory = load_memory(checkpoints) if gloss_memory else None
    recognizer = Path(recognizer) if recognizer is not None else checkpoints / "recognizer"
    plan = SIZES[size]
    started = time.time()
    records = clips_to_evaluate(data, plan.max_clips)
    if not records:
        raise SystemExit(f"{data}: no test-split sentence clips to evaluate")
    bt, rec_info = load_recognizer(recognizer)
    if bt is None:
        log(f"no recogniser ({rec_info['reason']}): back-translation WER is not reported")
    rows, outputs = evaluate_text2pose(data, records, checkpoints, bt, plan.consistency_clips,
                                       log, memory)  # fmt: skip
    rec_info["wer_references"] = rows[0]["wer"]
    rec_info.update(rows[0].pop("recognizer"))
    same_seed = next(r for r in rows if r["name"] == "floor").get("same_seed_dtw")
    remake = same_seed is not None and same_seed <= SAME_SEED_TOLERANCE
    video_rows, consistency_rows = evaluate_pose2video(data, records, checkpoints, plan,
                                                       outputs, remake, log)  # fmt: skip
    add_hands_vs_avatar(consistency_rows)
    summary = load_summary(data)
    test_split = summary.get("splits", {}).get("test", {})
    results = {
        "date": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": command,
        "size": size,
        "seconds": round(time.time() - started, 1),
        "torch_threads": _torch_threads(),
        "data": {
            "path": str(data),
            "clips": summary.get("clips"),
            "frames": summary.get("frames"),
            "signers": summary.get("n_signers"),
            "glosses": summary.get("n_glosses"),
            "test_clips": test_split.get("clips"),
            "test_sentences": test_split.get("sentences"),
            "evaluated_clips": len(records),
            "evaluated_sentences": len({r["sentence"] for r in records}),
            "fps": float(records[0]["fps"]),
        },
        "recognizer": rec_info,
        "gloss_memory": ({"patterns": len(memory), "open_patterns": len(memory.open),
                          "learned_from": memory.source} if memory is not None else None),
        "text2pose": rows,
        "pose2video": video_rows,
        "pose_consistency": consistency_rows,
        "definitions": {
            "dtw": "metrics.dtw: L1 frame cost over all (x, y) values, steps (1,0),(0,1),"
                   "(1,1), no window, / reference frames; shoulder widths",
            "hands_dtw": "the same on the 42 hand points",
            "dtw_signed_as_asked": "dtw over the clips whose reference signs exactly the glosses "
                                   "the backend was asked for (the corpus signs some sentences "
                                   "with other glosses than the gloss stage gives)",
            "length_error": "|T_pred - T_ref| / T_ref (signing span vs trimmed reference)",
            "wer": "back-translation gloss WER: recogniser output vs the glosses asked for "
                   "(references and floor: vs the clip's own glosses); total errors / total "
                   "glosses",
            "motion": "metrics.pooled_motion_stats, dominant = right; speeds in shoulder "
                      "widths per second; wrist_speed_smooth_mean after a 1/6 s moving average "
                      "of the wrist track",
            "video": "sampled frames against the real video; relative flicker on whole clips",
            "pose_consistency": "MediaPipe Holistic on the pose-to-video frames vs the "
                                "keypoints they were drawn from; hands_vs_avatar: hand found "
                                "rate / the avatar's on the same keypoints; flicker: "
                                "metrics.flicker of whole clips (first 2 per source), "
                                "flicker_vs_avatar: / the avatar's on the same keypoints",
        },
    }  # fmt: skip
    return _clean(results)


def add_hands_vs_avatar(rows: list[dict]) -> None:
    """``hands_vs_avatar`` on each pose-consistency row: its hand found rate over the
    avatar's on the same keypoints (MediaPipe finds the avatar's drawn hands only part of
    the time, so a learned renderer is measured against what the detector sees there)."""
    avatar = {r["keypoints"]: r for r in rows if r["pose2video"] == "avatar"}
    for r in rows:
        base = avatar.get(r["keypoints"], {})
        for key, out in (("hand_found_rate", "hands_vs_avatar"), ("flicker", "flicker_vs_avatar")):
            ok = base.get(key) and r.get(key) is not None
            r[out] = r[key] / base[key] if ok else None


# ---------------------------------------------------------------------------- tables


def _fmt(value, digits: int = 3) -> str:
    if value is None:
        return "—"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:.{digits}f}"


def format_tables(results: dict) -> str:
    """The results as markdown tables (what the command prints and docs/evaluation.md shows)."""
    lines = []
    data = results["data"]
    rec = results["recognizer"]
    lines.append(
        f"Test split: {data['evaluated_clips']} clips, {data['evaluated_sentences']} sentences "
        f"(of {data['test_clips']} clips / {data['test_sentences']} sentences)."
    )
    if rec.get("available"):
        lines.append(
            f"Recogniser: {rec['parameters']:,} parameters, {rec['checkpoint_mb']:.1f} MB, "
            f"{_fmt(rec['ms_per_sentence'], 1)} ms per sentence; WER on the reference test "
            f"clips {_fmt(rec['wer_references'])} (controls: another sentence's clip "
            f"{_fmt(rec.get('wer_other_sentence'))}, a frozen frame {_fmt(rec.get('wer_frozen'))})."
        )
        if rec.get("wer_references_vs_asked") is not None:
            memo = results.get("gloss_memory")
            memo = (f" (its rules, then the gloss memory learned from {memo['learned_from']})"
                    if memo else " (its rules alone)")  # fmt: skip
            lines.append(
                f"The backends are asked for the gloss stage's glosses{memo} and read against them; "
                f"{rec['sentences_signed_otherwise']} test sentences are signed in the corpus "
                f"with other glosses (dropped or reordered), so the reference clips read "
                f"against the glosses asked score {_fmt(rec['wer_references_vs_asked'])}."
            )
    else:
        lines.append(f"Recogniser: not available ({rec.get('reason')}); WER not reported.")
    lines += ["", "| text to pose | clips | DTW | hands DTW | length err | BT WER | wrist speed "
              "mean / p95 / smoothed (SW/s) | non-dom ratio | hand size | articulation | ms/sentence | "
              "params | MB |", "|" + "---|" * 13]  # fmt: skip
    for row in results["text2pose"]:
        mo = row["motion"] or {}
        params = row.get("parameters")
        lines.append(
            "| " + " | ".join([
                row["name"] + (" *" if row["note"] else ""),
                str(row["clips"]),
                _fmt(row["dtw"]), _fmt(row["hands_dtw"]), _fmt(row["length_error"]),
                _fmt(row["wer"]),
                f"{_fmt(mo.get('wrist_speed_mean'), 2)} / {_fmt(mo.get('wrist_speed_p95'), 2)}"
                f" / {_fmt(mo.get('wrist_speed_smooth_mean'), 2)}",
                _fmt(mo.get("nondominant_ratio"), 2), _fmt(mo.get("hand_size"), 3),
                _fmt(mo.get("articulation"), 3), _fmt(row["ms_per_sentence"], 1),
                "—" if params is None else f"{params:,}", _fmt(row.get("checkpoint_mb"), 1),
            ]) + " |"
        )  # fmt: skip
    for row in results["text2pose"]:
        if row["note"]:
            extra = (
                f"; {row['glosses_left_out']} glosses left out" if row["glosses_left_out"] else ""
            )
            lines.append(f"\\* {row['name']}: {row['note']}{extra}.")
    for row in results["text2pose"]:
        att = row.get("attention_failures")
        if att:
            lines.append(
                f"Attention of {row['name']}: failed on {100 * att['failed']:.1f}% of "
                f"{att['sentences']} multi-gloss sentences (a gloss skipped "
                f"{100 * att['skipped_a_gloss']:.1f}%, went back {100 * att['went_back']:.1f}%); "
                f"length cap reached on {row.get('stopped_by_length_cap', 0)} outputs."
            )
    for row in results["text2pose"]:
        if (
            row.get("dtw_signed_as_asked") is not None
            and row["clips_signed_as_asked"] < row["clips"]
        ):
            lines.append(
                f"DTW of {row['name']} on the {row['clips_signed_as_asked']} clips whose reference "
                f"signs the glosses asked: {_fmt(row['dtw_signed_as_asked'])}."
            )
    for row in results["text2pose"]:
        ident = row.get("signer_identity")
        if ident:
            lines.append(
                f"Signer identity of {row['name']}: the output is closest to its own signer's "
                f"recording for {ident['own_closest']} of {ident['clips']} clips, closer than "
                f"another signer's in {ident['pairs_won']} of {ident['pairs']} pairs."
            )
    if results["pose2video"]:
        lines += ["", "| pose to video | clips | frames | PSNR dB | SSIM | SSIM face | SSIM "
                  "left hand | SSIM right hand | rel. flicker | ms/frame (256²) |",
                  "|" + "---|" * 10]  # fmt: skip
        for row in results["pose2video"]:
            lines.append("| " + " | ".join([
                row["name"], str(row["clips"]), str(row["frames_compared"]),
                _fmt(row["psnr"], 2), _fmt(row["ssim"]), _fmt(row["ssim_face"]),
                _fmt(row["ssim_left_hand"]), _fmt(row["ssim_right_hand"]),
                _fmt(row["relative_flicker"], 2), _fmt(row["ms_per_frame"], 2),
            ]) + " |")  # fmt: skip
        for row in results["pose2video"]:
            lines.append(
                f"Real frames for {row['name']}: {', '.join(row['real_frames']) or 'none'}."
            )
    if results["pose_consistency"]:
        lines += ["", "| pose to video | keypoints from | frames | body found | hand found "
                  "| hands vs avatar | wrist err (SW) | elbow err (SW) | flicker | flicker vs "
                  "avatar |", "|" + "---|" * 10]  # fmt: skip
        for row in results["pose_consistency"]:
            lines.append("| " + " | ".join([
                row["pose2video"], row["keypoints"], str(row["frames"]),
                _fmt(row["body_found_rate"], 2), _fmt(row["hand_found_rate"], 2),
                _fmt(row.get("hands_vs_avatar"), 2), _fmt(row["wrist_error"]),
                _fmt(row["elbow_error"]), _fmt(row.get("flicker"), 2),
                _fmt(row.get("flicker_vs_avatar"), 2),
            ]) + " |")  # fmt: skip
    return "\n".join(lines)


def out_file_problem(out: Path) -> str | None:
    """Why ``--out`` cannot take the results (None when it can): it must name a ``.json``
    file that is new or holds an earlier evaluation (anything else is not overwritten)."""
    if out.suffix.lower() != ".json" or out.is_dir():
        return f"--out {out}: name the JSON file to write (*.json)"
    if not out.exists():
        return None
    try:
        command = json.loads(out.read_text("utf-8")).get("command", "")
    except (OSError, ValueError, AttributeError):
        command = ""
    if str(command).startswith("python -m training.evaluate"):
        return None
    return (
        f"--out {out}: the file is not an earlier evaluation's results; name a new file "
        "(nothing was written)"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m training.evaluate", description=__doc__.split("\n")[0]
    )
    ap.add_argument("--data", required=True, help="a folder written by training.prepare")
    ap.add_argument("--checkpoints", default=None, help="checkpoints root (default: shipped)")
    ap.add_argument("--recognizer", default=None, help="default: CHECKPOINTS/recognizer")
    ap.add_argument("--size", choices=sorted(SIZES), default="full")
    ap.add_argument("--out", default="docs/evaluation.json")
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    ap.add_argument("--rules-only", action="store_true",
                    help="the gloss stage without the checkpoints' gloss memory")  # fmt: skip
    args = ap.parse_args(argv)
    problem = out_file_problem(Path(args.out))
    if problem:
        ap.error(problem)
    from training import cli

    try:
        cli.check_data(args.data)
    except cli.UsageError as exc:  # a message and exit 2, not a traceback
        ap.error(str(exc))
    if not args.rules_only:
        from sign_pipeline.gloss import load_memory

        try:
            load_memory(args.checkpoints or registry.CHECKPOINTS)
        except ValueError as exc:  # a gloss_memory.json that is not one
            ap.error(str(exc))
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    command = "python -m training.evaluate " + shlex.join(sys.argv[1:] if argv is None else argv)
    results = evaluate(args.data, args.checkpoints, args.recognizer, args.size, command,
                       log=lambda msg: print(msg, file=sys.stderr),
                       gloss_memory=not args.rules_only)  # fmt: skip
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, ensure_ascii=False, indent=1, allow_nan=False) + "\n",
                   encoding="utf-8")  # fmt: skip
    print(format_tables(results))
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
