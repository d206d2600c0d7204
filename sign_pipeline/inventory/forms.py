"""Sign forms of the demo lexicon: the phonological parameters of every gloss.

``forms.json`` describes each gloss by its handshape(s) (from ``handshapes.json``, defined
by finger joint angles), location, movement (+ direction), palm orientation, one- or
two-handedness (symmetric, or dominant hand over a base hand) and non-manual marks
(eyebrows, mouth). The corpus generator animates these descriptions.

**These forms are placeholders** invented so that the synthetic demo corpus has distinct,
learnable signs; they are not validated Korean Sign Language. A few dozen frequent
glosses and the finger alphabet / numbers were written by hand (loosely iconic; letters
modelled on the shapes of the jamo); the rest were derived deterministically from a hash
of the gloss over the parameter space, with no two glosses sharing the same manual form.

A gloss missing from ``forms.json`` (e.g. one added to the inventory later) still gets a
form: :func:`get_form` derives it on the fly with the same rule, avoiding the stored forms.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, fields
from functools import lru_cache
from pathlib import Path

from sign_pipeline.inventory import INVENTORY_DIR, load_inventory

FORMS_PATH = INVENTORY_DIR / "forms.json"
HANDSHAPES_PATH = INVENTORY_DIR / "handshapes.json"

HANDS = ("one", "sym", "dom")  # one-handed, two-handed symmetric, dominant over base hand

#: Locations. Face: forehead .. ear; body: chest .. stomach; neutral space in front of the
#: signer; "hand" is the palm of the non-dominant (base) hand; "spell" the fingerspelling
#: position beside the dominant shoulder.
LOCATIONS = (
    "forehead", "eyes", "nose", "mouth", "chin", "cheek", "ear",
    "chest", "chest_ipsi", "shoulder_contra", "stomach",
    "neutral", "neutral_high", "neutral_low", "neutral_ipsi", "neutral_contra",
    "hand", "spell",
)  # fmt: skip
FACE_LOCATIONS = ("forehead", "eyes", "nose", "mouth", "chin", "cheek", "ear")

MOVEMENTS = ("hold", "straight", "arc", "circle", "repeated", "wiggle", "twist")
#: Directions of straight / arc / repeated movements (ipsi = the dominant hand's side).
LINE_DIRECTIONS = ("up", "down", "ipsi", "contra", "out", "in", "up_contra", "down_ipsi")
#: Circles: clockwise / counter-clockwise in the frontal plane, or horizontal.
CIRCLE_DIRECTIONS = ("cw", "ccw", "horizontal")

#: Palm orientations as "palm faces _ , fingers point _" for the dominant hand (mirrored
#: for the other hand); "out" = away from the signer (toward the camera).
ORIENTATIONS = (
    "out_up", "in_up", "contra_up", "out_contra", "in_contra", "down_contra", "up_contra",
    "down_out", "up_out", "contra_out", "out_down", "in_down",
)  # fmt: skip
BROWS = ("neutral", "raised", "furrowed")
MOUTHS = ("neutral", "open", "pursed", "stretched", "puffed")


@dataclass(frozen=True)
class SignForm:
    """The phonological description of one gloss (see the module docstring)."""

    gloss: str
    hands: str
    handshape: str
    location: str
    movement: str
    orientation: str
    direction: str | None = None
    handshape_end: str | None = None
    base_handshape: str | None = None
    base_orientation: str | None = None
    brows: str = "neutral"
    mouth: str = "neutral"
    source: str = "derived"

    def manual_key(self) -> tuple:
        """The full manual parameter tuple; no two glosses share it."""
        return (
            self.hands,
            self.handshape,
            self.handshape_end,
            self.base_handshape,
            self.location,
            self.movement,
            self.direction,
            self.orientation,
            self.base_orientation,
        )

    def to_json(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}


def validate_form(form: SignForm, handshapes: dict | None = None) -> None:
    """Raise ValueError when a form uses an unknown parameter value."""
    hs = load_handshapes() if handshapes is None else handshapes
    checks = [
        ("hands", form.hands, HANDS),
        ("location", form.location, LOCATIONS),
        ("movement", form.movement, MOVEMENTS),
        ("orientation", form.orientation, ORIENTATIONS),
        ("brows", form.brows, BROWS),
        ("mouth", form.mouth, MOUTHS),
    ]
    for name, value, allowed in checks:
        if value not in allowed:
            raise ValueError(f"form of {form.gloss!r}: {name} {value!r} is not one of {allowed}")
    for name in ("handshape", "handshape_end", "base_handshape"):
        value = getattr(form, name)
        if value is not None and value not in hs:
            raise ValueError(f"form of {form.gloss!r}: unknown {name} {value!r}")
    if form.movement in ("straight", "arc", "repeated") and form.direction not in LINE_DIRECTIONS:
        raise ValueError(f"form of {form.gloss!r}: {form.movement} needs a direction")
    if form.movement == "circle" and form.direction not in CIRCLE_DIRECTIONS:
        raise ValueError(f"form of {form.gloss!r}: circle needs one of {CIRCLE_DIRECTIONS}")
    if form.hands == "dom" and (form.base_handshape is None or form.base_orientation is None):
        raise ValueError(f"form of {form.gloss!r}: a dominant-over-base sign needs the base hand")
    if form.base_orientation is not None and form.base_orientation not in ORIENTATIONS:
        raise ValueError(f"form of {form.gloss!r}: unknown base_orientation")


# ---------------------------------------------------------------------------- derivation

# Weighted choices of the derivation (value, weight).
_HANDS_W = (("one", 14), ("sym", 3), ("dom", 3))
_SHAPES_W = (
    ("flat_B", 4), ("open_5", 4), ("index", 5), ("V", 3), ("fist_S", 3), ("fist_A", 2),
    ("C", 3), ("O", 2), ("flat_O", 2), ("bent_B", 2), ("bent_5", 2), ("claw", 2), ("L", 2),
    ("Y", 2), ("ILY", 1), ("horns", 1), ("thumb", 2), ("pinky", 1), ("X", 2), ("bent_V", 2),
    ("H", 2), ("W", 1), ("four", 1), ("F", 1), ("pinch", 1), ("G", 1), ("cup", 2),
    ("flat_thumb", 2), ("R", 1), ("hook_4", 1), ("middle_bent", 1), ("bent_L", 1),
)  # fmt: skip
_BASE_SHAPES = ("flat_B", "flat_B", "fist_S", "index", "C", "open_5", "flat_thumb")
_BASE_ORIENT = ("up_contra", "in_contra", "down_contra", "contra_up")
_LOC_ONE = (
    ("forehead", 3), ("eyes", 2), ("nose", 2), ("mouth", 2), ("chin", 3), ("cheek", 3),
    ("ear", 1), ("chest", 4), ("chest_ipsi", 2), ("shoulder_contra", 2), ("stomach", 2),
    ("neutral", 7), ("neutral_high", 4), ("neutral_low", 4), ("neutral_ipsi", 3),
    ("neutral_contra", 2),
)  # fmt: skip
_LOC_SYM = (("neutral", 6), ("neutral_high", 3), ("neutral_low", 3), ("chest", 3))
_LOC_DOM = (("hand", 8), ("neutral", 1), ("neutral_high", 1))
_MOVE_W = (
    ("straight", 6), ("arc", 4), ("circle", 3), ("repeated", 5), ("wiggle", 1), ("twist", 2),
    ("hold", 1),
)  # fmt: skip
_ORIENT_FACE = ("in_up", "contra_up", "out_up", "in_contra", "down_contra", "contra_out")
_ORIENT_ANY = (
    ("out_up", 3), ("in_up", 2), ("contra_up", 3), ("out_contra", 2), ("in_contra", 2),
    ("down_contra", 3), ("up_contra", 2), ("down_out", 1), ("up_out", 1), ("contra_out", 2),
    ("out_down", 1), ("in_down", 1),
)  # fmt: skip
_WIGGLE_SHAPES = {"open_5", "four", "claw", "bent_5", "V", "W", "index", "middle_bent", "ILY"}


class _Chooser:
    """Deterministic choices from a hash stream of the gloss."""

    def __init__(self, text: str):
        self.text = text
        self.n = 0

    def _u(self) -> float:
        h = hashlib.sha256(f"{self.text}#{self.n}".encode()).digest()
        self.n += 1
        return int.from_bytes(h[:8], "big") / 2**64

    def pick(self, options):
        opts = list(options)
        if opts and isinstance(opts[0], tuple):
            total = sum(w for _, w in opts)
            x = self._u() * total
            for value, w in opts:
                x -= w
                if x < 0:
                    return value
            return opts[-1][0]
        return opts[int(self._u() * len(opts)) % len(opts)]

    def chance(self, p: float) -> bool:
        return self._u() < p


def derive_form(gloss: str, category: str = "", taken: set | None = None) -> SignForm:
    """A form for ``gloss`` from a hash of its name over the parameter space.

    Deterministic: the same gloss and the same ``taken`` set (manual keys already in use)
    always give the same form; a candidate whose manual key is taken is re-drawn.
    """
    taken = set() if taken is None else taken
    attempt = 0
    while True:
        form = _derive_once(gloss, category, attempt)
        if form.manual_key() not in taken:
            return form
        attempt += 1
        if attempt > 10_000:  # pragma: no cover - the space is millions of tuples
            raise RuntimeError(f"no free form for {gloss!r}")


def _derive_once(gloss: str, category: str, attempt: int) -> SignForm:
    c = _Chooser(f"{gloss}|{attempt}")
    hands = c.pick(_HANDS_W)
    shape = c.pick(_SHAPES_W)
    move = c.pick(_MOVE_W)
    if move == "wiggle" and shape not in _WIGGLE_SHAPES:
        shape = c.pick(sorted(_WIGGLE_SHAPES))
    base_shape = base_orient = None
    if hands == "one":
        loc = c.pick(_LOC_ONE)
    elif hands == "sym":
        loc = c.pick(_LOC_SYM)
    else:
        loc = c.pick(_LOC_DOM)
        base_shape = c.pick(_BASE_SHAPES)
        base_orient = c.pick(_BASE_ORIENT)
    if loc in FACE_LOCATIONS:
        orient = c.pick(_ORIENT_FACE)
        if move == "circle" and c.chance(0.5):
            move = "repeated"
    else:
        orient = c.pick(_ORIENT_ANY)
    direction = None
    if move in ("straight", "arc", "repeated"):
        direction = c.pick(LINE_DIRECTIONS)
    elif move == "circle":
        direction = c.pick(CIRCLE_DIRECTIONS)
    shape_end = None
    if move in ("straight", "arc") and c.chance(0.12):
        shape_end = c.pick([s for s, _ in _SHAPES_W if s != shape])
    brows, mouth = "neutral", "neutral"
    if category == "question":
        brows = "furrowed"
    elif category == "help" and c.chance(0.5):
        brows = "furrowed"
    elif c.chance(0.12):
        brows = c.pick(BROWS[1:])
    if c.chance(0.18):
        mouth = c.pick(MOUTHS[1:])
    return SignForm(
        gloss=gloss, hands=hands, handshape=shape, location=loc, movement=move,
        orientation=orient, direction=direction, handshape_end=shape_end,
        base_handshape=base_shape, base_orientation=base_orient, brows=brows, mouth=mouth,
        source="derived",
    )  # fmt: skip


# ---------------------------------------------------------------------------- loading


@lru_cache(maxsize=4)
def load_handshapes(path: str | Path = HANDSHAPES_PATH) -> dict[str, dict]:
    """Handshape table: name -> {"thumb": [4 angles], "index": [...], ..., "description"}."""
    doc = json.loads(Path(path).read_text(encoding="utf-8"))
    return dict(doc["handshapes"])


_FIELDS = {f.name for f in fields(SignForm)}


def form_from_json(item: dict) -> SignForm:
    unknown = set(item) - _FIELDS
    if unknown:
        raise ValueError(f"form of {item.get('gloss')!r}: unknown keys {sorted(unknown)}")
    return SignForm(**item)


@lru_cache(maxsize=4)
def load_forms(path: str | Path = FORMS_PATH) -> dict[str, SignForm]:
    """All stored forms by gloss (validated; manual keys unique)."""
    doc = json.loads(Path(path).read_text(encoding="utf-8"))
    out: dict[str, SignForm] = {}
    keys: dict[tuple, str] = {}
    hs = load_handshapes()
    for item in doc["forms"]:
        form = form_from_json(item)
        validate_form(form, hs)
        if form.gloss in out:
            raise ValueError(f"{path}: gloss {form.gloss!r} has two forms")
        key = form.manual_key()
        if key in keys:
            raise ValueError(f"{path}: {form.gloss!r} and {keys[key]!r} share one form")
        keys[key] = form.gloss
        out[form.gloss] = form
    return out


@lru_cache(maxsize=1024)
def get_form(gloss: str) -> SignForm:
    """The form of a gloss: stored, or derived on the fly for a gloss not in forms.json."""
    forms = load_forms()
    if gloss in forms:
        return forms[gloss]
    entry = load_inventory().get(gloss)
    category = entry.category if entry is not None else ""
    taken = {f.manual_key() for f in forms.values()}
    return derive_form(gloss, category, taken)


def write_forms(forms: list[SignForm], path: str | Path = FORMS_PATH) -> None:
    """Write forms.json (one form per line, UTF-8) with the placeholder note."""
    note = (
        "Sign forms of the demo lexicon. PLACEHOLDERS invented for the synthetic demo corpus, "
        "NOT validated Korean Sign Language: a few dozen frequent glosses, the numbers and the "
        "finger alphabet (letters modelled on the jamo shapes) were written by hand, the rest "
        "derived from a hash of the gloss (source: derived) with no two glosses sharing a "
        "manual form. Parameters: see sign_pipeline/inventory/forms.py and handshapes.json."
    )
    lines = ["{", f' "_note": {json.dumps(note, ensure_ascii=False)},', ' "forms": [']
    for i, form in enumerate(forms):
        comma = "," if i < len(forms) - 1 else ""
        lines.append("  " + json.dumps(form.to_json(), ensure_ascii=False) + comma)
    lines += [" ]", "}"]
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")
    load_forms.cache_clear()
    get_form.cache_clear()


__all__ = [
    "BROWS",
    "CIRCLE_DIRECTIONS",
    "FACE_LOCATIONS",
    "FORMS_PATH",
    "HANDS",
    "HANDSHAPES_PATH",
    "LINE_DIRECTIONS",
    "LOCATIONS",
    "MOUTHS",
    "MOVEMENTS",
    "ORIENTATIONS",
    "SignForm",
    "derive_form",
    "get_form",
    "load_forms",
    "load_handshapes",
    "validate_form",
    "write_forms",
]
