"""Where seqdrop finds data and writes results, whatever the working directory.

The project root is found from the installed package (editable install, ``src/`` layout) and
can be overridden with environment variables:

- ``SEQDROP_HOME``: the project root (default: the checkout that holds ``src/seqdrop``, else cwd).
- ``SEQDROP_DATA``: the data folder (default ``<root>/data``); caches go to ``<data>/cache``.

A variable that is empty or only blanks counts as unset.

The folders that exist only in a checkout of the course (notebooks, parameter profiles, a
notebook's output folder) are in :mod:`seqdrop.course.paths`.
"""
from __future__ import annotations

import os
from pathlib import Path

__all__ = ["project_root", "data_dir", "cache_dir", "runs_dir"]


def _env_path(name: str) -> Path | None:
    """The folder an environment variable names; unset, empty or blank means "not set" (a
    value of spaces is never a folder in the current directory)."""
    value = os.environ.get(name, "").strip()
    return Path(value).expanduser().resolve() if value else None


def project_root() -> Path:
    """The seqdrop checkout (``SEQDROP_HOME`` wins; then the folder above ``src/``; then cwd)."""
    env = _env_path("SEQDROP_HOME")
    if env:
        return env
    here = Path(__file__).resolve()
    candidate = here.parents[2]  # <root>/src/seqdrop/paths.py
    if (candidate / "pyproject.toml").is_file() and (candidate / "src" / "seqdrop").is_dir():
        return candidate
    return Path.cwd().resolve()


def data_dir() -> Path:
    """The data folder: ``SEQDROP_DATA``, else ``<root>/data``."""
    return _env_path("SEQDROP_DATA") or project_root() / "data"


def cache_dir() -> Path:
    """Tensor caches (git-ignored), created on demand."""
    path = data_dir() / "cache"
    path.mkdir(parents=True, exist_ok=True)
    return path


def runs_dir() -> Path:
    """Default parent of run folders (``seqdrop train``, ``seqdrop run``): ``<root>/runs``."""
    return project_root() / "runs"
