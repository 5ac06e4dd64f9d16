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

__all__ = ["lstm_cell", "gru_cell", "rnn_cell", "recurrence"]

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


def lstm_cell(
    x: Tensor, h: Tensor, c: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,
    b_hh: Tensor | None = None, *, recurrent_mask: Tensor | None = None, update_mask: Tensor | None = None,
    zoneout_h: Mask = None, zoneout_c: Mask = None,
) -> tuple[Tensor, Tensor]:
    """One LSTM step (Hochreiter & Schmidhuber 1997; torch's gate order i, f, g, o)::

        i, f, g, o = split(W_ih x + b_ih + W_hh (m ⊙ h) + b_hh)     m: recurrent_mask
        c' = σ(f) ⊙ c + σ(i) ⊙ (tanh(g) ⊙ d)                       d: update_mask
        h' = σ(o) ⊙ tanh(c')
        c_t = z_c ⊙ c + (1 - z_c) ⊙ c';  h_t = z_h ⊙ h + (1 - z_h) ⊙ h'   zoneout

    Returns ``(h_t, c_t)``.
    """
    a = _linear(x, w_ih, b_ih) + _hh(h, w_hh, b_hh, recurrent_mask)
    i, f, g, o = a.chunk(4, -1)
    g = g.tanh() if update_mask is None else g.tanh() * update_mask
    c_new = f.sigmoid() * c + i.sigmoid() * g
    h_new = o.sigmoid() * c_new.tanh()
    return _zoneout(h_new, h, zoneout_h), _zoneout(c_new, c, zoneout_c)


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
    xr, xz, xn = _linear(x, w_ih, b_ih).chunk(3, -1)
    hr, hz, hn = _hh(h, w_hh, b_hh, recurrent_mask).chunk(3, -1)
    r, z = (xr + hr).sigmoid(), (xz + hz).sigmoid()
    n = (xn + r * hn).tanh()
    if update_mask is not None:
        n = n * update_mask
    return _zoneout((1 - z) * n + z * h, h, zoneout_h)


def rnn_cell(
    x: Tensor, h: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,
    b_hh: Tensor | None = None, *, nonlinearity: str = "tanh", recurrent_mask: Tensor | None = None,
    update_mask: Tensor | None = None, zoneout_h: Mask = None,
) -> Tensor:
    """One Elman step (Elman 1990)::

        h' = f(d ⊙ (W_ih x + b_ih + W_hh (m ⊙ h) + b_hh))   f = tanh or relu; d: update_mask
        h_t = z_h ⊙ h + (1 - z_h) ⊙ h'                      zoneout
    """
    a = _linear(x, w_ih, b_ih) + _hh(h, w_hh, b_hh, recurrent_mask)
    if update_mask is not None:
        a = a * update_mask
    h_new = a.relu() if nonlinearity == "relu" else a.tanh()
    return _zoneout(h_new, h, zoneout_h)


def _at(mask: StepMask, t: int) -> Mask:
    if mask is None or isinstance(mask, (Tensor, float)):
        return mask
    return mask[t]


def recurrence(
    cell: str, x: Tensor, h0: Tensor, weights: Sequence[Tensor | None], *, c0: Tensor | None = None,
    input_mask: StepMask = None, recurrent_mask: StepMask = None, update_mask: StepMask = None,
    weight_mask: Tensor | None = None, zoneout_h: StepMask = None, zoneout_c: StepMask = None,
) -> tuple[Tensor, Tensor, Tensor | None]:
    """One layer and direction over a time-first ``x`` ``(T, B, I)``.

    ``cell``: ``"lstm"``, ``"gru"``, ``"rnn_tanh"`` or ``"rnn_relu"``; ``weights``:
    ``(w_ih, w_hh, b_ih, b_hh)`` as in torch (biases may be None); ``h0``, ``c0``:
    ``(B, H)``. Masks as in the module doc (a tensor: every step; a list of ``T``: per
    step). ``weight_mask`` multiplies ``W_hh`` once for the whole sequence.

    Returns ``(outputs (T, B, H), h_T, c_T or None)``.
    """
    w_ih, w_hh, b_ih, b_hh = weights
    if weight_mask is not None:
        w_hh = w_hh * weight_mask
    h, c, outs = h0, c0, []
    for t in range(x.shape[0]):
        xt = x[t] if input_mask is None else x[t] * _at(input_mask, t)
        masks = dict(recurrent_mask=_at(recurrent_mask, t), update_mask=_at(update_mask, t),
                     zoneout_h=_at(zoneout_h, t))
        if cell == "lstm":
            h, c = lstm_cell(xt, h, c, w_ih, w_hh, b_ih, b_hh, zoneout_c=_at(zoneout_c, t), **masks)
        elif cell == "gru":
            h = gru_cell(xt, h, w_ih, w_hh, b_ih, b_hh, **masks)
        elif cell in ("rnn_tanh", "rnn_relu"):
            h = rnn_cell(xt, h, w_ih, w_hh, b_ih, b_hh, nonlinearity=cell[4:], **masks)
        else:
            raise ValueError(f"cell must be 'lstm', 'gru', 'rnn_tanh' or 'rnn_relu', got {cell!r}")
        outs.append(h)
    return torch.stack(outs), h, c
