"""The inference runtime (sign_pipeline.runtime): OpenVINO frames equal eager PyTorch's within
the tolerance (tiny configs here; the shipped checkpoints in test_contract_pose2video), the
crop paste that made conversion possible gives the old in-place write's values, converted
networks are cached by checkpoint, and every failure falls back to eager with a message."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from sign_pipeline import runtime
from sign_pipeline.pose2video import gan
from sign_pipeline.pose2video.edn import EDN
from sign_pipeline.pose2video.stylegan2 import StyleGAN2
from tests import test_edn, test_stylegan2
from tests.model_tester import lexicon_motion

needs_openvino = pytest.mark.skipif(not runtime.available(), reason="openvino not installed")


def _psnr_uint8(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(((a.astype(np.float64) - b.astype(np.float64)) ** 2).mean())
    return float("inf") if mse == 0 else 10 * np.log10(255**2 / mse)


def _jiggled(model: torch.nn.Module) -> torch.nn.Module:
    """``model`` with the refiners' zero-initialised outputs moved, so the crops change the
    frame and a wrong paste would show. (Moving every weight of a random EDN makes it
    chaotic: a difference in the last bit doubles from frame to frame, which a trained one
    does not do.)"""
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for refiner in (model.face, model.hand):
            for p in refiner.out.parameters():
                p.add_(0.2 * torch.randn(p.shape, generator=g))
    return model.eval()


def _tiny(kind: str, monkeypatch, runtime_name: str = "openvino"):
    monkeypatch.setenv(runtime.RUNTIME_ENV, runtime_name)
    if kind == "edn":
        return EDN(_jiggled(test_edn.tiny_model()))
    return StyleGAN2(_jiggled(test_stylegan2.tiny_model()))


@pytest.fixture(scope="module")
def motion():
    kp, mask = lexicon_motion()
    mask = mask.copy()
    mask[2, 95:] = False  # a frame without hands: the crops of absent parts must not paste
    return kp, mask


def _eager_frames(kind: str, motion, monkeypatch) -> np.ndarray:
    return _tiny(kind, monkeypatch, "eager").draw(*motion, signer=1)


# ---------------------------------------------------------------------------- crop paste


def _paste_in_place(images, crops, corners, part, present):
    """The paste as it was written before (advanced-index assignment, not convertible)."""
    out = images.clone()
    size = crops.shape[-1]
    for b in range(len(images)):
        if present[b, part]:
            x, y = (int(v) for v in corners[b, part])
            out[b, :, y : y + size, x : x + size] = crops[b]
    return out


def test_fixed_shape_paste_writes_the_crops_values_and_passes_their_gradients():
    torch.manual_seed(0)
    images = torch.randn(4, 3, 64, 64, requires_grad=True)
    crops = torch.randn(4, 3, 16, 16, requires_grad=True)
    corners = torch.tensor([[[0, 0]] * 3, [[48, 48]] * 3, [[10, 30]] * 3, [[47, 2]] * 3])
    present = torch.tensor([[True] * 3, [True] * 3, [False] * 3, [True, False, True]])
    for part in range(3):
        want = _paste_in_place(images, crops, corners, part, present)
        got = gan.paste_crops(images, crops, corners, part, present)
        assert torch.equal(got, want)
        assert torch.equal(gan.take_crops(got, corners, part, 16)[present[:, part]],
                           crops[present[:, part]])  # fmt: skip
        grad = torch.randn_like(got)
        g_img, g_crop = torch.autograd.grad(got, (images, crops), grad)
        w_img, w_crop = torch.autograd.grad(want, (images, crops), grad)
        assert torch.equal(g_img, w_img) and torch.equal(g_crop, w_crop)
        assert float(g_crop[~present[:, part]].abs().sum()) == 0  # an absent crop gets none


# ---------------------------------------------------------------------------- equal frames


@needs_openvino
def test_runtime_frames_equal_eager_frames(motion, monkeypatch):
    monkeypatch.setenv(runtime.PRECISION_ENV, "f32")
    backend = _tiny("stylegan2", monkeypatch)
    frames = backend.draw(*motion, signer=1)
    assert backend.runtime() == "openvino f32"
    eager = _eager_frames("stylegan2", motion, monkeypatch)
    assert frames.shape == eager.shape
    assert _psnr_uint8(frames, eager) >= 40
    assert np.abs(frames.astype(int) - eager.astype(int)).max() <= 2  # f32: rounding only


@needs_openvino
@pytest.mark.parametrize("precision", ["f32", "bf16"])
def test_edn_steps_through_the_runtime_equal_eager_steps(precision, motion, monkeypatch):
    """Frame by frame from the same previous frame: an untrained EDN fed its own output is
    chaotic (a last-bit difference doubles every frame), so whole clips are compared on the
    shipped checkpoint (test_contract_pose2video)."""
    if precision == "bf16" and not runtime.native_bf16():
        pytest.skip("this CPU has no native bf16")
    model = _jiggled(test_edn.tiny_model())
    runner = runtime.Runner(model, "tiny-edn", precision)
    kp, mask = motion
    c = model.config
    px = np.where(mask[..., None], gan.place(kp, c.placements["1"]), 0.0)
    sticks = gan.to_tensor(gan.draw_sticks(px, mask, c.size))
    corners, present = (torch.from_numpy(a) for a in gan.crop_corners(px, mask, c.crop_sizes,
                                                                      c.size))  # fmt: skip
    prev, has = torch.zeros(1, 3, c.size, c.size), torch.zeros(1, dtype=torch.bool)
    for t in range(len(kp)):
        inputs = (sticks[t : t + 1], prev, has, model.signer_onehot(1), corners[t : t + 1],
                  present[t : t + 1])  # fmt: skip
        with torch.inference_mode():
            want = model(*inputs)
        got = runner(*inputs)
        assert runner.runtime == f"openvino {precision}"
        assert runtime.psnr(got, want) >= (60 if precision == "f32" else 40), t
        prev, has = want, torch.ones(1, dtype=torch.bool)


@needs_openvino
@pytest.mark.skipif(not runtime.native_bf16(), reason="this CPU has no native bf16")
def test_bf16_frames_stay_within_40_db_of_f32(motion, monkeypatch):
    backend = _tiny("stylegan2", monkeypatch)
    backend.runner.precision = "bf16"
    frames = backend.draw(*motion, signer=1)
    assert backend.runtime() == "openvino bf16"
    assert _psnr_uint8(frames, _eager_frames("stylegan2", motion, monkeypatch)) >= 40


@needs_openvino
@pytest.mark.parametrize("kind", ["edn", "stylegan2"])
def test_pieces_through_the_runtime_put_together_are_the_whole_clip(kind, motion, monkeypatch):
    backend = _tiny(kind, monkeypatch)
    whole = backend.draw(*motion, signer=2)
    pieces = np.concatenate(list(backend.draw_chunks(*motion, signer=2, chunk=3)))
    assert np.array_equal(pieces, whole)


@needs_openvino
def test_other_input_shapes_run_eagerly(monkeypatch):
    model = _jiggled(test_stylegan2.tiny_model())
    runner = runtime.Runner(model, "tiny-stylegan2")
    one = _stylegan2_inputs(model, 1)
    runner(*one)
    assert runner.runtime == "openvino f32"
    three = _stylegan2_inputs(model, 3)  # another batch size: not what was converted
    with torch.inference_mode():
        want = model(*three)
    assert torch.equal(runner(*three), want)


def _stylegan2_inputs(model, batch: int) -> tuple[torch.Tensor, ...]:
    g = torch.Generator().manual_seed(batch)
    size = model.config.size
    return (
        torch.rand(batch, 3, size, size, generator=g) * 2 - 1,
        torch.randn(batch, 381, generator=g),
        model.signer_onehot([1] * batch),
        torch.randint(0, size - 16, (batch, 3, 2), generator=g),
        torch.ones(batch, 3, dtype=torch.bool),
    )


# ---------------------------------------------------------------------------- cache


@needs_openvino
def test_a_converted_network_is_cached_by_its_weights(tmp_path, monkeypatch):
    monkeypatch.setenv(runtime.CACHE_ENV, str(tmp_path))
    model = _jiggled(test_stylegan2.tiny_model())
    inputs = _stylegan2_inputs(model, 1)
    first = runtime.compile_net(model, inputs, "tiny")
    assert first is not None and first.source == "converted"
    entries = list((tmp_path / "openvino").iterdir())
    assert len(entries) == 1 and (entries[0] / "model.xml").is_file()
    again = runtime.compile_net(model, inputs, "tiny")
    assert again is not None and again.source == "cache"
    assert torch.equal(first(*inputs), again(*inputs))
    with torch.no_grad():
        model.const.add_(1.0)  # other weights: another network, converted anew
    changed = runtime.compile_net(model, inputs, "tiny")
    assert changed is not None and changed.source == "converted"
    assert len(list((tmp_path / "openvino").iterdir())) == 2
    with torch.inference_mode():
        want = model(*inputs)
    assert runtime.psnr(changed(*inputs), want) >= 40


@needs_openvino
def test_a_damaged_cache_entry_is_converted_again(tmp_path, monkeypatch):
    monkeypatch.setenv(runtime.CACHE_ENV, str(tmp_path))
    model = _jiggled(test_stylegan2.tiny_model())
    inputs = _stylegan2_inputs(model, 1)
    assert runtime.compile_net(model, inputs, "tiny").source == "converted"
    (entry,) = (tmp_path / "openvino").iterdir()
    (entry / "model.xml").write_text("<net broken")
    again = runtime.compile_net(model, inputs, "tiny")
    assert again is not None and again.source == "converted"
    assert runtime.compile_net(model, inputs, "tiny").source == "cache"  # written anew


@needs_openvino
def test_an_unwritable_cache_still_converts(tmp_path, monkeypatch):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    monkeypatch.setenv(runtime.CACHE_ENV, str(blocked))
    model = _jiggled(test_stylegan2.tiny_model())
    net = runtime.compile_net(model, _stylegan2_inputs(model, 1), "tiny")
    assert net is not None and net.source == "converted"
    assert blocked.read_text() == "not a folder"


# ---------------------------------------------------------------------------- fallback


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    """An empty cache folder (so a network converted by another test is not found)."""
    monkeypatch.setenv(runtime.CACHE_ENV, str(tmp_path / "cache"))


def _fallback_case(kind, motion, monkeypatch, capsys, expect: str):
    runtime._said.clear()
    backend = _tiny(kind, monkeypatch)
    frames = backend.draw(*motion, signer=1)
    assert backend.runtime() == "eager"
    assert np.array_equal(frames, _eager_frames(kind, motion, monkeypatch))
    assert expect in capsys.readouterr().err


@pytest.mark.parametrize("kind", ["edn", "stylegan2"])
def test_without_openvino_the_backend_draws_eagerly_and_says_so(kind, motion, monkeypatch,
                                                                capsys):  # fmt: skip
    monkeypatch.setattr(runtime, "_openvino", lambda: None)
    _fallback_case(kind, motion, monkeypatch, capsys, "OpenVINO is not installed")


@needs_openvino
def test_a_failed_conversion_falls_back_to_eager(motion, monkeypatch, capsys, fresh_cache):
    def broken(*args, **kwargs):
        raise RuntimeError("cannot convert aten::something")

    monkeypatch.setattr(runtime, "_convert", broken)
    _fallback_case("stylegan2", motion, monkeypatch, capsys, "conversion failed (RuntimeError")


@needs_openvino
def test_a_network_that_converts_wrongly_is_not_used(motion, monkeypatch, capsys,
                                                     fresh_cache):  # fmt: skip
    real = runtime.CompiledNet.__call__

    def off(self, *inputs):
        return real(self, *inputs) + 0.5  # a converted network that draws other frames

    monkeypatch.setattr(runtime.CompiledNet, "__call__", off)
    _fallback_case("stylegan2", motion, monkeypatch, capsys, "differs from PyTorch's")


def test_eager_when_asked(motion, monkeypatch, capsys):
    backend = _tiny("stylegan2", monkeypatch, "eager")
    backend.draw(*motion, signer=1)
    assert backend.runtime() == "eager"
    assert capsys.readouterr().err == ""


def test_unknown_runtime_and_precision_names_are_errors(monkeypatch):
    monkeypatch.setenv(runtime.RUNTIME_ENV, "tensorrt")
    with pytest.raises(ValueError, match="KSL_RUNTIME='tensorrt'"):
        runtime.chosen()
    monkeypatch.setenv(runtime.PRECISION_ENV, "int4")
    with pytest.raises(ValueError, match="KSL_PRECISION='int4'"):
        runtime.precision_for("bf16")


def test_f32_is_forced_and_bf16_needs_the_cpu(monkeypatch):
    monkeypatch.setenv(runtime.PRECISION_ENV, "f32")
    assert runtime.precision_for("bf16") == "f32"
    monkeypatch.delenv(runtime.PRECISION_ENV)
    monkeypatch.setattr(runtime, "native_bf16", lambda: False)
    assert runtime.precision_for("bf16") == "f32"
    monkeypatch.setattr(runtime, "native_bf16", lambda: True)
    assert runtime.precision_for("bf16") == "bf16"
    assert runtime.precision_for("f32") == "f32"
