"""The papermill batch runner: profiles, parameter checks, failure isolation, records, resume."""
import json

import pytest

from seqdrop.cli import main
from seqdrop.course.profiles import (
    ProfileError,
    find_notebooks,
    load_profile,
    parse_overrides,
    resolve_parameters,
)
from seqdrop.course.runner import run_notebooks
from seqdrop.course.summary import NotebookResult, format_run_summary


def test_find_notebooks_by_glob_and_stem(toy_notebooks):
    nbdir, _ = toy_notebooks
    assert [p.name for p in find_notebooks("*.ipynb", nbdir)] == ["01_good.ipynb", "02_bad.ipynb"]
    assert [p.name for p in find_notebooks("02_bad", nbdir)] == ["02_bad.ipynb"]
    with pytest.raises(ProfileError, match="no notebook"):
        find_notebooks("99_*", nbdir)


def test_profiles(toy_notebooks):
    _, pdir = toy_notebooks
    assert load_profile("smoke", pdir) == {"01_good": {"a": 3}, "02_bad": {"c": 7}}
    assert load_profile("course", pdir) == {}
    with pytest.raises(ProfileError, match="missing"):
        load_profile("paper", pdir)
    with pytest.raises(ProfileError, match="not one of"):
        load_profile("huge", pdir)


def test_unknown_names_are_errors(toy_notebooks):
    nbdir, _ = toy_notebooks
    nbs = find_notebooks("*", nbdir)
    with pytest.raises(ProfileError, match=r"01_good has no parameter\(s\) \['n_stepz'\]"):
        resolve_parameters(nbs, {"01_good": {"n_stepz": 1}})
    with pytest.raises(ProfileError, match="name no notebook"):
        resolve_parameters(nbs, {"03_missing": {"a": 1}})
    with pytest.raises(ProfileError, match="no selected notebook has a parameter 'zz'"):
        resolve_parameters(nbs, {}, {"zz": 1})
    got = resolve_parameters(nbs, {"01_good": {"a": 3}}, parse_overrides(["b=0.25", "02_bad:c=9"]))
    assert got == {nbs[0]: {"a": 3, "b": 0.25}, nbs[1]: {"c": 9}}


def test_parse_overrides():
    assert parse_overrides(["p=0.5", "name=lstm", "flag=true", "xs=[1, 2]"]) == {
        "p": 0.5, "name": "lstm", "flag": True, "xs": [1, 2]}
    with pytest.raises(ProfileError, match="name=value"):
        parse_overrides(["p0.5"])


@pytest.mark.notebook
def test_batch_keeps_going_records_and_resumes(toy_notebooks, tmp_path):
    nbdir, pdir = toy_notebooks
    out = tmp_path / "run"
    run_dir, results = run_notebooks(
        "smoke", "*", out, {"b": 1.5}, progress=False, notebooks_path=nbdir, params_path=pdir
    )
    assert run_dir == out
    good, bad = results
    assert good.status == "ok" and good.records == {"product": 4.5}
    assert bad.status == "failed" and "boom 7" in bad.error
    assert (out / "02_bad.ipynb").exists(), "the failing notebook's executed copy is kept"
    assert (out / "01_good" / "fig.txt").exists(), "figures land in the run folder"
    summary = json.loads((out / "summary.json").read_text())
    assert [r["status"] for r in summary["notebooks"]] == ["ok", "failed"]
    table = format_run_summary(results)
    assert "product=4.5" in table and "RuntimeError: boom 7" in table

    # resume: the good notebook is not executed again, the bad one is
    (out / "01_good.ipynb").write_text((out / "01_good.ipynb").read_text())
    mtime = (out / "01_good.ipynb").stat().st_mtime_ns
    _, again = run_notebooks("smoke", "*", out, {"b": 1.5}, resume=True, progress=False,
                             notebooks_path=nbdir, params_path=pdir)
    assert [r.status for r in again] == ["ok", "failed"]
    assert (out / "01_good.ipynb").stat().st_mtime_ns == mtime


@pytest.mark.notebook
def test_kernels_run_over_ipc_without_the_tcp_warning(toy_notebooks, tmp_path, capfd):
    nbdir, pdir = toy_notebooks
    _, (good,) = run_notebooks("smoke", "01_good", tmp_path / "run", progress=False,
                               notebooks_path=nbdir, params_path=pdir)
    assert good.status == "ok"
    assert "without encryption" not in capfd.readouterr().err


def test_cli_reports_unknown_parameter(capsys):
    assert main(["run", "--notebooks", "00_*", "-p", "n_stepz=3", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "n_stepz" in err and "error" in err


def test_cli_resume_needs_out(capsys):
    assert main(["run", "--resume"]) == 2
    assert "--resume needs --out" in capsys.readouterr().err


def test_summary_wraps_long_results_without_losing_any():
    records = {f"metric_{i}": 0.5 * i for i in range(15)}
    table = format_run_summary([NotebookResult("00_x", "ok", 1.0, records=records)], width=80)
    assert all(f"metric_{i}=" in table for i in range(15))
    assert max(len(line) for line in table.splitlines()) <= 80
