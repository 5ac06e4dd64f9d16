"""seqdrop.sweep on a hand-started Dask cluster, as a cluster user starts one: a `dask scheduler`
and two `dask worker` processes on loopback — one with 2 threads (Dask's default is one per core)
and one that offers a GPU resource (`--resources GPU=1`; its CUDA is not needed: trials that
ask for it are placed there, whatever the hardware)."""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from seqdrop.sweep import sweep, trial_function

pytestmark = pytest.mark.slow

DASK = [sys.executable, "-m", "dask"]
TESTS = Path(__file__).parent


def _start(args: list[str], log: Path) -> subprocess.Popen:
    env = dict(os.environ, OMP_NUM_THREADS="1",
               PYTHONPATH=os.pathsep.join(filter(None, [str(TESTS), os.environ.get("PYTHONPATH")])))
    with open(log, "w") as fh:
        return subprocess.Popen(DASK + args, stdout=fh, stderr=subprocess.STDOUT, env=env)


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory):
    """Address of a `dask scheduler` with workers `two-threads` (--nthreads 2, nanny) and `gpu`
    (--nthreads 1 --resources GPU=1), all on 127.0.0.1."""
    from distributed import Client

    tmp = tmp_path_factory.mktemp("dask")
    info = tmp / "scheduler.json"
    procs = [_start(["scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                     "--scheduler-file", str(info)], tmp / "scheduler.log")]
    try:
        deadline = time.monotonic() + 300  # generous: a loaded machine imports slowly
        while not info.exists() and time.monotonic() < deadline:
            assert procs[0].poll() is None, (tmp / "scheduler.log").read_text()[-2000:]
            time.sleep(0.1)
        address = json.loads(info.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        common = ["--host", "127.0.0.1", "--no-dashboard", "--death-timeout", "60"]
        procs.append(_start(["worker", address, "--nthreads", "2", "--name", "two-threads", *common],
                            tmp / "two-threads.log"))
        procs.append(_start(["worker", address, "--nthreads", "1", "--name", "gpu", "--resources", "GPU=1",
                             *common], tmp / "gpu.log"))
        with Client(address, timeout="60s", set_as_default=False) as client:
            client.wait_for_workers(2, timeout=300)
        yield address
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


_RUNNING = {"now": 0, "peak": 0}
_COUNT = threading.Lock()


@trial_function(defaults=dict(pause=0.3))
def shared_rng(config: dict) -> dict:
    """Seeds and draws from the process-wide generator, as every training trial does, with a
    pause between two draws; ``overlap`` is how many trials ran in this process at once."""
    import torch

    from seqdrop.utils import seed_everything

    with _COUNT:
        _RUNNING["now"] += 1
        _RUNNING["peak"] = max(_RUNNING["peak"], _RUNNING["now"])
    try:
        seed_everything(config["seed"])
        first = torch.rand(1).item()
        time.sleep(config["pause"])
        return {"draws": first + torch.rand(1).item(), "overlap": _RUNNING["peak"]}
    finally:
        with _COUNT:
            _RUNNING["now"] -= 1


def test_a_two_thread_worker_gets_the_local_runs_numbers(scheduler, tmp_path):
    local = sweep(shared_rng, {"pause": 0.3}, seeds=6, store=tmp_path / "serial", scheduler="serial",
                  progress=False)
    remote = sweep(shared_rng, {"pause": 0.3}, seeds=6, store=tmp_path / "remote", scheduler=scheduler,
                   resources={}, progress=False)  # no GPU request: both workers take trials
    assert (remote.trials["status"] == "ok").all()
    assert "two-threads" in set(remote.trials["worker"])
    assert list(remote.trials["draws"]) == list(local.trials["draws"])
    assert remote.trials["overlap"].max() == 1  # never two trials at once in one process


def test_the_sweep_says_where_it_runs_and_places_trials_on_gpu_workers(scheduler, tmp_path, capsys):
    res = sweep(shared_rng, {"pause": 0.0}, seeds=3, store=tmp_path / "sw", scheduler=scheduler)
    err = capsys.readouterr().err
    assert f"sweep: Dask scheduler {scheduler}, 2 worker(s) × 1 or 2 thread(s)" in err
    assert "1 GPU(s), each trial asks for GPU=1" in err
    assert set(res.trials["worker"]) == {"gpu"}  # one trial per GPU, on the worker that offers it
    doc = json.loads((tmp_path / "sw" / "sweep.json").read_text())
    workers = doc["runs"][-1]["cluster"]["workers"]
    assert set(workers) == {"two-threads", "gpu"} and workers["gpu"]["resources"] == {"GPU": 1.0}
    assert workers["two-threads"]["threads"] == 2 and workers["gpu"]["versions"]["torch"]
    record = json.loads(next((tmp_path / "sw" / "trials").glob("*.json")).read_text())
    assert record["versions"]["seqdrop"] and record["worker"] == "gpu"


@trial_function(defaults=dict(mib=1))
def page_faults(config: dict) -> dict:
    """Minor page faults of 200 allocations of ``mib`` MiB (each freed again), and the worker's
    MALLOC_TRIM_THRESHOLD_: with glibc's adaptive malloc the heap is reused (few faults); with
    Dask's nanny setting each one is mmapped and faulted anew."""
    import torch

    def faults() -> int:
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        for _ in range(200):
            x = torch.ones(config["mib"] << 18)
            del x
        return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

    faults()  # warm-up
    return {"faults": faults(), "trim": os.environ.get("MALLOC_TRIM_THRESHOLD_", "")}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc")
def test_nanny_workers_get_glibcs_adaptive_malloc_back(scheduler, tmp_path):
    res = sweep(page_faults, {"mib": 1}, seeds=2, store=tmp_path / "sw", scheduler=scheduler, resources={},
                progress=False)
    assert set(res.trials["trim"]) == {""}
    assert res.trials["faults"].max() < 2_000  # 51,400 with MALLOC_TRIM_THRESHOLD_=65536
