"""Safe persistence: nothing the kit loads can execute code.

* ``checkpoint.pt`` (resume state) holds only tensors, numbers and strings and is read with
  ``torch.load(weights_only=True)``.
* ``model.safetensors`` (a trained model) holds the weights in safetensors and, in its
  metadata, a versioned JSON header with the config and the vocabularies the weights need, so
  one file is enough to rebuild the model (for :mod:`rinlib.inference`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file

from rinlib.config import RunConfig
from rinlib.io import atomic_write_with
from rinlib.model import RIN, build_model

FORMAT = "rinlib-model/1"


class CheckpointError(ValueError):
    """A checkpoint file is missing, corrupted, or does not match this version of the kit."""


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    """Write a resume checkpoint atomically (an interruption leaves the previous one intact)."""
    atomic_write_with(Path(path), lambda tmp: torch.save(state, tmp))


def load_checkpoint(path: Path) -> dict[str, Any]:
    """Read a resume checkpoint with ``weights_only=True`` (no arbitrary unpickling)."""
    try:
        return torch.load(Path(path), map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise CheckpointError(f"{path}: checkpoint not found") from None
    except Exception as e:  # corrupted or foreign file: say which and why
        raise CheckpointError(f"{path}: not a readable rinlib checkpoint ({type(e).__name__}: {e})") from e


def save_model(path: Path, model: RIN, meta: dict[str, Any]) -> None:
    """Weights as safetensors + ``meta`` (config, vocabularies, relations …) as JSON metadata."""
    header = {"format": FORMAT, "meta": json.dumps(meta)}
    tensors = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    atomic_write_with(Path(path), lambda tmp: save_file(tensors, str(tmp), metadata=header))


def read_meta(path: Path) -> dict[str, Any]:
    """The metadata of a saved model, checked for format version."""
    path = Path(path)
    if not path.exists():
        raise CheckpointError(f"{path}: model file not found")
    try:
        with safe_open(str(path), framework="pt") as f:
            header = f.metadata() or {}
    except (SafetensorError, OSError, ValueError) as e:
        raise CheckpointError(f"{path}: not a safetensors file or corrupted ({e})") from e
    if header.get("format") != FORMAT:
        raise CheckpointError(f"{path}: format {header.get('format')!r}, this kit reads {FORMAT!r}")
    return json.loads(header["meta"])


def load_model(path: Path, device: str | torch.device = "cpu") -> tuple[RIN, dict[str, Any]]:
    """Rebuild a model from a ``model.safetensors`` file; returns (model in eval mode, metadata)."""
    meta = read_meta(path)
    cfg = RunConfig.from_dict(meta["config"])
    model = build_model(cfg, len(meta["words"]), len(meta["pos"]), len(meta["relations"]))
    try:
        state = load_file(str(path))
        model.load_state_dict(state)
    except (SafetensorError, RuntimeError) as e:
        raise CheckpointError(f"{path}: weights do not match the stored config ({e})") from e
    return model.to(device).eval(), meta
