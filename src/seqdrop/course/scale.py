"""How much dropout as data and models grow: the best rate and its benefit over a size grid.

The classic observation (Srivastava et al. 2014, §7.5 on data-set size; Zaremba et al. 2014,
whose best rate rises from 0 for 200 units to 0.5 for 650 and 0.65 for 1500) is that dropout
helps less as the training set grows and more as the model grows. Here a word-level PTB
language model (:func:`seqdrop.experiments.recipes.recipe`) is trained at every (training fraction,
hidden size) cell of a grid, at several drop rates and seeds:

- :func:`scale_grid` builds the sweep grid;
- :func:`benefits` gives, per seed, cell and rate, the test-perplexity reduction against no
  dropout with the same seed, in % (positive = dropout helps);
- :func:`best_rates` chooses each cell's rate on validation perplexity (bootstrap interval
  over seeds) and gives its paired test benefit with a Student-t interval;
- :func:`benefit_trend` fits, seed by seed, how the benefit changes per doubling of one size
  (the other size held fixed, then averaged), and gives the mean slope with its interval, so a
  trend is a trend only when its interval excludes zero.

Chapters: 07.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .rate_selection import best_settings, relative_change, with_baseline
from ..experiments.recipes import recipe_grid
from ..sweep import SweepError, mean_ci

__all__ = ["SIZES", "scale_grid", "benefits", "best_rates", "chosen_benefits", "benefit_trend"]

#: the two size axes of the grid (sweep config keys)
SIZES = ("train_fraction", "hidden_size")


def scale_grid(fractions: Sequence[float], hidden_sizes: Sequence[int], rates: Sequence[float], *,
               variant: str = "zaremba", epochs: int = 1, equal_steps: bool = True,
               **common: Any) -> list[dict[str, Any]]:
    """A :func:`~seqdrop.experiments.recipes.recipe` grid on word-level PTB: every fraction ×
    hidden size, no dropout once and ``variant`` at every rate; ``common`` holds the other
    recipe keys.

    ``epochs`` are passes over the *whole* slice. With ``equal_steps`` a share ``f`` trains
    for ``round(epochs / f)`` passes over its part, so every cell takes about the same number
    of optimiser steps and the data axis changes only how many *distinct* words the model
    sees (otherwise a smaller share would also mean fewer updates).
    """
    if not fractions or not hidden_sizes or not rates:
        raise SweepError("scale_grid needs at least one fraction, one hidden size and one rate")
    points = [common | {"data": "ptb-word", "train_fraction": float(f), "hidden_size": int(h),
                        "epochs": max(1, round(epochs / f)) if equal_steps else int(epochs)}
              for f in fractions for h in hidden_sizes]
    return recipe_grid(points, [variant], list(rates))


def _ok(trials: pd.DataFrame) -> pd.DataFrame:
    return trials[trials["status"] == "ok"] if "status" in trials else trials


def benefits(trials: pd.DataFrame, metric: str = "test_error") -> pd.DataFrame:
    """One row per seed, size cell and non-zero rate: ``benefit`` = the reduction of
    ``metric`` against no dropout with the same seed and cell, in % (positive = helps)."""
    ok = _ok(trials)
    rel = relative_change(ok, metric, by=list(SIZES), among="variant", baseline="none")
    out = ok.assign(benefit=-rel)
    out = out[out["variant"] != "none"]
    if out.empty:
        raise SweepError("no dropout trials: the grid holds only the no-dropout baseline")
    return out[[*SIZES, "rate", "seed", "benefit"]].reset_index(drop=True)


def best_rates(trials: pd.DataFrame, **kwargs: Any) -> pd.DataFrame:
    """Per size cell: the rate with the lowest mean validation error (rate 0 included), its
    bootstrap interval over seeds (``low``/``high``, ``p_best``) and the paired test benefit
    of that rate in % (``gain``, ``gain_low``, ``gain_high``; ``helps`` when the interval
    lies above zero). ``kwargs`` go to :func:`seqdrop.course.rate_selection.best_settings`."""
    ok = _ok(trials)
    rel = ok.assign(test_rel=relative_change(ok, "test_error", by=list(SIZES), among="variant",
                                             baseline="none"))
    best = best_settings(with_baseline(rel), by=list(SIZES), among="rate", baseline=0.0,
                         test="test_rel", **kwargs)
    return best.sort_values(list(SIZES)).reset_index(drop=True)


def chosen_benefits(trials: pd.DataFrame, best: pd.DataFrame) -> pd.DataFrame:
    """Per seed and size cell, the benefit (%) of the rate :func:`best_rates` chose for the
    cell; 0 where no dropout was chosen."""
    table = benefits(trials)
    rows = []
    for _, b in best.iterrows():
        cell = (table["train_fraction"] == b["train_fraction"]) & (table["hidden_size"] == b["hidden_size"])
        part = table[cell]
        seeds = sorted(part["seed"].unique())
        if b["best"] == 0:
            vals = dict.fromkeys(seeds, 0.0)
        else:
            vals = part[part["rate"] == b["best"]].set_index("seed")["benefit"].to_dict()
        rows += [{"train_fraction": b["train_fraction"], "hidden_size": b["hidden_size"],
                  "rate": b["best"], "seed": s, "benefit": v} for s, v in vals.items()]
    return pd.DataFrame(rows)


def benefit_trend(table: pd.DataFrame, along: str, *, confidence: float = 0.95) -> dict[str, Any]:
    """The change of the benefit (percentage points) per doubling of ``along``.

    ``table``: :func:`benefits` at one rate, or :func:`chosen_benefits`. For each seed and each
    value of the other size, the least-squares slope of ``benefit`` on ``log2(along)``; those
    slopes are averaged over the other size, giving one slope per seed, and the result is the
    mean over seeds with its Student-t interval: ``mean``, ``low``, ``high``, ``n``,
    ``per_seed`` (dict seed → slope).
    """
    if along not in SIZES:
        raise SweepError(f"along must be one of {SIZES}, got {along!r}")
    other = SIZES[1 - SIZES.index(along)]
    if "rate" in table and table["rate"].nunique() > 1 and not _one_rate_per_cell(table):
        raise SweepError("benefit_trend needs one rate per size cell: filter benefits() by rate")
    if table[along].nunique() < 2:
        raise SweepError(f"a trend along {along!r} needs at least two values of it")
    per_seed = {}
    for seed, part in table.groupby("seed"):
        slopes = [np.polyfit(np.log2(g[along].to_numpy(float)), g["benefit"].to_numpy(float), 1)[0]
                  for _, g in part.groupby(other) if g[along].nunique() >= 2]
        if slopes:
            per_seed[seed] = float(np.mean(slopes))
    mean, low, high, n = mean_ci(list(per_seed.values()), confidence)
    return {"along": along, "mean": mean, "low": low, "high": high, "n": n, "per_seed": per_seed}


def _one_rate_per_cell(table: pd.DataFrame) -> bool:
    return bool((table.groupby(list(SIZES))["rate"].nunique() <= 1).all())
