"""The "Your signing on our signer" tab, layout only: a recording or keypoint file re-signed
by one of our signers (the recorded person's face is not shown), skeleton | signer."""

from __future__ import annotations

import gradio as gr

from ui.handlers import PageHandlers
from ui.tab_sign import backend_choices
from ui.teaching import KEYPOINT_FILES

TITLE = "Your signing on our signer"
#: The inputs of :meth:`PageHandlers.animate_page`, in its order.
INPUTS = ("anim_source", "anim_keypoints", "anim_line", "anim_signer", "anim_p2v")
OUTPUTS = ("anim_status", "anim_video")


def layout(handlers: PageHandlers) -> dict[str, gr.components.Component]:
    """Lay the tab out (inside ``gr.Blocks``); its components by name."""
    signers = handlers.signer_labels()
    pose2video = backend_choices("pose2video", handlers.pipe.checkpoints)
    c: dict[str, gr.components.Component] = {}
    with gr.Tab(TITLE, elem_id="tab-animate"):
        gr.Markdown(
            "Any signing, shown by one of our signers: a video of a person (their movements "
            "are re-signed, their face is not shown), or keypoints (AI Hub OpenPose frames as "
            "a .zip, a .pose file, a .skels file with its line number). The motion keeps its "
            "own frame rate and is fitted to the signer's body."
        )
        with gr.Row():
            c["anim_source"] = gr.Video(label="Record or upload a video",
                                        sources=["upload", "webcam"], elem_id="anim-video")
            with gr.Column():
                c["anim_keypoints"] = gr.File(label="…or a keypoint file",
                                              file_types=KEYPOINT_FILES, elem_id="anim-keypoints")
                c["anim_line"] = gr.Number(value=1, precision=0, minimum=1,
                                           label="Line of a .skels file", elem_id="anim-line")
        with gr.Row(equal_height=True):
            c["anim_signer"] = gr.Dropdown(signers, value=signers[0], label="Signer",
                                           elem_id="anim-signer")
            c["anim_p2v"] = gr.Radio(pose2video, value=pose2video[0][1], label="Pose → video",
                                     elem_id="anim-p2v")
            c["anim_go"] = gr.Button("Animate", variant="primary", elem_id="anim-go")
        c["anim_status"] = gr.HTML("", elem_id="anim-status")
        c["anim_video"] = gr.Video(label="Skeleton | signer (download from the player)",
                                   autoplay=True, loop=True, elem_id="anim-result")
    return c
