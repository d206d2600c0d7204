"""Rewrite tests/data/lexicon_golden.json from the current lexicon backend and checkpoint.

    python -m tests.make_lexicon_golden

Only after rebuilding ``checkpoints/lexicon`` on purpose: the file pins the backend's output
so that refactors cannot change it unnoticed (tests/test_lexicon_golden.py).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from sign_pipeline import skeleton as sk
from sign_pipeline.gloss import text_to_gloss
from sign_pipeline.gloss.examples import EXAMPLES
from sign_pipeline.registry import DEFAULT_CHECKPOINTS
from sign_pipeline.text2pose.base import GlossInput
from sign_pipeline.text2pose.lexicon import LexiconText2Pose

GOLDEN = Path(__file__).parent / "data" / "lexicon_golden.json"
CHECKPOINT = DEFAULT_CHECKPOINTS / "lexicon"
BLOCKS = {"pose": sk.POSE, "face": sk.FACE, "left_hand": sk.LEFT_HAND, "right_hand": sk.RIGHT_HAND}
MULTI_SENTENCE = "화장실이 어디예요? 지하철 환풍구에 가방이 빠졌어요."


def sentences() -> list[str]:
    return [s for group in EXAMPLES.values() for s in group] + [MULTI_SENTENCE]


def fingerprint(kp: np.ndarray) -> dict[str, list[float]]:
    """Per block: sum and sum of squares of the keypoints (rounded)."""
    kp = kp.astype(np.float64)
    return {
        b: [round(float(kp[:, sl].sum()), 4), round(float((kp[:, sl] ** 2).sum()), 4)]
        for b, sl in BLOCKS.items()
    }


def checkpoint_sha256() -> str:
    return hashlib.sha256((CHECKPOINT / "clips.npz").read_bytes()).hexdigest()


def main() -> None:
    lex = LexiconText2Pose.from_pretrained(CHECKPOINT)
    rows = []
    for text in sentences():
        g = text_to_gloss(text, vocabulary=lex.known_glosses())
        if not g.glosses:
            continue
        for signer in (1, 3):
            kp = lex.sign(GlossInput.from_gloss_result(g), signer=signer).keypoints
            rows.append({"text": text, "signer": signer, "frames": len(kp),
                         "fingerprint": fingerprint(kp)})  # fmt: skip
    about = (
        "Lexicon backend output for the example sentences: frames and per-block sum / sum of "
        "squares of the keypoints, for the shipped checkpoints/lexicon (sha256 below). "
        "Rewrite with `python -m tests.make_lexicon_golden` only when the checkpoint is "
        "rebuilt on purpose (the first version pinned the output from before the issue-8 "
        "refactor, commit 4265112, and showed it unchanged but for the question-face fix)."
    )
    out = {"about": about, "checkpoint_sha256": checkpoint_sha256(), "rows": rows}
    GOLDEN.write_text(json.dumps(out, ensure_ascii=False, indent=0), "utf-8")
    print(f"wrote {len(rows)} rows to {GOLDEN}")


if __name__ == "__main__":
    main()
