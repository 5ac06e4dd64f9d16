"""The dropout noise itself: its moments over masks, and the regulariser it adds.

- :func:`dropout_moments` / :func:`analytic_dropout_moments`: the mean and variance of
  ``dropout(x)`` over masks, sampled and in closed form (inverted and weight-scaling modes;
  Srivastava et al. 2014, §4), and :func:`variance_estimate_rel_se`, how far a sampled
  variance may fall from the closed form by chance;
- :func:`linear_dropout_penalty`: the exact regulariser dropout adds to least squares, an L2
  penalty weighted per feature (Wager et al. 2013; Srivastava et al. 2014 §9.1).

Chapters: 00.
"""
from __future__ import annotations

import math

import torch
from torch import Tensor

from .._validation import check_int, check_probability
from ..dropout import DropoutMode, _check_mode, dropout

__all__ = [
    "dropout_moments",
    "analytic_dropout_moments",
    "variance_estimate_rel_se",
    "linear_dropout_penalty",
]


@torch.no_grad()
def dropout_moments(
    x: Tensor,
    p: float,
    n_masks: int,
    *,
    mode: DropoutMode = "inverted",
    generator: torch.Generator | None = None,
) -> tuple[Tensor, Tensor]:
    """Empirical mean and (unbiased) variance of ``dropout(x)`` over ``n_masks`` masks, per unit."""
    n_masks = check_int("n_masks", n_masks, 2)  # a variance needs two samples
    samples = dropout(x.expand(n_masks, *x.shape), p, training=True, mode=mode, generator=generator)
    return samples.mean(dim=0), samples.var(dim=0, unbiased=True)


def analytic_dropout_moments(x: Tensor, p: float, mode: DropoutMode = "inverted") -> tuple[Tensor, Tensor]:
    """Closed-form mean and variance of ``dropout(x)`` for a fixed input ``x``.

    With ``r ~ Bernoulli(1-p)``: inverted ``x r/(1-p)`` has mean ``x`` and variance
    ``p/(1-p) x²``; weight scaling ``x r`` has mean ``(1-p) x`` and variance ``p(1-p) x²``.
    """
    p = check_probability("p", p)
    _check_mode(mode)
    if mode == "inverted":
        return x.clone(), p / (1.0 - p) * x**2
    return (1.0 - p) * x, p * (1.0 - p) * x**2


def variance_estimate_rel_se(p: float, n_masks: int) -> float:
    """Relative standard error of the unbiased sample variance of ``dropout(x)`` over ``n_masks`` masks.

    For one unit the output is a scaled Bernoulli(q = 1-p) variable with kurtosis
    ``κ = (1 - 3q + 3q²) / (q(1-q))``; the sample variance ``s²`` of ``n`` draws has
    ``Var(s²)/σ⁴ = (κ - 1)/n + 2/(n(n-1))`` (the same for both scaling modes). Divide by
    ``sqrt(n_units)`` for the mean of independent per-unit ratios ``s²/σ²``.
    """
    p = check_probability("p", p)
    if p == 0.0 or n_masks < 2:
        raise ValueError(f"need p > 0 and n_masks >= 2, got p={p}, n_masks={n_masks}")
    q = 1.0 - p
    kurt = (1.0 - 3.0 * q + 3.0 * q * q) / (q * (1.0 - q))
    return math.sqrt((kurt - 1.0) / n_masks + 2.0 / (n_masks * (n_masks - 1)))


def linear_dropout_penalty(X: Tensor, beta: Tensor, p: float) -> Tensor:
    """The exact extra loss inverted input-dropout adds to a linear least-squares model.

    ``E_r ||y - (X ⊙ R) β / (1-p)||² = ||y - X β||² + p/(1-p) Σ_j β_j² Σ_i X_ij²``
    (Srivastava et al. 2014 §9.1; Wager et al. 2013): ridge regression whose per-feature
    strength grows with the feature's energy ``Σ_i X_ij²`` — an adaptive L2 penalty.
    """
    p = check_probability("p", p)
    return p / (1.0 - p) * (beta**2 * (X**2).sum(dim=0)).sum()
