"""The pose-to-video backend "avatar": a stylised signer drawn from the keypoints, no model.

Its parts live beside it: :mod:`.placement` puts normalised keypoints into the signer's
256 x 256 frame, :mod:`.avatar_drawing` draws the avatar there, and :mod:`.appearances`
says how each signer id looks. The names below are re-exported so
``from sign_pipeline.pose2video.avatar import render_avatar`` keeps working.
"""

from __future__ import annotations

import numpy as np

from sign_pipeline.pose2video.appearances import (
    SIGNERS,
    SIGNERS_BY_ID,
    Appearance,
    get_appearance,
)
from sign_pipeline.pose2video.avatar_drawing import render_avatar, render_frame
from sign_pipeline.pose2video.base import Pose2Video
from sign_pipeline.pose2video.placement import FRAME_SIZE, retarget, to_pixels
from sign_pipeline.registry import register


@register
class AvatarRenderer(Pose2Video):
    """Draw normalised keypoints as a signer identity.

    No model and no checkpoint: keypoints (neck-centred, shoulder-width scaled) are placed
    in the signer's 256 x 256 frame (:func:`.placement.to_pixels`) and drawn
    (:func:`.avatar_drawing.render_avatar`). Fast enough to run live (a few ms per frame).
    """

    label = "avatar"
    description = "stylised avatar drawn from the keypoints (no model, ~2 ms/frame)"
    checkpoint = None

    def __init__(self, rescale_bones: bool = False, size: int = FRAME_SIZE):
        self.rescale_bones = rescale_bones
        self.size = size

    @classmethod
    def from_pretrained(cls, path=None) -> AvatarRenderer:
        return cls()

    def describe_signer(self, signer: int) -> str:
        """How the signer looks, e.g. "long brown hair, red top" (any id 1..16 has a look)."""
        return get_appearance(signer).description

    def render(self, keypoints: np.ndarray, mask: np.ndarray, signer: int = 1) -> np.ndarray:
        app = get_appearance(signer)
        px = to_pixels(keypoints, app, mask, rescale_bones=self.rescale_bones)
        return render_avatar(px, mask, app, size=self.size)


__all__ = [
    "FRAME_SIZE",
    "SIGNERS",
    "SIGNERS_BY_ID",
    "AvatarRenderer",
    "Appearance",
    "get_appearance",
    "render_avatar",
    "render_frame",
    "retarget",
    "to_pixels",
]
