"""Generate the synthetic demo corpus in the AI Hub layout.

For every (sentence or word, signer): synthesize the signing (:mod:`.motion`), draw the
frames with the library's avatar renderer, add detection noise to the keypoints only,
and write

* ``root/keypoints/{clip}/{clip}_{i:012d}_keypoints.json`` (OpenPose JSON, 256 x 256 px),
* ``root/morpheme/{clip}_morpheme.json`` (gloss start/end in seconds, the sentence),
* ``root/video/{clip}.mp4`` (H.264, yuv420p, 30 fps),

through :func:`sign_pipeline.formats.aihub.write_aihub_clip`, plus ``root/corpus.json``
(options, signers, and per clip: kind, signer, sentence, glosses, frames). Clip names:
``NIA_SL_SEN0001_REAL01_F`` (sentence 1 of :func:`.sentences.all_sentences`) and
``NIA_SL_WORD0001_REAL01_F`` (gloss 1 of the inventory, signed alone). Optional *mixed*
clips (``mixed``: training data for text-to-pose, never a corpus sentence) sign random gloss
sequences without a Korean sentence, numbered from :data:`MIXED_START` (``NIA_SL_SEN5001_...``).
Everything is
deterministic from the seed: each clip draws from its own generator seeded with
``(seed, crc32(clip name))``, so the worker count does not matter.
"""

from __future__ import annotations

import json
import os
import time
import zlib
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from sign_pipeline.formats.aihub import GlossSpan, write_aihub_clip
from sign_pipeline.inventory import load_inventory
from sign_pipeline.pose2video.avatar_drawing import render_avatar
from sign_pipeline.skeleton import PoseSequence
from training.corpus.noise import add_detection_noise
from training.corpus.parametric_signer import synthesize
from training.corpus.sentences import all_sentences
from training.corpus.signer_styles import SIGNER_IDS, get_style

FPS = 30.0
#: ``metaData.exportedOn`` of every morpheme file the corpus writes.
EXPORTED_ON = "2026/11/24"
FRAME = 256
#: Size presets: (sentences, words, signers); None = all.
SIZES: dict[str, tuple[int | None, int | None, int]] = {
    "small": (6, 4, 2),
    "full": (None, None, len(SIGNER_IDS)),
}


#: The clip number of the first mixed clip (random gloss sequence; above every sentence's).
MIXED_START = 5001
#: A mixed clip's glosses are drawn half from the corpus sentences' glosses (as often as
#: they occur there), half from the whole inventory (so every sign is seen in context).
MIXED_FROM_SENTENCES = 0.5


def mixed_sequences(count: int, seed: int) -> list[tuple[str, ...]]:
    """``count`` random gloss sequences, deterministic from ``seed``: lengths as the corpus
    sentences' (2 or more glosses), no gloss twice in a row, and never the gloss sequence of
    any corpus sentence (so no dev or test sentence is ever signed in them)."""
    sents = all_sentences()
    taken = {tuple(s.glosses) for s in sents}
    pool = [g for s in sents for g in s.glosses]
    inventory = list(load_inventory())
    lengths = [len(s.glosses) for s in sents if len(s.glosses) >= 2]
    rng = np.random.default_rng([seed, 5001])
    out: list[tuple[str, ...]] = []
    while len(out) < count:
        seq: list[str] = []
        for _ in range(int(rng.choice(lengths))):
            while True:
                source = pool if rng.random() < MIXED_FROM_SENTENCES else inventory
                g = source[int(rng.integers(len(source)))]
                if not seq or g != seq[-1]:
                    break
            seq.append(g)
        if tuple(seq) not in taken:
            taken.add(tuple(seq))
            out.append(tuple(seq))
    return out


@dataclass(frozen=True)
class ClipJob:
    """One clip to generate."""

    name: str
    kind: str  # "SEN" or "WORD"
    signer: str
    glosses: tuple[str, ...]
    sentence: str | None
    seed: int
    video: bool


def clip_name(kind: str, number: int, signer: str) -> str:
    return f"NIA_SL_{kind}{number:04d}_{signer}_F"


def plan_jobs(
    seed: int = 0,
    sentences: int | None = None,
    words: int | None = None,
    signers: int = len(SIGNER_IDS),
    video: bool = True,
    mixed: int = 0,
) -> list[ClipJob]:
    """Every clip of a corpus of the given size (sentences first, then words, then
    ``mixed`` random gloss sequences, the same ones for every signer)."""
    if not 1 <= signers <= len(SIGNER_IDS):
        raise ValueError(f"signers must be 1..{len(SIGNER_IDS)}, got {signers}")
    if not 0 <= mixed <= 9999 - MIXED_START:
        raise ValueError(f"mixed must be 0..{9999 - MIXED_START}, got {mixed}")
    mixes = mixed_sequences(mixed, seed) if mixed else []
    sents = all_sentences()
    n_sent = len(sents) if sentences is None else min(sentences, len(sents))
    glosses = list(load_inventory())
    n_words = len(glosses) if words is None else min(words, len(glosses))
    # a small corpus still sees varied words: spread the picks over the inventory
    word_idx = np.linspace(0, len(glosses) - 1, n_words).round().astype(int) if n_words else []
    word_idx = list(dict.fromkeys(int(i) for i in word_idx))
    sent_idx = range(n_sent)
    if sentences is not None and n_sent < len(sents):
        sent_idx = np.linspace(0, len(sents) - 1, n_sent).round().astype(int)
        sent_idx = list(dict.fromkeys(int(i) for i in sent_idx))
    jobs = []
    for signer in SIGNER_IDS[:signers]:
        for i in sent_idx:
            s = sents[i]
            name = clip_name("SEN", i + 1, signer)
            jobs.append(ClipJob(name, "SEN", signer, s.glosses, s.text, seed, video))
        for i in word_idx:
            name = clip_name("WORD", i + 1, signer)
            jobs.append(ClipJob(name, "WORD", signer, (glosses[i],), None, seed, video))
        for k, seq in enumerate(mixes):
            name = clip_name("SEN", MIXED_START + k, signer)
            jobs.append(ClipJob(name, "SEN", signer, seq, None, seed, video))
    return jobs


def clip_rng(seed: int, name: str) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(name.encode("utf-8"))])


def make_clip(job: ClipJob):
    """Synthesize one clip: (noisy PoseSequence, spans, frames or None, clean keypoints)."""
    style = get_style(job.signer)
    rng = clip_rng(job.seed, job.name)
    syn = synthesize(
        list(job.glosses), style, rng, sentence=job.sentence, citation=job.kind == "WORD"
    )
    frames = None
    if job.video:
        frames = render_avatar(syn.keypoints, None, style.appearance, front_hand=syn.front_right)
    noisy, mask = add_detection_noise(
        syn.keypoints, rng, style.appearance.shoulder_width, style.noise, FRAME
    )
    seq = PoseSequence(
        noisy, mask, fps=FPS, width=FRAME, height=FRAME,
        meta={"clip": job.name, "signer": job.signer},
    )  # fmt: skip
    spans = [GlossSpan(g, s, e) for g, s, e in syn.spans]
    return seq, spans, frames, syn


def write_video(path: Path, frames: np.ndarray, fps: float = FPS) -> None:
    """H.264 + yuv420p mp4 through imageio-ffmpeg (plays in browsers)."""
    import imageio.v2 as imageio

    path.parent.mkdir(parents=True, exist_ok=True)
    writer = imageio.get_writer(
        str(path), fps=fps, codec="libx264", pixelformat="yuv420p", macro_block_size=16,
        quality=7, ffmpeg_log_level="error",
    )  # fmt: skip
    try:
        for f in frames:
            writer.append_data(f)
    finally:
        writer.close()


def run_job(args: tuple[ClipJob, str]) -> dict:
    """Generate and write one clip; returns its manifest entry."""
    job, root = args
    seq, spans, frames, _ = make_clip(job)
    # a fixed export date keeps the morpheme files byte-identical from run to run
    write_aihub_clip(root, job.name, seq, spans, sentence=job.sentence, exported_on=EXPORTED_ON)
    if frames is not None:
        write_video(Path(root) / "video" / f"{job.name}.mp4", frames)
    return {
        "name": job.name,
        "kind": job.kind,
        "signer": job.signer,
        "sentence": job.sentence,
        "glosses": list(job.glosses),
        "frames": len(seq),
        "spans": [[s.gloss, s.start, s.end] for s in spans],
    }


def generate_corpus(
    root: str | os.PathLike,
    seed: int = 0,
    sentences: int | None = None,
    words: int | None = None,
    signers: int = len(SIGNER_IDS),
    video: bool = True,
    workers: int | None = None,
    progress: bool = True,
    mixed: int = 0,
) -> dict:
    """Write the corpus under ``root``; returns the manifest (also in root/corpus.json)."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    jobs = plan_jobs(seed, sentences, words, signers, video, mixed)
    workers = (os.cpu_count() or 1) if workers is None else max(1, workers)
    t0 = time.time()
    args = [(job, str(root)) for job in jobs]
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(jobs), desc="corpus", unit="clip")
    entries = []
    if workers == 1:
        for a in args:
            entries.append(run_job(a))
            if bar:
                bar.update(1)
    else:
        with get_context("fork").Pool(workers) as pool:
            for entry in pool.imap_unordered(run_job, args, chunksize=2):
                entries.append(entry)
                if bar:
                    bar.update(1)
    if bar:
        bar.close()
    entries.sort(key=lambda e: (e["signer"], e["kind"] != "SEN", e["name"]))
    manifest = {
        "note": (
            "Synthetic demo corpus: a parametric avatar signing PLACEHOLDER sign forms "
            "(not validated Korean Sign Language) in the AI Hub layout; 256x256 px, 30 fps."
        ),
        "seed": seed,
        "frame_size": [FRAME, FRAME],
        "fps": FPS,
        "signers": list(SIGNER_IDS[:signers]),
        "video": video,
        "mixed": mixed,
        "n_clips": len(entries),
        "n_frames": int(sum(e["frames"] for e in entries)),
        "seconds": round(time.time() - t0, 1),
        "clips": entries,
    }
    (root / "corpus.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    return manifest


def _video_job(args: tuple[ClipJob, str]) -> str:
    job, root = args
    frames = make_clip(job)[2]
    write_video(Path(root) / "video" / f"{job.name}.mp4", frames)
    return job.name


def add_videos(
    root: str | os.PathLike, every: int = 1, workers: int | None = None, progress: bool = True
) -> int:
    """Render the mp4 of every ``every``-th clip of a corpus made with ``--no-video`` (the
    same clips: the corpus's own seed; clips are listed by signer, so each signer gets its
    share). Existing videos are kept. Returns the number of videos written."""
    root = Path(root)
    manifest = json.loads((root / "corpus.json").read_text(encoding="utf-8"))
    seed = int(manifest["seed"])
    jobs = []
    for e in manifest["clips"][:: max(1, int(every))]:
        if not (root / "video" / f"{e['name']}.mp4").is_file():
            jobs.append((ClipJob(e["name"], e["kind"], e["signer"], tuple(e["glosses"]),
                                 e["sentence"], seed, True), str(root)))  # fmt: skip
    workers = (os.cpu_count() or 1) if workers is None else max(1, workers)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(jobs), desc="videos", unit="clip")
    with get_context("fork").Pool(workers) as pool:
        for _ in pool.imap_unordered(_video_job, jobs, chunksize=2):
            if bar:
                bar.update(1)
    if bar:
        bar.close()
    return len(jobs)
