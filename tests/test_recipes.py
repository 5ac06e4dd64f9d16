"""One recipe across data types and tasks (seqdrop.experiments.recipes) and the forecaster."""
from __future__ import annotations

import importlib.util
import math

import pandas as pd
import pytest
import torch

from seqdrop.data import load_digits_rows
from seqdrop.models import SequenceClassifier, SequenceRegressor
from seqdrop.nn import RecurrentDropout
from seqdrop.params import ParameterError
from seqdrop.experiments.recipes import DATA, VARIANTS, recipe, recipe_dropouts, setting_labels, train_forecaster
from seqdrop.sweep import sweep

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
