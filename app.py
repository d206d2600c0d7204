"""Gradio page: type a Korean transit sentence, see its glosses and the signing; compare models.

``python app.py`` serves on 127.0.0.1:7860 (``--host 0.0.0.0`` opens it to the network,
``--port``, ``--checkpoints``, ``--data`` for the compare view's reference clips). The page
itself is the package :mod:`ui`; it only talks to
:class:`sign_pipeline.pipeline.SignPipeline` and :mod:`sign_pipeline.compare`. API
endpoints: ``translate`` (the sentence alone; every other input has a default) and
``compare`` (the sentence on several backend pairs).

Nothing heavy is imported at the top: the signing worker processes (spawned) run this file
again as ``__mp_main__``, and must not load gradio (~1 GB each).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from ui.serving import CONCURRENCY, KEEP_RUNS, WORK_SLOTS  # no gradio in there

ROOT = Path(__file__).resolve().parent


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    ap = argparse.ArgumentParser(description="KSL transit signing demo")
    ap.add_argument("--host", default="127.0.0.1",
                    help="address to serve on (0.0.0.0 opens it to the network)")  # fmt: skip
    ap.add_argument("--port", type=int, default=7860)
    ap.add_argument(
        "--checkpoints",
        default=None,
        help="checkpoint folder (default: $KSL_CHECKPOINTS or the shipped checkpoints/)",
    )
    ap.add_argument(
        "--data",
        default=None,
        help="prepared corpus folder (training.prepare) for the compare view's DTW column "
        "(default: data/prepared when it exists)",
    )
    ap.add_argument(
        "--signs",
        default=None,
        help="folder of taught signs (default: $KSL_SIGNS or your user data folder)",
    )
    ap.add_argument(
        "--processes",
        type=int,
        default=WORK_SLOTS,
        help="worker processes signing translate (API) requests (0: threads of the server)",
    )
    ap.add_argument(
        "--cache",
        type=int,
        default=KEEP_RUNS // 2,
        help=f"translate answers kept and served again for the same input (0: none; at most "
        f"{KEEP_RUNS // 2})",
    )
    args = ap.parse_args(argv)
    if args.processes < 0:
        ap.error(f"--processes must be 0 or more, got {args.processes}")
    if args.cache < 0:
        ap.error(f"--cache must be 0 or more, got {args.cache}")
    if args.data is not None and not Path(args.data).is_dir():
        ap.error(f"--data {args.data}: no such folder")
    return args


def main(argv: list[str] | None = None) -> int:
    """Parse flags, load the pipeline and serve the page until stopped."""
    args = parse_args(argv)
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    if args.signs is not None:  # the signing workers read the same folder
        os.environ["KSL_SIGNS"] = str(Path(args.signs).expanduser().resolve())
    from sign_pipeline.pipeline import PipelineError, SignPipeline

    data = args.data
    if data is None and (ROOT / "data" / "prepared" / "manifest.jsonl").is_file():
        data = ROOT / "data" / "prepared"
    from ui import page  # gradio: only in the server, never in a signing worker

    try:
        handlers = page.start(SignPipeline(checkpoints=args.checkpoints), data=data,
                              cache=args.cache, processes=args.processes)  # fmt: skip
    except PipelineError as exc:  # a checkpoint folder that is missing or lacks a backend
        print(f"app.py: error: {exc}", file=sys.stderr)
        return 2
    demo = page.build(handlers)
    print(f"serving on http://{args.host}:{args.port}/", flush=True)
    demo.queue(default_concurrency_limit=CONCURRENCY, max_size=128).launch(
        server_name=args.host, server_port=args.port, **page.launch_kwargs()
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
