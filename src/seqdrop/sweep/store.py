"""The sweep store: one JSON file per finished trial, so a sweep survives any interruption.

Layout of a sweep folder (default ``runs/sweeps/<name>/``)::

    sweep.json            trial function; per run: grid, seeds, the driver's package versions
                          and the cluster (each worker's threads, resources, versions, GPUs)
    trials/<hash>.json    one record per trial: config, status, metrics, history, error, worker
                          and the worker's package versions
    seqdrop.lock          held by the driver while the sweep runs (a second driver is refused)

Every file is written atomically by the driver (:mod:`seqdrop.io`), so workers need no shared
file system and a killed process never leaves half a record. A record with ``status: "ok"`` is
never overwritten; a failed one is replaced when the trial is retried.
"""
from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..io import RunLock, atomic_write_json, check_writable, remove_stale_temps
from .spec import SweepError, package_versions

__all__ = ["SweepStore", "SWEEP_FILE", "TRIALS_DIR"]

SWEEP_FILE = "sweep.json"
TRIALS_DIR = "trials"


class SweepStore:
    """A sweep folder: ``open`` it (lock + ``sweep.json``), ``load`` records, ``write`` one."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder).expanduser()
        self.trials_dir = self.folder / TRIALS_DIR
        self._lock = RunLock(self.folder)

    def __repr__(self) -> str:
        return f"SweepStore({str(self.folder)!r})"

    def open(self, trial: str, grid: Any, seeds: list[int]) -> None:
        """Lock the folder, refuse one that belongs to another trial function, record this run."""
        check_writable(self.trials_dir)
        self._lock.acquire()
        try:
            remove_stale_temps(self.folder)
            remove_stale_temps(self.trials_dir)
            doc = self.describe() or {"trial": trial, "created": time.time(), "runs": []}
            if doc.get("trial") != trial:
                raise SweepError(
                    f"sweep folder {self.folder} holds trials of {doc.get('trial')!r}, not {trial!r}; "
                    "choose another name or folder"
                )
            doc["runs"].append({"started": time.time(), "grid": grid, "seeds": seeds, "versions": package_versions()})
            atomic_write_json(self.folder / SWEEP_FILE, doc)
        except BaseException:
            self._lock.release()
            raise

    def note_run(self, **fields: Any) -> None:
        """Add ``fields`` to this run's entry of ``sweep.json`` (the store must be open)."""
        doc = self.describe() or {"runs": [{}]}
        doc["runs"][-1].update(fields)
        atomic_write_json(self.folder / SWEEP_FILE, doc)

    def close(self, *, discard: bool = False) -> None:
        """Release the lock. ``discard``: also remove a folder that holds no trial record (a
        sweep into a new folder that fails before any trial ran leaves nothing behind)."""
        self._lock.release()
        if discard and not self.load():
            (self.folder / SWEEP_FILE).unlink(missing_ok=True)
            for folder in (self.trials_dir, self.folder):
                with contextlib.suppress(OSError):  # only when empty: nothing else is removed
                    folder.rmdir()

    def describe(self) -> dict[str, Any] | None:
        """The contents of ``sweep.json``, or ``None`` for a new folder."""
        path = self.folder / SWEEP_FILE
        if not path.is_file():
            return None
        try:
            return json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise SweepError(f"{path} is unreadable ({exc}); move it away to start this sweep afresh") from None

    def path(self, key: str) -> Path:
        return self.trials_dir / f"{key}.json"

    def load(self, keys: Iterable[str] | None = None) -> dict[str, dict[str, Any]]:
        """Records by hash (all of them, or those of ``keys`` that exist)."""
        if keys is None:
            paths = sorted(self.trials_dir.glob("*.json")) if self.trials_dir.is_dir() else []
        else:
            paths = [self.path(k) for k in keys]
        out = {}
        for p in paths:
            try:
                record = json.loads(p.read_text())
            except FileNotFoundError:
                continue
            except (OSError, ValueError):  # not ours or damaged by hand: rerun that trial
                continue
            out[p.stem] = record
        return out

    def write(self, record: dict[str, Any]) -> Path:
        """Write one trial record atomically; a finished (``ok``) record is never replaced."""
        path = self.path(record["key"])
        old = self.load([record["key"]]).get(record["key"])
        if old is not None and old.get("status") == "ok":
            raise SweepError(f"{path} already holds a finished trial; refusing to overwrite it")
        return atomic_write_json(path, record)
