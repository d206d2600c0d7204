"""``pip install .`` gives a library that works away from the checkout: a fresh virtual
environment (the heavy requirements borrowed from this interpreter, nothing downloaded),
then, from a folder outside the checkout, every backend imports with its shipped checkpoint
and the command line signs a sentence."""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: Never copied into the source tree that is installed (the ignored folders of .gitignore).
NOT_SOURCE = (".git", ".venv", "data", "out", "runs", "build", "screenshots", "tests",
              "*.egg-info", "__pycache__", ".pytest_cache", ".ruff_cache", ".hypothesis")  # fmt: skip

PROBE = """
import json, sys
import sign_pipeline, training.train_text2pose, ui, app
from sign_pipeline import registry
stages = {s: {"names": registry.names(s), "available": registry.available(s)}
          for s in registry.STAGES}
classes = {s: [registry.backend_class(s, n).__module__ for n in registry.names(s)]
           for s in registry.STAGES}
print(json.dumps({"files": [m.__file__ for m in (sign_pipeline, training, ui, app)],
                  "checkpoints": str(registry.CHECKPOINTS), "stages": stages,
                  "classes": classes,
                  "font": str(registry.shipped("assets/NanumGothic-subset.woff2")),
                  "evaluation": str(registry.shipped("docs/evaluation.json"))}))
"""


def _run(cmd: list[str], cwd: Path, env: dict, timeout: int = 600) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{cmd[:4]}...\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    """A fresh venv holding ``pip install --no-deps --no-build-isolation .`` of a copy of
    the checkout (built from the copy so the checkout gets no build/ or egg-info)."""
    tmp = tmp_path_factory.mktemp("install")
    source = tmp / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*NOT_SOURCE))
    env_dir = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip",
                    str(env_dir)], check=True, timeout=120)  # fmt: skip
    # --system-site-packages sees the base interpreter's packages; when this interpreter is
    # itself a venv, its packages (torch, setuptools, pip) are added too, after the new ones
    purelib = Path(sysconfig.get_path("purelib", vars={"base": str(env_dir),
                                                       "platbase": str(env_dir)}))  # fmt: skip
    (purelib / "borrowed.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    python = env_dir / "bin" / "python"
    _run([str(python), "-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-index",
          "--ignore-installed", "--quiet", str(source)], tmp, _clean_env())  # fmt: skip
    shutil.rmtree(source)  # the installed copy must not need its source
    return env_dir


def _clean_env() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "KSL_CHECKPOINTS")}
    env["PIP_NO_INDEX"] = "1"  # offline: nothing is downloaded
    return env


@pytest.mark.slow
def test_every_backend_imports_from_the_installed_copy(venv, tmp_path):
    python = venv / "bin" / "python"
    proc = _run([str(python), "-c", PROBE], tmp_path, _clean_env())
    found = json.loads(proc.stdout.strip().splitlines()[-1])
    site_packages = Path(sysconfig.get_path("purelib", vars={"base": str(venv),
                                                             "platbase": str(venv)}))  # fmt: skip
    for file in found["files"]:
        assert Path(file).is_relative_to(site_packages), file  # not the checkout's
    assert Path(found["checkpoints"]) == site_packages / "sign_pipeline" / "shipped" / "checkpoints"
    for stage, got in found["stages"].items():
        assert got["available"] == got["names"], stage  # every backend, with its checkpoint
    assert set(found["stages"]["text2pose"]["names"]) >= {"lexicon", "progressive", "tacotron"}
    assert set(found["stages"]["pose2video"]["names"]) >= {"avatar", "edn", "stylegan2"}
    assert Path(found["font"]).is_file() and Path(found["font"]).is_relative_to(site_packages)
    assert Path(found["evaluation"]).is_relative_to(site_packages)


@pytest.mark.slow
def test_the_installed_command_signs_a_sentence_from_another_folder(venv, tmp_path):
    import imageio.v3 as iio

    out = tmp_path / "x.mp4"
    proc = _run([str(venv / "bin" / "python"), "-m", "sign_pipeline", "화장실이 어디예요?",
                 "-o", str(out)], tmp_path, _clean_env())  # fmt: skip
    n = int(proc.stdout.split("frames: ")[1].split()[0])
    assert n > 30 and out.stat().st_size > 10_000
    assert sum(1 for _ in iio.imiter(out)) == n  # the video holds every frame
    listed = _run([str(venv / "bin" / "ksl-sign"), "--list"], tmp_path, _clean_env()).stdout
    assert "Transformer (progressive)" in listed and "StyleGAN2 (stylegan2)" in listed
    assert str(venv) in listed.splitlines()[0]  # checkpoints: the installed copy
    assert (venv / "bin" / "ksl-app").is_file()
