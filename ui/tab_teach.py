"""The "Teach a sign" tab, layout only: record or upload one sign, name it, see it on a
signer, save it; the taught signs with play / rename / delete, export and import."""

from __future__ import annotations

import gradio as gr

from ui.handlers import PageHandlers
from ui.teaching import KEYPOINT_FILES, TABLE_HEADERS

TITLE = "Teach a sign"
#: The inputs of :meth:`PageHandlers.teach_preview` and ``teach_save``, in their order.
PREVIEW_INPUTS = ("teach_source", "teach_keypoints", "teach_word", "teach_signer")
SAVE_INPUTS = ("teach_source", "teach_keypoints", "teach_word", "teach_replace")
OUTPUTS = ("teach_status", "teach_video", "signs_table", "sign_pick", "signs_status",
           "signs_video", "signs_file")  # fmt: skip


def layout(handlers: PageHandlers) -> dict[str, gr.components.Component]:
    """Lay the tab out (inside ``gr.Blocks``); its components by name."""
    signers = handlers.signer_labels()
    words = sorted(handlers.pipe.signs.glosses())
    c: dict[str, gr.components.Component] = {}
    with gr.Tab(TITLE, elem_id="tab-teach"):
        gr.Markdown(
            "Record one sign (a Deaf colleague, an interpreter) and give it its word: from "
            "then on every sentence with that word is signed with **your** sign, by every "
            "signer and model. Start and end with the hands down; the still parts are cut. "
            f"Taught signs are kept in `{handlers.pipe.signs.folder}`."
        )
        with gr.Row():
            c["teach_source"] = gr.Video(label="Record or upload the sign",
                                         sources=["upload", "webcam"], elem_id="teach-video")
            c["teach_keypoints"] = gr.File(label="…or a keypoint file (.pose, .zip of OpenPose "
                                           "JSON frames)", file_types=KEYPOINT_FILES,
                                           elem_id="teach-keypoints")  # fmt: skip
        with gr.Row(equal_height=True):
            c["teach_word"] = gr.Textbox(label="The word it means (one word, e.g. 광화문)",
                                         max_lines=1, scale=3, elem_id="teach-word")
            c["teach_signer"] = gr.Dropdown(signers, value=signers[0], label="Show it on",
                                            scale=2, elem_id="teach-signer")  # fmt: skip
            c["teach_replace"] = gr.Checkbox(
                label="If the word already has a sign (built-in placeholder or taught), use "
                      "mine instead", elem_id="teach-replace", scale=2)  # fmt: skip
        with gr.Row():
            c["teach_preview_btn"] = gr.Button("See it", elem_id="teach-preview")
            c["teach_save_btn"] = gr.Button("Save the sign", variant="primary",
                                            elem_id="teach-save")
        c["teach_status"] = gr.HTML("", elem_id="teach-status")
        c["teach_video"] = gr.Video(label="Skeleton | signer", autoplay=True, loop=True,
                                    elem_id="teach-preview-video")
        gr.Markdown("### Taught signs")
        c["signs_table"] = gr.Dataframe(handlers.signs_table(), headers=TABLE_HEADERS,
                                        interactive=False, elem_id="signs-table")
        with gr.Row(equal_height=True):
            c["sign_pick"] = gr.Dropdown(words, value=words[0] if words else None,
                                         label="Taught sign", elem_id="sign-pick")
            c["sign_play_btn"] = gr.Button("Play", elem_id="sign-play")
            c["sign_new_name"] = gr.Textbox(label="New word", max_lines=1, elem_id="sign-new")
            c["sign_rename_btn"] = gr.Button("Rename", elem_id="sign-rename")
            c["sign_remove_btn"] = gr.Button("Delete", variant="stop", elem_id="sign-remove")
        c["signs_status"] = gr.HTML("", elem_id="signs-status")
        c["signs_video"] = gr.Video(label="The taught sign", autoplay=True, loop=True,
                                    elem_id="signs-video")
        with gr.Row():
            c["signs_export_btn"] = gr.Button("Export all (zip)", elem_id="signs-export")
            c["signs_file"] = gr.File(label="Export", visible=False, elem_id="signs-file")
            c["signs_import"] = gr.File(label="Import an export (.zip)", file_types=[".zip"],
                                        elem_id="signs-import")
            c["signs_import_replace"] = gr.Checkbox(label="Imported signs replace taught ones",
                                                    elem_id="signs-import-replace")
            c["signs_import_btn"] = gr.Button("Import", elem_id="signs-import-btn")
    return c
