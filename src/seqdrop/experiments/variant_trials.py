"""Sweep trials that train one dropout recipe (:mod:`seqdrop.experiments.variants`) on PTB or FSDD.

Both are declared with :func:`seqdrop.sweep.trial_function`, so a sweep checks every key and
value before it starts, and both are sized for the course: a leading slice of the PTB
training stream (a model that overfits within a few epochs) and slices of the validation and
test streams, or a stratified share of the FSDD training recordings.

- :func:`lm_recipe` -- word-level PTB language model. Besides the best-epoch validation and
  test perplexities it measures the *generalisation gap*: each epoch the model, with dropout
  off, is also scored on the first ``valid_tokens`` tokens of its own training slice
  (``train_eval_ppl``; ``gap = val_ppl − train_eval_ppl``).
- :func:`classifier_recipe` -- spoken-digit classifier on FSDD MFCCs; ``hidden_size`` can be
  chosen per cell for an equal parameter count (:mod:`seqdrop.course.equal_params`).
"""
from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import pandas as pd

from ..data import LMCorpus, load_ptb
from ..models import RNNLanguageModel
from .._validation import check_float, check_probability
from ..sweep import paired_difference, trial_function
from ..trials import fraction, integer, one_of, positive, train_classifier, trial_outcome
from ..train import fit
from ..utils import seed_everything
from .variants import RECIPES, recipe

__all__ = ["lm_recipe", "classifier_recipe", "recipe_differences"]

CELLS = ("lstm", "gru", "rnn_tanh")


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
    return train_classifier(sub | recipe(c["recipe"], c["p"], c["cell"], embedding=False))


def recipe_differences(
    trials: pd.DataFrame, metric: str, baseline: str, recipes: Sequence[str] | None = None
) -> pd.DataFrame:
    """``metric[recipe] − metric[baseline]`` paired by seed, mean and 95% CI, one row per
    recipe (:func:`seqdrop.sweep.paired_difference`); ``significant``: the CI excludes 0."""
    names = [r for r in (recipes or trials["recipe"].unique()) if r != baseline]
    rows = [paired_difference(trials, metric, by="recipe", a=a, b=baseline, within=[]) for a in names]
    return pd.concat(rows, ignore_index=True)[["a", "b", "mean", "ci_low", "ci_high", "significant"]]

