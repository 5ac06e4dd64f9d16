"""seqdrop.course.reproductions: loading finished runs, the gap table, MC perplexity."""
from __future__ import annotations

import json
import math

import pytest

from seqdrop.course.reproductions import (
    ResultFileError, check_runs_dir, describe_schedule, gap_table, load_runs, read_result,
)
from seqdrop.errors import ParameterError
from seqdrop.presets import get_preset


def _result(preset: str, seed: int, val: float, test: float, overrides=None) -> dict:
    """A result.json as seqdrop.presets.reproduce writes it."""
    out = {"preset": preset, "source": "x", "published": get_preset(preset).published,
           "measured": {"val_ppl": val, "test_ppl": test, "epoch": 13}, "stopped": "completed",
           "steps": 100, "wall_seconds": 1.0, "device": "cuda", "torch": "2", "seed": seed,
           "capped": False}
    if overrides is not False:
        out["overrides"] = overrides or {"train": {"seed": seed}, "model": {}, "data": {}}
    return out


def _write(folder, name, content) -> None:
    (folder / name).mkdir(parents=True)
    path = folder / name / "result.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))


@pytest.fixture
def runs_folder(tmp_path):
    root = tmp_path / "runs" / "train"
    _write(root, "zaremba-small-a", _result("zaremba-small", 0, 121.0, 116.0))
    _write(root, "zaremba-small-b", _result("zaremba-small", 1, 122.0, 118.0))
    _write(root, "zaremba-small-gru-a", _result("zaremba-small-gru", 0, 130.0, 125.0))
    _write(root, "broken", '{"preset": "zaremba-small", "measured": ')
    _write(root, "no-number", {**_result("gal-medium", 0, 1, 1), "measured": {"val_ppl": None}})
    _write(root, "unknown", {**_result("gal-medium", 0, 1, 1), "preset": "lstm-9000"})
    return root


def test_load_runs_tabulates_good_files_and_names_bad_ones(runs_folder):
    loaded = load_runs(runs_folder)
    assert sorted(loaded.runs["run"]) == ["zaremba-small-a", "zaremba-small-b",
                                          "zaremba-small-gru-a"]
    assert len(loaded.problems) == 3
    assert any("unknown/result.json: unknown preset 'lstm-9000'" in p for p in loaded.problems)
    assert any("broken/result.json: not valid JSON" in p for p in loaded.problems)
    assert any("no-number/result.json: measured val_ppl is None" in p for p in loaded.problems)
    assert all("\n" not in p for p in loaded.problems)


def test_gap_in_percent_and_the_two_percent_flag(runs_folder):
    table = gap_table(load_runs(runs_folder).runs).set_index(["preset", "metric"])
    test = table.loc[("zaremba-small", "test_ppl")]
    assert test["n_seeds"] == 2 and test["mean"] == pytest.approx(117.0)
    assert test["gap_pct"] == pytest.approx(100 * (117.0 - 114.5) / 114.5)
    assert test["flag"] == "beyond ±2%" and test["low"] < 117.0 < test["high"]
    val = table.loc[("zaremba-small", "val_ppl")]
    assert val["gap_pct"] == pytest.approx(100 * (121.5 - 120.7) / 120.7)
    assert val["flag"] == "within ±2%" and bool(val["comparable"])
    twin = table.loc[("zaremba-small-gru", "test_ppl")]
    assert twin["flag"] == "no published number" and math.isnan(twin["gap_pct"])
    assert gap_table(load_runs(runs_folder).runs, threshold=5.0).loc[1, "flag"] == "within ±5%"


def test_missing_or_empty_runs_folder_is_one_clear_error(tmp_path):
    with pytest.raises(ResultFileError, match="does not exist"):
        load_runs(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ResultFileError, match="no result.json"):
        load_runs(tmp_path / "empty")
    _write(tmp_path / "bad", "r", "[1, 2]")
    with pytest.raises(ResultFileError, match="1 unusable result file"):
        load_runs(tmp_path / "bad")
    with pytest.raises(ResultFileError, match="cannot read"):
        read_result(tmp_path / "empty" / "result.json")


def test_describe_schedule_says_what_was_shortened():
    assert describe_schedule(_result("zaremba-small", 0, 1, 1)) | {"text": ""} == {
        "comparable": True, "token_share": 1.0, "width": 1.0, "text": ""}
    overrides = {"train": {"epochs": 1, "max_eval_batches": 5, "seed": 3},
                 "model": {"embedding_size": 40, "hidden_size": 40},
                 "data": {"max_tokens": 92_959}}
    s = describe_schedule(_result("zaremba-small", 3, 1, 1, overrides))
    assert s["comparable"] is False and s["width"] == pytest.approx(0.2)
    assert s["token_share"] == pytest.approx(92_959 / (13 * 929_589))
    assert "1 of 13 epochs" in s["text"] and "40 instead of 200 hidden units" in s["text"]
    assert "(0.77% of the paper's training words)" in s["text"]
    unknown = describe_schedule(_result("zaremba-small", 0, 1, 1, overrides=False))
    assert unknown["comparable"] is None and "no overrides" in unknown["text"]


def test_runs_dir_parameter_check(runs_folder, tmp_path):
    assert check_runs_dir("runs_dir", None) is None
    assert check_runs_dir("runs_dir", str(runs_folder)) == runs_folder
    with pytest.raises(ParameterError, match="'runs_dir'.*existing folder"):
        check_runs_dir("runs_dir", str(tmp_path / "nowhere"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ParameterError, match="'runs_dir'.*no result.json"):
        check_runs_dir("runs_dir", str(tmp_path / "empty"))
