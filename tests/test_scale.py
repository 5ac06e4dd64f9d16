"""seqdrop.course.scale: best rate and benefit of dropout over a data × model size grid."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from seqdrop.course import scale
from seqdrop.experiments.recipes import recipe
from seqdrop.sweep import SweepError, expand_grid

FRACTIONS, HIDDEN, RATES, SEEDS = (0.25, 0.5, 1.0), (64, 256), (0.25, 0.5), (0, 1, 2, 3)


def _benefit(f: float, h: int, r: float) -> float:
    """Synthetic truth (%): shrinks by 2 points per doubling of data, grows by 3 per doubling
    of the model; the larger model prefers the larger rate."""
    base = 10 - 2 * math.log2(f / 0.25) + 3 * math.log2(h / 64)
    return base * (1.0 if (r == 0.5) == (h == 256) else 0.5)


def _trials(noise: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = []
    for f in FRACTIONS:
        for h in HIDDEN:
            for s in SEEDS:
                none = 200.0 + 10 * s
                rows.append(dict(train_fraction=f, hidden_size=h, variant="none", rate=0.0, seed=s,
                                 val_error=none, test_error=none, status="ok"))
                for r in RATES:
                    ppl = none * (1 - (_benefit(f, h, r) + noise * rng.standard_normal()) / 100)
                    rows.append(dict(train_fraction=f, hidden_size=h, variant="zaremba", rate=r, seed=s,
                                     val_error=ppl, test_error=ppl, status="ok"))
    return pd.DataFrame(rows)


def test_scale_grid_is_a_valid_recipe_grid():
    grid = scale.scale_grid([0.25, 1.0], [32, 64], [0.25, 0.5], max_tokens=2000, epochs=2)
    configs = expand_grid(grid)
    assert {(c["train_fraction"], c["epochs"]) for c in configs} == {(0.25, 8), (1.0, 2)}
    fixed = expand_grid(scale.scale_grid([0.25, 1.0], [32], [0.5], epochs=2, equal_steps=False))
    assert {c["epochs"] for c in fixed} == {2}
    assert len(configs) == 2 * 2 * (1 + 2)
    assert {c["data"] for c in configs} == {"ptb-word"}
    assert {(c["variant"], c["rate"]) for c in configs} == {("none", 0.0), ("zaremba", 0.25), ("zaremba", 0.5)}
    for c in configs:
        assert set(c) <= set(recipe.defaults)
        for key, check in recipe.checks.items():
            if key in c:
                check(key, c[key])
    with pytest.raises(SweepError):
        scale.scale_grid([], [64], [0.5])


def test_benefits_are_percent_reductions_paired_by_seed():
    table = scale.benefits(_trials())
    assert len(table) == len(FRACTIONS) * len(HIDDEN) * len(RATES) * len(SEEDS)
    for _, row in table.sample(10, random_state=0).iterrows():
        assert row["benefit"] == pytest.approx(_benefit(row["train_fraction"], row["hidden_size"], row["rate"]))


def test_best_rates_pick_the_rate_that_wins_on_validation():
    best = scale.best_rates(_trials(), n_boot=200)
    assert list(best["hidden_size"].unique()) == [64, 256]
    assert (best.loc[best["hidden_size"] == 256, "best"] == 0.5).all()
    assert (best.loc[best["hidden_size"] == 64, "best"] == 0.25).all()
    assert best["helps"].all() and (best["p_best"] == 1).all()
    row = best[(best["train_fraction"] == 1.0) & (best["hidden_size"] == 256)].iloc[0]
    assert row["gain"] == pytest.approx(_benefit(1.0, 256, 0.5))


def test_chosen_benefit_is_zero_where_no_dropout_wins():
    trials = _trials()
    worse = (trials["hidden_size"] == 64) & (trials["train_fraction"] == 1.0) & (trials["variant"] != "none")
    trials.loc[worse, ["val_error", "test_error"]] *= 1.5  # dropout hurts in this cell
    best = scale.best_rates(trials, n_boot=100)
    chosen = scale.chosen_benefits(trials, best)
    cell = chosen[(chosen["hidden_size"] == 64) & (chosen["train_fraction"] == 1.0)]
    assert len(cell) == len(SEEDS) and (cell["benefit"] == 0).all() and (cell["rate"] == 0).all()


def test_trend_recovers_the_slopes_with_an_interval():
    table = scale.benefits(_trials(noise=0.5))
    at_half = table[table["rate"] == 0.5]
    data = scale.benefit_trend(at_half, "train_fraction")
    model = scale.benefit_trend(at_half, "hidden_size")
    assert data["n"] == len(SEEDS) and set(data["per_seed"]) == set(SEEDS)
    # at rate 0.5 the 256-unit model has the full benefit, the 64-unit one half of it
    assert data["low"] < (-2 * 0.5 - 2 * 1.0) / 2 < data["high"] and data["high"] < 0
    assert model["low"] > 0


def test_trend_refuses_mixed_rates_and_single_sizes():
    table = scale.benefits(_trials())
    with pytest.raises(SweepError, match="one rate per size cell"):
        scale.benefit_trend(table, "hidden_size")
    with pytest.raises(SweepError, match="at least two"):
        scale.benefit_trend(table[(table["rate"] == 0.5) & (table["hidden_size"] == 64)], "hidden_size")
    with pytest.raises(SweepError, match="along"):
        scale.benefit_trend(table, "epochs")
