"""Locate data files inside installed packages without importing them (their imports are heavy)."""
from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from .cache import DataError, file_digest

__all__ = ["package_file"]


def package_file(package: str, relpath: str, sha256: str, fix: str, env: str | None = None) -> Path:
    """Path of ``relpath`` inside installed ``package`` (or ``$env``), SHA-256-checked.

    Raises ``DataError`` naming the fix when the package or file is missing or the digest differs.
    """
    path: Path | None = None
    if env and os.environ.get(env):
        path = Path(os.environ[env]).expanduser()
    else:
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            raise DataError(f"package {package!r} is not installed, so {relpath} is missing. Fix: {fix}")
        path = Path(list(spec.submodule_search_locations)[0]) / relpath
    if not path.is_file():
        raise DataError(f"data file {path} not found. Fix: {fix}")
    digest = file_digest(path)
    if digest != sha256:
        raise DataError(f"data file {path} is corrupt or a different version (SHA-256 {digest}, expected {sha256}). Fix: {fix}")
    return path
