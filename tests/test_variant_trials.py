import math

import pytest

from seqdrop.sweep import SweepError, sweep
from seqdrop.experiments.variant_trials import classifier_recipe, lm_recipe, recipe_differences

TINY_LM = dict(train_tokens=1_000, valid_tokens=500, embedding_size=8, hidden_size=8, epochs=2,
               batch_size=4, decay_start=1)


def run(trial, **config):
    return trial(dict(trial.defaults) | config | {"seed": 0})


def test_lm_recipe_scores_validation_and_its_own_training_text():
    out = run(lm_recipe, recipe="gal", p=0.3, **TINY_LM)
    assert out["gap"] == pytest.approx(out["val_ppl"] - out["train_eval_ppl"])
    assert 1 <= out["best_epoch"] <= 2 and len(out["history"]) == 2
    epoch = out["history"][out["best_epoch"] - 1]
    assert epoch["val_ppl"] == pytest.approx(out["val_ppl"])
    assert epoch["train_eval_ppl"] == pytest.approx(out["train_eval_ppl"])
    assert all(math.isfinite(row["val_ppl"]) for row in out["history"])
    again = run(lm_recipe, recipe="gal", p=0.3, **TINY_LM)
    assert again["val_ppl"] == pytest.approx(out["val_ppl"], rel=1e-6)  # same seed, same numbers


@pytest.mark.parametrize("cell", ["gru", "rnn_tanh"])
def test_classifier_recipe_reports_accuracy_and_size(cell):
    out = run(classifier_recipe, cell=cell, recipe="zoneout", hidden_size=8, train_fraction=0.05,
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
