"""The gloss memory: edits learned from (rules, data) gloss pairs, patterns that carry over
to unseen sentences of a template, applying to a GlossResult, files, the build command and
the shipped memory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sign_pipeline.gloss import GlossMemory, load_memory, text_to_gloss
from sign_pipeline.gloss.memory import FILE_NAME, Pattern, edit_script, learn, run_script

ROOT = Path(__file__).resolve().parents[1]
EXIT_RULES = "{} 가다 목적 출구 나가다 몇 번"
EXIT_DATA = "{} 가다 출구 몇 번"


def pair(rules: str, data: str, place: str) -> tuple[list[str], list[str]]:
    return rules.format(place).split(), data.format(place).split()


@pytest.mark.parametrize(
    ("rules", "data", "steps"),
    [
        ("대전 기차 걸리다 몇 시간", "대전 기차 시간 몇", (0, 1, 4, 3)),
        ("명동 지하철 도착", "도착 곳 명동 지하철", (2, "곳", 0, 1)),
        ("가다 가다 오다", "가다 오다 가다", (0, 2, 1)),
        ("카드 잘 찍다 아니다", "카드 불량 잘 안되다", (0, "불량", 1, "안되다")),
        ("표 사다", "표 사다", (0, 1)),
    ],
)
def test_an_edit_script_rewrites_the_rules_glosses_into_the_datas(rules, data, steps):
    got = edit_script(rules.split(), data.split())
    assert got == steps
    assert run_script(rules.split(), got) == data.split()


def test_sentences_of_one_template_become_an_open_pattern_for_unseen_places():
    memory = learn([pair(EXIT_RULES, EXIT_DATA, p) for p in ("병원", "호텔", "시장")])
    assert len(memory.open) == 1 and memory.open[0].key[0] is None
    assert memory.open[0].examples == 3
    unseen = EXIT_RULES.format("학교").split()
    assert memory.glosses(unseen) == EXIT_DATA.format("학교").split()
    # another template of the same length is left alone
    other = "학교 가다 목적 출구 오다 몇 번".split()
    assert memory.glosses(other) == other


def test_one_example_does_not_carry_over_and_an_agreeing_sentence_vetoes_a_pattern():
    one = learn([pair(EXIT_RULES, EXIT_DATA, "병원")])
    assert not one.open and len(one.exact) == 1
    assert one.glosses(EXIT_RULES.format("병원").split()) == EXIT_DATA.format("병원").split()
    assert one.glosses(EXIT_RULES.format("학교").split()) == EXIT_RULES.format("학교").split()
    # a training sentence of the template that the data glosses like the rules: no pattern,
    # and every training sentence still comes out as the data glosses it
    pairs = [pair(EXIT_RULES, EXIT_DATA, p) for p in ("병원", "호텔")]
    pairs.append(pair(EXIT_RULES, EXIT_RULES, "공원"))
    vetoed = learn(pairs)
    assert not vetoed.open
    for rules, data in pairs:
        assert vetoed.glosses(rules) == data
    assert vetoed.glosses(EXIT_RULES.format("학교").split()) == EXIT_RULES.format("학교").split()


def test_a_pattern_open_in_more_places_than_it_fixes_is_not_kept():
    memory = learn([("가 나".split(), "나 가".split()), ("다 라".split(), "라 다".split())])
    assert not memory.open
    assert memory.glosses(["마", "바"]) == ["마", "바"]


def test_applied_to_a_result_kept_glosses_keep_their_source_and_marks_follow():
    memory = learn([pair(EXIT_RULES, EXIT_DATA, p) for p in ("병원", "호텔")]
                   + [("명동 지하철 도착".split(), "도착 곳 명동 지하철".split()),
                      ("강남 지하철 도착".split(), "도착 곳 강남 지하철".split())])  # fmt: skip
    rules = text_to_gloss("은행에 가려면 몇 번 출구로 나가야 해요?")
    assert rules.glosses == EXIT_RULES.format("은행").split()
    got = text_to_gloss("은행에 가려면 몇 번 출구로 나가야 해요?", memory=memory)
    assert got.glosses == EXIT_DATA.format("은행").split()
    assert got.question and got.question_type == "wh"
    assert [(s.first, s.last) for s in got.sentences] == [(0, 5)]
    kept = {it.gloss: it for it in rules.items}
    for it in got.items:
        assert it == kept[it.gloss]  # same source, surface and place in the text
    assert got.notes[-1].startswith("Glossed as the training data glosses")
    assert memory.apply(rules) is not rules and rules.glosses == EXIT_RULES.format("은행").split()
    # two sentences: each is looked up on its own, the marks cover the new items
    two = text_to_gloss("시청역에 도착했어요. 은행에 가려면 몇 번 출구로 나가야 해요?",
                        memory=memory)  # fmt: skip
    assert two.glosses == ["도착", "곳", "시청", "지하철", *EXIT_DATA.format("은행").split()]
    assert [(s.first, s.last, s.question) for s in two.sentences] == [(0, 4, False),
                                                                        (4, 9, True)]  # fmt: skip
    added = two.items[1]
    assert (added.gloss, added.source, added.surface) == ("곳", "memory", "")
    assert two.coverage["memory"] == 1
    # a pattern that adds a gloss the backend cannot sign is passed over
    vocab = set(rules.glosses) | {"시청", "지하철", "도착"}
    plain = text_to_gloss("시청역에 도착했어요.", vocabulary=vocab, memory=memory)
    assert plain.glosses == ["시청", "지하철", "도착"]


def test_no_pattern_leaves_the_result_as_it_was():
    memory = learn([pair(EXIT_RULES, EXIT_DATA, p) for p in ("병원", "호텔")])
    rules = text_to_gloss("화장실이 어디예요?")
    assert memory.apply(rules) is rules


def test_a_memory_file_round_trips_and_a_bad_one_is_named(tmp_path):
    memory = learn([pair(EXIT_RULES, EXIT_DATA, p) for p in ("병원", "호텔", "시장")],
                   source="demo")  # fmt: skip
    memory.save(tmp_path / FILE_NAME)
    back = load_memory(tmp_path)
    assert back is not None and back.to_dict() == memory.to_dict() and back.source == "demo"
    assert load_memory(tmp_path / "nowhere") is None
    (tmp_path / FILE_NAME).write_text('{"format": "something else"}', encoding="utf-8")
    with pytest.raises(ValueError, match=FILE_NAME):
        load_memory(tmp_path)
    with pytest.raises(ValueError, match="outside"):
        Pattern.from_dict({"key": ["가"], "steps": [3]})


def test_the_build_command_learns_from_the_train_split_and_keeps_other_files(
    small_prepared, tmp_path, capsys
):
    from training.build_gloss_memory import main

    out = tmp_path / "m.json"
    main(["--data", str(small_prepared), "--out", str(out)])
    printed = capsys.readouterr().out
    assert "train" in printed and "with memory" in printed
    memory = GlossMemory.load(out)
    train = [json.loads(line) for line in (small_prepared / "manifest.jsonl").open()]
    train = [r for r in train if r.get("split") == "train" and r.get("sentence")]
    for r in train:  # every training sentence comes out as its clips sign it
        want = [g["gloss"] for g in r["glosses"]]
        assert text_to_gloss(r["sentence"], memory=memory).glosses == want
    other = tmp_path / "notes.json"
    other.write_text("{}", encoding="utf-8")
    with pytest.raises(SystemExit) as exc:
        main(["--data", str(small_prepared), "--out", str(other)])
    assert exc.value.code == 2 and other.read_text(encoding="utf-8") == "{}"


def test_the_shipped_memory_holds_only_training_sentences_and_glosses_them_as_the_corpus():
    from training.corpus.sentences import all_sentences
    from training.prepare import assign_splits

    memory = load_memory(ROOT / "checkpoints")
    assert memory is not None and len(memory.open) >= 5
    sentences = all_sentences()
    splits = assign_splits([s.text for s in sentences], 0.1, 0.1, 0)
    held_out = {"dev": [0, 0], "test": [0, 0]}
    for s in sentences:
        rules = text_to_gloss(s.text).glosses
        if splits[s.text] == "train":
            assert memory.glosses(rules) == list(s.glosses), s.text
            continue
        assert tuple(rules) not in memory.exact, f"{s.text} ({splits[s.text]}) was learned"
        held_out[splits[s.text]][0] += rules == list(s.glosses)
        held_out[splits[s.text]][1] += memory.glosses(rules) == list(s.glosses)
    # the patterns carry over: more unseen sentences come out as the corpus glosses them
    for rules_only, with_memory in held_out.values():
        assert with_memory > rules_only


def test_the_app_pipeline_asks_for_the_glosses_the_memory_gives(tmp_path):
    from sign_pipeline.pipeline import PipelineError, SignPipeline

    pipe = SignPipeline(checkpoints=ROOT / "checkpoints")
    got = pipe.glosses("학교에 가려면 몇 번 출구로 나가야 해요?", "lexicon")
    assert got.glosses == EXIT_DATA.format("학교").split()
    (tmp_path / FILE_NAME).write_text("not json", encoding="utf-8")
    with pytest.raises(PipelineError, match=FILE_NAME):
        SignPipeline(checkpoints=tmp_path)
