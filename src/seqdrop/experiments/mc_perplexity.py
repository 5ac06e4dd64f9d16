"""Perplexity with Monte-Carlo dropout (Gal & Ghahramani 2016, §4): a language model's test
perplexity when each target's predicted probability is averaged over stochastic passes, next
to the usual weight-scaling (eval-mode) perplexity on the same windows.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from ..data.batching import batchify, lm_batches
from ..nn import mc_dropout

__all__ = ["mc_perplexity"]


def mc_perplexity(model: nn.Module, stream: torch.Tensor, *, n_samples: int, batch_size: int = 10,
                  bptt: int = 35, max_batches: int | None = None, seed: int = 0) -> tuple[float, float]:
    """``(weight-scaling, Monte-Carlo)`` perplexity of a token ``stream``.

    Weight scaling is the eval-mode network. MC dropout averages each target's predicted
    probability over ``n_samples`` stochastic passes (Gal & Ghahramani 2016, §4), each pass
    carrying its state across the BPTT windows: ``exp(-mean_t log(1/K Σ_k p_k(y_t)))``.
    """
    if n_samples < 1:
        raise ValueError(f"n_samples must be >= 1, got {n_samples}")
    windows = list(lm_batches(batchify(stream, batch_size), bptt))[:max_batches]
    if not windows:
        raise ValueError("no evaluation windows: the stream is too short")

    def target_log_probs() -> torch.Tensor:
        state, out = None, []
        for w in windows:
            logits, state = model(w.x, state)
            out.append(logits.log_softmax(-1).gather(-1, w.y.unsqueeze(-1)).flatten())
        return torch.cat(out)

    was_training = model.training
    torch.manual_seed(seed)
    with torch.no_grad():
        model.eval()
        ws = math.exp(-target_log_probs().mean().item())
        with mc_dropout(model):
            total = target_log_probs()
            for _ in range(n_samples - 1):  # log Σ_k p_k, streamed: memory does not grow with K
                total = torch.logaddexp(total, target_log_probs())
    model.train(was_training)
    return ws, math.exp(-(total - math.log(n_samples)).mean().item())
