"""seqdrop.sweep: bad specs refused before any work, trial identity, store placement and
locking, summaries on any grid, the trials' device key (serial mode, CUDA mocked)."""
from __future__ import annotations

import argparse
import json
import textwrap
import time
from pathlib import Path

import pytest
import torch

import seqdrop.trials as shipped
from seqdrop.errors import SeqdropError
from seqdrop.sweep import SweepError, format_summary, sweep, trial_function
from seqdrop.sweep.cli import add_arguments, main
from seqdrop.sweep.cluster import run_trial


def cli(tmp_path: Path, spec: str, *args: str) -> int:
    path = tmp_path / "spec.yaml"
    path.write_text(textwrap.dedent(spec))
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return main(parser.parse_args([str(path), "--out", str(tmp_path / "sw"), "--no-progress", *args]))


@pytest.mark.parametrize(("spec", "message"), [
    ("trial: noop\nseeds: true\ngrid: {value: [1.0]}\n", "seeds must be a positive int or a non-empty list"),
    ("trial: noop\nseeds: 1.5\ngrid: {value: [1.0]}\n", "seeds must be a positive int or a non-empty list"),
    ("trial: noop\nseeds: [0, -1]\ngrid: {value: [1.0]}\n", "seeds must be a positive int or a non-empty list"),
    ("trial: noop\nseeds: 2\ngrid:\n", "the grid must be a mapping"),
    ("trial: noop\nseeds: 2\ngrid: {}\n", "the grid is empty"),
    ("trial: noop\nseeds: 2\ngrid: {value: [1.0]}\nmetrics: result\n", "metrics must be a list of metric names"),
    ("trial: noop\nseeds: 2\ngrid: {value: [1.0]}\nmetrics: [reslt]\n", r"metrics \['reslt'\] are not returned by"),
    ("trial: noop\nseeds: 2\ngrid: {value: [1.0]}\nworkers: two\n", "workers must be an integer"),
    ("trial: noop\nseeds: 2\ngrid: {value: [1.0]}\nworker_timeout: soon\n", "worker_timeout must be a number"),
    ("trial: noop\nseeds: 2\ngrid: {value: [1.0]}\nresources: GPU\n", "resources must be a mapping"),
    ("trial: noop\nseeds: 2\ngrid: {value: [1.0]}\nresources: {GPU: -1}\n", "GPU=-1: the amount must be a positive number"),
    ("trial: noop\nseeds: 2\ngrid: {value: [1.0]}\nname: ../..\nstore: null\n", "must be one folder name"),
    ("trial: 3\nseeds: 2\ngrid: {value: [1.0]}\n", "trial must be a string"),
])
def test_bad_spec_values_are_one_error_line_before_any_work(tmp_path, capsys, spec, message):
    import re

    assert cli(tmp_path, spec) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and re.search(message, err), err
    assert not (tmp_path / "sw").exists()  # nothing ran, no folder was made


def test_a_sweep_name_cannot_leave_the_sweeps_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("SEQDROP_HOME", str(tmp_path))
    for name in ("../..", "..", "a/b", ""):
        with pytest.raises(SweepError, match="one folder name"):
            sweep("noop", {"value": [1.0]}, seeds=1, name=name, scheduler="serial", progress=False)
    assert not (tmp_path / "runs").exists()


def test_inside_a_run_the_default_store_is_the_run_folders_own(tmp_path, monkeypatch):
    monkeypatch.setenv("SEQDROP_HOME", str(tmp_path / "home"))
    for run in ("run-a", "run-b"):
        monkeypatch.setenv("SEQDROP_RUN_DIR", str(tmp_path / run))
        res = sweep("noop", {"value": [1.0]}, seeds=1, name="00_x", scheduler="serial", progress=False)
        assert res.store == tmp_path / run / "sweeps" / "00_x" and res.ran == 1  # nothing from the other run
    monkeypatch.delenv("SEQDROP_RUN_DIR")
    res = sweep("noop", {"value": [1.0]}, seeds=1, name="00_x", scheduler="serial", progress=False)
    assert res.store == tmp_path / "home" / "runs" / "sweeps" / "00_x"


def test_zero_and_zero_point_zero_are_one_trial(tmp_path):
    first = sweep("noop", {"value": [0]}, seeds=2, store=tmp_path / "sw", scheduler="serial", progress=False)
    again = sweep("noop", {"value": [0.0, -0.0]}, seeds=2, store=tmp_path / "sw", scheduler="serial", progress=False)
    assert first.ran == 2 and again.ran == 0 and len(again.trials) == 2
    assert list(again.trials["key"]) == list(first.trials["key"])


TRIAL_MODULE = '''
from seqdrop.sweep import trial_function

@trial_function(defaults=dict(x=1.0))
def scaled(config):
    return {"y": FACTOR * config["x"]}

FACTOR = %s
'''


def test_a_fixed_trial_module_or_another_seqdrop_version_reruns_its_trials(tmp_path, monkeypatch):
    import importlib
    import sys

    from seqdrop.sweep import spec

    monkeypatch.syspath_prepend(str(tmp_path))
    module = tmp_path / "edited_trials.py"

    def run() -> object:
        sys.modules.pop("edited_trials", None)
        importlib.invalidate_caches()
        return sweep("edited_trials.scaled", {"x": [1.0]}, seeds=1, store=tmp_path / "sw", scheduler="serial",
                     progress=False)

    module.write_text(TRIAL_MODULE % "2.0")
    assert run().trials["y"].tolist() == [2.0]
    module.write_text(TRIAL_MODULE % "3.0")  # a bug fix in the trial's module
    fixed = run()
    assert fixed.ran == 1 and fixed.trials["y"].tolist() == [3.0]
    assert run().ran == 0
    versions = dict(spec.package_versions(), seqdrop="999.0")
    monkeypatch.setattr(spec, "package_versions", lambda: versions)
    assert run().ran == 1


def test_the_store_is_checked_and_locked_before_any_cluster_starts(tmp_path, folder_held):
    store = tmp_path / "sw"
    with folder_held(store), pytest.raises(SeqdropError, match="seqdrop.lock"):  # another driver's sweep
        t0 = time.monotonic()  # an unreachable scheduler would fail after 5 s: the lock is checked first
        sweep("noop", {"value": [1.0]}, seeds=1, store=store, scheduler="tcp://127.0.0.1:9", progress=False)
    assert time.monotonic() - t0 < 4
    blocked = tmp_path / "file"
    blocked.write_text("")
    with pytest.raises(SeqdropError, match="not writable: a file is in the way"):
        sweep("noop", {"value": [1.0]}, seeds=1, store=blocked, scheduler="tcp://127.0.0.1:9", progress=False)


@trial_function(defaults=dict(n=1, mean=0.0, metric="a"))
def clashing(config: dict) -> dict:
    return {"score": config["n"] + config["mean"] + config["seed"], "label": config["metric"]}


def test_grid_keys_named_like_summary_columns_keep_their_values(tmp_path):
    grid = {"n": [1, 2], "mean": [0.5], "metric": ["a", "b"]}
    res = sweep(clashing, grid, seeds=2, store=tmp_path / "sw", scheduler="serial", progress=False)
    summary = res.summary()
    assert list(summary["metric"]) == ["score"] * 4 and list(summary["n"]) == [2] * 4  # the summary's own
    assert list(summary["n (grid)"]) == [1, 1, 2, 2] and list(summary["metric (grid)"]) == ["a", "b", "a", "b"]
    assert list(summary["mean"]) == [2.0, 2.0, 3.0, 3.0]
    text = format_summary(summary)
    assert "n (grid)" in text and "metric (grid)" in text


def test_the_noop_trials_value_key_gets_a_summary(tmp_path, capsys):
    assert cli(tmp_path, "trial: noop\nseeds: 2\ngrid: {value: [1.0, 2.0]}\n") == 0
    out = capsys.readouterr().out
    assert "value" in out and "1 ± 0 (n=2)" in out and "2 ± 0 (n=2)" in out


def timed(config: dict) -> dict:  # undeclared: takes any key
    return {"score": 1.0}


def test_config_keys_named_like_the_sweeps_columns_are_refused_before_running(tmp_path):
    with pytest.raises(SweepError, match=r"grid key\(s\) \['seconds'\] take names of the sweep's own columns"):
        sweep(timed, {"seconds": [1.0]}, seeds=1, store=tmp_path / "sw", scheduler="serial", progress=False)
    assert not (tmp_path / "sw").exists()
    with pytest.raises(SweepError, match="take names of the sweep's own columns"):
        trial_function(defaults=dict(status="x"))


@trial_function(defaults=dict(p=0.0))
def with_text(config: dict) -> dict:
    return {"acc": 1.0 - config["p"] + 0.01 * config["seed"], "stopped": "completed", "epochs": 3}


def test_summary_without_arguments_summarises_the_numeric_metrics(tmp_path):
    res = sweep(with_text, {"p": [0.0, 0.5]}, seeds=3, store=tmp_path / "sw", scheduler="serial", progress=False)
    assert res.numeric_metrics == ["acc", "epochs"]
    summary = res.summary()
    assert set(summary["metric"]) == {"acc", "epochs"} and len(summary) == 4


def test_a_worker_with_other_package_versions_refuses_the_trial():
    expected = {"seqdrop": "0.0.1", "torch": torch.__version__}
    record = run_trial("seqdrop.trials.noop", "k", {"value": 1.0, "seed": 0}, 1, expected)
    assert record["status"] == "failed" and record["error"].startswith("VersionMismatchError")
    assert "seqdrop" in record["error"] and "0.0.1" in record["error"]
    local = dict(record["versions"], torch=torch.__version__.split("+")[0] + "+cu999")  # a CUDA build: same numbers
    assert run_trial("seqdrop.trials.noop", "k", {"value": 1.0, "seed": 0}, 1, local)["status"] == "ok"


class _Called(Exception):
    pass


@pytest.mark.parametrize(("device", "cuda", "expected"), [
    ("auto", True, "cuda"), ("auto", False, "cpu"), ("cpu", True, "cpu"), ("cuda:1", True, "cuda:1"),
])
def test_training_trials_train_on_the_workers_gpu_by_default(monkeypatch, device, cuda, expected):
    seen = {}

    def fake_fit(model, data, **kw):
        seen.update(kw)
        raise _Called

    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(shipped, "fit", fake_fit)
    config = dict(shipped.train_mlp.defaults, data="digits-rows", device=device, seed=0)
    with pytest.raises(_Called):
        shipped.train_mlp(config)
    assert seen["device"] == expected


def test_the_device_key_is_checked_before_anything_runs(tmp_path):
    with pytest.raises(Exception, match="'device' = 'gpu' must be 'auto', 'cpu', 'cuda' or 'cuda:N'"):
        sweep("train_mlp", {"device": ["gpu"]}, seeds=1, store=tmp_path / "sw", scheduler="serial", progress=False)
    assert shipped.train_lm.defaults["device"] == shipped.train_classifier.defaults["device"] == "auto"


def test_resources_from_the_command_line(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli(tmp_path, "trial: noop\nseeds: 1\ngrid: {value: [1.0]}\n", "--resources", "GPU")
    assert exit_.value.code == 2 and "'GPU' is not NAME=AMOUNT" in capsys.readouterr().err
    from seqdrop.sweep.cli import _resources

    assert _resources("GPU=1,MEM=2.5") == {"GPU": 1.0, "MEM": 2.5}


def test_sweep_json_keeps_the_drivers_versions_per_run(tmp_path):
    sweep("noop", {"value": [1.0]}, seeds=1, store=tmp_path / "sw", scheduler="serial", progress=False)
    doc = json.loads((tmp_path / "sw" / "sweep.json").read_text())
    assert doc["runs"][-1]["versions"]["seqdrop"]
    record = json.loads(next((tmp_path / "sw" / "trials").glob("*.json")).read_text())
    assert record["versions"]["torch"] == torch.__version__


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.cuda
def test_two_tiny_trials_on_a_local_cuda_worker_match_the_cpu_within_tolerance(tmp_path):
    from seqdrop.sweep import shutdown_local_cluster

    grid = {"data": "digits-rows", "hidden_size": 16, "epochs": 1, "device": ["cpu", "auto"]}
    try:
        res = sweep("train_classifier", grid, seeds=1, store=tmp_path / "sw", workers=1, progress=False)
    finally:
        shutdown_local_cluster()
    assert (res.trials["status"] == "ok").all()
    cpu, gpu = res.trials.set_index("device").loc[["cpu", "auto"], "val_loss"]
    assert abs(cpu - gpu) < 0.05 * abs(cpu)
