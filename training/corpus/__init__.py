"""The synthetic demo corpus: a parametric signer signing transit Korean, written in the
AI Hub layout (OpenPose JSON per frame, morpheme JSON, mp4 per clip).

``python -m training.corpus --out DIR`` generates it; ``python -m training.corpus.stats DIR``
prints its realism figures. The sign forms are placeholders, not validated KSL.
"""

from training.corpus.generate import generate_corpus, make_clip, plan_jobs

__all__ = ["generate_corpus", "make_clip", "plan_jobs"]
