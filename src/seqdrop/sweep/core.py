"""``sweep(trial, grid, seeds=...)``: run grid × seeds on Dask, resumably, into a tidy table."""
from __future__ import annotations

import contextlib
import os
import sys
import time
import traceback
import uuid
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .._validation import check_float, check_int
from ..paths import runs_dir
from .cluster import (SERIAL, WORKER_TIMEOUT_S, check_resources, describe_cluster, open_client, plan_workers,
                      resolve_scheduler, run_trial)
from .spec import TABLE_COLUMNS as META
from .spec import SweepError, Trial, package_versions, plan_trials, resolve_trial
from .store import SweepStore

__all__ = ["sweep", "SweepResult", "SweepWarning", "default_store", "RUN_DIR_ENV"]

Grid = Mapping[str, Any] | Sequence[Mapping[str, Any]]
# The run folder `seqdrop run` executes a notebook into (seqdrop.course.runner sets it).
RUN_DIR_ENV = "SEQDROP_RUN_DIR"


class SweepWarning(UserWarning):
    """Some trials of a sweep failed (their records hold the error; a re-run retries them)."""


def default_store(name: str) -> Path:
    """``<run folder>/sweeps/<name>`` inside a ``seqdrop run`` (``$SEQDROP_RUN_DIR``), so that
    every run folder holds its own trials; else ``<project>/runs/sweeps/<name>``. ``name`` is
    one folder name (no ``/``, not ``..``)."""
    if not isinstance(name, str) or not name.strip() or name in (".", "..") or any(c in name for c in "/\\\0"):
        raise SweepError(f"sweep name {name!r} must be one folder name (no '/', not '.' or '..'); "
                         "pass store=DIR to choose another place")
    run_dir = os.environ.get(RUN_DIR_ENV, "").strip()
    return (Path(run_dir).expanduser() if run_dir else runs_dir()) / "sweeps" / name


@dataclass
class SweepResult:
    """What :func:`sweep` returns.

    ``trials``: one row per trial — every config key, the metrics, ``seed``, ``status``,
    ``error``, ``seconds``, ``worker`` and ``key`` (the content hash naming its record file).
    ``history``: one row per trial and epoch (the grid keys, ``seed``, ``key`` and the trial's
    per-epoch columns). Both work with seaborn directly, e.g.
    ``sns.pointplot(res.trials, x="dropout", y="test_acc", errorbar=("ci", 95))``.
    """

    trials: pd.DataFrame
    history: pd.DataFrame
    grid_keys: list[str]
    metrics: list[str]
    trial: str
    store: Path
    ran: int = 0  # trials run by this call (the rest came from the store)
    config_keys: list[str] = field(default_factory=list)

    @property
    def failed(self) -> pd.DataFrame:
        return self.trials[self.trials["status"] != "ok"]

    @property
    def numeric_metrics(self) -> list[str]:
        """The metrics with a number in some finished trial (not text such as ``stopped``)."""
        ok = self.trials[self.trials["status"] == "ok"]
        return [m for m in self.metrics if m in ok and ok[m].dtype.kind in "fiu" and ok[m].notna().any()]

    def summary(self, metric: str | Sequence[str] | None = None, confidence: float = 0.95) -> pd.DataFrame:
        """Mean, CI and count of ``metric`` (default: every numeric metric) per grid point, over seeds."""
        from .stats import summarize

        return summarize(self.trials, metric or self.numeric_metrics, by=self.grid_keys, confidence=confidence)

    def __repr__(self) -> str:
        n_bad = len(self.failed)
        return (f"SweepResult({self.trial}, {len(self.trials)} trials ({n_bad} failed, {self.ran} run now), "
                f"grid keys {self.grid_keys}, metrics {self.metrics}, store {str(self.store)!r})")


def _failed(t: Trial, path: str, exc: BaseException) -> dict[str, Any]:
    """Record for a trial whose task never returned (e.g. its worker died too often)."""
    now = time.time()
    return {"key": t.key, "trial": path, "config": t.config, "worker": None, "status": "failed",
            "metrics": {}, "history": [], "error": f"{type(exc).__name__}: {exc}",
            "traceback": "".join(traceback.format_exception(exc)), "seconds": None,
            "started": None, "finished": now}


def _bar(total: int, progress: bool, desc: str) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="trial", disable=not progress, dynamic_ncols=True)


@dataclass
class _Run:
    """How the missing trials of one sweep call are run."""

    path: str
    threads: int | None  # torch threads per trial (None: the worker's Dask threads)
    store: SweepStore
    bar: Any
    resources: dict[str, float] = field(default_factory=dict)

    def serial(self, todo: list[Trial]) -> None:
        for t in todo:
            self.store.write(run_trial(self.path, t.key, t.config, self.threads or 1))
            self.bar.update(1)

    def dask(self, todo: list[Trial], client: Any) -> None:
        """Submit every trial; a trial whose worker died (``KilledWorker``) may only have been
        queued beside the trial that killed it, so each of them is retried alone afterwards."""
        from distributed import KilledWorker, as_completed

        token = uuid.uuid4().hex[:8]
        expected = package_versions()

        def submit(t: Trial, attempt: int) -> Any:
            return client.submit(run_trial, self.path, t.key, t.config, self.threads, expected, pure=False,
                                 key=f"seqdrop-trial-{t.key}-{token}-{attempt}", resources=self.resources or None)

        futures = {submit(t, 0): t for t in todo}
        try:
            killed = []
            for fut in as_completed(list(futures), loop=client.loop):
                try:
                    record = fut.result()
                except KilledWorker:
                    killed.append(futures[fut])
                    continue
                except Exception as exc:  # noqa: BLE001 - record it, keep going
                    record = _failed(futures[fut], self.path, exc)
                self._keep(record, fut)
            for t in killed:
                fut = submit(t, 1)
                futures[fut] = t
                try:
                    record = fut.result()
                except Exception as exc:  # noqa: BLE001 - killed its worker again: the culprit
                    record = _failed(t, self.path, exc)
                self._keep(record, fut)
        finally:
            client.cancel([f for f in futures if not f.done()])

    def _keep(self, record: dict[str, Any], fut: Any) -> None:
        self.store.write(record)
        self.bar.update(1)
        fut.release()


@contextlib.contextmanager
def _client(address: str | None, workers: int, threads: int) -> Iterator[Any]:
    """A Dask client (``None`` in serial mode); the local cluster is kept for the next sweep."""
    if address == SERIAL:
        yield None
        return
    client, owned = open_client(address, workers, threads)
    try:
        yield client
    finally:
        if owned:
            client.close()


def _tables(trials: list[Trial], records: dict[str, dict[str, Any]], grid_keys: list[str]) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    rows, hist, metrics = [], [], []
    for t in trials:
        rec = records.get(t.key) or {"status": "missing", "metrics": {}, "history": [], "key": t.key}
        for m in rec["metrics"]:
            if m not in metrics:
                metrics.append(m)
        rows.append({**t.config, **rec["metrics"], **{k: rec.get(k) for k in META}, "key": t.key})
        ident = {k: t.config.get(k) for k in grid_keys} | {"seed": t.seed, "key": t.key}
        hist += [{**ident, **h} for h in rec.get("history", [])]
    config_keys = list(trials[0].config) if trials else []
    first = [k for k in grid_keys + ["seed"]] + metrics + list(META)
    rest = [k for k in config_keys if k not in first]
    df = pd.DataFrame(rows, columns=first + rest)
    df.attrs["grid_keys"] = list(grid_keys)  # paired_difference pairs within the other grid keys
    return df, pd.DataFrame(hist), metrics


@dataclass
class _Where:
    """Where the missing trials run: the scheduler address (None: local, "serial"), the local
    workers, torch threads per trial, resources per trial, the wait for a first worker."""

    address: str | None
    workers: int
    threads: int | None
    resources: dict[str, float] | None
    worker_timeout: float


def _run_missing(st: SweepStore, path: str, grid: Grid, planned: list[Trial], where: _Where,
                 progress: bool) -> list[Trial]:
    """Lock the store (before any cluster starts), run the trials without a finished record."""
    fresh = not st.folder.exists()
    st.open(path, grid if isinstance(grid, Mapping) else list(grid), sorted({t.seed for t in planned}))
    failed = True
    try:
        done = {k for k, r in st.load([t.key for t in planned]).items() if r.get("status") == "ok"}
        todo = [t for t in planned if t.key not in done]
        if progress and done:
            print(f"sweep: {len(done)} of {len(planned)} trials already in {st.folder}; running {len(todo)}",
                  file=sys.stderr)
        with _client(where.address, where.workers, where.threads or 1) as client:
            run = _Run(path, where.threads, st, None)
            if client is not None:
                cluster = describe_cluster(client, where.address, where.resources, where.worker_timeout)
                st.note_run(cluster=cluster.to_dict())
                run.resources = cluster.request
                if progress:
                    print(cluster.line(where.threads), file=sys.stderr, flush=True)
            run.bar = _bar(len(todo), progress, st.folder.name)
            try:
                run.serial(todo) if client is None else run.dask(todo, client)
            except KeyboardInterrupt:
                print(f"\nsweep interrupted: finished trials are kept in {st.folder}; rerun to continue",
                      file=sys.stderr)
                raise
            finally:
                run.bar.close()
        failed = False
    finally:
        st.close(discard=failed and fresh)  # e.g. no scheduler at the address: leave no empty folder
    return todo


def _plan_where(address: str | None, workers: int | None, threads_per_worker: int | None,
                resources: Mapping[str, Any] | None, worker_timeout: float) -> _Where:
    """Check where a sweep would run, before anything starts."""
    if address is None:  # a local cluster: workers × threads ≤ cores
        threads = threads_per_worker if threads_per_worker is not None else 1
        return _Where(None, plan_workers(workers, threads), threads, check_resources(resources),
                      check_float("worker_timeout", worker_timeout, 0.0, None, low_closed=False))
    threads = None if threads_per_worker is None else check_int("threads_per_worker", threads_per_worker, 1, None)
    if workers is not None and address != SERIAL:
        raise SweepError(f"workers={workers} applies to a local cluster; the scheduler {address} has its own workers")
    return _Where(address, 0, threads, check_resources(resources),
                  check_float("worker_timeout", worker_timeout, 0.0, None, low_closed=False))


def sweep(
    trial: str | Callable[[dict[str, Any]], dict[str, Any]],
    grid: Grid,
    *,
    seeds: int | Iterable[int],
    store: str | os.PathLike[str] | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    threads_per_worker: int | None = None,
    name: str | None = None,
    progress: bool = True,
    resources: Mapping[str, float] | None = None,
    worker_timeout: float = WORKER_TIMEOUT_S,
) -> SweepResult:
    """Run ``trial`` on every point of ``grid`` × ``seeds`` and return a tidy :class:`SweepResult`.

    ``trial``: an importable function of a config dict (or its dotted path; a bare name means
    ``seqdrop.trials.<name>``). ``grid``: ``{key: [values]}`` (Cartesian product) or a
    list of such mappings. ``seeds``: an int ``n`` (seeds ``0..n-1``) or a list of seeds.
    ``store``: the sweep folder (default ``<run folder>/sweeps/<name>`` inside ``seqdrop run``,
    else ``runs/sweeps/<name>``; ``name`` defaults to the trial's function name); finished
    trials found there (same content hash: trial, config, seqdrop version, the trial module's
    source) are not rerun, failed ones are.

    ``scheduler``: ``None`` (or ``$SEQDROP_SCHEDULER``, else a local cluster of ``workers``
    processes × ``threads_per_worker`` torch threads, default 1), a Dask address such as
    ``tcp://host:8786`` (each worker runs one trial at a time with ``threads_per_worker``
    torch threads, default its own Dask thread count), or ``"serial"`` (in this process).
    ``resources``: worker resources each trial needs, e.g. ``{"GPU": 1}`` for one GPU per trial
    (default: that, when some worker offers ``GPU``; ``{}`` for none). ``worker_timeout``:
    seconds to wait for a worker that can take the trials before giving up.
    Everything is validated, and the store locked, before any cluster starts.
    """
    path, fn = resolve_trial(trial)
    planned, grid_keys = plan_trials(path, fn, grid, seeds)
    where = _plan_where(resolve_scheduler(scheduler), workers, threads_per_worker, resources, worker_timeout)
    default = default_store(name if name is not None else path.rsplit(".", 1)[-1])  # checks the name
    folder = Path(store) if store is not None else default
    st = SweepStore(folder)
    keys = [t.key for t in planned]
    finished = [r for r in st.load(keys).values() if r.get("status") == "ok"]
    if len(finished) == len(keys):
        todo: list[Trial] = []  # everything is in the store: no cluster, no lock needed
    else:
        todo = _run_missing(st, path, grid, planned, where, progress)
    records = st.load(keys)
    trials_df, history, metrics = _tables(planned, records, grid_keys)
    result = SweepResult(trials_df, history, grid_keys, metrics, path, folder, len(todo), list(planned[0].config))
    bad = result.failed
    if len(bad):
        first = bad.iloc[0]
        warnings.warn(f"{len(bad)} of {len(trials_df)} trials failed (first: {first['error']}); records in "
                      f"{folder}; rerun the sweep to retry them", SweepWarning, stacklevel=2)
    return result
