"""PyTorch's RNN tests from ``test/test_nn.py`` (class ``TestNNDeviceType``) on CPU and CUDA.

Adapted from the upstream test named in each ``@upstream`` marker; ``nn.LSTM`` becomes
``impl.LSTM`` (see ``rnn_conformance.py``). Upstream instantiates these per device; here
the CUDA instance runs when a GPU is present.
"""
from __future__ import annotations

import copy
from functools import partial

import pytest
import torch
from torch.autograd import gradcheck, gradgradcheck
from torch.nn.utils import rnn as rnn_utils

from rnn_conformance import upstream

_DEV = "test_nn.py::TestNNDeviceType::"
DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


@upstream(_DEV + "test_save_lstm_compatibility")
def test_save_lstm_compatibility(impl):
    # an LSTM pickled by PyTorch <= 1.7 has no `proj_size`; loading it must still work
    model = impl.LSTM(2, 3)
    x = torch.randn(32, 5, 2)
    expected = model(x)
    assert model.proj_size == 0
    state = model.__dict__
    del state["proj_size"]
    loaded = impl.LSTM(2, 3)
    loaded.__setstate__(state)
    out, (h, c) = loaded(x)
    torch.testing.assert_close(out, expected[0])
    torch.testing.assert_close((h, c), expected[1])


@upstream(_DEV + "test_rnn_retain_variables")
@pytest.mark.parametrize("mode", ["LSTM", "GRU", "RNN"])
@pytest.mark.parametrize("device", DEVICES)
def test_rnn_retain_variables(impl, mode, device):
    dtype = torch.double
    rnn = impl.cls(mode)(10, 20, num_layers=2).to(device, dtype)
    x = torch.randn(5, 6, 10, device=device, dtype=dtype, requires_grad=True)
    output = rnn(x)
    output[0].sum().backward(retain_graph=True)
    grads = [x.grad.clone()] + [p.grad.clone() for p in rnn.parameters()]
    for _ in range(4):
        rnn.zero_grad()
        x.grad.zero_()
        output[0].sum().backward(retain_graph=True)
        for a, b in zip(grads, [x.grad] + [p.grad for p in rnn.parameters()]):
            torch.testing.assert_close(a, b)


def _check_rnn_mod(mod, inp):
    """Upstream ``_test_rnn_mod``: gradcheck and gradgradcheck of every output."""

    def flatten_out(mod, inp):
        out = mod(inp)
        return tuple(t if isinstance(t, torch.Tensor) else tt for t in out for tt in t)

    fn = partial(flatten_out, mod)
    with torch.backends.cudnn.flags(enabled=False):
        assert gradcheck(fn, inp, check_batched_grad=False)
        assert gradgradcheck(fn, inp, check_batched_grad=False)


@upstream(_DEV + "test_LSTM_grad_and_gradgrad", _DEV + "test_GRU_grad_and_gradgrad")
@pytest.mark.parametrize("mode", ["LSTM", "GRU"])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("device", DEVICES)
def test_grad_and_gradgrad(impl, mode, bias, device):
    hsize = 4
    inp = torch.rand(1, 3, hsize, device=device, dtype=torch.double, requires_grad=True)
    mod = impl.cls(mode)(hsize, hsize, bias=bias).to(device).to(torch.double)
    _check_rnn_mod(mod, inp)


@upstream(_DEV + "test_LSTM_differentiable_backward_using_oneDNN")
def test_LSTM_differentiable_backward_using_oneDNN(impl):
    batch, seq_len, input_size = 10, 12, 3
    net = impl.LSTM(input_size, 3, 20, batch_first=True)
    net_clone = copy.deepcopy(net)
    x = torch.rand(batch, seq_len, input_size)
    x1 = x.clone().requires_grad_(True)
    x2 = x.clone().requires_grad_(True)
    was_enabled = torch._C._get_mkldnn_enabled()
    try:
        results = []
        for enabled, model, xi in ((False, net, x1), (True, net_clone, x2)):
            torch._C._set_mkldnn_enabled(enabled)
            out, _ = model(xi)
            (der,) = torch.autograd.grad(out, xi, grad_outputs=torch.ones_like(out),
                                         retain_graph=True, create_graph=True)
            der.sum().backward(retain_graph=True)
            results.append(der)
    finally:
        torch._C._set_mkldnn_enabled(was_enabled)
    torch.testing.assert_close(results[0], results[1])
    torch.testing.assert_close(x1.grad, x2.grad)


def _pad(t, length):
    if t.size(0) == length:
        return t
    return torch.cat([t, t.new_zeros(length - t.size(0), *t.size()[1:])])


def _check_lengths(impl, device, dtype, lengths, enforce_sorted, default_hiddens, proj_size):
    input_size, hidden_size, num_layers, dirs = 3, 4, 2, 2
    max_length = max(lengths)
    x = torch.randn(max_length, len(lengths), input_size, device=device, dtype=dtype, requires_grad=True)
    lstm = impl.LSTM(input_size, hidden_size, bidirectional=True, num_layers=num_layers,
                     proj_size=proj_size).to(device, dtype)
    lstm2 = copy.deepcopy(lstm).to(device, dtype)
    hidden0 = None
    if not default_hiddens:
        real_hidden = proj_size if proj_size else hidden_size
        hidden0 = (torch.randn(dirs * num_layers, len(lengths), real_hidden, device=device, dtype=dtype),
                   torch.randn(dirs * num_layers, len(lengths), hidden_size, device=device, dtype=dtype))
    # each sequence on its own
    seq_outs, seq_hiddens = [], []
    for i, n in enumerate(lengths):
        h_i = None if hidden0 is None else tuple(h[:, i:i + 1, :].contiguous() for h in hidden0)
        out, hid = lstm2(x[:n, i:i + 1], h_i)
        seq_outs.append(_pad(out, max_length))
        seq_hiddens.append(hid)
    seq_out = torch.cat(seq_outs, 1)
    seq_hidden = tuple(torch.cat(h, 1) for h in zip(*seq_hiddens))
    # packed
    packed = rnn_utils.pack_padded_sequence(x, lengths, enforce_sorted=enforce_sorted)
    packed_out, packed_hidden = lstm(packed, hidden0)
    unpacked, unpacked_len = rnn_utils.pad_packed_sequence(packed_out)
    prec = 1e-5
    torch.testing.assert_close(packed_hidden, seq_hidden, atol=prec, rtol=0)
    torch.testing.assert_close(unpacked, seq_out, atol=prec, rtol=0)
    assert unpacked_len.tolist() == list(lengths)
    seq_out.sum().backward()
    grad_x = x.grad.clone()
    x.grad.zero_()
    unpacked.sum().backward()
    torch.testing.assert_close(x.grad, grad_x, atol=prec, rtol=0)
    for p1, p2 in zip(lstm.parameters(), lstm2.parameters()):
        torch.testing.assert_close(p1.grad, p2.grad, atol=prec, rtol=0)


@upstream(_DEV + "test_variable_sequence")
@pytest.mark.parametrize("proj_size", [0, 2])
@pytest.mark.parametrize("device", DEVICES)
def test_variable_sequence(impl, proj_size, device):
    cases = [
        (True, [5]),
        (False, [5]),
        (True, [10, 10, 6, 2, 2, 1, 1]),
        (False, [10, 10, 6, 2, 2, 1, 1]),
        (False, [2, 1, 3, 2, 10, 5, 3]),
    ]
    for enforce_sorted, lengths in cases:
        for default_hiddens in (True, False):
            _check_lengths(impl, device, torch.float, lengths, enforce_sorted, default_hiddens, proj_size)
