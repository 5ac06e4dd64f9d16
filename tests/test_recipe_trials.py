"""Trials that train one registry recipe (seqdrop.course.recipe_trials): chapters 03-04's PTB and FSDD
trials, and the one-recipe-many-data-sets trial of 05-07 with the forecaster."""
import importlib.util
import math

import pandas as pd
import pytest
import torch

from seqdrop.course.recipe_trials import (DATA, check_rates, check_recipes, classifier_recipe, data_recipe,
                                          lm_recipe, recipe_differences, setting_labels, train_forecaster)
from seqdrop.errors import ParameterError
from seqdrop.models import SequenceClassifier, SequenceRegressor
from seqdrop.nn import RecurrentDropout
from seqdrop.sweep import SweepError, sweep

TINY_LM = dict(train_tokens=1_000, valid_tokens=500, embedding_size=8, hidden_size=8, epochs=2,
               batch_size=4, decay_start=1)


def run(trial, **config):
    return trial(dict(trial.defaults) | config | {"seed": 0})


def test_lm_recipe_scores_validation_and_its_own_training_text():
    out = run(lm_recipe, recipe="gal-half-recurrent", p=0.3, **TINY_LM)
    assert out["gap"] == pytest.approx(out["val_ppl"] - out["train_eval_ppl"])
    assert 1 <= out["best_epoch"] <= 2 and len(out["history"]) == 2
    epoch = out["history"][out["best_epoch"] - 1]
    assert epoch["val_ppl"] == pytest.approx(out["val_ppl"])
    assert epoch["train_eval_ppl"] == pytest.approx(out["train_eval_ppl"])
    assert all(math.isfinite(row["val_ppl"]) for row in out["history"])
    again = run(lm_recipe, recipe="gal-half-recurrent", p=0.3, **TINY_LM)
    assert again["val_ppl"] == pytest.approx(out["val_ppl"], rel=1e-6)  # same seed, same numbers


@pytest.mark.parametrize("cell", ["gru", "rnn_tanh"])
def test_classifier_recipe_reports_accuracy_and_size(cell):
    out = run(classifier_recipe, cell=cell, recipe="zaremba+zoneout", hidden_size=8, train_fraction=0.05,
              epochs=1, batch_size=16)
    assert 0 <= out["test_acc"] <= 1 and 0 <= out["val_acc"] <= 1
    gates = {"gru": 3, "rnn_tanh": 1}[cell]
    assert out["n_params"] == gates * 8 * (13 + 8) + 2 * gates * 8 + 9 * 10


def test_sweep_rejects_bad_recipe_before_running(tmp_path):
    with pytest.raises(Exception, match="recipe"):
        sweep(lm_recipe, {"recipe": ["dropall"]}, seeds=[0], store=tmp_path / "s",
              scheduler="serial", progress=False)
    with pytest.raises((SweepError, ValueError), match="p"):
        sweep(classifier_recipe, {"p": [1.5]}, seeds=[0], store=tmp_path / "t",
              scheduler="serial", progress=False)


def test_recipe_differences_are_paired_by_seed():
    import pandas as pd

    rows = [{"recipe": r, "seed": s, "val_ppl": base + 10 * s, "status": "ok"}
            for s in range(4) for r, base in (("none", 100.0), ("gal", 90.0), ("zaremba", 95.0))]
    rows[-1]["val_ppl"] += 1  # zaremba, seed 3: not a constant difference
    table = recipe_differences(pd.DataFrame(rows), "val_ppl", "none", ["zaremba", "none", "gal"])
    assert table["a"].tolist() == ["zaremba", "gal"]
    gal = table.set_index("a").loc["gal"]
    assert gal["mean"] == pytest.approx(-10) and gal["significant"]  # seeds cancel exactly
    assert table.set_index("a").loc["zaremba", "mean"] == pytest.approx(-4.75)


needs_pmdarima = pytest.mark.skipif(importlib.util.find_spec("pmdarima") is None,
                                    reason="pip install --no-deps pmdarima==2.1.1")
TINY = dict(hidden_size=4, embedding_size=4, epochs=1, max_steps=2, max_eval_batches=1, batch_size=4, seed=0)


def test_chapter_05_08_recipes_keep_their_masks_on_one_layer_models():
    """05-08 train one-layer models: the registry's gal and zaremba add the between-layer site
    their old definitions lacked, which a one-layer model never applies (same model, same
    parameters, same masks drawn, same numbers)."""
    from seqdrop.models import RNNLanguageModel
    from seqdrop.recipes import recipe as registry

    old = {"zaremba": RecurrentDropout(model_input_dropout=0.3, model_output_dropout=0.3),
           "gal": RecurrentDropout(model_input_dropout=0.3, model_output_dropout=0.3, recurrent_dropout=0.3,
                                   locked=True)}
    x = torch.randint(0, 20, (6, 3))
    for name, before in old.items():
        out = []
        for dropouts in (before, registry(name, 0.3, "lstm")):
            torch.manual_seed(0)
            model = RNNLanguageModel(20, 8, 8, 1, "lstm", dropouts=dropouts).train()
            out.append(model(x)[0])
        assert torch.equal(out[0], out[1]), name


def test_setting_labels():
    t = pd.DataFrame({"variant": ["none", "gal", "weight-drop"], "rate": [0.0, 0.25, 0.5]})
    assert setting_labels(t) == ["none", "gal 0.25", "weight-drop 0.5"]


def test_regressor_outputs_a_real_vector_per_sequence():
    torch.manual_seed(0)
    model = SequenceRegressor(3, 8, 5, cell="gru", dropouts=RecurrentDropout(model_input_dropout=0.2, locked=True))
    out = model(torch.randn(4, 7, 3), torch.tensor([7, 3, 5, 1]))
    assert out.shape == (4, 5) and isinstance(model, SequenceClassifier)


@pytest.mark.parametrize("data", [d for d in DATA if d not in ("sunspots", "ptb-word")])
def test_data_recipe_runs_on_each_data_type(data):
    config = dict(data_recipe.defaults) | TINY | {"data": data, "variant": "gal", "rate": 0.25, "max_tokens": 400}
    out = data_recipe(config)
    assert math.isfinite(out["val_error"]) and math.isfinite(out["test_error"])
    if data == "ptb-char":
        assert out["test_error"] == pytest.approx(out["test_bpc"])
    else:
        assert out["test_error"] == pytest.approx(100 * (1 - out["test_acc"]))


def test_data_recipe_word_lm_reports_perplexity():
    config = dict(data_recipe.defaults) | TINY | {"data": "ptb-word", "variant": "input-types", "rate": 0.1,
                                                  "max_tokens": 300}
    out = data_recipe(config)
    assert out["test_error"] == pytest.approx(out["test_ppl"]) and out["test_ppl"] > 1


@needs_pmdarima
def test_forecaster_is_deterministic_and_reports_rmse():
    config = dict(train_forecaster.defaults) | {"epochs": 1, "max_steps": 3, "hidden_size": 4, "window": 12,
                                                  "weight_dropout": 0.3, "seed": 1}
    a, b = train_forecaster(config), train_forecaster(config)
    assert a["test_rmse"] == b["test_rmse"]  # same seed, same numbers on CPU
    assert a["test_rmse"] == pytest.approx(math.sqrt(a["test_mse"]) * 37.9, rel=0.01)
    assert 15 < a["persistence_rmse"] < 25  # sunspot numbers, last value repeated
    via_recipe = data_recipe(dict(data_recipe.defaults) | {"data": "sunspots", "variant": "weight-drop", "rate": 0.3,
                                                 "epochs": 1, "max_steps": 3, "hidden_size": 4, "window": 12,
                                                 "batch_size": 32, "lr": 3e-3, "seed": 1})
    assert via_recipe["test_error"] == pytest.approx(a["test_rmse"])


def test_sweep_rejects_bad_data_recipe_values_before_running(tmp_path):
    for bad in ("dropconnect", "weight_drop"):  # unknown, and the old ambiguous spelling
        with pytest.raises(ParameterError, match="'variant'"):
            sweep(data_recipe, {"variant": [bad]}, seeds=1, store=tmp_path, scheduler="serial", progress=False)
    with pytest.raises(ParameterError, match="'data'"):
        sweep(data_recipe, {"data": ["wikitext"]}, seeds=1, store=tmp_path, scheduler="serial", progress=False)


def test_notebook_parameter_checks_name_the_parameter():
    assert check_recipes("variants", ["gal", "input-types"]) == ["gal", "input-types"]
    assert check_rates("rates", [0.5, 0.25]) == [0.25, 0.5]
    for bad in ([], "gal", ["none"], ["gal", "dropconnect"], ["input"]):
        with pytest.raises(ParameterError, match="'variants"):
            check_recipes("variants", bad)
    for bad in ([], [0.0, 0.5], [0.5, 1.2], 0.5):
        with pytest.raises(ParameterError, match="'rates"):
            check_rates("rates", bad)
