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

Everything else (BatchNorm, ...) is in eval mode. :func:`mc_passes` is the one Monte-Carlo
sampler: it yields the outputs of ``n_samples`` stochastic passes without gradients, one at a
time. Two reductions of it: :func:`mc_samples` keeps every pass (to study the estimate after
the first ``n`` of them), :func:`mc_predict` returns the mean and standard deviation
(population, ``correction=0``) accumulated in streaming form (Welford) so memory does not
grow with ``n_samples``.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch import Tensor, nn

from .. import dropout as _sd
from .._validation import check_int
from .rnn import SeqdropRNNBase

__all__ = ["mc_dropout", "mc_passes", "mc_samples", "mc_predict", "is_stochastic"]


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


def _runner(fn_or_inputs: Callable[[nn.Module], Any] | Tensor | tuple) -> Callable[[nn.Module], Any]:
    if callable(fn_or_inputs) and not isinstance(fn_or_inputs, (Tensor, nn.Module)):
        return fn_or_inputs
    if isinstance(fn_or_inputs, tuple):
        return lambda m: m(*fn_or_inputs)
    return lambda m: m(fn_or_inputs)


def mc_passes(
    model: nn.Module,
    fn_or_inputs: Callable[[nn.Module], Any] | Tensor | tuple,
    n_samples: int,
    *,
    transform: Callable[[Tensor], Tensor] | None = None,
    generator: torch.Generator | None = None,
) -> Iterator[Tensor]:
    """Yield the outputs of ``n_samples`` stochastic forward passes, one pass at a time.

    The Monte-Carlo dropout sampler (Gal & Ghahramani 2016, eq. 8; Srivastava et al. 2014
    §7.5): each pass runs under :func:`mc_dropout` and ``torch.no_grad``, so only the
    dropout modules sample fresh masks. ``fn_or_inputs``: a callable ``fn(model) -> output``
    or the model's input(s) (a tensor, or a tuple passed as ``model(*inputs)``); of a tuple
    output (e.g. an RNN's ``(output, h_n)``) the first element is used. ``transform`` maps
    each sample (e.g. ``lambda z: z.softmax(-1)``). ``generator`` draws the masks of the
    layers that take one (:func:`seqdrop.dropout.masks_from`), so the passes are
    reproducible; without it they come from each layer's own generator or torch's global one.
    Every module's mode (and generator) is restored when the iteration ends.
    """
    n_samples = check_int("n_samples", n_samples, 1)  # checked now, not at the first pass
    _sd._check_generator(generator)
    return _passes(model, _runner(fn_or_inputs), n_samples, transform, generator)


def _passes(model: nn.Module, run: Callable[[nn.Module], Any], n_samples: int,
            transform: Callable[[Tensor], Tensor] | None,
            generator: torch.Generator | None) -> Iterator[Tensor]:
    with torch.no_grad(), mc_dropout(model), _sd.masks_from(model, generator):
        for _ in range(n_samples):
            y = _first(run(model))
            yield (y if transform is None else transform(y)).detach()


def mc_samples(
    model: nn.Module,
    fn_or_inputs: Callable[[nn.Module], Any] | Tensor | tuple,
    n_samples: int,
    *,
    transform: Callable[[Tensor], Tensor] | None = None,
    generator: torch.Generator | None = None,
) -> Tensor:
    """Every pass of :func:`mc_passes` stacked on a new first dimension ``(n_samples, ...)``:
    the estimate after the first ``n`` passes is ``samples[:n].mean(0)``."""
    return torch.stack(list(mc_passes(model, fn_or_inputs, n_samples, transform=transform,
                                      generator=generator)))


def mc_predict(
    model: nn.Module,
    fn_or_inputs: Callable[[nn.Module], Any] | Tensor | tuple,
    n_samples: int = 100,
    *,
    transform: Callable[[Tensor], Tensor] | None = None,
    generator: torch.Generator | None = None,
) -> tuple[Tensor, Tensor]:
    """Predictive mean and spread over the ``n_samples`` passes of :func:`mc_passes`
    (same arguments), accumulated pass by pass (Welford). Returns ``(mean, std)``.

    ``transform=lambda z: z.softmax(-1)`` averages probabilities, as Gal & Ghahramani do.
    """
    mean = m2 = None
    for k, y in enumerate(mc_passes(model, fn_or_inputs, n_samples, transform=transform,
                                    generator=generator), start=1):
        if mean is None:
            mean = y.clone()
            m2 = torch.zeros_like(y)
            continue
        delta = y - mean
        mean += delta / k
        m2 += delta * (y - mean)
    std = (m2 / n_samples).sqrt()
    return mean, std
