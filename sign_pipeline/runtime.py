"""Trained networks through OpenVINO, a CPU inference runtime, with eager PyTorch as the
fallback.

A backend hands :func:`compile_net` its network and an example input; the network is
converted once (``openvino.convert_model`` traces the PyTorch module), saved under the
cache folder keyed by a hash of its weights, config, input shapes and the OpenVINO version,
and compiled for the CPU. It is then called like the module: tensors in, a tensor out.
Before it is used, its output on the example is compared with eager PyTorch's; a network
that does not convert, or whose output differs by more than the backend allows, is not
used: the backend keeps eager PyTorch and says why, once.

Which runtime: ``KSL_RUNTIME`` = ``openvino`` (default when it is installed) or ``eager``.
Precision: a backend may ask for bf16; it is used only when the CPU computes bf16 natively
(OpenVINO's CPU plugin reports it), else f32. ``KSL_PRECISION=f32`` forces f32 everywhere.
Threads: as many as torch is set to use (``torch.get_num_threads()``), so a signing worker
limited to one thread stays at one.

Offline: OpenVINO's converter would load its telemetry package; it is kept from importing,
so conversion sends nothing anywhere.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
import threading
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

#: Environment variables: the runtime, the precision, the cache folder.
RUNTIME_ENV = "KSL_RUNTIME"
PRECISION_ENV = "KSL_PRECISION"
CACHE_ENV = "KSL_CACHE"
RUNTIMES = ("openvino", "eager")
#: Bumped when the way networks are converted changes (old cache entries are then unused).
FORMAT = 1

_said: set[str] = set()
_lock = threading.Lock()


def say_once(message: str) -> None:
    """Print ``message`` the first time it comes up in this process."""
    with _lock:
        if message in _said:
            return
        _said.add(message)
    print(message, file=sys.stderr, flush=True)


def chosen() -> str:
    """The runtime asked for: ``KSL_RUNTIME`` (``openvino`` or ``eager``), default openvino."""
    name = os.environ.get(RUNTIME_ENV, "openvino").strip().lower() or "openvino"
    if name not in RUNTIMES:
        raise ValueError(f"{RUNTIME_ENV}={name!r}: expected one of {', '.join(RUNTIMES)}")
    return name


def _openvino():
    """The openvino module, or None when it is not installed (its telemetry kept out)."""
    sys.modules.setdefault("openvino_telemetry", None)  # import fails -> converter's stub
    try:
        import openvino
    except ImportError:
        return None
    return openvino


def available() -> bool:
    """Whether OpenVINO is installed here."""
    return _openvino() is not None


_core = None


def _get_core():
    global _core
    if _core is None:
        _core = _openvino().Core()
    return _core


def native_bf16() -> bool:
    """Whether this CPU computes bf16 natively (OpenVINO's CPU plugin says so)."""
    if not available():
        return False
    try:
        return "BF16" in _get_core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")
    except RuntimeError:
        return False


def precision_for(wanted: str) -> str:
    """The precision a network that asks for ``wanted`` (``f32`` or ``bf16``) runs at here."""
    forced = os.environ.get(PRECISION_ENV, "").strip().lower()
    if forced not in ("", "f32", "bf16"):
        raise ValueError(f"{PRECISION_ENV}={forced!r}: expected f32 or bf16")
    if forced == "f32" or wanted == "f32":
        return "f32"
    return "bf16" if native_bf16() else "f32"


def cache_dir() -> Path:
    """Where converted networks are kept: ``KSL_CACHE``, else the user's cache folder."""
    root = os.environ.get(CACHE_ENV)
    if root:
        return Path(root)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "ksl-transit-sign"


def fingerprint(module: torch.nn.Module, example: Sequence[torch.Tensor]) -> str:
    """A hash of the weights, the config, the class, the input shapes and OpenVINO's version:
    a converted network is reused only for exactly this network."""
    h = hashlib.sha256()
    ov = _openvino()
    version = getattr(ov, "__version__", "")
    h.update(f"{FORMAT}|{type(module).__qualname__}|{version}".encode())
    config = getattr(module, "config", None)
    if config is not None and hasattr(config, "to_dict"):
        h.update(json.dumps(config.to_dict(), sort_keys=True, default=str).encode())
    for t in example:
        h.update(f"{tuple(t.shape)}{t.dtype}".encode())
    for name, tensor in module.state_dict().items():
        h.update(name.encode())
        h.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()[:20]


class CompiledNet:
    """A network compiled by OpenVINO, called like the PyTorch module: tensors (the inputs it
    was converted with, same shapes and types) in, a float tensor out. One call at a time
    (calls from several threads wait for each other)."""

    def __init__(self, compiled, precision: str, source: str, shapes: list[tuple]) -> None:
        self.compiled = compiled
        self.request = compiled.create_infer_request()
        self.precision = precision
        #: "cache" (loaded from the cache folder) or "converted" (converted in this process)
        self.source = source
        #: the input shapes it was converted for (static: other shapes need another network)
        self.shapes = shapes
        self._lock = threading.Lock()

    def __call__(self, *inputs: torch.Tensor) -> torch.Tensor:
        arrays = [np.ascontiguousarray(t.detach().cpu().numpy()) for t in inputs]
        with self._lock:
            self.request.infer(arrays)
            out = np.array(self.request.get_output_tensor(0).data, copy=True)
        return torch.from_numpy(out)


class Runner:
    """Calls ``module`` through OpenVINO when it converts (on the first call, with that
    call's inputs as the example), else eagerly; inputs of other shapes than the converted
    ones run eagerly too. ``runtime`` says which is in use."""

    def __init__(self, module: torch.nn.Module, name: str, precision: str = "f32",
                 min_psnr: float = 40.0) -> None:  # fmt: skip
        self.module = module
        self.name = name
        self.precision = precision
        self.min_psnr = min_psnr
        self.net: CompiledNet | None = None
        self._tried = False
        self._lock = threading.Lock()

    def prepare(self, *example: torch.Tensor) -> None:
        """Convert and compile now (once) with ``example`` as the inputs."""
        with self._lock:
            if not self._tried:
                self.net = compile_net(self.module, example, self.name, self.precision,
                                       self.min_psnr)  # fmt: skip
                self._tried = True

    def __call__(self, *inputs: torch.Tensor) -> torch.Tensor:
        self.prepare(*inputs)
        net = self.net
        if net is not None and [tuple(t.shape) for t in inputs] == net.shapes:
            return net(*inputs)
        with torch.inference_mode():
            return self.module(*inputs)

    @property
    def runtime(self) -> str:
        """The runtime in use: "openvino f32", "openvino bf16", or "eager" (also before the
        first call)."""
        return "eager" if self.net is None else f"openvino {self.net.precision}"


def _convert(module: torch.nn.Module, example: tuple[torch.Tensor, ...]):
    """``module`` traced on ``example`` as an OpenVINO model with the example's static shapes."""
    ov = _openvino()
    shapes = [(ov.PartialShape(list(t.shape)), getattr(ov.Type, _ELEMENT[t.dtype]))
              for t in example]  # fmt: skip
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracing's warnings: the output check decides
        return ov.convert_model(module, example_input=example, input=shapes)


def _save(model, target: Path) -> bool:
    """Save ``model`` as ``target``/model.xml (+ .bin), written in a temporary folder and
    renamed into place (workers may race: one wins); False when the cache is not writable."""
    ov = _openvino()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".convert-", dir=target.parent))
    except OSError:
        return False
    try:
        ov.save_model(model, tmp / "model.xml", compress_to_fp16=False)
        tmp.rename(target)
    except OSError:  # another process put it there first, or no room
        return (target / "model.xml").is_file()
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return True


_ELEMENT = {torch.float32: "f32", torch.int64: "i64", torch.int32: "i32", torch.bool: "boolean"}


def psnr(a: torch.Tensor, b: torch.Tensor, peak: float = 2.0) -> float:
    """PSNR in dB between two images in -1..1 (peak 2); inf when equal."""
    mse = float(((a.float() - b.float()) ** 2).mean())
    return float("inf") if mse == 0 else 10 * np.log10(peak * peak / mse)


def compile_net(
    module: torch.nn.Module,
    example: Sequence[torch.Tensor],
    name: str,
    precision: str = "f32",
    min_psnr: float = 40.0,
) -> CompiledNet | None:
    """``module`` (in eval mode) converted and compiled for the CPU, or None (eager PyTorch
    stays) when ``KSL_RUNTIME=eager``, OpenVINO is missing, conversion fails, or the
    compiled output on ``example`` is further than ``min_psnr`` dB from eager PyTorch's
    (outputs in -1..1). ``name`` labels the cache entry and the messages."""
    if chosen() == "eager":
        return None
    if not available():
        say_once(f"{name}: OpenVINO is not installed; using eager PyTorch (slower)")
        return None
    example = tuple(example)
    run_at = precision_for(precision)
    try:
        key = fingerprint(module, example)
        target = cache_dir() / "openvino" / f"{name}-{key}"
        config = {
            "INFERENCE_PRECISION_HINT": run_at,
            "INFERENCE_NUM_THREADS": max(1, torch.get_num_threads()),
            "PERFORMANCE_HINT": "LATENCY",
        }
        compiled, source = None, "cache"
        if (target / "model.xml").is_file():
            try:
                compiled = _get_core().compile_model(str(target / "model.xml"), "CPU", config)
            except RuntimeError:  # a damaged cache entry: converted again below
                shutil.rmtree(target, ignore_errors=True)
        if compiled is None:  # converted now; kept for next time if the cache can be written
            source, model = "converted", _convert(module, example)
            _save(model, target)
            compiled = _get_core().compile_model(model, "CPU", config)
        net = CompiledNet(compiled, run_at, source, [tuple(t.shape) for t in example])
        with torch.inference_mode():
            want = module(*example)
        got = net(*example)
    except Exception as exc:  # noqa: BLE001 - any failure means: stay on eager PyTorch
        say_once(f"{name}: OpenVINO conversion failed ({type(exc).__name__}: "
                 f"{str(exc).splitlines()[0][:200] if str(exc) else ''}); using eager PyTorch")  # fmt: skip
        return None
    if got.shape != want.shape or psnr(got, want) < min_psnr:
        say_once(f"{name}: OpenVINO output differs from PyTorch's (PSNR "
                 f"{psnr(got, want) if got.shape == want.shape else float('nan'):.1f} dB < "
                 f"{min_psnr:g}); using eager PyTorch")  # fmt: skip
        return None
    return net


__all__ = [
    "CACHE_ENV",
    "CompiledNet",
    "PRECISION_ENV",
    "RUNTIME_ENV",
    "Runner",
    "available",
    "cache_dir",
    "chosen",
    "compile_net",
    "fingerprint",
    "native_bf16",
    "precision_for",
    "psnr",
    "say_once",
]
