"""Teach the app real signs: python -m sign_pipeline.signs add VIDEO --gloss WORD.

  add SOURCE --gloss WORD [--replace]   a video (mp4, webm, mov, avi, mkv), a .pose file or
                                        a folder of OpenPose JSON frames of one sign
  list [--json]                         the taught signs
  remove WORD / rename OLD NEW          forget a sign / give it another word
  export FILE.zip / import FILE.zip     share the taught signs with another machine

Every command takes --signs DIR (default: $KSL_SIGNS or the user's data folder).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict

from .store import TaughtSigns
from .teach import TeachError


def builtin_glosses() -> set[str]:
    """The glosses that have a built-in placeholder sign (taught over only with --replace)."""
    from ..inventory import load_inventory

    return set(load_inventory())


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m sign_pipeline.signs",
                                 description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n", 2)[2])  # fmt: skip
    ap.add_argument("--signs", default=None, help="folder of taught signs")
    sub = ap.add_subparsers(dest="command", required=True)
    add = sub.add_parser("add", help="teach a sign from a recording")
    add.add_argument("source", help="video, .pose file or folder of OpenPose JSON frames")
    add.add_argument("--gloss", required=True, help="the word it means, e.g. 서울역")
    add.add_argument("--replace", action="store_true",
                     help="replace a taught sign, or the built-in placeholder, of this word")
    add.add_argument("--fps", type=float, default=30.0,
                     help="frame rate of an OpenPose JSON folder (files carry their own)")
    lst = sub.add_parser("list", help="the taught signs")
    lst.add_argument("--json", action="store_true")
    rm = sub.add_parser("remove", help="forget a taught sign")
    rm.add_argument("gloss")
    mv = sub.add_parser("rename", help="give a taught sign another word")
    mv.add_argument("old")
    mv.add_argument("new")
    ex = sub.add_parser("export", help="every taught sign into one zip")
    ex.add_argument("file")
    im = sub.add_parser("import", help="add the signs of an export")
    im.add_argument("file")
    im.add_argument("--replace", action="store_true", help="take imported signs over taught ones")
    for p in (add, lst, rm, mv, ex, im):  # also accepted after the command
        p.add_argument("--signs", default=argparse.SUPPRESS, help="folder of taught signs")
    return ap


def _run(args: argparse.Namespace) -> str:
    store = TaughtSigns(args.signs)
    if args.command == "add":
        e = store.add(args.source, args.gloss, args.replace, builtin_glosses(), args.fps)
        over = " (replaces the built-in placeholder)" if e.replaces_builtin else ""
        return f"taught {e.gloss}: {e.frames} frames, {e.seconds:.2f} s from {e.source}{over}"
    if args.command == "list":
        entries = store.entries()
        if args.json:
            return json.dumps([asdict(e) for e in entries], ensure_ascii=False, indent=1)
        if not entries:
            return f"no taught signs in {store.folder}"
        rows = [f"{e.gloss}\t{e.seconds:.2f} s\t{e.source}\t{e.date}" for e in entries]
        return f"{len(entries)} taught signs in {store.folder}:\n" + "\n".join(rows)
    if args.command == "remove":
        return f"removed {store.remove(args.gloss).gloss}"
    if args.command == "rename":
        return f"renamed {args.old} -> {store.rename(args.old, args.new).gloss}"
    if args.command == "export":
        return f"exported {store.export(args.file)} signs to {args.file}"
    added = store.import_zip(args.file, args.replace)
    return f"imported {len(added)} signs: {', '.join(e.gloss for e in added)}"


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        print(_run(args))
    except (TeachError, OSError) as exc:  # a message and exit code 2, never a traceback
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
