"""What code written for ``torch.nn`` does with a layer: type checks, quantization, export.

``isinstance`` dispatch, ``torch.ao.quantization.quantize_dynamic``, ``torch.jit.script``,
``torch.jit.trace``, ``torch.compile`` (``fullgraph=True`` on the fused path) and
``torch.export``. Compilation uses the ``aot_eager`` backend: it captures the graph with
Dynamo and runs AOTAutograd (what can break for a module) without Inductor's C++ codegen,
which would cost minutes of CI time and tests torch rather than seqdrop.
"""
from __future__ import annotations

import warnings

import pytest
import torch

import seqdrop.nn as snn

MODES = ["LSTM", "GRU", "RNN"]


def _pair(mode, **options):
    torch.manual_seed(0)
    ref = getattr(torch.nn, mode)(3, 4, 2)
    mine = getattr(snn, mode)(3, 4, 2, **options)
    mine.load_state_dict(ref.state_dict())
    return ref, mine


@pytest.mark.parametrize("mode", MODES)
def test_isinstance_of_the_torch_class(mode):
    layer = getattr(snn, mode)(3, 4)
    assert isinstance(layer, getattr(torch.nn, mode))
    assert isinstance(layer, torch.nn.RNNBase)


@pytest.mark.parametrize("mode", ["LSTM", "GRU"])
def test_quantize_dynamic_replaces_a_plain_layer(mode):
    ref, mine = _pair(mode)
    model = torch.nn.Sequential(mine).eval()
    q = torch.ao.quantization.quantize_dynamic(model, {getattr(torch.nn, mode)}, dtype=torch.qint8)
    assert type(q[0]).__module__.startswith("torch.ao.nn.quantized.dynamic")
    x = torch.randn(5, 2, 3)
    torch.testing.assert_close(q(x)[0], ref.eval()(x)[0], atol=0.05, rtol=0)


def test_jit_script_works_or_names_the_alternatives():
    layer = snn.LSTM(3, 4)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            scripted = torch.jit.script(layer)
    except Exception as e:  # noqa: BLE001 - any error must say what to use instead
        assert "torch.jit.trace" in str(e) and "torch.compile" in str(e), str(e)
        return
    x = torch.randn(5, 2, 3)
    torch.testing.assert_close(scripted(x), layer(x))


@pytest.mark.parametrize("options", [{}, {"zoneout": 0.2}], ids=["fused", "step-loop"])
def test_jit_trace(options):
    layer = snn.LSTM(3, 4, **options).eval()
    x = torch.randn(5, 2, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about Python values
        traced = torch.jit.trace(layer, (x,), check_trace=False)
    torch.testing.assert_close(traced(x), layer(x))


@pytest.mark.parametrize("mode", MODES)
def test_torch_compile_fullgraph_on_the_fused_path(mode):
    ref, mine = _pair(mode)
    x = torch.randn(5, 2, 3, requires_grad=True)
    compiled = torch.compile(mine, backend="aot_eager", fullgraph=True)
    out = compiled(x)
    torch.testing.assert_close(out, ref(x))
    out[0].sum().backward()
    assert x.grad is not None


def test_torch_compile_with_a_dropout_option():
    torch.manual_seed(0)
    layer = snn.LSTM(3, 4, zoneout=0.3).eval()  # eval: deterministic, still the step loop
    x = torch.randn(5, 2, 3)
    compiled = torch.compile(layer, backend="aot_eager")
    torch.testing.assert_close(compiled(x), layer(x))


@pytest.mark.parametrize("mode", MODES)
def test_torch_export_on_the_fused_path(mode):
    ref, mine = _pair(mode)
    mine.eval()
    x = torch.randn(5, 2, 3)
    exported = torch.export.export(mine, (x,))
    torch.testing.assert_close(exported.module()(x), ref.eval()(x))
