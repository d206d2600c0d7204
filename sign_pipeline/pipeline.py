"""SignPipeline: Korean text -> glosses -> keypoints -> frames -> files, as one result object.

Backends are loaded once per pipeline and reused. :meth:`SignPipeline.stages` yields the
result after each stage so that a UI can show glosses before the video is ready.
"""

from __future__ import annotations

import json
import threading
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import registry, render
from . import signers as signer_ids
from . import skeleton as sk
from .gloss import GlossResult, load_memory, text_to_gloss
from .signs import TaughtSigns, WithTaughtSigns, mark_taught
from .text2pose.base import GlossInput, PoseOutput


class PipelineError(ValueError):
    """Bad input or an unavailable backend, with a message fit to show a user."""


@dataclass
class SignResult:
    """Everything one run produced. ``timings`` are seconds per stage."""

    text: str
    signer: int
    text2pose: str
    pose2video: str
    gloss: GlossResult | None = None
    pose: PoseOutput | None = None
    skeleton_frames: np.ndarray | None = None
    signer_frames: np.ndarray | None = None
    fps: float = 30.0
    timings: dict[str, float] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)
    stage: str = "start"
    #: At a "pose2video_chunk" stage: the signer frames just drawn (captioned) and where
    #: they start in the clip.
    chunk: np.ndarray | None = None
    chunk_start: int = 0

    @property
    def n_frames(self) -> int:
        return 0 if self.pose is None else len(self.pose)

    @property
    def duration_s(self) -> float:
        return self.n_frames / self.fps

    def summary(self) -> dict:
        return {
            "text": self.text,
            "signer": self.signer,
            "backends": {"text2pose": self.text2pose, "pose2video": self.pose2video},
            "gloss": None if self.gloss is None else self.gloss.to_dict(),
            "frames": self.n_frames,
            "fps": self.fps,
            "duration_s": round(self.duration_s, 3),
            "timings_s": {k: round(v, 4) for k, v in self.timings.items()},
            "files": {k: str(v) for k, v in self.files.items()},
            # taught signs used, and (taught-only mode) glosses shown as captions instead
            "taught": [] if self.pose is None else list(self.pose.extras.get("taught", [])),
            "not_signed": [] if self.pose is None else list(self.pose.extras.get("not_signed", [])),
        }


def signer_captions(pose: PoseOutput, label: str) -> list[str]:
    """The caption under each signer frame: the signer's name, or, over the rest pose that
    stands for a gloss without a taught sign (taught-only mode), that gloss."""
    captions = [label] * len(pose)
    missing = set(pose.extras.get("not_signed") or ())
    for t in pose.timings:
        if t.gloss in missing:
            captions[t.start : t.end] = [f"{t.gloss} (not taught)"] * (t.end - t.start)
    return captions


class SignPipeline:
    """Compose the stages; ``text2pose`` and ``pose2video`` name registered backends."""

    def __init__(
        self,
        text2pose: str = "lexicon",
        pose2video: str = "avatar",
        checkpoints: str | Path | None = None,
        signs: str | Path | TaughtSigns | None = None,
    ) -> None:
        """``signs``: the folder of taught signs (default ``$KSL_SIGNS`` or the user's data
        folder, see :mod:`sign_pipeline.signs`); every text-to-pose backend uses them."""
        try:
            self.signs = signs if isinstance(signs, TaughtSigns) else TaughtSigns(signs)
        except ValueError as exc:  # a file where the folder should be
            raise PipelineError(str(exc)) from None
        self._with_signs: dict[tuple[str, bool], WithTaughtSigns] = {}
        self.checkpoints = Path(checkpoints) if checkpoints is not None else registry.CHECKPOINTS
        if not self.checkpoints.is_dir():
            raise PipelineError(f"checkpoint folder {self.checkpoints} does not exist")
        try:  # how the training data glosses its sentence patterns (None: the rules alone)
            self.gloss_memory = load_memory(self.checkpoints)
        except ValueError as exc:
            raise PipelineError(str(exc)) from None
        self._backends: dict[tuple[str, str], object] = {}
        self._lock = threading.Lock()
        self.default_text2pose = registry.resolve("text2pose", text2pose)
        self.default_pose2video = registry.resolve("pose2video", pose2video)

    def backend(self, stage: str, name: str):
        """The loaded backend (loaded on first use, then reused); ``name`` is the file name
        or the label users know it by ("Transformer" = "progressive")."""
        key = (stage, registry.resolve(stage, name))
        with self._lock:
            if key not in self._backends:
                try:
                    self._backends[key] = registry.load(stage, key[1], self.checkpoints)
                except KeyError as exc:
                    raise PipelineError(str(exc.args[0])) from None
                except ValueError as exc:
                    raise PipelineError(str(exc)) from None
            return self._backends[key]

    def text2pose(self, name: str, taught_only: bool = False):
        """The text-to-pose backend signing with the taught signs (``taught_only``: only
        them; other glosses are captioned over the rest pose, see :mod:`sign_pipeline.signs`)."""
        base = self.backend("text2pose", name)
        key = (base.name, bool(taught_only))
        with self._lock:
            if key not in self._with_signs:
                self._with_signs[key] = WithTaughtSigns(base, self.signs, bool(taught_only))
            return self._with_signs[key]

    def glosses(self, text: str, text2pose: str | None = None,
                taught_only: bool = False) -> GlossResult:  # fmt: skip
        """The gloss stage's result for ``text`` as :meth:`stages` makes it for this
        text-to-pose backend (its vocabulary and the taught signs)."""
        name = registry.resolve("text2pose", text2pose or self.default_text2pose)
        return self._glosses(text, self.text2pose(name, taught_only))

    def _glosses(self, text: str, t2p) -> GlossResult:
        try:
            return mark_taught(text_to_gloss(text, vocabulary=t2p.known_glosses(),
                                             memory=self.gloss_memory),
                               self.signs.glosses())  # fmt: skip
        except ValueError as exc:  # GlossError is a ValueError
            raise PipelineError(str(exc)) from None

    def warm_up(self, gloss: bool = True) -> None:
        """Load Kiwi (``gloss``) and the default backends now, so the first request is not
        the slow one. A signing worker that is handed its glosses skips Kiwi (490 MB)."""
        if gloss:
            text_to_gloss("지하철")
        self.backend("text2pose", self.default_text2pose)
        self.backend("pose2video", self.default_pose2video)

    def prepare_renderers(self, text: str = "지하철 가방") -> dict[str, tuple[str, float]]:
        """Load every installed pose-to-video backend that may be slower than real time
        (the GANs), let it convert for the inference runtime, and measure its speed here on
        ``text`` (its first 24 frames): what decides when the page's first piece can play.
        Returns name -> (runtime, ms a frame)."""
        t2p = self.backend("text2pose", self.default_text2pose)
        out = {}
        for name in registry.available("pose2video", self.checkpoints):
            if not registry.backend_class("pose2video", name).streams:
                continue
            p2v = self.backend("pose2video", name)
            signer = signer_ids.supported(t2p.signers(), p2v.signers())[0]
            pose = t2p.sign(GlossInput.from_gloss_result(text_to_gloss(text)), signer)
            ms = p2v.measure_speed(pose.keypoints[:24], pose.mask[:24], signer)
            out[name] = (p2v.runtime(), ms)
        return out

    def signers(
        self, text2pose: str | None = None, pose2video: str | None = None
    ) -> list[tuple[int, str]]:
        """(id, readable name) of every signer both chosen backends know, in id order."""
        t2p = self.backend("text2pose", text2pose or self.default_text2pose)
        p2v = self.backend("pose2video", pose2video or self.default_pose2video)
        ids = signer_ids.supported(t2p.signers(), p2v.signers())
        return [(i, signer_ids.label(i, p2v.describe_signer(i))) for i in ids]

    def about(self, text2pose: str | None = None) -> dict:
        """Where the text-to-pose backend's data came from (``trained_on``, ``synthetic``)."""
        return self.backend("text2pose", text2pose or self.default_text2pose).about()

    def default_signer(self, text2pose: str | None = None, pose2video: str | None = None) -> int:
        """The first signer both chosen backends know."""
        ids = self.signers(text2pose, pose2video)
        if not ids:
            raise PipelineError("the chosen backends have no signer in common")
        return ids[0][0]

    def _check_signer(self, signer: object, t2p, p2v) -> int:
        known = signer_ids.supported(t2p.signers(), p2v.signers())
        try:
            return signer_ids.check(signer, known)
        except signer_ids.SignerError as exc:
            raise PipelineError(str(exc)) from None

    def stages(
        self,
        text: str,
        signer: int | None = None,
        speed: float = 1.0,
        text2pose: str | None = None,
        pose2video: str | None = None,
        out_dir: str | Path | None = None,
        stem: str = "sign",
        files: str = "all",
        stream: int = 0,
        taught_only: bool = False,
        gloss: GlossResult | None = None,
    ) -> Iterator[SignResult]:
        """Run the pipeline, yielding the growing result after each stage.

        ``gloss``: the gloss stage's result for ``text`` when the caller already has it
        (:meth:`glosses`, e.g. a server handing work to a worker that does not load Kiwi).

        ``stream`` > 0 with a backend that may be slower than real time
        (:attr:`Pose2Video.streams`): the signer is drawn ``stream`` frames at a time, each
        piece yielded as a "pose2video_chunk" stage (``res.chunk``, ``res.chunk_start``)
        before the "pose2video" stage with the whole clip. The backend's speed is noted
        after each clip (:meth:`Pose2Video.note_speed`; :meth:`prepare_renderers` times it
        first): the page decides from it when the first piece can play.

        ``signer`` None is the first signer both backends know. With ``out_dir``, ``files``
        "all" writes the skeleton and signer mp4s ("videos" stage) then every download
        ("files" stage); "video" writes only the side-by-side mp4 (``files["video"]``, the
        "videos" stage), the cheapest answer, leaving the other downloads to
        :meth:`write_keypoint_files` when someone asks for them.

        Taught signs (``self.signs``) are used by every backend; ``taught_only`` signs nothing
        else (the other glosses are captioned over the rest pose and listed in
        ``res.pose.extras["not_signed"]``).
        """
        if files not in ("all", "video"):
            raise ValueError(f"files must be 'all' or 'video', got {files!r}")
        t2p_name = registry.resolve("text2pose", text2pose or self.default_text2pose)
        p2v_name = registry.resolve("pose2video", pose2video or self.default_pose2video)
        try:
            speed = float(speed)
        except (TypeError, ValueError):
            raise PipelineError(f"speed must be a number, got {speed!r}") from None
        if not 0.25 <= speed <= 4.0:
            raise PipelineError(f"speed must be between 0.25 and 4, got {speed}")
        t2p = self.text2pose(t2p_name, taught_only)
        p2v = self.backend("pose2video", p2v_name)
        if signer is None:
            signer = self.default_signer(t2p_name, p2v_name)
        signer = self._check_signer(signer, t2p, p2v)
        res = SignResult(text=text, signer=signer, text2pose=t2p_name, pose2video=p2v_name)

        t0 = time.perf_counter()
        res.gloss = gloss if gloss is not None else self._glosses(text, t2p)
        res.timings["gloss"] = time.perf_counter() - t0
        if not res.gloss.glosses:
            msg = res.gloss.message or "nothing in this text can be signed"
            raise PipelineError(msg)
        res.stage = "gloss"
        yield res

        t0 = time.perf_counter()
        try:
            res.pose = t2p.sign(GlossInput.from_gloss_result(res.gloss), signer, speed)
        except ValueError as exc:
            raise PipelineError(str(exc)) from None
        res.fps = res.pose.fps
        res.timings["text2pose"] = time.perf_counter() - t0
        res.stage = "text2pose"

        t0 = time.perf_counter()
        res.skeleton_frames = render.add_captions(
            render.draw_skeleton(res.pose.keypoints, res.pose.mask, signer=signer),
            res.pose.gloss_per_frame(),
        )
        res.timings["skeleton"] = time.perf_counter() - t0
        yield res

        t0 = time.perf_counter()
        # a caption strip of the same height under the signer (its name; a gloss shown as
        # text in taught-only mode) so the two line up
        captions = signer_captions(res.pose, signer_ids.label(signer, p2v.describe_signer(signer)))
        try:
            if stream > 0 and p2v.streams:
                pieces, drawing = [], 0.0  # the time spent drawing, not waiting on the consumer
                for piece in p2v.draw_chunks(res.pose.keypoints, res.pose.mask, signer, stream):
                    res.chunk_start = start = sum(len(p) for p in pieces)
                    res.chunk = render.add_captions(piece, captions[start : start + len(piece)])
                    pieces.append(res.chunk)
                    drawing += time.perf_counter() - t0
                    if not res.chunk_start:
                        res.timings["first_frames"] = drawing
                    res.stage = "pose2video_chunk"
                    yield res
                    t0 = time.perf_counter()
                res.signer_frames = np.concatenate(pieces)
                res.chunk = None
                t0 = time.perf_counter() - drawing
            else:
                frames = p2v.draw(res.pose.keypoints, res.pose.mask, signer=signer)
                res.signer_frames = render.add_captions(frames, captions)
            if p2v.streams:  # the rate that decides whether the next clip streams
                p2v.note_speed((time.perf_counter() - t0) / max(1, res.n_frames) * 1000)
        except ValueError as exc:
            raise PipelineError(str(exc)) from None
        res.timings["pose2video"] = time.perf_counter() - t0
        res.stage = "pose2video"
        yield res

        if out_dir is not None:
            out_dir = Path(out_dir)
            t0 = time.perf_counter()
            if files == "video":
                res.files = {"video": self.write_side_by_side(res, out_dir, stem)}
            else:
                res.files = self.write_videos(res, out_dir, stem)
            res.timings["videos"] = time.perf_counter() - t0
            res.stage = "videos"
            yield res
        if out_dir is not None and files == "all":
            t0 = time.perf_counter()
            res.files.update(self.write_downloads(res, out_dir, stem))
            res.timings["files"] = time.perf_counter() - t0
            res.stage = "files"
            yield res
        res.timings["total"] = sum(
            v for k, v in res.timings.items() if k not in ("total", "first_frames")
        )

    def run(self, text: str, **kwargs) -> SignResult:
        """Run every stage and return the final result."""
        result = None
        for partial in self.stages(text, **kwargs):
            result = partial
        assert result is not None
        return result

    # ------------------------------------------------------------------ files

    def pixel_sequence(self, res: SignResult) -> sk.PoseSequence:
        """The generated keypoints in the signer's 256x256 pixel frame (for .pose / JSON)."""
        from .pose2video.placement import to_pixels

        px = to_pixels(res.pose.keypoints, res.signer)
        return sk.PoseSequence(px, res.pose.mask.copy(), res.fps, 256, 256)

    def write_files(self, res: SignResult, out_dir: Path, stem: str = "sign") -> dict[str, Path]:
        """Every file of a result: :meth:`write_videos` then :meth:`write_downloads`."""
        files = self.write_videos(res, out_dir, stem)
        files.update(self.write_downloads(res, out_dir, stem))
        return files

    def write_videos(self, res: SignResult, out_dir: Path, stem: str = "sign") -> dict[str, Path]:
        """The skeleton and the signer video (H.264 mp4), for showing them."""
        out_dir.mkdir(parents=True, exist_ok=True)
        return {
            "skeleton_video": render.write_mp4(
                res.skeleton_frames, out_dir / f"{stem}_skeleton.mp4", res.fps
            ),
            "signer_video": render.write_mp4(
                res.signer_frames, out_dir / f"{stem}_signer.mp4", res.fps
            ),
        }

    def write_downloads(
        self, res: SignResult, out_dir: Path, stem: str = "sign"
    ) -> dict[str, Path]:
        """Side-by-side mp4, keypoints as .pose and as an OpenPose JSON zip, the gloss JSON."""
        files = {"video": self.write_side_by_side(res, out_dir, stem)}
        files.update(self.write_keypoint_files(res, out_dir, stem))
        return files

    def write_side_by_side(self, res: SignResult, out_dir: Path, stem: str = "sign") -> Path:
        """Skeleton | signer as one H.264 mp4 (the two play as one), composed frame by frame
        as it is encoded (no second copy of the whole clip in memory)."""
        a, b = res.skeleton_frames, res.signer_frames
        frames = (render.side_by_side(a[i : i + 1], b[i : i + 1])[0] for i in range(len(a)))
        return render.write_mp4(frames, Path(out_dir) / f"{stem}.mp4", res.fps)

    def write_keypoint_files(
        self, res: SignResult, out_dir: Path, stem: str = "sign"
    ) -> dict[str, Path]:
        """The keypoints as .pose and as an OpenPose JSON zip, and the gloss result JSON."""
        from .formats.openpose import write_openpose_folder
        from .formats.pose import write_pose

        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        files: dict[str, Path] = {}
        seq = self.pixel_sequence(res)
        files["pose"] = write_pose(seq, out_dir / f"{stem}.pose") or out_dir / f"{stem}.pose"
        json_dir = out_dir / f"{stem}_openpose"
        written = write_openpose_folder(seq, json_dir, stem)
        zpath = out_dir / f"{stem}_openpose.zip"
        with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as zf:
            for p in written:
                zf.write(p, arcname=f"{stem}_openpose/{Path(p).name}")
        files["openpose_zip"] = zpath
        gpath = out_dir / f"{stem}_gloss.json"
        gpath.write_text(json.dumps(res.summary(), ensure_ascii=False, indent=1), "utf-8")
        files["gloss_json"] = gpath
        return {k: Path(v) for k, v in files.items()}
