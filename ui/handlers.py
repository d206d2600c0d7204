"""What the page and the API do, as methods of one object holding the pipeline, the answer
cache and the signing workers. No layout here: a page handler yields updates keyed by the
names of the outputs it fills (``"status"``, ``"video"``, …; :mod:`ui.page` maps them to the
components), so each is called and checked in a test without a browser or a server.

    handlers = PageHandlers(SignPipeline())
    updates = list(handlers.run_page("화장실이 어디예요?", "1", "lexicon", "avatar", 1.0))
    video, summary = handlers.translate("화장실이 어디예요?")
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import gradio as gr
from gradio.data_classes import FileData

from sign_pipeline import compare as cmp
from sign_pipeline import registry, render
from sign_pipeline.pipeline import PipelineError, SignPipeline
from ui import html as page_html
from ui.serving import (
    KEEP_RUNS,
    STREAM_CHUNK,
    WORK,
    AnswerCache,
    PieceSchedule,
    new_run_dir,
    one_slot_per_step,
    release_memory,
    slots_for,
    validate_text,
)
from ui.teaching import TeachHandlers

log = logging.getLogger("ksl.app")

#: Updates are dicts: output name -> value (or a ``gr.update``).
Updates = dict[str, object]


def hidden() -> dict:
    """An output emptied and hidden (the attention plot, the downloads)."""
    return gr.update(value=None, visible=False)


def api_error(endpoint: str, exc: Exception) -> gr.Error:
    """One log line for a bad call, and the error the caller sees (no traceback)."""
    if isinstance(exc, PipelineError):
        log.warning("bad %s call: %s", endpoint, exc)
        return gr.Error(str(exc), print_exception=False)
    log.error("failed %s call: %s: %s", endpoint, type(exc).__name__, exc)
    return gr.Error(f"could not sign this: {type(exc).__name__}: {exc}", print_exception=False)


def signer_number(value: object) -> int | object:
    """The id in front of a menu label (``"6 · REAL06 · ..."`` -> 6), or the value itself."""
    head = str(value).split("·")[0].strip()
    return int(head) if head.isdigit() else value


def file_data(path: Path) -> FileData:
    """A video the API hands back (the client downloads it)."""
    return FileData(path=str(path), orig_name=path.name, mime_type="video/mp4")


def _resolved(stage: str, name: object) -> object:
    """A backend's file name for its label; anything else as it is (the pipeline says
    what is wrong with it)."""
    return registry.resolve(stage, name) if isinstance(name, str) else name


def _nothing(res, run) -> Iterator[Updates]:
    """A stage the page shows nothing for."""
    return iter(())


@dataclass
class _PageRun:
    """One sentence being signed on the page: its folder, the pieces drawn so far, and the
    attention plot that belongs beside its video (hidden for a backend without one)."""

    out_dir: Path
    pose2video: str
    started: float = field(default_factory=time.perf_counter)
    pieces: PieceSchedule | None = None
    growing: render.GrowingMp4 | None = None
    attention: object = field(default_factory=hidden)

    def close(self) -> None:
        """Stop the growing encode of a signer drawn in pieces (if there was one)."""
        if self.growing is not None:
            self.growing.close()
            self.growing = None


class PageHandlers(TeachHandlers):
    """The page's and the API's handlers. ``references``: a prepared corpus's clips the
    compare view measures DTW against; ``evaluation``: the evaluation command's results
    (the compare table's reference row); ``workers``: signs ``translate`` in processes;
    ``out_root``: where run folders go (default :data:`ui.serving.OUT_ROOT`)."""

    def __init__(
        self,
        pipe: SignPipeline,
        cache: int = KEEP_RUNS // 2,
        workers: object | None = None,
        references: cmp.References | None = None,
        evaluation: dict | None = None,
        out_root: Path | None = None,
    ) -> None:
        self.pipe = pipe
        self.out_root = out_root
        self.answers = AnswerCache(min(cache, KEEP_RUNS // 2))
        self.workers = workers
        self.references = references
        self.evaluation = evaluation
        self.reference_motion = cmp.reference_motion(evaluation)
        self.pairs = cmp.installed_pairs(pipe.checkpoints)

    # ------------------------------------------------------------------ the signer menu

    def signer_labels(self, text2pose: str | None = None, pose2video: str | None = None
                      ) -> list[str]:  # fmt: skip
        """The menu labels of the signers both backends know."""
        return [label for _, label in self.pipe.signers(text2pose, pose2video)]

    def compare_signer_labels(self) -> list[str]:
        """The signers every installed pair knows (the compare tab's menu)."""
        return [label for _, label in cmp.common_signers(self.pipe, self.pairs)]

    def signer_choices(self, text2pose: str, pose2video: str, current: str) -> dict:
        """The signers both chosen backends know; keep the current one when it is among them."""
        try:
            labels = self.signer_labels(text2pose, pose2video)
        except PipelineError:
            return gr.update()
        keep = current if current in labels else (labels[0] if labels else None)
        return gr.update(choices=labels, value=keep)

    # ------------------------------------------------------------------ the Sign tab

    def run_page(self, text: str, signer: str, text2pose: str, pose2video: str, speed: float,
                 taught_only: bool = False) -> Iterator[Updates]:  # fmt: skip
        """Stream the result to the page; bad input becomes a message, never a crash. Every
        update that shows a video also says which attention plot goes beside it.
        ``taught_only``: only taught signs are signed (the rest captioned, and listed)."""
        run = None
        try:
            text = validate_text(text)
            run = _PageRun(new_run_dir(self.out_root), pose2video)
            stages = self.pipe.stages(
                text, signer=signer_number(signer), speed=speed, text2pose=text2pose,
                pose2video=pose2video, out_dir=run.out_dir, files="video", stream=STREAM_CHUNK,
                taught_only=bool(taught_only),
            )  # fmt: skip
            for res in one_slot_per_step(stages, slots_for(pose2video)):
                yield from getattr(self, f"_on_{res.stage}", _nothing)(res, run)
        except Exception as exc:  # a message on the page, one line in the log
            yield {
                "status": page_html.error_html(str(api_error("page", exc).message)),
                "glosses": "", "video": None, "attention": hidden(), "downloads": hidden(),
                "timings": "",
            }  # fmt: skip
        finally:
            if run is not None:
                run.close()
            release_memory()

    def _on_gloss(self, res, run: _PageRun) -> Iterator[Updates]:
        yield {
            "status": "Glosses ready — generating the signing…",
            "glosses": page_html.gloss_html(res), "video": None, "attention": hidden(),
            "downloads": hidden(), "timings": "",
        }  # fmt: skip

    def _on_text2pose(self, res, run: _PageRun) -> Iterator[Updates]:
        """The skeleton at once (a quick encode) while the signer is drawn, and a learned
        backend's alignment (Tacotron, Transformer) beside it."""
        preview = render.write_mp4(res.skeleton_frames, run.out_dir / "skeleton.mp4", res.fps,
                                   preset="ultrafast")  # fmt: skip
        attention = res.pose.extras.get("attention")
        if attention is not None:
            png = cmp.attention_plot(attention, [t.gloss for t in res.pose.timings],
                                     run.out_dir / "attention.png")  # fmt: skip
            run.attention = gr.update(value=str(png), visible=True)
        yield {"status": "Skeleton ready — drawing the signer…", "video": str(preview),
               "attention": run.attention}  # fmt: skip

    def _on_pose2video_chunk(self, res, run: _PageRun) -> Iterator[Updates]:
        """A GAN signer: what is drawn so far plays in the same player. Each piece goes into
        one growing encode (:class:`~sign_pipeline.render.GrowingMp4`); the page is shown a
        copy of it when :class:`~ui.serving.PieceSchedule` says (the first piece at once
        when the renderer keeps up, else once enough is drawn that the player never waits,
        by the measured speed), and the page's script plays each piece on from where the
        last one was (page.js), so nothing restarts."""
        if not res.chunk_start:
            speed = self.pipe.backend("pose2video", res.pose2video).ms_per_frame
            run.pieces = PieceSchedule(res.n_frames, speed, res.fps)
            run.growing = render.GrowingMp4(run.out_dir / "drawing.mp4", res.fps)
        start, done = res.chunk_start, res.chunk_start + len(res.chunk)
        run.growing.add(render.side_by_side(res.skeleton_frames[start:done], res.chunk))
        if run.pieces.due(done, time.perf_counter()):
            path, frames = run.growing.snapshot(run.out_dir / f"drawn_{done:05d}.mp4")
            run.pieces.mark(frames, time.perf_counter())
            yield {"status": f"Drawing the signer — {done} of {res.n_frames} frames (playing "
                             "what is drawn)…",
                   "video": str(path), "attention": run.attention}  # fmt: skip

    def _on_videos(self, res, run: _PageRun) -> Iterator[Updates]:
        """The whole clip, then the downloads once their files are written."""
        run.close()
        yield {"status": "Video ready — writing the downloads…",
               "glosses": page_html.gloss_html(res), "video": str(res.files["video"]),
               "attention": run.attention}  # fmt: skip
        t0 = time.perf_counter()
        with slots_for(run.pose2video):
            res.files.update(self.pipe.write_keypoint_files(res, run.out_dir))
        res.timings["files"] = time.perf_counter() - t0
        files = [str(res.files[k]) for k in ("video", "pose", "openpose_zip", "gloss_json")]
        missing = res.pose.extras.get("not_signed") or []
        note = (f" Not taught, shown as text over the resting signer: {', '.join(missing)}."
                if missing else "")  # fmt: skip
        yield {
            "status": f"Done in {time.perf_counter() - run.started:.2f} s ({res.n_frames} "
                      f"frames, {res.duration_s:.1f} s of signing).{note}",
            "downloads": gr.update(value=files, visible=True),
            "timings": page_html.timings_md(res),
        }  # fmt: skip

    def rerun_for_signer(self, text: str, *rest) -> Iterator[Updates]:
        """Switching the signer re-signs the current sentence (if there is one)."""
        if isinstance(text, str) and text.strip():
            yield from self.run_page(text, *rest)

    # ------------------------------------------------------------------ the API: translate

    def translate(
        self,
        text: str,
        signer: int | None = None,
        text2pose: str = "lexicon",
        pose2video: str = "avatar",
        speed: float = 1.0,
        taught_only: bool = False,
    ) -> tuple[FileData, dict]:
        """Sign a Korean sentence: returns the side-by-side mp4 (skeleton | signer) and the
        result (glosses, frames, timings, the backends by their names). ``signer`` None is
        the first signer both backends know; a backend is named by its label
        ("Transformer") or its file name ("progressive"). Taught signs are used;
        ``taught_only``: nothing else is signed (``not_signed`` lists the glosses shown as
        captions instead)."""
        try:
            text = validate_text(text)
            t2p, p2v = _resolved("text2pose", text2pose), _resolved("pose2video", pose2video)
            key = (text.strip(), repr(signer), repr(t2p), repr(p2v), repr(speed),
                   bool(taught_only), self.pipe.signs.version())  # a new sign: a new answer
            kwargs = {"signer": signer, "speed": speed, "text2pose": t2p, "pose2video": p2v,
                      "taught_only": bool(taught_only)}
            video, summary, shared = self.answers.fetch(key, lambda: self._sign(text, kwargs))
        except Exception as exc:
            raise api_error("translate", exc) from None
        finally:
            release_memory()
        return file_data(video), ({**summary, "cached": True} if shared else summary)

    def _sign(self, text: str, kwargs: dict) -> tuple[Path, dict]:
        """One translate answer, signed in a worker process when there are some."""
        with slots_for(kwargs["pose2video"]):
            if self.workers is not None:  # the glosses made here: workers do not load Kiwi
                t0 = time.perf_counter()
                gloss = self.pipe.glosses(text, kwargs["text2pose"], kwargs["taught_only"])
                took = time.perf_counter() - t0
                video, summary = self.workers.sign(text, new_run_dir(self.out_root),
                                                   gloss=gloss, **kwargs)  # fmt: skip
                if isinstance(summary.get("timings_s"), dict):
                    summary["timings_s"]["gloss"] = round(took, 4)
            else:
                res = self.pipe.run(text, out_dir=new_run_dir(self.out_root), files="video", **kwargs)
                video, summary = res.files["video"], res.summary()
        backends = summary.get("backends") or {}
        summary["backends"] = {stage: registry.label(stage, str(name))
                               for stage, name in backends.items()}  # fmt: skip
        return video, summary

    # ------------------------------------------------------------------ the Compare tab

    def parse_pairs(self, value: object) -> list[tuple[str, str]]:
        """The pairs asked for (labels or file names); none: every installed pair."""
        if value is None or value == [] or value == "":
            return list(self.pairs)
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, (list, tuple)):
            raise PipelineError("pairs must be a list like ['text2pose + pose2video', …]")
        return [cmp.parse_pair(v) for v in value]

    def run_compare_page(self, text: str, chosen: list[str], signer: str, speed: float
                         ) -> Iterator[Updates]:  # fmt: skip
        """Stream the comparison: each pair's cell and row as soon as it is done."""
        try:
            text = validate_text(text)
            pairs = self.parse_pairs(chosen)
            out_dir = new_run_dir(self.out_root)
            labels = [cmp.pair_label(*p) for p in pairs]
            yield {"cmp_status": f"Signing with {len(labels)} pairs…",
                   "cmp_grid": page_html.grid_html([], labels), "cmp_table": "",
                   "cmp_tiled": hidden()}  # fmt: skip
            done: list[cmp.PairResult] = []
            steps = cmp.compare(self.pipe, text, pairs, signer_number(signer), speed, out_dir,
                                self.references)  # fmt: skip
            for r in one_slot_per_step(steps):
                done.append(r)
                n_pairs = sum(d.kind == "pair" for d in done)
                yield {"cmp_status": f"{n_pairs} of {len(labels)} pairs done…",
                       "cmp_grid": page_html.grid_html(done, labels[len(done):]),
                       "cmp_table": page_html.table_html(done, self.reference_motion)}  # fmt: skip
            yield self._compare_done(done, out_dir)
        except Exception as exc:  # a message on the page, one line in the log
            yield {"cmp_status": page_html.error_html(str(api_error("compare page", exc).message)),
                   "cmp_grid": "", "cmp_table": "", "cmp_tiled": hidden()}  # fmt: skip
        finally:
            release_memory()

    def _compare_done(self, done: list[cmp.PairResult], out_dir: Path) -> Updates:
        """The closing line and every video that worked tiled into one mp4."""
        videos = [r.video for r in done if r.ok]
        with WORK:
            tiled = cmp.write_tiled(videos, out_dir / "comparison.mp4") if videos else None
        pair_results = [r for r in done if r.kind == "pair"]
        failed = sum(not r.ok for r in pair_results)
        return {
            "cmp_status": f"Done: {len(pair_results) - failed} of {len(pair_results)} pairs "
                          "signed" + (f", {failed} failed" if failed else "") + ".",
            "cmp_tiled": gr.update(value=str(tiled) if tiled else None, visible=bool(tiled)),
        }  # fmt: skip

    def rerun_compare_for_signer(self, text: str, *rest) -> Iterator[Updates]:
        """Switching the signer compares the current sentence again."""
        if isinstance(text, str) and text.strip():
            yield from self.run_compare_page(text, *rest)

    # ------------------------------------------------------------------ the API: compare

    def compare(
        self,
        text: str,
        pairs: list[str] | None = None,
        signer: int | None = None,
        speed: float = 1.0,
    ) -> tuple[FileData, list[dict]]:
        """Sign a sentence with several ``"text2pose + pose2video"`` pairs (default: every
        installed pair; "Transformer + StyleGAN2" or file names): returns the tiled mp4 of
        every pair that worked and one row per pair (frames, per-stage ms, motion,
        back-translation WER, DTW, or its error)."""
        try:
            text = validate_text(text)
            chosen = self.parse_pairs(pairs)
            out_dir = new_run_dir(self.out_root)
            steps = cmp.compare(self.pipe, text, chosen, signer, speed, out_dir, self.references)
            rows = list(one_slot_per_step(steps))
            if not any(r.ok and r.kind == "pair" for r in rows):
                raise PipelineError("; ".join(f"{r.label}: {r.error}" for r in rows))
            with WORK:
                tiled = cmp.write_tiled([r.video for r in rows if r.ok],
                                        out_dir / "comparison.mp4")  # fmt: skip
        except Exception as exc:
            raise api_error("compare", exc) from None
        finally:
            release_memory()
        return file_data(tiled), [r.to_dict() for r in rows]
