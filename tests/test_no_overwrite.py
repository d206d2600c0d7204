"""Commands never delete or overwrite what they did not write: an output folder holding
other files is refused with a message and exit code 2, and left as it was."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sign_pipeline.__main__ import main as sign_main
from training import build_lexicon, evaluate, plot_pose2video, plot_text2pose

ROOT = Path(__file__).resolve().parent.parent


def _someone_elses(folder: Path) -> dict[str, bytes]:
    """Fill ``folder`` with files a user made; returns them to compare afterwards."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "notes.txt").write_text("mine")
    (folder / "sub").mkdir()
    (folder / "sub" / "thesis.tex").write_text("also mine")
    return _contents(folder)


def _contents(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_sign_keypoints_into_the_working_folder_is_refused(tmp_path, monkeypatch, capsys):
    before = _someone_elses(tmp_path)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exc:
        sign_main(["지하철", "-o", "x.mp4", "--keypoints", "."])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "--keypoints .: the folder holds files this command did not write" in err
    assert "notes.txt" in err and "nothing was deleted" in err
    assert _contents(tmp_path) == before and not (tmp_path / "x.mp4").exists()


@pytest.mark.parametrize("make, args, needle", [
    (lambda p: (p / "out.mp4").mkdir(), ["-o", "out.mp4"], "-o out.mp4: a folder"),
    (lambda p: (p / "kp").write_text("a file"), ["-o", "x.mp4", "--keypoints", "kp"],
     "--keypoints kp: a file, not a folder"),
    (lambda p: (p / "kp.pose").mkdir(), ["-o", "x.mp4", "--keypoints", "kp.pose"],
     "--keypoints kp.pose: a folder"),
])  # fmt: skip
def test_sign_refuses_outputs_that_are_not_what_they_claim(tmp_path, monkeypatch, capsys,
                                                            make, args, needle):  # fmt: skip
    make(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exc:
        sign_main(["지하철", *args])
    assert exc.value.code == 2 and needle in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == before


@pytest.mark.slow
def test_sign_keypoints_replaces_only_its_own_earlier_frames(tmp_path, capsys):
    folder = tmp_path / "frames"
    folder.mkdir()
    stale = folder / "sign_000000099999_keypoints.json"  # an earlier, longer run's last frame
    stale.write_text("{}")
    assert sign_main(["지하철", "-o", str(tmp_path / "x.mp4"), "--keypoints", str(folder)]) == 0
    frames = sorted(p.name for p in folder.iterdir())
    n = int(capsys.readouterr().out.split("frames: ")[1].split()[0])
    assert frames == [f"sign_{i:012d}_keypoints.json" for i in range(n)] and n > 10
    assert json.loads((folder / frames[0]).read_text())["people"]


def test_build_lexicon_refuses_a_folder_that_is_not_a_lexicon(tmp_path, capsys):
    out = tmp_path / "out"
    before = _someone_elses(out)
    with pytest.raises(ValueError, match="not a lexicon checkpoint"):
        build_lexicon.build(tmp_path / "no data", out)
    with pytest.raises(SystemExit) as exc:  # the command: a message and exit 2
        build_lexicon.main(["--data", str(tmp_path / "no data"), "--out", str(out)])
    assert exc.value.code == 2 and "nothing was written" in capsys.readouterr().err
    assert _contents(out) == before
    (tmp_path / "file").write_text("x")
    assert "a file, not a folder" in build_lexicon.out_folder_problem(tmp_path / "file")
    assert build_lexicon.out_folder_problem(tmp_path / "new") is None


def test_evaluate_refuses_to_overwrite_a_file_that_is_not_its_results(tmp_path, capsys):
    other = tmp_path / "config.json"
    other.write_text('{"mine": true}')
    for out, needle in ((other, "not an earlier evaluation"), (tmp_path / "x.txt", "*.json")):
        with pytest.raises(SystemExit) as exc:
            evaluate.main(["--data", str(tmp_path), "--out", str(out)])
        assert exc.value.code == 2 and needle in capsys.readouterr().err
    assert other.read_text() == '{"mine": true}' and not (tmp_path / "x.txt").exists()
    earlier = tmp_path / "evaluation.json"
    earlier.write_text(json.dumps({"command": "python -m training.evaluate --data d"}))
    assert evaluate.out_file_problem(earlier) is None
    assert evaluate.out_file_problem(tmp_path / "new.json") is None


@pytest.mark.parametrize("plot", [plot_text2pose, plot_pose2video])
def test_plots_write_only_a_png(tmp_path, capsys, plot):
    readme = tmp_path / "README.md"
    readme.write_text("mine")
    for out in (readme, tmp_path):
        with pytest.raises(SystemExit) as exc:
            plot.main(["--data", str(tmp_path), "--out", str(out)])
        assert exc.value.code == 2 and "*.png" in capsys.readouterr().err
    assert readme.read_text() == "mine"



@pytest.mark.slow
def test_make_font_gives_the_committed_bytes(tmp_path):
    pytest.importorskip("brotli")  # fontTools writes WOFF2 with it
    from assets import make_font

    fresh = make_font.make_font(tmp_path / "font.woff2")
    assert fresh.read_bytes() == make_font.OUT.read_bytes()  # deterministic: the same bytes


def test_make_font_keeps_a_file_that_would_change(tmp_path, capsys, monkeypatch):
    from assets import make_font

    monkeypatch.setattr(make_font, "make_font", lambda out: out.write_bytes(b"font") and out)
    fresh = tmp_path / "font.woff2"
    assert make_font.main(["--out", str(fresh)]) == 0 and fresh.read_bytes() == b"font"
    assert make_font.main(["--out", str(fresh)]) == 0
    assert "up to date" in capsys.readouterr().out
    fresh.write_bytes(b"someone else's font")
    assert make_font.main(["--out", str(fresh)]) == 2
    assert "--force overwrites it" in capsys.readouterr().err
    assert fresh.read_bytes() == b"someone else's font"
    assert make_font.main(["--out", str(fresh), "--force"]) == 0
    assert fresh.read_bytes() == b"font"
    with pytest.raises(SystemExit) as exc:
        make_font.main(["--out", str(tmp_path / "font.ttf")])
    assert exc.value.code == 2 and not (tmp_path / "font.ttf").exists()
