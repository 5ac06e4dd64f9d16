"""Dropout next to the other ways of fighting overfitting, on one feed-forward net.

- :class:`RandomShift` — data augmentation as a training-only layer: each image is moved by
  a random integer offset of up to ``max_shift`` pixels (zero fill) and gets Gaussian pixel
  noise of standard deviation ``noise`` (Simard et al. 2003 use such distortions on MNIST).
  Like dropout it is the identity in eval mode, so it plugs into any trainer.
- :func:`weight_stats` — what L1, L2 and dropout do to the first layer's weights.
- :func:`early_stopping_point` — the epoch a validation-based stop would keep.
- :func:`train_regularized_mlp` — a sweep trial: the 784-128-10 ReLU net with dropout, L1,
  L2, augmentation, on a small MNIST training subset; final-epoch and early-stopped metrics.

Chapters: 01, 02.
"""
from __future__ import annotations

import functools
from typing import Any

import pandas as pd
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..data import SequenceDataset, SequenceSplit, load_mnist_rows, stratified_split
from ..models import FeedForwardNet
from .._validation import check_float, check_int, check_probability
from ..sweep import trial_function
from ..train import fit
from ..utils import seed_everything

__all__ = [
    "RandomShift",
    "AugmentedNet",
    "weight_stats",
    "early_stopping_point",
    "classification_outcome",
    "mnist_subset",
    "train_regularized_mlp",
]


class RandomShift(nn.Module):
    """Random integer translation (zero fill) plus Gaussian pixel noise, in training mode only.

    Input ``(B, side, side)`` or ``(B, side*side)``; the output has the input's shape.
    ``generator`` makes the draws reproducible (:func:`seqdrop.train.fit` reseeds it).
    """

    def __init__(
        self, max_shift: int = 2, noise: float = 0.0, side: int = 28,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__()
        self.max_shift = check_int("max_shift", max_shift, 0, side - 1)
        self.noise = check_float("noise", noise, 0.0)
        self.side = check_int("side", side, 1)
        self.generator = generator

    def forward(self, x: Tensor) -> Tensor:
        if not self.training or (self.max_shift == 0 and self.noise == 0):
            return x
        b, s, n = x.shape[0], self.max_shift, self.side
        img = x.reshape(b, n, n)
        if s:
            padded = F.pad(img, (s, s, s, s))
            dy, dx = torch.randint(0, 2 * s + 1, (2, b, 1), generator=self.generator)
            rows = (dy + torch.arange(n)).unsqueeze(2)  # (B, n, 1)
            cols = (dx + torch.arange(n)).unsqueeze(1)  # (B, 1, n)
            img = padded[torch.arange(b)[:, None, None], rows, cols]
        if self.noise:
            img = img + self.noise * torch.randn(img.shape, generator=self.generator)
        return img.reshape(x.shape)

    def extra_repr(self) -> str:
        return f"max_shift={self.max_shift}, noise={self.noise}, side={self.side}"


class AugmentedNet(nn.Module):
    """``net(augment(x))``: a classifier with a training-only augmentation in front."""

    def __init__(self, augment: nn.Module, net: nn.Module) -> None:
        super().__init__()
        self.augment, self.net = augment, net

    def forward(self, x: Tensor, lengths: Tensor | None = None) -> Tensor:
        return self.net(self.augment(x))


@torch.no_grad()
def weight_stats(layer: nn.Linear, *, tol: float = 1e-3) -> dict[str, float]:
    """``near_zero``: share of weights with ``|w| < tol``; ``l1``/``l2``: mean |w| and RMS."""
    w = layer.weight
    if w.numel() == 0:
        raise ValueError("the layer has no weights")
    return {"near_zero": float((w.abs() < tol).double().mean()),
            "l1": float(w.abs().mean()), "l2": float(w.pow(2).mean().sqrt())}


def early_stopping_point(history: pd.DataFrame, metric: str = "val_acc") -> pd.Series:
    """The history row a validation-based stop keeps: best ``metric`` (highest accuracy or
    lowest loss), the earliest epoch on ties. Needs at least one epoch."""
    if history.empty:
        raise ValueError("empty history: no epoch to stop at")
    best = history[metric].max() if metric.endswith("acc") else history[metric].min()
    return history[history[metric] == best].iloc[0]


def classification_outcome(history: pd.DataFrame) -> dict[str, Any]:
    """A classification trial's record: metrics after the last epoch, the same at the
    early-stopping point (``es_*``, best validation accuracy), and the per-epoch history."""
    last, stop = history.iloc[-1], early_stopping_point(history)
    keys = ("train_acc", "train_loss", "val_acc", "val_loss", "test_acc", "test_loss")
    out: dict[str, Any] = {k: float(last[k]) for k in keys}
    out |= {f"es_{k}": float(stop[k]) for k in ("val_acc", "test_acc", "test_loss")}
    out["es_epoch"] = int(stop["epoch"])
    out["history"] = history[["epoch", *keys]].to_dict("records")
    return out


@functools.lru_cache(maxsize=8)
def mnist_subset(train_size: int, test_size: int | None = None) -> SequenceDataset:
    """The MNIST 5k subset split stratified into ``train_size`` training images, 500 for
    validation and ``test_size`` test images (default: all the rest, ``4500 − train_size``);
    a fixed split (seed 0), the test images a stratified subset of the rest."""
    train_size = check_int("train_size", train_size, 100, 4000)
    frac = train_size / 5000
    data = load_mnist_rows(fractions=(frac, 0.1, 0.9 - frac), seed=0)
    if test_size is None:
        return data
    rest = len(data.test)
    test_size = check_int("test_size", test_size, 100, rest)
    keep = stratified_split(data.test.y, (test_size / rest, 0.0, 1 - test_size / rest))[0]
    t = data.test
    test = SequenceSplit(t.x[keep], t.y[keep], t.lengths[keep])
    return SequenceDataset(data.train, data.valid, test, data.num_classes, data.num_features,
                           data.name)


@trial_function(
    defaults=dict(p=0.0, l1=0.0, l2=0.0, shift=0, noise=0.0, hidden=128, train_size=1000,
                  epochs=30, batch_size=32, lr=1e-3),
    checks=dict(
        p=check_probability,
        l1=lambda k, v: check_float(k, v, 0.0, 1.0),
        l2=lambda k, v: check_float(k, v, 0.0, 1.0),
        shift=lambda k, v: check_int(k, v, 0, 8),
        noise=lambda k, v: check_float(k, v, 0.0, 1.0),
        hidden=lambda k, v: check_int(k, v, 1, 4096),
        train_size=lambda k, v: check_int(k, v, 100, 4000),
        epochs=lambda k, v: check_int(k, v, 1, 10_000),
        batch_size=lambda k, v: check_int(k, v, 1, 4096),
        lr=lambda k, v: check_float(k, v, 0.0, 1.0, low_closed=False),
    ),
)
def train_regularized_mlp(config: dict[str, Any]) -> dict[str, Any]:
    """784-``hidden``-10 ReLU net (dropout ``p`` after the hidden layer) trained with Adam on
    ``train_size`` MNIST images, with penalties ``l1·Σ|W|`` and ``l2·ΣW²`` on the weight
    matrices and ``shift``/``noise`` augmentation. Metrics at the last epoch (``test_acc``,
    ...) and at the early-stopping point, the epoch of best validation accuracy (``es_*``)."""
    c = config
    data = mnist_subset(c["train_size"])
    seed_everything(c["seed"])
    net = FeedForwardNet(784, (c["hidden"],), 10, dropout=c["p"])
    augment = RandomShift(c["shift"], c["noise"], generator=torch.Generator())
    result = fit(AugmentedNet(augment, net), data, epochs=c["epochs"], batch_size=c["batch_size"],
                 optimizer="adam", lr=c["lr"], l1=c["l1"], l2=c["l2"], seed=c["seed"],
                 eval_batch_size=100, device="cpu", progress=False, verbose=False)
    out = classification_outcome(result.history)
    out |= {f"w_{k}": v for k, v in weight_stats(net.net[0]).items()}
    return out
