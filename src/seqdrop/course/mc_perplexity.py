"""Perplexity with Monte-Carlo dropout averaging against weight scaling, and what it costs.

Gal & Ghahramani 2016 (§5.2, Table 1) evaluate their language models both ways: the
weight-scaled network (dropout off) and the average of the *probabilities* of 1000
stochastic passes ("MC dropout"), which lowered the test perplexity of the medium and large
PTB models by about one point at about a thousand times the evaluation cost. Here the same
two numbers, for a model of the suite:

- :func:`token_log_probs`: log p(next token) of every evaluated token for one pass over a
  token stream, the hidden state carried across BPTT windows as in evaluation;
- :func:`mc_perplexity`: perplexity of the average over the first ``n`` of ``S`` passes,
  ``exp(−mean_t log((1/n) Σ_k p_k(w_t)))``, for several ``n``;
- :func:`mc_lm`: the sweep trial (train, then evaluate both ways on the test stream and
  time them in CPU seconds).

Chapters: 08, 09.
"""
from __future__ import annotations

import itertools
import math
import time
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .._validation import check_int
from ..data import LMCorpus, batchify, lm_batches
from ..models import RNNLanguageModel
from ..nn import RecurrentDropout, mc_dropout
from ..experiments.recipes import recipe_dropouts
from ..sweep import trial_function
from ..trials import TRAIN_CHECKS, TRAIN_DEFAULTS, fit_trial, ptb_corpus
from ..utils import seed_everything
from .uncertainty import _COMMON, _COMMON_CHECKS, sample_counts

__all__ = ["token_log_probs", "mc_perplexity", "mc_lm"]


@torch.no_grad()
def token_log_probs(model: nn.Module, stream: Tensor, *, batch_size: int = 10, bptt: int = 35,
                    max_batches: int | None = None) -> Tensor:
    """log p(w_t | history) of each target token of ``stream`` (1-D ids), in the order of
    the ``(T, B)`` windows; the model's current mode decides whether dropout samples."""
    source = batchify(stream, check_int("batch_size", batch_size, 1))
    state: Any = None
    out = []
    for batch in itertools.islice(lm_batches(source, check_int("bptt", bptt, 1)), max_batches):
        logits, state = model(batch.x, state)
        logp = F.log_softmax(logits.double(), dim=-1)
        out.append(logp.gather(-1, batch.y[..., None]).flatten())
    if not out:
        raise ValueError("token_log_probs: the stream is too short for one window (no tokens)")
    return torch.cat(out)


def mc_perplexity(log_probs: Tensor, ns: Sequence[int] | None = None) -> dict[int, float]:
    """Perplexity of the MC average of the first ``n`` passes, for each ``n`` in ``ns``.

    ``log_probs (S, N)``: the log-probabilities of ``N`` tokens under ``S`` stochastic passes.
    The average is over probabilities (Gal & Ghahramani 2016), computed in log space.
    """
    if log_probs.dim() != 2 or log_probs.shape[0] == 0 or log_probs.shape[1] == 0:
        raise ValueError(f"need log-probabilities of shape (S > 0, N > 0), got {tuple(log_probs.shape)}")
    ns = sample_counts(log_probs.shape[0]) if ns is None else list(ns)
    out = {}
    for n in ns:
        n = check_int("n", n, 1, log_probs.shape[0])
        mean_logp = torch.logsumexp(log_probs[:n], dim=0) - math.log(n)
        out[n] = math.exp(-float(mean_logp.mean()))
    return out


def _timed_passes(model: nn.Module, stream: Tensor, n: int, kw: dict[str, Any]) -> tuple[Tensor, float]:
    start = time.process_time()
    logp = torch.stack([token_log_probs(model, stream, **kw) for _ in range(n)])
    return logp, time.process_time() - start


@trial_function(
    defaults=dict(data="ptb-word", **_COMMON, embedding_size=64, bptt=35, max_tokens=None,
                  eval_batches=10, **(TRAIN_DEFAULTS | dict(epochs=2, batch_size=16, lr=1e-2, optimizer="adam",
                                                    clip=1.0))),
    checks=dict(**_COMMON_CHECKS, embedding_size=lambda k, v: check_int(k, v, 1),
                bptt=lambda k, v: check_int(k, v, 1), max_tokens=lambda k, v: None if v is None else check_int(k, v, 2),
                eval_batches=lambda k, v: check_int(k, v, 1), **TRAIN_CHECKS),
    validate=lambda c: RecurrentDropout(**recipe_dropouts(c["variant"], c["rate"], text=True)),
)
def mc_lm(config: dict[str, Any]) -> dict[str, Any]:
    """PTB word model: test perplexity with weight scaling (``ws_ppl``) and with the MC average
    of ``n_samples`` passes (``mc_ppl``) over ``eval_batches`` windows of 10 × ``bptt`` tokens,
    and the CPU seconds of each (``ws_seconds``, ``mc_seconds``); ``history``: ``mc_ppl``
    after the first n passes (``table == "convergence"``)."""
    c = config
    full = ptb_corpus("word", c["max_tokens"])
    n = max(2 * c["batch_size"] + 1, round(c["train_fraction"] * full.train.numel()))
    data = LMCorpus(full.train[:n], full.valid, full.test, full.vocab, name=full.name)
    seed_everything(c["seed"])
    model = RNNLanguageModel(data.vocab_size, c["embedding_size"], c["hidden_size"], 1, c["cell"],
                             dropouts=RecurrentDropout(**recipe_dropouts(c["variant"], c["rate"], text=True)))
    result = fit_trial(model, data, c, bptt=c["bptt"])
    kw = dict(bptt=c["bptt"], max_batches=c["eval_batches"])
    model.eval()
    ws, ws_s = _timed_passes(model, data.test, 1, kw)
    torch.manual_seed(c["seed"])
    with mc_dropout(model):
        mc, mc_s = _timed_passes(model, data.test, c["n_samples"], kw)
    curve = mc_perplexity(mc)
    return {"best_epoch": int(result.best["epoch"]), "tokens": int(ws.shape[1]),
            "ws_ppl": mc_perplexity(ws)[1], "mc_ppl": curve[c["n_samples"]],
            "ws_seconds": ws_s, "mc_seconds": mc_s,
            "history": [{"table": "convergence", "n_samples": k, "ppl": v} for k, v in curve.items()]}
