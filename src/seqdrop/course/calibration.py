"""Is a predictive distribution honest? Calibration, entropy and interval coverage.

The metrics chapter 08 uses to judge weight scaling against Monte-Carlo dropout
(Gal & Ghahramani 2016), on tensors of predicted probabilities or Gaussian predictions:

- :func:`reliability_bins` and :func:`expected_calibration_error`: confidence (the top
  class probability) against accuracy in equal-width bins, and their weighted gap
  (Naeini et al. 2015; Guo et al. 2017, eq. 3);
- :func:`predictive_entropy` and :func:`mutual_information`: the total uncertainty of the
  averaged prediction and its epistemic part, the disagreement between sampled networks
  (Houlsby et al. 2011; Kendall & Gal 2017);
- :func:`ood_auroc`: how well a score separates in-distribution from other inputs;
- :func:`gaussian_interval` and :func:`interval_coverage`: central prediction intervals
  and the share of targets they contain.

A metric over zero examples raises ``ValueError``: it is not a number.

Chapters: 08.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import torch
from torch import Tensor

__all__ = ["reliability_bins", "expected_calibration_error", "predictive_entropy",
           "mutual_information", "ood_auroc", "gaussian_interval", "interval_coverage",
           "pool_reliability"]


def _check_probs(probs: Tensor, y: Tensor | None = None) -> None:
    if probs.dim() != 2 or probs.shape[0] == 0:
        raise ValueError(f"need probabilities of shape (N > 0, C), got {tuple(probs.shape)}")
    if y is not None and y.shape != probs.shape[:1]:
        raise ValueError(f"labels of shape {tuple(y.shape)} do not match {tuple(probs.shape)}")


def _check_bins(n_bins: int) -> int:
    if isinstance(n_bins, bool) or not isinstance(n_bins, int) or n_bins < 1:
        raise ValueError(f"n_bins must be a positive int, got {n_bins!r}")
    return n_bins


def reliability_bins(probs: Tensor, y: Tensor, n_bins: int = 15) -> pd.DataFrame:
    """Per confidence bin: ``count``, summed ``confidence`` and ``correct`` (one row per bin).

    Bins are ``(k/n_bins, (k+1)/n_bins]`` of the top probability (the first one also holds
    0). Sums, not means, so that bins pool over seeds with :func:`pool_reliability`.
    """
    _check_probs(probs, y)
    conf, pred = probs.max(dim=1)
    idx = (conf * _check_bins(n_bins)).ceil().long().clamp(1, n_bins) - 1
    correct = (pred == y).double()
    count = torch.bincount(idx, minlength=n_bins)
    conf_sum = torch.zeros(n_bins, dtype=torch.float64).index_add_(0, idx, conf.double())
    correct_sum = torch.zeros(n_bins, dtype=torch.float64).index_add_(0, idx, correct)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    return pd.DataFrame({"bin": np.arange(n_bins), "low": edges[:-1], "high": edges[1:],
                         "count": count.numpy(), "confidence": conf_sum.numpy(),
                         "correct": correct_sum.numpy()})


def pool_reliability(bins: pd.DataFrame, by: list[str] | None = None) -> pd.DataFrame:
    """Sum :func:`reliability_bins` tables (e.g. over seeds) and add ``mean_confidence``
    and ``accuracy`` per bin (NaN in an empty bin)."""
    keys = list(by or []) + ["bin", "low", "high"]
    pooled = bins.groupby(keys, as_index=False)[["count", "confidence", "correct"]].sum()
    n = pooled["count"].where(pooled["count"] > 0)
    return pooled.assign(mean_confidence=pooled["confidence"] / n, accuracy=pooled["correct"] / n)


def expected_calibration_error(probs: Tensor, y: Tensor, n_bins: int = 15) -> float:
    """ECE = Σ_b (n_b / N) |accuracy_b − confidence_b| over equal-width confidence bins
    (Guo et al. 2017, eq. 3; 15 bins as there). 0 for a perfectly calibrated predictor."""
    b = reliability_bins(probs, y, n_bins)
    return float((b["correct"] - b["confidence"]).abs().sum() / b["count"].sum())


def predictive_entropy(probs: Tensor) -> Tensor:
    """H[p] = −Σ_c p_c log p_c in nats, per row of ``probs (N, C)``; log C at most."""
    _check_probs(probs)
    p = probs.double()
    return -(p * p.clamp_min(1e-30).log()).sum(dim=1)


def mutual_information(samples: Tensor) -> Tensor:
    """Epistemic uncertainty of ``samples (S, N, C)`` (S sampled networks): the entropy of
    the mean minus the mean entropy, per example (Houlsby et al. 2011, "BALD"); ≥ 0."""
    if samples.dim() != 3 or samples.shape[0] == 0:
        raise ValueError(f"need samples of shape (S > 0, N, C), got {tuple(samples.shape)}")
    each = torch.stack([predictive_entropy(s) for s in samples])
    return (predictive_entropy(samples.mean(dim=0)) - each.mean(dim=0)).clamp_min(0.0)


def ood_auroc(score_in: Tensor, score_out: Tensor) -> float:
    """Area under the ROC curve of ``score`` for telling other inputs (positives) from
    in-distribution ones: the probability that a random other input scores higher than a
    random in-distribution one (ties count one half). 0.5 = no separation."""
    a, b = score_in.double().flatten(), score_out.double().flatten()
    if a.numel() == 0 or b.numel() == 0:
        raise ValueError("ood_auroc: both score sets need at least one value")
    ranks = torch.tensor(pd.Series(torch.cat([a, b]).numpy()).rank().to_numpy())
    u = ranks[a.numel():].sum() - b.numel() * (b.numel() + 1) / 2  # Mann-Whitney U
    return float(u / (a.numel() * b.numel()))


def gaussian_interval(mean: Tensor, std: Tensor, level: float) -> tuple[Tensor, Tensor]:
    """The central ``level`` interval ``mean ± z σ`` of a Gaussian prediction."""
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level!r}")
    z = math.sqrt(2.0) * torch.special.erfinv(torch.tensor(level, dtype=torch.float64)).item()
    return mean - z * std, mean + z * std


def interval_coverage(low: Tensor, high: Tensor, y: Tensor) -> float:
    """Share of targets ``y`` with ``low ≤ y ≤ high`` (the empirical coverage)."""
    if y.numel() == 0:
        raise ValueError("interval_coverage: no targets (N = 0)")
    if not (low.shape == high.shape == y.shape):
        raise ValueError(f"shapes differ: low {tuple(low.shape)}, high {tuple(high.shape)}, "
                         f"y {tuple(y.shape)}")
    return float(((low <= y) & (y <= high)).double().mean())
