"""One recipe across data types and tasks (seqdrop.experiments.recipes), the forecaster, and choosing winners
(seqdrop.experiments.rates)."""
from __future__ import annotations

import importlib.util
import math

import numpy as np
import pandas as pd
import pytest
import torch

from seqdrop.data import load_digits_rows
from seqdrop.models import SequenceClassifier, SequenceRegressor
from seqdrop.nn import RecurrentDropout
from seqdrop.params import ParameterError
from seqdrop.experiments.rates import best_settings, relative_change, transfer_gains, with_baseline
from seqdrop.experiments.recipes import DATA, VARIANTS, recipe, recipe_dropouts, setting_labels, train_forecaster
from seqdrop.sweep import SweepError, sweep

needs_pmdarima = pytest.mark.skipif(importlib.util.find_spec("pmdarima") is None,
                                    reason="pip install --no-deps pmdarima==2.1.1")
TINY = dict(hidden_size=4, embedding_size=4, epochs=1, max_steps=2, max_eval_batches=1, batch_size=4, seed=0)


def test_variants_are_valid_dropout_options_on_both_cells():
    for variant in VARIANTS:
        for text in (True, False):
            fields = recipe_dropouts(variant, 0.3, text=text)
            opts = RecurrentDropout(**fields)
            for cell in ("LSTM", "GRU"):
                opts.check_cell(cell)
            assert (variant == "none") == (fields == {})
    assert recipe_dropouts("gal", 0.3, text=False)["locked"] is True
    assert recipe_dropouts("zaremba", 0.3, text=False)["locked"] is False
    assert recipe_dropouts("input", 0.3, text=True) == {"embedding_dropout": 0.3}
    assert recipe_dropouts("input", 0.3, text=False) == {"model_input_dropout": 0.3, "locked": True}
    assert recipe_dropouts("weight_drop", 0.0, text=False) == {}
    with pytest.raises(ParameterError, match="'variant'"):
        recipe_dropouts("dropconnect", 0.3, text=False)
    with pytest.raises(ParameterError, match="'rate'"):
        recipe_dropouts("gal", 1.0, text=False)


def test_setting_labels():
    t = pd.DataFrame({"variant": ["none", "gal", "weight_drop"], "rate": [0.0, 0.25, 0.5]})
    assert setting_labels(t) == ["none", "gal 0.25", "weight_drop 0.5"]


def test_regressor_outputs_a_real_vector_per_sequence():
    torch.manual_seed(0)
    model = SequenceRegressor(3, 8, 5, cell="gru", dropouts=RecurrentDropout(model_input_dropout=0.2, locked=True))
    out = model(torch.randn(4, 7, 3), torch.tensor([7, 3, 5, 1]))
    assert out.shape == (4, 5) and isinstance(model, SequenceClassifier)


@pytest.mark.parametrize("data", [d for d in DATA if d not in ("sunspots", "ptb-word")])
def test_recipe_runs_on_each_data_type(data):
    config = dict(recipe.defaults) | TINY | {"data": data, "variant": "gal", "rate": 0.25, "max_tokens": 400}
    out = recipe(config)
    assert math.isfinite(out["val_error"]) and math.isfinite(out["test_error"])
    if data == "ptb-char":
        assert out["test_error"] == pytest.approx(out["test_bpc"])
    else:
        assert out["test_error"] == pytest.approx(100 * (1 - out["test_acc"]))


def test_recipe_word_lm_reports_perplexity():
    config = dict(recipe.defaults) | TINY | {"data": "ptb-word", "variant": "input", "rate": 0.1, "max_tokens": 300}
    out = recipe(config)
    assert out["test_error"] == pytest.approx(out["test_ppl"]) and out["test_ppl"] > 1


@needs_pmdarima
def test_forecaster_is_deterministic_and_reports_rmse():
    config = dict(train_forecaster.defaults) | {"epochs": 1, "max_steps": 3, "hidden_size": 4, "window": 12,
                                                  "weight_dropout": 0.3, "seed": 1}
    a, b = train_forecaster(config), train_forecaster(config)
    assert a["test_rmse"] == b["test_rmse"]  # same seed, same numbers on CPU
    assert a["test_rmse"] == pytest.approx(math.sqrt(a["test_mse"]) * 37.9, rel=0.01)
    assert 15 < a["persistence_rmse"] < 25  # sunspot numbers, last value repeated
    via_recipe = recipe(dict(recipe.defaults) | {"data": "sunspots", "variant": "weight_drop", "rate": 0.3,
                                                 "epochs": 1, "max_steps": 3, "hidden_size": 4, "window": 12,
                                                 "batch_size": 32, "lr": 3e-3, "seed": 1})
    assert via_recipe["test_error"] == pytest.approx(a["test_rmse"])


def test_sweep_rejects_bad_recipe_values_before_running(tmp_path):
    with pytest.raises(ParameterError, match="'variant'"):
        sweep(recipe, {"variant": ["dropconnect"]}, seeds=1, store=tmp_path, scheduler="serial", progress=False)
    with pytest.raises(ParameterError, match="'data'"):
        sweep(recipe, {"data": ["wikitext"]}, seeds=1, store=tmp_path, scheduler="serial", progress=False)


def _table(errors: dict[tuple[str, float], list[float]], val_shift: float = 0.0) -> pd.DataFrame:
    rows = []
    for (variant, rate), values in errors.items():
        for seed, e in enumerate(values):
            rows.append({"data": "x", "variant": variant, "rate": rate, "seed": seed, "status": "ok",
                         "val_error": e + val_shift, "test_error": e})
    return pd.DataFrame(rows)


def test_best_settings_picks_on_validation_and_pairs_the_gain():
    df = _table({("none", 0.0): [10, 11, 12, 13], ("gal", 0.25): [8, 9, 10, 10.5], ("gal", 0.5): [9, 10, 11, 12]})
    best = best_settings(with_baseline(df), by=["data", "variant"], among="rate", baseline=0.0, n_boot=200)
    row = best.iloc[0]
    assert row["best"] == 0.25 and row["p_best"] == 1.0 and row["low"] == row["high"] == 0.25
    assert row["gain"] == pytest.approx(np.mean([2, 2, 2, 2.5])) and row["helps"]
    assert row["gain_low"] < row["gain"] < row["gain_high"] and row["n"] == 4


def test_best_settings_baseline_winner_and_unstable_choice():
    df = _table({("none", 0.0): [10, 10, 10], ("gal", 0.5): [12, 8, 12]})
    row = best_settings(with_baseline(df), by=["data", "variant"], among="rate", baseline=0.0, n_boot=400).iloc[0]
    assert row["best"] == 0.0 and row["gain"] == 0.0 and not row["helps"]
    assert 0.5 < row["p_best"] < 1.0 and row["low"] == 0.0 and row["high"] == 0.5  # one seed favours 0.5
    with pytest.raises(SweepError, match="≥ 2 seeds"):
        best_settings(df[df["seed"] == 0], by=["data"], among="rate", baseline=0.0)
    with pytest.raises(SweepError, match="baseline is missing"):
        with_baseline(df[df["variant"] != "none"])


def test_relative_change_and_transfer():
    df = pd.concat([
        _table({("none", 0.0): [10, 20], ("gal", 0.5): [9, 18], ("zaremba", 0.5): [11, 22]}),
        _table({("none", 0.0): [4, 4], ("gal", 0.5): [5, 5], ("zaremba", 0.5): [3, 3.8]}).assign(data="y"),
    ], ignore_index=True)
    df["setting"] = setting_labels(df)
    rel = relative_change(df, "test_error", by=["data"], among="setting", baseline="none")
    assert rel[(df["data"] == "x") & (df["setting"] == "gal 0.5")].tolist() == pytest.approx([-10.0, -10.0])
    winners = best_settings(df, by=["data"], among="setting", baseline="none", n_boot=50)
    assert winners.set_index("data")["best"].to_dict() == {"x": "gal 0.5", "y": "zaremba 0.5"}
    t = transfer_gains(df, winners, by="data", among="setting", baseline="none").set_index(["source", "target"])
    assert t.loc[("x", "x"), "gain"] == pytest.approx(10.0)
    assert t.loc[("x", "y"), "gain"] == pytest.approx(-25.0) and bool(t.loc[("x", "y"), "hurts"])
    assert t.loc[("y", "y"), "setting"] == "zaremba 0.5"


def test_notebook_parameter_checks_name_the_parameter():
    from seqdrop.experiments.recipes import check_rates, check_variants

    assert check_variants("variants", ["gal", "input"]) == ["gal", "input"]
    assert check_rates("rates", [0.5, 0.25]) == [0.25, 0.5]
    for bad in ([], "gal", ["none"], ["gal", "dropconnect"]):
        with pytest.raises(ParameterError, match="'variants"):
            check_variants("variants", bad)
    for bad in ([], [0.0, 0.5], [0.5, 1.2], 0.5):
        with pytest.raises(ParameterError, match="'rates"):
            check_rates("rates", bad)


def test_effects_pair_each_candidate_with_the_baseline():
    from seqdrop.experiments.rates import effects

    df = _table({("none", 0.0): [10, 11, 12], ("gal", 0.5): [11, 12.1, 12.9], ("zaremba", 0.5): [9, 12, 11]})
    df["setting"] = setting_labels(df)
    e = effects(df, "test_error", by=["data"], among="setting", baseline="none").set_index("setting")
    assert e.loc["gal 0.5", "mean"] == pytest.approx(1.0) and e.loc["gal 0.5", "higher"]
    assert not e.loc["zaremba 0.5", "lower"] and not e.loc["zaremba 0.5", "higher"]
    assert "none" not in e.index and (e["n"] == 3).all()
    with pytest.raises(SweepError, match="no trials with setting = 'none'"):
        effects(df[df["setting"] != "none"], "test_error", by=["data"], among="setting", baseline="none")


def test_best_settings_can_exclude_the_baseline():
    df = _table({("none", 0.0): [10, 10, 10], ("gal", 0.5): [12, 13, 12.5], ("zaremba", 0.5): [11, 11.5, 11]})
    df["setting"] = setting_labels(df)
    row = best_settings(df, by=["data"], among="setting", baseline="none", baseline_can_win=False, n_boot=50).iloc[0]
    assert row["best"] == "zaremba 0.5" and row["gain"] < 0 and not row["helps"]
