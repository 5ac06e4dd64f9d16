"""Monte-Carlo dropout inference (Gal & Ghahramani 2016): dropout stays on at test time.

:func:`mc_dropout` is a context manager that puts a model in eval mode *except* its
stochastic-regularisation modules, which are switched to train mode (so their masks are
sampled) and restored on exit. "Stochastic" modules are:

* every :class:`seqdrop.nn.LSTM/GRU/RNN` (all variants: locked, recurrent, update, weight
  drop, zoneout -- zoneout then samples instead of using its expectation);
* torch's dropout layers (``nn.Dropout``, ``Dropout1d/2d/3d``, ``AlphaDropout``...) and
  ``torch.nn.RNNBase`` modules with ``dropout > 0``;
* :mod:`seqdrop.dropout`'s ``Dropout``, ``LockedDropout``, ``EmbeddingDropout``;
* any module with a truthy attribute ``mc_dropout = True`` (opt-in for user modules).

Everything else (BatchNorm, ...) is in eval mode. :func:`mc_predict` runs ``n_samples``
stochastic passes without gradients and returns the mean and standard deviation
(population, ``correction=0``) of the outputs, accumulated in float64-free streaming form
(Welford) so memory does not grow with ``n_samples``.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch import Tensor, nn

from .. import dropout as _sd
from .rnn import SeqdropRNNBase

__all__ = ["mc_dropout", "mc_predict", "is_stochastic"]


def is_stochastic(module: nn.Module) -> bool:
    """Whether ``module`` is switched to train mode by :func:`mc_dropout`."""
    if getattr(module, "mc_dropout", False) is True:
        return True
    if isinstance(module, SeqdropRNNBase):
        return True
    if isinstance(module, nn.modules.dropout._DropoutNd):
        return True
    if isinstance(module, (_sd.Dropout, _sd.LockedDropout, _sd.EmbeddingDropout)):
        return True
    if isinstance(module, nn.RNNBase) and getattr(module, "dropout", 0) > 0:
        return True
    return False


@contextmanager
def mc_dropout(model: nn.Module) -> Iterator[nn.Module]:
    """Eval mode with dropout kept on; restores every module's previous mode on exit."""
    modes = {m: m.training for m in model.modules()}
    try:
        model.eval()
        for m in model.modules():
            if is_stochastic(m):
                m.train()
        yield model
    finally:
        for m, mode in modes.items():
            m.training = mode


def _first(out: Any) -> Tensor:
    while isinstance(out, (tuple, list)):
        out = out[0]
    if isinstance(out, nn.utils.rnn.PackedSequence):
        out = out.data
    return out


def mc_predict(
    model: nn.Module,
    fn_or_inputs: Callable[[nn.Module], Any] | Tensor | tuple,
    n_samples: int = 100,
    *,
    transform: Callable[[Tensor], Tensor] | None = None,
) -> tuple[Tensor, Tensor]:
    """Predictive mean and spread over ``n_samples`` stochastic forward passes.

    ``fn_or_inputs``: a callable ``fn(model) -> output`` or the model's input(s) (a tensor, or
    a tuple passed as ``model(*inputs)``). If the output is a tuple (e.g. an RNN's
    ``(output, h_n)``) its first element is used. ``transform`` maps each sample before
    averaging (e.g. ``lambda z: z.softmax(-1)`` to average probabilities, as Gal & Ghahramani
    do). Runs under :func:`mc_dropout` and ``torch.no_grad``. Returns ``(mean, std)``.
    """
    if isinstance(n_samples, bool) or not isinstance(n_samples, int) or n_samples < 1:
        raise ValueError(f"n_samples must be a positive int, got {n_samples!r}")
    if callable(fn_or_inputs) and not isinstance(fn_or_inputs, (Tensor, nn.Module)):
        run = fn_or_inputs
    elif isinstance(fn_or_inputs, tuple):
        run = lambda m: m(*fn_or_inputs)  # noqa: E731
    else:
        run = lambda m: m(fn_or_inputs)  # noqa: E731
    mean = m2 = None
    with torch.no_grad(), mc_dropout(model):
        for k in range(1, n_samples + 1):
            y = _first(run(model))
            if transform is not None:
                y = transform(y)
            y = y.detach()
            if mean is None:
                mean = y.clone()
                m2 = torch.zeros_like(y)
                continue
            delta = y - mean
            mean += delta / k
            m2 += delta * (y - mean)
    std = (m2 / n_samples).sqrt()
    return mean, std
