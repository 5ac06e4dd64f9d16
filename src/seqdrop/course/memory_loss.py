"""Recurrent dropout and memory: which mask sites erase what a gated cell stores.

Semeniuta, Severyn & Barth 2016 ("Recurrent Dropout without Memory Loss", arXiv:1603.05118,
§3) argue that a fresh dropout mask on the memory itself -- the LSTM cell state ``c_t``, or
the GRU state ``h_{t-1}`` where it is carried into ``h_t`` (``GRUCell(x, m ⊙ h)``) -- zeroes
every stored unit with probability ``p`` at every step, so after ``t`` steps only a share
``(1-p)^t`` of the units still holds what was written at step 0. Dropping only the candidate
update (LSTM ``g_t``, GRU ``n_t``) or only ``W_hh h_{t-1}`` (Gal & Ghahramani 2016; the GRU
carry keeps the undropped state) leaves the stored value alone.

:func:`memory_curve` measures this with the reference cells of :mod:`seqdrop.nn.reference`:
a random cell (forget gate, or GRU update gate, biased towards keeping), a random initial
memory ``s_0`` and random inputs; at each step the share of the variance of ``s_0`` that a
linear read-out (least squares, fitted on half of the sequences and scored on the other
half) recovers from the state (held-out R²).

Chapters: 03, 04.
"""
from __future__ import annotations

import math

import pandas as pd
import torch
from torch import Tensor

from ..dropout import bernoulli_mask
from ..nn import reference
from .._validation import ParameterError, check_choice, check_int, check_probability

__all__ = ["SITES", "memory_curve", "decodable_fraction", "ideal_state_survival"]

#: mask sites per cell: site -> what is dropped
SITES = {
    "lstm": {
        "none": "no dropout",
        "state per step": "c_t ⊙ m_t, a fresh mask every step (dropout on the memory)",
        "recurrent per sequence": "W_hh (m ⊙ h_{t-1}), one mask per sequence (Gal)",
        "update per step": "i_t ⊙ (g_t ⊙ m_t), a fresh mask every step (Semeniuta)",
    },
    "gru": {
        "none": "no dropout",
        "state per step": "GRUCell(x_t, m_t ⊙ h_{t-1}): the carry is dropped too",
        "recurrent per sequence": "W_hh (m ⊙ h_{t-1}) only, carry undropped (Gal; seqdrop)",
        "update per step": "n_t ⊙ m_t, a fresh mask every step (Semeniuta)",
    },
}


def decodable_fraction(state: Tensor, target: Tensor) -> float:
    """Held-out R² of the least-squares read-out of ``target (N, D)`` from ``state (N, H)``.

    Fitted on the first half of the rows, scored on the second half, averaged over the
    ``D`` target dimensions and clipped at 0 (1 = ``target`` fully recoverable, 0 = no
    linear information; a read-out worse than the mean also scores 0).
    """
    n = state.shape[0] // 2
    if n < state.shape[1] + 2:
        raise ParameterError(f"need more than {2 * (state.shape[1] + 2)} sequences to fit the read-out")
    design = torch.cat([state, torch.ones(state.shape[0], 1, dtype=state.dtype)], 1).double()
    coef = torch.linalg.lstsq(design[:n], target[:n].double()).solution
    resid = target[n:].double() - design[n:] @ coef
    total = ((target[n:].double() - target[n:].double().mean(0)) ** 2).sum(0)
    return max(0.0, float((1 - (resid**2).sum(0) / total).mean()))


def ideal_state_survival(p: float, steps: int) -> list[float]:
    """``(1-p)^t`` for t = 0..steps: the share of units of a cell that is told to hold its
    memory (forget gate 1, input gate 0) still holding it under a fresh mask per step on c_t."""
    return [(1 - p) ** t for t in range(steps + 1)]


def _weights(cell: str, hidden: int, keep_bias: float, g: torch.Generator) -> list[Tensor]:
    """torch's default init U(±1/√H) for ``(w_ih, w_hh, b_ih, b_hh)``; the gate that keeps
    the memory (LSTM forget gate, GRU update gate ``z``) gets ``keep_bias`` in ``b_ih``."""
    gates = 4 if cell == "lstm" else 3
    bound = 1 / math.sqrt(hidden)
    shapes = [(gates * hidden, hidden), (gates * hidden, hidden), (gates * hidden,), (gates * hidden,)]
    w = [(torch.rand(s, generator=g) * 2 - 1) * bound for s in shapes]
    w[2][hidden : 2 * hidden] += keep_bias  # block 1: LSTM f (order i, f, g, o), GRU z (r, z, n)
    return w


def _step(cell: str, site: str, x: Tensor, h: Tensor, c: Tensor, w: list[Tensor], mask: Tensor | None) -> tuple[Tensor, Tensor]:
    if cell == "lstm":
        rec = mask if site == "recurrent per sequence" else None
        upd = mask if site == "update per step" else None
        h, c = reference.lstm_cell(x, h, c, *w, recurrent_mask=rec, update_mask=upd)
        return h, (c * mask if site == "state per step" else c)
    if site == "state per step":
        return reference.gru_cell(x, h * mask, *w), c
    rec = mask if site == "recurrent per sequence" else None
    upd = mask if site == "update per step" else None
    return reference.gru_cell(x, h, *w, recurrent_mask=rec, update_mask=upd), c


@torch.no_grad()
def memory_curve(
    cell: str,
    site: str,
    p: float,
    *,
    steps: int = 40,
    hidden_size: int = 32,
    n_sequences: int = 2048,
    keep_bias: float = 3.0,
    seed: int = 0,
) -> pd.DataFrame:
    """How much of the initial memory the state still holds after each step, under ``site``.

    The memory is ``c_0`` (LSTM) or ``h_0`` (GRU), drawn N(0, 1); inputs are N(0, 1) and
    the same for every site and ``p`` (the weights and data depend only on ``seed``).
    Returns one row per step ``t = 0..steps`` with ``cell, site, p, t, memory`` (held-out
    R² of ``s_0`` from ``c_t`` or ``h_t``, :func:`decodable_fraction`).
    """
    cell = check_choice("cell", cell, list(SITES))
    site = check_choice("site", site, list(SITES[cell]))
    p = check_probability("p", p)
    steps = check_int("steps", steps, 1)
    hidden = check_int("hidden_size", hidden_size, 1)
    n = check_int("n_sequences", n_sequences, 2 * hidden + 6)
    g = torch.Generator().manual_seed(seed)
    w = _weights(cell, hidden, keep_bias, g)
    memory = torch.randn(n, hidden, generator=g)
    xs = torch.randn(steps, n, hidden, generator=g)
    h, c = (torch.zeros(n, hidden), memory) if cell == "lstm" else (memory, torch.zeros(n, hidden))
    masks = torch.Generator().manual_seed(seed + 1)
    fixed = bernoulli_mask((n, hidden), p, generator=masks) / (1 - p)
    rows = [{"t": 0, "memory": decodable_fraction(memory, memory)}]
    for t in range(steps):
        m = fixed if site.endswith("sequence") else bernoulli_mask((n, hidden), p, generator=masks) / (1 - p)
        h, c = _step(cell, site, xs[t], h, c, w, None if site == "none" else m)
        rows.append({"t": t + 1, "memory": decodable_fraction(c if cell == "lstm" else h, memory)})
    return pd.DataFrame(rows).assign(cell=cell, site=site, p=p)[["cell", "site", "p", "t", "memory"]]
