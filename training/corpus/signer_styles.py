"""The signer identities of the demo corpus (REAL01..REAL04).

Each identity has its own body proportions and appearance (the library's
:class:`sign_pipeline.pose2video.appearances.Appearance`, which the app also renders with) and
its own signing style: speed, movement amplitude, how much the body sways, how noisy the
detections are.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sign_pipeline.pose2video.appearances import SIGNERS_BY_ID as SIGNERS
from sign_pipeline.pose2video.appearances import Appearance

#: Hand length (wrist to middle fingertip, fingers straight) of the corpus signers over the
#: avatar's ``Appearance.hand`` (0.44-0.48 shoulder widths). With it the hands measure in the
#: image what real KSL signers' hands do (wrist to middle fingertip: 0.34 shoulder widths,
#: median over the signing); they are then 0.57-0.62 shoulder widths long.
HAND_SCALE = 1.3


def _corpus_appearance(signer_id: str) -> Appearance:
    """The avatar's appearance of ``signer_id`` with the corpus's hand length."""
    app = SIGNERS[signer_id]
    return replace(app, hand=round(app.hand * HAND_SCALE, 3))


@dataclass(frozen=True)
class SignerStyle:
    """One synthetic signer: appearance + proportions (``appearance``) and style."""

    signer_id: str
    appearance: Appearance
    speed: float  # tempo multiplier (>1 signs faster, shorter transitions)
    amplitude: float  # movement size multiplier
    sway: float  # body / head idle motion multiplier
    noise: float  # detection noise multiplier
    nondominant_activity: float  # how much the idle hand follows the dominant one


STYLES: dict[str, SignerStyle] = {
    "REAL01": SignerStyle("REAL01", _corpus_appearance("REAL01"), 1.00, 1.00, 1.0, 1.0, 0.06),
    "REAL02": SignerStyle("REAL02", _corpus_appearance("REAL02"), 1.12, 1.15, 1.3, 0.9, 0.08),
    "REAL03": SignerStyle("REAL03", _corpus_appearance("REAL03"), 0.90, 0.90, 0.8, 1.2, 0.04),
    "REAL04": SignerStyle("REAL04", _corpus_appearance("REAL04"), 1.05, 1.05, 1.1, 1.05, 0.06),
}
SIGNER_IDS: tuple[str, ...] = tuple(STYLES)


def get_style(signer: str | int) -> SignerStyle:
    """``"REAL02"`` or 2 -> its style."""
    key = signer if isinstance(signer, str) else f"REAL{int(signer):02d}"
    if key not in STYLES:
        raise KeyError(f"unknown corpus signer {signer!r}; known: {', '.join(STYLES)}")
    return STYLES[key]
