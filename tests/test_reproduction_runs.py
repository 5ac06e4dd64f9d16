"""seqdrop.course.reproduction_runs: shortened preset runs as sweep trials."""
from __future__ import annotations

import pytest

from seqdrop.course.reproduction_runs import (
    course_overrides, full_schedule_hours, measure_throughput, planned_schedule,
    reproduction_trial,
    shortening_sentence, unigram_baseline,
)
from seqdrop.course.reproductions import MC_RESULT, load_runs, read_result


def test_course_overrides_and_the_planned_schedule():
    assert course_overrides("zaremba-small") == {}
    assert planned_schedule("zaremba-small")["comparable"] is True
    kwargs = course_overrides("zaremba-small", width=0.2, train_tokens=92_959, epochs=1,
                              eval_batches=5)
    assert kwargs == {"model_overrides": {"embedding_size": 40, "hidden_size": 40},
                      "data_overrides": {"max_tokens": 92_959}, "epochs": 1,
                      "max_eval_batches": 5}
    plan = planned_schedule("zaremba-small", width=0.2, train_tokens=92_959, epochs=1)
    assert plan["comparable"] is False and plan["width"] == pytest.approx(0.2)
    assert plan["token_share"] == pytest.approx(92_959 / (13 * 929_589))


def test_shortening_sentence():
    assert shortening_sentence(["zaremba-small"]) == "the published schedules"
    text = shortening_sentence(["zaremba-small", "awd-lstm"], width=0.2, train_tokens=60_000,
                               epochs=1, eval_batches=10)
    assert text == ("1 epoch instead of the published 13–500; the first 60,000 words of each "
                    "split instead of all 929,589 training words; 20% of the published "
                    "embedding and hidden units; validation and test scored on 10 windows")


def test_full_schedule_hours():
    # zaremba-small: 13 epochs of PTB's 929,589 training words
    assert full_schedule_hours("zaremba-small", 13 * 929_589 / 3600) == pytest.approx(1.0)


def test_trial_trains_once_then_reads_the_run_back(tmp_path):
    config = dict(preset="gal-medium", width=0.02, train_tokens=2_000, epochs=1,
                  eval_batches=2, mc_samples=2, runs_root=str(tmp_path), device="cpu", seed=0,
                  keep_weights=True)
    first = reproduction_trial(config)
    run = load_runs(tmp_path).runs.iloc[0]
    assert not run["comparable"] and "1 of 39 epochs" in run["schedule"]
    assert run["test_ppl"] == pytest.approx(first["test_ppl"])
    # weight scaling on the same windows is the trainer's own test perplexity
    assert first["ws_test_ppl"] == pytest.approx(first["test_ppl"], rel=1e-4)
    assert run["mc_test_ppl"] == pytest.approx(first["mc_test_ppl"])
    assert len(list(tmp_path.glob("*/" + MC_RESULT))) == 1
    again = reproduction_trial(config)
    assert again == first
    lean = reproduction_trial(config | {"keep_weights": False})  # reads it back, drops weights
    assert lean == first and not list(tmp_path.glob("*/*.pt"))
    unigram = unigram_baseline(read_result(run["path"]))
    assert 10 < unigram < 10_000


def test_measure_throughput_keeps_no_weights_and_reads_back(tmp_path):
    rate = measure_throughput("zaremba-small", tmp_path / "t", steps=1, device="cpu")
    assert rate > 0 and not list((tmp_path / "t").glob("*.pt"))
    assert measure_throughput("zaremba-small", tmp_path / "t", steps=1) == rate
