"""Agreement of the gloss stage with the demo corpus's hand-written gloss sequences.

    python -m benchmarks.gloss_agreement [--show N] [--scenario NAME]

For every sentence of ``training.corpus.sentences`` the stage's glosses
(``text_to_gloss(text).glosses``) are compared with the corpus glosses, ignoring a trailing
``?``. Prints the overall exact-agreement percentage, a per-scenario table (sentences,
exact agreements, %, fingerspelled words, sentences with any fingerspelling), the distribution
of fingerspelled words per sentence, the words left unsigned, and the first ``--show`` disagreements (corpus vs stage).
"""

from __future__ import annotations

import argparse
import unicodedata
from collections import Counter
from dataclasses import dataclass

from sign_pipeline.gloss import GlossError, text_to_gloss
from training.corpus.sentences import all_sentences


@dataclass(frozen=True)
class Row:
    """One corpus sentence compared with the stage's output."""

    index: int
    scenario: str
    text: str
    expected: tuple[str, ...]
    got: tuple[str, ...]
    spelled: tuple[str, ...]
    skipped: tuple[str, ...] = ()

    @property
    def agrees(self) -> bool:
        return self.expected == self.got


def _strip_q(glosses: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    out = list(glosses)
    if out and out[-1].endswith("?") and len(out[-1]) > 1:
        out[-1] = out[-1][:-1]
    return tuple(out)


def _pad(text: str, width: int) -> str:
    """``text`` left-aligned in ``width`` terminal columns (Hangul takes two)."""
    cols = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(0, width - cols)


def compare() -> list[Row]:
    """One ``Row`` per corpus sentence, in corpus order."""
    rows = []
    for i, sent in enumerate(all_sentences(), 1):
        try:
            r = text_to_gloss(sent.text)
            got, spelled = tuple(r.glosses), tuple(r.fingerspelled_words())
            skipped = tuple(s.text for s in r.skipped)
        except GlossError:
            got, spelled, skipped = (), (), ()
        rows.append(
            Row(
                i,
                sent.scenario,
                sent.text,
                _strip_q(sent.glosses),
                _strip_q(got),
                spelled,
                skipped,
            )
        )
    return rows


def agreement(rows: list[Row]) -> float:
    """Exact agreement in percent."""
    return 100.0 * sum(r.agrees for r in rows) / len(rows) if rows else 0.0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", type=int, default=0, help="list the first N disagreements")
    parser.add_argument("--scenario", default=None, help="only this scenario")
    args = parser.parse_args(argv)

    rows = compare()
    if args.scenario:
        rows = [r for r in rows if r.scenario == args.scenario]
    agree = sum(r.agrees for r in rows)
    print(f"gloss agreement with the corpus: {agree}/{len(rows)} = {agreement(rows):.1f}% exact")
    print()
    header = f"{'scenario':<16}{'sents':>6}{'exact':>6}{'%':>7}{'spelled words':>15}{'sents w/ spell':>16}"
    print(header)
    print("-" * len(header))
    by: dict[str, list[Row]] = {}
    for r in rows:
        by.setdefault(r.scenario, []).append(r)
    for name, rs in by.items():
        spelled = sum(len(r.spelled) for r in rs)
        with_spell = sum(bool(r.spelled) for r in rs)
        print(
            f"{_pad(name, 16)}{len(rs):>6}{sum(r.agrees for r in rs):>6}{agreement(rs):>7.1f}"
            f"{spelled:>15}{with_spell:>16}"
        )
    print("-" * len(header))
    dist = Counter(len(r.spelled) for r in rows)
    print(
        "fingerspelled words per sentence: "
        + ", ".join(f"{k}: {dist[k]} sentences" for k in sorted(dist))
    )
    words = Counter(w for r in rows for w in r.spelled)
    if words:
        print("fingerspelled: " + ", ".join(f"{w} ×{n}" for w, n in words.most_common(20)))
    skipped = Counter(w for r in rows for w in r.skipped)
    if skipped:
        print("not signed: " + ", ".join(f"{w} ×{n}" for w, n in skipped.most_common(20)))
    if args.show:
        print()
        shown = [r for r in rows if not r.agrees][: args.show]
        for r in shown:
            print(f"{r.index:04d} [{r.scenario}] {r.text}")
            print(f"     corpus: {' '.join(r.expected)}")
            print(f"     stage:  {' '.join(r.got)}")


if __name__ == "__main__":
    main()
