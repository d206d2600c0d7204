"""Pose-to-video backends: normalised keypoints + signer identity -> RGB frames.

Backends, one file each, registered in :mod:`sign_pipeline.registry`: ``avatar`` (no model)
draws a stylised signer; learned backends live beside it. Shared by all of them:
:mod:`.placement` (where keypoints land in a signer's frame), :mod:`.stickfigure` (the
stick-figure image the learned models take as input), :mod:`.appearances` (how each signer
id looks) and :mod:`.avatar_drawing` (the avatar's drawing, also used by the demo corpus).
"""
