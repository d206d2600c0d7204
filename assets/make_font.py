"""Make ``assets/NanumGothic-subset.woff2``, the Korean font the page serves.

    python -m assets.make_font

koreanize-matplotlib's NanumGothic.ttf carries empty VTT source tables (TSI0-TSI5) that
browsers refuse ("OTS parsing error: TSI3: zero-length table"). This keeps Latin,
punctuation, Hangul jamo and every Hangul syllable, drops those tables and the hinting, and
writes WOFF2 (about 240 KB), so the page shows Korean with no font on the viewer's machine.
"""

from __future__ import annotations

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


def main() -> None:
    opts = subset.Options()
    opts.flavor = "woff2"
    opts.hinting = False
    opts.drop_tables += ["TSI0", "TSI1", "TSI2", "TSI3", "TSI5", "DSIG"]
    opts.layout_features = ["*"]
    opts.name_IDs = ["*"]
    font = TTFont(str(korean_font_path()))
    sub = subset.Subsetter(opts)
    sub.populate(unicodes=UNICODES)
    sub.subset(font)
    subset.save_font(font, str(OUT), opts)
    print(f"wrote {OUT} ({OUT.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
