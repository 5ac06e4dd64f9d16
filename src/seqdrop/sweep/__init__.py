"""Experiments as sweeps: grid × seeds on Dask distributed, resumable, into tidy tables.

>>> from seqdrop.sweep import sweep, paired_difference
>>> res = sweep("train_mlp", {"dropout": [0.0, 0.5], "epochs": 3}, seeds=5)   # doctest: +SKIP
>>> sns.pointplot(res.trials, x="dropout", y="test_acc", errorbar=("ci", 95))  # doctest: +SKIP
>>> paired_difference(res.trials, "test_acc", by="dropout", a=0.5, b=0.0)      # doctest: +SKIP

Trials run on a Dask ``LocalCluster`` of processes (one trial per worker at a time, torch
threads per worker set so that workers × threads ≤ cores), on any Dask cluster given by
address (argument, ``$SEQDROP_SCHEDULER`` or ``seqdrop sweep --scheduler``), or serially in
this process (``scheduler="serial"``). Every finished trial is one JSON file in the sweep
folder (default ``runs/sweeps/<name>/``), so an interrupted sweep resumes where it stopped.
"""
from __future__ import annotations

from .cluster import SCHEDULER_ENV, SERIAL, available_cores, shutdown_local_cluster
from .core import SweepResult, SweepWarning, default_store, sweep
from .plots import plot_paired_difference
from .spec import SweepError, expand_grid, resolve_trial, trial_function, trial_hash
from .stats import excludes_zero, format_summary, mean_ci, minimum_detectable_effect, paired_difference, summarize
from .store import SweepStore

__all__ = [
    "sweep",
    "SweepResult",
    "SweepError",
    "SweepWarning",
    "SweepStore",
    "trial_function",
    "resolve_trial",
    "expand_grid",
    "trial_hash",
    "paired_difference",
    "plot_paired_difference",
    "summarize",
    "mean_ci",
    "excludes_zero",
    "minimum_detectable_effect",
    "format_summary",
    "default_store",
    "available_cores",
    "shutdown_local_cluster",
    "SCHEDULER_ENV",
    "SERIAL",
]
