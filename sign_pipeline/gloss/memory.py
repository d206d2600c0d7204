"""A gloss memory: how a dataset glosses the sentence patterns the rules gloss otherwise.

The rules of the gloss stage write one gloss sequence per sentence; a dataset's annotators
often sign a pattern another way (a purpose marker left out, 몇 시간 as 시간 몇, a 여기 that
has no word). :func:`learn` compares the rules' glosses with the data's for every training
sentence and keeps, for each sentence whose glosses differ, an edit: which of the rules'
glosses the data keeps, in what order, and which glosses it adds. Sentences with the same
edit whose glosses differ only in kept glosses (the place, the number) become one pattern
with those positions open, so an unseen sentence of the same pattern (another bank, another
exit number) is glossed as the data glosses it. A pattern is kept open only if it glosses
every training sentence it matches as the data does; otherwise its sentences stay exact.

:meth:`GlossMemory.apply` edits a :class:`~.result.GlossResult`: the whole text first, else
sentence by sentence. Kept glosses keep their own source and place in the text; an added
gloss has the source ``"memory"`` and no surface of its own (the place of its neighbour).

    memory = GlossMemory.load("checkpoints/gloss_memory.json")
    result = memory.apply(text_to_gloss("은행에 가려면 몇 번 출구로 나가야 해요?"))
    result.glosses   # ['은행', '가다', '출구', '몇', '번'] (the rules: ... 목적 출구 나가다 몇 번)

``python -m training.build_gloss_memory`` writes one from a prepared folder's training split.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from sign_pipeline.gloss.result import GlossItem, GlossResult

#: the file a checkpoint folder holds its memory in
FILE_NAME = "gloss_memory.json"
FORMAT = "ksl-gloss-memory/1"
#: the source of a gloss the memory adds
SOURCE = "memory"

#: one step of an edit: an index into the rules' glosses (kept), or a gloss (added)
Step = int | str


def edit_script(rules: Sequence[str], data: Sequence[str]) -> tuple[Step, ...]:
    """The data's glosses as steps over the rules' glosses: each data gloss is the index of
    an unused equal rules gloss (the next one after the previous kept, else the first
    unused), or the gloss itself when the rules have none left."""
    used: set[int] = set()
    steps: list[Step] = []
    last = -1
    for gloss in data:
        free = [i for i, g in enumerate(rules) if g == gloss and i not in used]
        if not free:
            steps.append(gloss)
            continue
        after = [i for i in free if i > last]
        i = after[0] if after else free[0]
        used.add(i)
        steps.append(i)
        last = i
    return tuple(steps)


def run_script(glosses: Sequence[str], steps: Sequence[Step]) -> list[str]:
    """``glosses`` edited by ``steps``."""
    return [glosses[s] if isinstance(s, int) else s for s in steps]


@dataclass(frozen=True)
class Pattern:
    """Rules' glosses (None: an open position, any gloss) and the edit that gives the
    data's glosses; ``examples``: the training sentences it was learned from."""

    key: tuple[str | None, ...]
    steps: tuple[Step, ...]
    examples: int = 1

    @property
    def open_positions(self) -> int:
        return sum(k is None for k in self.key)

    def matches(self, glosses: Sequence[str]) -> bool:
        return len(glosses) == len(self.key) and all(
            k is None or k == g for k, g in zip(self.key, glosses, strict=True)
        )

    def to_dict(self) -> dict:
        return {"key": list(self.key), "steps": list(self.steps), "examples": self.examples}

    @classmethod
    def from_dict(cls, d: dict) -> Pattern:
        key = tuple(None if k is None else str(k) for k in d["key"])
        steps = tuple(s if isinstance(s, int) else str(s) for s in d["steps"])
        if any(isinstance(s, int) and not 0 <= s < len(key) for s in steps):
            raise ValueError(f"pattern {key}: a step points outside its glosses")
        return cls(key, steps, int(d.get("examples", 1)))


class GlossMemory:
    """Patterns learned from a dataset's (sentence, glosses) pairs; see the module doc."""

    def __init__(self, patterns: Iterable[Pattern], source: str = "") -> None:
        self.exact: dict[tuple[str, ...], Pattern] = {}
        self.open: list[Pattern] = []
        for p in patterns:
            if p.open_positions:
                self.open.append(p)
            else:
                self.exact[tuple(p.key)] = p  # type: ignore[arg-type]
        # the most specific pattern first, then the best attested
        self.open.sort(key=lambda p: (p.open_positions, -p.examples))
        self.source = source

    def __len__(self) -> int:
        return len(self.exact) + len(self.open)

    def lookup(
        self, glosses: Sequence[str], vocabulary: Collection[str] | None = None
    ) -> Pattern | None:
        """The pattern for this gloss sequence (None: the rules' glosses stand); a pattern
        that adds a gloss outside ``vocabulary`` is passed over."""
        candidates = [self.exact[k]] if (k := tuple(glosses)) in self.exact else []
        candidates += [p for p in self.open if p.matches(glosses)]
        for p in candidates:
            if vocabulary is None or all(isinstance(s, int) or s in vocabulary for s in p.steps):
                return p
        return None

    def glosses(
        self, glosses: Sequence[str], vocabulary: Collection[str] | None = None
    ) -> list[str]:
        """The data's glosses for the rules' ``glosses`` (unchanged when no pattern matches)."""
        p = self.lookup(glosses, vocabulary)
        return run_script(glosses, p.steps) if p else list(glosses)

    def apply(self, result: GlossResult, vocabulary: Collection[str] | None = None) -> GlossResult:
        """``result`` with its glosses edited as the data glosses its pattern: the whole text,
        else each sentence; the sentence marks follow. Unchanged (the same object) when no
        pattern matches."""
        items = list(result.items)
        p = self.lookup([it.gloss for it in items], vocabulary)
        if p is not None:
            edits = [(0, len(items), p)]
        else:
            edits = []
            for s in result.sentences:
                part = [it.gloss for it in items[s.first : s.last]]
                q = self.lookup(part, vocabulary) if part else None
                if q is not None:
                    edits.append((s.first, s.last, q))
        if not edits:
            return result
        out: list[GlossItem] = []
        at = 0
        group = max((it.group for it in items), default=-1) + 1
        for first, last, pattern in edits:
            out += items[at:first]
            span = items[first:last]
            for k, step in enumerate(pattern.steps):
                if isinstance(step, int):
                    out.append(span[step])
                    continue
                # an added gloss sits where its neighbour in the data's glosses is
                near = next((span[s] for s in pattern.steps[k + 1 :] if isinstance(s, int)),
                            span[-1])  # fmt: skip
                out.append(GlossItem(step, "", SOURCE, group, "", near.start, near.start,
                                     near.sentence))  # fmt: skip
                group += 1
            at = last
        out += items[at:]
        sentences = []
        for s_index, marks in enumerate(result.sentences):
            where = [i for i, it in enumerate(out) if it.sentence == s_index]
            if where:
                sentences.append(replace(marks, first=where[0], last=where[-1] + 1))
        what = (
            "the text"
            if len(edits) == 1 and edits[0][:2] == (0, len(items))
            else (f"{len(edits)} of {len(result.sentences)} sentences")
        )
        note = (f"Glossed as the training data glosses this sentence pattern ({what}; gloss "
                f"memory learned from {self.source or 'a dataset'}).")  # fmt: skip
        return replace(result, items=out, sentences=sentences, notes=[*result.notes, note])

    # ---------------------------------------------------------------- learning, files

    def to_dict(self) -> dict:
        patterns = sorted([*self.exact.values(), *self.open],
                          key=lambda p: ([k or "" for k in p.key], p.open_positions))  # fmt: skip
        return {"format": FORMAT, "source": self.source,
                "patterns": [p.to_dict() for p in patterns]}  # fmt: skip

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=1) + "\n",
                              encoding="utf-8")  # fmt: skip

    @classmethod
    def load(cls, path: str | Path) -> GlossMemory:
        """Read a memory file; a file that is not one raises ``ValueError`` naming it."""
        try:
            d = json.loads(Path(path).read_text(encoding="utf-8"))
            if d.get("format") != FORMAT:
                raise ValueError(f"format is {d.get('format')!r}, not {FORMAT!r}")
            return cls((Pattern.from_dict(p) for p in d["patterns"]), str(d.get("source", "")))
        except (OSError, KeyError, TypeError, AttributeError, json.JSONDecodeError,
                ValueError) as exc:  # fmt: skip
            raise ValueError(f"{path}: not a gloss memory ({exc})") from None


def load_memory(checkpoints: str | Path) -> GlossMemory | None:
    """The memory of a checkpoint folder (its ``gloss_memory.json``), None when it has none;
    a file that is not a memory raises ``ValueError``."""
    path = Path(checkpoints) / FILE_NAME
    return GlossMemory.load(path) if path.is_file() else None


def learn(pairs: Iterable[tuple[Sequence[str], Sequence[str]]], source: str = "") -> GlossMemory:
    """A memory from (rules' glosses, data's glosses) pairs of training sentences.

    Every differing pair gives an exact pattern. Pairs with the same edit and length whose
    glosses differ only where the edit keeps a gloss are merged into an open pattern (open
    where they differ), kept only when it glosses every pair it matches (agreeing ones
    too) as the data does and has no more open positions than fixed ones."""
    pairs = [(tuple(r), tuple(d)) for r, d in pairs]
    differing = {}
    for rules, data in pairs:
        if rules != data and rules:
            differing.setdefault(rules, data)  # the first glossing of a sentence wins
    scripts = {rules: edit_script(rules, data) for rules, data in differing.items()}
    groups: dict[tuple, list[tuple[str, ...]]] = defaultdict(list)
    for rules, steps in scripts.items():
        kept = frozenset(s for s in steps if isinstance(s, int))
        # what must be equal for two sentences to share a pattern: the glosses not kept
        fixed = tuple(g for i, g in enumerate(rules) if i not in kept)
        groups[(len(rules), steps, fixed)].append(rules)
    patterns = [Pattern(rules, steps) for rules, steps in scripts.items()]
    for (_, steps, _), members in groups.items():
        if len(members) < 2:
            continue
        key = tuple(None if len({m[i] for m in members}) > 1 else g
                    for i, g in enumerate(members[0]))  # fmt: skip
        candidate = Pattern(key, steps, len(members))
        if 2 * candidate.open_positions > len(key):
            continue
        if all(run_script(r, steps) == list(d) for r, d in pairs if candidate.matches(r)):
            patterns.append(candidate)
    return GlossMemory(patterns, source)
