"""seqdrop.course.dropout_moments: the moments of dropout noise and the linear-model penalty."""
from __future__ import annotations

import math

import pytest
import torch

from seqdrop.course.dropout_moments import (
    analytic_dropout_moments,
    dropout_moments,
    linear_dropout_penalty,
    variance_estimate_rel_se,
)


def gen(seed: int) -> torch.Generator:
    g = torch.Generator()
    g.manual_seed(seed)
    return g


@pytest.mark.parametrize("mode", ["inverted", "weight_scaling"])
def test_dropout_moments_match_closed_form(mode):
    p, n_masks = 0.3, 20_000
    x = torch.linspace(-2, 2, 16, dtype=torch.float64)
    mean, var = dropout_moments(x, p, n_masks, mode=mode, generator=gen(0))
    a_mean, a_var = analytic_dropout_moments(x, p, mode)
    # mean over masks: sd = sqrt(var / n); the variance ratio pooled over units
    assert torch.all((mean - a_mean).abs() <= 5 * (a_var / n_masks).sqrt() + 1e-12)
    nonzero = x != 0
    ratio = (var / a_var.clamp_min(1e-30))[nonzero].mean()
    assert abs(float(ratio) - 1) <= 5 * variance_estimate_rel_se(p, n_masks) / math.sqrt(int(nonzero.sum()))


def test_variance_rel_se_matches_simulation():
    p, n, reps = 0.2, 50, 4000
    samples = torch.empty(reps, n, dtype=torch.float64).bernoulli_(1 - p, generator=gen(9)) / (1 - p)
    rel = samples.var(dim=1) / (p / (1 - p))
    assert abs(float(rel.std()) / variance_estimate_rel_se(p, n) - 1) < 0.1
    with pytest.raises(ValueError):
        variance_estimate_rel_se(0.0, 10)


def test_analytic_moments_values():
    x = torch.tensor([2.0])
    assert torch.allclose(analytic_dropout_moments(x, 0.5)[1], torch.tensor([4.0]))  # p/(1-p) x² = 4
    m, v = analytic_dropout_moments(x, 0.5, "weight_scaling")
    assert torch.allclose(m, torch.tensor([1.0])) and torch.allclose(v, torch.tensor([1.0]))
    with pytest.raises(ValueError, match="mode"):
        analytic_dropout_moments(x, 0.5, "bad")


def test_linear_dropout_penalty_is_the_expected_extra_loss():
    torch.manual_seed(0)
    X = torch.randn(30, 5, dtype=torch.float64)
    beta = torch.randn(5, dtype=torch.float64)
    y = torch.randn(30, dtype=torch.float64)
    p = 0.4
    # per row: E[(y_i - Σ_j X_ij r_ij β_j/(1-p))²] = (y_i - X_i β)² + Σ_j X_ij² β_j² p/(1-p)
    n = 40_000
    R = torch.empty(n, 30, 5, dtype=torch.float64).bernoulli_(1 - p, generator=gen(1)) / (1 - p)
    losses = ((y - ((X * R) * beta).sum(-1)) ** 2).sum(-1)
    expected = ((y - X @ beta) ** 2).sum() + linear_dropout_penalty(X, beta, p)
    assert abs(float(losses.mean() - expected)) <= 5 * float(losses.std()) / math.sqrt(n)
