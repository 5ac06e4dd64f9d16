"""Findings across a course run: variant gains, run-folder discovery, the table, the FAQ."""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from seqdrop.course.records import FINDING_KIND
from seqdrop.errors import ParameterError
from seqdrop.experiments.faq import QUESTIONS, answer_faq, formula_check
from seqdrop.experiments.findings import (
    RUN_DIR_ENV,
    FindingsError,
    check_run_dir,
    export_records,
    at_validated_rate,
    find_run_dir,
    findings_markdown,
    findings_table,
    load_findings,
    plot_variant_gains,
    run_command,
    verdict_counts,
)
from seqdrop.experiments.variant_gains import variant_gains


def finding(mean, low, high, claim="A sentence.", unit="", n=3, tags=None):
    return {"kind": FINDING_KIND, "mean": mean, "low": low, "high": high, "unit": unit,
            "n_seeds": n, "claim": claim, "source": "", "tags": tags or {}}


def gain(cell, data, task, variant, mean, low, high):
    tags = {"cell": cell, "data": data, "task": task, "variant": variant,
            "metric": "test_error"}
    return finding(mean, low, high, f"{variant} changes {data}.", "%", 3, tags)


COMPLETE = {
    "00_dropout_formula": {
        "noise_ratio_max_error": 0.02, "linear_penalty_rel_error": -0.001, "flip_rate": 0.12,
        "dropout_forgot_eval_acc": finding(-5.0, -7.0, -3.0, "Forgetting eval costs.", "pt"),
    },
    "01_what_dropout_is_for": {
        "mlp_dropout_test_acc_gain": finding(1.2, 0.4, 2.0,
                                             "Dropout beats the early-stopped network.", "pt"),
    },
    "05_data_types": {
        "gain_05_ptb_char_lstm_gal": gain("lstm", "ptb-char", "lm", "gal", -4.0, -6.0, -2.0),
        "gain_05_fsdd_lstm_gal": gain("lstm", "fsdd", "classification", "gal",
                                      1.0, -2.0, 4.0),
        "best_setting_text": "none",
    },
    "07_scale": {
        "scale_benefit_per_data_doubling": finding(-3.0, -5.0, -1.0, "Shrinks.", "points"),
        "scale_benefit_per_model_doubling": finding(4.0, 2.0, 6.0, "Grows.", "points"),
    },
    "09_reproductions": {
        "repro_gap_zaremba_small_test": finding(30.0, 25.0, 35.0, "Not reproduced.", "%"),
        "repro_gap_gal_medium_test": finding(55.0, 50.0, 60.0, "Not reproduced.", "%"),
    },
    "06_tasks": {
        "gain_06_ptb_word_lstm_zaremba": gain("lstm", "ptb-word", "lm", "zaremba",
                                              8.0, 5.0, 11.0),
        "gain_06_ptb_word_gru_zaremba": gain("gru", "ptb-word", "lm", "zaremba",
                                             3.0, 1.0, 5.0),
    },
}


def write_run(folder: Path, records: dict, profile: str = "course", failed=()) -> Path:
    folder.mkdir(parents=True)
    entries = [{"notebook": nb, "status": "failed" if nb in failed else "ok",
                "records": rec} for nb, rec in records.items()]
    (folder / "summary.json").write_text(json.dumps({"profile": profile,
                                                     "notebooks": entries}))
    return folder


def test_each_variant_at_its_rate_chosen_on_validation():
    rows = []
    for seed in range(4):
        base = 100.0 + 10 * seed  # seed effects cancel in the paired difference
        rows.append({"data": "ptb-word", "variant": "none", "rate": 0.0, "seed": seed,
                     "val_error": base, "test_error": base, "status": "ok"})
        for rate, val, rel in ((0.25, base - 1, 0.95), (0.5, base + 5, 0.5)):
            rows.append({"data": "ptb-word", "variant": "gal", "rate": rate, "seed": seed,
                         "val_error": val, "test_error": base * (rel + 0.01 * seed),
                         "status": "ok"})
    trials = pd.DataFrame(rows)
    chosen = at_validated_rate(trials)
    assert sorted(chosen["rate"].unique()) == [0.0, 0.25], "0.5 has the better test only"
    g = variant_gains(chosen, "test_error", by="variant").iloc[0]
    assert g["mean"] == pytest.approx(-100 * (0.95 + 0.015 - 1)) and g["n_seeds"] == 4
    acc = at_validated_rate(trials, higher_is_better=True)
    assert sorted(acc["rate"].unique()) == [0.0, 0.5]


def test_complete_run_table_figure_and_answers(tmp_path):
    run = load_findings(write_run(tmp_path / "course-1", COMPLETE))
    table = findings_table(run)
    assert len(table) == 10 and "best_setting_text" not in table.index.get_level_values(1)
    assert table.loc[("06_tasks", "gain_06_ptb_word_lstm_zaremba"), "seeds"] == 3
    text = findings_markdown(run)
    assert "**07_scale** (2 findings)" in text
    assert "- `scale_benefit_per_data_doubling`: **-3 [-5, -1] points**, 3 seeds. Shrinks." in text
    gains = run.variant_gains()
    assert sorted(gains["cell"]) == ["gru", "lstm", "lstm", "lstm"]
    fig = plot_variant_gains(gains)
    assert len(fig.axes) == 2 and fig.get_size_inches()[0] <= 7
    assert len(fig.axes[0].get_yticks()) == 3, "one row per task, data set and chapter"
    counts = verdict_counts(gains)
    assert counts.loc[("lm", "lstm")].tolist() == [1, 0, 1]
    assert counts.loc[("classification", "lstm"), "within noise"] == 1
    answers = answer_faq(run)
    assert [a.question for a in answers] == [q for q, _ in QUESTIONS]
    q3, q4 = answers[2].text, answers[3].text
    assert "of 4 variant" in q3 and "2 gain beyond noise, 1 lose and 1 are within" in q3
    assert "+8.0% [+5.0, +11.0]" in q3 and answers[3].contradicts is False
    assert "2 reproductions land +30.0% to +55.0%" in q3
    assert "-3 [-5, -1] perplexity points per doubling of the training data" in q4
    assert "ridge" in answers[0].text
    assert "Dropout beats the early-stopped network (3 seeds; chapter 01)." in answers[1].text
    assert answers[4].contradicts and "-5 [-7, -3] points (3 seeds; 12.0%" in answers[4].text
    assert answers[5].contradicts and "within 2.0%" in answers[5].text


def test_partial_run_names_the_notebooks_to_run(tmp_path):
    folder = write_run(tmp_path / "course-2", {"00_dropout_formula": COMPLETE["00_dropout_formula"],
                                               "06_tasks": {}}, failed={"06_tasks"})
    run = load_findings(folder)
    assert len(run.table) == 1 and run.variant_gains().empty
    answers = answer_faq(run)
    q3 = answers[2]
    assert "06_tasks" in q3.missing and "no finding" in q3.text
    assert f"--out {folder.resolve()} --notebooks '0[234569]_*'" in q3.command
    assert "'0[234569]_*'" in q3.markdown()
    assert answers[5].missing == () and answers[5].contradicts
    with pytest.raises(FindingsError, match="run chapters 02–06"):
        plot_variant_gains(run.variant_gains())


def test_chapters_that_ran_without_findings_are_rerun(tmp_path):
    run = load_findings(write_run(tmp_path / "course-3", {"01_what_dropout_is_for": {}}))
    assert "--overwrite" in answer_faq(run)[1].text


@pytest.mark.parametrize("content", ["{not json", '{"profile": "course"}',
                                     '{"notebooks": 3}', '{"notebooks": [{"x": 1}]}'])
def test_corrupt_summary_is_one_clear_error(tmp_path, content):
    (tmp_path / "summary.json").write_text(content)
    with pytest.raises(FindingsError, match=r"summary.json cannot be read") as err:
        load_findings(tmp_path)
    assert "\n" not in str(err.value)


def test_run_dir_discovery(tmp_path, monkeypatch):
    monkeypatch.delenv(RUN_DIR_ENV, raising=False)
    with pytest.raises(FindingsError, match="no course run .* run `seqdrop run --profile course"):
        find_run_dir(parent=tmp_path)
    with pytest.raises(FindingsError, match="holds no summary.json"):
        find_run_dir(tmp_path / "nowhere")
    old = write_run(tmp_path / "course-2026-01-01", {})
    new = write_run(tmp_path / "course-2026-02-01", {})
    write_run(tmp_path / "smoke-2026-03-01", {})
    os.utime(old / "summary.json", (1, 1))
    assert find_run_dir(parent=tmp_path) == new.resolve()
    monkeypatch.setenv(RUN_DIR_ENV, str(old))
    assert find_run_dir(parent=tmp_path) == old.resolve(), "the runner's folder wins"
    assert find_run_dir(new) == new.resolve(), "an explicit folder wins over both"


def test_run_command_globs():
    assert run_command(["07_scale"]) == "seqdrop run --profile course --notebooks '07_*'"
    assert run_command(["08_mc_dropout", "02_vanilla_rnn"], "smoke", "r") == (
        "seqdrop run --profile smoke --out r --notebooks '0[28]_*'")
    assert run_command([f"0{i}_x" for i in range(2, 7)]).endswith("'0[2-6]_*'")


def test_formula_check_separates_the_article_from_dropout():
    c = formula_check(p=0.3, n_masks=500)
    assert c["article"] == pytest.approx(0.3)
    assert c["inverted_low"] < 1.0 < c["inverted_high"] and c["inverted_sd"] > 0
    assert np.isfinite(list(c.values())).all()


@pytest.mark.notebook
def test_runner_tells_a_notebook_its_run_folder(tmp_path, notebook_factory):
    from seqdrop.course.runner import run_notebooks

    nbdir, pdir = tmp_path / "nb", tmp_path / "params"
    nbdir.mkdir(), pdir.mkdir()
    notebook_factory(nbdir / "10_probe.ipynb", "x = 1",
                     ["import os\nfrom seqdrop.course import record\n"
                      f"record('run_dir', os.environ['{RUN_DIR_ENV}'])"])
    (pdir / "smoke.yaml").write_text("{}\n")
    out, (result,) = run_notebooks("smoke", "*", tmp_path / "run", progress=False,
                                   notebooks_path=nbdir, params_path=pdir)
    assert result.records == {"run_dir": str(out.resolve())}


def test_export_keeps_records_only_and_reads_back(tmp_path):
    src = write_run(tmp_path / "course-x", COMPLETE)
    summary = json.loads((src / "summary.json").read_text())
    summary["notebooks"][0].update(output="/abs/path.ipynb", error="", seconds=3.2)
    (src / "summary.json").write_text(json.dumps(summary))
    dest = export_records(src, tmp_path / "fixture").parent
    entry = json.loads((dest / "summary.json").read_text())["notebooks"][0]
    assert set(entry) == {"notebook", "status", "parameters", "records"}
    assert load_findings(dest).table.equals(load_findings(src).table)


def test_check_run_dir():
    assert check_run_dir("run_dir", None) is None
    assert check_run_dir("run_dir", "runs/x") == "runs/x"
    for bad in ("", 3, ["runs/x"]):
        with pytest.raises(ParameterError, match="'run_dir'"):
            check_run_dir("run_dir", bad)


def test_no_gain_anywhere_contradicts_the_article(tmp_path):
    same = gain("lstm", "fsdd", "classification", "gal", 1.0, -1.0, 3.0)
    flat = {"05_data_types": {"gain_05_fsdd_lstm_gal": same},
            "06_tasks": {"gain_06_fsdd_lstm_gal": same}}
    answers = answer_faq(load_findings(write_run(tmp_path / "course-4", flat)))
    assert answers[2].contradicts and answers[3].contradicts
    assert "0 of 1 comparisons" in answers[3].text, "one measurement in two chapters"
    assert not answers[4].contradicts, "no verdict on the six steps without chapter 00"
