"""The backend registry: names from files, reasons for what cannot load, checkpoints."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from sign_pipeline import registry


def test_backends_are_named_once_by_their_file():
    from sign_pipeline.pose2video.avatar import AvatarRenderer
    from sign_pipeline.text2pose.lexicon import LexiconText2Pose

    assert LexiconText2Pose.name == "lexicon" and AvatarRenderer.name == "avatar"
    assert registry.backend_class("text2pose", "lexicon") is LexiconText2Pose
    assert LexiconText2Pose.checkpoint == "lexicon" and AvatarRenderer.checkpoint is None


def test_only_existing_backends_are_listed_and_helpers_are_not_backends():
    t2p, p2v = registry.names("text2pose"), registry.names("pose2video")
    assert t2p[0] == "lexicon" and p2v[0] == "avatar"
    for not_backend in ("base", "placement", "stickfigure", "appearances"):
        assert not_backend not in t2p + p2v
    files = {p.stem for p in (registry.ROOT / "sign_pipeline" / "text2pose").glob("*.py")}
    assert set(t2p) <= files


@pytest.fixture
def fake_stage(tmp_path, monkeypatch):
    """Extra backend files on the text2pose package path (a broken one and a good one)."""
    (tmp_path / "needs_dep.py").write_text("import ksl_missing_dependency_xyz\n")
    (tmp_path / "echo.py").write_text(
        "from sign_pipeline.registry import register\n"
        "from sign_pipeline.text2pose.base import Text2Pose\n"
        "@register\n"
        "class Echo(Text2Pose):\n"
        "    description = 'test backend'\n"
        "    @classmethod\n"
        "    def from_pretrained(cls, path):\n"
        "        return cls()\n"
        "    def generate(self, inputs, signer=1, speed=1.0):\n"
        "        raise NotImplementedError\n"
    )
    pkg = importlib.import_module("sign_pipeline.text2pose")
    monkeypatch.setattr(pkg, "__path__", [*pkg.__path__, str(tmp_path)])
    monkeypatch.setattr(registry, "_SCANNED", set())
    monkeypatch.setattr(registry, "_FAILED", dict(registry._FAILED))
    monkeypatch.setattr(registry, "_CLASSES", dict(registry._CLASSES))
    yield tmp_path
    for name in ("needs_dep", "echo"):
        sys.modules.pop(f"sign_pipeline.text2pose.{name}", None)


def test_a_backend_that_cannot_import_says_why(fake_stage, tmp_path):
    assert "needs_dep" in registry.names("text2pose")
    info = registry.info("text2pose", "needs_dep", tmp_path)
    assert not info.installed and "needs ksl_missing_dependency_xyz" in info.reason
    with pytest.raises(ImportError, match="cannot be loaded: needs ksl_missing"):
        registry.backend_class("text2pose", "needs_dep")


def test_a_new_backend_file_is_found_and_needs_its_checkpoint(fake_stage, tmp_path):
    assert "echo" in registry.names("text2pose")
    info = registry.info("text2pose", "echo", tmp_path)
    assert not info.installed and "no checkpoint at" in info.reason
    (tmp_path / "echo").mkdir()
    (tmp_path / "echo" / "config.json").write_text("{}")
    assert registry.info("text2pose", "echo", tmp_path).installed
    assert "echo" in registry.available("text2pose", tmp_path)
    assert registry.load("text2pose", "echo", tmp_path).name == "echo"


def test_unknown_names_list_the_known_ones():
    with pytest.raises(KeyError, match="known: lexicon"):
        registry.backend_class("text2pose", "nope")
    with pytest.raises(KeyError, match="unknown stage"):
        registry.names("text2video")


def test_register_refuses_a_class_outside_a_stage_folder():
    class Stray:
        pass

    with pytest.raises(TypeError, match="sign_pipeline/<stage>/<name>.py"):
        registry.register(Stray)


def test_a_backend_asked_for_by_file_name_imports_only_its_own_module():
    """A signing worker loads lexicon + avatar by file name: the learned backends' modules
    (and transformers, 140 MB) stay out; a label still finds its backend."""
    code = (
        "import sys\n"
        "from sign_pipeline import registry\n"
        "registry.load('text2pose', 'lexicon')\n"
        "registry.load('pose2video', 'avatar')\n"
        "before = sorted(m for m in sys.modules if m.startswith(('transformers', "
        "'sign_pipeline.text2pose.', 'sign_pipeline.pose2video.')))\n"
        "assert registry.resolve('text2pose', 'Transformer') == 'progressive'\n"
        "print(before, 'transformers' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=registry.ROOT, capture_output=True,
                         text=True, timeout=120, check=True).stdout.strip()  # fmt: skip
    imported, after = out.rsplit(" ", 1)
    assert "transformers" not in imported and "progressive" not in imported, imported
    assert "sign_pipeline.text2pose.lexicon" in imported, imported
    assert after == "True"  # resolving a label scanned the stage: every backend imported
