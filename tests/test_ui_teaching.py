"""The "Teach a sign" and "Your signing on our signer" tabs' handlers, without a browser."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from sign_pipeline import registry
from sign_pipeline.pipeline import SignPipeline
from ui.handlers import PageHandlers

DATA = Path(__file__).parent / "data"
SIGNER = "2 · REAL02"


@pytest.fixture
def handlers(tmp_path) -> PageHandlers:
    pipe = SignPipeline(checkpoints=registry.DEFAULT_CHECKPOINTS, signs=tmp_path / "signs")
    return PageHandlers(pipe, cache=4, out_root=tmp_path / "runs")


def _last(updates) -> dict:
    shown: dict = {}
    for u in updates:
        shown.update(u)
    return shown


def openpose_zip(tmp_path: Path) -> Path:
    """The real OpenPose JSON frames as a phone would upload a folder: zipped, in a folder."""
    path = tmp_path / "frames.zip"
    with zipfile.ZipFile(path, "w") as z:
        for f in sorted((DATA / "openpose_json").glob("*.json")):
            z.write(f, f"clip/{f.name}")
    return path


def test_see_then_save_a_sign_then_a_sentence_uses_it(handlers, tmp_path):
    shown = _last(handlers.teach_preview(None, str(DATA / "openpose.pose"), "광화문", SIGNER))
    assert "frames" in shown["teach_status"] and "signing found" in shown["teach_status"]
    assert Path(shown["teach_video"]).stat().st_size > 5_000
    assert len(handlers.pipe.signs) == 0  # seeing it saves nothing

    video_before, summary_before = handlers.translate("광화문역에서 내려요")
    assert summary_before["taught"] == []
    saved = handlers.teach_save(None, str(DATA / "openpose.pose"), "광화문", False)
    assert "Saved 광화문" in saved["teach_status"]
    assert saved["signs_table"][0][0] == "광화문" and saved["sign_pick"]["value"] == "광화문"
    # the API's answer cache does not serve the answer from before the sign was taught
    _video, summary = handlers.translate("광화문역에서 내려요")
    assert summary["taught"] == ["광화문"] and not summary.get("cached")
    assert summary["gloss"]["items"][0]["source"] == "taught"

    page = _last(handlers.run_page("광화문역에서 내려요", SIGNER, "lexicon", "avatar", 1.0, True))
    assert "Not taught, shown as text over the resting signer: 지하철, 내리다" in page["status"]


def test_saving_refuses_bad_input_and_keeps_nothing(handlers, tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    cases = [
        ((None, None, "광화문", False), "record or upload a video"),
        ((None, str(DATA / "openpose.pose"), "", False), "the word is empty"),
        ((None, str(DATA / "openpose.pose"), "지하철", False), "built-in placeholder"),
        ((None, str(tmp_path / "notes.txt"), "메모", False), "unsupported file type"),
    ]
    for args, message in cases:
        shown = handlers.teach_save(*args)
        assert message in shown["teach_status"] and "error" in shown["teach_status"], args
    assert len(handlers.pipe.signs) == 0


def test_a_zip_of_openpose_frames_is_taught_like_a_folder(handlers, tmp_path):
    saved = handlers.teach_save(None, str(openpose_zip(tmp_path)), "떡볶이", False)
    assert "Saved 떡볶이 (0.30 s)" in saved["teach_status"]


def test_play_rename_delete_export_import(handlers, tmp_path):
    handlers.teach_save(None, str(DATA / "openpose.pose"), "광화문", False)
    played = handlers.sign_play("광화문", SIGNER)
    assert played["signs_status"] == "" and Path(played["signs_video"]).is_file()
    renamed = handlers.sign_rename("광화문", "우리역")
    assert "Renamed 광화문 to 우리역" in renamed["signs_status"]
    assert [r[0] for r in renamed["signs_table"]] == ["우리역"]
    exported = handlers.signs_export()
    zip_path = exported["signs_file"]["value"]
    assert "Exported 1 signs" in exported["signs_status"]
    kept = tmp_path / "kept.zip"
    shutil.copy(zip_path, kept)
    removed = handlers.sign_remove("우리역")
    assert removed["signs_table"] == [] and "Removed 우리역" in removed["signs_status"]
    imported = handlers.signs_import(str(kept), False)
    assert "Imported 1 signs: 우리역" in imported["signs_status"]
    again = handlers.signs_import(str(kept), False)
    assert "already taught: 우리역" in again["signs_status"]
    bad = handlers.signs_import(str(DATA / "openpose.pose"), False)
    assert "is not an export of taught signs" in bad["signs_status"]


@pytest.mark.slow
def test_animating_keypoints_on_a_signer(handlers):
    shown = _last(handlers.animate_page(None, str(DATA / "openpose.pose"), 1, SIGNER, "avatar"))
    assert "93 frames (3.88 s at 24 fps) on signer 2" in shown["anim_status"]
    assert Path(shown["anim_video"]).stat().st_size > 10_000
    bad = _last(handlers.animate_page(None, None, 1, SIGNER, "avatar"))
    assert "record or upload a video" in bad["anim_status"] and bad["anim_video"] is None
