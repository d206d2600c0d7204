"""The page: the tabs laid out (one module each), wired to the handlers, with the page's
own CSS, script and help text from ``ui/static`` and ``ui/help``.

A new tab is a module ``ui/tab_NAME.py`` with ``TITLE`` and ``layout(handlers)`` returning
its components by name, handler methods on :class:`~ui.handlers.PageHandlers` that yield
updates keyed by those names, a ``wire_NAME`` function here, and an entry in :data:`TABS`.
"""

from __future__ import annotations

import functools
import html
import inspect
import threading
import time
import typing
from collections.abc import Callable
from pathlib import Path

import gradio as gr

from sign_pipeline import compare as cmp
from sign_pipeline import registry
from sign_pipeline.pipeline import SignPipeline
from ui import tab_animate, tab_compare, tab_sign, tab_teach
from ui.handlers import PageHandlers
from ui.serving import CONCURRENCY, DELETE_CACHE, KEEP_RUNS, OUT_ROOT, first_piece

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
#: Served to the browser: Korean shows with no font installed on the viewer's machine.
FONT = registry.shipped("assets/NanumGothic-subset.woff2")
CSS_FILE = HERE / "static" / "page.css"
JS_FILE = HERE / "static" / "page.js"
TRAINING_HELP = HERE / "help" / "training.md"
#: Requests of the sentence tab share one queue; comparisons run one at a time in another.
LIGHT = {"concurrency_id": "light", "concurrency_limit": CONCURRENCY}
HEAVY = {"concurrency_id": "compare", "concurrency_limit": 1}

Components = dict[str, gr.components.Component]


def start(pipe: SignPipeline, data: str | Path | None = None, cache: int = KEEP_RUNS // 2,
          processes: int = 0) -> PageHandlers:  # fmt: skip
    """Load what the page needs, saying so: the default backends (a PipelineError when the
    checkpoints lack one), ``processes`` > 0 signing workers for the API (0: the server's
    threads), ``data``'s reference clips for the compare view's DTW column, the
    evaluation results."""
    print(f"loading the gloss stage and the default backends from {pipe.checkpoints} …",
          flush=True)  # fmt: skip
    t0 = time.perf_counter()
    pipe.warm_up()
    print(f"  loaded in {time.perf_counter() - t0:.1f} s", flush=True)
    workers = None
    if processes > 0:
        from sign_pipeline.workers import SigningProcesses

        print(f"starting {processes} signing processes for the API …", flush=True)
        workers = SigningProcesses(pipe.checkpoints, processes)
        workers.warm_up()
    names = {s: [registry.label(s, n) for n in registry.available(s, pipe.checkpoints)]
             for s in ("text2pose", "pose2video")}  # fmt: skip
    print(f"  text-to-pose: {', '.join(names['text2pose'])}; pose-to-video: "
          f"{', '.join(names['pose2video'])}; {len(pipe.signers())} signers", flush=True)
    print(f"  taught signs: {len(pipe.signs)} in {pipe.signs.folder}", flush=True)
    references = None
    if data is not None:
        try:
            references = cmp.References(data)
            print(f"  reference clips for the compare view: {data} "
                  f"({len(references.by_sentence)} sentences)", flush=True)  # fmt: skip
        except (OSError, ValueError) as exc:
            print(f"  no reference clips ({exc}): the DTW column shows n/a", flush=True)
    # after the workers have started, so the timing is not taken while they load
    threading.Thread(target=prepare_renderers, args=(pipe,), daemon=True).start()
    return PageHandlers(pipe, cache=cache, workers=workers, references=references,
                        evaluation=cmp.load_evaluation())  # fmt: skip


def prepare_renderers(pipe: SignPipeline) -> None:
    """In the background after start: the GAN signers loaded, converted for the inference
    runtime and timed here (real time or faster: the first piece drawn plays at once; slower:
    once enough is drawn that the player never waits), saying so. Every clip drawn later
    updates the timing (the median of the last five)."""
    t0 = time.perf_counter()
    try:
        speeds = pipe.prepare_renderers()
    except Exception as exc:  # noqa: BLE001 - the page works without it (streams the GANs)
        print(f"  could not time the GAN signers ({type(exc).__name__}: {exc}); they stream",
              flush=True)  # fmt: skip
        return
    for name, (how, ms) in speeds.items():
        share = first_piece(1000, ms, 30.0) / 10
        plays = ("keeps up: plays from the first piece drawn" if ms <= 1000 / 30 else
                 f"slower than real time: plays once {share:.0f}% of a clip is drawn")  # fmt: skip
        print(f"  {registry.label('pose2video', name)}: {how}, {ms:.1f} ms a frame ({plays})",
              flush=True)  # fmt: skip
    print(f"  signers ready in {time.perf_counter() - t0:.1f} s", flush=True)


def bind(handler: Callable, names: typing.Sequence[str], components: Components):
    """``handler``'s updates (keyed by output name) turned into gradio's (keyed by
    component), and the output components, for an event."""
    outputs = [components[n] for n in names]

    @functools.wraps(handler)
    def event(*args):
        for update in handler(*args):
            yield {components[name]: value for name, value in update.items()}

    event.__signature__ = inspect.signature(handler)
    return event, outputs


def typed(fn: Callable) -> Callable:
    """``fn`` with its return annotation resolved: gradio's API docs read it from the
    signature, where ``from __future__ import annotations`` leaves a string ("Any")."""
    fn.__annotations__["return"] = typing.get_type_hints(fn)["return"]
    return fn


def notice(handlers: PageHandlers) -> str:
    """What the signs are: placeholders of the demo corpus, or the data they came from."""
    about = handlers.pipe.about()
    if about["synthetic"]:
        return ('<p class="notice" id="notice">The signs shown are <b>placeholders</b> from a '
                "synthetic demo corpus, not validated Korean Sign Language. "
                '<a href="#training-on-real-data">Train on real data</a> (below).</p>')
    return (f'<p class="data-note" id="data-note">Signs from {html.escape(about["trained_on"])}'
            f" (checkpoints: {html.escape(str(handlers.pipe.checkpoints))}).</p>")


def wire_sign(handlers: PageHandlers, c: Components) -> None:
    """Enter, the button and an example sign the sentence; another signer signs it again;
    another backend offers the signers it knows."""
    run, outputs = bind(handlers.run_page, tab_sign.OUTPUTS, c)
    rerun, _ = bind(handlers.rerun_for_signer, tab_sign.OUTPUTS, c)
    inputs = [c[n] for n in tab_sign.INPUTS]
    # a click while a sentence is being signed runs once the current one is done
    for trigger in (c["go"].click, c["text"].submit):
        trigger(run, inputs, outputs, api_visibility="private", trigger_mode="always_last",
                scroll_to_output=True, **LIGHT)  # fmt: skip
    c["examples"].load_input_event.then(run, inputs, outputs, api_visibility="private",
                                        scroll_to_output=True, **LIGHT)  # fmt: skip
    c["signer"].change(rerun, inputs, outputs, api_visibility="private", **LIGHT)
    for radio in (c["text2pose"], c["pose2video"]):
        radio.change(handlers.signer_choices, [c["text2pose"], c["pose2video"], c["signer"]],
                     [c["signer"]], api_visibility="private")  # fmt: skip


def wire_compare(handlers: PageHandlers, c: Components) -> None:
    """The button and Enter compare; another signer compares again."""
    run, outputs = bind(handlers.run_compare_page, tab_compare.OUTPUTS, c)
    rerun, _ = bind(handlers.rerun_compare_for_signer, tab_compare.OUTPUTS, c)
    inputs = [c[n] for n in tab_compare.INPUTS]
    for trigger in (c["cmp_go"].click, c["cmp_text"].submit):
        trigger(run, inputs, outputs, api_visibility="private", trigger_mode="always_last",
                **HEAVY)  # fmt: skip
    c["cmp_signer"].change(rerun, inputs, outputs, api_visibility="private", **HEAVY)


def wire_teach(handlers: PageHandlers, c: Components) -> None:
    """See a recording as it would be saved, save it; play, rename, delete, export, import."""
    preview, outputs = bind(handlers.teach_preview, tab_teach.OUTPUTS, c)
    c["teach_preview_btn"].click(preview, [c[n] for n in tab_teach.PREVIEW_INPUTS], outputs,
                                 api_visibility="private", **LIGHT)  # fmt: skip
    for button, handler, inputs in (
        ("teach_save_btn", handlers.teach_save, tab_teach.SAVE_INPUTS),
        ("sign_play_btn", handlers.sign_play, ("sign_pick", "teach_signer")),
        ("sign_rename_btn", handlers.sign_rename, ("sign_pick", "sign_new_name")),
        ("sign_remove_btn", handlers.sign_remove, ("sign_pick",)),
        ("signs_export_btn", handlers.signs_export, ()),
        ("signs_import_btn", handlers.signs_import, ("signs_import", "signs_import_replace")),
    ):
        event, outputs = bind(_one(handler), tab_teach.OUTPUTS, c)
        c[button].click(event, [c[n] for n in inputs], outputs, api_visibility="private",
                        **LIGHT)  # fmt: skip


def wire_animate(handlers: PageHandlers, c: Components) -> None:
    """The button animates the recording or keypoint file."""
    run, outputs = bind(handlers.animate_page, tab_animate.OUTPUTS, c)
    c["anim_go"].click(run, [c[n] for n in tab_animate.INPUTS], outputs,
                       api_visibility="private", **LIGHT)  # fmt: skip


def _one(handler: Callable) -> Callable:
    """A handler that returns one update, as the generator :func:`bind` expects."""

    @functools.wraps(handler)
    def updates(*args):
        yield handler(*args)

    updates.__signature__ = inspect.signature(handler)
    return updates


#: The tabs in page order: (layout module, wiring).
TABS = [(tab_sign, wire_sign), (tab_teach, wire_teach), (tab_animate, wire_animate),
        (tab_compare, wire_compare)]


def build(handlers: PageHandlers) -> gr.Blocks:
    """The page: title, notice, the tabs, the training help, and the API endpoints
    ``translate`` and ``compare``."""
    with gr.Blocks(title="수어 생성 · KSL for transit", delete_cache=DELETE_CACHE) as demo:
        gr.Markdown("# 수어 생성 · Korean Sign Language for transit")
        gr.HTML(notice(handlers))
        for module, wire in TABS:
            wire(handlers, module.layout(handlers))
        with gr.Accordion("Training on real data", open=False, elem_id="training-on-real-data"):
            gr.Markdown(TRAINING_HELP.read_text(encoding="utf-8"))
        gr.api(typed(handlers.translate), api_name="translate", **LIGHT)
        gr.api(typed(handlers.compare), api_name="compare", **HEAVY)
    return demo


def launch_kwargs() -> dict:
    """Theme, CSS (with the served Korean font), script, and the folders files are served from."""
    theme = gr.themes.Default(
        font=[gr.themes.LocalFont("Source Sans Pro"), "KSLKorean", "sans-serif"],
        font_mono=[gr.themes.LocalFont("IBM Plex Mono"), "ui-monospace", "KSLKorean",
                   "monospace"],
    )  # fmt: skip
    font_face = (f"@font-face {{ font-family: 'KSLKorean'; src: url('/gradio_api/file={FONT}') "
                 "format('woff2'); font-display: swap; }\n")  # fmt: skip
    return {
        "css": font_face + CSS_FILE.read_text(encoding="utf-8"),
        "head": f"<script>\n{JS_FILE.read_text(encoding='utf-8')}</script>\n",
        "theme": theme,
        "allowed_paths": [str(FONT), str(OUT_ROOT)],
    }
