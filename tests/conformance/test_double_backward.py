"""Second-order gradients (gradient penalties, MAML, Hessian-vector products) on every path.

``gradgradcheck`` for every dropout option set -- fused paths and step loop -- in training
and evaluation, with the masks made deterministic by reseeding the layer's ``generator``
before each call; and the gradient penalty ``d/dθ ||∂L/∂x||²`` against torch.
"""
from __future__ import annotations

import pytest
import torch
from torch.autograd import gradcheck, gradgradcheck
from torch.func import functional_call

import seqdrop.nn as snn

from rnn_conformance import LOOP_SETS, option_cases

ZONEOUT_SETS = {k: v for k, v in LOOP_SETS.items() if "zoneout" in k or k == "proj-loop"}


def _flat(out):
    o, h = out
    return (o, *h) if isinstance(h, tuple) else (o, h)


def _layer(mode, options):
    """A small float64 layer; two layers only where the option acts between layers."""
    layers = 2 if {"dropout", "layer_dropout"} & set(options) else 1
    cls = {"LSTM": snn.LSTM, "GRU": snn.GRU, "RNN": snn.RNN}[mode]
    return cls(2, 2, num_layers=layers, generator=torch.Generator(), **options).double()


_CASES = [pytest.param(*p.values, True, id=f"{p.id}-train") for p in option_cases()] + [
    pytest.param(*p.values, False, id=f"{p.id}-eval") for p in option_cases(ZONEOUT_SETS)
]


@pytest.mark.parametrize("mode,options,training", _CASES)
def test_gradgradcheck_every_option_set(mode, options, training):
    """Every option set in training; zoneout also at evaluation (its step loop runs there)."""
    torch.manual_seed(0)
    m = _layer(mode, options).train(training)
    x = torch.randn(3, 2, 2, dtype=torch.double, requires_grad=True)
    names = [n for n, _ in m.named_parameters()]

    def fn(x, *params):
        m.generator.manual_seed(0)  # the same masks at every call
        return _flat(functional_call(m, dict(zip(names, params)), (x,)))

    inputs = (x, *m.parameters())
    assert gradcheck(fn, inputs, fast_mode=True)
    assert gradgradcheck(fn, inputs, fast_mode=True)


def _penalty_grads(m, x):
    """``d/d(x, θ) ||∂L/∂x||²`` with ``L = Σ w ⊙ output`` (a gradient penalty)."""
    out = _flat(m(x))
    weights = torch.linspace(-1, 1, out[0].numel(), dtype=x.dtype).view_as(out[0])
    loss = (out[0] * weights).sum() + sum((h**2).sum() for h in out[1:])
    (gx,) = torch.autograd.grad(loss, x, create_graph=True)
    return torch.autograd.grad((gx**2).sum(), (x, *m.parameters()), allow_unused=True)


@pytest.mark.parametrize("mode", ["LSTM", "GRU", "RNN"])
def test_gradient_penalty_equals_torch_on_the_step_loop(mode):
    """The issue's measurement: LSTM(3, 4), float64, every gradient present and equal."""
    torch.manual_seed(0)
    ref = getattr(torch.nn, mode)(3, 4, num_layers=2).double()
    mine = getattr(snn, mode)(3, 4, num_layers=2).double()
    mine.load_state_dict(ref.state_dict())
    x = torch.randn(5, 2, 3, dtype=torch.double, requires_grad=True)
    expected = _penalty_grads(ref, x)
    with snn.force_step_loop():
        got = _penalty_grads(mine, x)
    for name, e, g in zip(["x"] + [n for n, _ in ref.named_parameters()], expected, got):
        assert g is not None, f"d penalty / d {name} is missing"
        torch.testing.assert_close(g, e, msg=lambda m: f"{name}: {m}")


@pytest.mark.parametrize("mode,options", option_cases())
def test_create_graph_gives_the_same_first_order_gradient(mode, options):
    """With ``create_graph=True`` the first-order gradient equals the plain backward's."""
    m = _layer(mode, options)
    x = torch.randn(4, 2, 2, dtype=torch.double, requires_grad=True)
    grads = []
    for create_graph in (False, True):
        m.generator.manual_seed(0)
        loss = sum((t**2).sum() for t in _flat(m(x)))
        grads.append(torch.autograd.grad(loss, (x, *m.parameters()), create_graph=create_graph))
    for a, b in zip(*grads):
        torch.testing.assert_close(a, b.detach())
