"""``seqdrop sweep SPEC.yaml``: run a sweep described in YAML and print mean ± CI per config.

A spec names the trial function, the grid and the seeds, and optionally the store and the
executor (command-line flags win)::

    trial: train_mlp            # or a dotted path: mypackage.trials.my_trial
    name: mlp-dropout           # folder runs/sweeps/mlp-dropout (or `store: DIR`)
    seeds: 5                    # or a list: [0, 1, 2]
    grid:
      dropout: [0.0, 0.25, 0.5]
      epochs: 3
    metrics: [test_acc]         # columns of the summary (default: every numeric metric)
    scheduler: null             # null: local cluster; tcp://host:8786; serial
    workers: null               # local workers (default: cores / threads_per_worker)
    threads_per_worker: null    # torch threads per trial (local: 1; remote: the worker's)
    resources: null             # per trial, e.g. {GPU: 1} (default: GPU=1 when workers offer GPUs)
    worker_timeout: 60          # seconds to wait for a worker before giving up

Every value is checked before anything runs or any folder is written; a bad one is one
``error:`` line and exit status 2.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

import yaml

from ..cli import positive_int
from ..errors import SeqdropError
from .cluster import WORKER_TIMEOUT_S
from .core import sweep
from .spec import SweepError, resolve_trial
from .stats import format_summary

__all__ = ["add_arguments", "main", "load_spec"]

SPEC_KEYS = {"trial", "grid", "seeds", "name", "store", "scheduler", "workers", "threads_per_worker", "metrics",
             "resources", "worker_timeout"}
_TYPES = {"trial": (str,), "name": (str,), "store": (str,), "scheduler": (str,), "workers": (int,),
          "threads_per_worker": (int,), "worker_timeout": (int, float), "resources": (dict,)}


def _resources(text: str) -> dict[str, float]:
    """``GPU=1,MEM=2`` → ``{"GPU": 1.0, "MEM": 2.0}`` (argparse type)."""
    out = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, amount = part.partition("=")
        try:
            if not sep or not name.strip():
                raise ValueError
            out[name.strip()] = float(amount)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{part!r} is not NAME=AMOUNT (e.g. GPU=1)") from None
    return out


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = "Run a grid × seeds sweep from a YAML spec (resumable) and print mean ± 95% CI per config."
    parser.add_argument("spec", metavar="SPEC.yaml", help="YAML file: trial, grid, seeds (see the README)")
    parser.add_argument("--scheduler", default=None, metavar="ADDR",
                        help="Dask scheduler address (tcp://host:8786), 'local' or 'serial' "
                        "(default: the spec, then $SEQDROP_SCHEDULER, then a local cluster)")
    parser.add_argument("--workers", type=positive_int, default=None, metavar="N", help="local cluster workers")
    parser.add_argument("--threads-per-worker", type=positive_int, default=None, metavar="T",
                        help="torch threads per trial (default: 1 on the local cluster, the worker's thread "
                        "count on a remote one; each worker runs one trial at a time)")
    parser.add_argument("--resources", type=_resources, default=None, metavar="NAME=N",
                        help="worker resources per trial, e.g. GPU=1 (default: GPU=1 when some worker was "
                        "started with --resources GPU=1)")
    parser.add_argument("--worker-timeout", type=float, default=None, metavar="SEC",
                        help=f"give up when no worker joins a remote scheduler within SEC (default {WORKER_TIMEOUT_S:g})")
    parser.add_argument("--out", default=None, metavar="DIR", help="sweep folder (default runs/sweeps/<name>)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def load_spec(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and check a spec's keys (values are checked by :func:`~seqdrop.sweep.sweep`)."""
    p = Path(path)
    try:
        spec = yaml.safe_load(p.read_text())
    except OSError as exc:
        raise SweepError(f"cannot read sweep spec {p}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or " ".join(str(exc).split())
        raise SweepError(f"sweep spec {p} is not valid YAML: {problem}{where}") from None
    if not isinstance(spec, dict):
        raise SweepError(f"sweep spec {p} must be a mapping with keys trial, grid, seeds")
    unknown = sorted(set(spec) - SPEC_KEYS)
    if unknown:
        raise SweepError(f"sweep spec {p}: unknown key(s) {unknown}; known: {sorted(SPEC_KEYS)}")
    missing = [k for k in ("trial", "grid", "seeds") if k not in spec]
    if missing:
        raise SweepError(f"sweep spec {p}: missing key(s) {missing}")
    for key, types in _TYPES.items():
        value = spec.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, types)):
            kind = {"str": "a string", "int": "an integer", "float": "a number",
                    "dict": "a mapping"}[types[-1].__name__]
            raise SweepError(f"sweep spec {p}: {key} must be {kind}, got {value!r}")
    metrics = spec.get("metrics")
    if metrics is not None and (not isinstance(metrics, list) or not metrics
                                or not all(isinstance(m, str) and m for m in metrics)):
        raise SweepError(f"sweep spec {p}: metrics must be a list of metric names, e.g. [test_acc], got {metrics!r}")
    return spec


def check_metrics(wanted: list[str] | None, trial: Any) -> None:
    """Refuse, before anything runs, metrics that a trial declaring its metrics does not return."""
    declared = getattr(resolve_trial(trial)[1], "metrics", None)
    unknown = [m for m in wanted or [] if declared is not None and m not in declared]
    if unknown:
        raise SweepError(f"metrics {unknown} are not returned by {trial}; it returns {list(declared)}")


def _summary_metrics(result: Any, wanted: list[str] | None) -> list[str]:
    if wanted:
        unknown = [m for m in wanted if m not in result.numeric_metrics]
        if unknown:
            raise SweepError(f"metrics {unknown} are not numbers that {result.trial} returned; numeric metrics: "
                             f"{result.numeric_metrics} (the trials are kept in {result.store})")
        return wanted
    return result.numeric_metrics


def main(args: argparse.Namespace) -> int:
    """Run the spec; 0 when every trial finished, 1 when some failed; user errors exit 2."""
    try:
        spec = load_spec(args.spec)
        check_metrics(spec.get("metrics"), spec["trial"])
        pick = {k: getattr(args, k) if getattr(args, k) is not None else spec.get(k)
                for k in ("workers", "threads_per_worker", "resources", "worker_timeout")}
        if pick["worker_timeout"] is None:
            pick["worker_timeout"] = WORKER_TIMEOUT_S
        result = sweep(
            spec["trial"], spec["grid"], seeds=spec["seeds"], store=args.out or spec.get("store"),
            scheduler=args.scheduler or spec.get("scheduler"), name=spec.get("name") or Path(args.spec).stem,
            progress=not args.no_progress, **pick,
        )
        metrics = _summary_metrics(result, spec.get("metrics"))
        print(format_summary(result.summary(metrics)) if metrics else "no numeric metrics to summarize")
    except SeqdropError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    print(f"\nsweep folder: {result.store}  ({len(result.trials)} trials, {result.ran} run now)")
    if len(result.failed):
        print(f"{len(result.failed)} trial(s) failed; their errors are in {result.store}/trials; "
              "rerun the same command to retry them", file=sys.stderr)
        return 1
    return 0
