"""Hand-written placeholder forms (frequent glosses, numbers, finger alphabet) and the
builder of ``sign_pipeline/inventory/forms.json``.

``python -m training.corpus.handmade`` rewrites forms.json: the hand-written forms below,
then a hash-derived form (:func:`sign_pipeline.inventory.forms.derive_form`) for every other
gloss of the inventory, keeping every manual parameter tuple unique. Existing derived
forms are kept as they are, so adding glosses never changes the forms of old ones.

These forms are loosely iconic placeholders, NOT validated Korean Sign Language.
"""

from __future__ import annotations

import argparse
import json

from sign_pipeline.inventory import load_inventory
from sign_pipeline.inventory.forms import (
    FORMS_PATH,
    SignForm,
    derive_form,
    load_handshapes,
    validate_form,
    write_forms,
)


def _f(gloss, hands, shape, loc, move, orient, direction=None, **kw) -> SignForm:
    return SignForm(
        gloss=gloss, hands=hands, handshape=shape, location=loc, movement=move,
        orientation=orient, direction=direction, source="hand", **kw,
    )  # fmt: skip


def _dom(
    gloss, shape, base, move, orient, direction=None, base_orient="up_contra", loc="hand", **kw
):
    return _f(gloss, "dom", shape, loc, move, orient, direction, base_handshape=base,
              base_orientation=base_orient, **kw)  # fmt: skip


FURROW = {"brows": "furrowed"}
RAISE = {"brows": "raised"}

#: Frequent glosses, written by hand (placeholders, loosely iconic).
WORDS: list[SignForm] = [
    _dom("지하철", "H", "flat_B", "straight", "down_contra", "contra", base_orient="up_contra"),
    _f("버스", "sym", "fist_S", "neutral", "twist", "in_contra"),
    _f("택시", "one", "L", "neutral_high", "repeated", "out_up", "up"),
    _f("기차", "sym", "bent_V", "neutral", "circle", "down_contra", "cw"),
    _f("비행기", "one", "ILY", "neutral_high", "straight", "down_contra", "up_contra"),
    _dom("공항", "ILY", "flat_B", "straight", "down_contra", "up"),
    _dom("역", "index", "flat_B", "repeated", "out_down", "down"),
    _f("가다", "one", "index", "neutral", "arc", "out_up", "contra"),
    _f("오다", "one", "index", "neutral_high", "arc", "in_up", "in"),
    _dom("타다", "bent_V", "flat_B", "straight", "out_down", "down"),
    _dom("내리다", "bent_V", "flat_B", "straight", "out_down", "up"),
    _f("바꾸다", "sym", "flat_O", "neutral", "circle", "down_contra", "horizontal"),
    _f("어디", "one", "index", "neutral_high", "repeated", "out_up", "ipsi", **FURROW),
    _f("얼마", "one", "O", "neutral", "repeated", "contra_up", "contra", **FURROW),
    _f("몇", "one", "open_5", "neutral", "wiggle", "out_up", **FURROW),
    _f("어떻게", "sym", "bent_B", "neutral", "twist", "up_contra", **FURROW),
    _f("무엇", "one", "index", "neutral", "repeated", "out_contra", "up", **FURROW),
    _f("왜", "one", "bent_B", "forehead", "straight", "in_contra", "out", **FURROW),
    _f("언제", "one", "index", "neutral", "circle", "out_up", "cw", **FURROW),
    _f("누구", "one", "index", "chin", "circle", "in_up", "ccw", **FURROW),
    _f("나", "one", "index", "chest", "repeated", "in_up", "in"),
    _f("너", "one", "index", "neutral_high", "straight", "down_out", "out"),
    _f("여기", "one", "index", "neutral_low", "repeated", "out_down", "down"),
    _f("저기", "one", "index", "neutral_high", "straight", "out_contra", "contra"),
    _f("있다", "one", "flat_B", "neutral_low", "straight", "down_contra", "down"),
    _f("없다", "sym", "open_5", "neutral", "straight", "out_up", "ipsi", mouth="pursed"),
    _f("좋다", "one", "fist_A", "nose", "straight", "in_contra", "out"),
    _dom("감사", "flat_B", "flat_B", "repeated", "contra_out", "down", base_orient="down_contra"),
    _f("미안", "one", "flat_B", "chin", "straight", "in_contra", "down"),
    _dom("돕다", "fist_A", "flat_B", "straight", "contra_up", "up"),
    _f("알다", "one", "flat_B", "chest", "repeated", "in_up", "down"),
    _f("모르다", "one", "flat_B", "chest", "straight", "in_up", "ipsi", mouth="pursed"),
    _f("네", "one", "fist_S", "neutral", "repeated", "out_up", "down"),
    _f("아니다", "one", "flat_B", "neutral", "twist", "out_up"),
    _f("되다", "one", "O", "neutral", "straight", "contra_up", "down"),
    _f("안되다", "sym", "index", "neutral", "straight", "out_up", "ipsi"),
    _f("필요", "one", "flat_B", "chest", "repeated", "in_up", "in"),
    _dom("요금", "O", "flat_B", "arc", "contra_up", "up"),
    _f("돈", "one", "O", "neutral_low", "twist", "contra_up"),
    _f("카드", "one", "L", "neutral", "straight", "out_contra", "ipsi"),
    _dom("시간", "index", "fist_S", "repeated", "down_out", "down", base_orient="down_contra"),
    _f("지금", "one", "bent_B", "neutral_low", "straight", "up_contra", "down"),
    _f("내일", "one", "index", "cheek", "arc", "contra_out", "out"),
    _f("어제", "one", "index", "cheek", "arc", "in_up", "ipsi"),
    _dom("출구", "flat_B", "C", "straight", "contra_up", "out", base_orient="contra_up"),
    _f("다음", "one", "flat_B", "neutral", "arc", "in_up", "contra"),
    _f(
        "위험",
        "one",
        "claw",
        "chest",
        "repeated",
        "in_up",
        "in",
        brows="furrowed",
        mouth="stretched",
    ),
    _f("사람", "one", "index", "neutral_high", "straight", "out_contra", "down"),
    _f("빨리", "one", "index", "neutral_high", "straight", "out_up", "down_ipsi"),
    _f("천천히", "sym", "flat_B", "neutral_low", "arc", "down_contra", "contra"),
    _f("찾다", "one", "C", "eyes", "repeated", "contra_up", "ipsi"),
    _f(
        "잃어버리다",
        "sym",
        "flat_O",
        "neutral",
        "straight",
        "down_out",
        "down",
        handshape_end="open_5",
    ),
    _dom("부탁", "flat_B", "fist_S", "straight", "contra_up", "out", base_orient="in_contra"),
    _f("화장실", "one", "W", "neutral_high", "twist", "out_up"),
    _f("엘리베이터", "one", "flat_B", "neutral_ipsi", "straight", "up_contra", "up"),
    _f("출발", "one", "flat_B", "neutral", "straight", "down_out", "out"),
    _f("도착", "one", "flat_B", "neutral_high", "straight", "down_contra", "down_ipsi"),
    _f("경찰", "one", "C", "forehead", "repeated", "in_contra", "in"),
    _f("아프다", "one", "claw", "chest", "twist", "in_up", brows="furrowed", mouth="stretched"),
    _f("괜찮다", "one", "pinky", "chin", "repeated", "in_up", "in"),
    _dom("표", "G", "flat_B", "straight", "out_contra", "ipsi"),
    _f("교통카드", "one", "L", "neutral", "repeated", "contra_up", "contra"),
    _f("지연", "one", "X", "neutral", "arc", "contra_up", "ipsi"),
    _f("사고", "sym", "fist_S", "neutral", "straight", "in_contra", "contra", mouth="open"),
]


# ---------------------------------------------------------------------------- numbers

_DIGIT_SHAPES = {
    0: "O", 1: "index", 2: "V", 3: "W", 4: "four", 5: "thumb", 6: "L", 7: "three_thumb",
    8: "four_thumb", 9: "open_5",
}  # fmt: skip


def number_forms() -> list[SignForm]:
    """0-9 held beside the shoulder; 10 a hooked index twisting; tens = the digit's shape
    repeated downward; 100 / 1000 / 10000 arcs and circles."""
    out = [
        _f(str(n), "one", shape, "neutral_ipsi", "hold", "out_up")
        for n, shape in _DIGIT_SHAPES.items()
    ]
    out.append(_f("10", "one", "X", "neutral_ipsi", "twist", "out_up"))
    for n in range(2, 10):
        out.append(
            _f(str(n * 10), "one", _DIGIT_SHAPES[n], "neutral_ipsi", "repeated", "out_up", "down")
        )
    out.append(_f("100", "one", "index", "neutral_ipsi", "arc", "out_up", "up"))
    out.append(_f("1000", "one", "index", "neutral_ipsi", "circle", "out_up", "cw"))
    out.append(_f("10000", "one", "bent_5", "neutral_ipsi", "arc", "out_up", "contra"))
    return out


# ---------------------------------------------------------------------------- finger alphabet

# Consonants: a handshape + orientation resembling the jamo (e.g. ㄱ: thumb and index as
# the two strokes, ㅅ: a V pointing down, ㅇ: an O seen from the side), held still at the
# fingerspelling position; double consonants slide sideways.
_CONSONANTS = {
    "ㄱ": ("L", "out_contra"), "ㄴ": ("L", "out_up"), "ㄷ": ("H", "in_contra"),
    "ㄹ": ("W", "in_contra"), "ㅁ": ("box", "out_up"), "ㅂ": ("flat_B", "out_up"),
    "ㅅ": ("V", "out_down"), "ㅇ": ("O", "contra_up"), "ㅈ": ("three_thumb", "out_down"),
    "ㅊ": ("four_thumb", "out_down"), "ㅋ": ("three_thumb", "out_contra"),
    "ㅌ": ("three_thumb", "in_contra"), "ㅍ": ("four", "out_contra"), "ㅎ": ("pinch", "out_up"),
}  # fmt: skip
_DOUBLE = {"ㄲ": "ㄱ", "ㄸ": "ㄷ", "ㅃ": "ㅂ", "ㅆ": "ㅅ", "ㅉ": "ㅈ"}
# Simple vowels: the long stroke is the finger direction (up for ㅏ ㅓ ㅣ, sideways for
# ㅗ ㅜ ㅡ), one finger for one short stroke, two (V) for two, and a small movement toward
# the short stroke's side.
_VOWELS = {
    "ㅏ": ("index", "out_up", "straight", "contra"), "ㅓ": ("index", "out_up", "straight", "ipsi"),
    "ㅗ": ("index", "out_contra", "straight", "up"), "ㅜ": ("index", "out_contra", "straight", "down"),
    "ㅡ": ("index", "in_contra", "hold", None), "ㅣ": ("pinky", "out_up", "hold", None),
    "ㅑ": ("V", "out_up", "straight", "contra"), "ㅕ": ("V", "out_up", "straight", "ipsi"),
    "ㅛ": ("V", "out_contra", "straight", "up"), "ㅠ": ("V", "out_contra", "straight", "down"),
    "ㅐ": ("horns", "out_up", "straight", "contra"), "ㅔ": ("horns", "out_up", "straight", "ipsi"),
    "ㅒ": ("W", "out_up", "straight", "contra"), "ㅖ": ("W", "out_up", "straight", "ipsi"),
}  # fmt: skip
# Compound vowels: the first component's shape changing into the second's.
_COMPOUND = {
    "ㅘ": ("index", "index", "out_contra", "arc", "contra"),
    "ㅝ": ("index", "index", "out_contra", "arc", "ipsi"),
    "ㅙ": ("index", "horns", "out_contra", "arc", "contra"),
    "ㅞ": ("index", "horns", "out_contra", "arc", "ipsi"),
    "ㅚ": ("index", "pinky", "out_contra", "hold", None),
    "ㅟ": ("index", "pinky", "out_contra", "straight", "down"),
    "ㅢ": ("index", "pinky", "in_contra", "hold", None),
}  # fmt: skip


def letter_forms() -> list[SignForm]:
    """The 19 consonants and 21 vowels of the Korean finger alphabet (one-handed)."""
    out = []
    for letter, (shape, orient) in _CONSONANTS.items():
        out.append(_f(letter, "one", shape, "spell", "hold", orient))
    for letter, single in _DOUBLE.items():
        shape, orient = _CONSONANTS[single]
        out.append(_f(letter, "one", shape, "spell", "straight", orient, "ipsi"))
    for letter, (shape, orient, move, direction) in _VOWELS.items():
        out.append(_f(letter, "one", shape, "spell", move, orient, direction))
    for letter, (shape, end, orient, move, direction) in _COMPOUND.items():
        out.append(_f(letter, "one", shape, "spell", move, orient, direction, handshape_end=end))
    return out


def hand_written() -> list[SignForm]:
    return WORDS + number_forms() + letter_forms()


def build_forms(keep_existing: bool = True) -> list[SignForm]:
    """Hand-written forms + existing derived forms + new derived forms, inventory order."""
    inventory = load_inventory()
    hs = load_handshapes()
    by_gloss: dict[str, SignForm] = {}
    for form in hand_written():
        if form.gloss not in inventory:
            raise ValueError(f"hand-written form for {form.gloss!r}, which is not in the inventory")
        if form.gloss in by_gloss:
            raise ValueError(f"two hand-written forms for {form.gloss!r}")
        by_gloss[form.gloss] = form
    if keep_existing and FORMS_PATH.exists():
        doc = json.loads(FORMS_PATH.read_text(encoding="utf-8"))
        for item in doc["forms"]:
            if item.get("source") == "derived" and item["gloss"] in inventory:
                by_gloss.setdefault(item["gloss"], SignForm(**item))
    taken: dict[tuple, str] = {}
    for form in by_gloss.values():
        validate_form(form, hs)
        key = form.manual_key()
        if key in taken:
            raise ValueError(f"{form.gloss!r} and {taken[key]!r} share one manual form")
        taken[key] = form.gloss
    out = []
    for gloss, entry in inventory.items():
        form = by_gloss.get(gloss)
        if form is None:
            form = derive_form(gloss, entry.category, set(taken))
            taken[form.manual_key()] = gloss
        out.append(form)
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fresh", action="store_true", help="re-derive every derived form")
    args = ap.parse_args(argv)
    forms = build_forms(keep_existing=not args.fresh)
    write_forms(forms)
    n_hand = sum(f.source == "hand" for f in forms)
    print(f"wrote {FORMS_PATH}: {len(forms)} forms ({n_hand} hand-written)")


if __name__ == "__main__":
    main()
