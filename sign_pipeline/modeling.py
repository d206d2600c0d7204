"""The base of every learned model: a ``transformers`` model + config, saved as
``config.json`` + ``model.safetensors``, loaded offline, with its gloss vocabulary inside.

A learned backend file (e.g. ``text2pose/progressive.py``) defines a config subclassing
:class:`SignModelConfig` and a model subclassing :class:`SignPreTrainedModel`; saving,
loading, the vocabulary, the signer one-hot and checkpoint errors come from here.

    model = MyModel(MyConfig(glosses=vocab_list, signers=[1, 2, 3, 4]))
    model.save_pretrained("checkpoints/mine")
    model = MyModel.load("checkpoints/mine", device="cpu")
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import torch  # noqa: E402
from transformers import PretrainedConfig, PreTrainedModel  # noqa: E402
from transformers.utils import logging as hf_logging  # noqa: E402

from . import signers as signer_ids  # noqa: E402
from . import skeleton as sk  # noqa: E402

hf_logging.disable_progress_bar()
hf_logging.set_verbosity_error()

#: The keypoint layout every model of this project reads and writes.
LAYOUT = "ksl127"


class CheckpointError(ValueError):
    """A checkpoint folder that is missing, corrupt, or built for another layout/model."""


class GlossVocab:
    """Gloss <-> id, with ``<pad>`` = 0, ``<bos>`` = 1, ``<eos>`` = 2, then the glosses.

    Saved inside the model's config (``glosses``), so a checkpoint carries its vocabulary.
    Unknown glosses are an error (the gloss stage only hands a backend glosses it knows).
    """

    PAD, BOS, EOS = 0, 1, 2
    SPECIAL = ("<pad>", "<bos>", "<eos>")

    def __init__(self, glosses: Iterable[str]) -> None:
        self.glosses = list(dict.fromkeys(glosses))
        self._ids = {g: i + len(self.SPECIAL) for i, g in enumerate(self.glosses)}

    def __len__(self) -> int:
        return len(self.SPECIAL) + len(self.glosses)

    def __contains__(self, gloss: object) -> bool:
        return gloss in self._ids

    def encode(self, glosses: Sequence[str]) -> list[int]:
        """Ids of ``glosses`` (ValueError naming the unknown ones)."""
        unknown = [g for g in glosses if g not in self._ids]
        if unknown:
            raise ValueError(f"glosses not in the model's vocabulary: {', '.join(unknown[:8])}")
        return [self._ids[g] for g in glosses]

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Glosses of ``ids`` (special ids are dropped)."""
        n = len(self.SPECIAL)
        return [self.glosses[i - n] for i in ids if n <= i < len(self)]


class SignModelConfig(PretrainedConfig):
    """What every learned model records: layout, fps, its vocabulary and signer ids."""

    model_type = "ksl_sign_model"

    def __init__(
        self,
        glosses: Sequence[str] = (),
        signers: Sequence[int] = (),
        num_points: int = sk.NUM_POINTS,
        num_signers: int = signer_ids.NUM_SIGNERS,
        fps: float = 30.0,
        layout: str = LAYOUT,
        trained_on: str = "",
        **kwargs,
    ) -> None:
        self.glosses = list(glosses)
        self.signers = [int(s) for s in signers]
        self.num_points = int(num_points)
        self.num_signers = int(num_signers)
        self.fps = float(fps)
        self.layout = layout
        #: Where the training data came from (the app says "synthetic demo corpus" when so).
        self.trained_on = trained_on
        super().__init__(**kwargs)


class SignPreTrainedModel(PreTrainedModel):
    """Base of the project's learned models (Xavier init, offline load, clear errors)."""

    config_class = SignModelConfig
    base_model_prefix = "model"
    main_input_name = "inputs"

    def _init_weights(self, module: torch.nn.Module) -> None:
        if isinstance(module, (torch.nn.Linear, torch.nn.Conv1d, torch.nn.Conv2d)):
            torch.nn.init.xavier_uniform_(module.weight)
            if module.bias is not None:
                torch.nn.init.zeros_(module.bias)
        elif isinstance(module, torch.nn.Embedding):
            torch.nn.init.normal_(module.weight, std=0.02)

    @property
    def vocab(self) -> GlossVocab:
        """The gloss vocabulary saved with the checkpoint."""
        if getattr(self, "_vocab", None) is None or self._vocab.glosses != self.config.glosses:
            self._vocab = GlossVocab(self.config.glosses)
        return self._vocab

    def signer_onehot(self, signers: Sequence[int] | int) -> torch.Tensor:
        """``[B, num_signers]`` one-hot on the model's device (ValueError for unknown ids)."""
        ids = [signers] if isinstance(signers, int) else list(signers)
        known = self.config.signers or None
        rows = [signer_ids.check(s, known) - 1 for s in ids]
        out = torch.zeros(len(rows), self.config.num_signers, device=self.device)
        out[torch.arange(len(rows)), torch.tensor(rows)] = 1.0
        return out

    @classmethod
    def load(cls, path: str | os.PathLike, device: str | torch.device = "cpu"):
        """``from_pretrained`` offline, with a :class:`CheckpointError` naming what is wrong."""
        path = Path(path)
        if not path.is_dir():
            raise CheckpointError(f"checkpoint folder {path} does not exist")
        cfg_path = path / "config.json"
        if not cfg_path.is_file():
            raise CheckpointError(f"{path}: no config.json (not a model checkpoint)")
        try:
            raw = json.loads(cfg_path.read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise CheckpointError(f"{cfg_path}: unreadable ({exc})") from None
        want = cls.config_class.model_type
        if raw.get("model_type") != want:
            raise CheckpointError(
                f"{path} holds a {raw.get('model_type')!r} checkpoint, not {want!r}"
            )
        layout, points = raw.get("layout", LAYOUT), raw.get("num_points", sk.NUM_POINTS)
        if layout != LAYOUT or points != sk.NUM_POINTS:
            raise CheckpointError(
                f"{path} was built for layout {layout!r} with {points} points; "
                f"this project uses {LAYOUT} ({sk.NUM_POINTS})"
            )
        if not (path / "model.safetensors").is_file():
            raise CheckpointError(f"{path}: no model.safetensors")
        try:
            model = cls.from_pretrained(path, local_files_only=True)
        except Exception as exc:  # corrupt weights, sizes that do not match the config
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise CheckpointError(f"{path}: cannot load the weights ({first})") from None
        # weights read from safetensors can sit at addresses the CPU kernels treat
        # differently (other SIMD paths, last-bit differences); fresh copies compute exactly
        # as the model that was saved
        with torch.no_grad():
            for t in [*model.parameters(), *model.buffers()]:
                t.data = t.data.clone()
        return model.to(device).eval()
