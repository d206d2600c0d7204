"""Pieces of the gloss stage: finger alphabet, number composition, input cleaning, tables."""

from __future__ import annotations

import pytest

from sign_pipeline.gloss.fingerspelling import (
    FINGER_LETTERS,
    decompose,
    fingerspell,
    is_syllable,
)
from sign_pipeline.gloss.normalize import clean_text
from sign_pipeline.gloss.numbers import (
    compose_number,
    digit_signs,
    needs_digit_by_digit,
    parse_digits,
    parse_number_words,
)
from sign_pipeline.gloss.tables import load_tables
from sign_pipeline.inventory import finger_alphabet, load_inventory

# ---------------------------------------------------------------- finger alphabet


def test_finger_letters_are_the_lexicon_alphabet():
    assert list(FINGER_LETTERS) == finger_alphabet()
    assert len(FINGER_LETTERS) == 40


@pytest.mark.parametrize(
    ("syllable", "letters"),
    [
        ("가", "ㄱㅏ"),
        ("닭", "ㄷㅏㄹㄱ"),  # ㄺ split
        ("값", "ㄱㅏㅂㅅ"),  # ㅄ
        ("몫", "ㅁㅗㄱㅅ"),  # ㄳ
        ("앉", "ㅇㅏㄴㅈ"),  # ㄵ
        ("많", "ㅁㅏㄴㅎ"),  # ㄶ
        ("삶", "ㅅㅏㄹㅁ"),  # ㄻ
        ("넓", "ㄴㅓㄹㅂ"),  # ㄼ
        ("곬", "ㄱㅗㄹㅅ"),  # ㄽ
        ("핥", "ㅎㅏㄹㅌ"),  # ㄾ
        ("읊", "ㅇㅡㄹㅍ"),  # ㄿ
        ("싫", "ㅅㅣㄹㅎ"),  # ㅀ
        ("밖", "ㅂㅏㄲ"),  # final ㄲ stays one letter
        ("있", "ㅇㅣㅆ"),  # final ㅆ
        ("까", "ㄲㅏ"),
        ("딸", "ㄸㅏㄹ"),
        ("빵", "ㅃㅏㅇ"),
        ("쌀", "ㅆㅏㄹ"),
        ("쪽", "ㅉㅗㄱ"),
        ("과", "ㄱㅘ"),
        ("왜", "ㅇㅙ"),
        ("괴", "ㄱㅚ"),
        ("뭐", "ㅁㅝ"),
        ("웨", "ㅇㅞ"),
        ("쥐", "ㅈㅟ"),
        ("의", "ㅇㅢ"),
        ("얘", "ㅇㅒ"),
        ("예", "ㅇㅖ"),
    ],
)
def test_decompose(syllable: str, letters: str):
    assert decompose(syllable) == list(letters)


def test_every_syllable_spells_with_lexicon_letters_only():
    alphabet = set(finger_alphabet())
    lengths = set()
    for code in range(0xAC00, 0xD7A4):
        letters = decompose(chr(code))
        assert set(letters) <= alphabet
        lengths.add(len(letters))
    assert lengths == {2, 3, 4}


def test_silent_ieung():
    assert decompose("아") == ["ㅇ", "ㅏ"]
    assert decompose("아", spell_silent_ieung=False) == ["ㅏ"]
    assert decompose("앙", spell_silent_ieung=False) == ["ㅏ", "ㅇ"]  # a final ㅇ is pronounced


def test_fingerspell_keeps_syllable_and_index():
    letters = fingerspell("아산")
    assert [(x.letter, x.syllable, x.index) for x in letters] == [
        ("ㅇ", "아", 0),
        ("ㅏ", "아", 0),
        ("ㅅ", "산", 1),
        ("ㅏ", "산", 1),
        ("ㄴ", "산", 1),
    ]
    assert [x.letter for x in fingerspell("A-ㅋ가")] == ["ㅋ", "ㄱ", "ㅏ"]
    assert not is_syllable("ㄱ") and is_syllable("힣")
    with pytest.raises(ValueError, match="not a Hangul syllable"):
        decompose("A")


# ---------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("n", "signs"),
    [
        (0, ["0"]),
        (7, ["7"]),
        (10, ["10"]),
        (13, ["10", "3"]),
        (25, ["20", "5"]),
        (100, ["100"]),
        (101, ["100", "1"]),
        (200, ["2", "100"]),
        (1000, ["1000"]),
        (1250, ["1000", "2", "100", "50"]),
        (3500, ["3", "1000", "5", "100"]),
        (10000, ["10000"]),
        (35000, ["3", "10000", "5", "1000"]),
        (120000, ["10", "2", "10000"]),
        (1000000, ["100", "10000"]),
        (123456789, ["1", "2", "3", "4", "5", "6", "7", "8", "9"]),
    ],
)
def test_compose_number(n: int, signs: list[str]):
    assert compose_number(n) == signs


def test_composition_uses_only_lexicon_numbers_and_sums_back():
    numbers = {g: e.value for g, e in load_inventory().items() if e.category == "number"}
    for n in list(range(0, 2000)) + [9999, 10001, 54321, 99999999]:
        signs = compose_number(n)
        assert all(s in numbers for s in signs), n
        # read back the way it is signed: a multiplier before 100/1000/10000, the rest adds up
        total = section = 0
        pending = 0
        for s in signs:
            v = numbers[s]
            if v == 10000:
                total += (section + pending or 1) * v
                section = pending = 0
            elif v in (100, 1000):
                section += (pending or 1) * v
                pending = 0
            else:
                pending += v
        assert total + section + pending == n, (n, signs)


def test_parse_numbers():
    assert parse_digits("1,250") == 1250
    assert parse_digits("12,50") is None
    assert parse_digits("2.5") is None
    assert needs_digit_by_digit("010") and not needs_digit_by_digit("10")
    assert digit_signs("010-12") == ["0", "1", "0", "1", "2"]
    words = {
        "삼십": 30,
        "천이백오십": 1250,
        "3만5천": 35000,
        "3만 5천": 35000,
        "이십삼": 23,
        "구천구백구십구": 9999,
        "만": 10000,
        "하나": 1,
        "두": 2,
        "열두": 12,
        "스물다섯": 25,
        "아흔아홉": 99,
    }
    for text, value in words.items():
        assert parse_number_words(text) == value, text
    for bad in ("", "지하철", "일이", "3삼"):
        assert parse_number_words(bad) is None, bad


# ---------------------------------------------------------------- cleaning


def test_clean_text():
    assert clean_text("  지하철\t\n타요  ") == ("지하철 타요", [])
    assert clean_text("ＫＴＸ　３호선") == ("KTX 3호선", [])
    assert clean_text("<p>지하철</p><!-- x -->") == ("지하철", ["HTML markup was removed."])
    assert clean_text("지\u200b하\u202e철\x00") == (
        "지하철",
        ["3 control or invisible character(s) were removed."],
    )
    assert clean_text("a &amp; b") == ("a & b", [])
    # decomposed jamo (NFD) become syllables
    assert clean_text("\u1100\u1161\u11a8") == ("각", [])


# ---------------------------------------------------------------- tables


def test_tables_are_data_and_consistent():
    tables = load_tables()
    inventory = load_inventory()
    assert tables.problems(inventory) == []
    assert tables.synonyms["환승"] == ("바꾸다",)
    assert tables.synonyms["고속터미널"] == ("고속버스", "터미널")
    assert tables.phrases[("몇", "호선")] == ("몇호",)
    assert "서울" in tables.railway and tables.railway_gloss == "기차"
    assert tables.station_gloss == "지하철"
