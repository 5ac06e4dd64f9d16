"""Sweep engine benchmarks: parallel speed-up, thread oversubscription, per-sweep overhead.

1. **Speed-up**: a sweep of ``--trials`` identical short word-LM trials (``--steps`` SGD
   steps of a small 2-layer LSTM on PTB; seeds 0..n-1) with 1 worker vs 2 workers on a local Dask cluster;
   wall time of the whole ``sweep()`` call (cluster start and worker warm-up included), and
   the span from the first trial's start to the last trial's end.
2. **Oversubscription**: the same trial run alone vs beside one CPU-busy process, with one
   torch thread per trial (seqdrop's default) vs ``torch.get_num_threads()`` of a fresh
   process (PyTorch's default, the old behaviour); the trial's own seconds.
3. **Overhead**: a sweep of 20 ``noop`` trials on a fresh local cluster (cluster start and
   the workers' first imports included), the same again on the cluster kept by the first
   sweep, and in serial mode.
4. **Per trial**: what a sweep adds to each trial over calling the trial function directly
   in this process: ``--trials`` short word-LM trials called directly, then swept serially
   and on a kept 1-worker local cluster (the cluster started beforehand); (sweep wall − the
   direct calls' total) / trials. A noop trial gives the engine's floor.

Each case is run ``--repeats`` times and the median is reported, with the load average, so a
run on a shared machine can be told from one on an idle machine. Examples::

    python benchmarks/bench_sweep.py                         # everything (~6 minutes idle)
    python benchmarks/bench_sweep.py --cases overhead --repeats 5
    python benchmarks/bench_sweep.py --steps 100 --trials 8 --json bench_sweep.json
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from seqdrop.sweep import SweepStore, available_cores, shutdown_local_cluster, sweep

CASES = ("speedup", "threads", "overhead", "pertrial")


def lm_grid(steps: int) -> dict[str, Any]:
    """A small 2-layer LSTM word LM on PTB for ``steps`` SGD steps (identical work per seed)."""
    return {"embedding_size": 128, "hidden_size": 128, "max_steps": steps, "max_eval_batches": 2,
            "max_tokens": 200_000}


def timed_sweep(trial: str, grid: dict[str, Any], seeds: int = 1, **kw: Any) -> tuple[float, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        res = sweep(trial, grid, seeds=seeds, store=Path(tmp) / "sw", progress=False, **kw)
        wall = time.perf_counter() - t0
        records = SweepStore(res.store).load().values()
        res.span = max(r["finished"] for r in records) - min(r["started"] for r in records)
    bad = res.failed
    if len(bad):
        raise RuntimeError(f"benchmark trial failed: {bad['error'].iloc[0]}")
    return wall, res


def case_speedup(args: argparse.Namespace) -> list[dict[str, Any]]:
    grid = lm_grid(args.steps)
    rows = []
    walls: dict[int, list[float]] = {1: [], 2: []}
    spans: dict[int, list[float]] = {1: [], 2: []}
    for _ in range(args.repeats):
        for workers in (1, 2):
            shutdown_local_cluster()  # each timed sweep starts its own cluster
            wall, res = timed_sweep("train_lm", grid, seeds=args.trials, workers=workers)
            walls[workers].append(wall)
            spans[workers].append(res.span)
            rows.append({"case": "speedup", "workers": workers, "wall_s": wall, "trials_span_s": res.span,
                         "trial_s_median": float(res.trials["seconds"].median())})
    w1, w2 = statistics.median(walls[1]), statistics.median(walls[2])
    s1, s2 = statistics.median(spans[1]), statistics.median(spans[2])
    rows.append({"case": "speedup", "summary": f"{args.trials} trials × {args.steps} steps: sweep() wall 1 worker "
                 f"{w1:.1f} s, 2 workers {w2:.1f} s, speed-up {w1 / w2:.2f}× (first trial start → last trial end: "
                 f"{s1:.1f} s vs {s2:.1f} s, {s1 / s2:.2f}×)"})
    return rows


def one_trial_seconds(threads: int, steps: int) -> float:
    _, res = timed_sweep("train_lm", lm_grid(steps), scheduler="serial", threads_per_worker=threads)
    return float(res.trials["seconds"].iloc[0])


def case_threads(args: argparse.Namespace) -> list[dict[str, Any]]:
    clean = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    old = int(subprocess.check_output([sys.executable, "-c", "import torch; print(torch.get_num_threads())"], env=clean))
    settings = {"default (1 thread)": 1, f"old (torch default, {old} threads)": old}
    one_trial_seconds(1, 5)  # warm-up: imports, data cache
    times: dict[tuple[str, bool], list[float]] = {}
    for _ in range(args.repeats):
        for busy in (False, True):
            hog = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if busy else None
            try:
                for name, threads in settings.items():
                    times.setdefault((name, busy), []).append(one_trial_seconds(threads, args.steps))
            finally:
                if hog is not None:
                    hog.kill()
                    hog.wait()
    rows = [{"case": "threads", "setting": n, "busy_neighbour": b, "trial_s": statistics.median(v)}
            for (n, b), v in times.items()]
    med = {k: statistics.median(v) for k, v in times.items()}
    (d, o) = settings
    rows.append({"case": "threads", "summary": f"beside a busy process: old/default = "
                 f"{med[(o, True)] / med[(d, True)]:.2f}× slower; alone: {med[(o, False)] / med[(d, False)]:.2f}×; "
                 f"default busy/alone = {med[(d, True)] / med[(d, False)]:.2f}×, old busy/alone = "
                 f"{med[(o, True)] / med[(o, False)]:.2f}×"})
    return rows


def case_overhead(args: argparse.Namespace) -> list[dict[str, Any]]:
    grid = {"value": [float(i) for i in range(20)]}
    fresh, warm = [], []
    for _ in range(args.repeats):
        shutdown_local_cluster()  # the first sweep of a process starts the cluster ...
        fresh.append(timed_sweep("noop", grid)[0])
        warm.append(timed_sweep("noop", grid)[0])  # ... later ones reuse it
    shutdown_local_cluster()
    serial = [timed_sweep("noop", grid, scheduler="serial")[0] for _ in range(args.repeats)]
    f, w, s = (statistics.median(v) for v in (fresh, warm, serial))
    return [{"case": "overhead", "mode": "fresh local cluster (start included)", "wall_s": f},
            {"case": "overhead", "mode": "kept local cluster (next sweep)", "wall_s": w},
            {"case": "overhead", "mode": "serial", "wall_s": s},
            {"case": "overhead", "summary": f"20 no-op trials: {f:.1f} s on a fresh local cluster (start and worker "
             f"imports included), {w:.2f} s on the kept cluster, {s:.2f} s serial"}]


def _direct(trial: str, grid: dict[str, Any], seeds: int) -> float:
    """Seconds to call the trial function itself on ``seeds`` configs, in this process."""
    import torch

    from seqdrop.sweep import resolve_trial

    fn = resolve_trial(trial)[1]
    configs = [dict(fn.defaults) | grid | {"seed": s} for s in range(seeds)]
    previous = torch.get_num_threads()
    torch.set_num_threads(1)  # as a sweep runs it
    try:
        t0 = time.perf_counter()
        for config in configs:
            fn(config)
        return time.perf_counter() - t0
    finally:
        torch.set_num_threads(previous)


def case_pertrial(args: argparse.Namespace) -> list[dict[str, Any]]:
    rows = []
    for trial, grid in (("noop", {"value": 1.0}), ("train_lm", lm_grid(args.steps))):
        n = 20 if trial == "noop" else args.trials
        _direct(trial, grid, 1)  # warm-up: imports, data cache
        shutdown_local_cluster()
        timed_sweep(trial, grid, seeds=1, workers=1)  # start the kept cluster, warm its worker
        direct, serial, kept = [], [], []
        for _ in range(args.repeats):
            direct.append(_direct(trial, grid, n))
            serial.append(timed_sweep(trial, grid, seeds=n, scheduler="serial")[0])
            kept.append(timed_sweep(trial, grid, seeds=n, workers=1)[0])
        d, s, k = (statistics.median(v) for v in (direct, serial, kept))
        rows.append({"case": "pertrial", "trial": trial, "trials": n, "direct_s": d, "serial_s": s, "kept_1_worker_s": k})
        rows.append({"case": "pertrial", "summary": f"{trial}: {n} trials called directly {d:.2f} s; per-trial "
                     f"overhead of a sweep {1000 * (s - d) / n:.0f} ms serial, {1000 * (k - d) / n:.0f} ms on a kept "
                     f"1-worker local cluster ({100 * (k - d) / d:.1f}% of the direct time)" if d > 0.5 else
                     f"{trial}: {n} trials called directly {1000 * d:.1f} ms; per-trial overhead of a sweep "
                     f"{1000 * (s - d) / n:.0f} ms serial, {1000 * (k - d) / n:.0f} ms on a kept 1-worker local cluster"})
    shutdown_local_cluster()
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cases", default=",".join(CASES), help=f"comma-separated subset of {CASES}")
    p.add_argument("--repeats", type=int, default=3, help="repeats per measurement (median reported)")
    p.add_argument("--steps", type=int, default=200, help="SGD steps per LM trial")
    p.add_argument("--trials", type=int, default=8, help="trials in the speed-up sweep")
    p.add_argument("--json", default=None, metavar="FILE", help="also write the rows as JSON")
    args = p.parse_args(argv)
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    unknown = set(cases) - set(CASES)
    if unknown:
        p.error(f"unknown case(s) {sorted(unknown)}; choose from {CASES}")
    env = {"cores": available_cores(), "load_before": os.getloadavg(), "started": time.strftime("%Y-%m-%d %H:%M")}
    rows: list[dict[str, Any]] = []
    for case in cases:
        rows += {"speedup": case_speedup, "threads": case_threads, "overhead": case_overhead,
                 "pertrial": case_pertrial}[case](args)
        for r in rows:
            if r.get("case") == case and "summary" in r:
                print(f"{case}: {r['summary']}", flush=True)
    env["load_after"] = os.getloadavg()
    print(f"cores {env['cores']}; load average before {env['load_before'][0]:.2f}, after {env['load_after'][0]:.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps({"env": env, "rows": rows}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
