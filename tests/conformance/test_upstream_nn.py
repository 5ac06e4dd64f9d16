"""PyTorch's RNN tests from ``test/test_nn.py`` (class ``TestNN``), run on every implementation.

Each test is adapted from the upstream test named in its ``@upstream`` marker: ``nn.LSTM``
becomes ``impl.LSTM`` (see ``rnn_conformance.py``); assertions are upstream's. CUDA parts of
tests that upstream runs on both devices run here when a GPU is present.
"""
from __future__ import annotations

import io
import re

import pytest
import torch

from rnn_conformance import upstream

_NN = "test_nn.py::TestNN::"
DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


def _resized(shape, dim, size):
    new = list(shape)
    new[dim] = size
    return tuple(new)


_FORWARD_EXCEPTION_CASES = {
    "lstm": (dict(mode="LSTM"), lambda: (torch.zeros(1, 2, 19), torch.zeros(1, 2, 19))),
    "lstm_proj": (dict(mode="LSTM", proj_size=10), lambda: (torch.zeros(1, 2, 19), torch.zeros(1, 2, 19))),
    "gru": (dict(mode="GRU"), lambda: torch.zeros(1, 2, 19)),
    "rnn": (dict(mode="RNN"), lambda: torch.zeros(1, 2, 19)),
}


@upstream(_NN + "test_cudnn_forward_exception")
@pytest.mark.parametrize("case", list(_FORWARD_EXCEPTION_CASES))
def test_forward_exception(impl, case):
    spec, hidden = _FORWARD_EXCEPTION_CASES[case]
    spec = dict(spec)
    rnn = impl.cls(spec.pop("mode"))(10, 20, batch_first=True, **spec)
    with pytest.raises(RuntimeError, match="Expected hidden.*size.*got"):
        rnn(torch.randn(2, 3, 10), hidden())
    with pytest.raises(RuntimeError, match=re.escape("input.size(-1) must be equal to input_size")):
        rnn(torch.randn(2, 3, 3))


@upstream(_NN + "test_rnn_args_check")
@pytest.mark.parametrize("mode", ["RNN", "GRU", "LSTM"])
def test_rnn_args_check(impl, mode):
    input_size, hidden_size, num_layers, batch, seq_len, bad = 3, 5, 2, 4, 6, 7
    good_input = (seq_len, batch, input_size)
    good_hidden = (num_layers, batch, hidden_size)

    def inputs(input_shape, hidden_shape):
        x, h = torch.randn(input_shape), torch.randn(hidden_shape)
        if mode != "LSTM":
            return [(x, h)]
        if hidden_shape == good_hidden:
            return [(x, (h, h))]
        ok = torch.randn(good_hidden)
        return [(x, (h, ok)), (x, (ok, h))]

    for input_shape, hidden_shape in [
        (_resized(good_input, 1, bad), good_hidden),  # input batch size
        (good_input, _resized(good_hidden, 1, bad)),  # hidden batch size
        (_resized(good_input, 2, bad), good_hidden),  # input size
        (good_input, _resized(good_hidden, 2, bad)),  # hidden size
        (good_input, _resized(good_hidden, 0, bad)),  # hidden[0]
    ]:
        for x, h in inputs(input_shape, hidden_shape):
            model = impl.cls(mode)(input_size, hidden_size, num_layers)
            with pytest.raises(RuntimeError):
                model(x, h)


@upstream(_NN + "test_projections_lstm_args_check")
def test_projections_lstm_args_check(impl):
    input_size, hidden_size, proj_size, num_layers, batch, seq_len, bad = 3, 5, 2, 2, 4, 6, 7
    good_input = (seq_len, batch, input_size)
    good_h = (num_layers, batch, proj_size)
    good_c = (num_layers, batch, hidden_size)
    cases = [
        (_resized(good_input, 1, bad), good_h, good_c),
        (good_input, _resized(good_h, 1, bad), _resized(good_c, 1, bad)),
        (_resized(good_input, 2, bad), good_h, good_c),
        (good_input, _resized(good_h, 2, bad), _resized(good_c, 2, bad)),
        (good_input, _resized(good_h, 0, bad), _resized(good_c, 0, bad)),
        (good_input, _resized(good_h, 0, hidden_size), good_c),  # proj size = hidden size
        (good_input, _resized(good_h, 0, bad), good_c),
        (good_input, good_h, _resized(good_c, 0, bad)),  # cell size != hidden size
    ]
    for input_shape, h_shape, c_shape in cases:
        model = impl.LSTM(input_size, hidden_size, num_layers, proj_size=proj_size)
        with pytest.raises(RuntimeError):
            model(torch.randn(input_shape), (torch.randn(h_shape), torch.randn(c_shape)))


@upstream(_NN + "test_rnn_initial_hidden_state")
@pytest.mark.parametrize("mode", ["RNN", "GRU", "LSTM"])
def test_rnn_initial_hidden_state(impl, mode):
    rnn = impl.cls(mode)(30, 20, 2)
    x = torch.randn(10, 32, 30)
    hidden = torch.zeros(2, 32, 20)
    if mode == "LSTM":
        hidden = (hidden, hidden)
    out1, h1 = rnn(x, hidden)
    out2, h2 = rnn(x)
    torch.testing.assert_close(out1, out2)
    torch.testing.assert_close(h1, h2)


@upstream(_NN + "test_projections_lstm_initial_hidden_state")
@pytest.mark.parametrize("bidir", [False, True])
def test_projections_lstm_initial_hidden_state(impl, bidir):
    rnn = impl.LSTM(30, 20, 2, bidirectional=bidir, proj_size=10)
    dirs = 2 if bidir else 1
    x = torch.randn(10, 32, 30)
    hidden = (torch.zeros(2 * dirs, 32, 10), torch.zeros(2 * dirs, 32, 20))
    out1, h1 = rnn(x, hidden)
    out2, h2 = rnn(x)
    torch.testing.assert_close(out1, out2)
    torch.testing.assert_close(h1, h2)


@upstream(_NN + "test_projections_errors_on_gru_and_rnn")
@pytest.mark.parametrize("mode", ["RNN", "GRU"])
def test_projections_errors_on_gru_and_rnn(impl, mode):
    with pytest.raises(ValueError, match="proj_size argument is only supported for LSTM, not RNN or GRU"):
        impl.cls(mode)(30, 20, 2, proj_size=10)


@upstream(_NN + "test_RNN_dropout")
@pytest.mark.parametrize("p", [0, 0.276, 0.731, 1])
@pytest.mark.parametrize("device", DEVICES)
def test_RNN_dropout(impl, p, device):
    torch.set_default_dtype(torch.double)
    for train in (True, False):
        rnn = impl.RNN(10, 1000, 2, bias=False, dropout=p, nonlinearity="relu").to(device)
        rnn.train(train)
        with torch.no_grad():
            for w in (rnn.weight_ih_l0, rnn.weight_hh_l0, rnn.weight_ih_l1, rnn.weight_hh_l1):
                w.fill_(1)
        out, hy = rnn(torch.ones(1, 1, 10, device=device), torch.zeros(2, 1, 1000, device=device))
        assert out.min() == out.max()
        val = out[0][0][0].item()
        if p == 0 or not train:
            assert val == 10000
        elif p == 1:
            assert val == 0
        else:
            assert 8000 < val < 12000
            denorm = (val * (1 - p)) % 10
            assert min(denorm, 10 - denorm) < 1e-2
        assert hy[0].min() == hy[0].max() and hy[1].min() == hy[1].max()
        assert hy[0][0][0].item() == 10
        assert hy[1][0][0].item() == val


@upstream(_NN + "test_error_RNN_seq_len_zero")
@pytest.mark.parametrize("mode", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("device", DEVICES)
def test_error_RNN_seq_len_zero(impl, mode, device):
    torch.set_default_dtype(torch.double)
    for bidirectional in (True, False):
        rnn = impl.cls(mode)(5, 6, bidirectional=bidirectional).to(device)
        with pytest.raises(RuntimeError, match="Expected sequence length to be larger than 0 in RNN"):
            rnn(torch.ones(0, 10, 5, device=device))


@upstream(_NN + "test_RNN_input_size_zero")
@pytest.mark.parametrize("mode", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("device", DEVICES)
def test_RNN_input_size_zero(impl, mode, device):
    rnn = impl.cls(mode)(input_size=3, hidden_size=4).to(device)
    outs = rnn(torch.zeros((5, 0, 3), device=device))
    assert outs[0].shape == torch.Size([5, 0, 4])
    outs[0].sum().backward()  # no hard error


@upstream(_NN + "test_RNN_dropout_state")
@pytest.mark.parametrize("p", [0, 0.1234])
@pytest.mark.parametrize("device", DEVICES)
def test_RNN_dropout_state(impl, p, device):
    for train in (True, False):
        rnn = impl.RNN(100, 100, 2, bias=False, dropout=p, nonlinearity="relu").to(device)
        rnn.train(train)
        x = torch.rand(1, 1, 100, device=device)
        hx = torch.rand(2, 1, 100, device=device)
        out1, hy1 = rnn(x, hx)
        out2, hy2 = rnn(x, hx)
        buf = io.BytesIO()
        torch.save(rnn, buf)
        buf.seek(0)
        rnn2 = torch.load(buf, weights_only=False)
        rnn2.flatten_parameters()
        out3, hy3 = rnn2(x, hx)
        if p == 0 or not train:
            for a, b in ((out1, out2), (out1, out3), (hy1, hy2), (hy1, hy3)):
                torch.testing.assert_close(a, b)
        else:
            for a, b in ((out1, out2), (out1, out3), (hy1, hy2), (hy1, hy3)):
                assert not torch.equal(a, b)


@upstream(_NN + "test_RNN_change_dropout")
@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("device", DEVICES)
def test_RNN_change_dropout(impl, train, device):
    torch.set_default_dtype(torch.double)
    rnn = impl.RNN(100, 100, 2, dropout=0, nonlinearity="relu").to(device)
    x = torch.rand(3, 2, 100, device=device)
    rnn.train(train)
    prev = None
    for p in (0, 0.5, 0, 0.7, 0.2, 1, 0.2, 0):
        rnn.dropout = p
        out1, hy1 = rnn(x)
        out2, hy2 = rnn(x)
        if p == 0 or p == 1 or not train:
            torch.testing.assert_close(out1, out2)
            torch.testing.assert_close(hy1, hy2)
        else:
            assert not torch.equal(out1, out2) and not torch.equal(hy1, hy2)
        if prev is not None:
            if not train:
                torch.testing.assert_close(out1, prev)
                torch.testing.assert_close(out2, prev)
            else:
                assert not torch.equal(out1, prev) and not torch.equal(out2, prev)
        prev = out1.detach()

