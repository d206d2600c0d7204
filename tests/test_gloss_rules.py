"""Gloss-stage rules: compounds split before spelling, station names, verbs with no sign,
repeated purpose verbs, 있다 in location questions, 열차, question determiners, pointing.

Sentences are written for these tests (not taken from the demo corpus); a trailing "?" on the
last gloss is the question mark (``GlossResult.gloss_text``).
"""

from __future__ import annotations

import dataclasses

import pytest

from sign_pipeline.gloss import GlossAnalyzer, text_to_gloss
from sign_pipeline.gloss.analyzer import NO_SIGN
from sign_pipeline.gloss.tables import load_tables
from sign_pipeline.inventory import load_inventory

INVENTORY = load_inventory()

EXACT = [
    # an unknown common noun split into 2-3 known signs before fingerspelling
    ("비상벨을 찾아요", "비상 벨 찾다"),
    ("아래층 화장실", "아래 층 화장실"),
    ("경찰차가 왔어요", "경찰 차 오다"),
    ("위층 카페", "위 층 카페"),  # two one-syllable signs only through the synonym table
    ("정기권이 있어요", "정기권 있다"),  # 정기 + 권 (suffix) is the lexicon's 정기권
    # a verb "<known noun><light verb>" is signed as the noun
    ("카드를 도둑맞았어요", "카드 도둑"),
    # street numbers and station names
    ("종로3가역 출구", "종로 3 지하철 출구"),
    ("종로3가역까지 택시 타요", "종로 3 지하철 택시 타다"),
    ("종로 3가에서 내려요", "종로 3 내리다"),
    ("명동입구역", "명동 지하철"),
    ("홍대입구 근처", "홍대 근처"),
    ("공원입구에서 기다려요", "공원 입구 기다리다"),  # a common noun + 입구 is an entrance
    # common verbs: a synonym where one fits
    ("택시를 세워 주세요", "택시 멈추다 부탁"),
    ("표를 가지고 있어요", "표 있다"),
    # "to go to X, how do I go" is "how do I go to X"; a different main verb keeps 목적
    ("공항에 가려면 어떻게 가요?", "공항 가다 어떻게?"),
    ("시청에 가려면 버스를 타야 해요", "시청 가다 목적 버스 타다 해야하다"),
    # progressive -고 있다 is aspect, not "there is"
    ("버스가 오고 있어요", "버스 오다"),
    # "where is X": 어디에 있어요 is signed like 어디예요; 있다 stays with other questions
    ("카페가 어디 있어요?", "카페 어디?"),
    ("이 시간에 버스 있어요?", "시간 버스 있다?"),
    # 열차: the subway unless the sentence is about a railway
    ("열차가 곧 도착합니다", "지하철 빨리 도착"),
    ("부산 가는 열차 있어요?", "부산 가다 기차 있다?"),
    ("KTX 열차가 늦어요", "기차 늦다"),
    # a question determiner and its noun are one phrase: noun, then the question sign
    ("어느 출구로 나가요?", "나가다 출구 어디?"),
    ("무슨 색 가방이에요?", "가방 색 무엇?"),
    # a demonstrative before a thing one can point at is a point
    ("이 버스 타도 돼요?", "여기 버스 타다 되다?"),
    ("저 문으로 나가세요", "저기 문 나가다"),
    ("그 버스 타세요", "버스 타다"),
    ("이번 정류장에서 내려요", "여기 내리다"),
]


@pytest.mark.parametrize(("sentence", "expected"), EXACT, ids=[e[0] for e in EXACT])
def test_exact_gloss_sequence(sentence: str, expected: str):
    r = text_to_gloss(sentence)
    assert r.gloss_text == expected
    assert r.fingerspelled_words() == []
    assert all(g in INVENTORY for g in r.glosses)


@pytest.mark.parametrize(
    ("sentence", "glosses", "skipped"),
    [
        ("우산을 가지고 내리세요", ["우산", "내리다"], ["가지다"]),
        ("버스가 벌써 출발했어요", ["버스", "출발"], ["벌써"]),
        ("깨끗한 화장실", ["화장실"], ["깨끗하다"]),
    ],
)
def test_verbs_adjectives_adverbs_with_no_sign_are_skipped_not_spelled(
    sentence: str, glosses: list[str], skipped: list[str]
):
    r = text_to_gloss(sentence)
    assert r.glosses == glosses
    assert r.fingerspelled_words() == []
    assert [(s.text, s.reason) for s in r.skipped] == [(w, NO_SIGN) for w in skipped]
    assert NO_SIGN == "no sign for this word"
    assert r.message == f"Not signed: '{skipped[0]}' (no sign for this word)."


def test_unknown_nouns_are_still_fingerspelled():
    # two one-syllable signs (안 + 전) are not a safe split; 문, 표, 물 are not compound parts
    assert text_to_gloss("안전").fingerspelled_words() == ["안전"]
    assert text_to_gloss("위험물").fingerspelled_words() == ["위험물"]
    assert text_to_gloss("안내문을 보세요").fingerspelled_words() == ["안내문"]
    assert text_to_gloss("시간표가 있나요?").fingerspelled_words() == ["시간표"]
    # a place name + 입구 keeps 입구 when the head is fingerspelled
    r = text_to_gloss("을지로입구역")
    assert r.fingerspelled_words() == ["을지로"]
    assert r.glosses[-2:] == ["입구", "지하철"]


def test_compound_split_surfaces_and_sources():
    r = text_to_gloss("비상벨을 찾아요")
    assert [(it.gloss, it.surface, it.source, it.start, it.end) for it in r.items] == [
        ("비상", "비상", "lexicon", 0, 2),
        ("벨", "벨", "lexicon", 2, 3),
        ("찾다", "찾", "lexicon", 5, 6),
    ]
    r = text_to_gloss("종로3가역")
    assert [(it.gloss, it.surface, it.source) for it in r.items] == [
        ("종로", "종로", "lexicon"),
        ("3", "3", "number"),
        ("지하철", "역", "synonym"),
    ]


def test_one_syllable_compound_parts_come_from_the_tables():
    tables = dataclasses.replace(load_tables(), compound_parts_1syl=frozenset())
    r = GlossAnalyzer(tables=tables).analyse("비상벨을 찾아요")  # Kiwi: one noun 비상벨
    assert r.fingerspelled_words() == ["비상벨"]
    assert r.glosses[-1] == "찾다"


def test_pointing_follows_the_tables():
    tables = dataclasses.replace(load_tables(), pointing={})
    assert GlossAnalyzer(tables=tables).analyse("이 버스 타요").glosses == ["버스", "타다"]


def test_new_tables_are_checked_against_the_inventory():
    bad = dataclasses.replace(
        load_tables(),
        compound_parts_1syl=frozenset({"벨", "시간", "뷁"}),
        light_verbs=("맞",),
        pointing={"이": "뷁"},
        pointing_categories=frozenset({"transport", "nonsense"}),
    )
    assert bad.problems(INVENTORY) == [
        "compound part '뷁' is not a one-syllable gloss",
        "compound part '시간' is not a one-syllable gloss",
        "pointing '이' -> unknown gloss '뷁'",
        "pointing category 'nonsense' is not a lexicon category",
        "light verb '맞' must be a verb ending in -다",
    ]


def test_corpus_agreement_and_no_fingerspelled_verbs():
    from benchmarks.gloss_agreement import agreement, compare

    rows = compare()
    assert len(rows) >= 400
    assert agreement(rows) >= 75.0
    spelled = [w for r in rows for w in r.spelled]
    assert not [w for w in spelled if w.endswith("다")]
