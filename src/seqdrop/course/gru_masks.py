"""Where a recurrent dropout mask can go in a GRU, and what each placement does to the state.

A GRU step (Cho et al. 2014) reads ``h_{t-1}`` in four places: the reset gate ``r``, the
update gate ``z``, the candidate ``n`` and the carry ``z ⊙ h_{t-1}``. The candidate comes in
two layouts:

- **reset before** (Cho et al. 2014; Keras ``reset_after=False``):
  ``n = tanh(W_in x + b_in + W_hn (r ⊙ h) + b_hn)``;
- **reset after** (cuDNN, ``torch.nn.GRU``, Keras ``reset_after=True``):
  ``n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))``.

Gal & Ghahramani 2016 and Keras' ``recurrent_dropout`` put the mask on ``h_{t-1}`` where it
enters the weight products only (``W_h· (m ⊙ h)``); the carry keeps the undropped state.
``torch.nn.GRUCell(x, m ⊙ h)`` drops the carry too. :mod:`seqdrop.nn` uses the reset-after
layout (torch's weights, fused kernels) and masks the weight products only
(:func:`seqdrop.nn.reference.gru_cell`). :func:`placement_noise` measures, for one step,
how much noise each placement puts into ``h_t``.

Chapters: 04.
"""
from __future__ import annotations

import math

import pandas as pd
import torch
from torch import Tensor

from ..dropout import bernoulli_mask
from ..nn import reference
from .._validation import check_int, check_probability

__all__ = ["PLACEMENTS", "gru_cell_reset_before", "gru_step", "carry_identity_error", "placement_noise"]

#: placement -> description (the rows of :func:`placement_noise`)
PLACEMENTS = {
    "reset after, carry kept": "seqdrop.nn.GRU; Keras reset_after=True (Gal)",
    "reset before, carry kept": "Keras reset_after=False (Cho et al. 2014 layout)",
    "reset after, carry dropped": "torch.nn.GRUCell(x, m ⊙ h)",
}


def gru_cell_reset_before(
    x: Tensor, h: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,
    b_hh: Tensor | None = None, *, recurrent_mask: Tensor | None = None,
) -> Tensor:
    """One GRU step in Cho et al.'s layout, torch's weight shapes (gate order r, z, n)::

        r = σ(W_ir x + b_ir + W_hr (m ⊙ h) + b_hr)
        z = σ(W_iz x + b_iz + W_hz (m ⊙ h) + b_hz)
        n = tanh(W_in x + b_in + W_hn (r ⊙ m ⊙ h) + b_hn)
        h' = (1 - z) ⊙ n + z ⊙ h                       carry: undropped h
    """
    hm = h if recurrent_mask is None else h * recurrent_mask
    xr, xz, xn = (x @ w_ih.t() + (0 if b_ih is None else b_ih)).chunk(3, -1)
    w_hr, w_hz, w_hn = w_hh.chunk(3, 0)
    b_hr, b_hz, b_hn = (0, 0, 0) if b_hh is None else b_hh.chunk(3, -1)
    r = (xr + hm @ w_hr.t() + b_hr).sigmoid()
    z = (xz + hm @ w_hz.t() + b_hz).sigmoid()
    n = (xn + (r * hm) @ w_hn.t() + b_hn).tanh()
    return (1 - z) * n + z * h


def gru_step(placement: str, x: Tensor, h: Tensor, weights: list[Tensor], mask: Tensor | None) -> Tensor:
    """One step with the recurrent ``mask`` at ``placement`` (a key of :data:`PLACEMENTS`)."""
    if placement == "reset before, carry kept":
        return gru_cell_reset_before(x, h, *weights, recurrent_mask=mask)
    if placement == "reset after, carry dropped":
        return reference.gru_cell(x, h if mask is None else h * mask, *weights)
    if placement == "reset after, carry kept":
        return reference.gru_cell(x, h, *weights, recurrent_mask=mask)
    raise ValueError(f"placement must be one of {list(PLACEMENTS)}, got {placement!r}")


def _setup(hidden: int, batch: int, seed: int) -> tuple[Tensor, Tensor, list[Tensor]]:
    g = torch.Generator().manual_seed(seed)
    bound = 1 / math.sqrt(hidden)
    shapes = [(3 * hidden, hidden), (3 * hidden, hidden), (3 * hidden,), (3 * hidden,)]
    weights = [(torch.rand(s, generator=g) * 2 - 1) * bound for s in shapes]
    x, h = torch.randn(batch, hidden, generator=g), torch.randn(batch, hidden, generator=g).tanh()
    return x, h, weights


@torch.no_grad()
def carry_identity_error(p: float = 0.5, *, hidden: int = 16, batch: int = 8, seed: int = 0) -> float:
    """``max |h_kept − h_dropped − z ⊙ (1 − m) ⊙ h_{t-1}|`` for one step and one mask: the two
    reset-after placements differ by exactly the dropped part of the carry (0 up to rounding)."""
    x, h, w = _setup(hidden, batch, seed)
    m = bernoulli_mask((batch, hidden), p, generator=torch.Generator().manual_seed(seed + 1)) / (1 - p)
    kept = gru_step("reset after, carry kept", x, h, w, m)
    dropped = gru_step("reset after, carry dropped", x, h, w, m)
    z = (x @ w[0].t() + w[2] + (h * m) @ w[1].t() + w[3]).chunk(3, -1)[1].sigmoid()
    return float((kept - dropped - z * (1 - m) * h).abs().max())


@torch.no_grad()
def placement_noise(
    p: float, *, hidden: int = 32, batch: int = 64, n_masks: int = 500, seed: int = 0
) -> pd.DataFrame:
    """Per placement, over ``n_masks`` masks on one GRU step: the noise std of ``h_t``
    (averaged over units and sequences), and the bias ``|E_m[h_t] − h_t(no mask)|``.

    ``noise_ratio`` divides each std by that of the seqdrop placement.
    """
    p = check_probability("p", p)
    n_masks = check_int("n_masks", n_masks, 2)
    x, h, w = _setup(check_int("hidden", hidden, 1), check_int("batch", batch, 1), seed)
    g = torch.Generator().manual_seed(seed + 1)
    masks = [bernoulli_mask((batch, hidden), p, generator=g) / (1 - p) for _ in range(n_masks)]
    rows = []
    for placement, source in PLACEMENTS.items():
        clean = gru_step(placement, x, h, w, None)
        draws = torch.stack([gru_step(placement, x, h, w, m) for m in masks])
        rows.append({"placement": placement, "as in": source, "noise_std": float(draws.std(0).mean()),
                     "bias": float((draws.mean(0) - clean).abs().mean())})
    out = pd.DataFrame(rows)
    out["noise_ratio"] = out["noise_std"] / out.loc[0, "noise_std"]
    return out
