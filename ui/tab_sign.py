"""The "Sign a sentence" tab, layout only: the sentence, its options, the glosses, the
video with the attention plot beside it, downloads and timings (wired in :mod:`ui.page`)."""

from __future__ import annotations

import gradio as gr

from sign_pipeline import registry
from sign_pipeline.gloss.examples import SHOWCASE as EXAMPLES
from ui.handlers import PageHandlers

TITLE = "Sign a sentence"
#: The inputs of :meth:`PageHandlers.run_page`, in its order.
INPUTS = ("text", "signer", "text2pose", "pose2video", "speed", "taught_only")
#: The outputs its updates name.
OUTPUTS = ("status", "glosses", "video", "attention", "downloads", "timings")


def backend_choices(stage: str, checkpoints) -> list[tuple[str, str]]:
    """(label, file name) of each installed backend: the page shows "Transformer", the
    handlers get ``"progressive"``."""
    return [(registry.label(stage, n), n) for n in registry.available(stage, checkpoints)]


def layout(handlers: PageHandlers) -> dict[str, gr.components.Component]:
    """Lay the tab out (inside ``gr.Blocks``); its components by name."""
    signers = handlers.signer_labels()
    text2pose = backend_choices("text2pose", handlers.pipe.checkpoints)
    pose2video = backend_choices("pose2video", handlers.pipe.checkpoints)
    c: dict[str, gr.components.Component] = {}
    with gr.Tab(TITLE, elem_id="tab-sign"):
        with gr.Row(equal_height=True):
            c["text"] = gr.Textbox(
                label="Korean sentence / 문장 (Enter signs it)",
                placeholder="예: 서울역까지 가려면 지하철 몇호선으로 환승 해야하나요?",
                lines=1, max_lines=4, scale=5, elem_id="sentence",
            )  # fmt: skip
            c["go"] = gr.Button("수어로 보기 · Sign it", variant="primary", scale=1, elem_id="go")
        c["examples"] = gr.Examples(EXAMPLES, inputs=[c["text"]],
                                    label="Examples (click one to sign it)", elem_id="examples")
        with gr.Row(elem_id="options"):
            c["signer"] = gr.Dropdown(signers, value=signers[0], label="Signer", elem_id="signer")
            c["text2pose"] = gr.Radio(text2pose, value=text2pose[0][1], label="Text → pose",
                                      elem_id="t2p")  # fmt: skip
            c["pose2video"] = gr.Radio(pose2video, value=pose2video[0][1], label="Pose → video",
                                       elem_id="p2v")  # fmt: skip
            c["speed"] = gr.Slider(0.5, 2.0, value=1.0, step=0.1, label="Speed", elem_id="speed")
            c["taught_only"] = gr.Checkbox(
                label="Taught signs only (words without a taught sign are shown as text)",
                value=False, elem_id="taught-only")  # fmt: skip
        c["status"] = gr.HTML("", elem_id="status")
        c["glosses"] = gr.HTML("", label="Glosses", elem_id="glosses")
        c["video"] = gr.Video(label="Skeleton | signer", autoplay=True, loop=True,
                              elem_id="sign_video")  # fmt: skip
        gr.HTML('<div id="now-signing"></div>', elem_id="now-signing-box")
        c["attention"] = gr.Image(
            label="Attention: which gloss each frame is signing (learned backends)",
            visible=False, interactive=False, elem_id="attention",
        )  # fmt: skip
        c["downloads"] = gr.File(label="Downloads", file_count="multiple", elem_id="downloads")
        c["timings"] = gr.Markdown("", elem_id="timings")
    return c
