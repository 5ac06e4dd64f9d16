"""Fault scenarios of the notebook runner for ``benchmarks/faults.py``: three toy notebooks run by
``seqdrop run`` in separate processes (real kernels), killed or failing part-way, then resumed, or
two runners started at the same instant from one checkout, or a notebook's sweep whose stored
trials are tampered with before a fresh run."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path


def kill9(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait()


def _toy_project(root: Path) -> tuple[Path, dict]:
    import nbformat

    home = root / "nbhome"
    (home / "notebooks").mkdir(parents=True)
    (home / "params").mkdir()
    flag = home / "FLAG"
    bodies = {
        "01_a": "x = 1",
        "02_b": f"import os, time\nif os.path.exists({str(flag)!r}): time.sleep(3600)",
        "03_c": "x = 3",
    }
    for stem, body in bodies.items():
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
        cell = nbformat.v4.new_code_cell("n = 0")
        cell.metadata["tags"] = ["parameters"]
        nb.cells = [cell, nbformat.v4.new_code_cell(body)]
        nbformat.write(nb, str(home / "notebooks" / f"{stem}.ipynb"))
    (home / "params" / "smoke.yaml").write_text("".join(f"{s}:\n  n: 1\n" for s in bodies))
    return home, {"SEQDROP_HOME": str(home), "OMP_NUM_THREADS": "1"}


def _runner(env: dict, out: Path, *extra: str, start_at: float = 0.0) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "seqdrop.cli", "run", "--profile", "smoke", "--out", str(out), "--no-progress"]
    cmd += list(extra)
    if start_at:  # begin the batch at this time.time(), after the imports
        wait = ("import sys, time, runpy; t = float(sys.argv.pop(1))\nwhile time.time() < t: time.sleep(0.001)\n"
                "sys.argv[0] = 'seqdrop'; runpy.run_module('seqdrop.cli', run_name='__main__')")
        cmd = [sys.executable, "-c", wait, str(start_at)] + cmd[3:]
    return subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, **env}
    )


def _statuses(out: Path) -> dict[str, str]:
    doc = json.loads((out / "summary.json").read_text())
    return {r["notebook"]: r["status"] for r in doc["notebooks"]}


def runner_kill(root: Path) -> tuple[str, bool]:
    home, env = _toy_project(root)
    out = root / "nbrun"
    (home / "FLAG").write_text("stall")
    proc = _runner(env, out)
    t0 = time.time()
    while not ((out / "summary.json").exists() and _statuses(out).get("01_a") == "ok"):
        if proc.poll() is not None or time.time() - t0 > 300:
            return f"runner ended early (exit {proc.returncode})", False
        time.sleep(0.2)
    time.sleep(2)  # 02_b is executing (stalled)
    kill9(proc)
    (home / "FLAG").unlink()
    first = (out / "01_a.ipynb").stat().st_mtime_ns
    proc = _runner(env, out, "--resume")
    proc.communicate(timeout=600)
    st = _statuses(out)
    ok = proc.returncode == 0 and st == dict.fromkeys(("01_a", "02_b", "03_c"), "ok")
    ok = ok and (out / "01_a.ipynb").stat().st_mtime_ns == first
    return f"summary after resume: {st}; finished notebook not re-run", ok


def runner_partial(root: Path) -> tuple[str, bool]:
    home, env = _toy_project(root / "partial")
    out = root / "nbpartial"
    nb = home / "notebooks" / "02_b.ipynb"
    good = nb.read_text()
    nb.write_text(good.replace("import os, time", "raise RuntimeError('fails once')"))
    _runner(env, out).communicate(timeout=600)
    nb.write_text(good)
    proc = _runner(env, out, "--resume")
    proc.communicate(timeout=600)
    st = _statuses(out)
    ok = proc.returncode == 0 and st == dict.fromkeys(("01_a", "02_b", "03_c"), "ok")
    return f"summary after resume: {st}", ok


def runners_side_by_side(root: Path) -> tuple[str, bool]:
    home, env = _toy_project(root / "side")
    outs = [root / "side-a", root / "side-b"]
    start_at = time.time() + 8
    procs = [_runner(env, out, start_at=start_at) for out in outs]
    for p in procs:
        p.communicate(timeout=600)
    states = [_statuses(out) if (out / "summary.json").exists() else {} for out in outs]
    ok = [p.returncode for p in procs] == [0, 0] and all(
        st == dict.fromkeys(("01_a", "02_b", "03_c"), "ok") for st in states)
    failed = sum(v != "ok" for st in states for v in st.values())
    return f"both runners exit {[p.returncode for p in procs]}; {6 - failed} of 6 notebooks ok, none crossed", ok


def fresh_run_computes_its_sweep(root: Path) -> tuple[str, bool]:
    """Issue 20, item 1: a notebook calls ``sweep(..., name=...)`` without ``store=``; after a first
    run, every stored trial record anywhere in the project is altered; a fresh ``seqdrop run`` into a
    new folder must report the numbers it computes, not the altered ones."""
    import nbformat

    home = root / "sweephome"
    (home / "notebooks").mkdir(parents=True)
    (home / "params").mkdir()
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    cell = nbformat.v4.new_code_cell("value = 2.0")
    cell.metadata["tags"] = ["parameters"]
    body = ("from seqdrop.course import record\nfrom seqdrop.sweep import sweep\n"
            "res = sweep('noop', {'value': [value]}, seeds=1, name='toy', scheduler='serial', progress=False)\n"
            "record('toy_result', float(res.trials['result'].iloc[0]))")
    nb.cells = [cell, nbformat.v4.new_code_cell(body)]
    nbformat.write(nb, str(home / "notebooks" / "01_toy.ipynb"))
    (home / "params" / "smoke.yaml").write_text("01_toy:\n  value: 2.0\n")
    env = {"SEQDROP_HOME": str(home), "OMP_NUM_THREADS": "1"}

    def result(out: Path) -> object:
        doc = json.loads((out / "summary.json").read_text())
        return doc["notebooks"][0].get("records", {}).get("toy_result")

    first = _runner(env, root / "sweeprun-a")
    first.communicate(timeout=600)
    tampered = 0
    for rec in root.rglob("trials/*.json"):
        doc = json.loads(rec.read_text())
        doc.setdefault("metrics", {})["result"] = -999.0
        rec.write_text(json.dumps(doc))
        tampered += 1
    second = _runner(env, root / "sweeprun-b")
    second.communicate(timeout=600)
    got = result(root / "sweeprun-b")
    ok = first.returncode == 0 and second.returncode == 0 and tampered >= 1 and got == 2.0
    return f"{tampered} stored trial(s) altered after run 1; fresh run reports {got} (computed: 2.0)", ok
