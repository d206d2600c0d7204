"""The "Compare models" tab, layout only: one sentence on every chosen backend pair, the
videos side by side, a table of figures and the measured quality of each model."""

from __future__ import annotations

import gradio as gr

from sign_pipeline import compare as cmp
from sign_pipeline.gloss.examples import SHOWCASE as EXAMPLES
from ui import html as page_html
from ui.handlers import PageHandlers

TITLE = "Compare models"
#: The inputs of :meth:`PageHandlers.run_compare_page`, in its order.
INPUTS = ("cmp_text", "cmp_pairs", "cmp_signer", "cmp_speed")
#: The outputs its updates name.
OUTPUTS = ("cmp_status", "cmp_grid", "cmp_table", "cmp_tiled")


def layout(handlers: PageHandlers) -> dict[str, gr.components.Component]:
    """Lay the tab out (inside ``gr.Blocks``); its components by name."""
    pair_labels = [cmp.pair_label(*p) for p in handlers.pairs]
    signers = handlers.compare_signer_labels() or handlers.signer_labels()
    c: dict[str, gr.components.Component] = {}
    with gr.Tab(TITLE, elem_id="tab-compare"):
        gr.Markdown(
            "One sentence signed by every chosen text-to-pose × pose-to-video pair; the "
            "videos start together. Figures per pair below; measured quality of each "
            "model (test split) under *About the models*."
        )
        with gr.Row(equal_height=True):
            c["cmp_text"] = gr.Textbox(label="Korean sentence / 문장", value=EXAMPLES[0], lines=1,
                                       max_lines=4, scale=5, elem_id="cmp-sentence")  # fmt: skip
            c["cmp_go"] = gr.Button("Compare", variant="primary", scale=1, elem_id="cmp-go")
        with gr.Row():
            c["cmp_pairs"] = gr.CheckboxGroup(pair_labels, value=pair_labels,
                                              label="Pairs (text → pose + pose → video)",
                                              elem_id="cmp-pairs")  # fmt: skip
            c["cmp_signer"] = gr.Dropdown(signers, value=signers[0], label="Signer",
                                          elem_id="cmp-signer")  # fmt: skip
            c["cmp_speed"] = gr.Slider(0.5, 2.0, value=1.0, step=0.1, label="Speed",
                                       elem_id="cmp-speed")  # fmt: skip
        c["cmp_status"] = gr.HTML("", elem_id="cmp-status")
        c["cmp_grid"] = gr.HTML("", elem_id="cmp-grid")
        c["cmp_table"] = gr.HTML("", elem_id="cmp-table")
        c["cmp_tiled"] = gr.File(label="The whole comparison as one mp4", visible=False,
                                 elem_id="cmp-tiled")  # fmt: skip
        with gr.Accordion("About the models (measured on the test split)", open=True):
            gr.HTML(page_html.about_models_html(handlers.evaluation), elem_id="about-models")
    return c
