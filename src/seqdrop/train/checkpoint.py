"""Checkpoints and weight files that are verified before they are trusted, and the RNG state.

Every ``.pt`` file a run writes for later use — the checkpoint (``checkpoint.pt``: model,
optimizer, schedule, history, RNG states) and the selected weights (``best.pt``: a model
``state_dict``) — is a ``torch.save`` of ``{"format", "version", "kind", "sha256", "payload"}``:
the payload is the serialised object as a byte tensor and ``sha256`` its digest.
:func:`load_checkpoint` and :func:`load_weights` check the digest before they unpickle
anything and load with ``weights_only=True`` (tensors and plain values only, so a crafted file
cannot run code); every RNG state is therefore stored as tensors and plain numbers. A damaged,
truncated, empty, unverified or foreign file — or a payload that passes its digest but does not
load — raises one :class:`CheckpointError` that names the file and the way out.
"""
from __future__ import annotations

import hashlib
import io
import os
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from ..errors import SeqdropError
from ..io import atomic_torch_save

__all__ = [
    "CheckpointError", "save_checkpoint", "load_checkpoint", "save_weights", "load_weights", "rng_state",
    "set_rng_state", "module_generators",
]

FORMAT = "seqdrop.checkpoint"
VERSION = 1
_FIX = "delete it, or start the run again with --overwrite (fit(..., overwrite=True)) or in a new folder"


class CheckpointError(SeqdropError):
    """A checkpoint file is damaged, truncated, empty, or not a seqdrop checkpoint."""


def module_generators(model: nn.Module) -> list[torch.Generator]:
    """Every distinct ``torch.Generator`` held as an attribute by a submodule (in module order)."""
    seen: dict[int, torch.Generator] = {}
    for m in model.modules():
        for v in vars(m).values():
            if isinstance(v, torch.Generator) and id(v) not in seen:
                seen[id(v)] = v
    return list(seen.values())


def rng_state(model: nn.Module) -> dict[str, Any]:
    """The state of every random-number generator a run draws from, as tensors and numbers."""
    _, keys, pos, has_gauss, gauss = np.random.get_state()
    version, mt, gauss_next = random.getstate()
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "numpy": {"keys": torch.from_numpy(keys.astype(np.int64)), "pos": int(pos),
                  "has_gauss": int(has_gauss), "gauss": float(gauss)},
        "python": {"version": version, "state": list(mt), "gauss_next": gauss_next},
        "generators": [g.get_state() for g in module_generators(model)],
    }


def set_rng_state(model: nn.Module, rng: dict[str, Any]) -> None:
    """Restore the generators saved by :func:`rng_state`."""
    torch.set_rng_state(rng["torch"])
    if rng["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(rng["cuda"])
    n = rng["numpy"]
    np.random.set_state(("MT19937", n["keys"].numpy().astype(np.uint32), n["pos"], n["has_gauss"], n["gauss"]))
    p = rng["python"]
    random.setstate((p["version"], tuple(p["state"]), p["gauss_next"]))
    for g, s in zip(module_generators(model), rng["generators"]):
        g.set_state(s)


def _save_verified(obj: Any, path: str | os.PathLike[str], kind: str) -> Path:
    buf = io.BytesIO()
    torch.save(obj, buf)
    payload = buf.getbuffer()
    wrapped = {
        "format": FORMAT,
        "version": VERSION,
        "kind": kind,
        "sha256": hashlib.sha256(payload).hexdigest(),
        "payload": torch.frombuffer(bytearray(payload), dtype=torch.uint8),
    }
    return atomic_torch_save(wrapped, path)


def _load_verified(path: str | os.PathLike[str], kind: str, map_location: Any) -> Any:
    path = Path(path)
    what = "checkpoint" if kind == "checkpoint" else "weights file"
    size = path.stat().st_size
    if size == 0:
        raise CheckpointError(f"{what} {path} is empty (a write was interrupted?); {_FIX}")
    try:
        wrapped = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises RuntimeError, OSError, UnpicklingError, EOFError... by damage
        raise CheckpointError(
            f"{what} {path} ({size:,} bytes) cannot be read: it is truncated, damaged, or not a "
            f"seqdrop {VERSION} {what} ({type(exc).__name__}); {_FIX}"
        ) from None
    found = wrapped.get("kind", "checkpoint") if isinstance(wrapped, dict) else None  # v1 checkpoints: no kind
    if not isinstance(wrapped, dict) or wrapped.get("format") != FORMAT or wrapped.get("version") != VERSION:
        raise CheckpointError(
            f"{path} is not a verified seqdrop {what} (format {FORMAT} v{VERSION}, with a SHA-256 digest); {_FIX}"
        )
    if found != kind:
        raise CheckpointError(f"{path} is a seqdrop {found}, not a {what}; {_FIX}")
    payload = wrapped["payload"].numpy().tobytes()
    if hashlib.sha256(payload).hexdigest() != wrapped["sha256"]:
        raise CheckpointError(f"{what} {path} failed its SHA-256 check (the file was modified or damaged); {_FIX}")
    try:
        return torch.load(io.BytesIO(payload), map_location=map_location, weights_only=True)
    except Exception as exc:  # a digest-valid payload that is not a loadable torch file
        raise CheckpointError(
            f"{what} {path} passed its SHA-256 check but its content cannot be read ({type(exc).__name__}: "
            f"written by another version?); {_FIX}"
        ) from None


def save_checkpoint(state: dict[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write the training ``state`` (tensors and plain values) with its SHA-256 digest, atomically."""
    return _save_verified(state, path, "checkpoint")


def load_checkpoint(path: str | os.PathLike[str], map_location: Any = "cpu") -> dict[str, Any]:
    """Read and verify a checkpoint written by :func:`save_checkpoint`."""
    state = _load_verified(path, "checkpoint", map_location)
    if not isinstance(state, dict) or not {"model", "trainer", "history", "rng"} <= set(state):
        raise CheckpointError(f"checkpoint {path} passed its SHA-256 check but holds no training state; {_FIX}")
    return state


def save_weights(state_dict: dict[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write a model's ``state_dict`` (e.g. ``best.pt``) with its SHA-256 digest, atomically."""
    return _save_verified(dict(state_dict), path, "weights")


def load_weights(path: str | os.PathLike[str], map_location: Any = "cpu") -> dict[str, Any]:
    """Read and verify a ``state_dict`` written by :func:`save_weights` (``best.pt``):
    ``model.load_state_dict(load_weights(run / "best.pt"))``."""
    state = _load_verified(path, "weights", map_location)
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise CheckpointError(f"weights file {path} passed its SHA-256 check but holds no state_dict; {_FIX}")
    return state
