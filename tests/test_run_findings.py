"""Findings across a course run (seqdrop.course.run_findings, faq): recipe gains pooled by definition, run-folder discovery, the table, the FAQ."""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from seqdrop.course.records import FINDING_KIND
from seqdrop.errors import ParameterError
from seqdrop.course.faq import QUESTIONS, answer_faq, formula_check
from seqdrop.course.run_findings import (
    RUN_DIR_ENV,
    FindingsError,
    check_run_dir,
    export_records,
    find_run_dir,
    findings_markdown,
    findings_table,
    load_findings,
    multiplicity,
    plot_gains,
    pool_gains,
    run_command,
    verdict_counts,
)
from seqdrop.recipes import definition


def finding(mean, low, high, claim="A sentence.", unit="", n=3, tags=None):
    return {"kind": FINDING_KIND, "mean": mean, "low": low, "high": high, "unit": unit,
            "n_seeds": n, "claim": claim, "source": "", "tags": tags or {}}


def gain(cell, data, task, recipe, mean, low, high, *, p=0.25, split="test", defn=True, name=None):
    """A gain finding as record_gains writes it; ``name`` overrides the recipe tag (an old,
    ambiguous name), ``defn=False`` leaves the definition out (an older finding)."""
    metric = "test_error" if split == "test" else "val_error"
    tags = {"cell": cell, "data": data, "task": task, "recipe": name or recipe,
            "metric": metric, "split": split}
    out = finding(mean, low, high, f"{recipe} changes {data}.", "%", 3, tags)
    if defn:
        out["definition"] = definition(recipe, p, cell, embedding=task == "lm")
    return out


COMPLETE = {
    "00_dropout_formula": {
        "noise_ratio_max_error": 0.02, "linear_penalty_rel_error": -0.001, "flip_rate": 0.12,
        "dropout_forgot_eval_acc": finding(-5.0, -7.0, -3.0, "Forgetting eval costs.", "pt"),
    },
    "01_what_dropout_is_for": {
        "mlp_augmentation_minus_dropout_acc": finding(1.2, 0.4, 2.0,
                                                      "Augmentation beats dropout.", "pt"),
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
    "03_lstm_variants": {
        "gain_03_ptb_word_lstm_zaremba_and_zoneout": gain(
            "lstm", "ptb-word", "lm", "zaremba+zoneout", 6.0, 2.0, 10.0, p=0.5,
            split="validation"),
    },
}


def write_run(folder: Path, records: dict, profile: str = "course", failed=()) -> Path:
    folder.mkdir(parents=True)
    entries = [{"notebook": nb, "status": "failed" if nb in failed else "ok",
                "records": rec} for nb, rec in records.items()]
    (folder / "summary.json").write_text(json.dumps({"profile": profile,
                                                     "notebooks": entries}))
    return folder


def test_complete_run_table_figure_and_answers(tmp_path):
    run = load_findings(write_run(tmp_path / "course-1", COMPLETE))
    table = findings_table(run)
    assert len(table) == 11 and "best_setting_text" not in table.index.get_level_values(1)
    assert table.loc[("06_tasks", "gain_06_ptb_word_lstm_zaremba"), "seeds"] == 3
    text = findings_markdown(run)
    assert "**07_scale** (2 findings)" in text
    assert "- `scale_benefit_per_data_doubling`: **-3 [-5, -1] points**, 3 seeds. Shrinks." in text
    gains = run.recipe_gains()
    assert sorted(gains["cell"]) == ["gru", "lstm", "lstm", "lstm", "lstm"]
    fig = plot_gains(gains)
    assert [ax.get_title() for ax in fig.axes] == ["test gains (4 comparisons)",
                                                   "validation gains (1 comparisons)"]
    assert len(fig.axes[0].get_yticks()) == 4, "one row per task, data set, cell and chapter"
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "zaremba+zoneout p=0.5" in legend and "zaremba p=0.25" in legend
    counts = verdict_counts(gains)
    assert counts.loc[("test", "lm", "lstm")].tolist() == [1, 0, 1]
    assert counts.loc[("test", "classification", "lstm"), "within noise"] == 1
    assert counts.loc[("validation", "lm", "lstm"), "gains"] == 1
    answers = answer_faq(run)
    assert [a.question for a in answers] == [q for q, _ in QUESTIONS]
    q3, q4 = answers[2].text, answers[3].text
    assert "Of 5 recipe" in q3
    assert "on test data 2 of 4 gain beyond noise, 1 lose and 1 are within noise" in q3
    assert "on validation data 1 of 1 gain beyond noise" in q3
    assert "zaremba p=0.25 on lstm/ptb-word (lm, test), +8.0% [+5.0, +11.0]" in q3
    assert "zaremba+zoneout p=0.5" in q3, "a compound is named as a compound"
    assert answers[2].contradicts is False and answers[3].contradicts is False
    assert "2 reproductions land +30.0% to +55.0%" in q3
    assert ("-3 [-5, -1] percentage points of relative improvement per doubling of the "
            "training data") in q4
    assert "perplexity points" not in q4
    assert "by chance alone about 0.1 would" in q4
    assert "not shown at course scale" in q4 and "±3.0" in q4
    assert "82.7 for `zaremba-medium`" in q4 and "114.5 for `zaremba-small`" in q4
    assert "ridge" in answers[0].text
    assert "Augmentation beats dropout (3 seeds; chapter 01)." in answers[1].text
    assert answers[4].contradicts and "-5 [-7, -3] points (3 seeds; 12.0%" in answers[4].text
    assert answers[5].contradicts and "within 2.0%" in answers[5].text


def test_partial_run_names_the_notebooks_to_run(tmp_path):
    folder = write_run(tmp_path / "course-2", {"00_dropout_formula": COMPLETE["00_dropout_formula"],
                                               "06_tasks": {}}, failed={"06_tasks"})
    run = load_findings(folder)
    assert len(run.table) == 1 and run.recipe_gains().empty
    answers = answer_faq(run)
    q3 = answers[2]
    assert "06_tasks" in q3.missing and "no finding" in q3.text
    assert f"--out {folder.resolve()} --notebooks '0[234569]_*'" in q3.command
    assert "'0[234569]_*'" in q3.markdown()
    assert answers[5].missing == () and answers[5].contradicts
    with pytest.raises(FindingsError, match="run chapters 02–06"):
        plot_gains(run.recipe_gains())


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


def test_nulls_are_never_a_contradiction(tmp_path):
    same = gain("lstm", "fsdd", "classification", "gal", 1.0, -1.0, 3.0)
    flat = {"05_data_types": {"gain_05_fsdd_lstm_gal": same},
            "06_tasks": {"gain_06_fsdd_lstm_gal": same}}
    answers = answer_faq(load_findings(write_run(tmp_path / "course-4", flat)))
    assert not answers[2].contradicts and not answers[3].contradicts
    assert "on test data 0 of 1 gain beyond noise" in answers[3].text, "one measurement in two chapters"
    assert "not shown at course scale" in answers[3].text and "contradict" not in answers[3].markdown()
    assert not answers[4].contradicts, "no verdict on the six steps without chapter 00"


def test_pooling_is_by_definition_not_by_name(tmp_path):
    """03 and 04 once called "gal" what 05 and 06 call "gal": recorded under the same old
    name, their definitions still keep them apart; equal definitions pool across chapters."""
    records = {
        "03_lstm_variants": {"gain_03_ptb_word_lstm_gal": gain(
            "lstm", "ptb-word", "lm", "gal-half-recurrent", 4.0, -0.1, 8.4, p=0.5,
            split="validation", name="gal")},
        "05_data_types": {
            "gain_05_ptb_char_lstm_gal": gain("lstm", "ptb-char", "lm", "gal", -1.6, -2.8, -0.5,
                                              p=0.5, split="validation", name="gal"),
            "gain_05_fsdd_lstm_zaremba": gain("lstm", "fsdd", "classification", "zaremba",
                                              -27.8, -51.5, -4.1),
            "gain_05_sunspots_lstm_zaremba": gain("lstm", "sunspots", "forecasting", "zaremba",
                                                  2.0, 1.0, 3.0, p=0.5)},
        "06_tasks": {"gain_06_ptb_word_lstm_zaremba": gain("lstm", "ptb-word", "lm", "zaremba",
                                                           5.0, 1.0, 9.0)},
    }
    gains = load_findings(write_run(tmp_path / "course-5", records)).recipe_gains()
    assert (gains["recipe"] == "gal").sum() == 2
    pools = pool_gains(gains).set_index(["recipe", "split"])
    assert pools.loc[("gal-half-recurrent p=0.5", "validation"), "comparisons"] == 1
    assert pools.loc[("gal p=0.5", "validation"), "comparisons"] == 1
    # zaremba at 0.25 (05's audio, 06's language model) pools; zaremba at 0.5 is another recipe
    z = pools.loc[("zaremba p=0.25", "test")]
    assert z["comparisons"] == 2 and z["chapters"] == "05, 06" and z["gains"] == 1 and z["loses"] == 1
    assert pools.loc[("zaremba p=0.5", "test"), "comparisons"] == 1
    assert len(pools) == 4
    # a finding without a definition pools with nothing, even under a shared name
    records["04_gru"] = {"gain_04_ptb_word_gru_gal": gain(
        "lstm", "ptb-char", "lm", "gal", -1.6, -2.8, -0.5, defn=False, split="validation")}
    pools = pool_gains(load_findings(write_run(tmp_path / "course-6", records)).recipe_gains())
    assert "gal (definition not recorded)" in set(pools["recipe"]) and len(pools) == 5


def test_multiplicity_counts_chance_verdicts():
    rows = [{"split": "test", "mean": m, "low": m - 1.0, "high": m + 1.0, "n_seeds": 3}
            for m in (0.0, 0.2, 5.0, -0.3)]
    rows += [{"split": "validation", "mean": 3.0, "low": 2.0, "high": 4.0, "n_seeds": 3}]
    m = multiplicity(pd.DataFrame(rows))
    assert m.loc["test", "comparisons"] == 4 and m.loc["test", "intervals excluding 0"] == 1
    assert m.loc["test", "expected by chance (either sign)"] == pytest.approx(0.2)
    assert m.loc["test", "expected false gains by chance"] == pytest.approx(0.1)
    assert m.loc["test", "after Benjamini–Hochberg (q = 0.05)"] == 1
    assert list(m.index) == ["test", "validation"]
    # an interval that only just excludes zero has p just under 0.05: BH drops it among many
    edge = [{"split": "test", "mean": 1.01, "low": 0.01, "high": 2.01, "n_seeds": 3}]
    edge += [{"split": "test", "mean": 0.0, "low": -1.0, "high": 1.0, "n_seeds": 3}] * 9
    m = multiplicity(pd.DataFrame(edge))
    assert m.loc["test", "intervals excluding 0"] == 1
    assert m.loc["test", "after Benjamini–Hochberg (q = 0.05)"] == 0


def test_reading_findings_back_leaves_the_record_helper_alone():
    """The module's name must not shadow seqdrop.course.findings (the records helper)."""
    import seqdrop.course
    import seqdrop.course.faq  # noqa: F401  (imports run_findings)

    assert callable(seqdrop.course.findings)
