"""Scoring a word-level language model on the BPTT windows the trainer evaluates.

- :func:`mc_and_ws_perplexity`: a trained model's perplexity with Monte-Carlo dropout
  (Gal & Ghahramani 2016, §5.2) and with weight scaling, on the same windows, streamed over
  the passes (chapter 08's :mod:`~seqdrop.course.mc_perplexity` keeps every pass);
- :func:`unigram_perplexity`: the perplexity of a model that ignores the context (add-one
  smoothed word frequencies of the training stream), the floor any language model must beat.

Chapters: 09.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from ..data.batching import batchify, lm_batches
from ..nn import mc_dropout
from .mc_perplexity import token_log_probs

__all__ = ["scored_windows", "mc_and_ws_perplexity", "unigram_perplexity"]


def scored_windows(stream: torch.Tensor, *, batch_size: int = 10, bptt: int = 35,
                   max_batches: int | None = None) -> list:
    """The evaluation windows of ``stream`` (:func:`seqdrop.data.batching.lm_batches` of its
    ``batch_size`` columns), the first ``max_batches`` of them."""
    windows = list(lm_batches(batchify(stream, batch_size), bptt))[:max_batches]
    if not windows:
        raise ValueError("no evaluation windows: the stream is too short")
    return windows


def unigram_perplexity(train: torch.Tensor, stream: torch.Tensor, vocab_size: int, *,
                       batch_size: int = 10, bptt: int = 35,
                       max_batches: int | None = None) -> float:
    """Perplexity of the targets of :func:`scored_windows` under add-one smoothed unigram
    frequencies of ``train``: what a model that ignores the context reaches."""
    counts = torch.bincount(train.flatten(), minlength=vocab_size).double() + 1
    log_p = (counts / counts.sum()).log()
    targets = torch.cat([w.y.flatten() for w in scored_windows(
        stream, batch_size=batch_size, bptt=bptt, max_batches=max_batches)])
    return math.exp(-log_p[targets].mean().item())


def mc_and_ws_perplexity(model: nn.Module, stream: torch.Tensor, *, n_samples: int,
                         batch_size: int = 10, bptt: int = 35, max_batches: int | None = None,
                         seed: int = 0) -> tuple[float, float]:
    """``(weight-scaling, Monte-Carlo)`` perplexity of a token ``stream``.

    Weight scaling is the eval-mode network. MC dropout averages each target's predicted
    probability over ``n_samples`` stochastic passes (Gal & Ghahramani 2016, §5.2), each
    pass from :func:`~seqdrop.course.mc_perplexity.token_log_probs`; the log of the
    sum is accumulated pass by pass, so memory does not grow with ``n_samples`` (1000 in
    the paper).
    """
    if n_samples < 1:
        raise ValueError(f"n_samples must be >= 1, got {n_samples}")
    kw = dict(batch_size=batch_size, bptt=bptt, max_batches=max_batches)
    stream = stream.to(next(model.parameters()).device)
    was_training = model.training
    torch.manual_seed(seed)
    model.eval()
    ws = math.exp(-token_log_probs(model, stream, **kw).mean().item())
    with mc_dropout(model):
        total = token_log_probs(model, stream, **kw)
        for _ in range(n_samples - 1):
            total = torch.logaddexp(total, token_log_probs(model, stream, **kw))
    model.train(was_training)
    return ws, math.exp(-(total - math.log(n_samples)).mean().item())
