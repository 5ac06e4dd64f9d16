"""Fast step loops for the variants that change the recurrence itself.

Gal's per-sequence recurrent mask on ``h_{t-1}``, Semeniuta's dropout on the candidate
update and zoneout cannot run inside cuDNN / oneDNN, so they need a loop over time. The
equations are those of :mod:`seqdrop.nn.reference` (the plain-autograd version, which the
tests use as the oracle); here each cell is a custom :class:`torch.autograd.Function` that
keeps the Python-level work per step to a handful of ATen calls:

* the input projection ``x_t W_ih^T + b`` for **all** time steps is one GEMM done *outside*
  (by :func:`torch.nn.functional.linear` on the whole ``(T, B, I)`` input, so autograd gives
  ``dX``, ``dW_ih`` and ``db_ih`` as single GEMMs too);
* the forward loop only does ``h_{t-1} W_hh^T`` (one ``addmm``) plus the gate nonlinearities,
  written in place into preallocated ``(T, B, ...)`` buffers;
* everything in the backward pass that does not depend on the incoming gradient (the gate
  derivatives) is precomputed for all steps at once, so the backward loop is ~6 ops per
  step, and ``dW_hh`` (and ``db_hh``) is one GEMM over all ``T*B`` rows after the loop.

The loops live in :mod:`seqdrop.nn._lstm_loop` and :mod:`seqdrop.nn._gru_rnn_loop`; their
accelerator (CUDA graphs) in :mod:`seqdrop.nn._accel`, switched with
:func:`seqdrop.nn.accelerators`.

**Second-order gradients.** The hand-written backward is not itself differentiable. When
autograd asks for a differentiable backward (``create_graph=True``: gradient penalties,
MAML, Hessian-vector products), the backward instead recomputes the recurrence with
:func:`seqdrop.nn.reference.projected_recurrence` (plain autograd ops, the same equations
and masks) and differentiates that, so every higher-order gradient is exact. This costs one
extra saved tensor (the input projection ``xp``) per layer and direction.

Inputs shared by the three functions (``G`` = number of gates: 4 LSTM, 3 GRU, 1 RNN):
``xp`` ``(T, B, G*H)``, the input projection (LSTM/RNN: with ``b_ih + b_hh``; GRU: with
``b_ih`` only, since ``b_hh``'s new-gate part sits inside ``r ⊙ (.)``); ``w_hh`` ``(G*H, H)``,
the effective recurrent weight (already weight-dropped if asked); ``masks`` a
:class:`StepMasks`.
"""
from __future__ import annotations

from typing import NamedTuple, Union

import torch
from torch import Tensor

from . import reference
from ._accel import maybe_graphed
from ._gru_rnn_loop import gru_backward, gru_forward, rnn_backward, rnn_forward
from ._lstm_loop import lstm_backward, lstm_forward

__all__ = ["StepMasks", "lstm_recurrence", "gru_recurrence", "rnn_recurrence"]

Zoneout = Union[Tensor, float, None]


class StepMasks(NamedTuple):
    """The masks of one layer and direction for the step loop (all optional).

    ``recurrent``: scaled mask (``1/(1-p)`` on kept units) on ``h_{t-1}`` *in the product*
    ``W_hh h_{t-1}`` only: ``(B, H)`` tied, or ``(G, B, H)`` untied (one per gate).
    ``update``: scaled candidate mask, ``(B, H)`` per sequence or ``(T, B, H)`` per step.
    ``zoneout_h`` / ``zoneout_c``: zoneout *keep-old* selector for ``h`` / ``c``, a 0/1
    ``(T, B, H)`` tensor (or broadcastable ``(T, B, 1)``; 1 = keep the previous value), or
    a float ``p`` at evaluation (the expectation ``p·old + (1-p)·new``).
    """

    recurrent: Tensor | None = None
    update: Tensor | None = None
    zoneout_h: Zoneout = None
    zoneout_c: Zoneout = None


_NO_MASKS = StepMasks()


def _per_step(mask):
    """A ``(T, B, .)`` per-step mask as the list :mod:`seqdrop.nn.reference` expects."""
    if isinstance(mask, Tensor) and mask.dim() == 3:
        return list(mask.unbind(0))
    return mask


def reference_masks(rec, upd=None, zh=None, zc=None) -> dict:
    """Step-loop masks as keyword arguments of :func:`reference.projected_recurrence`."""
    masks = dict(recurrent_mask=rec, update_mask=_per_step(upd), zoneout_h=_per_step(zh))
    if zc is not None:
        masks["zoneout_c"] = _per_step(zc)
    return masks


def _grads(outputs, inputs, grad_outputs) -> list:
    """Differentiable ``d outputs / d inputs`` (None where an input needs no gradient)."""
    outs = [o for o in outputs if o is not None]
    wanted = [i for i in inputs if i is not None and i.requires_grad]
    grads = iter(torch.autograd.grad(
        outs, wanted, [torch.zeros_like(o) if g is None else g for o, g in zip(outs, grad_outputs)],
        create_graph=True, allow_unused=True,
    ))
    return [next(grads) if i is not None and i.requires_grad else None for i in inputs]


class _LSTMRecurrence(torch.autograd.Function):
    @staticmethod
    def forward(ctx, xp, w_hh, h0, c0, rec, upd, zh, zc):
        args = (xp, w_hh, h0, c0, rec, upd, zh, zc)
        with torch.no_grad():
            gates, gts, cs, tcs, out, hms, hT, cT = maybe_graphed("lstm_f", lstm_forward, args)
        ctx.save_for_backward(w_hh, h0, c0, gates, gts, cs, tcs, out, hms, xp)
        ctx.masks = (rec, upd, zh, zc)
        return out, hT, cT

    @staticmethod
    def backward(ctx, dout, dhT, dcT):
        *saved, xp = ctx.saved_tensors
        rec, upd, zh, zc = ctx.masks
        if torch.is_grad_enabled():  # create_graph=True: differentiate the plain recurrence
            w_hh, h0, c0 = saved[:3]
            outs = reference.projected_recurrence(
                "lstm", xp, h0, w_hh, c0=c0, **reference_masks(rec, upd, zh, zc))
            return (*_grads(outs, (xp, w_hh, h0, c0), (dout, dhT, dcT)), None, None, None, None)
        dA, dW, dh, dc = maybe_graphed("lstm_b", lstm_backward, (dout, dhT, dcT, *saved, rec, upd, zh, zc))
        return dA, dW, dh, dc, None, None, None, None


def lstm_recurrence(
    xp: Tensor, w_hh: Tensor, h0: Tensor, c0: Tensor, masks: StepMasks = _NO_MASKS
) -> tuple[Tensor, Tensor, Tensor]:
    """The LSTM recurrence over ``xp`` ``(T, B, 4H)``. Returns ``(out, h_T, c_T)``.

    Equations: :func:`seqdrop.nn.reference.lstm_cell`.
    """
    return _LSTMRecurrence.apply(xp, w_hh, h0, c0, *masks)


class _GRURecurrence(torch.autograd.Function):
    @staticmethod
    def forward(ctx, xp, w_hh, b_hh, h0, rec, upd, zh):
        with torch.no_grad():
            rz, ns, ahn, out, hms, hT = maybe_graphed("gru_f", gru_forward, (xp, w_hh, b_hh, h0, rec, upd, zh))
        ctx.save_for_backward(w_hh, h0, rz, ns, ahn, out, hms, xp, b_hh)
        ctx.masks = (rec, upd, zh, b_hh is not None)
        return out, hT

    @staticmethod
    def backward(ctx, dout, dhT):
        *saved, xp, b_hh = ctx.saved_tensors
        rec, upd, zh, has_bias = ctx.masks
        if torch.is_grad_enabled():  # create_graph=True: differentiate the plain recurrence
            w_hh, h0 = saved[:2]
            outs = reference.projected_recurrence("gru", xp, h0, w_hh, b_hh, **reference_masks(rec, upd, zh))
            dxp, dW, db, dh = _grads(outs[:2], (xp, w_hh, b_hh, h0), (dout, dhT))
            return dxp, dW, db, dh, None, None, None
        args = (dout, dhT, *saved, rec, upd, zh, has_bias)
        dxp, dW, db, dh = maybe_graphed("gru_b", gru_backward, args)
        return dxp, dW, db, dh, None, None, None


def gru_recurrence(
    xp: Tensor, w_hh: Tensor, b_hh: Tensor | None, h0: Tensor, masks: StepMasks = _NO_MASKS
) -> tuple[Tensor, Tensor]:
    """The GRU recurrence over ``xp`` ``(T, B, 3H)`` = ``x W_ih^T + b_ih``. Returns ``(out, h_T)``.

    Equations: :func:`seqdrop.nn.reference.gru_cell` (``masks.zoneout_c`` is ignored).
    """
    return _GRURecurrence.apply(xp, w_hh, b_hh, h0, masks.recurrent, masks.update, masks.zoneout_h)


class _RNNRecurrence(torch.autograd.Function):
    @staticmethod
    def forward(ctx, xp, w_hh, h0, rec, upd, zh, relu):
        with torch.no_grad():
            hns, out, hms, hT = maybe_graphed("rnn_f", rnn_forward, (xp, w_hh, h0, rec, upd, zh, relu))
        ctx.save_for_backward(w_hh, h0, hns, out, hms, xp)
        ctx.masks = (rec, upd, zh, relu)
        return out, hT

    @staticmethod
    def backward(ctx, dout, dhT):
        *saved, xp = ctx.saved_tensors
        rec, upd, zh, relu = ctx.masks
        if torch.is_grad_enabled():  # create_graph=True: differentiate the plain recurrence
            w_hh, h0 = saved[:2]
            cell = "rnn_relu" if relu else "rnn_tanh"
            outs = reference.projected_recurrence(cell, xp, h0, w_hh, **reference_masks(rec, upd, zh))
            return (*_grads(outs[:2], (xp, w_hh, h0), (dout, dhT)), None, None, None, None)
        dA, dW, dh = maybe_graphed("rnn_b", rnn_backward, (dout, dhT, *saved, rec, upd, zh, relu))
        return dA, dW, dh, None, None, None, None


def rnn_recurrence(
    xp: Tensor, w_hh: Tensor, h0: Tensor, masks: StepMasks = _NO_MASKS, relu: bool = False
) -> tuple[Tensor, Tensor]:
    """The Elman recurrence over ``xp`` ``(T, B, H)`` (biases included). Returns ``(out, h_T)``.

    Equations: :func:`seqdrop.nn.reference.rnn_cell` (``masks.zoneout_c`` is ignored).
    """
    return _RNNRecurrence.apply(xp, w_hh, h0, masks.recurrent, masks.update, masks.zoneout_h, relu)
