"""What code written for ``torch.nn`` does with a layer: type checks, quantization, export.

``isinstance`` dispatch, ``torch.ao.quantization.quantize_dynamic``, ``torch.jit.script``,
``torch.jit.trace``, ``torch.compile`` (``fullgraph=True`` as far as torch allows it for
its own RNN classes) and ``torch.export``. Compilation uses the ``aot_eager`` backend: it captures the graph with
Dynamo and runs AOTAutograd (what can break for a module) without Inductor's C++ codegen,
which would cost minutes of CI time and tests torch rather than seqdrop.
"""
from __future__ import annotations

import warnings

import pytest
import torch

import seqdrop.nn as snn
from seqdrop.errors import SeqdropError

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
def test_quantize_dynamic_through_to_torch(mode):
    """torch's quantization matches exact classes: ``to_torch()`` hands it the same weights."""
    ref, mine = _pair(mode, recurrent_dropout=0.3)  # an option that is off at evaluation
    model = torch.nn.Sequential(mine.eval().to_torch())
    assert model[0].weight_hh_l0 is mine.weight_hh_l0  # shared, not copied
    q = torch.ao.quantization.quantize_dynamic(model, {getattr(torch.nn, mode)}, dtype=torch.qint8)
    assert type(q[0]).__module__.startswith("torch.ao.nn.quantized.dynamic")
    x = torch.randn(5, 2, 3)
    torch.testing.assert_close(q(x)[0], ref.eval()(x)[0], atol=0.05, rtol=0)


def test_quantize_dynamic_on_a_seqdrop_layer_warns():
    model = torch.nn.Sequential(snn.LSTM(3, 4)).eval()
    with pytest.warns(UserWarning, match=r"to_torch\(\)"):
        q = torch.ao.quantization.quantize_dynamic(model, {torch.nn.LSTM}, dtype=torch.qint8)
    assert type(q[0]) is snn.LSTM  # left in float, loudly


@pytest.mark.parametrize("options", [{"recurrent_dropout": 0.3}, {"zoneout": 0.1}], ids=str)
def test_to_torch_refuses_to_drop_options(options):
    with pytest.raises(SeqdropError, match="to_torch"):
        snn.LSTM(3, 4, **options).to_torch()  # training: the masks would be lost
    layer = snn.LSTM(3, 4, **options).eval()
    if "zoneout" in options:  # zoneout changes evaluation too
        with pytest.raises(SeqdropError):
            layer.to_torch()
    else:
        x = torch.randn(5, 2, 3)
        torch.testing.assert_close(layer.to_torch()(x), layer(x))


@pytest.mark.parametrize("mode", MODES)
def test_jit_script_on_a_plain_configuration(mode):
    ref, mine = _pair(mode)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        scripted = torch.jit.script(torch.nn.Sequential(mine))
    x = torch.randn(5, 2, 3)
    torch.testing.assert_close(scripted(x), ref(x))


def test_jit_script_with_options_names_the_alternatives():
    with pytest.raises(SeqdropError, match=r"torch\.jit\.trace.*torch\.compile"):
        torch.jit.script(snn.LSTM(3, 4, recurrent_dropout=0.25))


@pytest.mark.parametrize("options", [{}, {"zoneout": 0.2}], ids=["fused", "step-loop"])
def test_jit_trace(options):
    layer = snn.LSTM(3, 4, **options).eval()
    x = torch.randn(5, 2, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about Python values
        traced = torch.jit.trace(layer, (x,), check_trace=False)
    torch.testing.assert_close(traced(x), layer(x))


def _compile_outcome(module, x, **kwargs):
    torch._dynamo.reset()
    try:
        return torch.compile(module, backend="aot_eager", **kwargs)(x)
    except Exception as e:  # noqa: BLE001 - compared between torch and seqdrop below
        return type(e)
    finally:
        torch._dynamo.reset()


@pytest.mark.parametrize("mode", MODES)
def test_torch_compile_on_the_fused_path(mode):
    """``torch.compile`` gives the eager outputs and gradients."""
    ref, mine = _pair(mode)
    x = torch.randn(5, 2, 3, requires_grad=True)
    out = _compile_outcome(mine, x)
    torch.testing.assert_close(out, ref(x))
    out[0].sum().backward()
    assert x.grad is not None and mine.weight_hh_l0.grad is not None


def test_torch_compile_fullgraph_behaves_as_for_torch():
    """``fullgraph=True``: Dynamo treats torch's RNN classes (and so their subclasses) alike.

    In torch 2.13 it refuses them (the layer runs eagerly without ``fullgraph``); whatever
    a torch version does for ``torch.nn.LSTM``, it must do for ``seqdrop.nn.LSTM``.
    """
    ref, mine = _pair("LSTM")
    x = torch.randn(5, 2, 3)
    expected, got = _compile_outcome(ref, x, fullgraph=True), _compile_outcome(mine, x, fullgraph=True)
    if isinstance(expected, type):
        assert got is expected
    else:
        torch.testing.assert_close(got, expected)


def test_torch_compile_with_a_dropout_option():
    layer = snn.LSTM(3, 4, weight_dropout=0.3, generator=torch.Generator())
    x = torch.randn(5, 2, 3)
    layer.generator.manual_seed(0)
    expected = layer(x)
    layer.generator.manual_seed(0)  # the same DropConnect mask
    torch.testing.assert_close(_compile_outcome(layer, x), expected)


@pytest.mark.parametrize("mode", MODES)
def test_torch_export_on_the_fused_path(mode):
    ref, mine = _pair(mode)
    mine.eval()
    x = torch.randn(5, 2, 3)
    exported = torch.export.export(mine, (x,))
    torch.testing.assert_close(exported.module()(x), ref.eval()(x))
