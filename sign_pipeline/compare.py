"""Compare text-to-pose x pose-to-video pairs on one sentence: per-pair videos and figures.

The compare view of the page and the API endpoint ``compare`` both run :func:`compare`,
which signs the sentence with each pair in turn and yields a :class:`PairResult` as soon as
that pair is done, so results can be shown as they come; a pair that fails carries its error
and the others go on. Nothing here names a backend: the pairs are whatever the registry
finds installed (:func:`installed_pairs`).

Per pair: frames and seconds, per-stage milliseconds, the side-by-side video (skeleton |
signer, labelled with the pair), the motion statistics of the signing span
(:func:`sign_pipeline.metrics.motion_stats`), the back-translation WER when the evaluation
recogniser is installed (``checkpoints/recognizer``), DTW against the reference clip when
the sentence is in a prepared corpus folder (that clip's skeleton is then an extra column,
:func:`reference_column`), and an attention plot when the text-to-pose
backend puts ``extras["attention"]`` ``[T, n_glosses]`` in its output.
:func:`write_tiled` composes the finished pairs into one labelled mp4 with numpy and
imageio-ffmpeg's H.264 writer, reading the pair videos frame by frame (memory stays bounded
whatever the number of pairs).
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import metrics, registry, render
from .pipeline import PipelineError, SignPipeline, SignResult

#: Where ``python -m training.evaluate`` writes its results (the "About the models" table).
EVALUATION_JSON = registry.shipped("docs/evaluation.json")
#: Motion figures shown per pair (keys of :func:`sign_pipeline.metrics.motion_stats`).
MOTION_KEYS = ("wrist_speed_mean", "wrist_speed_p95", "nondominant_ratio", "hand_size",
               "articulation")  # fmt: skip
PAIR_SEPARATOR = " + "
REFERENCE_LABEL = "corpus reference"


def pair_label(text2pose: str, pose2video: str) -> str:
    """``"Transformer + StyleGAN2"``: how a pair is named on the page and in the API (the
    backends' labels; :func:`parse_pair` also takes their file names)."""
    return (f"{registry.label('text2pose', text2pose)}{PAIR_SEPARATOR}"
            f"{registry.label('pose2video', pose2video)}")


def parse_pair(label: object) -> tuple[str, str]:
    """``"t2p + p2v"`` (or a 2-item list) -> the two names; PipelineError when malformed."""
    if isinstance(label, (list, tuple)) and len(label) == 2:
        parts = [str(p).strip() for p in label]
    elif isinstance(label, str) and label.count(PAIR_SEPARATOR.strip()) == 1:
        parts = [p.strip() for p in label.split(PAIR_SEPARATOR.strip())]
    else:
        raise PipelineError(
            f"a pair is written 'text2pose + pose2video' (e.g. the ones in the menu), got {label!r}"
        )
    if not all(parts):
        raise PipelineError(f"a pair needs both backend names, got {label!r}")
    return registry.resolve("text2pose", parts[0]), registry.resolve("pose2video", parts[1])


def installed_pairs(checkpoints: Path | None = None) -> list[tuple[str, str]]:
    """Every installed text-to-pose x pose-to-video pair, preferred backends first."""
    return [
        (t, p)
        for t in registry.available("text2pose", checkpoints)
        for p in registry.available("pose2video", checkpoints)
    ]


@dataclass
class PairResult:
    """One pair's outcome: figures for the table, its video, or its error."""

    text2pose: str
    pose2video: str
    error: str | None = None
    signer: int | None = None
    glosses: list[str] = field(default_factory=list)
    n_frames: int = 0
    duration_s: float = 0.0
    timings_ms: dict[str, float] = field(default_factory=dict)
    video: Path | None = None
    motion: dict[str, float] | None = None
    read_back: list[str] | None = None
    wer: float | None = None
    dtw: float | None = None
    attention_png: Path | None = None
    gloss_spans: list[tuple[str, float, float]] = field(default_factory=list)
    #: "pair", or "reference" for the corpus's own clip of the sentence (an extra column)
    kind: str = "pair"

    @property
    def label(self) -> str:
        if self.kind == "reference":
            return REFERENCE_LABEL
        return pair_label(self.text2pose, self.pose2video)

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_dict(self) -> dict:
        """JSON-ready (NaN becomes None) for the API."""

        def clean(v):
            if isinstance(v, float):
                return None if not math.isfinite(v) else round(v, 4)
            if isinstance(v, dict):
                return {k: clean(x) for k, x in v.items()}
            if isinstance(v, (list, tuple)):
                return [clean(x) for x in v]
            if isinstance(v, Path):
                return str(v)
            return v

        return clean({
            "pair": self.label, "kind": self.kind, "text2pose": self.text2pose,
            "pose2video": self.pose2video,
            "error": self.error, "signer": self.signer, "glosses": self.glosses,
            "frames": self.n_frames, "duration_s": self.duration_s,
            "timings_ms": self.timings_ms, "video": self.video, "motion": self.motion,
            "read_back": self.read_back, "wer": self.wer, "dtw": self.dtw,
            "attention_png": self.attention_png,
        })  # fmt: skip


# ---------------------------------------------------------------------------- references


class References:
    """Reference clips of a prepared corpus folder (``training.prepare``), found by sentence.

    Only the manifest is read up front; a clip is loaded when its sentence is compared.
    """

    def __init__(self, data_dir: str | Path) -> None:
        self.data_dir = Path(data_dir)
        self.by_sentence: dict[str, list[dict]] = {}
        path = self.data_dir / "manifest.jsonl"
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no manifest (run python -m training.prepare)")
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    rec = json.loads(line)
                    if rec.get("sentence"):
                        self.by_sentence.setdefault(_key(rec["sentence"]), []).append(rec)

    def record(self, text: str, signer: int | None) -> dict | None:
        """The manifest record of the sentence's clip, by ``signer`` if there is one."""
        records = self.by_sentence.get(_key(text))
        if not records:
            return None
        code = f"REAL{signer:02d}" if isinstance(signer, int) else None
        return next((r for r in records if r.get("signer") == code), records[0])

    def find(self, text: str, signer: int | None) -> tuple[np.ndarray, np.ndarray, float] | None:
        """(keypoints, mask, fps) of the sentence's clip, by ``signer`` if there is one."""
        rec = self.record(text, signer)
        if rec is None:
            return None
        with np.load(self.data_dir / "clips" / f"{rec['clip_id']}.npz") as data:
            kp = data["keypoints"].astype(np.float32)
            mask = data["mask"].astype(bool)
        return kp, mask, float(rec.get("fps", 30.0))


def _key(sentence: str) -> str:
    return " ".join(str(sentence).split())


# ---------------------------------------------------------------------------- evaluation


_RECOGNIZERS: dict[Path, object] = {}
_RECOGNIZER_LOCK = threading.Lock()


def load_recognizer(checkpoints: Path):
    """The back-translation recogniser of ``checkpoints/recognizer``, or None (loaded once)."""
    folder = Path(checkpoints) / "recognizer"
    with _RECOGNIZER_LOCK:
        if folder not in _RECOGNIZERS:
            bt = None
            if (folder / "config.json").is_file():
                try:
                    from .backtranslation import BackTranslator

                    bt = BackTranslator.load(folder)
                except Exception:  # an unusable recogniser only hides the WER column
                    bt = None
            _RECOGNIZERS[folder] = bt
        return _RECOGNIZERS[folder]


def load_evaluation(path: str | Path = EVALUATION_JSON) -> dict | None:
    """The results JSON of ``python -m training.evaluate``, or None when there is none."""
    path = Path(path)
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def reference_motion(evaluation: dict | None) -> dict[str, float] | None:
    """The corpus reference clips' motion statistics (the evaluation's ``references`` row)."""
    for row in (evaluation or {}).get("text2pose", []):
        if row.get("kind") == "reference" and row.get("name") == "references":
            return row.get("motion")
    return None


def signing_span(res: SignResult) -> tuple[np.ndarray, np.ndarray]:
    """Keypoints and mask from the first gloss's start to the last's end (rest pose cut, as
    the corpus's reference clips are trimmed); the whole output when there are no timings."""
    kp, mask = res.pose.keypoints, res.pose.mask
    timings = res.pose.timings
    if timings:
        start = max(0, min(t.start for t in timings))
        end = min(len(kp), max(t.end for t in timings))
        if end - start >= 2:
            return kp[start:end], mask[start:end]
    return kp, mask


def attention_plot(attention: np.ndarray, glosses: Sequence[str], path: Path) -> Path:
    """A heatmap of ``attention`` ``[T, n_glosses]`` (frames across, glosses down) as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager
    from matplotlib import pyplot as plt

    att = np.asarray(attention, np.float32)
    font = font_manager.FontProperties(fname=str(render.korean_font_path()))
    fig, ax = plt.subplots(figsize=(5, 0.4 * att.shape[1] + 1.2), dpi=90)
    ax.imshow(att.T, aspect="auto", origin="upper", cmap="viridis", interpolation="nearest")
    ax.set_yticks(range(att.shape[1]))
    names = list(glosses)[: att.shape[1]] + [""] * max(0, att.shape[1] - len(glosses))
    ax.set_yticklabels(names, fontproperties=font)
    ax.set_xlabel("frame")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


# ---------------------------------------------------------------------------- running


def common_signers(pipe: SignPipeline, pairs: Sequence[tuple[str, str]]) -> list[tuple[int, str]]:
    """(id, label) of the signers every pair that loads knows (pairs that fail are ignored)."""
    common: list[tuple[int, str]] | None = None
    for t2p, p2v in pairs:
        try:
            these = pipe.signers(t2p, p2v)
        except PipelineError:
            continue
        if common is None:
            common = these
        else:
            ids = {i for i, _ in these}
            common = [(i, lab) for i, lab in common if i in ids]
    return common or []


def run_pair(
    pipe: SignPipeline,
    text: str,
    text2pose: str,
    pose2video: str,
    signer: int | None,
    speed: float,
    out_dir: Path,
    recognizer=None,
    references: References | None = None,
) -> PairResult:
    """Sign ``text`` with one pair; any failure becomes ``PairResult.error``."""
    out = PairResult(text2pose, pose2video)
    try:
        res = pipe.run(text, signer=signer, speed=speed, text2pose=text2pose,
                       pose2video=pose2video)  # fmt: skip
        out.signer = res.signer
        out.glosses = list(res.gloss.glosses)
        out.n_frames, out.duration_s = res.n_frames, round(res.duration_s, 3)
        out.gloss_spans = [(t.gloss, t.start / res.fps, t.end / res.fps) for t in res.pose.timings]
        t0 = time.perf_counter()
        label = render.add_captions(
            render.side_by_side(res.skeleton_frames, res.signer_frames),
            [out.label] * res.n_frames,
        )
        stem = f"{text2pose}__{pose2video}"
        out.video = render.write_mp4(label, out_dir / f"{stem}.mp4", res.fps)
        res.timings["video"] = time.perf_counter() - t0
        out.timings_ms = {k: round(v * 1000, 1) for k, v in res.timings.items() if k != "total"}
        kp, mask = signing_span(res)
        out.motion = {
            k: v for k, v in metrics.motion_stats(kp, mask, res.fps, "right").items()
            if k in MOTION_KEYS
        }  # fmt: skip
        if recognizer is not None:
            out.read_back, out.wer = recognizer.score(
                res.pose.keypoints, res.pose.mask, res.fps, out.glosses
            )
        if references is not None:
            ref = references.find(text, out.signer)
            if ref is not None:
                ref_kp, ref_mask, _ = ref
                out.dtw = metrics.dtw(kp, ref_kp, mask, ref_mask)
        attention = res.pose.extras.get("attention")
        if attention is not None and np.ndim(attention) == 2:
            out.attention_png = attention_plot(attention, out.glosses,
                                               out_dir / f"{stem}_attention.png")  # fmt: skip
    except PipelineError as exc:
        out.error = str(exc)
    except Exception as exc:  # a broken backend shows in its cell; the others go on
        out.error = f"{type(exc).__name__}: {exc}"
    return out


def reference_column(
    references: References, text: str, signer: int | None, out_dir: Path
) -> PairResult | None:
    """The corpus's own clip of ``text`` as an extra column: its skeleton video (placed like
    ``signer``) and its motion statistics; None when the sentence is not in the corpus."""
    rec = references.record(text, signer)
    if rec is None:
        return None
    out = PairResult(str(rec.get("clip_id", "")), "", kind="reference")
    try:
        kp, mask, fps = references.find(text, signer)
        shown = signer if isinstance(signer, int) else 1
        frames = render.draw_skeleton(kp, mask, signer=shown)
        caption = f"{REFERENCE_LABEL} · {rec.get('signer', '')}"
        frames = render.add_captions(frames, [caption] * len(frames))
        out.video = render.write_mp4(frames, Path(out_dir) / "corpus_reference.mp4", fps)
        out.glosses = str(rec.get("gloss_sequence", "")).split()
        out.n_frames, out.duration_s = len(kp), round(len(kp) / fps, 3)
        out.motion = {
            k: v for k, v in metrics.motion_stats(kp, mask, fps, "right").items()
            if k in MOTION_KEYS
        }  # fmt: skip
        out.dtw = 0.0
    except Exception as exc:  # an unreadable clip only costs its column
        out.error = f"{type(exc).__name__}: {exc}"
    return out


def compare(
    pipe: SignPipeline,
    text: str,
    pairs: Sequence[tuple[str, str]] | None = None,
    signer: int | None = None,
    speed: float = 1.0,
    out_dir: str | Path = ".",
    references: References | None = None,
) -> Iterator[PairResult]:
    """Sign ``text`` with each pair (default: every installed one), yielding each result,
    then the corpus's own clip of the sentence (``kind`` "reference") when ``references``
    has it.

    ``signer`` None is the first signer all pairs know. The back-translation column uses
    ``checkpoints/recognizer`` when it is installed.
    """
    pairs = list(pairs) if pairs is not None else installed_pairs(pipe.checkpoints)
    if not pairs:
        raise PipelineError("no text-to-pose x pose-to-video pair is installed")
    if signer is None:
        common = common_signers(pipe, pairs)
        signer = common[0][0] if common else None
    recognizer = load_recognizer(pipe.checkpoints)
    out_dir = Path(out_dir)
    for t2p, p2v in pairs:
        yield run_pair(pipe, text, t2p, p2v, signer, speed, out_dir, recognizer, references)
    if references is not None:
        reference = reference_column(references, text, signer, out_dir)
        if reference is not None:
            yield reference


# ---------------------------------------------------------------------------- tiled video


def _read_frames(path: Path):
    import imageio_ffmpeg

    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    w, h = meta["size"]
    for raw in reader:
        yield np.frombuffer(raw, np.uint8).reshape(h, w, 3)


def write_tiled(
    videos: Sequence[Path], path: str | Path, fps: float = 30.0, columns: int | None = None
) -> Path:
    """The pair videos (each already labelled) tiled into one mp4, in a grid of ``columns``
    (default: 1 for one video, else 2). Shorter videos hold their last frame until the
    longest ends. Frames are read and written one at a time."""
    videos = [Path(v) for v in videos]
    if not videos:
        raise ValueError("no videos to tile")
    columns = columns or (1 if len(videos) == 1 else 2)
    rows = math.ceil(len(videos) / columns)
    readers = [_read_frames(v) for v in videos]
    last: list[np.ndarray | None] = [next(r, None) for r in readers]
    if any(f is None for f in last):
        raise ValueError("a video to tile has no frames")
    cell_h = max(f.shape[0] for f in last)
    cell_w = max(f.shape[1] for f in last)
    gap = 4

    def frames():
        current = list(last)
        alive = [True] * len(readers)
        while True:
            canvas = np.full(
                (rows * cell_h + gap * (rows - 1), columns * cell_w + gap * (columns - 1), 3),
                255, np.uint8,
            )  # fmt: skip
            for i, f in enumerate(current):
                r, c = divmod(i, columns)
                y, x = r * (cell_h + gap), c * (cell_w + gap)
                canvas[y : y + f.shape[0], x : x + f.shape[1]] = f
            if canvas.shape[0] % 2:
                canvas = canvas[:-1]
            if canvas.shape[1] % 2:
                canvas = canvas[:, :-1]
            yield canvas
            for i, reader in enumerate(readers):
                if alive[i]:
                    nxt = next(reader, None)
                    if nxt is None:
                        alive[i] = False
                    else:
                        current[i] = nxt
            if not any(alive):
                return

    return render.write_mp4(frames(), path, fps)
