"""Dropout as an ensemble: the moments of the dropout noise, weight scaling vs Monte-Carlo
averaging, and the metrics that compare them.

The functions take any ``nn.Module``; a ``generator`` argument reaches the masks of its
:mod:`seqdrop.dropout` layers (e.g. :class:`seqdrop.models.FeedForwardNet` on
:func:`seqdrop.data.load_digits_rows` flattened with ``x.flatten(1)``).

- Moments: :func:`dropout_moments` / :func:`analytic_dropout_moments` (mean and variance of
  ``dropout(x)`` over masks, and the closed forms), :func:`variance_estimate_rel_se`, and
  :func:`linear_dropout_penalty`, the exact regulariser dropout adds to least squares, an L2
  penalty weighted per feature (Wager et al. 2013; Srivastava et al. 2014 §9.1).
- Weight scaling vs Monte Carlo: :func:`weight_scaling_probs` / :func:`mc_dropout_probs` /
  :func:`mc_convergence`, the deterministic test-time rule of Srivastava et al. 2014 (§4,
  §7.5) against the average over ``N`` sampled sub-networks (Gal & Ghahramani 2016).
- Metrics and a small fit: :func:`classification_metrics` (accuracy, NLL) and
  :func:`train_classifier` (Adam on cross-entropy).

Chapters: 00.
"""
from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Sequence

import pandas as pd
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .._validation import check_int, check_probability
from ..dropout import DropoutMode, _check_mode, dropout
from ..nn import mc_dropout

__all__ = [
    "train_classifier",
    "classification_metrics",
    "weight_scaling_probs",
    "mc_dropout_probs",
    "mc_convergence",
    "dropout_moments",
    "analytic_dropout_moments",
    "variance_estimate_rel_se",
    "linear_dropout_penalty",
]


@contextlib.contextmanager
def _generator_for(model: nn.Module, generator: torch.Generator | None) -> Iterator[None]:
    """Temporarily give every seqdrop dropout module in ``model`` the given generator."""
    if generator is None:
        yield
        return
    saved = [(m, m.generator) for m in model.modules() if hasattr(m, "generator") and hasattr(m, "p")]
    try:
        for m, _ in saved:
            m.generator = generator
        yield
    finally:
        for m, g in saved:
            m.generator = g


def train_classifier(
    model: nn.Module,
    X: Tensor,
    y: Tensor,
    *,
    steps: int,
    lr: float = 3e-3,
    batch_size: int = 64,
    weight_decay: float = 0.0,
    generator: torch.Generator | None = None,
) -> list[float]:
    """Train with Adam on cross-entropy for ``steps`` minibatches (sampled with replacement).

    ``generator`` drives both the minibatch sampling and the dropout masks, so a run is
    reproducible. Returns the training loss per step; leaves the model in eval mode.
    """
    steps = check_int("steps", steps, 0)
    batch_size = check_int("batch_size", batch_size, 1)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    losses: list[float] = []
    model.train()
    with _generator_for(model, generator):
        for _ in range(steps):
            idx = torch.randint(0, X.shape[0], (min(batch_size, X.shape[0]),), generator=generator)
            loss = F.cross_entropy(model(X[idx]), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            losses.append(float(loss.detach()))
    model.eval()
    return losses


def classification_metrics(probs: Tensor, y: Tensor) -> dict[str, float]:
    """Accuracy and mean negative log-likelihood of predicted class probabilities ``(N, C)``.

    Raises ``ValueError`` for ``N = 0``: a metric over no examples is not a number.
    """
    if y.numel() == 0:
        raise ValueError("classification_metrics: no examples (N = 0)")
    nll = -torch.log(probs.gather(1, y[:, None]).clamp_min(1e-12)).mean()
    acc = (probs.argmax(dim=1) == y).double().mean()
    return {"accuracy": float(acc), "nll": float(nll)}


@torch.no_grad()
def weight_scaling_probs(model: nn.Module, X: Tensor) -> Tensor:
    """The deterministic test-time prediction: softmax of the eval-mode network.

    With inverted dropout the eval network *is* the weight-scaled network of Srivastava et
    al. 2014 (§4): the ``1/(1-p)`` was applied at training time instead of ``(1-p)`` at test.
    """
    was_training = model.training
    model.eval()
    try:
        return torch.softmax(model(X), dim=-1)
    finally:
        model.train(was_training)


@torch.no_grad()
def mc_dropout_probs(
    model: nn.Module, X: Tensor, n_masks: int, *, generator: torch.Generator | None = None
) -> Tensor:
    """Softmax outputs of ``n_masks`` sampled sub-networks, shape ``(n_masks, N, C)``.

    Each pass draws fresh masks — Monte-Carlo model averaging (Srivastava et al. 2014 §7.5;
    Gal & Ghahramani 2016 "MC dropout"). Runs under :func:`seqdrop.nn.mc_dropout`: only the
    dropout modules sample masks, everything else (e.g. BatchNorm) stays in eval mode, and
    every module's mode is restored afterwards.
    """
    n_masks = check_int("n_masks", n_masks, 1)
    with mc_dropout(model), _generator_for(model, generator):
        return torch.stack([torch.softmax(model(X), dim=-1) for _ in range(n_masks)])


def mc_convergence(
    mc_probs: Tensor, ws_probs: Tensor, y: Tensor, ns: Sequence[int] | None = None
) -> pd.DataFrame:
    """Metrics of the Monte-Carlo average of the first ``N`` passes, for each ``N`` in ``ns``.

    Columns: ``n_masks``, ``accuracy``, ``nll`` (of the averaged probabilities),
    ``mean_abs_diff`` (mean over examples and classes of ``|p_MC - p_WS|``) and
    ``agreement`` (fraction of examples where the MC and weight-scaling argmax agree).
    ``ns`` defaults to the powers of two up to ``len(mc_probs)``, plus ``len(mc_probs)``.
    """
    total = mc_probs.shape[0]
    if ns is None:
        ns = sorted({2**k for k in range(int(math.log2(total)) + 1)} | {total})
    running = mc_probs.double().cumsum(dim=0)
    rows = []
    for n in ns:
        check_int("N", n, 1, total)
        avg = running[n - 1] / n
        rows.append(
            {
                "n_masks": int(n),
                **classification_metrics(avg, y),
                "mean_abs_diff": float((avg - ws_probs.double()).abs().mean()),
                "agreement": float((avg.argmax(1) == ws_probs.argmax(1)).double().mean()),
            }
        )
    return pd.DataFrame(rows)


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
