"""Command line: ``python -m sign_pipeline.gloss "문장"`` prints the glosses.

``--json`` prints the whole result object. With ``-``, or no sentence and standard input
piped in, every line of standard input is one sentence (no sentence at a terminal prints the
usage instead of waiting), and one line of output (one JSON object with ``--json``) is written per
input line; a line that cannot be signed gives ``{"text": ..., "error": ...}`` (or ``! message``
without ``--json``). Exit status 1 if any input could not be signed. The shipped gloss memory (the checkpoint
folder's ``gloss_memory.json``, as the app uses it) applies unless ``--rules-only``; ``--memory
FILE`` names another.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sign_pipeline.gloss import GlossError, GlossMemory, load_memory, text_to_gloss


def _one(text: str, as_json: bool, memory: GlossMemory | None = None) -> tuple[str, bool]:
    try:
        result = text_to_gloss(text, memory=memory)
    except GlossError as err:
        if as_json:
            return json.dumps({"text": text, "error": str(err)}, ensure_ascii=False), False
        return f"! {err}", False
    return (result.to_json() if as_json else result.gloss_text), True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sign_pipeline.gloss", description="Korean text -> sign glosses."
    )
    parser.add_argument("text", nargs="?", default=None, help='a sentence, or "-" for stdin lines')
    parser.add_argument("--json", action="store_true", help="print the whole result as JSON")
    parser.add_argument("--memory", type=Path, default=None,
                        help="a gloss memory file (default: the checkpoint folder's)")  # fmt: skip
    parser.add_argument("--rules-only", action="store_true", help="no gloss memory")
    args = parser.parse_args(argv)
    from sign_pipeline.registry import CHECKPOINTS

    try:
        memory = (None if args.rules_only else GlossMemory.load(args.memory) if args.memory
                  else load_memory(CHECKPOINTS))  # fmt: skip
    except ValueError as exc:
        parser.error(str(exc))
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8")
    ok_all = True
    if args.text is None and sys.stdin.isatty():  # nothing piped in: say how, do not wait
        parser.print_usage(sys.stderr)
        print('give a sentence, e.g. python -m sign_pipeline.gloss "화장실이 어디예요?", or pipe '
              "lines in (then one sentence per line)", file=sys.stderr)  # fmt: skip
        return 2
    if args.text is not None and args.text != "-":
        line, ok = _one(args.text, args.json, memory)
        print(line, file=sys.stdout if ok or args.json else sys.stderr)
        return 0 if ok else 1
    if hasattr(sys.stdin, "reconfigure"):
        sys.stdin.reconfigure(encoding="utf-8", errors="replace")
    for raw in sys.stdin:
        line, ok = _one(raw.rstrip("\r\n"), args.json, memory)
        print(line, flush=True)
        ok_all &= ok
    return 0 if ok_all else 1


if __name__ == "__main__":
    sys.exit(main())
