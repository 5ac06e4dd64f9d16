"""A stacked tanh RNN classifier with every dropout variant of :data:`seqdrop.experiments.mask_sites.VARIANTS`,
and measurements of how recurrent masks disturb the state over time.

- :class:`ElmanClassifier` — ``layers`` tanh Elman layers over ``(B, T, F)`` input, logits from
  the last state. In training mode with ``p > 0`` it runs :func:`seqdrop.nn.reference.recurrence`
  with the variant's masks (one code path for every variant, per-step recurrent masks
  included); without masks it runs the fused ``torch.nn.RNN`` (the same equations).
- :func:`latch_retention` — units that store a bit on a self-loop (``h_t = tanh(g m_t h_{t-1})``):
  a per-step mask erases a unit the first time it drops it, so the share of stored bits decays
  like ``(1-p)^t``; a per-sequence mask erases the same ``p`` share once (Bayer et al. 2013;
  Gal & Ghahramani 2016, §4).
- :func:`state_deviation` — relative distance of a masked trajectory from the dropout-free one,
  per time step, for per-step and per-sequence recurrent masks.
- :func:`train_rnn_variant` — a sweep trial on MNIST rows (28 steps × 28 pixels).

Chapters: 02.
"""
from __future__ import annotations

from typing import Any

import pandas as pd
import torch
from torch import Tensor, _VF, nn

from ..experiments.mask_sites import VARIANTS, sample_masks
from ..nn.reference import recurrence
from .._validation import check_choice, check_float, check_int, check_probability
from .regularizers import classification_outcome, mnist_subset
from ..sweep import trial_function
from ..train import fit
from ..utils import seed_everything

__all__ = ["ElmanClassifier", "latch_retention", "state_deviation", "train_rnn_variant"]


class ElmanClassifier(nn.Module):
    """``layers`` tanh RNN layers (torch's parameters and init) → linear head on ``h_T``.

    ``variant`` and ``p`` choose the masks (:data:`seqdrop.experiments.mask_sites.VARIANTS`), drawn from
    ``generator`` at every training-mode forward call.
    """

    def __init__(self, input_size: int, hidden: int, num_classes: int, layers: int = 2, *,
                 variant: str = "none", p: float = 0.0,
                 generator: torch.Generator | None = None) -> None:
        super().__init__()
        self.variant = check_choice("variant", variant, VARIANTS)
        self.p = check_probability("p", p)
        self.layers = check_int("layers", layers, 1)
        self.rnn = nn.RNN(input_size, hidden, layers, nonlinearity="tanh")
        self.head = nn.Linear(hidden, num_classes)
        self.generator = generator

    def _weights(self, layer: int) -> list[Tensor]:
        return [getattr(self.rnn, f"{n}_l{layer}") for n in
                ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]

    def masked_states(self, x: Tensor, masks: dict[str, Tensor]) -> Tensor:
        """Last-layer states ``(T, B, H)`` of time-first ``x`` under the given masks."""
        h = x
        zeros = x.new_zeros(x.shape[1], self.rnn.hidden_size)
        for layer in range(self.layers):
            if layer > 0 and "between" in masks:
                h = h * masks["between"][layer - 1]
            rec = masks.get("recurrent")
            weights = masks.get("weights")
            if rec is None:  # no mask inside the recurrence: torch's fused kernel, same equations
                w_ih, w_hh, b_ih, b_hh = self._weights(layer)
                if weights is not None:
                    w_hh = w_hh * weights[layer]  # DropConnect: one mask for the sequence
                h, _ = _VF.rnn_tanh(h, zeros[None], [w_ih, w_hh, b_ih, b_hh], True, 1, 0.0,
                                    False, False, False)
                continue
            h, _, _ = recurrence(
                "rnn_tanh", h, zeros, self._weights(layer), recurrent_mask=list(rec[layer]),
                weight_mask=None if weights is None else weights[layer])
        return h

    def forward(self, x: Tensor, lengths: Tensor | None = None) -> Tensor:
        x = x.transpose(0, 1)  # (T, B, F)
        masks: dict[str, Tensor] = {}
        if self.training and self.p > 0:
            masks = sample_masks(self.variant, self.p, steps=x.shape[0], batch=x.shape[1],
                                 input_size=x.shape[2], hidden=self.rnn.hidden_size,
                                 layers=self.layers, generator=self.generator)
        states = self.masked_states(x, masks) if masks else self.rnn(x)[0]
        last = states[-1]
        if "output" in masks:
            last = last * masks["output"]
        return self.head(last)


@torch.no_grad()
def latch_retention(p: float, steps: int, *, units: int = 1000, gain: float = 2.0,
                    per_step: bool, generator: torch.Generator | None = None) -> pd.DataFrame:
    """Share of self-loop "latch" units still holding their initial sign (with ``|h| > 0.5``)
    after ``t`` steps of ``h_t = tanh(gain · m_t ⊙ h_{t-1})``, masks scaled by ``1/(1-p)``."""
    p = check_probability("p", p)
    check_float("gain", gain, 1.0, None, low_closed=False)
    sign = torch.where(torch.rand(units, generator=generator) < 0.5, -1.0, 1.0)
    h = torch.tanh(gain * sign)
    fixed = torch.bernoulli(torch.full((units,), 1 - p), generator=generator) / (1 - p)
    rows = [{"t": 0, "retention": 1.0}]
    for t in range(1, check_int("steps", steps, 1) + 1):
        m = torch.bernoulli(torch.full((units,), 1 - p), generator=generator) / (1 - p) \
            if per_step else fixed
        h = torch.tanh(gain * m * h)
        held = ((h * sign) > 0.5).double().mean()
        rows.append({"t": t, "retention": float(held)})
    return pd.DataFrame(rows)


@torch.no_grad()
def state_deviation(rnn: nn.RNN, x: Tensor, p: float, *, n_masks: int, per_step: bool,
                    generator: torch.Generator | None = None) -> pd.DataFrame:
    """Per step ``t``: ``E ||h_t − h̄_t||² / ||h̄_t||²`` over ``n_masks`` recurrent masks on the
    first layer of ``rnn`` (``h̄``: the dropout-free states), for time-first ``x (T, B, F)``."""
    p = check_probability("p", p)
    T, B, _ = x.shape
    H = rnn.hidden_size
    w = [getattr(rnn, f"{n}_l0") for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
    clean, _, _ = recurrence("rnn_tanh", x, x.new_zeros(B, H), w)
    xs = x.repeat(1, n_masks, 1)  # (T, n_masks·B, F)
    shape = (T, n_masks * B, H) if per_step else (n_masks * B, H)
    m = torch.bernoulli(torch.full(shape, 1 - p), generator=generator) / (1 - p)
    masks = list(m) if per_step else m
    noisy, _, _ = recurrence("rnn_tanh", xs, xs.new_zeros(n_masks * B, H), w, recurrent_mask=masks)
    diff = (noisy.view(T, n_masks, B, H) - clean[:, None]).pow(2).sum(-1).mean((1, 2))
    rel = diff / clean.pow(2).sum(-1).mean(1).clamp_min(1e-12)
    return pd.DataFrame({"t": range(1, T + 1), "deviation": rel.numpy()})


@trial_function(
    defaults=dict(variant="none", p=0.0, hidden=64, layers=2, train_size=500, test_size=500,
                  epochs=20, batch_size=25, lr=1e-3, clip=1.0),
    checks=dict(
        variant=lambda k, v: check_choice(k, v, VARIANTS),
        p=check_probability,
        hidden=lambda k, v: check_int(k, v, 1, 4096),
        layers=lambda k, v: check_int(k, v, 2, 8),
        train_size=lambda k, v: check_int(k, v, 100, 4000),
        test_size=lambda k, v: check_int(k, v, 100, 4000),
        epochs=lambda k, v: check_int(k, v, 1, 10_000),
        batch_size=lambda k, v: check_int(k, v, 1, 4096),
        lr=lambda k, v: check_float(k, v, 0.0, 1.0, low_closed=False),
        clip=lambda k, v: check_float(k, v, 0.0, None, low_closed=False),
    ),
)
def train_rnn_variant(config: dict[str, Any]) -> dict[str, Any]:
    """:class:`ElmanClassifier` on ``train_size`` MNIST images read row by row, tested on
    ``test_size`` others (Adam, gradient clipping); metrics at the last epoch and at the
    epoch of best validation accuracy (``es_*``)."""
    c = config
    data = mnist_subset(c["train_size"], c["test_size"])
    seed_everything(c["seed"])
    model = ElmanClassifier(28, c["hidden"], 10, c["layers"], variant=c["variant"], p=c["p"],
                            generator=torch.Generator())
    result = fit(model, data, epochs=c["epochs"], batch_size=c["batch_size"], optimizer="adam",
                 lr=c["lr"], clip=c["clip"], seed=c["seed"], eval_batch_size=100, device="cpu",
                 progress=False, verbose=False)
    return classification_outcome(result.history)
