"""Optimizers, learning-rate schedules, penalties and the non-finite-loss guard of the trainer.

- SGD / Adam, and NT-ASGD (Merity et al. 2017, §3): switch to averaged SGD when the validation
  loss has not improved on the best of all but the last ``nonmono`` epochs; evaluation then
  uses the averaged weights (:func:`averaged_weights`).
- Zaremba et al. (2014)'s step decay: ``lr_e = lr · decay^max(0, e − decay_start)``; and
  reduce-on-plateau.
- Explicit L1/L2 penalties on the weight matrices.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import torch
from torch import Tensor, nn

from .config import NonFiniteLossError, TrainConfig

__all__ = ["make_optimizer", "step_lr", "plateau_decay", "ntasgd_should_switch", "averaged_weights", "penalty", "FiniteGuard"]


def make_optimizer(params: Iterable[nn.Parameter], config: TrainConfig, lr: float, *, asgd: bool) -> torch.optim.Optimizer:
    """The run's optimizer (``asgd=True``: the averaged SGD that NT-ASGD switches to)."""
    params = list(params)
    if asgd:
        return torch.optim.ASGD(params, lr=lr, t0=0, lambd=0.0, weight_decay=config.weight_decay)
    if config.optimizer == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=config.weight_decay)
    return torch.optim.SGD(params, lr=lr, momentum=config.momentum, weight_decay=config.weight_decay)


def step_lr(config: TrainConfig, epoch: int, current: float) -> float:
    """Learning rate of epoch ``epoch`` (1-based): step decay, else the current rate."""
    c = config
    if c.lr_schedule == "step":
        return max(c.min_lr, c.lr * c.lr_decay ** max(0, epoch - c.decay_start))
    return current


def plateau_decay(config: TrainConfig, lr: float, bad_epochs: int, improved: bool) -> tuple[float, int]:
    """Reduce-on-plateau: (new lr, epochs without improvement since the last decay)."""
    if config.lr_schedule != "plateau":
        return lr, bad_epochs
    bad_epochs = 0 if improved else bad_epochs + 1
    if bad_epochs > config.plateau_patience:
        return max(config.min_lr, lr * config.lr_decay), 0
    return lr, bad_epochs


def ntasgd_should_switch(val_losses: list[float], val_loss: float, nonmono: int) -> bool:
    """Merity et al. 2017, Algorithm 1: ``val_loss`` is worse than the best but the last ``nonmono``."""
    return len(val_losses) > nonmono and val_loss > min(val_losses[:-nonmono])


@contextmanager
def averaged_weights(optimizer: torch.optim.Optimizer, active: bool) -> Iterator[None]:
    """Under ASGD, put the averaged weights in place for the block, then restore the originals."""
    saved: dict[nn.Parameter, Tensor] = {}
    if active:
        for group in optimizer.param_groups:
            for p in group["params"]:
                st = optimizer.state.get(p, {})
                if "ax" in st:
                    saved[p] = p.detach().clone()
                    p.data.copy_(st["ax"])
    try:
        yield
    finally:
        for p, v in saved.items():
            p.data.copy_(v)


def penalty(model: nn.Module, l1: float, l2: float) -> Tensor | float:
    """``l1 · Σ|w| + l2 · Σ w²`` over the weight matrices (parameters with ≥ 2 dimensions)."""
    if not (l1 or l2):
        return 0.0
    ws = [p for p in model.parameters() if p.dim() >= 2]
    pen: Tensor | float = 0.0
    if l1:
        pen = pen + l1 * sum(w.abs().sum() for w in ws)
    if l2:
        pen = pen + l2 * sum(w.pow(2).sum() for w in ws)
    return pen


class FiniteGuard:
    """Checks the training losses every ``every`` steps (one device sync per check)."""

    def __init__(self, every: int) -> None:
        self.every = every
        self.pending: list[tuple[int, Tensor]] = []

    def add(self, step_in_epoch: int, loss: Tensor) -> None:
        self.pending.append((step_in_epoch, loss.detach()))

    def check(self, *, epoch: int, global_step: int, lr: float, clip: float | None, force: bool = False) -> None:
        """Raise :class:`NonFiniteLossError` naming the first bad step; ``global_step`` is the last one added."""
        pending = self.pending
        if not pending or (len(pending) < self.every and not force):
            return
        vals = torch.stack([v for _, v in pending])
        if not bool(torch.isfinite(vals).all()):
            first = int((~torch.isfinite(vals)).nonzero()[0, 0])
            step_in_epoch, v = pending[first]
            raise NonFiniteLossError(
                f"non-finite training loss ({v.item()}) at epoch {epoch}, step {step_in_epoch} of the epoch "
                f"(global step {global_step - len(pending) + first + 1}). Hint: lower the learning rate "
                f"(lr={lr:g}) or clip the gradient norm (clip={clip})."
            )
        pending.clear()
