"""Plain-autograd LSTM, GRU and Elman cells with every dropout mask site, and their loop.

This is the readable version of what :class:`seqdrop.nn.LSTM`/``GRU``/``RNN`` compute: a
few lines of tensor algebra per equation, differentiated by autograd. The notebooks use it
to teach; the tests use it as the oracle the fast paths (fused kernels, the custom-backward
step loop of :mod:`seqdrop.nn.recurrence`) must equal. It is slow (one Python step per
time step, autograd through every op): use the layers for training.

Mask sites (every mask is optional and already scaled, e.g. by ``1/(1-p)``; draw them with
:func:`seqdrop.dropout.bernoulli_mask`):

=====================  ==============================================================
``input_mask``         on ``x_t`` (Gal & Ghahramani 2016 locked; Zaremba et al. 2014 per step)
``recurrent_mask``     on ``h_{t-1}`` inside ``W_hh h_{t-1}`` (Gal & Ghahramani 2016);
                       ``(B, H)`` tied, ``(G, B, H)`` untied (one per gate)
``update_mask``        on the candidate: LSTM ``g_t``, GRU ``n_t``, RNN pre-activation
                       (Semeniuta et al. 2016)
``weight_mask``        on ``W_hh`` itself, ``(G*H, H)`` (DropConnect; Merity et al. 2017)
``zoneout_h/_c``       keep-old selector, 1 = keep ``h_{t-1}`` (``c_{t-1}``) (Krueger et
                       al. 2017); a float ``p`` = the expectation used at evaluation
=====================  ==============================================================

In :func:`recurrence` a mask given as a tensor is used at every step (one mask per
sequence); a list or tuple of ``T`` tensors gives one mask per step.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Union

import torch
from torch import Tensor

__all__ = [
    "lstm_cell", "gru_cell", "rnn_cell", "lstm_update", "gru_update", "rnn_update", "recurrence",
    "projected_recurrence",
]

Mask = Union[Tensor, float, None]
StepMask = Union[Tensor, Sequence[Tensor], float, None]


def _hh(h: Tensor, w_hh: Tensor, b_hh: Tensor | None, recurrent_mask: Tensor | None) -> Tensor:
    """``W_hh (m ⊙ h) + b_hh``; an untied ``(G, B, H)`` mask gives each gate block its own."""
    if recurrent_mask is None:
        hh = h @ w_hh.t()
    elif recurrent_mask.dim() == h.dim():  # tied
        hh = (recurrent_mask * h) @ w_hh.t()
    else:
        blocks = w_hh.chunk(recurrent_mask.shape[0], 0)
        hh = torch.cat([(m * h) @ w.t() for m, w in zip(recurrent_mask, blocks)], -1)
    return hh if b_hh is None else hh + b_hh


def _zoneout(new: Tensor, old: Tensor, z: Mask) -> Tensor:
    """``z ⊙ old + (1 - z) ⊙ new`` (Krueger et al. 2017, eq. 5)."""
    return new if z is None else z * old + (1 - z) * new


def _linear(x: Tensor, w: Tensor, b: Tensor | None) -> Tensor:
    return x @ w.t() if b is None else x @ w.t() + b


def lstm_update(
    xp: Tensor, h: Tensor, c: Tensor, w_hh: Tensor, b_hh: Tensor | None = None, w_hr: Tensor | None = None, *,
    recurrent_mask: Tensor | None = None, update_mask: Tensor | None = None, zoneout_h: Mask = None,
    zoneout_c: Mask = None,
) -> tuple[Tensor, Tensor]:
    """One LSTM step from the input projection ``xp = W_ih x + b_ih`` (see :func:`lstm_cell`).

    ``w_hr`` ``(P, H)``: the projection of LSTMs with ``proj_size = P`` (Sak et al. 2014):
    ``h' = W_hr (σ(o) ⊙ tanh(c'))``, so ``h`` (and the recurrent mask and zoneout on it)
    has ``P`` units while ``c`` keeps ``H``.
    """
    a = xp + _hh(h, w_hh, b_hh, recurrent_mask)
    i, f, g, o = a.chunk(4, -1)
    g = g.tanh() if update_mask is None else g.tanh() * update_mask
    c_new = f.sigmoid() * c + i.sigmoid() * g
    h_new = o.sigmoid() * c_new.tanh()
    if w_hr is not None:
        h_new = h_new @ w_hr.t()
    return _zoneout(h_new, h, zoneout_h), _zoneout(c_new, c, zoneout_c)


def lstm_cell(
    x: Tensor, h: Tensor, c: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,
    b_hh: Tensor | None = None, *, w_hr: Tensor | None = None, recurrent_mask: Tensor | None = None,
    update_mask: Tensor | None = None, zoneout_h: Mask = None, zoneout_c: Mask = None,
) -> tuple[Tensor, Tensor]:
    """One LSTM step (Hochreiter & Schmidhuber 1997; torch's gate order i, f, g, o)::

        i, f, g, o = split(W_ih x + b_ih + W_hh (m ⊙ h) + b_hh)     m: recurrent_mask
        c' = σ(f) ⊙ c + σ(i) ⊙ (tanh(g) ⊙ d)                       d: update_mask
        h' = σ(o) ⊙ tanh(c')                     (W_hr (σ(o) ⊙ tanh(c')) with w_hr)
        c_t = z_c ⊙ c + (1 - z_c) ⊙ c';  h_t = z_h ⊙ h + (1 - z_h) ⊙ h'   zoneout

    Returns ``(h_t, c_t)``.
    """
    return lstm_update(
        _linear(x, w_ih, b_ih), h, c, w_hh, b_hh, w_hr, recurrent_mask=recurrent_mask,
        update_mask=update_mask, zoneout_h=zoneout_h, zoneout_c=zoneout_c,
    )


def gru_update(
    xp: Tensor, h: Tensor, w_hh: Tensor, b_hh: Tensor | None = None, *, recurrent_mask: Tensor | None = None,
    update_mask: Tensor | None = None, zoneout_h: Mask = None,
) -> Tensor:
    """One GRU step from the input projection ``xp = W_ih x + b_ih`` (see :func:`gru_cell`)."""
    xr, xz, xn = xp.chunk(3, -1)
    hr, hz, hn = _hh(h, w_hh, b_hh, recurrent_mask).chunk(3, -1)
    r, z = (xr + hr).sigmoid(), (xz + hz).sigmoid()
    n = (xn + r * hn).tanh()
    if update_mask is not None:
        n = n * update_mask
    return _zoneout((1 - z) * n + z * h, h, zoneout_h)


def gru_cell(
    x: Tensor, h: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,
    b_hh: Tensor | None = None, *, recurrent_mask: Tensor | None = None, update_mask: Tensor | None = None,
    zoneout_h: Mask = None,
) -> Tensor:
    """One GRU step (Cho et al. 2014; torch's gate order r, z, n)::

        r = σ(W_ir x + b_ir + W_hr (m ⊙ h) + b_hr)                 m: recurrent_mask
        z = σ(W_iz x + b_iz + W_hz (m ⊙ h) + b_hz)
        n = tanh(W_in x + b_in + r ⊙ (W_hn (m ⊙ h) + b_hn)) ⊙ d    d: update_mask
        h' = (1 - z) ⊙ n + z ⊙ h                                   carry: undropped h
        h_t = z_h ⊙ h + (1 - z_h) ⊙ h'                             zoneout

    The carry uses the undropped ``h`` (Gal & Ghahramani 2016), unlike ``GRUCell(x, m ⊙ h)``.
    """
    return gru_update(
        _linear(x, w_ih, b_ih), h, w_hh, b_hh, recurrent_mask=recurrent_mask, update_mask=update_mask,
        zoneout_h=zoneout_h,
    )


def rnn_update(
    xp: Tensor, h: Tensor, w_hh: Tensor, b_hh: Tensor | None = None, *, nonlinearity: str = "tanh",
    recurrent_mask: Tensor | None = None, update_mask: Tensor | None = None, zoneout_h: Mask = None,
) -> Tensor:
    """One Elman step from the input projection ``xp = W_ih x + b_ih`` (see :func:`rnn_cell`)."""
    a = xp + _hh(h, w_hh, b_hh, recurrent_mask)
    if update_mask is not None:
        a = a * update_mask
    h_new = a.relu() if nonlinearity == "relu" else a.tanh()
    return _zoneout(h_new, h, zoneout_h)


def rnn_cell(
    x: Tensor, h: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,
    b_hh: Tensor | None = None, *, nonlinearity: str = "tanh", recurrent_mask: Tensor | None = None,
    update_mask: Tensor | None = None, zoneout_h: Mask = None,
) -> Tensor:
    """One Elman step (Elman 1990)::

        h' = f(d ⊙ (W_ih x + b_ih + W_hh (m ⊙ h) + b_hh))   f = tanh or relu; d: update_mask
        h_t = z_h ⊙ h + (1 - z_h) ⊙ h'                      zoneout
    """
    return rnn_update(
        _linear(x, w_ih, b_ih), h, w_hh, b_hh, nonlinearity=nonlinearity, recurrent_mask=recurrent_mask,
        update_mask=update_mask, zoneout_h=zoneout_h,
    )


def _at(mask: StepMask, t: int) -> Mask:
    if mask is None or isinstance(mask, (Tensor, float)):
        return mask
    return mask[t]


def projected_recurrence(
    cell: str, xp: Tensor, h0: Tensor, w_hh: Tensor, b_hh: Tensor | None = None, *, c0: Tensor | None = None,
    w_hr: Tensor | None = None, recurrent_mask: StepMask = None, update_mask: StepMask = None,
    zoneout_h: StepMask = None, zoneout_c: StepMask = None,
) -> tuple[Tensor, Tensor, Tensor | None]:
    """:func:`recurrence` from the input projection ``xp`` ``(T, B, G*H)`` of every step.

    This is what :mod:`seqdrop.nn.recurrence` computes with its custom backward; the layers
    run it instead when autograd must differentiate the recurrence itself (double
    backward), for LSTM projections (``w_hr``) and for empty batches.
    Returns ``(outputs (T, B, H or P), h_T, c_T or None)``.
    """
    h, c, outs = h0, c0, []
    for t in range(xp.shape[0]):
        masks = dict(recurrent_mask=_at(recurrent_mask, t), update_mask=_at(update_mask, t),
                     zoneout_h=_at(zoneout_h, t))
        if cell == "lstm":
            h, c = lstm_update(xp[t], h, c, w_hh, b_hh, w_hr, zoneout_c=_at(zoneout_c, t), **masks)
        elif cell == "gru":
            h = gru_update(xp[t], h, w_hh, b_hh, **masks)
        elif cell in ("rnn_tanh", "rnn_relu"):
            h = rnn_update(xp[t], h, w_hh, b_hh, nonlinearity=cell[4:], **masks)
        else:
            raise ValueError(f"cell must be 'lstm', 'gru', 'rnn_tanh' or 'rnn_relu', got {cell!r}")
        outs.append(h)
    if not outs:
        return xp.new_empty(0, *h0.shape), h, c
    return torch.stack(outs), h, c


def recurrence(
    cell: str, x: Tensor, h0: Tensor, weights: Sequence[Tensor | None], *, c0: Tensor | None = None,
    input_mask: StepMask = None, recurrent_mask: StepMask = None, update_mask: StepMask = None,
    weight_mask: Tensor | None = None, zoneout_h: StepMask = None, zoneout_c: StepMask = None,
) -> tuple[Tensor, Tensor, Tensor | None]:
    """One layer and direction over a time-first ``x`` ``(T, B, I)``.

    ``cell``: ``"lstm"``, ``"gru"``, ``"rnn_tanh"`` or ``"rnn_relu"``; ``weights``:
    ``(w_ih, w_hh, b_ih, b_hh[, w_hr])`` as in torch (biases may be None; ``w_hr`` for an
    LSTM with projections); ``h0``, ``c0``:
    ``(B, H)``. Masks as in the module doc (a tensor: every step; a list of ``T``: per
    step). ``weight_mask`` multiplies ``W_hh`` once for the whole sequence.

    Returns ``(outputs (T, B, H), h_T, c_T or None)``.
    """
    w_ih, w_hh, b_ih, b_hh, *w_hr = weights
    if weight_mask is not None:
        w_hh = w_hh * weight_mask
    if input_mask is not None:
        x = torch.stack([x[t] * _at(input_mask, t) for t in range(x.shape[0])]) if x.shape[0] else x
    return projected_recurrence(
        cell, _linear(x, w_ih, b_ih), h0, w_hh, b_hh, c0=c0, w_hr=w_hr[0] if w_hr else None,
        recurrent_mask=recurrent_mask, update_mask=update_mask, zoneout_h=zoneout_h, zoneout_c=zoneout_c,
    )
