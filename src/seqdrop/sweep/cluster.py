"""Where trials run: a Dask ``LocalCluster`` of processes (default), any Dask scheduler by
address, or serially in this process (``scheduler="serial"``, for debugging).

PyTorch's intra-op threads fight when the cores are shared (a small model ran 10× slower beside
busy processes), so each worker runs one trial at a time with ``torch.set_num_threads``
= ``threads_per_worker`` and a local cluster gets ``workers × threads_per_worker ≤ cores``.
"""
from __future__ import annotations

import atexit
import json
import logging
import os
import sys
import traceback
from collections.abc import Callable
from typing import Any

from .._validation import check_int
from .spec import SweepError

__all__ = [
    "SCHEDULER_ENV", "SERIAL", "available_cores", "plan_workers", "resolve_scheduler", "open_client",
    "shutdown_local_cluster", "run_trial",
]

SCHEDULER_ENV = "SEQDROP_SCHEDULER"
SERIAL = "serial"
LOCAL = ("local", "")
CONNECT_TIMEOUT_S = 5


def available_cores() -> int:
    """Cores this process may use (its CPU affinity, else ``os.cpu_count()``)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


def plan_workers(workers: int | None, threads_per_worker: int) -> int:
    """Number of local workers: ``cores // threads_per_worker`` by default; more is refused."""
    cores = available_cores()
    threads = check_int("threads_per_worker", threads_per_worker, 1, cores)
    if workers is None:
        return max(1, cores // threads)
    n = check_int("workers", workers, 1, None)
    if n * threads > cores:
        raise SweepError(
            f"workers × threads_per_worker = {n} × {threads} exceeds the {cores} cores here: "
            "PyTorch threads would fight for them (use fewer workers or threads)"
        )
    return n


def resolve_scheduler(scheduler: str | None) -> str | None:
    """The argument, else ``$SEQDROP_SCHEDULER``; ``None``/``"local"`` mean a local cluster."""
    value = scheduler if scheduler is not None else os.environ.get(SCHEDULER_ENV)
    if value is None:
        return None
    value = str(value).strip()
    return None if value.lower() in LOCAL else value


def _dashboard_available() -> bool:
    try:
        import bokeh  # noqa: F401
    except ImportError:
        return False
    return True


# Dask's nanny exports MALLOC_TRIM_THRESHOLD_=65536 to the workers it spawns, to hand freed
# memory back to the OS. A fixed trim threshold also freezes glibc's adaptive mmap threshold,
# so each of torch's large temporaries is mmapped and page-faulted anew: one PTB training
# (chapter 03's Semeniuta LSTM) took 17.1 s wall with 6.1 s of system time instead of 11.5 s
# with 1.2 s. The local cluster drops the variable and keeps glibc's default; a cluster
# started elsewhere keeps its own settings.
_PRE_SPAWN = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}

# The local cluster of this process, kept between sweeps (workers keep their imports and
# cached data: a notebook with several sweeps starts processes once); closed at exit.
_LOCAL: dict[str, Any] = {}


def shutdown_local_cluster() -> None:
    """Close the local cluster that :func:`~seqdrop.sweep.sweep` keeps between calls (e.g.
    after editing a trial's module, which running workers have already imported)."""
    client, cluster = _LOCAL.pop("client", None), _LOCAL.pop("cluster", None)
    _LOCAL.clear()
    if client is not None:
        client.close()
    if cluster is not None:
        cluster.close()


def _local_client(workers: int, threads: int, progress: bool) -> Any:
    import dask
    from distributed import Client, LocalCluster

    cluster = _LOCAL.get("cluster")
    if cluster is not None and _LOCAL["shape"] == (workers, threads) and cluster.status.name == "running":
        return _LOCAL["client"]
    shutdown_local_cluster()  # one local cluster at a time: they would share the same cores
    env = {k: str(threads) for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
    with dask.config.set(_PRE_SPAWN):
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,  # one trial at a time per worker; torch gets `threads` threads
            processes=True,
            dashboard_address=":0",  # a free port: never clash with another cluster on 8787
            env=env,
            silence_logs=logging.ERROR,
        )
    client = Client(cluster, set_as_default=False)
    if not _LOCAL.get("atexit"):
        atexit.register(shutdown_local_cluster)
    _LOCAL.update(client=client, cluster=cluster, shape=(workers, threads), atexit=True)
    if progress:
        link = f"dashboard {cluster.dashboard_link}" if _dashboard_available() else "no dashboard (pip install bokeh)"
        print(f"sweep: local Dask cluster, {workers} worker(s) × {threads} thread(s); {link}", file=sys.stderr)
    return client


def _remote_client(address: str) -> Any:
    from distributed import Client

    try:
        return Client(address, timeout=f"{CONNECT_TIMEOUT_S}s", set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise SweepError(
            f"cannot reach the Dask scheduler at {address!r} within {CONNECT_TIMEOUT_S} s "
            f"({type(exc).__name__}: {exc}); start one with `dask scheduler`, or drop the address "
            f"(and unset {SCHEDULER_ENV}) to run on a local cluster"
        ) from None


def open_client(address: str | None, workers: int, threads: int, progress: bool) -> tuple[Any, bool]:
    """``(client, owned)``: the client of this process's local cluster when ``address`` is
    ``None`` (started on first use, kept; ``owned=False``), else a new client of the
    scheduler at ``address`` that the caller closes (``owned=True``)."""
    if address is None:
        return _local_client(workers, threads, progress), False
    if "://" not in address and ":" not in address:
        raise SweepError(f"scheduler {address!r} is not an address like tcp://host:8786 (or 'serial', 'local')")
    return _remote_client(address), True


def _worker_name() -> str:
    try:
        from distributed import get_worker

        w = get_worker()
        return str(w.name if w.name is not None else w.address)
    except (ImportError, ValueError):
        return f"serial-{os.getpid()}"


def _split_result(out: Any, config: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """``(metrics, history)`` from what a trial returned; metrics must be plain scalars."""
    if not isinstance(out, dict):
        raise TypeError(f"a trial must return a dict of metrics, got {type(out).__name__}")
    metrics = dict(out)
    history = metrics.pop("history", None)
    if history is None:
        history = []
    elif hasattr(history, "to_dict"):  # a DataFrame
        history = history.to_dict("records")
    for name, value in list(metrics.items()):
        if name in config:
            raise ValueError(f"metric {name!r} has the name of a config key; rename it")
        if hasattr(value, "item"):
            value = metrics[name] = value.item()
        if value is not None and not isinstance(value, (bool, int, float, str)):
            raise TypeError(f"metric {name!r} = {value!r} is not a number, string or bool")
    history = [{k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()} for r in history]
    try:
        json.dumps(history)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"the trial's history is not plain JSON (numbers, strings): {exc}") from None
    return metrics, history


def run_trial(trial_path: str, key: str, config: dict[str, Any], threads: int) -> dict[str, Any]:
    """Run one trial where this is called (a worker, or the driver in serial mode) → its record.

    An exception in the trial becomes a ``failed`` record with the error and traceback.
    """
    import time

    import torch

    from .spec import resolve_trial

    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    started = time.time()
    t0 = time.perf_counter()
    record: dict[str, Any] = {"key": key, "trial": trial_path, "config": config, "worker": _worker_name()}
    try:
        fn: Callable[[dict[str, Any]], Any] = resolve_trial(trial_path)[1]
        metrics, history = _split_result(fn(dict(config)), config)
        record.update(status="ok", metrics=metrics, history=history, error=None, traceback=None)
    except Exception as exc:  # noqa: BLE001 - a failed trial must not stop the others
        record.update(status="failed", metrics={}, history=[], error=f"{type(exc).__name__}: {exc}",
                      traceback=traceback.format_exc())
    finally:
        torch.set_num_threads(previous)
    record.update(seconds=time.perf_counter() - t0, started=started, finished=time.time())
    return record
