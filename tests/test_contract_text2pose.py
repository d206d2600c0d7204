"""One contract every text-to-pose backend keeps (the diffusers habit): each registered
backend runs this suite on its shipped checkpoint, so a new backend inherits it."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

from sign_pipeline.text2pose.base import GlossInput
from tests.model_tester import assert_every_backend_installed, shipped_backends

backend = shipped_backends("text2pose")


def test_every_backend_file_is_installed_with_its_shipped_checkpoint():
    assert_every_backend_installed("text2pose")


@pytest.fixture(scope="module")
def glosses(backend) -> list[str]:
    """Three glosses the backend knows (a common sentence when it knows them)."""
    known = backend.known_glosses()
    wanted = ["지하철", "가방", "빠지다"]
    if known is None or all(g in known for g in wanted):
        return wanted
    return sorted(known)[:3]


def test_output_shape_mask_and_fps(backend, glosses):
    out = backend.sign(GlossInput.from_glosses(glosses))
    t = len(out)
    assert t > 10
    assert out.keypoints.shape == (t, 127, 2) and out.keypoints.dtype == np.float32
    assert out.mask.shape == (t, 127) and out.mask.dtype == bool
    assert np.isfinite(out.keypoints[out.mask]).all()
    assert out.fps > 0


def test_timings_in_order_and_inside_the_clip(backend, glosses):
    out = backend.sign(GlossInput.from_glosses(glosses))
    assert [t.gloss for t in out.timings] == glosses
    prev_end = 0
    for t in out.timings:
        assert 0 <= t.start < t.end <= len(out)
        assert t.start >= prev_end - 1  # at most touching
        prev_end = t.end


def test_another_signer_changes_the_output(backend, glosses):
    ids = backend.signers() or [1, 2]
    if len(ids) < 2:
        pytest.skip("backend knows one signer")
    a = backend.sign(GlossInput.from_glosses(glosses), signer=ids[0])
    b = backend.sign(GlossInput.from_glosses(glosses), signer=ids[1])
    n = min(len(a), len(b))
    assert len(a) != len(b) or np.abs(a.keypoints[:n] - b.keypoints[:n]).mean() > 1e-3


def test_speed_changes_the_length(backend, glosses):
    normal = len(backend.sign(glosses, speed=1.0))
    assert len(backend.sign(glosses, speed=2.0)) < 0.75 * normal
    assert len(backend.sign(glosses, speed=0.5)) > 1.4 * normal


def test_save_load_round_trip_gives_identical_output(backend, glosses, tmp_path):
    if not hasattr(backend, "save_pretrained"):
        pytest.fail(f"{backend.name} has no save_pretrained")
    backend.save_pretrained(tmp_path)
    again = type(backend).from_pretrained(tmp_path)
    a = backend.sign(glosses)
    b = again.sign(glosses)
    assert np.array_equal(a.keypoints, b.keypoints) and np.array_equal(a.mask, b.mask)


def test_generation_takes_no_reference_length_or_frames(backend):
    for method in (type(backend).generate, type(backend).sign):
        params = set(inspect.signature(method).parameters) - {"self"}
        assert params <= {"inputs", "signer", "speed"}, params


@pytest.mark.parametrize(
    "inputs, kwargs, needle",
    [
        ([], {}, "no glosses"),
        (["지하철", "없는글로스"], {}, "cannot sign 없는글로스"),
        (["지하철"], {"signer": 0}, "outside 1..16"),
        (["지하철"], {"signer": 17}, "outside 1..16"),
        (["지하철"], {"signer": "nobody"}, "signer"),
        (["지하철"], {"speed": 0}, "speed"),
        ([""], {}, "non-empty"),
    ],
)
def test_bad_input_is_a_clear_error(backend, inputs, kwargs, needle):
    if backend.known_glosses() is not None and "지하철" not in backend.known_glosses():
        inputs = [sorted(backend.known_glosses())[0] if g == "지하철" else g for g in inputs]
    with pytest.raises(ValueError, match=needle):
        backend.sign(inputs, **kwargs)
