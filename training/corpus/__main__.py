"""``python -m training.corpus --out DIR [--size small|full] [--seed N] ...``"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from training.corpus.generate import SIZES, add_videos, generate_corpus


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m training.corpus",
        description="Generate the synthetic demo corpus (AI Hub layout, placeholder sign forms).",
    )
    ap.add_argument("--out", required=True, help="output root folder")
    ap.add_argument(
        "--size",
        choices=sorted(SIZES),
        default="full",
        help="preset: small (seconds, for tests) or full (default)",
    )
    ap.add_argument("--sentences", type=int, default=None, help="number of sentences")
    ap.add_argument("--words", type=int, default=None, help="number of single-word clips")
    ap.add_argument("--signers", type=int, default=None, help="number of signers (1-4)")
    ap.add_argument("--mixed", type=int, default=0,
                    help="also this many random gloss sequences (no sentence; each signer signs "
                         "them all): extra training data for text-to-pose, never a corpus "
                         "sentence; prepare them apart with --dev-frac 0 --test-frac 0")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--no-video", action="store_true", help="skip rendering the mp4 files")
    ap.add_argument("--quiet", action="store_true", help="no progress bar")
    ap.add_argument("--add-video", action="store_true",
                    help="render the mp4s of an existing --no-video corpus in --out")
    ap.add_argument("--every", type=int, default=1,
                    help="with --add-video: every N-th clip only (each signer gets its share)")
    args = ap.parse_args(argv)
    if args.add_video:
        if not (Path(args.out) / "corpus.json").is_file():
            print(f"error: --add-video: {args.out} is not a corpus made by python -m "
                  "training.corpus (no corpus.json in it)", file=sys.stderr)  # fmt: skip
            return 2
        n = add_videos(args.out, args.every, args.workers, progress=not args.quiet)
        print(f"wrote {n} videos to {args.out}/video")
        return 0
    out = Path(args.out)
    mine = ("corpus.json", "keypoints", "morpheme")  # a corpus, or one cut short
    if out.is_dir() and any(out.iterdir()) and not any((out / m).exists() for m in mine):
        print(f"error: --out {out}: the folder holds files the corpus generator did not write "
              "(no corpus.json); choose a new or empty folder", file=sys.stderr)  # fmt: skip
        return 2
    n_sent, n_words, n_signers = SIZES[args.size]
    if not 0 <= args.mixed <= 4998:
        print(f"error: --mixed {args.mixed}: choose 0 to 4998 random gloss sequences",
              file=sys.stderr)  # fmt: skip
        return 2
    if args.signers is not None and not 1 <= args.signers <= 4:
        print(f"error: --signers {args.signers}: the corpus has 1 to 4 signers", file=sys.stderr)
        return 2
    manifest = generate_corpus(
        args.out,
        seed=args.seed,
        sentences=args.sentences if args.sentences is not None else n_sent,
        words=args.words if args.words is not None else n_words,
        signers=args.signers if args.signers is not None else n_signers,
        video=not args.no_video,
        workers=args.workers,
        progress=not args.quiet,
        mixed=args.mixed,
    )
    print(
        f"wrote {manifest['n_clips']} clips ({manifest['n_frames']} frames) to {args.out} "
        f"in {manifest['seconds']} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
