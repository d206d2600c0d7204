"""The sign lexicon (forms.json, handshapes.json) and the corpus sentences."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sign_pipeline.inventory import load_inventory
from sign_pipeline.inventory.forms import (
    FORMS_PATH,
    LOCATIONS,
    MOVEMENTS,
    ORIENTATIONS,
    SignForm,
    derive_form,
    get_form,
    load_forms,
    load_handshapes,
    validate_form,
)
from training.corpus import kinematics as kin
from training.corpus.handmade import build_forms
from training.corpus.sentences import all_sentences, josa, scenarios


def test_every_inventory_gloss_has_a_stored_form():
    inventory = load_inventory()
    forms = load_forms()
    missing = [g for g in inventory if g not in forms]
    assert missing == [], f"run `python -m training.corpus.handmade` to add forms for {missing}"
    assert len(forms) >= 150


def test_forms_are_distinct_valid_and_marked_placeholder():
    forms = load_forms()
    keys = [f.manual_key() for f in forms.values()]
    assert len(set(keys)) == len(keys)
    hs = load_handshapes()
    for form in forms.values():
        validate_form(form, hs)
    doc = json.loads(FORMS_PATH.read_text(encoding="utf-8"))
    assert "PLACEHOLDER" in doc["_note"] and "NOT validated" in doc["_note"]
    used = {f.movement for f in forms.values()}
    assert used == set(MOVEMENTS)
    assert {f.hands for f in forms.values()} == {"one", "sym", "dom"}
    assert len({f.location for f in forms.values()}) >= 15
    # a few dozen written by hand, the rest derived
    n_hand = sum(f.source == "hand" for f in forms.values())
    assert 40 <= n_hand < len(forms)


def test_forms_json_is_what_the_builder_makes():
    """forms.json is data, regenerated deterministically from the builder."""
    built = build_forms(keep_existing=True)
    stored = load_forms()
    assert [f.gloss for f in built] == list(load_inventory())
    for form in built:
        assert stored[form.gloss] == form


def test_finger_alphabet_is_one_handed_and_compounds_change_shape():
    forms = load_forms()
    letters = [g for g, e in load_inventory().items() if e.is_finger_letter]
    assert len(letters) == 40
    for letter in letters:
        assert forms[letter].hands == "one"
        assert forms[letter].location == "spell"
    assert forms["ㅘ"].handshape_end == "index" and forms["ㅚ"].handshape_end == "pinky"
    assert forms["ㄲ"].handshape == forms["ㄱ"].handshape
    assert forms["ㄲ"].movement == "straight" and forms["ㄱ"].movement == "hold"


def test_derive_form_is_deterministic_and_avoids_taken_forms():
    a = derive_form("새단어", "action")
    assert a == derive_form("새단어", "action")
    b = derive_form("새단어", "action", taken={a.manual_key()})
    assert b.manual_key() != a.manual_key()
    validate_form(b)
    # question glosses get furrowed brows
    assert derive_form("새질문", "question").brows == "furrowed"


def test_get_form_covers_glosses_not_in_the_file():
    form = get_form("없는낱말xyz")
    assert isinstance(form, SignForm) and form.source == "derived"
    assert form.manual_key() not in {f.manual_key() for f in load_forms().values()}


def test_validate_form_rejects_unknown_values():
    bad = SignForm("x", "one", "flat_B", "knee", "hold", "out_up")
    with pytest.raises(ValueError, match="location 'knee'"):
        validate_form(bad)
    with pytest.raises(ValueError, match="needs a direction"):
        validate_form(SignForm("x", "one", "flat_B", "chest", "straight", "out_up"))
    assert set(ORIENTATIONS) >= {"out_up", "in_up"} and "hand" in LOCATIONS


def test_handshape_table_has_twenty_plus_shapes_of_joint_angles():
    hs = load_handshapes()
    assert len(hs) >= 20
    for name, shape in hs.items():
        for finger in ("thumb", "index", "middle", "ring", "pinky"):
            assert len(shape[finger]) == 4, (name, finger)
    # straight fingers reach one hand length; a fist folds them back to the palm
    flat = kin.hand_local(kin.handshape_vector(hs["flat_B"]))
    fist = kin.hand_local(kin.handshape_vector(hs["fist_S"]))
    assert np.linalg.norm(flat[12]) == pytest.approx(1.0, abs=0.02)
    assert np.linalg.norm(fist[12]) < 0.6
    # O: thumb tip meets the index tip
    o = kin.hand_local(kin.handshape_vector(hs["O"]))
    assert np.linalg.norm(o[4] - o[8]) < 0.05


def test_sentences_count_scenarios_and_inventory():
    sents = all_sentences()
    assert len(sents) >= 300
    assert len({s.text for s in sents}) == len(sents)
    assert len(scenarios()) >= 26
    inventory = load_inventory()
    for s in sents:
        assert s.glosses and all(g in inventory for g in s.glosses), s
    by_text = {s.text: s.glosses for s in sents}
    assert by_text["서울역까지 가려면 지하철 몇 호선으로 환승해야 하나요?"] == tuple(
        "서울 기차 가다 목적 지하철 바꾸다 몇호".split()
    )
    assert by_text["지하철 환풍구에 가방이 빠졌어요!"] == ("지하철", "환풍구", "가방", "빠지다")


def test_josa():
    assert josa("가방", "이/가") == "가방이"
    assert josa("우산", "을/를") == "우산을"
    assert josa("휴대폰", "을/를") == "휴대폰을"
    assert josa("지갑", "은/는") == "지갑은"
    assert josa("화장실", "으로/로") == "화장실로"
    assert josa("왼쪽", "으로/로") == "왼쪽으로"
    assert josa("버스", "을/를") == "버스를"
