"""seqdrop.models: shapes, state carrying, impl selection, classifier pooling, feed-forward net."""
from __future__ import annotations

import importlib.util

import pytest
import torch
from torch import nn

from seqdrop.dropout import Dropout
from seqdrop.models import FeedForwardNet, RNNLanguageModel, SequenceClassifier, detach_state, make_rnn, uses_seqdrop

HAS_SEQDROP_NN = importlib.util.find_spec("seqdrop.nn") is not None
needs_seqdrop_nn = pytest.mark.skipif(not HAS_SEQDROP_NN, reason="seqdrop.nn not available yet")


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn", "rnn_relu"])
def test_lm_shapes_and_state_carry(cell):
    torch.manual_seed(0)
    m = RNNLanguageModel(50, 8, 12, 2, cell, dropout=0.3).eval()
    assert isinstance(m.rnn, {"lstm": nn.LSTM, "gru": nn.GRU}.get(cell, nn.RNN)) and m.rnn_impl_used == "torch"
    x = torch.randint(0, 50, (10, 3))
    logits, state = m(x)
    assert logits.shape == (10, 3, 50)
    a, s = m(x[:4])
    b, _ = m(x[4:], detach_state(s))
    torch.testing.assert_close(torch.cat([a, b]), logits)  # carrying the state = one long window


def test_lm_init_range_tying_and_per_layer():
    m = RNNLanguageModel(40, 6, 10, 3, dropout=0.2, locked=True, tie_weights=True, init_range=0.05)
    assert all(float(p.detach().abs().max()) <= 0.05 for p in m.parameters())
    assert m.decoder.weight is m.encoder.weight
    assert [r.hidden_size for r in m.rnns] == [10, 10, 6]  # AWD layout: last layer = embedding size
    x = torch.randint(0, 40, (5, 2))
    logits, state, (raw, dropped) = m(x, return_hidden=True)
    assert logits.shape == (5, 2, 40) and raw.shape == (5, 2, 6) and len(state) == 3
    with pytest.raises(Exception):
        RNNLanguageModel(40, 6, 10, 2, cell="lstm2")


def test_locked_dropout_mask_is_shared_over_time():
    m = RNNLanguageModel(30, 8, 8, 1, dropout=0.5, locked=True).train()
    h = torch.ones(6, 4, 8)
    out = m.drop_in(h)
    assert torch.equal(out[0], out[5]) and (out == 0).any()
    step = RNNLanguageModel(30, 8, 8, 1, dropout=0.5, locked=False).train()
    out = step.drop_in(torch.ones(50, 4, 8))
    assert not torch.equal(out[0], out[1])


def test_impl_selection():
    assert not uses_seqdrop({}, "auto")
    assert uses_seqdrop({"recurrent_dropout": 0.2}, "auto")
    with pytest.raises(ValueError, match="torch.nn has no such option"):
        uses_seqdrop({"weight_dropout": 0.5}, "torch")
    with pytest.raises(TypeError, match="unknown"):
        uses_seqdrop({"bogus": 1})
    assert isinstance(make_rnn("gru", 3, 4, 2, dropout=0.1), nn.GRU)


@needs_seqdrop_nn
def test_seqdrop_layers_plug_in():
    import seqdrop.nn as snn

    torch.manual_seed(0)
    ref = RNNLanguageModel(30, 8, 8, 2, rnn_impl="torch").eval()
    sd = RNNLanguageModel(30, 8, 8, 2, rnn_impl="seqdrop").eval()
    assert isinstance(sd.rnn, snn.LSTM)
    sd.load_state_dict(ref.state_dict())  # same parameters and keys
    x = torch.randint(0, 30, (6, 3))
    torch.testing.assert_close(sd(x)[0], ref(x)[0])
    m = RNNLanguageModel(30, 8, 8, 2, "gru", locked=True, dropout=0.3, recurrent_dropout=0.25, weight_dropout=0.2)
    assert m.rnn_impl_used == "seqdrop"
    logits, _ = m(x)
    logits.sum().backward()
    assert m.encoder.weight.grad is not None


def test_classifier_pooling_and_padding_invariance():
    torch.manual_seed(0)
    for pooling in ("last", "mean"):
        c = SequenceClassifier(3, 7, 4, pooling=pooling).eval()
        x = torch.randn(2, 6, 3)
        lengths = torch.tensor([6, 3])
        out = c(x, lengths)
        x2 = x.clone()
        x2[1, 3:] = 99.0  # padding content must not matter
        torch.testing.assert_close(c(x2, lengths), out)
        alone = c(x[1:, :3], torch.tensor([3]))
        torch.testing.assert_close(out[1:], alone)


def test_feedforward_net_is_784_128_10():
    f = FeedForwardNet()
    linears = [m for m in f.modules() if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(784, 128), (128, 10)]
    drops = [m for m in f.modules() if isinstance(m, Dropout)]
    assert [(d.p, d.mode, d.generator) for d in drops] == [(0.5, "inverted", None)]
    assert f(torch.rand(5, 28, 28)).shape == (5, 10)


def test_feedforward_net_dropout_sites_mode_and_generator():
    g = torch.Generator()
    f = FeedForwardNet(64, (32, 16), 10, dropout=0.3, input_dropout=0.2, mode="weight_scaling", generator=g)
    drops = [m for m in f.modules() if isinstance(m, Dropout)]
    assert [d.p for d in drops] == [0.2, 0.3, 0.3]
    assert all(d.mode == "weight_scaling" and d.generator is g for d in drops)
    assert [type(m) for m in f.net][:3] == [Dropout, nn.Linear, nn.ReLU]
    # rate 0 adds no layer
    assert not [m for m in FeedForwardNet(64, (32,), 10, dropout=0.0).modules() if isinstance(m, Dropout)]
    for bad in ({"dropout": 1.0}, {"dropout": -0.1}, {"input_dropout": 1.5}, {"mode": "bad"}, {"generator": 0}):
        with pytest.raises((ValueError, TypeError)):
            FeedForwardNet(64, (8,), 10, **bad)


def test_feedforward_net_generator_makes_masks_reproducible():
    x = torch.rand(6, 8, 8)

    def run(seed):
        torch.manual_seed(0)
        f = FeedForwardNet(64, (32,), 10, generator=torch.Generator().manual_seed(seed)).train()
        return f(x), f(x)

    a1, a2 = run(1)
    b1, _ = run(1)
    assert torch.equal(a1, b1) and not torch.equal(a1, a2)
    assert not torch.equal(a1, run(2)[0])


def test_feedforward_net_weight_scaling_equals_inverted_after_rescaling():
    """Weight scaling (×(1-p) at test time) = inverted dropout with the next layer's weights ×(1-p)."""
    p, x = 0.4, torch.rand(7, 64)
    torch.manual_seed(0)
    inv = FeedForwardNet(64, (32,), 10, dropout=p, generator=torch.Generator().manual_seed(3))
    ws = FeedForwardNet(64, (32,), 10, dropout=p, mode="weight_scaling", generator=torch.Generator().manual_seed(3))
    ws.load_state_dict(inv.state_dict())
    with torch.no_grad():
        ws.net[-1].weight /= 1 - p
    torch.testing.assert_close(ws.eval()(x), inv.eval()(x))
    torch.testing.assert_close(ws.train()(x), inv.train()(x))  # same masks from the same seed


def test_layer_options_pick_only_layer_arguments():
    from seqdrop.models import LAYER_OPTIONS, layer_options

    args = {name: 0.0 for name in LAYER_OPTIONS} | {"input_dropout": 0.4, "self": object()}
    got = layer_options(args, {"update_dropout_per_step": True})
    assert set(got) == set(LAYER_OPTIONS) | {"update_dropout_per_step"}
    assert "input_dropout" not in got and got["update_dropout_per_step"] is True
