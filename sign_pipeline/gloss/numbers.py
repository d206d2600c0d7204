"""Numbers -> number signs, composed from the signs the lexicon has.

The lexicon has the number signs 0-10, the tens 20..90, 100, 1000 and 10000. A number is
signed the way Korean reads it, place by place, largest first:

* 0-10 are single signs; 11-99 are a tens sign then a digit (``25`` -> ``20 5``, ``13`` -> ``10 3``);
* hundreds and thousands are *multiplier + unit*, the multiplier left out when it is 1
  (``200`` -> ``2 100``, ``1250`` -> ``1000 2 100 50``, ``3500`` -> ``3 1000 5 100``);
* ten-thousands (만) work the same with the whole 1-9999 part as multiplier
  (``35000`` -> ``3 10000 5 1000``, ``120000`` -> ``10 2 10000``, ``10000`` -> ``10000``);
* from 100,000,000 (억, no sign) on, and for digit strings with a leading zero (``010``, ``0042``)
  or serial numbers (phone and card numbers), the digits are signed one by one.

Korean number words are read too: Sino-Korean (``삼십``, ``천이백오십``, ``3만 5천``) and native
(``하나``, ``두``, ``열두``, ``스물다섯``): ``parse_number_words``.
"""

from __future__ import annotations

import re

MAX_COMPOSED = 10**8 - 1

SINO_DIGITS = {
    "영": 0,
    "공": 0,
    "일": 1,
    "이": 2,
    "삼": 3,
    "사": 4,
    "오": 5,
    "육": 6,
    "륙": 6,
    "칠": 7,
    "팔": 8,
    "구": 9,
}
SMALL_UNITS = {"십": 10, "백": 100, "천": 1000}
BIG_UNITS = {"만": 10**4, "억": 10**8, "조": 10**12}

NATIVE_TENS = {
    "열": 10,
    "스물": 20,
    "스무": 20,
    "서른": 30,
    "마흔": 40,
    "쉰": 50,
    "예순": 60,
    "일흔": 70,
    "여든": 80,
    "아흔": 90,
}
NATIVE_UNITS = {
    "하나": 1,
    "한": 1,
    "둘": 2,
    "두": 2,
    "셋": 3,
    "세": 3,
    "석": 3,
    "서": 3,
    "넷": 4,
    "네": 4,
    "넉": 4,
    "너": 4,
    "다섯": 5,
    "닷": 5,
    "여섯": 6,
    "엿": 6,
    "일곱": 7,
    "여덟": 8,
    "아홉": 9,
}

_DIGITS = re.compile(r"\d{1,3}(,\d{3})+|\d+")


def compose_number(n: int) -> list[str]:
    """Number-sign glosses for a non-negative integer (see the module docstring)."""
    if n < 0:
        raise ValueError(f"negative number: {n}")
    if n > MAX_COMPOSED:
        return digit_signs(str(n))
    return _compose(n) if n else ["0"]


def _compose(n: int) -> list[str]:
    out: list[str] = []
    if n >= 10000:
        high, n = divmod(n, 10000)
        out += ["10000"] if high == 1 else _compose(high) + ["10000"]
    for unit in (1000, 100):
        if n >= unit:
            k, n = divmod(n, unit)
            out += ([] if k == 1 else [str(k)]) + [str(unit)]
    if n >= 10:
        tens, n = divmod(n, 10)
        out.append(str(tens * 10))
    if n:
        out.append(str(n))
    return out


def digit_signs(digits: str) -> list[str]:
    """One sign per digit: ``'010'`` -> ``['0', '1', '0']`` (other characters are ignored)."""
    return [d for d in digits if d in "0123456789"]


def parse_digits(text: str) -> int | None:
    """``'1,250'`` -> 1250, ``'42'`` -> 42; None for anything else (decimals, malformed commas)."""
    text = text.strip()
    if not _DIGITS.fullmatch(text):
        return None
    return int(text.replace(",", ""))


def needs_digit_by_digit(text: str) -> bool:
    """A digit string with a leading zero (``'010'``, ``'007'``) is read digit by digit."""
    return len(text) > 1 and text[0] == "0" and text.isdigit()


def parse_number_words(text: str) -> int | None:
    """Value of Korean number words, digits mixed in allowed; None if ``text`` is not a number.

    ``'삼십'`` -> 30, ``'천이백오십'`` -> 1250, ``'3만5천'`` -> 35000, ``'스물다섯'`` -> 25,
    ``'열두'`` -> 12, ``'두'`` -> 2. Spaces and commas between parts are ignored.
    """
    text = text.replace(" ", "")
    if not text:
        return None
    native = _parse_native(text)
    if native is not None:
        return native
    return _parse_sino(text)


def _parse_native(text: str) -> int | None:
    value = 0
    rest = text
    for word, v in sorted(NATIVE_TENS.items(), key=lambda kv: -len(kv[0])):
        if rest.startswith(word):
            value, rest = v, rest[len(word) :]
            break
    if rest:
        unit = NATIVE_UNITS.get(rest)
        if unit is None:
            return None
        value += unit
    return value


def _parse_sino(text: str) -> int | None:
    total = section = 0
    cur: int | None = None
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in "0123456789":
            j = i
            while j < len(text) and (text[j] in "0123456789" or text[j] == ","):
                j += 1
            v = parse_digits(text[i:j].rstrip(","))
            if v is None or cur is not None:
                return None
            cur, i = v, j
            continue
        if ch in SINO_DIGITS:
            if cur is not None:
                return None
            cur = SINO_DIGITS[ch]
        elif ch in SMALL_UNITS:
            section += (1 if cur is None else cur) * SMALL_UNITS[ch]
            cur = None
        elif ch in BIG_UNITS:
            section += cur or 0
            total += (section or 1) * BIG_UNITS[ch]
            section, cur = 0, None
        else:
            return None
        i += 1
    return total + section + (cur or 0)
