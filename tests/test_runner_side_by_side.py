"""Two ``seqdrop run`` side by side, and a run folder that holds only this run's results.

Real papermill and real kernels (toy notebooks of one line each, so a kernel start is most of
the cost): two runners started at the same instant from one checkout never share a kernel
connection; a notebook edited after it succeeded is rerun on ``--resume``; a kernel that cannot
start is a failed notebook, not an output error; the sources cannot be overwritten.
(Issue 20, items 4, 7, 9 and 11.)
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from seqdrop.cli import main
from seqdrop.course.runner import prepare_notebooks, run_notebooks

STEMS = ("01_a", "02_b", "03_c")


@pytest.fixture
def toy_home(tmp_path, notebook_factory) -> Path:
    """A checkout (``SEQDROP_HOME``) with three one-line notebooks and a smoke profile."""
    make_notebook = notebook_factory
    home = tmp_path / "home"
    (home / "notebooks").mkdir(parents=True)
    (home / "params").mkdir()
    for stem in STEMS:
        make_notebook(home / "notebooks" / f"{stem}.ipynb", "n = 0", ["from seqdrop.course import record\nrecord('n', n)"])
    (home / "params" / "smoke.yaml").write_text("".join(f"{s}:\n  n: 1\n" for s in STEMS))
    return home


def _statuses(out: Path) -> dict[str, str]:
    doc = json.loads((out / "summary.json").read_text())
    return {e["notebook"]: e["status"] for e in doc["notebooks"]}


@pytest.mark.notebook
def test_two_runners_started_together_do_not_break_each_other(toy_home, tmp_path):
    start_at = time.time() + 8  # both begin their batch at the same instant, after their imports
    code = ("import sys, time; from seqdrop.cli import main; t = float(sys.argv[1])\n"
            "while time.time() < t: time.sleep(0.001)\n"
            "sys.exit(main(sys.argv[2:]))")
    env = {**os.environ, "SEQDROP_HOME": str(toy_home), "OMP_NUM_THREADS": "1"}
    outs = [tmp_path / "run-a", tmp_path / "run-b"]
    procs = [subprocess.Popen([sys.executable, "-c", code, str(start_at), "run", "--profile", "smoke",
                               "--out", str(out), "--no-progress"], env=env, cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for out in outs]
    logs = [p.communicate(timeout=300) for p in procs]
    for p, out, (stdout, stderr) in zip(procs, outs, logs):
        assert p.returncode == 0, stdout + stderr[-2000:]
        assert _statuses(out) == dict.fromkeys(STEMS, "ok")
    assert not list((toy_home / "notebooks").glob("kernel-*")), "no kernel socket in the checkout"


def test_each_kernel_gets_a_private_connection(toy_home, tmp_path):
    from seqdrop.course import runner

    with runner._private_kernel_config() as a, runner._private_kernel_config() as b:
        paths = [Path(c.KernelManager.ip) for c in (a, b)] if os.name == "posix" else []
        for p in paths:
            assert p.parent.is_dir() and p.parent.stat().st_mode & 0o077 == 0  # a folder only we can enter
            assert not p.parent.is_relative_to(toy_home) and len(str(p)) < 100  # sun_path limit
        if paths:
            assert paths[0].parent != paths[1].parent
    assert not any(p.parent.exists() for p in paths)  # removed after the notebook


# item 4: the source's fingerprint is part of a finished entry ------------------------------
@pytest.mark.notebook
def test_resume_reruns_a_notebook_edited_after_it_succeeded(toy_home, tmp_path, capsys, notebook_factory):
    nbdir, pdir = toy_home / "notebooks", toy_home / "params"
    out = tmp_path / "run"
    run_notebooks("smoke", "01_a", out, progress=False, notebooks_path=nbdir, params_path=pdir)
    first = json.loads((out / "summary.json").read_text())["notebooks"][0]
    assert first["records"] == {"n": 1} and len(first["source_sha256"]) == 64
    notebook_factory(nbdir / "01_a.ipynb", "n = 0", ["from seqdrop.course import record\nrecord('n', n * 10)"])
    _, (again,) = run_notebooks("smoke", "01_a", out, resume=True, progress=False,
                                notebooks_path=nbdir, params_path=pdir)
    assert again.status == "ok" and again.records == {"n": 10}, "the edited notebook was rerun"
    assert "01_a changed since it ran" in capsys.readouterr().err
    mtime = (out / "01_a.ipynb").stat().st_mtime_ns
    _, (same,) = run_notebooks("smoke", "01_a", out, resume=True, progress=False,
                               notebooks_path=nbdir, params_path=pdir)
    assert same.records == {"n": 10} and (out / "01_a.ipynb").stat().st_mtime_ns == mtime  # unchanged: skipped


# item 9: a kernel that cannot start is the notebook's failure, not the run folder's ---------
def test_a_kernel_start_error_is_not_reported_as_an_output_error(toy_home, tmp_path, monkeypatch):
    import papermill

    def no_kernel(*args, **kwargs):
        raise PermissionError(13, "Permission denied", "/usr/bin/python3")  # EACCES launching the kernel

    monkeypatch.setattr(papermill, "execute_notebook", no_kernel)
    out = tmp_path / "run"
    _, results = run_notebooks("smoke", "0[12]_*", out, progress=False,
                               notebooks_path=toy_home / "notebooks", params_path=toy_home / "params")
    assert [r.status for r in results] == ["failed", "failed"]  # the batch went on
    assert all("Permission denied" in r.error and "/usr/bin/python3" in r.error for r in results)
    assert "cannot write" not in results[0].error


# item 11: the sources are not an output folder ---------------------------------------------
@pytest.mark.parametrize("command", ["prepare", "run"])
def test_out_cannot_be_the_notebooks_folder(toy_home, monkeypatch, capsys, command):
    monkeypatch.setenv("SEQDROP_HOME", str(toy_home))
    before = {p.name: p.read_bytes() for p in (toy_home / "notebooks").iterdir()}
    for out in (toy_home / "notebooks", toy_home / "notebooks" / "."):
        assert main([command, "--profile", "smoke", "--out", str(out), *(["--no-progress"] * (command == "run"))]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and "notebooks" in err and err.count("\n") == 1
    assert {p.name: p.read_bytes() for p in (toy_home / "notebooks").iterdir()} == before


def test_prepare_refuses_the_notebooks_folder_from_python(toy_home):
    from seqdrop.errors import SeqdropError

    with pytest.raises(SeqdropError, match="notebooks"):
        prepare_notebooks("smoke", "*", toy_home / "notebooks", notebooks_path=toy_home / "notebooks",
                          params_path=toy_home / "params")
