"""Text-to-pose backends: glosses (with their sentence marks) + signer -> keypoints.

Backends, one file each, registered in :mod:`sign_pipeline.registry`: ``lexicon`` (stored
clips, blended), ``progressive`` (the Progressive Transformer) and ``tacotron``. Shared by
them: :mod:`.base` (the input/output types and the :class:`~.base.Text2Pose` interface) and
:mod:`.learned` (the base of the learned backends and the hand-motion critic).
"""
