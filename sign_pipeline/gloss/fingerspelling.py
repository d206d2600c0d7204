"""Korean finger alphabet (지문자): Hangul text -> one finger-alphabet letter per jamo.

A precomposed syllable is split into initial consonant, vowel and optional final consonant.
The letters are the compatibility jamo of the lexicon (``ㄱ`` .. ``ㅎ``, ``ㅏ`` .. ``ㅣ``):

* double consonants ``ㄲ ㄸ ㅃ ㅆ ㅉ`` and compound vowels ``ㅘ ㅙ ㅚ ㅝ ㅞ ㅟ ㅢ`` (and ``ㅐ ㅒ ㅔ ㅖ``)
  are letters of their own, as the finger alphabet has them;
* final-consonant clusters ``ㄳ ㄵ ㄶ ㄺ ㄻ ㄼ ㄽ ㄾ ㄿ ㅀ ㅄ`` are split into their two consonants
  (``닭`` -> ``ㄷ ㅏ ㄹ ㄱ``); the final double consonants ``ㄲ ㅆ`` stay one letter.

**Silent initial ㅇ.** Spelling follows Hangul orthography: the syllable-initial ``ㅇ`` is spelled
as a letter (``아산`` -> ``ㅇ ㅏ ㅅ ㅏ ㄴ``). Careful KSL fingerspelling of names does sign it, and
spelling exactly what is written keeps the output lossless: the letters recompose to the
word, so the UI (and a reader) can rebuild it. ``spell_silent_ieung=False`` leaves it out
(``아산`` -> ``ㅏ ㅅ ㅏ ㄴ``) for signers who drop it in fast spelling.
"""

from __future__ import annotations

from dataclasses import dataclass

SYLLABLE_FIRST = 0xAC00
SYLLABLE_LAST = 0xD7A3

INITIALS = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
VOWELS = "ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ"
# index 0 = no final consonant
FINALS = ["", *"ㄱㄲㄳㄴㄵㄶㄷㄹㄺㄻㄼㄽㄾㄿㅀㅁㅂㅄㅅㅆㅇㅈㅊㅋㅌㅍㅎ"]

CLUSTERS = {
    "ㄳ": "ㄱㅅ",
    "ㄵ": "ㄴㅈ",
    "ㄶ": "ㄴㅎ",
    "ㄺ": "ㄹㄱ",
    "ㄻ": "ㄹㅁ",
    "ㄼ": "ㄹㅂ",
    "ㄽ": "ㄹㅅ",
    "ㄾ": "ㄹㅌ",
    "ㄿ": "ㄹㅍ",
    "ㅀ": "ㄹㅎ",
    "ㅄ": "ㅂㅅ",
}

#: the 19 consonant and 21 vowel letters of the finger alphabet, in lexicon order
FINGER_LETTERS = tuple(INITIALS) + tuple(VOWELS)


@dataclass(frozen=True)
class Letter:
    """One finger-alphabet letter: the jamo, the syllable it came from and that syllable's index."""

    letter: str
    syllable: str
    index: int


def is_syllable(ch: str) -> bool:
    """True for a precomposed Hangul syllable (가 .. 힣)."""
    return len(ch) == 1 and SYLLABLE_FIRST <= ord(ch) <= SYLLABLE_LAST


def decompose(syllable: str, spell_silent_ieung: bool = True) -> list[str]:
    """Letters of one Hangul syllable: ``'닭'`` -> ``['ㄷ', 'ㅏ', 'ㄹ', 'ㄱ']``."""
    if not is_syllable(syllable):
        raise ValueError(f"not a Hangul syllable: {syllable!r}")
    code = ord(syllable) - SYLLABLE_FIRST
    initial, vowel, final = code // 588, (code % 588) // 28, code % 28
    out = []
    if spell_silent_ieung or INITIALS[initial] != "ㅇ":
        out.append(INITIALS[initial])
    out.append(VOWELS[vowel])
    fin = FINALS[final]
    out.extend(CLUSTERS.get(fin, fin))
    return out


def fingerspell(word: str, spell_silent_ieung: bool = True) -> list[Letter]:
    """Letters for every Hangul syllable of ``word``; other characters are ignored.

    A lone compatibility jamo that is itself a finger letter (``ㅋ``) is kept as that letter.
    """
    out: list[Letter] = []
    for i, ch in enumerate(word):
        if is_syllable(ch):
            out.extend(Letter(j, ch, i) for j in decompose(ch, spell_silent_ieung))
        elif ch in FINGER_LETTERS:
            out.append(Letter(ch, ch, i))
        elif ch in CLUSTERS:
            out.extend(Letter(j, ch, i) for j in CLUSTERS[ch])
    return out


def spellable(word: str) -> bool:
    """True when every character of ``word`` is a Hangul syllable or a finger letter."""
    return bool(word) and all(is_syllable(c) or c in FINGER_LETTERS for c in word)
