"""Gradio page: type a Korean transit sentence, see its glosses, skeleton and signer video.

``python app.py`` serves on 127.0.0.1:7860 (``--host``, ``--port``). The page only talks to
:class:`sign_pipeline.pipeline.SignPipeline`. The API endpoint ``translate`` takes the sentence
alone (every other input has a default).
"""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import argparse  # noqa: E402
import html  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import gradio as gr  # noqa: E402

from sign_pipeline import registry  # noqa: E402
from sign_pipeline.pipeline import PipelineError, SignPipeline  # noqa: E402
from sign_pipeline.render import korean_font_path  # noqa: E402

ROOT = Path(__file__).resolve().parent
README = ROOT / "README.md"
OUT_ROOT = Path(tempfile.gettempdir()) / "ksl_app_outputs"
KEEP_RUNS = 64

#: One example per transit scenario: the first of each topic of the one example list.
from sign_pipeline.gloss.examples import SHOWCASE as EXAMPLES  # noqa: E402

SOURCE_COLORS = {
    "lexicon": "#2e7d32",
    "synonym": "#00838f",
    "number": "#6a1b9a",
    "fingerspelling": "#e65100",
}
MAX_CHARS = 300

CSS = """
@font-face { font-family: 'KSLKorean'; src: url('/gradio_api/file=%s') format('truetype'); }
.notice { font-size: 0.92em; padding: 6px 10px; border-left: 4px solid #e65100; background: #fff4e5; }
.gloss-line { display: flex; flex-wrap: wrap; align-items: flex-end; gap: 4px; }
.gloss-chip { display: inline-flex; flex-direction: column; align-items: center; padding: 3px 9px;
              border-radius: 10px; border: 2px solid; background: #fff; }
.gloss-name { font-size: 1.25em; font-weight: 600; line-height: 1.3; }
.gloss-src { font-size: 0.72em; opacity: 0.9; }
.gloss-word { display: inline-flex; flex-direction: column; padding: 2px 4px;
              border: 1px dashed #e65100; border-radius: 10px; }
.gloss-word-label { font-size: 0.8em; color: #e65100; text-align: center; }
.gloss-word-letters { display: flex; gap: 3px; }
.error-box { color: #b71c1c; background: #ffebee; padding: 6px 10px; border-radius: 6px; }
"""


def _gloss_html(result) -> str:
    """Each gloss as a chip coloured by its source; fingerspelled letters grouped by word."""
    g = result.gloss
    items = g.to_dict().get("items") or []
    parts: list[str] = []
    open_group = None
    for it in items:
        name = html.escape(str(it.get("gloss", "")))
        src = str(it.get("source", "lexicon"))
        color = SOURCE_COLORS.get(src, "#455a64")
        group = it.get("group")
        spelled = src == "fingerspelling"
        if open_group is not None and (not spelled or group != open_group):
            parts.append("</span></span>")
            open_group = None
        if spelled and open_group is None:
            word = html.escape(str(it.get("word") or it.get("surface") or ""))
            parts.append(
                f'<span class="gloss-word"><span class="gloss-word-label">{word} · '
                'fingerspelled</span><span class="gloss-word-letters">'
            )
            open_group = group
        parts.append(
            f'<span class="gloss-chip" style="border-color:{color};color:{color}"'
            f' data-source="{src}" title="{html.escape(str(it.get("surface", "")))}">'
            f'<span class="gloss-name">{name}</span><span class="gloss-src">{src}</span></span>'
        )
    if open_group is not None:
        parts.append("</span></span>")
    marks = []
    if g.question:
        marks.append("question (raised brows)")
    if g.negation:
        marks.append("negation")
    cov = ", ".join(f"{k}: {v}" for k, v in g.coverage.items() if v)
    lines = [
        f'<div class="gloss-line" data-glosses="{html.escape(" ".join(g.glosses))}">',
        "".join(parts),
        "</div>",
        f"<p><b>Coverage</b> — {html.escape(cov) or 'none'}",
    ]
    if marks:
        lines.append(" · <b>Marks</b> — " + html.escape(", ".join(marks)))
    lines.append("</p>")
    if g.skipped:
        skipped = ", ".join(html.escape(f"{s.text} ({s.reason})") for s in g.skipped)
        lines.append(f"<p><b>Skipped</b> — {skipped}</p>")
    if g.message:
        lines.append(f"<p><i>{html.escape(g.message)}</i></p>")
    return "".join(lines)


def _timings_md(res) -> str:
    rows = ["| stage | ms |", "|---|---:|"]
    for k, v in res.timings.items():
        rows.append(f"| {k} | {v * 1000:.0f} |")
    rows.append(f"| **clip length** | {res.duration_s * 1000:.0f} |")
    return "\n".join(rows)


def _new_run_dir() -> Path:
    OUT_ROOT.mkdir(parents=True, exist_ok=True)
    runs = sorted(OUT_ROOT.iterdir(), key=lambda p: p.stat().st_mtime)
    for old in runs[: max(0, len(runs) - KEEP_RUNS)]:
        shutil.rmtree(old, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix="run_", dir=OUT_ROOT))


def _validate_text(text) -> str:
    """The sentence, or PipelineError with a message for the user."""
    if not isinstance(text, str):
        raise PipelineError("Please type a Korean sentence.")
    if not text.strip():
        raise PipelineError("The sentence is empty: please type a Korean sentence.")
    if len(text) > MAX_CHARS:
        raise PipelineError(
            f"The sentence has {len(text)} characters; at most {MAX_CHARS} can be signed at once."
        )
    return text


def build(pipe: SignPipeline | None = None) -> gr.Blocks:
    """The page. Backends are loaded once, in ``pipe``."""
    pipe = pipe or SignPipeline()
    pipe.warm_up()
    signer_labels = [label for _, label in pipe.signers()]
    t2p_names = registry.available("text2pose", pipe.checkpoints)
    p2v_names = registry.available("pose2video", pipe.checkpoints)

    def signer_number(value) -> int:
        """The id in front of a dropdown label ("6 · REAL06 · ..."), or the value itself."""
        head = str(value).split("·")[0].strip()
        return int(head) if head.isdigit() else value

    def signer_choices(t2p_name, p2v_name, current):
        """The signers both chosen backends know; keep the current one when it is among them."""
        try:
            labels = [label for _, label in pipe.signers(t2p_name, p2v_name)]
        except PipelineError:
            return gr.update()
        keep = current if current in labels else (labels[0] if labels else None)
        return gr.update(choices=labels, value=keep)

    def run_page(text, signer_label, t2p, p2v, speed):
        """Stream the result to the page; bad input becomes a message, never a crash."""
        started = time.perf_counter()
        try:
            text = _validate_text(text)
            stages = pipe.stages(
                text,
                signer=signer_number(signer_label),
                speed=speed,
                text2pose=t2p,
                pose2video=p2v,
                out_dir=_new_run_dir(),
            )
            for res in stages:
                if res.stage == "gloss":
                    yield {
                        status: "Glosses ready — generating the signing…",
                        gloss_box: _gloss_html(res),
                        skel_video: None,
                        signer_video: None,
                        downloads: gr.update(value=None, visible=False),
                        timings: "",
                    }
                elif res.stage == "videos":
                    yield {
                        status: "Videos ready — writing the downloads…",
                        skel_video: str(res.files["skeleton_video"]),
                        signer_video: str(res.files["signer_video"]),
                    }
                elif res.stage == "files":
                    f = res.files
                    yield {
                        status: f"Done in {time.perf_counter() - started:.2f} s "
                        f"({res.n_frames} frames, {res.duration_s:.1f} s of signing).",
                        downloads: gr.update(
                            value=[
                                str(f[k]) for k in ("video", "pose", "openpose_zip", "gloss_json")
                            ],
                            visible=True,
                        ),
                        timings: _timings_md(res),
                    }
        except PipelineError as exc:
            yield {
                status: f'<p class="error-box" id="error">⚠ {html.escape(str(exc))}</p>',
                gloss_box: "",
                skel_video: None,
                signer_video: None,
                downloads: gr.update(value=None, visible=False),
                timings: "",
            }

    def translate(
        text: str,
        signer: int | None = None,
        text2pose: str = "lexicon",
        pose2video: str = "avatar",
        speed: float = 1.0,
    ) -> tuple[str, dict]:
        """Sign a Korean sentence: returns the side-by-side mp4 and the gloss result.

        ``signer`` None is the first signer both backends know.
        """
        try:
            text = _validate_text(text)
            res = pipe.run(
                text,
                signer=signer,
                speed=speed,
                text2pose=text2pose,
                pose2video=pose2video,
                out_dir=_new_run_dir(),
            )
        except PipelineError as exc:
            raise gr.Error(str(exc)) from None
        return str(res.files["video"]), res.summary()

    with gr.Blocks(title="수어 생성 · KSL for transit", delete_cache=(3600, 3600)) as demo:
        gr.Markdown("# 수어 생성 · Korean Sign Language for transit")
        about = pipe.about()
        if about["synthetic"]:
            gr.HTML(
                '<p class="notice" id="notice">The signs shown are <b>placeholders</b> from a '
                "synthetic demo corpus, not validated Korean Sign Language. "
                f'<a href="/gradio_api/file={README}#training-on-real-data" target="_blank">'
                "Train on real data (README)</a>.</p>"
            )
        else:
            gr.HTML(
                f'<p class="data-note" id="data-note">Signs from {html.escape(about["trained_on"])}'
                f" (checkpoints: {html.escape(str(pipe.checkpoints))}).</p>"
            )
        with gr.Row():
            text = gr.Textbox(
                label="Korean sentence / 문장",
                placeholder="예: 서울역까지 가려면 지하철 몇호선으로 환승 해야하나요?",
                lines=2,
                max_length=MAX_CHARS,
                scale=5,
                elem_id="sentence",
            )
            go = gr.Button("수어로 보기 · Sign it", variant="primary", scale=1, elem_id="go")
        gr.Examples(EXAMPLES, inputs=[text], label="Examples (one per situation)")
        with gr.Row():
            signer = gr.Dropdown(
                signer_labels, value=signer_labels[0], label="Signer", elem_id="signer"
            )
            t2p = gr.Radio(t2p_names, value=t2p_names[0], label="Text → pose", elem_id="t2p")
            p2v = gr.Radio(p2v_names, value=p2v_names[0], label="Pose → video", elem_id="p2v")
            speed = gr.Slider(0.5, 2.0, value=1.0, step=0.1, label="Speed", elem_id="speed")
        status = gr.HTML("", elem_id="status")
        gloss_box = gr.HTML("", label="Glosses", elem_id="glosses")
        with gr.Row():
            skel_video = gr.Video(
                label="Skeleton", autoplay=True, loop=True, height=380, elem_id="skeleton_video"
            )
            signer_video = gr.Video(
                label="Signer", autoplay=True, loop=True, height=380, elem_id="signer_video"
            )
        downloads = gr.File(label="Downloads", file_count="multiple", elem_id="downloads")
        timings = gr.Markdown("", elem_id="timings")

        inputs = [text, signer, t2p, p2v, speed]
        outputs = [status, gloss_box, skel_video, signer_video, downloads, timings]
        # a click while a sentence is being signed runs once the current one is done
        go.click(run_page, inputs, outputs, api_visibility="private", trigger_mode="always_last")
        text.submit(run_page, inputs, outputs, api_visibility="private", trigger_mode="always_last")

        def rerun_for_signer(text_value, *rest):
            """Switching the signer re-signs the current sentence (if there is one)."""
            if text_value and text_value.strip():
                yield from run_page(text_value, *rest)

        signer.change(rerun_for_signer, inputs, outputs, api_visibility="private")
        for radio in (t2p, p2v):
            radio.change(
                signer_choices, [t2p, p2v, signer], [signer], api_visibility="private"
            )
        gr.api(translate, api_name="translate")
    return demo


def launch_kwargs() -> dict:
    font = korean_font_path()
    theme = gr.themes.Default(
        font=[gr.themes.LocalFont("Source Sans Pro"), "KSLKorean", "NanumGothic", "sans-serif"]
    )
    return {
        "css": CSS % font,
        "theme": theme,
        "allowed_paths": [str(font), str(README), str(OUT_ROOT)],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description="KSL transit signing demo")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=7860)
    ap.add_argument(
        "--checkpoints",
        default=None,
        help="checkpoint folder (default: $KSL_CHECKPOINTS or the shipped checkpoints/)",
    )
    args = ap.parse_args()
    demo = build(SignPipeline(checkpoints=args.checkpoints))
    demo.queue(default_concurrency_limit=2).launch(
        server_name=args.host, server_port=args.port, **launch_kwargs()
    )


if __name__ == "__main__":
    main()
