"""Speed of the gloss stage: Kiwi load time, then per-sentence analysis time.

    python -m benchmarks.gloss_speed [--repeats 20]

Prints a table of median / p95 / max milliseconds per sentence over the example transit
sentences (``sign_pipeline.gloss.examples``, 60+), each analysed ``--repeats`` times after a
warm-up, per topic and overall, plus worst-case inputs (300 characters), then all of them
again against a backend's vocabulary (``text_to_gloss(s, vocabulary=...)``: the built-in
inventory as the shipped lexicon knows it, and a smaller one with glosses of its own), and the
one-off cost of a new vocabulary (its analyser is built once and cached). Target: under 5 ms
per sentence after the first.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

from sign_pipeline.gloss import GlossError, get_kiwi, kiwi_load_seconds, text_to_gloss
from sign_pipeline.gloss.examples import ALL_EXAMPLES, EXAMPLES
from sign_pipeline.inventory import finger_alphabet, load_inventory

WORST_CASES = {
    "300 chars, nouns": ("지하철 버스 택시 기차 " * 25)[:300],
    "300 chars, unknown Hangul": ("뷁쀍갂 " * 75)[:300],
    "300 chars, mixed": ("KTX 3호선 1,250원 😀 <b>명동역</b> " * 12)[:300],
    "300 chars, numbers": ("1,234,567원 " * 30)[:300],
}


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[k]


def _time(sentences: list[str], repeats: int, vocabulary: set[str] | None = None) -> list[float]:
    out = []
    for _ in range(repeats):
        for s in sentences:
            t0 = time.perf_counter()
            try:
                text_to_gloss(s, vocabulary=vocabulary)
            except GlossError:  # nothing loaded to sign it: as much work as a result
                pass
            out.append((time.perf_counter() - t0) * 1000)
    return out


def _vocabularies() -> dict[str, set[str]]:
    """A backend's gloss set as ``known_glosses()`` returns it (a new set object per call)."""
    inventory = set(load_inventory())
    small = set(list(inventory)[::2]) | set(finger_alphabet()) | {"쥐", "이거", "1회", "여기로"}
    return {"vocabulary: inventory": inventory, "vocabulary: half + data": small}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20, help="times each sentence is analysed")
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    get_kiwi()
    load = kiwi_load_seconds() or (time.perf_counter() - t0)
    t0 = time.perf_counter()
    text_to_gloss(ALL_EXAMPLES[0])
    first = (time.perf_counter() - t0) * 1000
    for s in ALL_EXAMPLES:  # warm-up
        text_to_gloss(s)

    print(f"gloss stage speed  ({platform.python_version()}, {platform.machine()})")
    print(f"Kiwi load:            {load * 1000:8.1f} ms (once per process)")
    print(f"first sentence:       {first:8.2f} ms (after the load)")
    print()
    header = f"{'set':<28}{'sentences':>10}{'calls':>8}{'median ms':>11}{'p95 ms':>9}{'max ms':>9}"
    print(header)
    print("-" * len(header))
    rows = [(topic, sentences) for topic, sentences in EXAMPLES.items()]
    rows.append(("ALL", ALL_EXAMPLES))
    for name, sentences in rows:
        times = _time(sentences, args.repeats)
        print(
            f"{name:<28}{len(sentences):>10}{len(times):>8}{statistics.median(times):>11.3f}"
            f"{_percentile(times, 0.95):>9.3f}{max(times):>9.3f}"
        )
    print("-" * len(header))
    for name, text in WORST_CASES.items():
        times = _time([text], max(3, args.repeats // 4))
        print(
            f"{name:<28}{1:>10}{len(times):>8}{statistics.median(times):>11.3f}"
            f"{_percentile(times, 0.95):>9.3f}{max(times):>9.3f}"
        )
    print("-" * len(header))
    for name, vocabulary in _vocabularies().items():
        t0 = time.perf_counter()
        text_to_gloss(ALL_EXAMPLES[0], vocabulary=set(vocabulary))  # builds its analyser
        build = (time.perf_counter() - t0) * 1000
        times = _time(ALL_EXAMPLES, args.repeats, vocabulary)
        print(
            f"{name:<28}{len(ALL_EXAMPLES):>10}{len(times):>8}{statistics.median(times):>11.3f}"
            f"{_percentile(times, 0.95):>9.3f}{max(times):>9.3f}"
            f"   (first call {build:.1f} ms)"
        )


if __name__ == "__main__":
    main()
