"""Folders of a course checkout: notebooks, parameter profiles, a notebook's output folder.

- ``SEQDROP_OUTPUT_DIR``: where a notebook saves figures and records (set by ``seqdrop run``
  for each executed notebook; default ``<root>/runs/lab``).
- ``SEQDROP_RUN_DIR``: the run folder ``seqdrop run`` is executing into (its ``summary.json``
  holds the notebooks run so far); unset outside a run.

Chapters: all.
"""
from __future__ import annotations

import os
from pathlib import Path

from ..paths import project_root, runs_dir

__all__ = ["notebooks_dir", "params_dir", "output_dir"]


def notebooks_dir() -> Path:
    """The course notebooks: ``<root>/notebooks``."""
    return project_root() / "notebooks"


def params_dir() -> Path:
    """The parameter profiles ``<profile>.yaml``: ``<root>/params``."""
    return project_root() / "params"


def output_dir() -> Path:
    """Folder for this notebook run's figures and records, created on demand."""
    env = os.environ.get("SEQDROP_OUTPUT_DIR")
    path = Path(env).expanduser().resolve() if env else runs_dir() / "lab"
    path.mkdir(parents=True, exist_ok=True)
    return path
