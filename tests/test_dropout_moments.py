"""Tests for seqdrop.course.dropout_moments: dropout moments, the linear-model penalty, training the digits MLP
(seqdrop.models.FeedForwardNet) and the Monte-Carlo vs weight-scaling comparison."""
from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from seqdrop.data import load_digits_rows
from seqdrop.dropout import Dropout
from seqdrop.course.dropout_moments import (
    analytic_dropout_moments,
    classification_metrics,
    dropout_moments,
    linear_dropout_penalty,
    mc_convergence,
    mc_dropout_probs,
    train_classifier,
    variance_estimate_rel_se,
    weight_scaling_probs,
)
from seqdrop.models import FeedForwardNet


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


def digits_tensors(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Flattened digits, 75% train / 25% test per class (as in notebook 00)."""
    d = load_digits_rows(seed=seed, fractions=(0.75, 0.0, 0.25))
    return d.train.x.flatten(1), d.train.y, d.test.x.flatten(1), d.test.y


def dropout_layers(model: nn.Module) -> list[Dropout]:
    return [m for m in model.modules() if isinstance(m, Dropout)]


@pytest.fixture(scope="module")
def trained():
    Xtr, ytr, Xte, yte = digits_tensors(seed=0)
    assert Xtr.shape[1] == 64 and Xtr.shape[0] + Xte.shape[0] == 1797
    torch.manual_seed(0)
    model = FeedForwardNet(64, (64,), 10, dropout=0.5)
    losses = train_classifier(model, Xtr, ytr, steps=300, lr=3e-3, generator=gen(2))
    return model, losses, Xte, yte


def test_training_learns_and_is_reproducible(trained):
    model, losses, Xte, yte = trained
    assert not model.training
    assert sum(losses[-20:]) / 20 < 0.5 * sum(losses[:20]) / 20
    assert classification_metrics(weight_scaling_probs(model, Xte), yte)["accuracy"] > 0.85
    Xtr, ytr, _, _ = digits_tensors(seed=0)
    runs = []
    for _ in range(2):
        torch.manual_seed(0)
        m = FeedForwardNet(64, (16,), 10, dropout=0.5)
        runs.append(train_classifier(m, Xtr, ytr, steps=5, generator=gen(3)))
    assert runs[0] == runs[1]


def test_mc_vs_weight_scaling(trained):
    model, _, Xte, yte = trained
    ws = weight_scaling_probs(model, Xte)
    mc = mc_dropout_probs(model, Xte, 64, generator=gen(4))
    assert mc.shape == (64, Xte.shape[0], 10) and not model.training
    assert torch.allclose(mc.sum(-1), torch.ones(64, Xte.shape[0]), atol=1e-5)
    assert not torch.equal(mc[0], mc[1])  # fresh masks per pass
    assert torch.equal(mc, mc_dropout_probs(model, Xte, 64, generator=gen(4)))  # reproducible
    assert [d.generator for d in dropout_layers(model)] == [None]  # generator restored
    df = mc_convergence(mc, ws, yte)
    assert list(df["n_masks"]) == [1, 2, 4, 8, 16, 32, 64]
    assert set(df.columns) >= {"accuracy", "nll", "mean_abs_diff", "agreement"}
    assert df["mean_abs_diff"].iloc[-1] < df["mean_abs_diff"].iloc[0]
    assert abs(df["accuracy"].iloc[-1] - classification_metrics(ws, yte)["accuracy"]) < 0.03
    with pytest.raises(ValueError):
        mc_convergence(mc, ws, yte, ns=[65])


def test_weight_scaling_mode_equals_inverted_after_rescaling(trained):
    """Inverted dropout = weight scaling with the next layer's weights divided by (1-p)."""
    model, _, Xte, _ = trained
    ws_model = FeedForwardNet(64, (64,), 10, dropout=0.5, mode="weight_scaling")
    ws_model.load_state_dict(model.state_dict())
    with torch.no_grad():
        ws_model.net[-1].weight /= 0.5  # the layer after the dropout
    assert torch.allclose(weight_scaling_probs(ws_model, Xte), weight_scaling_probs(model, Xte), atol=1e-6)
    assert torch.allclose(
        mc_dropout_probs(ws_model, Xte, 3, generator=gen(5)),
        mc_dropout_probs(model, Xte, 3, generator=gen(5)),
        atol=1e-6,
    )


def test_mc_with_plain_modules():
    model = nn.Sequential(nn.Linear(4, 8), Dropout(0.5), nn.Linear(8, 3))
    out = mc_dropout_probs(model, torch.randn(5, 4), 4, generator=gen(6))
    assert out.shape == (4, 5, 3)
    with pytest.raises(ValueError):
        mc_dropout_probs(model, torch.randn(5, 4), 0)
