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

from ..paths import runs_dir
from .cluster import SERIAL, open_client, plan_workers, resolve_scheduler, run_trial
from .spec import SweepError, Trial, plan_trials, resolve_trial
from .store import SweepStore

__all__ = ["sweep", "SweepResult", "SweepWarning", "default_store"]

Grid = Mapping[str, Any] | Sequence[Mapping[str, Any]]
META = ("status", "error", "seconds", "worker", "key")


class SweepWarning(UserWarning):
    """Some trials of a sweep failed (their records hold the error; a re-run retries them)."""


def default_store(name: str) -> Path:
    """``<project>/runs/sweeps/<name>``."""
    return runs_dir() / "sweeps" / name


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

    def summary(self, metric: str | None = None, confidence: float = 0.95) -> pd.DataFrame:
        """Mean, CI and count of ``metric`` (default: every metric) per grid point, over seeds."""
        from .stats import summarize

        return summarize(self.trials, metric or self.metrics, by=self.grid_keys, confidence=confidence)

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


def _run_serial(todo: list[Trial], path: str, threads: int, store: SweepStore, bar: Any) -> None:
    for t in todo:
        store.write(run_trial(path, t.key, t.config, threads))
        bar.update(1)


def _run_dask(todo: list[Trial], path: str, threads: int, store: SweepStore, bar: Any, client: Any) -> None:
    from distributed import as_completed

    token = uuid.uuid4().hex[:8]
    futures = {
        client.submit(run_trial, path, t.key, t.config, threads, key=f"seqdrop-trial-{t.key}-{token}", pure=False): t
        for t in todo
    }
    try:
        for fut in as_completed(list(futures), loop=client.loop):
            t = futures[fut]
            try:
                record = fut.result()
            except Exception as exc:  # noqa: BLE001 - e.g. KilledWorker: record it, keep going
                record = _failed(t, path, exc)
            store.write(record)
            bar.update(1)
            fut.release()
    finally:
        client.cancel([f for f in futures if not f.done()])


@contextlib.contextmanager
def _client(address: str | None, workers: int, threads: int, progress: bool) -> Iterator[Any]:
    """A Dask client (``None`` in serial mode); the local cluster is kept for the next sweep."""
    if address == SERIAL:
        yield None
        return
    client, owned = open_client(address, workers, threads, progress)
    try:
        yield client
    finally:
        if owned:
            client.close()


def _execute(todo: list[Trial], path: str, client: Any, threads: int, store: SweepStore, progress: bool) -> None:
    bar = _bar(len(todo), progress, store.folder.name)
    try:
        if client is None:
            _run_serial(todo, path, threads, store, bar)
        else:
            _run_dask(todo, path, threads, store, bar, client)
    finally:
        bar.close()


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


def _run_missing(st: SweepStore, path: str, grid: Grid, planned: list[Trial], client: Any, threads: int,
                 progress: bool) -> list[Trial]:
    """Lock the store, run the trials without a finished record, return them."""
    st.open(path, grid if isinstance(grid, Mapping) else list(grid), sorted({t.seed for t in planned}))
    try:
        done = {k for k, r in st.load([t.key for t in planned]).items() if r.get("status") == "ok"}
        todo = [t for t in planned if t.key not in done]
        if progress and done:
            print(f"sweep: {len(done)} of {len(planned)} trials already in {st.folder}; running {len(todo)}",
                  file=sys.stderr)
        try:
            _execute(todo, path, client, threads, st, progress)
        except KeyboardInterrupt:
            print(f"\nsweep interrupted: finished trials are kept in {st.folder}; rerun to continue", file=sys.stderr)
            raise
    finally:
        st.close()
    return todo


def sweep(
    trial: str | Callable[[dict[str, Any]], dict[str, Any]],
    grid: Grid,
    *,
    seeds: int | Iterable[int],
    store: str | os.PathLike[str] | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    threads_per_worker: int = 1,
    name: str | None = None,
    progress: bool = True,
) -> SweepResult:
    """Run ``trial`` on every point of ``grid`` × ``seeds`` and return a tidy :class:`SweepResult`.

    ``trial``: an importable function of a config dict (or its dotted path; a bare name means
    ``seqdrop.trials.<name>``). ``grid``: ``{key: [values]}`` (Cartesian product) or a
    list of such mappings. ``seeds``: an int ``n`` (seeds ``0..n-1``) or a list of seeds.
    ``store``: the sweep folder (default ``runs/sweeps/<name>``, ``name`` defaulting to the
    trial's function name); finished trials found there (same content hash) are not rerun,
    failed ones are. ``scheduler``: ``None`` (or ``$SEQDROP_SCHEDULER``, else a local cluster
    of ``workers`` processes × ``threads_per_worker`` torch threads), a Dask address such as
    ``tcp://host:8786``, or ``"serial"`` (in this process, for debugging).
    Everything is validated before anything runs.
    """
    path, fn = resolve_trial(trial)
    planned, grid_keys = plan_trials(path, fn, grid, seeds)
    address = resolve_scheduler(scheduler)
    n_workers = plan_workers(workers, threads_per_worker) if address in (None, SERIAL) else 0
    folder = Path(store) if store is not None else default_store(name or path.rsplit(".", 1)[-1])
    st = SweepStore(folder)
    keys = [t.key for t in planned]
    finished = [r for r in st.load(keys).values() if r.get("status") == "ok"]
    if len(finished) == len(keys):
        todo: list[Trial] = []  # everything is in the store: no cluster, no lock needed
    else:
        with _client(address, n_workers, threads_per_worker, progress) as client:
            todo = _run_missing(st, path, grid, planned, client, threads_per_worker, progress)
    records = st.load(keys)
    trials_df, history, metrics = _tables(planned, records, grid_keys)
    result = SweepResult(trials_df, history, grid_keys, metrics, path, folder, len(todo), list(planned[0].config))
    bad = result.failed
    if len(bad):
        first = bad.iloc[0]
        warnings.warn(f"{len(bad)} of {len(trials_df)} trials failed (first: {first['error']}); records in "
                      f"{folder}; rerun the sweep to retry them", SweepWarning, stacklevel=2)
    return result
