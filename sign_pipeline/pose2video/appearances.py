"""How each signer looks: the avatar's appearance table, keyed by signer id.

Signers 1-4 (REAL01-REAL04, the demo corpus's signers) are drawn by hand. Every other id
up to :data:`sign_pipeline.signers.NUM_SIGNERS` gets an appearance derived from the id
alone (skin, hair, clothing, background, body proportions and placement), so real data
with signers 2, 6 and 10 renders, and signer 6 looks the same on every machine and in
every run.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache

import numpy as np

from sign_pipeline import signers

Color = tuple[int, int, int]


@dataclass(frozen=True)
class Appearance:
    """How one signer looks and where they stand in the 256 x 256 frame.

    Colours are RGB. Placement: ``neck`` (pixel position of the neck point) and
    ``shoulder_width`` (pixels). Proportions are in shoulder widths: ``upper_arm``
    (shoulder-elbow), ``forearm`` (elbow-wrist), ``hand`` (wrist to middle fingertip,
    fingers straight), ``face_width`` (jaw point 0 to 16), ``chin`` (height of the chin
    above the neck point), ``torso`` (neck to mid-hip), ``hip_width``, ``shoulder_drop``
    (shoulders below the neck point).
    """

    name: str
    skin: Color
    hair: Color
    hair_style: str  # "short", "long", "bob", "bun"
    shirt: Color
    sleeves: str  # "long" or "short"
    lips: Color
    iris: Color
    background: Color
    neck: tuple[float, float]
    shoulder_width: float
    upper_arm: float = 0.78
    forearm: float = 0.68
    hand: float = 0.46
    face_width: float = 0.46
    chin: float = 0.20
    torso: float = 1.35
    hip_width: float = 0.62
    shoulder_drop: float = 0.03
    collar: str = "round"  # "round" or "v"
    description: str = ""

    @property
    def label(self) -> str:
        """Readable name for menus: ``"REAL01 · short dark hair, blue shirt"``."""
        return f"{self.name} · {self.description}" if self.description else self.name

    def pixel(self, body_units: np.ndarray) -> np.ndarray:
        """Body units (neck origin, shoulder width 1) -> pixels of the 256 x 256 frame."""
        return np.asarray(self.neck, np.float32) + np.asarray(body_units, np.float32) * np.float32(
            self.shoulder_width
        )


_HANDMADE = (
    Appearance(
        "REAL01", skin=(236, 196, 168), hair=(38, 30, 28), hair_style="short",
        shirt=(44, 82, 140), sleeves="long", lips=(196, 110, 110), iris=(60, 40, 30),
        background=(214, 222, 230), neck=(128.0, 110.0), shoulder_width=78.0,
        upper_arm=0.80, forearm=0.69, hand=0.47, face_width=0.52, chin=0.18, torso=1.36,
        hip_width=0.64, shoulder_drop=0.03, collar="round",
        description="short dark hair, blue shirt",
    ),
    Appearance(
        "REAL02", skin=(244, 210, 186), hair=(70, 44, 30), hair_style="long",
        shirt=(178, 60, 72), sleeves="long", lips=(206, 96, 112), iris=(70, 48, 36),
        background=(226, 220, 208), neck=(127.0, 112.0), shoulder_width=70.0,
        upper_arm=0.84, forearm=0.72, hand=0.45, face_width=0.56, chin=0.21, torso=1.40,
        hip_width=0.72, shoulder_drop=0.05, collar="v",
        description="long brown hair, red top",
    ),
    Appearance(
        "REAL03", skin=(198, 150, 116), hair=(24, 22, 24), hair_style="bun",
        shirt=(56, 120, 88), sleeves="short", lips=(170, 92, 90), iris=(40, 30, 24),
        background=(208, 216, 206), neck=(129.0, 108.0), shoulder_width=74.0,
        upper_arm=0.77, forearm=0.66, hand=0.48, face_width=0.53, chin=0.17, torso=1.32,
        hip_width=0.66, shoulder_drop=0.04, collar="round",
        description="black hair in a bun, green T-shirt",
    ),
    Appearance(
        "REAL04", skin=(226, 184, 150), hair=(112, 112, 116), hair_style="bob",
        shirt=(70, 70, 76), sleeves="long", lips=(180, 104, 100), iris=(50, 50, 60),
        background=(222, 214, 226), neck=(128.0, 114.0), shoulder_width=82.0,
        upper_arm=0.75, forearm=0.65, hand=0.44, face_width=0.50, chin=0.16, torso=1.30,
        hip_width=0.60, shoulder_drop=0.02, collar="v",
        description="grey bob, charcoal top",
    ),
)  # fmt: skip
#: The hand-made signer identities (signer number n is ``SIGNERS[n - 1]``, n = 1..4).
SIGNERS: tuple[Appearance, ...] = _HANDMADE
#: The same by id: ``SIGNERS_BY_ID["REAL02"]``.
SIGNERS_BY_ID: dict[str, Appearance] = {a.name: a for a in SIGNERS}


def get_appearance(signer: str | int | Appearance | None = None) -> Appearance:
    """The appearance of a signer: ``"REAL06"``, ``6`` (1-based) or an Appearance.

    Signers 1-4 are the hand-made identities; any other id in 1..NUM_SIGNERS gets one
    derived from the id (:func:`derived_appearance`). ``None`` gives REAL01. An id outside
    1..NUM_SIGNERS or without a number is a ValueError.
    """
    if isinstance(signer, Appearance):
        return signer
    if signer is None:
        return SIGNERS[0]
    if isinstance(signer, str) and signer in SIGNERS_BY_ID:
        return SIGNERS_BY_ID[signer]
    idx = signers.index(signer)  # raises ValueError for bad ids
    if idx < len(SIGNERS):
        return SIGNERS[idx]
    return derived_appearance(idx + 1)


# ---------------------------------------------------------------------------- derived signers

_SKIN_TONES: tuple[Color, ...] = (
    (248, 220, 198), (240, 204, 176), (232, 190, 158), (220, 174, 140),
    (204, 156, 120), (182, 132, 98), (150, 104, 74), (118, 80, 58),
)  # fmt: skip
_HAIR_COLOURS: tuple[tuple[str, Color], ...] = (
    ("black", (24, 22, 24)), ("dark brown", (52, 36, 28)), ("brown", (92, 60, 40)),
    ("auburn", (116, 54, 34)), ("grey", (126, 126, 130)), ("blond", (190, 156, 98)),
)  # fmt: skip
_HAIR_STYLES = ("short", "long", "bob", "bun")
#: Twelve clothing colours: ids 5..16 each get a different one.
_SHIRTS: tuple[tuple[str, Color], ...] = (
    ("navy", (34, 50, 96)), ("teal", (28, 108, 116)), ("mustard", (196, 150, 42)),
    ("burgundy", (118, 32, 50)), ("olive", (92, 100, 46)), ("purple", (94, 60, 128)),
    ("orange", (210, 108, 46)), ("sky-blue", (104, 154, 204)), ("forest-green", (38, 88, 56)),
    ("pink", (210, 118, 148)), ("brown", (118, 78, 50)), ("black", (34, 34, 38)),
)  # fmt: skip


def _unit(signer: int, field: str) -> float:
    """A number in [0, 1) fixed by (signer, field): the same on every machine and version."""
    digest = hashlib.blake2b(f"ksl-signer-{signer}-{field}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def _between(signer: int, field: str, low: float, high: float) -> float:
    return round(low + (high - low) * _unit(signer, field), 3)


def _pick(signer: int, field: str, options: tuple):
    return options[int(_unit(signer, field) * len(options))]


def _hair_phrase(style: str, colour: str) -> str:
    return {
        "short": f"short {colour} hair",
        "long": f"long {colour} hair",
        "bob": f"{colour} bob",
        "bun": f"{colour} hair in a bun",
    }[style]


@cache
def derived_appearance(number: int) -> Appearance:
    """A plausible appearance computed from the signer number alone (``REALnn``).

    Hair colour, iris, sleeves, collar, background tint, proportions and placement come
    from a hash of the number, within the ranges of the hand-made signers; skin tone,
    clothing colour and hair style step through their lists so neighbouring ids differ.
    """
    n = int(number)
    signers.index(n)  # raises ValueError outside 1..NUM_SIGNERS
    tone = (3 * n) % len(_SKIN_TONES)  # eight ids in a row cover all eight tones
    lo, hi = _SKIN_TONES[tone], _SKIN_TONES[min(tone + 1, len(_SKIN_TONES) - 1)]
    frac = 0.5 * _unit(n, "skin")
    skin = tuple(int(round(a + (b - a) * frac)) for a, b in zip(lo, hi))
    hair_name, hair = _pick(n, "hair", _HAIR_COLOURS)
    style = _HAIR_STYLES[n % len(_HAIR_STYLES)]
    shirt_name, shirt = _SHIRTS[(5 * n) % len(_SHIRTS)]
    sleeves = "short" if _unit(n, "sleeves") < 0.3 else "long"
    garment = "T-shirt" if sleeves == "short" else _pick(n, "garment", ("shirt", "top", "sweater"))
    lips = tuple(int(round(0.55 * s + 0.45 * r)) for s, r in zip(skin, (176, 84, 92)))
    iris = _pick(n, "iris", ((60, 40, 30), (40, 30, 24), (70, 48, 36), (50, 50, 60)))
    base = _between(n, "bg", 206, 228)
    tint = [_between(n, f"bg{c}", -8, 8) for c in "rgb"]
    background = tuple(int(round(base + t)) for t in tint)
    return Appearance(
        name=f"REAL{n:02d}", skin=skin, hair=hair, hair_style=style, shirt=shirt,
        sleeves=sleeves, lips=lips, iris=iris, background=background,
        neck=(_between(n, "neck_x", 126.0, 130.0), _between(n, "neck_y", 106.0, 116.0)),
        shoulder_width=_between(n, "shoulders", 68.0, 84.0),
        upper_arm=_between(n, "upper_arm", 0.75, 0.84),
        forearm=_between(n, "forearm", 0.65, 0.72),
        hand=_between(n, "hand", 0.44, 0.48),
        face_width=_between(n, "face", 0.50, 0.56),
        chin=_between(n, "chin", 0.16, 0.21),
        torso=_between(n, "torso", 1.30, 1.40),
        hip_width=_between(n, "hips", 0.60, 0.72),
        shoulder_drop=_between(n, "drop", 0.02, 0.05),
        collar=_pick(n, "collar", ("round", "v")),
        description=f"{_hair_phrase(style, hair_name)}, {shirt_name} {garment}",
    )  # fmt: skip


__all__ = ["SIGNERS", "SIGNERS_BY_ID", "Appearance", "derived_appearance", "get_appearance"]
