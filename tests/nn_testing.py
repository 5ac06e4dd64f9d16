"""Helpers shared by the seqdrop.nn tests: torch/seqdrop twins and the reference oracle."""
from __future__ import annotations

import math

import torch
from torch import Tensor

import seqdrop.nn as snn
from seqdrop.nn import reference
from seqdrop.nn.recurrence import StepMasks

CELLS = ["LSTM", "GRU", "tanh", "relu"]
REF_CELL = {"LSTM": "lstm", "GRU": "gru", "tanh": "rnn_tanh", "relu": "rnn_relu"}
IN, H = 3, 5
TORCH_ARGS = ("num_layers", "bias", "batch_first", "bidirectional", "dropout")


def make_pair(cell: str, **kw):
    """(torch module, seqdrop module) with identical weights; seqdrop-only options go to the latter."""
    extra = {k: kw.pop(k) for k in list(kw) if k not in TORCH_ARGS}
    if cell == "LSTM":
        ref, mine = torch.nn.LSTM(IN, H, **kw), snn.LSTM(IN, H, **kw, **extra)
    elif cell == "GRU":
        ref, mine = torch.nn.GRU(IN, H, **kw), snn.GRU(IN, H, **kw, **extra)
    else:
        ref, mine = torch.nn.RNN(IN, H, nonlinearity=cell, **kw), snn.RNN(IN, H, nonlinearity=cell, **kw, **extra)
    mine.load_state_dict(ref.state_dict())
    return ref, mine


def flat(h):
    return h if isinstance(h, tuple) else (h,)


def run_and_grads(mod, inp, hx, leaves):
    """Output, final states and the gradients of a fixed loss w.r.t. ``leaves`` and parameters."""
    out, h = mod(inp, hx)
    o = out.data if isinstance(out, torch.nn.utils.rnn.PackedSequence) else out
    loss = (o * torch.linspace(-1, 1, o.shape[-1])).sum() + sum((t**2).sum() for t in flat(h))
    grads = torch.autograd.grad(loss, leaves + list(mod.parameters()), retain_graph=True)
    return [o, *flat(h), *grads]


def assert_close_lists(a, b, tol=1e-5):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert x.shape == y.shape
        torch.testing.assert_close(x, y, atol=tol, rtol=tol)


def _per_step(mask, per_step_dim: int):
    """A StepMasks entry in the reference's convention (a list = one mask per step)."""
    if isinstance(mask, Tensor) and mask.dim() == per_step_dim:
        return list(mask.unbind(0))
    return mask


def reference_layer(cell: str, mod, x: Tensor, masks: StepMasks, h0: Tensor, c0: Tensor | None = None):
    """The oracle: :func:`seqdrop.nn.reference.recurrence` on layer 0 of ``mod`` with ``masks``."""
    w = dict(mod.named_parameters())
    weights = [w["weight_ih_l0"], w["weight_hh_l0"], w.get("bias_ih_l0"), w.get("bias_hh_l0")]
    return reference.recurrence(
        REF_CELL[cell], x, h0, weights, c0=c0 if cell == "LSTM" else None,
        recurrent_mask=masks.recurrent, update_mask=_per_step(masks.update, 3),
        zoneout_h=_per_step(masks.zoneout_h, 3), zoneout_c=_per_step(masks.zoneout_c, 3),
    )


def capture_masks(monkeypatch) -> list[StepMasks]:
    """Record the step-loop masks a module draws (one StepMasks per layer and direction)."""
    from seqdrop.nn import _layer_run

    seen: list[StepMasks] = []
    orig = _layer_run.layer_masks

    def spy(mod, T, B, like):
        m = orig(mod, T, B, like)
        seen.append(m)
        return m

    monkeypatch.setattr(_layer_run, "layer_masks", spy)
    return seen


def capture_fused_inputs(monkeypatch) -> list[Tensor]:
    """Record the input of every fused ``_VF`` call."""
    from seqdrop.nn import _layer_run, rnn_base

    seen: list[Tensor] = []
    orig = _layer_run.fused_call

    def spy(mod, x, *args):
        seen.append(x)
        return orig(mod, x, *args)

    monkeypatch.setattr(_layer_run, "fused_call", spy)
    monkeypatch.setattr(rnn_base, "fused_call", spy)
    return seen


def binom_ok(mask, p_keep, sigmas=5.0):
    """Whether the kept fraction of ``mask`` is within ``sigmas`` binomial SDs of ``p_keep``."""
    n = mask.numel()
    k = (mask != 0).sum().item()
    return abs(k - n * p_keep) <= sigmas * math.sqrt(n * p_keep * (1 - p_keep)) + 1
