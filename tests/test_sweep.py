"""seqdrop.sweep in serial mode: grid expansion, bad specs, store, resume, tidy tables, CIs."""
from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from seqdrop._validation import ParameterError, check_probability
from seqdrop.sweep import (
    SweepError,
    SweepStore,
    SweepWarning,
    expand_grid,
    mean_ci,
    paired_difference,
    summarize,
    sweep,
    trial_function,
)
from seqdrop.sweep.cli import main as cli_main


@trial_function(defaults=dict(p=0.0, fail_seed=-1, log=""), checks=dict(p=check_probability))
def toy(config: dict) -> dict:
    """Deterministic metrics; appends its config to ``log``; fails for ``seed == fail_seed``."""
    if config["log"]:
        with open(config["log"], "a") as fh:
            fh.write(json.dumps(config, sort_keys=True) + "\n")
    if config["seed"] == config["fail_seed"]:
        raise RuntimeError(f"boom at seed {config['seed']}")
    score = 1.0 - config["p"] + 0.01 * config["seed"]
    return {"score": score, "history": [{"epoch": e, "loss": score / e} for e in (1, 2)]}


def undeclared(config: dict) -> dict:
    return {"total": sum(v for v in config.values() if isinstance(v, (int, float)))}


def calls(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def run(tmp_path: Path, grid: dict, seeds=3, **kw):
    return sweep(toy, grid, seeds=seeds, store=tmp_path / "sw", scheduler="serial", progress=False, **kw)


def test_expand_grid_product_union_and_scalars():
    assert expand_grid({"a": [1, 2], "b": "x"}) == [{"a": 1, "b": "x"}, {"a": 2, "b": "x"}]
    assert expand_grid([{"a": 1}, {"a": [2, 3], "c": 0}]) == [{"a": 1}, {"a": 2, "c": 0}, {"a": 3, "c": 0}]


def test_tidy_tables_with_every_config_key_and_metadata(tmp_path):
    res = run(tmp_path, {"p": [0.0, 0.5]})
    df = res.trials
    assert len(df) == 6 and set(df["status"]) == {"ok"}
    assert {"p", "seed", "score", "status", "seconds", "worker", "error", "key", "fail_seed", "log"} <= set(df.columns)
    assert df.loc[(df.p == 0.5) & (df.seed == 2), "score"].item() == pytest.approx(0.52)
    assert res.grid_keys == ["p"] and res.metrics == ["score"]
    assert len(res.history) == 12 and {"p", "seed", "epoch", "loss", "key"} <= set(res.history.columns)
    assert df["worker"].str.startswith("serial").all() and (df["seconds"] >= 0).all()


def test_seaborn_ci_plot_works_on_the_table(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import seaborn as sns

    res = run(tmp_path, {"p": [0.0, 0.5]})
    ax = sns.pointplot(res.trials, x="p", y="score", errorbar=("ci", 95))
    assert len(ax.lines) >= 2


def test_store_layout_grid_and_versions(tmp_path):
    res = run(tmp_path, {"p": [0.1]}, seeds=[4, 7])
    folder = tmp_path / "sw"
    doc = json.loads((folder / "sweep.json").read_text())
    assert doc["trial"] == "test_sweep.toy"
    assert doc["runs"][0]["grid"] == {"p": [0.1]} and doc["runs"][0]["seeds"] == [4, 7]
    assert "seqdrop" in doc["runs"][0]["versions"] and "distributed" in doc["runs"][0]["versions"]
    files = sorted(p.name for p in (folder / "trials").iterdir())
    assert files == sorted(f"{k}.json" for k in res.trials["key"])
    rec = json.loads((folder / "trials" / files[0]).read_text())
    assert rec["status"] == "ok" and rec["config"]["p"] == 0.1 and rec["history"]
    assert not (folder / "seqdrop.lock").exists()


def test_rerun_skips_finished_trials_and_runs_only_new_ones(tmp_path):
    log = tmp_path / "calls.jsonl"
    first = run(tmp_path, {"p": [0.0], "log": str(log)}, seeds=2)
    assert first.ran == 2 and len(calls(log)) == 2
    again = run(tmp_path, {"p": [0.0], "log": str(log)}, seeds=2)
    assert again.ran == 0 and len(calls(log)) == 2
    pd.testing.assert_frame_equal(first.trials, again.trials)
    more = run(tmp_path, {"p": [0.0, 0.2], "log": str(log)}, seeds=3)
    assert more.ran == 4 and len(calls(log)) == 6 and len(more.trials) == 6


def test_failed_trial_is_recorded_does_not_stop_others_and_is_retried(tmp_path):
    with pytest.warns(SweepWarning, match="1 of 3 trials failed"):
        res = run(tmp_path, {"p": [0.0], "fail_seed": 1})
    bad = res.failed
    assert list(bad["seed"]) == [1] and "RuntimeError: boom at seed 1" in bad["error"].item()
    assert math.isnan(bad["score"].item()) and (res.trials["status"] == "ok").sum() == 2
    rec = json.loads((tmp_path / "sw" / "trials" / f"{bad['key'].item()}.json").read_text())
    assert rec["status"] == "failed" and "Traceback" in rec["traceback"] and "boom" in rec["traceback"]
    with pytest.warns(SweepWarning):  # still failing: retried (ran again), not skipped
        assert run(tmp_path, {"p": [0.0], "fail_seed": 1}).ran == 1


def test_a_finished_record_is_never_overwritten(tmp_path):
    res = run(tmp_path, {"p": [0.0]}, seeds=1)
    store = SweepStore(tmp_path / "sw")
    record = store.load()[res.trials["key"][0]]
    with pytest.raises(SweepError, match="refusing to overwrite"):
        store.write(record)


def test_undeclared_functions_take_any_key(tmp_path):
    res = sweep(undeclared, {"a": [1, 2], "b": 10}, seeds=[0], store=tmp_path / "u", scheduler="serial", progress=False)
    assert list(res.trials["total"]) == [11, 12]


@pytest.mark.parametrize(
    ("trial", "grid", "seeds", "message"),
    [
        ("seqdrop.trials.no_such_trial", {"p": [0.1]}, 2, "unknown trial function 'seqdrop.trials.no_such_trial'"),
        ("no_such_module.fn", {"p": [0.1]}, 2, "unknown trial function 'no_such_module.fn'"),
        (toy, {"q": [0.1]}, 2, r"unknown config key\(s\) \['q'\] for trial test_sweep.toy"),
        (toy, {}, 2, "the grid is empty"),
        (toy, [], 2, "the grid is empty"),
        (toy, {"p": []}, 2, "the grid is empty: key 'p' has no values"),
        (toy, {"p": [0.1, 1.5]}, 2, r"'p' = 1.5 is outside the allowed range \[0, 1\)"),
        (toy, {"p": [0.1]}, 0, "give at least one seed"),
        (toy, {"p": [0.1], "seed": 3}, 2, "reserved"),
        (toy, {"p": [float("nan")]}, 2, "not plain, finite JSON"),
        (lambda c: {}, {"p": [0.1]}, 2, "not importable by the workers"),
        ("train_mlp", {"dropout": [1.5]}, 2, r"'dropout' = 1.5 is outside the allowed range \[0, 1\)"),
        ("train_lm", {"cell": ["lstm", "transformer"]}, 2, "'cell' = 'transformer' must be one of"),
        ("train_lm", {"recurrent_dropout": [0.2, 1.5]}, 2, r"'recurrent_dropout' = 1.5 is outside the allowed range \[0, 1\)"),
        ("train_classifier", {"cell": "gru", "zoneout_cell": 0.1}, 2, "zoneout_cell applies to the LSTM cell state"),
        ("train_classifier", {"dropout": [0.1]}, 2, r"unknown config key\(s\) \['dropout'\]"),
    ],
)
def test_bad_specs_fail_before_anything_runs(tmp_path, trial, grid, seeds, message):
    with pytest.raises((SweepError, ParameterError), match=message):
        sweep(trial, grid, seeds=seeds, store=tmp_path / "never", scheduler="serial", progress=False)
    assert not (tmp_path / "never").exists()


def test_too_many_workers_for_the_cores_is_refused(tmp_path):
    with pytest.raises(SweepError, match="exceeds the .* cores"):
        sweep(toy, {"p": [0.1]}, seeds=1, store=tmp_path / "never", workers=os.cpu_count() + 1, progress=False)
    with pytest.raises(ParameterError, match="threads_per_worker"):
        sweep(toy, {"p": [0.1]}, seeds=1, store=tmp_path / "never", threads_per_worker=0, progress=False)
    assert not (tmp_path / "never").exists()


def test_a_folder_of_another_trial_is_refused(tmp_path):
    run(tmp_path, {"p": [0.1]}, seeds=1)
    with pytest.raises(SweepError, match="holds trials of 'test_sweep.toy'"):
        sweep(undeclared, {"a": [1]}, seeds=1, store=tmp_path / "sw", scheduler="serial", progress=False)


# ---------------------------------------------------------------------------- statistics
def test_mean_ci_is_the_student_t_interval():
    mean, low, high, n = mean_ci([1.0, 2.0, 3.0, 4.0])
    half = 3.182446305284263 * np.std([1, 2, 3, 4], ddof=1) / 2  # t_{0.975, 3}
    assert (mean, n) == (2.5, 4) and low == pytest.approx(2.5 - half) and high == pytest.approx(2.5 + half)
    assert math.isnan(mean_ci([5.0])[1])
    with pytest.raises(SweepError, match="no values"):
        mean_ci([math.nan])


def _table(rows):
    df = pd.DataFrame(rows, columns=["variant", "rate", "seed", "acc"]).assign(status="ok")
    df.attrs["grid_keys"] = ["variant", "rate"]
    return df


def test_paired_difference_pairs_by_seed_within_other_grid_keys():
    rows = []
    for rate in (0.1, 0.5):
        for seed in range(5):
            base = 0.8 + 0.05 * seed  # big seed noise, shared by both variants
            rows += [("a", rate, seed, base + rate / 10), ("b", rate, seed, base + 0.001 * (seed % 2))]
    d = paired_difference(_table(rows), "acc", by="variant", a="a", b="b")
    assert list(d["rate"]) == [0.1, 0.5] and list(d["n"]) == [5, 5]
    expected = [0.01 - 0.0004, 0.05 - 0.0004]
    assert list(d["mean"]) == pytest.approx(expected)
    assert d["significant"].all() and (d["ci_low"] > 0).all()
    unpaired = mean_ci([r[3] for r in rows if r[0] == "a" and r[1] == 0.1])
    assert unpaired[2] - unpaired[1] > 10 * (d["ci_high"][0] - d["ci_low"][0])  # pairing removes seed noise


def test_paired_difference_errors_and_noise():
    rows = [("a", 0.1, s, v) for s, v in enumerate([1.0, 2.0, 3.0])] + [("b", 0.1, s, v) for s, v in enumerate([2.0, 1.0, 3.1])]
    d = paired_difference(_table(rows), "acc", by="variant", a="a", b="b")
    assert len(d) == 1 and not d["significant"].item() and d["ci_low"].item() < 0 < d["ci_high"].item()
    with pytest.raises(SweepError, match="no finished trials with variant = 'c'"):
        paired_difference(_table(rows), "acc", by="variant", a="a", b="c")
    with pytest.raises(SweepError, match="several trials per seed"):
        paired_difference(_table(rows + [("a", 0.2, 0, 1.0)]), "acc", by="variant", a="a", b="b", within=[])


def test_summarize_ignores_failed_trials():
    df = _table([("a", 0.1, 0, 1.0), ("a", 0.1, 1, 3.0), ("a", 0.1, 2, 99.0)])
    df.loc[2, "status"] = "failed"
    s = summarize(df, "acc", by=["variant"])
    assert s["mean"].item() == 2.0 and s["n"].item() == 2


# ---------------------------------------------------------------------------- command line
def _spec(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    return path


def _cli(args: list[str]) -> int:
    import argparse

    from seqdrop.sweep.cli import add_arguments

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return cli_main(parser.parse_args(args))


def test_cli_runs_a_spec_and_prints_mean_and_ci(tmp_path, capsys):
    spec = _spec(tmp_path, "trial: test_sweep.toy\nseeds: 3\ngrid:\n  p: [0.0, 0.5]\n")
    assert _cli([str(spec), "--scheduler", "serial", "--out", str(tmp_path / "o"), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "score" in out and "1.01 ± " in out and "0.51 ± " in out and "(n=3)" in out
    assert len(list((tmp_path / "o" / "trials").glob("*.json"))) == 6


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("trial: test_sweep.toy\nseeds: 2\ngrid: {p: [1.5]}\n", "error: parameter 'p' = 1.5"),
        ("trial: test_sweep.toy\nseeds: 2\ngrid: {p: [0.1]}\nworkerz: 3\n", r"unknown key\(s\) \['workerz'\]"),
        ("trial: test_sweep.toy\ngrid: {p: [0.1]}\n", r"missing key\(s\) \['seeds'\]"),
        ("trial: [unclosed\n", "not valid YAML"),
    ],
)
def test_cli_bad_specs_print_one_line_and_exit_2(tmp_path, capsys, text, message):
    assert _cli([str(_spec(tmp_path, text)), "--scheduler", "serial", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1
    assert pytest.importorskip("re").search(message, err)
    assert not (tmp_path / "o").exists()


def test_seqdrop_sweep_is_a_subcommand(tmp_path, capsys):
    from seqdrop.cli import main

    spec = _spec(tmp_path, "trial: test_sweep.toy\nseeds: [0, 1]\ngrid:\n  p: [0.25]\n")
    assert main(["sweep", str(spec), "--scheduler", "serial", "--out", str(tmp_path / "o"), "--no-progress"]) == 0
    assert "0.755 ± " in capsys.readouterr().out


TINY_LM = dict(max_tokens=3000, embedding_size=16, hidden_size=16, max_steps=3, max_eval_batches=2, batch_size=4, bptt=10)


@pytest.mark.parametrize(
    ("trial", "grid", "metrics"),
    [
        ("train_lm", {**TINY_LM, "train_fraction": 0.5, "recurrent_dropout": 0.25, "locked": True}, ("val_ppl", "test_ppl")),
        ("train_lm", {**TINY_LM, "level": "char", "cell": "gru", "weight_dropout": 0.2}, ("val_bpc", "test_bpc")),
        ("train_classifier", {"data": "digits-rows", "hidden_size": 8, "epochs": 1, "zoneout": 0.1,
                              "model_output_dropout": 0.2, "train_fraction": 0.3}, ("val_acc", "test_acc")),
        ("train_mlp", {"data": "digits-rows", "hidden_sizes": [[16]], "epochs": 1}, ("val_acc", "test_acc")),
        ("noop", {"value": 2.5}, ("result",)),
    ],
)
def test_shipped_trials_run_and_report_metrics(tmp_path, trial, grid, metrics):
    res = sweep(trial, grid, seeds=1, store=tmp_path / "t", scheduler="serial", progress=False)
    row = res.trials.iloc[0]
    assert row["status"] == "ok", row["error"]
    for m in metrics:
        assert np.isfinite(row[m]), m
    if trial != "noop":
        assert row["epochs_run"] == len(res.history) >= 1 and row["n_params"] > 0


def test_plot_paired_difference_draws_mean_ci_and_zero_line():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from seqdrop.sweep import plot_paired_difference

    rows = [(v, r, s, (0.9 if v == "a" else 0.8) + 0.01 * s + (0.05 * r if v == "a" else 0)) for v in "ab"
            for r in (0.1, 0.5) for s in range(3)]
    d = paired_difference(_table(rows), "acc", by="variant", a="a", b="b")
    fig, ax = plt.subplots()
    plot_paired_difference(d, ax=ax)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0.1", "0.5"]
    assert ax.get_ylabel() == "Δ acc (a − b)" and ax.get_xlabel() == "rate"
    (filled,) = [line for line in ax.lines if line.get_marker() == "o" and line.get_mfc() != "none"]
    assert list(filled.get_ydata()) == pytest.approx(list(d["mean"]))
    plt.close(fig)


def bad_output(config: dict) -> dict:
    """Returns what a trial must not: a non-scalar metric, or a history that is not JSON."""
    if config["kind"] == "metric":
        return {"acc": [0.1, 0.2]}
    if config["kind"] == "history":
        return {"acc": 0.5, "history": [{"epoch": 1, "when": object()}]}
    return {"seed": 1.0}


def test_malformed_trial_output_fails_that_trial_only(tmp_path):
    with pytest.warns(SweepWarning, match="3 of 3 trials failed"):
        res = sweep(bad_output, {"kind": ["metric", "history", "clash"]}, seeds=1, store=tmp_path / "b",
                    scheduler="serial", progress=False)
    errors = list(res.trials["error"])
    assert "metric 'acc' = [0.1, 0.2] is not a number" in errors[0]
    assert "history is not plain JSON" in errors[1]
    assert "metric 'seed' has the name of a config key" in errors[2]


def test_paired_difference_relative_is_percent_of_b_on_the_same_seed():
    rows = [("a", 0.1, s, 90.0 + 9 * s) for s in range(3)]
    rows += [("b", 0.1, s, 100.0 + 10 * s) for s in range(3)]
    d = paired_difference(_table(rows), "acc", by="variant", a="a", b="b", relative=True)
    assert d["mean"][0] == pytest.approx(-10.0) and d["relative"][0]
    rows[3] = ("b", 0.1, 0, 0.0)
    with pytest.raises(SweepError, match="is 0"):
        paired_difference(_table(rows), "acc", by="variant", a="a", b="b", relative=True)


def test_minimum_detectable_effect_from_a_paired_interval():
    """(t_.975 + t_.80) · s/√n: with a known s/√n = 1 over 5 seeds, 2.776 + 0.941."""
    from scipy import stats

    from seqdrop.sweep import minimum_detectable_effect

    t = stats.t.ppf(0.975, 4)
    row = {"mean": 0.3, "ci_low": 0.3 - t, "ci_high": 0.3 + t, "n": 5}
    assert minimum_detectable_effect(row) == pytest.approx(t + stats.t.ppf(0.8, 4))
    assert minimum_detectable_effect(row, power=0.5) == pytest.approx(t)
    with pytest.raises(SweepError, match="two seeds"):
        minimum_detectable_effect({**row, "n": 1})
