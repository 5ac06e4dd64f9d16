"""Averaging a dropout network over its masks: weight scaling vs arithmetic and geometric means.

A network with dropout defines one sub-network per mask ``r``. Three ways to predict with
the ensemble:

- **weight scaling**: one deterministic pass with the expected mask (the eval-mode network
  under inverted dropout; Srivastava et al. 2014, §4);
- **arithmetic mean** of the sub-networks' probabilities, estimated from ``N`` sampled masks
  (Monte-Carlo dropout; Srivastava et al. 2014 §7.5, Gal & Ghahramani 2016);
- **normalised geometric mean** of the sub-networks' probabilities, which for a softmax output
  is ``softmax(mean of the logits)``.

When the logits are affine in the mask (dropout only right before the last linear layer),
``E_r[logits]`` equals the weight-scaled logits, so weight scaling is *exactly* the
normalised geometric mean of all sub-networks (Hinton et al. 2012; Baldi & Sadowski 2013,
eq. 12). With a nonlinearity after a dropout layer it is only an approximation.

:func:`train_digits_ensemble` is a sweep trial (a function of a config dict) that trains the
MLP on scikit-learn's 8×8 digits and measures all three, with a curve over ``N``.

Chapters: 00.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..data import load_digits_rows
from ..dropout import Dropout
from .dropout_moments import train_classifier
from ..models import FeedForwardNet
from ..nn.mc import mc_dropout
from .._validation import check_choice, check_float, check_int, check_probability
from ..sweep import trial_function

__all__ = [
    "sample_logits",
    "arithmetic_mean",
    "geometric_mean",
    "averaging_curve",
    "prediction_metrics",
    "train_digits_ensemble",
]


def _set_generators(model: nn.Module, generator: torch.Generator | None) -> None:
    for m in model.modules():
        if isinstance(m, Dropout):
            m.generator = generator


@torch.no_grad()
def sample_logits(
    model: nn.Module, X: Tensor, n_masks: int, *, generator: torch.Generator | None = None
) -> Tensor:
    """Logits of ``n_masks`` sampled sub-networks, shape ``(n_masks, B, C)``.

    Dropout layers sample masks (:func:`seqdrop.nn.mc_dropout`), everything else is in eval
    mode; ``generator`` drives the masks of :class:`seqdrop.dropout.Dropout` layers.
    """
    n_masks = check_int("n_masks", n_masks, 1)
    saved = [(m, m.generator) for m in model.modules() if isinstance(m, Dropout)]
    try:
        if generator is not None:
            _set_generators(model, generator)
        with mc_dropout(model):
            return torch.stack([model(X) for _ in range(n_masks)])
    finally:
        for m, g in saved:
            m.generator = g


def arithmetic_mean(logits: Tensor) -> Tensor:
    """Mean of the sub-networks' probabilities, ``(N, B, C) -> (B, C)``."""
    return logits.softmax(-1).mean(0)


def geometric_mean(logits: Tensor) -> Tensor:
    """Normalised geometric mean of the sub-networks' probabilities: ``softmax(mean logits)``.

    ``prod_k softmax(z_k)^(1/N)`` is proportional to ``exp(mean_k z_k)``, so renormalising
    gives the softmax of the mean logits (Hinton et al. 2012).
    """
    return logits.mean(0).softmax(-1)


def prediction_metrics(probs: Tensor, y: Tensor) -> dict[str, float]:
    """Accuracy and mean negative log-likelihood of probabilities ``(B, C)``; needs ``B > 0``."""
    if probs.shape[0] == 0:
        raise ValueError("no samples: accuracy and NLL of zero samples are undefined")
    nll = F.nll_loss(probs.clamp_min(1e-12).log(), y)
    return {"acc": float((probs.argmax(-1) == y).double().mean()), "nll": float(nll)}


def averaging_curve(
    logits: Tensor, ws_probs: Tensor, y: Tensor, ns: Sequence[int] | None = None
) -> pd.DataFrame:
    """One row per number of masks ``n`` and averaging rule: accuracy, NLL and the gap
    ``mean |p_rule − p_weight_scaling|`` and its log-space form ``mean |log p_rule − log p_ws|``
    over inputs and classes (the log gap also sees the small probabilities)."""
    total = logits.shape[0]
    if ns is None:
        ns = sorted({min(total, 2**k) for k in range(total.bit_length() + 1)})
    log_ws = ws_probs.clamp_min(1e-30).log()
    rows = []
    for n in ns:
        for rule, fn in (("arithmetic", arithmetic_mean), ("geometric", geometric_mean)):
            probs = fn(logits[:n])
            gap = float((probs - ws_probs).abs().mean())
            log_gap = float((probs.clamp_min(1e-30).log() - log_ws).abs().mean())
            rows.append({"n_masks": int(n), "rule": rule, "gap": gap, "log_gap": log_gap,
                         **prediction_metrics(probs, y)})
    return pd.DataFrame(rows)


def _flip_rate(logits: Tensor) -> float:
    """Share of inputs whose predicted class differs between the first two sampled passes."""
    if logits.shape[0] < 2:
        return 0.0
    return float((logits[0].argmax(-1) != logits[1].argmax(-1)).double().mean())


@trial_function(
    defaults=dict(p=0.5, depth=1, hidden=128, steps=1500, lr=3e-3, batch_size=64, n_masks=1000),
    checks=dict(
        p=check_probability,
        depth=lambda k, v: check_choice(k, v, (1, 2)),
        hidden=lambda k, v: check_int(k, v, 2, 4096),
        steps=lambda k, v: check_int(k, v, 1),
        lr=lambda k, v: check_float(k, v, 0.0, 1.0, low_closed=False),
        batch_size=lambda k, v: check_int(k, v, 1),
        n_masks=lambda k, v: check_int(k, v, 2),
    ),
)
def train_digits_ensemble(config: dict[str, Any]) -> dict[str, Any]:
    """Train 64-hidden(-hidden)-10 with dropout ``p`` after each hidden ReLU on the 8×8 digits
    (fixed 75/25 stratified split), then compare weight scaling with the arithmetic and
    geometric means over ``n_masks`` sampled masks. ``seed`` sets initialisation, minibatches
    and masks. The history holds :func:`averaging_curve`."""
    c = config
    data = load_digits_rows(seed=0, fractions=(0.75, 0.0, 0.25))
    X, y = data.train.x.flatten(1), data.train.y
    Xt, yt = data.test.x.flatten(1), data.test.y
    torch.manual_seed(c["seed"])
    model = FeedForwardNet(64, (c["hidden"],) * c["depth"], 10, dropout=c["p"])
    gen = torch.Generator().manual_seed(c["seed"])
    train_classifier(model, X, y, steps=c["steps"], lr=c["lr"], batch_size=c["batch_size"],
                     generator=gen)
    model.eval()
    with torch.no_grad():
        ws_probs = model(Xt).softmax(-1)
        train_acc = float((model(X).argmax(-1) == y).double().mean())
    masks_gen = torch.Generator().manual_seed(c["seed"] + 1)
    logits = sample_logits(model, Xt, c["n_masks"], generator=masks_gen)
    curve = averaging_curve(logits, ws_probs, yt)
    last = curve[curve["n_masks"] == c["n_masks"]].set_index("rule")
    single = [prediction_metrics(z.softmax(-1), yt)["acc"] for z in logits[:100]]
    out = {f"ws_{k}": v for k, v in prediction_metrics(ws_probs, yt).items()}
    for rule in ("arithmetic", "geometric"):
        for metric in ("acc", "nll", "gap", "log_gap"):
            out[f"{rule}_{metric}"] = float(last.loc[rule, metric])
    out |= {"single_mask_acc": sum(single) / len(single), "flip_rate": _flip_rate(logits),
            "train_acc": train_acc, "history": curve.to_dict("records")}
    return out
