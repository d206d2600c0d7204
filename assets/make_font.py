"""Make ``assets/NanumGothic-subset.woff2``, the Korean font the page serves.

    python -m assets.make_font [--out FILE] [--force]

koreanize-matplotlib's NanumGothic.ttf carries empty VTT source tables (TSI0-TSI5) that
browsers refuse ("OTS parsing error: TSI3: zero-length table"). This keeps Latin,
punctuation, Hangul jamo and every Hangul syllable, drops those tables and the hinting, and
writes WOFF2 (about 240 KB), so the page shows Korean with no font on the viewer's machine.

The output is the same bytes every time (the font's "modified" date is fixed, not today's),
so a run with the pinned requirements rewrites the committed file unchanged. A file that
would change (other fontTools or brotli versions) is only overwritten with ``--force``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

from sign_pipeline.render import korean_font_path

OUT = Path(__file__).resolve().parent / "NanumGothic-subset.woff2"
UNICODES = [
    *range(0x20, 0x7F), *range(0xA0, 0x100), *range(0x1100, 0x1200), *range(0x2000, 0x2070),
    *range(0x3000, 0x3040), *range(0x3130, 0x3190), *range(0xAC00, 0xD7A4),
    0x2190, 0x2192, 0x25CF, 0x26A0,
]  # fmt: skip
#: The ``head.modified`` date written into the font (seconds since 1904, as OpenType counts):
#: the date the committed file was first made, kept so that remaking it changes no byte.
MODIFIED = 3878801732


def make_font(out: Path) -> Path:
    """Write the WOFF2 subset to ``out`` (the same bytes on every run)."""
    opts = subset.Options()
    opts.flavor = "woff2"
    opts.hinting = False
    opts.drop_tables += ["TSI0", "TSI1", "TSI2", "TSI3", "TSI5", "DSIG"]
    opts.layout_features = ["*"]
    opts.name_IDs = ["*"]
    font = TTFont(str(korean_font_path()), recalcTimestamp=False)
    font["head"].modified = MODIFIED
    sub = subset.Subsetter(opts)
    sub.populate(unicodes=UNICODES)
    sub.subset(font)
    subset.save_font(font, str(out), opts)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m assets.make_font",
                                 description=__doc__.split("\n")[0])  # fmt: skip
    ap.add_argument("--out", type=Path, default=OUT, help=f"the WOFF2 to write (default: {OUT})")
    ap.add_argument("--force", action="store_true",
                    help="overwrite an existing file even when the new bytes differ")
    args = ap.parse_args(argv)
    out: Path = args.out
    if out.suffix.lower() != ".woff2" or out.is_dir():
        ap.error(f"--out {out}: name the font file to write (*.woff2)")
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        new = make_font(Path(tmp) / out.name).read_bytes()
    if out.is_file() and out.read_bytes() == new:
        print(f"{out} is up to date ({len(new) // 1024} KB, same bytes)")
        return 0
    if out.exists() and not args.force:
        print(f"error: {out} exists and the new font differs from it (other fontTools or "
              "brotli versions?); nothing was written; --force overwrites it", file=sys.stderr)
        return 2
    out.write_bytes(new)
    print(f"wrote {out} ({len(new) // 1024} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
