"""Edge cases on every execution path: empty batch, zero-length sequence, torch's wording.

Every dropout option set (fused paths and step loop, see ``rnn_conformance.OPTION_SETS``)
in training and evaluation must behave like ``torch.nn``: an empty batch gives empty
outputs and a backward pass without error; a zero-length sequence raises torch's error in
both modes (so the same module does not behave differently in train and eval).
"""
from __future__ import annotations

import re

import pytest
import torch

import seqdrop.nn as snn

from rnn_conformance import option_cases

_SEQ_LEN_ZERO = "Expected sequence length to be larger than 0 in RNN"


def _layer(mode, options):
    layers = 2 if {"dropout", "layer_dropout"} & set(options) else 1
    return getattr(snn, mode)(3, 4, num_layers=layers, **options)


@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("mode,options", option_cases())
def test_empty_batch_forward_and_backward(mode, options, training):
    m = _layer(mode, options).train(training)
    x = torch.zeros(5, 0, 3, requires_grad=True)
    out, hidden = m(x)
    units = m.proj_size or 4
    assert out.shape == (5, 0, units)
    for h, n in zip(hidden if isinstance(hidden, tuple) else (hidden,), (units, 4)):
        assert h.shape == (m.num_layers, 0, n)
    out.sum().backward()
    assert x.grad is not None and x.grad.shape == x.shape
    for p in m.parameters():
        assert p.grad is None or torch.count_nonzero(p.grad) == 0


@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("mode,options", option_cases())
def test_zero_length_sequence_raises_like_torch(mode, options, training):
    m = _layer(mode, options).train(training)
    with pytest.raises(RuntimeError, match=_SEQ_LEN_ZERO):
        m(torch.zeros(0, 2, 3))


def _message(fn):
    with pytest.raises(Exception) as info:
        fn()
    return type(info.value), str(info.value)


@pytest.mark.parametrize("which", ["h", "c"])
def test_lstm_hidden_size_error_worded_as_torch(which):
    x = torch.randn(2, 3, 3)
    bad = torch.zeros(1, 3, 5)
    good = torch.zeros(1, 3, 4)
    hx = (bad, good) if which == "h" else (good, bad)
    assert _message(lambda: snn.LSTM(3, 4)(x, hx)) == _message(lambda: torch.nn.LSTM(3, 4)(x, hx))


def test_unknown_nonlinearity_error_worded_as_torch():
    kind, text = _message(lambda: torch.nn.RNN(3, 4, nonlinearity="garbage"))
    with pytest.raises(kind, match=re.escape(text)):
        snn.RNN(3, 4, nonlinearity="garbage")


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_rnn_repr_as_torch(nonlinearity):
    assert repr(snn.RNN(3, 4, 2, nonlinearity=nonlinearity)) == repr(torch.nn.RNN(3, 4, 2, nonlinearity=nonlinearity))


@pytest.mark.parametrize("mode", ["LSTM", "GRU", "RNN"])
def test_dropout_one_accepted_and_equal_to_torch(mode):
    """torch accepts ``dropout=1`` (the between-layer activations are zeroed in training)."""
    torch.manual_seed(0)
    ref = getattr(torch.nn, mode)(3, 4, 2, dropout=1.0)
    mine = getattr(snn, mode)(3, 4, 2, dropout=1.0)
    mine.load_state_dict(ref.state_dict())
    x = torch.randn(5, 2, 3)
    torch.testing.assert_close(mine(x), ref(x))


@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("mode", ["LSTM", "GRU", "RNN"])
def test_zoneout_one_keeps_the_initial_state(mode, training):
    """``zoneout=1``: every unit keeps its previous value at every step (no rescaling)."""
    m = getattr(snn, mode)(3, 4, zoneout=1.0).train(training)
    h0 = torch.randn(1, 2, 4)
    hx = (h0, torch.randn(1, 2, 4)) if mode == "LSTM" else h0
    out, h = m(torch.randn(5, 2, 3), hx)
    torch.testing.assert_close(out, h0.expand(5, 2, 4))


def test_zoneout_cell_one_keeps_the_initial_cell():
    c0 = torch.randn(1, 2, 4)
    _, (_, c) = snn.LSTM(3, 4, zoneout_cell=1.0)(torch.randn(5, 2, 3), (torch.zeros(1, 2, 4), c0))
    torch.testing.assert_close(c, c0)


@pytest.mark.parametrize("name", ["input_dropout", "layer_dropout", "output_dropout", "recurrent_dropout",
                                  "update_dropout", "weight_dropout"])
def test_inverted_dropout_options_reject_one(name):
    """Options scaled by ``1/(1-p)`` have no meaning at p = 1: a clear error names them."""
    with pytest.raises(ValueError, match=rf"'{name}' = 1.0 is outside the allowed range \[0, 1\)"):
        snn.LSTM(3, 4, 2, **{name: 1.0})


@pytest.mark.parametrize("mode", ["LSTM", "GRU", "RNN"])
def test_assigning_dropout_like_torch(mode):
    """torch code sets ``rnn.dropout = p`` after construction; it takes effect and is validated."""
    torch.manual_seed(0)
    ref = getattr(torch.nn, mode)(3, 4, 2)
    mine = getattr(snn, mode)(3, 4, 2)
    mine.load_state_dict(ref.state_dict())
    ref.dropout = mine.dropout = 1.0
    x = torch.randn(5, 2, 3)
    torch.testing.assert_close(mine(x), ref(x))
    assert "dropout=1.0" in repr(mine)
    with pytest.raises(ValueError, match="dropout"):
        mine.dropout = 1.5
