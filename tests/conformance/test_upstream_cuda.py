"""PyTorch's CUDA/cuDNN-only RNN tests from ``test/test_nn.py`` (skipped without a GPU).

Adapted from the upstream test named in each ``@upstream`` marker (``nn.LSTM`` becomes
``impl.LSTM``); upstream's full products of options are kept where cheap on a GPU.
"""
from __future__ import annotations

import copy
import warnings
from itertools import product

import pytest
import torch
from torch.nn.utils import rnn as rnn_utils

from rnn_conformance import cuda, cudnn, multi_gpu, upstream

_NN = "test_nn.py::TestNN::"
_DEV = "test_nn.py::TestNNDeviceType::"


@upstream(_NN + "test_pack_sequence_batch_sizes_throw")
@cuda
def test_pack_sequence_batch_sizes_throw(impl):
    with pytest.raises(ValueError, match=r"batch_sizes should always be on CPU"):
        impl.LSTM(3, 4, bidirectional=True, num_layers=2).to("cuda")
        a = torch.rand(5, 3, device="cuda")
        b = torch.tensor([1, 1, 1, 1, 1], device="cuda")
        rnn_utils.PackedSequence(a, b)


@upstream(_NN + "test_cudnn_rnn_dropout_states_device")
@multi_gpu
def test_cudnn_rnn_dropout_states_device(impl):
    rnn = impl.RNN(10, 20, num_layers=2, dropout=0.5).cuda(1)
    rnn(torch.randn(5, 4, 10).cuda(1), torch.randn(2, 4, 20).cuda(1))


def _lstm_hidden(rnn, hx, cells):
    if isinstance(rnn, torch.nn.LSTM):
        return (hx, cells)
    return hx


@upstream(_NN + "test_cudnn_weight_format")
@cudnn
@pytest.mark.parametrize("spec", [("LSTM", 0), ("LSTM", 10), ("GRU", 0), ("RNN", 0)], ids=str)
def test_cudnn_weight_format(impl, spec):
    mode, proj = spec
    rnn = impl.cls(mode)(10, 20, batch_first=True, **({"proj_size": proj} if proj else {})).cuda()
    x = torch.randn(5, 4, 10, requires_grad=True, device="cuda")
    hx = torch.randn(1, 5, proj or 20, requires_grad=True, device="cuda")
    cx = torch.randn(1, 5, 20, requires_grad=True, device="cuda")
    hidden = _lstm_hidden(rnn, hx, cx)
    leaves = [x, hx] + ([cx] if isinstance(rnn, torch.nn.LSTM) else []) + list(rnn.parameters())
    out = rnn(x, hidden)
    out[0].sum().backward()
    grads = [v.grad.clone() for v in leaves]
    for v in leaves:
        v.grad.zero_()
    weight = list(rnn.parameters())[0]
    data = weight.data.clone()
    with torch.no_grad():
        weight.set_(data)  # weights no longer view one chunk of memory
    for _ in range(2):
        with warnings.catch_warnings(record=True):
            out2 = rnn(x, hidden)
        out2[0].sum().backward()
        torch.testing.assert_close(out2, out)
        torch.testing.assert_close([v.grad for v in leaves], grads)
        for v in leaves:
            v.grad.zero_()
    data[:] = 4
    torch.testing.assert_close(data, weight.data)  # still shared


@upstream(_NN + "test_cudnn_weight_tying")
@cudnn
@pytest.mark.parametrize("spec", [("LSTM", 0), ("LSTM", 10), ("GRU", 0), ("RNN", 0)], ids=str)
def test_cudnn_weight_tying(impl, spec):
    mode, proj = spec
    rnn = impl.cls(mode)(10, 20, batch_first=True, bidirectional=True,
                         **({"proj_size": proj} if proj else {}))
    rnn.bias_ih_l0_reverse = rnn.bias_ih_l0
    rnn.cuda()
    x = torch.randn(5, 4, 10, requires_grad=True, device="cuda")
    hx = torch.randn(2, 5, proj or 20, requires_grad=True, device="cuda")
    hidden = _lstm_hidden(rnn, hx, torch.randn(2, 5, 20, requires_grad=True, device="cuda"))
    opt = torch.optim.SGD(rnn.parameters(), lr=0.1)
    opt.zero_grad()
    with warnings.catch_warnings(record=True):
        rnn(x, hidden)[0].sum().backward()
    opt.step()
    with warnings.catch_warnings(record=True):
        out_cuda = rnn(x, hidden)
    rnn.cpu()
    hidden = tuple(h.cpu() for h in hidden) if isinstance(hidden, tuple) else hidden.cpu()
    torch.testing.assert_close(rnn(x.cpu(), hidden), tuple(
        t.cpu() if isinstance(t, torch.Tensor) else tuple(u.cpu() for u in t) for t in out_cuda))


@upstream(_NN + "test_rnn_check_device", _NN + "test_projections_lstm_check_device")
@multi_gpu
@pytest.mark.parametrize("spec", [("RNN", 0), ("GRU", 0), ("LSTM", 0), ("LSTM", 2)], ids=str)
def test_rnn_check_device(impl, spec):
    mode, proj = spec
    model = impl.cls(mode)(3, 5, 2, **({"proj_size": proj} if proj else {}))
    x = torch.randn(6, 4, 3)
    h = torch.randn(2, 4, proj or 5)
    c = torch.randn(2, 4, 5)
    with pytest.raises(RuntimeError, match="Input and parameter tensors are not at the same device"):
        model(x.to("cuda:0"))
    hidden = (h.to("cuda:0"), c.to("cuda:0")) if mode == "LSTM" else h.to("cuda:0")
    with pytest.raises(RuntimeError, match="Input and hidden tensors are not at the same device"):
        model(x, hidden)
    if mode == "LSTM":
        with pytest.raises(RuntimeError, match="Input and hidden tensors are not at the same device"):
            model(x.to("cuda:0"), (h.to("cuda:0"), c.to("cuda:1")))


def _forward_backward(rnn, x, hx, grad_out, grad_h, device):
    rnn = rnn.to(device)
    x = x.detach().to(device).requires_grad_(True)
    hx = tuple(h.detach().to(device).requires_grad_(True) for h in hx)
    out, hy = rnn(x, hx if rnn.mode == "LSTM" else hx[0])
    outs = [out.data if isinstance(out, rnn_utils.PackedSequence) else out]
    outs += list(hy) if rnn.mode == "LSTM" else [hy]
    torch.autograd.backward(outs, [g.to(device) for g in [grad_out, *grad_h[: len(outs) - 1]]])
    return [o.detach().cpu() for o in outs] + [x.grad.cpu()] + [p.grad.cpu() for p in rnn.parameters()]


@upstream(_NN + "test_RNN_cpu_vs_cudnn_no_dropout", _NN + "test_RNN_cpu_vs_cudnn_with_dropout")
@cudnn
@pytest.mark.parametrize("dropout", [0, 1])
@pytest.mark.parametrize("mode", ["RNN", "LSTM", "GRU"])
def test_RNN_cpu_vs_cudnn(impl, mode, dropout):
    dtype = torch.double
    for bias, bidir, proj in product((True, False), (True, False), (0, 3) if mode == "LSTM" else (0,)):
        D = 2 if bidir else 1
        rnn = impl.cls(mode)(10, 6, 2, bias=bias, dropout=dropout, bidirectional=bidir,
                             **({"proj_size": proj} if proj else {})).to(dtype)
        x = torch.randn(7, 6, 10, dtype=dtype)
        hx = (torch.randn(2 * D, 6, proj or 6, dtype=dtype), torch.randn(2 * D, 6, 6, dtype=dtype))
        grad_out = torch.randn(7, 6, (proj or 6) * D, dtype=dtype)
        grad_h = [torch.randn(2 * D, 6, proj or 6, dtype=dtype), torch.randn(2 * D, 6, 6, dtype=dtype)]
        cpu = _forward_backward(copy.deepcopy(rnn), x, hx, grad_out, grad_h, "cpu")
        gpu = _forward_backward(copy.deepcopy(rnn), x, hx, grad_out, grad_h, "cuda")
        torch.testing.assert_close(gpu, cpu, atol=5e-5, rtol=0)


@upstream(_NN + "test_RNN_cudnn_weight_norm")
@cudnn
@pytest.mark.parametrize("spec", [(0, "weight_hh_l0"), (3, "weight_hr_l0")], ids=str)
def test_RNN_cudnn_weight_norm(impl, spec):
    proj, name = spec
    m = impl.LSTM(10, 6, 2, **({"proj_size": proj} if proj else {}))
    x = torch.randn(7, 6, 10)
    expected = m(x)
    m = torch.nn.utils.weight_norm(m, name=name).cuda()
    warnings.simplefilter("always")
    torch.testing.assert_close(m(x.cuda()), tuple(
        t.cuda() if isinstance(t, torch.Tensor) else tuple(u.cuda() for u in t) for t in expected))
    m = torch.nn.utils.remove_weight_norm(m, name=name)
    torch.testing.assert_close(m(x.cuda())[0].cpu(), expected[0])


@upstream(_NN + "test_partial_flat_weights")
@cuda
def test_partial_flat_weights(impl):
    m = impl.LSTM(10, 6, 2)
    x = torch.randn(3, 2, 10)
    expected = m(x)
    orig = m.weight_hh_l0
    del m.weight_hh_l0
    assert not hasattr(m, "weight_hh_l0")
    m.cuda()  # moving with an attribute missing must not fail
    m.weight_hh_l0 = orig.cuda()
    warnings.simplefilter("always")
    torch.testing.assert_close(m(x.cuda())[0].cpu(), expected[0])


@upstream(_DEV + "test_rnn_fused")
@cuda
@pytest.mark.parametrize("mode", ["GRU", "LSTM"])
def test_rnn_fused(impl, mode):
    dtype = torch.double
    with torch.backends.cudnn.flags(enabled=False):
        for bias in (True, False):
            rnn = impl.cls(mode)(10, 6, 2, bias=bias).to(dtype)
            x = torch.randn(7, 6, 10, dtype=dtype)
            hx = (torch.randn(2, 6, 6, dtype=dtype), torch.randn(2, 6, 6, dtype=dtype) + 1)
            g = [torch.randn(7, 6, 6, dtype=dtype), [torch.randn(2, 6, 6, dtype=dtype)] * 2]
            cpu = _forward_backward(copy.deepcopy(rnn), x, hx, g[0], g[1], "cpu")
            gpu = _forward_backward(copy.deepcopy(rnn), x, hx, g[0], g[1], "cuda")
            torch.testing.assert_close(gpu, cpu, atol=5e-5, rtol=0)
