"""One dropout recipe, many data types and tasks: the trials of notebooks 05 and 06.

A *recipe* is a dropout variant at a rate, applied unchanged to a small recurrent model on
each data set, so that one can ask which settings transfer. The variants name where the masks
go (the site vocabulary of :class:`seqdrop.nn.RecurrentDropout`):

==============  ==================================================================  =========================
variant         masks                                                               paper
==============  ==================================================================  =========================
``none``        no dropout (the rate is ignored; it is the rate-0 point of all)
``zaremba``     stack input and output, a fresh mask every step                      Zaremba et al. 2014
``gal``         input, output and recurrent ``h_{t-1}``, one mask per sequence       Gal & Ghahramani 2016
``weight_drop`` DropConnect on ``W_hh``, one mask per forward pass                  Merity et al. 2017
``input``       whole input types: embedding rows (text) or feature channels         Gal & Ghahramani 2016 §4
                (one mask per sequence) for audio, images and series
==============  ==================================================================  =========================

These are single-site variants for one-layer models; the full published recipes of chapters
03–04 (:mod:`seqdrop.experiments.variants`) differ under two of the same names: there ``gal``
drops ``h_{t-1}`` and embedding rows at ``p/2`` and ``weight_drop`` adds Zaremba's masks.

:func:`recipe` runs one of them on ``ptb-char``, ``ptb-word``, ``fsdd-mfcc``, ``mnist-rows``
or ``sunspots`` through the shipped trials (:func:`seqdrop.trials.train_lm`,
:func:`~seqdrop.trials.train_classifier`) or :func:`train_forecaster`, and adds one
lower-is-better number per split, ``val_error``/``test_error``: bits per character, word
perplexity, classification error in %, forecast RMSE in the series' own units.
"""
from __future__ import annotations

import functools
import math
from typing import Any

from ..data import load_sunspots, persistence_forecast
from ..models import SequenceRegressor
from .._validation import ParameterError, check_choice, check_float, check_int, check_probability
from ..sweep import trial_function
from ..trials import (DROPOUT_CHECKS, DROPOUT_DEFAULTS, TRAIN_CHECKS, TRAIN_DEFAULTS, fit_trial, train_classifier,
                      train_lm, trial_dropouts, trial_outcome)
from ..utils import seed_everything

__all__ = ["VARIANTS", "DATA", "ERROR_METRIC", "recipe_dropouts", "recipe", "train_forecaster", "setting_labels",
           "check_variants", "check_rates", "recipe_grid"]

VARIANTS = ("none", "zaremba", "gal", "weight_drop", "input")
#: data set → the task it poses
DATA = {"ptb-char": "lm", "ptb-word": "lm", "fsdd-mfcc": "classification", "mnist-rows": "classification",
        "sunspots": "forecasting"}
#: what ``val_error``/``test_error`` mean for each data set (all lower-is-better)
ERROR_METRIC = {"ptb-char": "bits per character", "ptb-word": "perplexity", "fsdd-mfcc": "error (%)",
                "mnist-rows": "error (%)", "sunspots": "RMSE (sunspot number)"}


def recipe_dropouts(variant: str, rate: float, *, text: bool) -> dict[str, Any]:
    """The :class:`~seqdrop.nn.RecurrentDropout` fields of ``variant`` at ``rate``.

    ``text``: the model reads token ids, so ``input`` drops embedding rows (whole symbol types)
    instead of feature channels.
    """
    check_choice("variant", variant, VARIANTS)
    p = check_probability("rate", rate)
    if variant == "none" or p == 0:
        return {}
    if variant == "zaremba":
        return {"model_input_dropout": p, "model_output_dropout": p, "locked": False}
    if variant == "gal":
        return {"model_input_dropout": p, "model_output_dropout": p, "recurrent_dropout": p, "locked": True}
    if variant == "weight_drop":
        return {"weight_dropout": p}
    return {"embedding_dropout": p} if text else {"model_input_dropout": p, "locked": True}


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


@trial_function(
    defaults=dict(data="mnist-rows", variant="none", rate=0.0, cell="lstm", hidden_size=64, num_layers=1,
                  embedding_size=64, bptt=50, max_tokens=None, window=48, horizon=1,
                  epochs=5, batch_size=32, lr=3e-3, optimizer="adam", clip=1.0, weight_decay=0.0, max_steps=None,
                  max_eval_batches=None, train_fraction=1.0),
    checks=dict(data=lambda k, v: check_choice(k, v, list(DATA)), variant=lambda k, v: check_choice(k, v, VARIANTS),
                rate=_rate, cell=lambda k, v: check_choice(k, v, ["lstm", "gru"]),
                hidden_size=lambda k, v: check_int(k, v, 1), num_layers=lambda k, v: check_int(k, v, 1),
                embedding_size=lambda k, v: check_int(k, v, 1), bptt=lambda k, v: check_int(k, v, 1),
                max_tokens=lambda k, v: None if v is None else check_int(k, v, 2),
                window=lambda k, v: check_int(k, v, 2, 600), horizon=lambda k, v: check_int(k, v, 1, 120),
                **{k: TRAIN_CHECKS[k] for k in TRAIN_CHECKS if k in TRAIN_DEFAULTS}),
)
def recipe(config: dict[str, Any]) -> dict[str, Any]:
    """``variant`` at ``rate`` on ``data`` with the task's trial; adds ``val_error``/``test_error``
    (see :data:`ERROR_METRIC`) to its metrics."""
    c = config
    task = DATA[c["data"]]
    trial = _TRIALS[task]
    sub = dict(trial.defaults) | {k: c[k] for k in _SHARED if k in trial.defaults}
    if task == "lm":
        sub["level"] = c["data"].removeprefix("ptb-")
    else:
        sub["data"] = c["data"]
    sub |= recipe_dropouts(c["variant"], c["rate"], text=task == "lm") | {"seed": c["seed"]}
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
    names a variant at a rate, for choosing among all settings at once."""
    return [v if v == "none" else f"{v} {r:g}" for v, r in zip(trials["variant"], trials["rate"])]


def check_variants(name: str, value: Any) -> list[str]:
    """A notebook parameter: a non-empty list of dropout variants (``"none"`` always runs)."""
    if not isinstance(value, list) or not value or "none" in value:
        raise ParameterError(f"parameter {name!r} = {value!r} must be a non-empty list of {list(VARIANTS[1:])}")
    return [check_choice(f"{name}[{i}]", v, VARIANTS[1:]) for i, v in enumerate(value)]


def check_rates(name: str, value: Any) -> list[float]:
    """A notebook parameter: a non-empty list of drop rates in (0, 1); rate 0 always runs."""
    if not isinstance(value, list) or not value or 0 in value:
        raise ParameterError(f"parameter {name!r} = {value!r} must be a non-empty list of rates in (0, 1) "
                             "(rate 0, no dropout, always runs)")
    return sorted(check_probability(f"{name}[{i}]", r) for i, r in enumerate(value))


def recipe_grid(points: list[dict[str, Any]], variants: list[str], rates: list[float]) -> list[dict[str, Any]]:
    """A sweep grid for :func:`recipe`: for each point (data set and training keys), the
    no-dropout baseline once and every variant at every rate."""
    grid = []
    for point in points:
        fixed = {k: [v] for k, v in point.items()}
        grid += [fixed | {"variant": ["none"], "rate": [0.0]}, fixed | {"variant": list(variants), "rate": list(rates)}]
    return grid
