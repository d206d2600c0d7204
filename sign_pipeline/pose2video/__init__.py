"""Pose-to-video backends: normalised keypoints + signer identity -> RGB frames.

``avatar`` (no model) draws a stylised signer from the keypoints; learned backends live
beside it, one file each, registered in :mod:`sign_pipeline.registry`.
"""
