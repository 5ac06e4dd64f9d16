"""Where trials run: a Dask ``LocalCluster`` of processes (default), any Dask scheduler by
address, or serially in this process (``scheduler="serial"``, for debugging).

PyTorch's intra-op threads fight when the cores are shared (a small model ran 10× slower beside
busy processes), so a local cluster gets ``workers × threads_per_worker ≤ cores`` and each
trial sets ``torch.set_num_threads``. A trial's numbers must not depend on what else runs in
its process (trials seed the process-wide generators, :func:`seqdrop.utils.seed_everything`),
so each worker process runs **one trial at a time**, whatever its thread count: a worker
started with ``dask worker --nthreads 4`` runs one trial with 4 torch threads.

Before any trial is sent, the cluster is checked and described: the scheduler must answer
Dask's handshake within :data:`CONNECT_TIMEOUT_S` (a port that is something else fails in one
line), at least one worker must join within ``worker_timeout`` seconds, and every worker must
run the driver's seqdrop and torch versions (recorded per worker in the sweep folder). Workers
that offer a ``GPU`` resource (``dask worker ... --resources GPU=1``) get the trials, one per
GPU.
"""
from __future__ import annotations

import asyncio
import atexit
import json
import logging
import os
import sys
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .._validation import check_int
from .spec import SweepError, package_versions

__all__ = [
    "SCHEDULER_ENV", "SERIAL", "CONNECT_TIMEOUT_S", "WORKER_TIMEOUT_S", "GPU", "available_cores",
    "plan_workers", "resolve_scheduler", "check_resources", "open_client", "Cluster", "describe_cluster",
    "shutdown_local_cluster", "run_trial", "version_mismatch", "undo_malloc_trim",
]

SCHEDULER_ENV = "SEQDROP_SCHEDULER"
SERIAL = "serial"
LOCAL = ("local", "")
CONNECT_TIMEOUT_S = 5  # the whole connection: TCP connect and Dask's handshake
WORKER_TIMEOUT_S = 60.0  # default wait for a first worker on a remote scheduler
GPU = "GPU"  # the worker resource that marks one GPU (dask worker --resources GPU=1)
VERSIONED = ("seqdrop", "torch")  # packages whose versions must agree between driver and workers


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
    if not isinstance(value, str):
        raise SweepError(f"scheduler must be an address such as tcp://host:8786, 'local' or 'serial', got {value!r}")
    value = value.strip()
    if value.lower() in LOCAL:
        return None
    if value != SERIAL and "://" not in value and ":" not in value:
        raise SweepError(f"scheduler {value!r} is not an address like tcp://host:8786 (or 'serial', 'local')")
    return value


def check_resources(resources: Mapping[str, Any] | None) -> dict[str, float] | None:
    """Worker resources each trial needs (``{"GPU": 1}``), ``{}`` for none, ``None`` for the
    default (``{"GPU": 1}`` when a worker offers GPUs, else none)."""
    if resources is None:
        return None
    if not isinstance(resources, Mapping):
        raise SweepError(f"resources must be a mapping like {{'GPU': 1}}, got {resources!r}")
    out = {}
    for name, amount in resources.items():
        if not isinstance(name, str) or not name:
            raise SweepError(f"resource name {name!r} must be a non-empty string")
        if isinstance(amount, bool) or not isinstance(amount, (int, float)) or not 0 < amount < float("inf"):
            raise SweepError(f"resource {name}={amount!r}: the amount must be a positive number")
        out[name] = float(amount)
    return out


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
# with 1.2 s. The local cluster drops the variable and keeps glibc's default; workers started
# elsewhere get it undone by undo_malloc_trim (a worker plugin, registered by every sweep).
_PRE_SPAWN = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters
_MMAP_THRESHOLD_MAX = 32 << 20  # glibc's ceiling for the adaptive mmap threshold (64-bit)


def undo_malloc_trim() -> bool:
    """In a process started with ``MALLOC_TRIM_THRESHOLD_`` (Dask's nanny sets 65536), set
    glibc's mmap threshold to the ceiling its adaptive rule reaches (32 MiB) and the trim
    threshold to twice that, as the adaptive rule does, so that large temporaries reuse the
    heap instead of being mmapped and page-faulted anew. True when something was changed."""
    if os.environ.get("MALLOC_TRIM_THRESHOLD_") is None or not sys.platform.startswith("linux"):
        return False
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # pragma: no cover - not glibc (musl has no mallopt)
        return False
    ok = mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD_MAX) == 1 and mallopt(_M_TRIM_THRESHOLD, 2 * _MMAP_THRESHOLD_MAX) == 1
    if ok:
        del os.environ["MALLOC_TRIM_THRESHOLD_"]  # children of the trial get glibc's default
    return ok


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


def _local_client(workers: int, threads: int) -> Any:
    import dask
    from distributed import Client, LocalCluster

    cluster = _LOCAL.get("cluster")
    if cluster is not None and _LOCAL["shape"] == (workers, threads) and cluster.status.name == "running":
        _LOCAL["started_now"] = False
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
    _LOCAL.update(client=client, cluster=cluster, shape=(workers, threads), atexit=True, started_now=True)
    return client


def _local_note() -> str:
    """How the local cluster came about, and its dashboard."""
    cluster = _LOCAL.get("cluster")
    kept = "started now" if _LOCAL.get("started_now") else "kept from the last sweep"
    link = f"dashboard {cluster.dashboard_link}" if cluster is not None and _dashboard_available() else \
        "no dashboard (pip install bokeh)"
    return f" ({kept}; {link})"


async def _handshake(address: str, timeout: float) -> Any:
    """Connect (Dask's own retries get most of ``timeout``), exchange Dask's handshake and ask
    the peer who it is."""
    from distributed.comm import connect
    from distributed.security import Security

    comm = await connect(address, timeout=0.8 * timeout, **Security().get_connection_args("client"))
    try:
        await comm.write({"op": "identity", "reply": True})
        return await comm.read()
    finally:
        comm.abort()


def _probe(address: str, timeout: float = CONNECT_TIMEOUT_S) -> None:
    """Prove that ``address`` is a Dask scheduler within ``timeout`` seconds, handshake included
    (Dask's own connect timeout does not cover the handshake: dask/distributed#7698, #8071)."""
    import distributed.comm  # noqa: F401 - imported before the clock starts
    import distributed.security  # noqa: F401

    outcome: dict[str, Any] = {}

    def attempt() -> None:  # in a thread: the caller may be inside a running event loop (Jupyter)
        try:
            outcome["reply"] = asyncio.run(asyncio.wait_for(_handshake(address, timeout), timeout))
        except BaseException as exc:  # noqa: BLE001 - reported below
            outcome["error"] = exc

    thread = threading.Thread(target=attempt, name="seqdrop-probe", daemon=True)
    thread.start()
    thread.join(timeout + 5.0)  # the deadline is wait_for's; this only guards against a stuck loop
    reply, exc = outcome.get("reply"), outcome.get("error")
    hint = (f"start one with `dask scheduler`, or drop the address (and unset {SCHEDULER_ENV}) to run on a "
            "local cluster")
    if isinstance(exc, OSError) and not isinstance(exc, TimeoutError):
        raise SweepError(f"cannot reach the Dask scheduler at {address!r} within {timeout:g} s "
                         f"({type(exc).__name__}: {exc}); {hint}")
    if thread.is_alive() or isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
        raise SweepError(f"no Dask scheduler answered at {address!r} within {timeout:g} s (is the port a Dask "
                         f"scheduler's? the connection or its handshake timed out); {hint}")
    if exc is not None or not isinstance(reply, Mapping) or reply.get("type") != "Scheduler":
        what = f"{type(exc).__name__}: {exc}" if exc is not None else f"it answered {str(reply)[:60]!r}"
        raise SweepError(f"{address!r} is not a Dask scheduler ({' '.join(what.split())[:160]}); {hint}")


def _remote_client(address: str) -> Any:
    from distributed import Client

    _probe(address)
    try:
        return Client(address, timeout=f"{CONNECT_TIMEOUT_S}s", set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise SweepError(f"cannot reach the Dask scheduler at {address!r} within {CONNECT_TIMEOUT_S} s "
                         f"({type(exc).__name__}: {exc})") from None


def open_client(address: str | None, workers: int, threads: int) -> tuple[Any, bool]:
    """``(client, owned)``: the client of this process's local cluster when ``address`` is
    ``None`` (started on first use, kept; ``owned=False``), else a new client of the
    scheduler at ``address`` that the caller closes (``owned=True``)."""
    if address is None:
        client, owned = _local_client(workers, threads), False
    else:
        client, owned = _remote_client(address), True
    try:
        from .worker import KeepAdaptiveMalloc

        client.register_plugin(KeepAdaptiveMalloc())  # also on workers that join later
    except BaseException:
        if owned:
            client.close()
        raise
    return client, owned


def _base(version: str) -> str:
    return version.split("+", 1)[0]  # torch 2.13.0+cu126 computes what 2.13.0+cpu does


def version_mismatch(versions: Mapping[str, str], expected: Mapping[str, str]) -> str | None:
    """A sentence naming the packages of :data:`VERSIONED` whose (public) versions differ."""
    bad = [f"{p} {versions.get(p)} (driver: {expected[p]})" for p in VERSIONED
           if p in expected and _base(str(versions.get(p))) != _base(expected[p])]
    return ", ".join(bad) or None


def _worker_facts() -> dict[str, Any]:
    """Run on each worker: package versions, CUDA devices, the malloc setting."""
    try:
        import torch

        gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
    except ImportError:
        gpus = 0
    return {"versions": package_versions(), "cuda_devices": gpus,
            "malloc_trim": os.environ.get("MALLOC_TRIM_THRESHOLD_")}


@dataclass
class Cluster:
    """What a sweep runs on (printed before the first trial, stored in ``sweep.json``)."""

    address: str
    local: bool
    threads: dict[str, int]  # worker name -> Dask threads
    resources: dict[str, dict[str, float]]  # worker name -> its resources
    facts: dict[str, dict[str, Any]] = field(default_factory=dict)  # worker name -> _worker_facts()
    request: dict[str, float] = field(default_factory=dict)  # resources each trial asks for

    @property
    def gpus(self) -> int:
        """GPUs offered as ``GPU`` resources, else CUDA devices the workers see."""
        offered = sum(int(r.get(GPU, 0)) for r in self.resources.values())
        return offered or sum(int(f.get("cuda_devices", 0)) for f in self.facts.values())

    def line(self, torch_threads: int | None) -> str:
        """One line for the user: where the trials run."""
        kind = "local Dask cluster" if self.local else f"Dask scheduler {self.address}"
        threads = " or ".join(str(t) for t in sorted(set(self.threads.values())))
        per = f"{torch_threads} torch thread(s) each" if torch_threads else "torch threads = the worker's threads"
        ask = ", ".join(f"{k}={v:g}" for k, v in self.request.items())
        gpus = f"{self.gpus} GPU(s)" if self.gpus else "no GPU"
        gpus += f", each trial asks for {ask}" if ask else ""
        note = _local_note() if self.local else ""
        return (f"sweep: {kind}, {len(self.threads)} worker(s) × {threads} thread(s), one trial at a time per "
                f"worker, {per}; {gpus}{note}")

    def to_dict(self) -> dict[str, Any]:
        return {"address": self.address, "local": self.local, "request": self.request,
                "workers": {w: {"threads": self.threads[w], "resources": self.resources.get(w, {}),
                                **self.facts.get(w, {})} for w in self.threads}}


def _workers(client: Any) -> dict[str, Any]:
    return client.scheduler_info(n_workers=-1)["workers"]


def _can_run(client: Any, need: dict[str, float]) -> bool:
    """Whether some worker offers the resources ``need``."""
    return any(all(w.get("resources", {}).get(k, 0) >= v for k, v in need.items()) for w in _workers(client).values())


def _wait_for_workers(client: Any, address: str, need: dict[str, float], timeout: float) -> None:
    if _can_run(client, need):
        return
    what = "worker" + (f" offering {', '.join(f'{k}={v:g}' for k, v in need.items())}" if need else "")
    start = f"dask worker {address} --nthreads 1" + "".join(f" --resources {k}={v:g}" for k, v in need.items())
    print(f"sweep: no {what} at {address} yet; waiting up to {timeout:g} s for one (start one with `{start}`)",
          file=sys.stderr, flush=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))
        if _can_run(client, need):
            return
    raise SweepError(f"no {what} joined the Dask scheduler at {address} within {timeout:g} s (worker_timeout); "
                     f"start one with `{start}`")


def describe_cluster(client: Any, address: str | None, resources: dict[str, float] | None,
                     worker_timeout: float) -> Cluster:
    """Wait for a worker that can take the trials, check every worker's versions, and say where the
    sweep runs. ``resources=None`` asks for ``{"GPU": 1}`` when a worker offers GPUs."""
    where = address or client.scheduler.address
    if resources is None:
        resources = {GPU: 1.0} if any(w.get("resources", {}).get(GPU) for w in _workers(client).values()) else {}
    if address is not None:
        _wait_for_workers(client, where, resources, worker_timeout)
    elif not _can_run(client, resources):
        raise SweepError(f"resources {resources}: the local cluster's workers offer none; start workers with "
                         "`dask worker ... --resources GPU=1` and pass their scheduler's address")
    info = _workers(client)
    names = {a: str(w.get("name", a)) for a, w in info.items()}
    facts = {names.get(a, a): f for a, f in client.run(_worker_facts).items()}
    cluster = Cluster(where, address is None, {names[a]: int(w["nthreads"]) for a, w in info.items()},
                      {names[a]: dict(w.get("resources", {})) for a, w in info.items()}, facts, resources)
    bad = {w: m for w, f in facts.items() if (m := version_mismatch(f["versions"], package_versions()))}
    if bad:
        worker, what = next(iter(bad.items()))
        raise SweepError(f"{len(bad)} worker(s) at {where} run other package versions than this driver "
                         f"(first: {worker}: {what}); their numbers would not be this sweep's: install the same "
                         "versions on the workers")
    return cluster


def _worker_name() -> str:
    try:
        from distributed import get_worker

        w = get_worker()
        return str(w.name if w.name is not None else w.address)
    except (ImportError, ValueError):
        return f"serial-{os.getpid()}"


def _worker_threads() -> int:
    try:
        from distributed import get_worker

        return int(get_worker().state.nthreads)
    except (ImportError, ValueError, AttributeError):
        return 1


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


class VersionMismatchError(RuntimeError):
    """This worker runs other seqdrop/torch versions than the sweep's driver."""


# One trial per process at a time: trials seed and draw from the process-wide generators, and
# torch's thread count is process-wide, so two trials in one process would change each other's
# numbers (a `dask worker` runs one task per thread; its default is one thread per core).
_ONE_TRIAL = threading.Lock()


def run_trial(trial_path: str, key: str, config: dict[str, Any], threads: int | None,
              expected: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Run one trial where this is called (a worker, or the driver in serial mode) → its record.

    ``threads``: torch threads for the trial (``None``: the worker's Dask thread count).
    ``expected``: the driver's package versions; a worker with other seqdrop/torch versions
    refuses the trial. An exception in the trial becomes a ``failed`` record with the error
    and traceback. Trials in one process run one after another.
    """
    import torch

    from .spec import resolve_trial

    with _ONE_TRIAL:
        previous = torch.get_num_threads()
        torch.set_num_threads(threads or _worker_threads())
        started = time.time()
        t0 = time.perf_counter()
        record: dict[str, Any] = {"key": key, "trial": trial_path, "config": config, "worker": _worker_name(),
                                  "versions": package_versions()}
        try:
            mismatch = version_mismatch(package_versions(), expected or {})
            if mismatch:
                raise VersionMismatchError(f"worker {record['worker']} runs {mismatch}")
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
