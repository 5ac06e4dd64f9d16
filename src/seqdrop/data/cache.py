"""Integrity-checked tensor cache under ``data/cache/`` (git-ignored).

Each entry is ``<name>-<key>.pt`` (``torch.save`` of a dict of tensors and plain values) plus a
``.sha256`` sidecar. Loading checks the digest first; a missing, truncated or corrupt entry is
rebuilt from its source and rewritten atomically (:mod:`seqdrop.io`), so an interrupted write
never leaves a half file behind, and temporary files stranded by a killed writer are removed.
"""
from __future__ import annotations

import hashlib
import json
import os
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from ..errors import SeqdropError
from ..io import atomic_torch_save, atomic_write_text, remove_stale_temps
from ..paths import cache_dir

__all__ = ["DataError", "cached", "file_digest", "atomic_torch_save", "cache_path"]

CACHE_VERSION = 1


class DataError(SeqdropError, RuntimeError):
    """A data source is missing or corrupt; the message says how to fix it."""


def file_digest(path: str | os.PathLike[str], algo: str = "sha256") -> str:
    """Hex digest of a file, read in 1 MiB chunks."""
    h = hashlib.new(algo)
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _key(spec: dict[str, Any]) -> str:
    blob = json.dumps({"v": CACHE_VERSION, **spec}, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def cache_path(name: str, spec: dict[str, Any], root: Path | None = None) -> Path:
    """Where the entry for ``name`` built with ``spec`` lives."""
    return (root or cache_dir()) / f"{name}-{_key(spec)}.pt"


def cached(
    name: str,
    spec: dict[str, Any],
    build: Callable[[], dict[str, Any]],
    *,
    use_cache: bool = True,
    root: Path | None = None,
) -> dict[str, Any]:
    """Return ``build()``, cached under ``data/cache`` keyed by ``name`` and ``spec``.

    A cache entry whose SHA-256 does not match its sidecar is discarded with a warning and rebuilt.
    """
    if not use_cache:
        return build()
    path = cache_path(name, spec, root)
    sidecar = path.with_suffix(".sha256")
    if path.is_file() and sidecar.is_file():
        expected = sidecar.read_text().strip()
        if file_digest(path) == expected:
            try:
                return torch.load(path, map_location="cpu", weights_only=True)
            except Exception as exc:  # pragma: no cover - digest matched but unreadable
                warnings.warn(f"cache entry {path} unreadable ({exc}); rebuilding", stacklevel=2)
        else:
            warnings.warn(f"cache entry {path} failed its SHA-256 check; rebuilding it", stacklevel=2)
    obj = build()
    try:
        remove_stale_temps(path.parent)  # left by a writer killed mid-write
        atomic_torch_save(obj, path)
        atomic_write_text(sidecar, file_digest(path) + "\n")
    except OSError as exc:  # read-only data dir: still usable, just not cached
        warnings.warn(f"could not write cache entry {path}: {exc}", stacklevel=2)
    return obj
