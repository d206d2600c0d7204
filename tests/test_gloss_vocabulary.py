"""Glosses against the vocabulary of the active text-to-pose backend: only what it can sign is
produced (the rest fingerspelled or reported), and the glosses its data adds are produced."""

from __future__ import annotations

import pytest

from sign_pipeline.gloss import (
    NO_SIGN,
    NOT_LOADED,
    NOT_SPELLABLE,
    GlossError,
    analyzer_for,
    text_to_gloss,
)
from sign_pipeline.gloss.examples import ALL_EXAMPLES
from sign_pipeline.inventory import finger_alphabet, load_inventory

INVENTORY = frozenset(load_inventory())
LETTERS = frozenset(finger_alphabet())
#: glosses a user's data brought that the built-in inventory lacks (issue 10's real data)
DATA_GLOSSES = {"1회", "5천", "여기로", "이거", "쥐", "가다내리다"}


def _without(*glosses: str) -> frozenset[str]:
    return INVENTORY - set(glosses)


def test_the_data_glosses_are_new_to_the_inventory():
    assert not DATA_GLOSSES & INVENTORY


def test_a_noun_the_vocabulary_lacks_is_fingerspelled_and_counted_so():
    everything = text_to_gloss("지하철 환풍구에 가방이 빠졌어요!")
    assert everything.glosses == ["지하철", "환풍구", "가방", "빠지다"]
    assert everything.coverage["lexicon"] == 4

    r = text_to_gloss("지하철 환풍구에 가방이 빠졌어요!", vocabulary=_without("가방"))
    assert r.glosses == ["지하철", "환풍구", "ㄱ", "ㅏ", "ㅂ", "ㅏ", "ㅇ", "빠지다"]
    assert r.fingerspelled_words() == ["가방"]
    assert r.coverage == {
        "lexicon": 3,
        "synonym": 0,
        "number": 0,
        "fingerspelling": 1,
        "skipped": 0,
    }
    assert "Fingerspelled (not in the sign lexicon): 가방." in r.message


def test_without_its_finger_letters_the_word_is_skipped_with_the_reason():
    vocabulary = _without("가방", "ㅂ")
    r = text_to_gloss("지하철 환풍구에 가방이 빠졌어요!", vocabulary=vocabulary)
    assert r.glosses == ["지하철", "환풍구", "빠지다"]
    assert [(s.text, s.reason) for s in r.skipped] == [("가방", NOT_SPELLABLE)]
    assert NOT_SPELLABLE.startswith(NOT_LOADED)
    assert r.coverage["skipped"] == 1 and r.coverage["fingerspelling"] == 0
    assert all(g in vocabulary for g in r.glosses)


def test_a_verb_the_vocabulary_lacks_is_skipped_not_spelled():
    r = text_to_gloss("지하철 환풍구에 가방이 빠졌어요!", vocabulary=_without("빠지다"))
    assert r.glosses == ["지하철", "환풍구", "가방"]
    assert [(s.text, s.reason) for s in r.skipped] == [("빠지다", NOT_LOADED)]
    # a verb the inventory has no sign for keeps the old reason
    r = text_to_gloss("버튼을 누르세요", vocabulary=INVENTORY)
    assert [(s.text, s.reason) for s in r.skipped] == [("누르다", NO_SIGN)]


def test_grammar_glosses_the_vocabulary_lacks_are_reported():
    r = text_to_gloss("화장실이 어디예요?", vocabulary=_without("어디"))
    assert r.glosses == ["화장실"]
    assert [(s.text, s.reason) for s in r.skipped] == [("어디", NOT_LOADED)]
    r = text_to_gloss("표를 못 샀어요", vocabulary=_without("못하다"))
    assert r.glosses == ["표", "사다"]
    assert not r.negation
    assert [(s.text, s.reason) for s in r.skipped] == [("못하다", NOT_LOADED)]


def test_a_compound_the_vocabulary_lacks_splits_into_loaded_signs():
    assert text_to_gloss("어린이교통카드 주세요").glosses == ["어린이교통카드", "주다"]
    r = text_to_gloss("어린이교통카드 주세요", vocabulary=_without("어린이교통카드"))
    assert r.glosses == ["어린이", "교통카드", "주다"]


def test_numbers_whose_signs_are_missing_go_digit_by_digit_or_are_skipped():
    assert text_to_gloss("요금은 1,250원이에요").glosses == ["요금", "1000", "2", "100", "50", "원"]
    r = text_to_gloss("요금은 1,250원이에요", vocabulary=_without("1000"))
    assert r.glosses == ["요금", "1", "2", "5", "0", "원"]
    assert r.coverage["number"] == 1
    # 3만 5천 read digit by digit would be "3 5": not signed at all instead
    r = text_to_gloss("요금이 3만 5천 원이에요", vocabulary=_without("1000"))
    assert r.glosses == ["요금", "원"]
    assert [(s.text, s.reason) for s in r.skipped] == [("3만 5천", NOT_LOADED)]


@pytest.mark.parametrize(
    ("sentence", "expected", "data_gloss"),
    [
        ("쥐가 나왔어요", ["쥐", "오다"], "쥐"),  # a noun the inventory lacks (else spelled)
        ("이거 얼마예요?", ["이거", "얼마"], "이거"),  # a word the tables drop
        ("1회 충전했어요", ["1회", "충전하다"], "1회"),  # number + counter, one sign
        ("5천 원이에요", ["5천", "원"], "5천"),
        ("여기로 오세요", ["여기로", "오다"], "여기로"),  # written exactly so
        ("가서 내려요", ["가다내리다"], "가다내리다"),  # the lemmas 가다 + 내리다
    ],
)
def test_glosses_the_data_brings_are_produced(sentence, expected, data_gloss):
    before = text_to_gloss(sentence)
    assert data_gloss not in before.glosses
    r = text_to_gloss(sentence, vocabulary=INVENTORY | DATA_GLOSSES)
    assert r.glosses == expected
    item = r.items[r.glosses.index(data_gloss)]
    assert item.source == "lexicon"
    assert r.normalized_text[item.start : item.end] == item.surface
    assert r.fingerspelled_words() == [] and r.skipped == []


def test_a_data_gloss_does_not_replace_a_loaded_gloss_of_the_same_lemma():
    vocabulary = INVENTORY | {"여기로"}
    assert text_to_gloss("여기서 내려요", vocabulary=vocabulary).glosses == ["여기", "내리다"]
    assert text_to_gloss("1회 더", vocabulary=INVENTORY).glosses[:2] == ["1", "회"]
    assert text_to_gloss("11회", vocabulary=INVENTORY | DATA_GLOSSES).glosses == ["10", "1", "회"]


def test_a_data_gloss_stands_in_for_a_missing_gloss_of_its_lemma_or_meaning():
    vocabulary = _without("여기", "바꾸다") | {"여기로", "환승"}
    r = text_to_gloss("여기서 내려요", vocabulary=vocabulary)
    assert r.glosses == ["여기로", "내리다"]
    r = text_to_gloss("1호선에서 4호선으로 갈아타려면 어디로 가야 해요?", vocabulary=vocabulary)
    assert r.glosses == ["1", "호선", "4", "호선", "환승", "목적", "가다", "어디"]
    assert r.items[4].source == "synonym"  # 갈아타다 -> 바꾸다 (not loaded) -> 환승
    # the data's own word is signed as itself even when the inventory gloss is loaded
    r = text_to_gloss("지하철 몇호선으로 환승 해야하나요?", vocabulary=INVENTORY | {"환승"})
    assert r.items[1].gloss == "환승" and r.items[1].source == "lexicon"


def test_every_example_signs_only_loaded_glosses_with_a_small_vocabulary():
    small = frozenset(list(INVENTORY - LETTERS)[::2]) | LETTERS  # half the words
    for sentence in ALL_EXAMPLES:
        try:
            r = text_to_gloss(sentence, vocabulary=small)
        except GlossError as err:
            assert err.result is not None and err.result.skipped
            continue
        assert all(g in small for g in r.glosses), sentence
        assert sum(r.coverage.values()) >= len({it.group for it in r.items})


def test_nothing_loaded_is_a_clear_error():
    with pytest.raises(GlossError, match="not in the loaded lexicon"):
        text_to_gloss("화장실이 어디예요?", vocabulary=set())


def test_the_analyzer_is_built_once_per_vocabulary():
    assert analyzer_for(set(INVENTORY)) is analyzer_for(list(INVENTORY))
    assert analyzer_for(INVENTORY) is not analyzer_for(INVENTORY | {"쥐"})
    assert analyzer_for(None) is analyzer_for(None)
    with pytest.raises(TypeError, match="collection of gloss names"):
        text_to_gloss("화장실", vocabulary="화장실")
