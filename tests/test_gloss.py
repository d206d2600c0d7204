"""Korean transit sentences -> glosses: exact sequences, sources, marks, the result object."""

from __future__ import annotations

import dataclasses
import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from sign_pipeline.gloss import (
    GlossAnalyzer,
    GlossError,
    GlossResult,
    get_kiwi,
    text_to_gloss,
)
from sign_pipeline.gloss.result import SOURCES
from sign_pipeline.gloss.tables import load_tables
from sign_pipeline.inventory import load_inventory

INVENTORY = load_inventory()

# Exact gloss sequences. A trailing "?" on the last gloss of a sentence is the question mark
# (GlossResult.gloss_text); it is a sentence mark for the face, not a gloss.
CORE = [
    # the seed examples (real corpus glosses)
    (
        "서울역까지 가려면 지하철 몇호선으로 환승 해야하나요?",
        "서울 기차 가다 목적 지하철 바꾸다 몇호?",
    ),
    ("지하철 환풍구에 가방이 빠졌어요!", "지하철 환풍구 가방 빠지다"),
    # real-corpus style glosses
    ("여기는 명동역입니다", "여기 명동 지하철"),
    ("택시 기본요금 얼마예요?", "택시 기본 요금 얼마?"),
    ("카드가 잘 안 돼요", "카드 잘 안되다"),
    ("공항에서 내려서 가요", "공항 내리다 가다"),
    ("핸드폰 번호가 필요해요", "핸드폰 번호 필요"),
    ("돈 계산을 잘못했어요", "돈 계산 잘못하다"),
    ("난방 좀 꺼 주세요", "난방 끄다 부탁"),
    # asking the way
    ("명동역 어디예요?", "명동 지하철 어디?"),
    ("화장실이 어디예요?", "화장실 어디?"),
    ("저기요, 화장실이 어디예요?", "화장실 어디?"),
    ("3호선 2번 출구로 나가세요", "3 호선 2 번 출구 나가다"),
    ("천안아산역 가는 기차 어디서 타요?", "천안아산역 가다 기차 타다 어디?"),
    ("다음 역은 시청역입니다", "다음 역 시청 지하철"),
    # transfers
    ("1호선에서 4호선으로 갈아타려면 어디로 가야 해요?", "1 호선 4 호선 바꾸다 목적 가다 어디?"),
    ("다음 역에서 내려야 해요", "다음 역 내리다 해야하다"),
    ("마을버스 몇 번 타야 해요?", "마을버스 타다 몇 번?"),
    # fares, cards, numbers
    ("요금은 1,250원이에요", "요금 1000 2 100 50 원"),
    ("요금이 3만 5천 원이에요", "요금 3 10000 5 1000 원"),
    ("삼십 분 걸려요", "30 분 걸리다"),
    ("교통카드 충전하고 싶어요", "교통카드 충전하다 싶다"),
    ("교통카드 잔액이 부족해요", "교통카드 잔액 부족"),
    ("환불 받을 수 있어요?", "환불 받다 가능?"),
    ("표를 못 샀어요", "표 사다 못하다"),
    # lost items
    ("제 핸드폰을 잃어버렸어요", "나 핸드폰 잃어버리다"),
    ("분실물 센터가 어디예요?", "분실 물건 곳 어디?"),
    ("어제 저녁 2호선에서 지갑을 분실했어요", "어제 저녁 2 호선 지갑 분실"),
    # emergencies
    ("도와주세요!", "돕다 부탁"),
    ("119에 신고해 주세요", "1 1 9 신고 부탁"),
    # delays, doors
    ("지하철이 왜 안 와요?", "지하철 오다 아니다 왜?"),
    ("문이 안 열려요", "문 열다 아니다"),
    ("스크린도어가 안 닫혀요", "문 닫다 아니다"),
    # accessibility
    ("엘리베이터가 없나요?", "엘리베이터 없다?"),
    ("휠체어로 갈 수 없어요", "휠체어 가다 불가능"),
    ("엘리베이터 타고 싶지 않아요", "엘리베이터 타다 싶다 아니다"),
    ("승강장에 들어가지 마세요", "승강장 가다 안되다"),
    # bus, taxi, airport, train, time
    ("고속터미널 가려면 몇 번 버스 타야 돼요?", "고속버스 터미널 가다 목적 버스 타다 몇 번?"),
    ("인천공항 가는 버스 몇 시에 있어요?", "인천 공항 가다 버스 있다 몇 시?"),
    ("서울역에서 부산역까지 KTX로 얼마나 걸려요?", "서울 기차 부산 기차 걸리다 얼마나?"),
    ("부산행 KTX 몇 시에 출발해요?", "부산 방향 기차 출발 몇 시?"),
    ("첫차는 5시 30분이에요", "첫차 5 시 30 분"),
    ("세 시 반에 도착해요", "3 시 30 분 도착"),
]

# Sources for the rest: (sentence, fingerspelled words, skipped texts, words per source).
REST = [
    (
        "이태원역 가려면 어디서 내려요?",
        ["이태원"],
        [],
        {"lexicon": 3, "synonym": 2, "fingerspelling": 1},
    ),
    (
        "을지로입구역에서 갈아타세요",
        ["을지로"],
        [],
        {"lexicon": 1, "synonym": 2, "fingerspelling": 1},
    ),
    (
        "디지털미디어시티역 어떻게 가요?",
        ["디지털미디어시티"],
        [],
        {"lexicon": 1, "synonym": 2, "fingerspelling": 1},
    ),
    (
        "동대문역사문화공원역에서 내려요",
        ["역사문화"],
        [],
        {"lexicon": 3, "synonym": 1, "fingerspelling": 1},
    ),
    ("티머니 카드 충전 돼요?", [], [], {"lexicon": 1, "synonym": 1}),
    ("KTX 표는 어디서 사요?", [], [], {"lexicon": 3, "synonym": 1}),
    ("AREX 타는 곳 알려주세요", [], ["AREX"], {"lexicon": 2, "synonym": 2, "skipped": 1}),
    ("검은색 지갑을 잃어버렸어요", ["검은색"], [], {"lexicon": 2, "fingerspelling": 1}),
    # a verb with no sign is left out and reported, not fingerspelled (nouns only are spelled)
    (
        "비상 버튼을 누르세요",
        ["버튼"],
        ["누르다"],
        {"lexicon": 1, "fingerspelling": 1, "skipped": 1},
    ),
    (
        "몸이 아파요. 병원에 가야 해요",
        ["몸"],
        [],
        {"lexicon": 3, "synonym": 1, "fingerspelling": 1},
    ),
    ("길이 막혀서 늦었어요", [], [], {"lexicon": 3}),
    ("편의점에서 교통카드 살 수 있어요?", [], [], {"lexicon": 3, "synonym": 1}),
    ("롯데월드 가는 버스 있어요?", ["롯데월드"], [], {"lexicon": 3, "fingerspelling": 1}),
    (
        "경복궁역 3번 출구에서 만나요",
        ["경복궁"],
        ["만나다"],
        {"lexicon": 2, "synonym": 1, "number": 1, "fingerspelling": 1, "skipped": 1},
    ),
    ("휠체어 리프트가 고장났어요", [], [], {"lexicon": 2, "synonym": 1}),
    (
        "청각장애인입니다. 글로 써 주세요",
        ["글"],
        [],
        {"lexicon": 1, "synonym": 2, "fingerspelling": 1},
    ),
    (
        "안내견과 함께 탈 수 있어요?",
        ["안내견"],
        ["함께"],
        {"lexicon": 1, "synonym": 1, "fingerspelling": 1, "skipped": 1},
    ),
    ("캐리어를 보관함에 넣고 싶어요", [], [], {"lexicon": 2, "synonym": 2}),
    ("여기서 강남역까지 택시비 얼마 나와요?", [], [], {"lexicon": 3, "synonym": 3}),
    ("비행기 시간에 늦을 것 같아요", [], [], {"lexicon": 4}),
    ("인천공항 제2터미널 가는 방법 알려주세요", [], [], {"lexicon": 2, "synonym": 4, "number": 1}),
    ("공항버스 6001번 어디서 타요?", [], [], {"lexicon": 3, "synonym": 1, "number": 1}),
    ("김포공항에서 비행기 타요", [], [], {"lexicon": 2, "synonym": 1}),
    ("무궁화호 표 두 장 주세요", [], [], {"lexicon": 2, "synonym": 1, "number": 1}),
    ("기차가 30분 지연됩니다", [], [], {"lexicon": 3, "number": 1}),
    ("SRT는 수서역에서 타요", ["수서"], [], {"lexicon": 1, "synonym": 2, "fingerspelling": 1}),
    ("정기권 할인 받을 수 있나요?", [], [], {"lexicon": 3, "synonym": 1}),
    ("어르신은 무료예요", [], [], {"lexicon": 1, "synonym": 1}),
    ("어린이 교통카드 얼마예요?", [], [], {"lexicon": 2}),
    ("역무원을 불러 주세요", [], [], {"lexicon": 1, "synonym": 2}),
    ("불이 났어요! 빨리 신고하세요", [], [], {"lexicon": 3}),
    ("사람이 쓰러졌어요. 119 불러 주세요", [], [], {"lexicon": 3, "synonym": 1, "number": 1}),
    ("우산을 지하철에 놓고 내렸어요", [], [], {"lexicon": 3, "synonym": 1}),
    ("버스 정류장이 어디에 있어요?", [], [], {"lexicon": 1, "synonym": 1}),  # 있다: not signed
    ("이 버스 시청 가요?", [], [], {"lexicon": 3, "synonym": 1}),  # 이 -> 여기 (a point)
    ("반대 방향으로 타셨어요", [], [], {"lexicon": 3}),
    ("에스컬레이터 옆 계단으로 올라가세요", [], [], {"lexicon": 3, "synonym": 1}),
    ("택시 기사님께 영수증 달라고 하세요", [], [], {"lexicon": 2, "synonym": 2}),
    ("장애인복지카드 있으면 무료예요", [], [], {"lexicon": 3}),
    ("지하철에서 너무 시끄러워요", [], [], {"lexicon": 2}),
    ("안녕하세요, 무엇을 도와드릴까요?", [], [], {"lexicon": 2, "synonym": 1}),
    ("죄송합니다, 잘 모르겠어요", [], [], {"lexicon": 2, "synonym": 1}),
    ("010-1234-5678로 연락 주세요", [], [], {"lexicon": 2, "number": 1}),
    ("10:30에 출발하는 버스 있어요?", [], [], {"lexicon": 3, "synonym": 2, "number": 2}),
]


def test_at_least_60_distinct_sentences_and_25_exact():
    sentences = [s for s, _ in CORE] + [r[0] for r in REST]
    assert len(CORE) >= 25
    assert len(set(sentences)) == len(sentences) >= 60


@pytest.mark.parametrize(("sentence", "expected"), CORE, ids=[c[0] for c in CORE])
def test_exact_gloss_sequence(sentence: str, expected: str):
    result = text_to_gloss(sentence)
    assert result.gloss_text == expected
    assert result.glosses == expected.replace("?", "").split()
    assert result.question == expected.endswith("?")


@pytest.mark.parametrize(
    ("sentence", "spelled", "skipped", "coverage"), REST, ids=[r[0] for r in REST]
)
def test_sources(sentence: str, spelled: list[str], skipped: list[str], coverage: dict[str, int]):
    result = text_to_gloss(sentence)
    assert result.fingerspelled_words() == spelled
    assert [s.text for s in result.skipped] == skipped
    assert {k: v for k, v in result.coverage.items() if v} == coverage
    for item in result.items:
        assert item.gloss in INVENTORY
        assert item.source in SOURCES
        is_letter = INVENTORY[item.gloss].is_finger_letter
        assert is_letter == (item.source == "fingerspelling")


def test_seed_sources_and_surfaces():
    r = text_to_gloss("서울역까지 가려면 지하철 몇호선으로 환승 해야하나요?")
    rows = [(it.gloss, it.surface, it.source) for it in r.items]
    assert rows == [
        ("서울", "서울", "lexicon"),
        ("기차", "역", "synonym"),
        ("가다", "가", "lexicon"),
        ("목적", "려면", "synonym"),
        ("지하철", "지하철", "lexicon"),
        ("바꾸다", "환승 해", "synonym"),
        ("몇호", "몇호선", "synonym"),
    ]
    assert r.question and r.question_type == "wh" and not r.negation
    assert r.coverage == {
        "lexicon": 3,
        "synonym": 4,
        "number": 0,
        "fingerspelling": 0,
        "skipped": 0,
    }


STATIONS = [
    ("명동", ["명동"], ["lexicon"]),
    ("서울역", ["서울", "기차"], ["lexicon", "synonym"]),
    ("명동역", ["명동", "지하철"], ["lexicon", "synonym"]),
    ("고속터미널", ["고속버스", "터미널"], ["synonym", "synonym"]),
    ("천안아산역", ["천안아산역"], ["lexicon"]),  # a sign of its own, as in the real corpus
    (
        "이태원역",
        ["ㅇ", "ㅣ", "ㅌ", "ㅐ", "ㅇ", "ㅝ", "ㄴ", "지하철"],
        ["fingerspelling"] * 7 + ["synonym"],
    ),
    ("왕십리역", list("ㅇㅘㅇㅅㅣㅂㄹㅣ") + ["지하철"], ["fingerspelling"] * 8 + ["synonym"]),
    ("뚝섬역", list("ㄸㅜㄱㅅㅓㅁ") + ["지하철"], ["fingerspelling"] * 6 + ["synonym"]),
    ("쌍문역", list("ㅆㅏㅇㅁㅜㄴ") + ["지하철"], ["fingerspelling"] * 6 + ["synonym"]),
    ("까치산역", list("ㄲㅏㅊㅣㅅㅏㄴ") + ["지하철"], ["fingerspelling"] * 7 + ["synonym"]),
    ("경복궁역", list("ㄱㅕㅇㅂㅗㄱㄱㅜㅇ") + ["지하철"], ["fingerspelling"] * 9 + ["synonym"]),
    (
        "디지털미디어시티역",
        list("ㄷㅣㅈㅣㅌㅓㄹㅁㅣㄷㅣㅇㅓㅅㅣㅌㅣ") + ["지하철"],
        ["fingerspelling"] * 17 + ["synonym"],
    ),
    ("홍대입구역", ["홍대", "지하철"], ["lexicon", "synonym"]),  # a known head drops 입구
    ("인천공항", ["인천", "공항"], ["synonym", "synonym"]),
]


@pytest.mark.parametrize(("name", "glosses", "sources"), STATIONS, ids=[s[0] for s in STATIONS])
def test_station_names(name: str, glosses: list[str], sources: list[str]):
    r = text_to_gloss(name)
    assert r.glosses == glosses
    assert [it.source for it in r.items] == sources


def test_station_without_its_own_sign_is_known_part_plus_fingerspelling():
    inventory = {g: e for g, e in INVENTORY.items() if g != "천안아산역"}
    r = GlossAnalyzer(inventory=inventory).analyse("천안아산역 가요")
    assert r.glosses == ["천안", "ㅇ", "ㅏ", "ㅅ", "ㅏ", "ㄴ", "기차", "가다"]
    assert [it.source for it in r.items] == ["lexicon"] + ["fingerspelling"] * 5 + [
        "synonym",
        "lexicon",
    ]
    spelled = [it for it in r.items if it.source == "fingerspelling"]
    assert {it.group for it in spelled} == {1}
    assert {it.word for it in spelled} == {"아산"}
    assert [it.surface for it in spelled] == ["아", "아", "산", "산", "산"]
    assert [(it.start, it.end) for it in spelled] == [(2, 3), (2, 3), (3, 4), (3, 4), (3, 4)]
    assert [it.group for it in r.items] == [0, 1, 1, 1, 1, 1, 2, 3]
    assert r.message == "Fingerspelled (not in the sign lexicon): 아산."


def test_fingerspelled_word_is_one_group_with_syllable_surfaces():
    r = text_to_gloss("이태원역 가요")
    assert [it.group for it in r.items] == [0] * 7 + [1, 2]
    assert {it.word for it in r.items[:7]} == {"이태원"}
    assert [it.surface for it in r.items[:7]] == ["이", "이", "태", "태", "원", "원", "원"]
    assert [it.start for it in r.items[:7]] == [0, 0, 1, 1, 2, 2, 2]


def test_surfaces_point_into_the_normalized_text():
    for sentence, _ in CORE:
        r = text_to_gloss(sentence)
        for it in r.items:
            assert r.normalized_text[it.start : it.end] == it.surface


def test_negation_and_question_marks():
    r = text_to_gloss("지하철이 왜 안 와요?")
    assert (r.question, r.question_type, r.negation) == (True, "wh", True)
    r = text_to_gloss("엘리베이터가 없나요?")
    assert (r.question, r.question_type, r.negation) == (True, "yes_no", True)
    r = text_to_gloss("화장실 어디예요")  # a question word + a plain polite ending, no "?"
    assert (r.question, r.question_type) == (True, "wh")
    r = text_to_gloss("어디 가는지 몰라요")  # embedded question: a statement
    assert (r.gloss_text, r.question) == ("어디 가다 모르다", False)
    r = text_to_gloss("표 사야 돼요")  # obligation is signed in a statement ...
    assert r.glosses == ["표", "사다", "해야하다"]
    r = text_to_gloss("표 사야 돼요?")  # ... and left out in a question
    assert r.glosses == ["표", "사다"]


def test_sentences_get_their_own_marks():
    r = text_to_gloss("가방을 잃어버렸어요. 어디로 가야 해요?")
    assert r.gloss_text == "가방 잃어버리다 가다 어디?"
    assert [(s.first, s.last, s.question, s.question_type, s.tense) for s in r.sentences] == [
        (0, 2, False, None, "past"),
        (2, 4, True, "wh", None),
    ]
    assert [it.sentence for it in r.items] == [0, 0, 1, 1]


def test_tense_is_a_mark_and_a_gloss_only_where_the_tables_name_one():
    r = text_to_gloss("지하철 환풍구에 가방이 빠졌어요!")
    assert r.sentences[0].tense == "past"
    assert "지나다" not in r.glosses
    tables = dataclasses.replace(load_tables(), tense={"past": "지나다", "future": None})
    r = GlossAnalyzer(tables=tables).analyse("지하철 환풍구에 가방이 빠졌어요!")
    assert r.glosses == ["지하철", "환풍구", "가방", "빠지다", "지나다"]


def test_fillers_and_politeness_are_dropped():
    assert text_to_gloss("혹시 좀 도와주실 수 있어요?").glosses == ["돕다", "가능"]
    assert text_to_gloss("저기요 이거 얼마예요?").glosses == ["얼마"]


def test_silent_ieung_option():
    r = GlossAnalyzer(spell_silent_ieung=False).analyse("이태원역")
    assert r.glosses == ["ㅣ", "ㅌ", "ㅐ", "ㅝ", "ㄴ", "지하철"]


def test_result_is_json_serialisable():
    r = text_to_gloss("이태원역 가는 버스 어디서 타요? 😀")
    d = json.loads(r.to_json())
    assert d == r.to_dict()
    assert d["glosses"] == r.glosses
    assert d["question"] is True and d["question_type"] == "wh" and d["negation"] is False
    assert d["coverage"] == {
        "lexicon": 4,
        "synonym": 1,
        "number": 0,
        "fingerspelling": 1,
        "skipped": 1,
    }
    assert d["gloss_counts"] == {"lexicon": 4, "synonym": 1, "number": 0, "fingerspelling": 7}
    assert d["skipped"] == [{"text": "😀", "reason": "emoji: not signed", "start": 19, "end": 20}]
    assert d["items"][1] == {
        "gloss": "ㅣ", "surface": "이", "source": "fingerspelling", "group": 0,
        "word": "이태원", "start": 0, "end": 1, "sentence": 0,
    }  # fmt: skip
    assert d["message"] == (
        "Fingerspelled (not in the sign lexicon): 이태원. Not signed: '😀' (emoji: not signed)."
    )


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Please type a sentence: the text is empty."),
        ("  \n\t ", "Please type a sentence: the text is empty."),
        (
            "가" * 301,
            "The text is too long: 301 characters (at most 300). Please split it into shorter sentences.",
        ),
        ("?!...", "Nothing to sign in this text: only punctuation."),
        ("😀🚇", "Nothing to sign in this text: '😀', '🚇' (emoji: not signed)."),
        ("ㅋㅋㅋ", "Nothing to sign in this text: 'ㅋㅋㅋ' (jamo emoticon: not signed)."),
        (
            "hello",
            "Nothing to sign in this text: 'hello' (Latin letters have no sign in Korean fingerspelling).",
        ),
        ("\x00\x07\u200b", "Nothing to sign: the text has no visible characters."),
        (
            "뷁" * 13,
            "Nothing to sign in this text: '뷁뷁뷁뷁뷁뷁뷁뷁뷁뷁뷁뷁뷁' "
            "(unknown word too long to fingerspell (13 syllables, at most 12)).",
        ),
        (None, "The text must be a string, not NoneType."),
        (42, "The text must be a string, not int."),
    ],
)
def test_bad_input_raises_one_error_type_with_a_message(text, message):
    with pytest.raises(GlossError) as info:
        text_to_gloss(text)
    assert str(info.value) == message
    assert isinstance(info.value, ValueError)


def test_nothing_to_sign_error_carries_the_partial_result():
    with pytest.raises(GlossError) as info:
        text_to_gloss("😀 abc")
    partial = info.value.result
    assert isinstance(partial, GlossResult)
    assert [(s.text, s.reason) for s in partial.skipped] == [
        ("😀", "emoji: not signed"),
        ("abc", "Latin letters have no sign in Korean fingerspelling"),
    ]


def test_exactly_300_characters_is_accepted():
    r = text_to_gloss("버스 지하철 " * 42 + "택시를 타요")  # 300 characters
    assert len(r.text) == 300
    assert r.glosses == ["버스", "지하철"] * 42 + ["택시", "타다"]
    assert text_to_gloss("지하철 지하철 타요").glosses == ["지하철", "타다"]  # no repeated sign


def test_mixed_korean_and_english():
    r = text_to_gloss("I lost my bag at 명동역")
    assert r.glosses == ["명동", "지하철"]
    assert [s.text for s in r.skipped] == ["I", "lost", "my", "bag", "at"]
    assert r.message == (
        "Not signed: 'I', 'lost', 'my', 'bag', 'at' "
        "(Latin letters have no sign in Korean fingerspelling)."
    )


def test_html_and_control_characters_are_cleaned():
    r = text_to_gloss("<b>지하철</b> <script>alert(1)</script>타요")
    assert r.glosses == ["지하철", "타다"]
    assert r.normalized_text == "지하철 타요"
    assert r.message == "HTML markup was removed."
    r = text_to_gloss("지하\x00철\x07 타요\u200b")
    assert r.glosses == ["지하철", "타다"]
    assert r.message == "3 control or invisible character(s) were removed."
    r = text_to_gloss("&lt;지하철&gt;")
    assert r.glosses == ["지하철"] and r.skipped == []


def test_long_unknown_word_inside_a_sentence_is_skipped_not_spelled():
    r = text_to_gloss("뷁뷁뷁뷁뷁뷁뷁뷁뷁뷁뷁뷁뷁 타요")
    assert r.glosses == ["타다"]
    assert [(s.text, s.reason) for s in r.skipped] == [
        ("뷁" * 13, "unknown word too long to fingerspell (13 syllables, at most 12)")
    ]
    assert text_to_gloss("뷁" * 12).glosses == ["ㅂ", "ㅞ", "ㄹ", "ㄱ"] * 12


def test_numbers_decimals_symbols_and_serials():
    assert text_to_gloss("2.5km 걸어가요").glosses == ["2", "걷다"]
    r = text_to_gloss("50% 할인")
    assert r.glosses == ["50", "할인"]
    assert [(s.text, s.reason) for s in r.skipped] == [("%", "symbol with no sign")]
    assert text_to_gloss("010-1234-5678").glosses == list("01012345678")
    assert text_to_gloss("스물다섯 명").glosses == ["20", "5", "사람"]
    assert text_to_gloss("천이백오십 원").glosses == ["1000", "2", "100", "50", "원"]
    assert text_to_gloss("열두 시").glosses == ["10", "2", "시"]
    assert text_to_gloss("표 0042번").glosses == ["표", "0", "0", "4", "2", "번"]


# ---------------------------------------------------------------- shared state


def test_kiwi_is_one_shared_instance():
    assert get_kiwi() is get_kiwi()
    with ThreadPoolExecutor(4) as pool:
        kiwis = list(pool.map(lambda _: get_kiwi(), range(8)))
    assert all(k is kiwis[0] for k in kiwis)


def test_thread_safe_results_match_sequential():
    sentences = [s for s, _ in CORE] * 3
    sequential = [text_to_gloss(s).to_dict() for s in sentences]
    with ThreadPoolExecutor(8) as pool:
        threaded = list(pool.map(lambda s: text_to_gloss(s).to_dict(), sentences))
    assert threaded == sequential


def test_tables_fit_the_inventory():
    assert load_tables().problems(INVENTORY) == []
    assert {"직원", "안녕"} <= set(INVENTORY)  # glosses this stage added to the lexicon


def test_every_example_sentence_is_signable():
    from sign_pipeline.gloss.examples import ALL_EXAMPLES

    assert len(ALL_EXAMPLES) >= 60
    for sentence in ALL_EXAMPLES:
        r = text_to_gloss(sentence)
        assert r.glosses and all(g in INVENTORY for g in r.glosses), sentence
