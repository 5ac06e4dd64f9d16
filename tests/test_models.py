"""seqdrop.models: shapes, one state type, the dropouts argument, classifier pooling, feed-forward net."""
from __future__ import annotations

import pytest
import torch
from torch import nn

import seqdrop.nn as snn
from seqdrop.dropout import Dropout
from seqdrop.models import FeedForwardNet, RNNLanguageModel, SequenceClassifier, detach_state, make_rnn
from seqdrop.nn import RecurrentDropout
from seqdrop.errors import ParameterError

ZAREMBA = RecurrentDropout(model_input_dropout=0.3, model_layer_dropout=0.3, model_output_dropout=0.3)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn", "rnn_relu"])
def test_lm_shapes_and_state_carry(cell):
    torch.manual_seed(0)
    m = RNNLanguageModel(50, 8, 12, 2, cell, dropouts=ZAREMBA).eval()
    assert isinstance(m.rnn, {"lstm": snn.LSTM, "gru": snn.GRU}.get(cell, snn.RNN))
    x = torch.randint(0, 50, (10, 3))
    logits, state = m(x)
    assert logits.shape == (10, 3, 50)
    a, s = m(x[:4])
    b, _ = m(x[4:], detach_state(s))
    torch.testing.assert_close(torch.cat([a, b]), logits)  # carrying the state = one long window


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_lm_state_has_one_type_whatever_the_options(cell):
    """A list with one (1, B, H_layer) state per layer, for the fused and the per-layer layouts."""
    x = torch.randint(0, 30, (5, 2))
    for dropouts, tie in ((None, False), (dict(locked=True, model_layer_dropout=0.2), False),
                          (dict(recurrent_dropout=0.2), True)):
        m = RNNLanguageModel(30, 6, 10, 3, cell, dropouts=dropouts, tie_weights=tie)
        _, state = m(x)
        assert isinstance(state, list) and len(state) == 3
        for i, s in enumerate(state):
            h = s[0] if cell == "lstm" else s
            assert isinstance(s, tuple) == (cell == "lstm")
            assert h.shape == (1, 2, 6 if (tie and i == 2) else 10)


def test_lm_is_bit_identical_to_torch_layers_without_options():
    """Always seqdrop.nn layers: with no option on they give torch.nn's numbers."""
    torch.manual_seed(0)
    m = RNNLanguageModel(30, 8, 8, 2).train()
    ref = nn.LSTM(8, 8, 2)
    ref.load_state_dict(m.rnn.state_dict())
    x = torch.randint(0, 30, (6, 3))
    h = m.drop_in(m.embed(x))
    assert torch.equal(m.rnn(h)[0], ref(h)[0])


def test_lm_init_range_tying_and_per_layer():
    m = RNNLanguageModel(40, 6, 10, 3, dropouts=dict(ZAREMBA.to_dict(), locked=True), tie_weights=True,
                         init_range=0.05)
    assert all(float(p.detach().abs().max()) <= 0.05 for p in m.parameters())
    assert m.decoder.weight is m.encoder.weight
    assert [r.hidden_size for r in m.rnns] == [10, 10, 6]  # AWD layout: last layer = embedding size
    x = torch.randint(0, 40, (5, 2))
    logits, state, (raw, dropped) = m(x, return_hidden=True)
    assert logits.shape == (5, 2, 40) and raw.shape == (5, 2, 6) and len(state) == 3
    with pytest.raises(ParameterError, match="cell"):
        RNNLanguageModel(40, 6, 10, 2, cell="lstm2")


def test_locked_dropout_mask_is_shared_over_time():
    m = RNNLanguageModel(30, 8, 8, 1, dropouts=dict(model_input_dropout=0.5, locked=True)).train()
    out = m.drop_in(torch.ones(6, 4, 8))
    assert torch.equal(out[0], out[5]) and (out == 0).any()
    step = RNNLanguageModel(30, 8, 8, 1, dropouts=dict(model_input_dropout=0.5)).train()
    out = step.drop_in(torch.ones(50, 4, 8))
    assert not torch.equal(out[0], out[1])


def test_dropouts_argument_sites_and_recurrence_options():
    d = RecurrentDropout(locked=True, embedding_dropout=0.1, model_layer_dropout=0.3, recurrent_dropout=0.25,
                         weight_dropout=0.2, zoneout=0.1)
    m = RNNLanguageModel(30, 8, 8, 2, "gru", dropouts=d)
    assert m.dropouts is d
    for rnn in m.rnns:  # the recurrence options reach every layer; the model sites do not
        assert rnn.dropouts == RecurrentDropout(recurrent_dropout=0.25, weight_dropout=0.2, zoneout=0.1)
    logits, _ = m(torch.randint(0, 30, (6, 3)))
    logits.sum().backward()
    assert m.encoder.weight.grad is not None
    assert RNNLanguageModel(30, 8, 8, 2, dropouts={"recurrent_dropout": 0.2}).rnn.dropouts.recurrent_dropout == 0.2


@pytest.mark.parametrize("name, model_name", [("dropout", "model_layer_dropout"), ("input_dropout", "model_input_dropout"),
                                              ("output_dropout", "model_output_dropout")])
def test_models_reject_layer_names_of_model_sites(name, model_name):
    for build in (lambda d: RNNLanguageModel(30, 8, 8, 2, dropouts=d), lambda d: SequenceClassifier(3, 4, 2, dropouts=d)):
        with pytest.raises(ParameterError, match=model_name):
            build({name: 0.2})


def test_generator_reaches_every_layer():
    g = torch.Generator().manual_seed(0)
    m = RNNLanguageModel(30, 8, 8, 2, dropouts=dict(recurrent_dropout=0.2), generator=g)
    assert m.rnn.generator is g and m.generator is g


def test_make_rnn():
    assert isinstance(make_rnn("gru", 3, 4, 2, dropout=0.1), snn.GRU)
    assert make_rnn("rnn_relu", 3, 4).nonlinearity == "relu"
    with pytest.raises(ParameterError, match="cell"):
        make_rnn("conv", 3, 4)


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


def test_classifier_sites():
    c = SequenceClassifier(3, 7, 4, 2, dropouts=dict(model_layer_dropout=0.3, locked=True, zoneout=0.1))
    assert c.rnn.dropouts == RecurrentDropout(layer_dropout=0.3, zoneout=0.1)
    c = SequenceClassifier(3, 7, 4, 2, dropouts=dict(model_layer_dropout=0.3))
    assert c.rnn.dropouts == RecurrentDropout(dropout=0.3)
    with pytest.raises(ParameterError, match="pooling"):
        SequenceClassifier(3, 7, 4, pooling="max")


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
