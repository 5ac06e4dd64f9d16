"""A word-level PTB language model that overfits on a laptop, and beats its unigram baseline.

Chapters 03 (LSTM) and 04 (GRU) train their dropout recipes here. With PTB's full
10,000-word vocabulary a model trained on a few thousand words barely beats a unigram (most
of its softmax is words it has seen once), so dropout has nothing to fix. Cutting the
vocabulary to the 2,000 most frequent words (:func:`seqdrop.data.cap_vocabulary`, every
other word becomes ``<unk>``) makes the softmax five times cheaper and lets a small LSTM
learn the frequent words' contexts from 20,000–40,000 words within a few CPU-seconds per
epoch: without dropout its validation perplexity falls well below the unigram's, turns at a
best epoch and climbs while its training loss keeps falling (Zaremba et al. 2014, §4.1: the
non-regularised model overfits; dropout lets a model train longer and reach lower perplexity).

- :func:`lm_slice` -- the leading ``train_tokens`` / ``valid_tokens`` / ``test_tokens`` of
  PTB's three splits with the vocabulary capped;
- :func:`lm_trial` -- the sweep trial: one recipe of :mod:`seqdrop.recipes`, Adam
  on the per-token mean loss; test perplexity at the epoch of lowest validation perplexity,
  the last epoch's validation perplexity, and the add-one unigram perplexity of the same
  validation and test windows (:func:`seqdrop.course.mc_perplexity.unigram_perplexity`);
- :func:`unigram_margin`, :func:`turn_up` and :func:`keeps_fitting` -- the evidence that the
  no-dropout model is in the regime: its relative margin over the unigram on test data, how
  far its validation perplexity climbs from the best epoch to the last (mean and 95% interval
  over seeds), and whether its training loss still falls after the best epoch.

Chapters: 03, 04.
"""
from __future__ import annotations

import functools
from typing import Any

import pandas as pd

from ..data import LMCorpus, cap_vocabulary, load_ptb
from .mc_perplexity import unigram_perplexity
from ..models import RNNLanguageModel
from ..recipes import RECIPES, recipe
from .._validation import check_probability
from ..sweep import mean_ci, trial_function
from ..trials import fraction, integer, one_of, positive
from ..train import fit
from ..utils import seed_everything

__all__ = ["lm_slice", "lm_trial", "unigram_margin", "turn_up", "keeps_fitting", "CELLS"]

CELLS = ("lstm", "gru", "rnn_tanh")
EVAL_BATCH = 10  # columns of the evaluation streams (the trainer's and the unigram's windows)


@functools.lru_cache(maxsize=4)
def lm_slice(vocab_size: int, train_tokens: int, valid_tokens: int, test_tokens: int) -> LMCorpus:
    """PTB words with the vocabulary capped at ``vocab_size`` types (the most frequent of the
    full training split, :func:`seqdrop.data.cap_vocabulary`), keeping the first
    ``train_tokens`` / ``valid_tokens`` / ``test_tokens`` of the training, validation and test
    streams. Cached per process (a sweep worker loads PTB once)."""
    full = cap_vocabulary(load_ptb("word"), vocab_size)
    return LMCorpus(full.train[:train_tokens].clone(), full.valid[:valid_tokens].clone(),
                    full.test[:test_tokens].clone(), full.vocab, name=f"{full.name}[:{train_tokens}]")


@trial_function(
    defaults=dict(cell="lstm", recipe="none", p=0.5, vocab_size=2000, train_tokens=20_000,
                  valid_tokens=5_000, test_tokens=5_000, embedding_size=128, hidden_size=128,
                  num_layers=2, epochs=15, batch_size=16, bptt=35, lr=3e-3, clip=5.0),
    checks=dict(cell=one_of(*CELLS), recipe=one_of(*RECIPES), p=check_probability,
                vocab_size=integer(2, 10_000), train_tokens=integer(1_000, 929_589),
                valid_tokens=integer(500, 73_760), test_tokens=integer(500, 82_430),
                embedding_size=integer(1), hidden_size=integer(1), num_layers=integer(1, 8),
                epochs=integer(1), batch_size=integer(1), bptt=integer(1), lr=fraction,
                clip=positive),
)
def lm_trial(config: dict[str, Any]) -> dict[str, Any]:
    """One recipe on :func:`lm_slice`: an :class:`~seqdrop.models.RNNLanguageModel` trained with
    Adam (per-token mean loss, gradient-norm clip) for ``epochs`` epochs, validated and tested
    every epoch with dropout off.

    Returns ``val_ppl`` and ``test_ppl`` at the epoch of lowest validation perplexity
    (``best_epoch``; the test split plays no part in the choice), ``final_val_ppl`` (last
    epoch), ``train_loss`` (last epoch, per token, with dropout on), ``unigram_val_ppl`` and
    ``unigram_test_ppl`` (the context-free baseline on the same windows), ``n_params`` and the
    per-epoch ``history``.
    """
    c = config
    data = lm_slice(c["vocab_size"], c["train_tokens"], c["valid_tokens"], c["test_tokens"])
    seed_everything(c["seed"])
    model = RNNLanguageModel(data.vocab_size, c["embedding_size"], c["hidden_size"],
                             c["num_layers"], c["cell"], dropouts=recipe(c["recipe"], c["p"], c["cell"]))
    result = fit(model, data, seed=c["seed"], device="cpu", progress=False, verbose=False,
                 epochs=c["epochs"], batch_size=c["batch_size"], eval_batch_size=EVAL_BATCH,
                 bptt=c["bptt"], optimizer="adam", lr=c["lr"], lm_loss="mean", clip=c["clip"])
    hist = result.history
    best = result.best
    out: dict[str, Any] = {
        "val_ppl": float(best["val_ppl"]), "test_ppl": float(best["test_ppl"]),
        "best_epoch": int(best["epoch"]), "final_val_ppl": float(hist["val_ppl"].iloc[-1]),
        "train_loss": float(hist["train_loss"].iloc[-1]),
        "unigram_val_ppl": unigram_perplexity(data.train, data.valid, data.vocab_size,
                                              batch_size=EVAL_BATCH, bptt=c["bptt"]),
        "unigram_test_ppl": unigram_perplexity(data.train, data.test, data.vocab_size,
                                               batch_size=EVAL_BATCH, bptt=c["bptt"]),
        "n_params": sum(p.numel() for p in model.parameters()),
    }
    out["history"] = hist[["epoch", "train_loss", "val_ppl", "test_ppl"]].to_dict("records")
    return out


def unigram_margin(trials: pd.DataFrame, *, split: str = "test",
                   recipe: str = "none") -> tuple[float, float, float, int]:
    """``(mean, low, high, n)``: by how much ``recipe``'s perplexity on ``split`` (``"test"`` or
    ``"val"``) at the validation-selected epoch is below the unigram's, in % of the unigram's
    (``100 (unigram − model) / unigram``), mean and 95% interval over seeds."""
    if split not in ("test", "val"):
        raise ValueError(f"split must be 'test' or 'val', got {split!r}")
    runs = trials[trials["recipe"] == recipe]
    if runs.empty:
        raise ValueError(f"no trials of recipe {recipe!r}")
    base = runs[f"unigram_{split}_ppl"]
    return mean_ci(100 * (base - runs[f"{split}_ppl"]) / base)


def turn_up(trials: pd.DataFrame, *, recipe: str = "none") -> tuple[float, float, float, int]:
    """``(mean, low, high, n)``: how far ``recipe``'s validation perplexity climbs from its best
    epoch to its last (``final_val_ppl − val_ppl``, ≥ 0), mean and 95% interval over seeds."""
    runs = trials[trials["recipe"] == recipe]
    if runs.empty:
        raise ValueError(f"no trials of recipe {recipe!r}")
    return mean_ci(runs["final_val_ppl"] - runs["val_ppl"])


def keeps_fitting(trials: pd.DataFrame, history: pd.DataFrame, *, recipe: str = "none") -> bool:
    """Whether, on every seed, ``recipe``'s training loss at the last epoch is below its
    training loss at the best validation epoch: the model keeps fitting its training text
    while its validation perplexity turns (``trials`` and ``history`` of one sweep)."""
    runs = trials[trials["recipe"] == recipe].set_index("seed")
    if runs.empty:
        raise ValueError(f"no trials of recipe {recipe!r}")
    hist = history[history["recipe"] == recipe]
    for seed, run in runs.iterrows():
        losses = hist[hist["seed"] == seed].set_index("epoch")["train_loss"]
        if losses.empty or not losses.iloc[-1] < losses[run["best_epoch"]]:
            return False
    return True
