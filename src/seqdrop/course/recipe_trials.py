"""Sweep trials that train one recipe of the registry (:mod:`seqdrop.recipes`), and their grids.

Every trial here builds its dropout from a registry name and a rate, ``seqdrop.recipes.recipe(
name, p, cell)``, so a sweep's ``recipe``/``variant`` column means one definition everywhere
(chapter 10 pools findings by that definition). All are declared with
:func:`seqdrop.sweep.trial_function`: a sweep checks every key and value before it starts.

Chapters 03–04 (the published recipes on one model each):

- :func:`lm_recipe` -- word-level PTB language model on a leading slice of the training stream
  (a model that overfits within a few epochs). Besides the best-epoch validation and test
  perplexities it measures the *generalisation gap*: each epoch the model, with dropout off,
  is also scored on the first ``valid_tokens`` tokens of its own training slice
  (``train_eval_ppl``; ``gap = val_ppl − train_eval_ppl``).
- :func:`classifier_recipe` -- spoken-digit classifier on FSDD MFCCs; ``hidden_size`` can be
  chosen per cell for an equal parameter count (:mod:`seqdrop.course.equal_params`).
- :func:`recipe_differences` -- paired differences of each recipe to a baseline recipe.

Chapters 05–08 (one recipe, many data types and tasks): :func:`data_recipe` runs recipe
``variant`` at ``rate`` on ``ptb-char``, ``ptb-word``, ``fsdd-mfcc``, ``mnist-rows`` or
``sunspots`` through the shipped trials (:func:`seqdrop.trials.train_lm`,
:func:`~seqdrop.trials.train_classifier`) or :func:`train_forecaster`, and adds one
lower-is-better number per split, ``val_error``/``test_error``: bits per character, word
perplexity, classification error in %, forecast RMSE in the series' own units
(:data:`ERROR_METRIC`). :func:`recipe_grid` builds its sweep grid, :func:`check_recipes` and
:func:`check_rates` check a chapter's lists, :func:`setting_labels` names a row's setting.

Chapters: 03, 04 (``lm_recipe``, ``classifier_recipe``); 05, 06, 07 (``data_recipe``).
"""
from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

from ..data import LMCorpus, load_ptb, load_sunspots, persistence_forecast
from ..models import RNNLanguageModel, SequenceRegressor
from ..recipes import RECIPES, recipe
from .._validation import ParameterError, check_choice, check_float, check_int, check_probability
from ..sweep import paired_difference, trial_function
from ..train import fit
from ..trials import (DROPOUT_CHECKS, DROPOUT_DEFAULTS, TRAIN_CHECKS, TRAIN_DEFAULTS, fit_trial, fraction,
                      integer, one_of, positive, train_classifier, train_lm, trial_dropouts, trial_outcome)
from ..utils import seed_everything

__all__ = ["CELLS", "DATA", "ERROR_METRIC", "lm_recipe", "classifier_recipe", "recipe_differences",
           "data_recipe", "train_forecaster", "setting_labels", "check_recipes", "check_rates", "recipe_grid"]

#: the cells of the chapter 03-04 trials
CELLS = ("lstm", "gru", "rnn_tanh")
#: data set → the task it poses (for :func:`data_recipe`)
DATA = {"ptb-char": "lm", "ptb-word": "lm", "fsdd-mfcc": "classification", "mnist-rows": "classification",
        "sunspots": "forecasting"}
#: what ``val_error``/``test_error`` mean for each data set (all lower-is-better)
ERROR_METRIC = {"ptb-char": "bits per character", "ptb-word": "perplexity", "fsdd-mfcc": "error (%)",
                "mnist-rows": "error (%)", "sunspots": "RMSE (sunspot number)"}


@functools.lru_cache(maxsize=2)
def _ptb_slice(train_tokens: int, valid_tokens: int) -> LMCorpus:
    """The first ``train_tokens`` of PTB train and ``valid_tokens`` of PTB valid; the *test*
    slot holds the first ``valid_tokens`` of the training slice, so the trainer's per-epoch
    test score is the model's perplexity on its own training text with dropout off."""
    full = load_ptb("word")
    train = full.train[:train_tokens].clone()
    return LMCorpus(train, full.valid[:valid_tokens].clone(), train[:valid_tokens].clone(), full.vocab,
                    name=f"ptb-word[:{train_tokens}]")


_TRAIN_EVAL = {"test_loss": "train_eval_loss", "test_ppl": "train_eval_ppl"}


@trial_function(
    defaults=dict(cell="lstm", recipe="none", p=0.5, embedding_size=128, hidden_size=128, num_layers=2,
                  train_tokens=8_000, valid_tokens=4_000, epochs=5, batch_size=4, bptt=35, lr=1.0,
                  decay_start=3, lr_decay=0.5, clip=5.0, optimizer="sgd"),
    checks=dict(cell=one_of(*CELLS), recipe=one_of(*RECIPES), p=check_probability,
                embedding_size=integer(1), hidden_size=integer(1), num_layers=integer(1), train_tokens=integer(1000),
                valid_tokens=integer(100), epochs=integer(1), batch_size=integer(1), bptt=integer(1), lr=positive,
                decay_start=integer(0), lr_decay=lambda k, v: check_float(k, v, 0.0, 1.0, low_closed=False),
                clip=positive, optimizer=one_of("sgd", "adam")),
)
def lm_recipe(config: dict[str, Any]) -> dict[str, Any]:
    """PTB word LM with one recipe; SGD on the loss summed over a window (Zaremba et al. 2014),
    lr × ``lr_decay`` each epoch after ``decay_start``. Metrics at the best validation epoch:
    ``val_ppl``, ``train_eval_ppl``, ``gap``; also ``final_val_ppl`` (last epoch)."""
    c = config
    data = _ptb_slice(c["train_tokens"], c["valid_tokens"])
    seed_everything(c["seed"])
    model = RNNLanguageModel(data.vocab_size, c["embedding_size"], c["hidden_size"], c["num_layers"], c["cell"],
                             dropouts=recipe(c["recipe"], c["p"], c["cell"]))
    result = fit(model, data, seed=c["seed"], device="auto", progress=False, verbose=False, epochs=c["epochs"],
                 batch_size=c["batch_size"], eval_batch_size=20, bptt=c["bptt"], lr=c["lr"],
                 lr_schedule="step", decay_start=c["decay_start"], lr_decay=c["lr_decay"], clip=c["clip"],
                 optimizer=c["optimizer"])
    result.history = result.history.rename(columns=_TRAIN_EVAL)
    result.best = {_TRAIN_EVAL.get(k, k): v for k, v in result.best.items()}
    out = trial_outcome(result, model, ("val_ppl", "train_eval_ppl"))
    out["gap"] = out["val_ppl"] - out["train_eval_ppl"]
    out["final_val_ppl"] = float(result.history["val_ppl"].iloc[-1])
    return out


@trial_function(
    defaults=dict(cell="gru", recipe="none", p=0.3, hidden_size=64, num_layers=1, train_fraction=0.25,
                  epochs=20, batch_size=32, lr=3e-3),
    checks=dict(cell=one_of(*CELLS), recipe=one_of(*RECIPES), p=check_probability, hidden_size=integer(1),
                num_layers=integer(1), train_fraction=fraction,
                epochs=integer(1), batch_size=integer(1), lr=positive),
)
def classifier_recipe(config: dict[str, Any]) -> dict[str, Any]:
    """FSDD spoken digits (13 MFCCs per frame) with one recipe: the shipped trial
    :func:`seqdrop.trials.train_classifier` with Adam and gradient clip 5. Metrics at the
    best validation epoch: ``val_acc``, ``test_acc``, ``val_loss``; ``n_params``."""
    c = config
    keys = ("cell", "hidden_size", "num_layers", "train_fraction", "epochs", "batch_size", "lr")
    sub = dict(train_classifier.defaults) | {k: c[k] for k in keys}
    sub |= dict(data="fsdd-mfcc", optimizer="adam", clip=5.0, seed=c["seed"])
    return train_classifier(sub | recipe(c["recipe"], c["p"], c["cell"], embedding=False).active())


def recipe_differences(
    trials: pd.DataFrame, metric: str, baseline: str, recipes: Sequence[str] | None = None
) -> pd.DataFrame:
    """``metric[recipe] − metric[baseline]`` paired by seed, mean and 95% CI, one row per
    recipe (:func:`seqdrop.sweep.paired_difference`); ``significant``: the CI excludes 0."""
    names = [r for r in (recipes or trials["recipe"].unique()) if r != baseline]
    rows = [paired_difference(trials, metric, by="recipe", a=a, b=baseline, within=[]) for a in names]
    return pd.concat(rows, ignore_index=True)[["a", "b", "mean", "ci_low", "ci_high", "significant"]]


@functools.lru_cache(maxsize=4)
def _series(window: int, horizon: int) -> Any:
    return load_sunspots(window=window, horizon=horizon)


@trial_function(
    defaults=dict(data="sunspots", window=48, horizon=1, cell="lstm", hidden_size=64, num_layers=1,
                  **DROPOUT_DEFAULTS, **(TRAIN_DEFAULTS | dict(epochs=20, batch_size=32, lr=3e-3, optimizer="adam",
                                                       clip=1.0))),
    checks=dict(data=lambda k, v: check_choice(k, v, ["sunspots"]), window=lambda k, v: check_int(k, v, 2, 600),
                horizon=lambda k, v: check_int(k, v, 1, 120), cell=lambda k, v: check_choice(k, v, ["lstm", "gru"]),
                hidden_size=lambda k, v: check_int(k, v, 1), num_layers=lambda k, v: check_int(k, v, 1),
                **DROPOUT_CHECKS, **TRAIN_CHECKS),
    validate=lambda config: trial_dropouts(config),
)
def train_forecaster(config: dict[str, Any]) -> dict[str, Any]:
    """Monthly-sunspot forecaster (:class:`~seqdrop.models.SequenceRegressor`, MSE loss on
    standardised values); metrics ``val_mse``/``test_mse`` at the best validation epoch, the
    test RMSE in sunspot numbers and that of the persistence forecast (last value repeated)."""
    c = config
    data = _series(c["window"], c["horizon"])
    if c["train_fraction"] < 1.0:  # the most recent part of the training segment
        t = data.train
        keep = slice(len(t) - max(c["batch_size"], round(c["train_fraction"] * len(t))), None)
        data = type(data)(**{**vars(data), "train": type(t)(t.x[keep], t.y[keep], t.lengths[keep])})
    seed_everything(c["seed"])
    model = SequenceRegressor(1, c["hidden_size"], c["horizon"], c["num_layers"], c["cell"], dropouts=trial_dropouts(c))
    result = fit_trial(model, data, c, task="regression")
    out = trial_outcome(result, model, ("val_mse", "test_mse", "val_mae", "test_mae", "val_loss", "test_loss"))
    naive = persistence_forecast(data.test, c["horizon"])
    out["persistence_rmse"] = float((naive - data.test.y).pow(2).mean().sqrt()) * data.scale
    out["val_rmse"] = math.sqrt(out["val_mse"]) * data.scale
    out["test_rmse"] = math.sqrt(out["test_mse"]) * data.scale
    return out


_TRIALS = {"lm": train_lm, "classification": train_classifier, "forecasting": train_forecaster}
# keys a recipe passes on to the trial of its task (when that trial has them)
_SHARED = ("cell", "hidden_size", "num_layers", "epochs", "batch_size", "lr", "optimizer", "clip",
           "weight_decay", "max_steps", "max_eval_batches", "train_fraction", "embedding_size", "bptt",
           "max_tokens", "window", "horizon")


def _rate(key: str, value: Any) -> float:
    return check_float(key, value, 0.0, 0.95)


def _variant(key: str, value: Any) -> str:
    return check_choice(key, value, list(RECIPES))


@trial_function(
    defaults=dict(data="mnist-rows", variant="none", rate=0.0, cell="lstm", hidden_size=64, num_layers=1,
                  embedding_size=64, bptt=50, max_tokens=None, window=48, horizon=1,
                  epochs=5, batch_size=32, lr=3e-3, optimizer="adam", clip=1.0, weight_decay=0.0, max_steps=None,
                  max_eval_batches=None, train_fraction=1.0),
    checks=dict(data=lambda k, v: check_choice(k, v, list(DATA)), variant=_variant,
                rate=_rate, cell=lambda k, v: check_choice(k, v, ["lstm", "gru"]),
                hidden_size=lambda k, v: check_int(k, v, 1), num_layers=lambda k, v: check_int(k, v, 1),
                embedding_size=lambda k, v: check_int(k, v, 1), bptt=lambda k, v: check_int(k, v, 1),
                max_tokens=lambda k, v: None if v is None else check_int(k, v, 2),
                window=lambda k, v: check_int(k, v, 2, 600), horizon=lambda k, v: check_int(k, v, 1, 120),
                **{k: TRAIN_CHECKS[k] for k in TRAIN_CHECKS if k in TRAIN_DEFAULTS}),
)
def data_recipe(config: dict[str, Any]) -> dict[str, Any]:
    """Registry recipe ``variant`` at ``rate`` on ``data`` with the task's trial; adds
    ``val_error``/``test_error`` (see :data:`ERROR_METRIC`) to its metrics. A text model
    (``lm``) reads token ids, so ``input-types`` drops word types there and feature channels
    elsewhere (``embedding`` of :func:`seqdrop.recipes.recipe`)."""
    c = config
    task = DATA[c["data"]]
    trial = _TRIALS[task]
    sub = dict(trial.defaults) | {k: c[k] for k in _SHARED if k in trial.defaults}
    if task == "lm":
        sub["level"] = c["data"].removeprefix("ptb-")
    else:
        sub["data"] = c["data"]
    sub |= recipe(c["variant"], c["rate"], c["cell"], embedding=task == "lm").active() | {"seed": c["seed"]}
    for key, check in trial.checks.items():
        check(key, sub[key])
    out = trial(sub)
    for split in ("val", "test"):
        out[f"{split}_error"] = _error(c["data"], out, split)
    return out


def _error(data: str, out: dict[str, Any], split: str) -> float:
    if data == "ptb-char":
        return out[f"{split}_bpc"]
    if data == "ptb-word":
        return out[f"{split}_ppl"]
    if data == "sunspots":
        return out[f"{split}_rmse"]
    return 100.0 * (1.0 - out[f"{split}_acc"])



def setting_labels(trials: Any) -> Any:
    """``"gal 0.25"`` per row of a sweep table (``"none"`` for the baseline): one column that
    names a recipe at a rate, for choosing among all settings at once."""
    return [v if v == "none" else f"{v} {r:g}" for v, r in zip(trials["variant"], trials["rate"])]


def check_recipes(name: str, value: Any) -> list[str]:
    """A notebook parameter: a non-empty list of registry recipes (``"none"`` always runs)."""
    names = [n for n in RECIPES if n != "none"]
    if not isinstance(value, list) or not value or "none" in value:
        raise ParameterError(f"parameter {name!r} = {value!r} must be a non-empty list of recipes of "
                             f"seqdrop.recipes (not 'none', which always runs): {names}")
    return [check_choice(f"{name}[{i}]", v, names) for i, v in enumerate(value)]


def check_rates(name: str, value: Any) -> list[float]:
    """A notebook parameter: a non-empty list of drop rates in (0, 1); rate 0 always runs."""
    if not isinstance(value, list) or not value or 0 in value:
        raise ParameterError(f"parameter {name!r} = {value!r} must be a non-empty list of rates in (0, 1) "
                             "(rate 0, no dropout, always runs)")
    return sorted(check_probability(f"{name}[{i}]", r) for i, r in enumerate(value))


def recipe_grid(points: list[dict[str, Any]], variants: list[str], rates: list[float]) -> list[dict[str, Any]]:
    """A sweep grid for :func:`data_recipe`: for each point (data set and training keys), the
    no-dropout baseline once and every variant at every rate."""
    grid = []
    for point in points:
        fixed = {k: [v] for k, v in point.items()}
        grid += [fixed | {"variant": ["none"], "rate": [0.0]}, fixed | {"variant": list(variants), "rate": list(rates)}]
    return grid
