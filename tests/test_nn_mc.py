"""seqdrop.nn.mc: Monte-Carlo dropout inference."""
from __future__ import annotations

import pytest
import torch
from torch import nn

import seqdrop.nn as snn


class TinyLM(nn.Module):
    def __init__(self, **kw):
        super().__init__()
        self.emb = snn.EmbeddingDropout(nn.Embedding(20, 8), p=0.1)
        self.rnn = snn.LSTM(8, 16, **kw)
        self.norm = nn.BatchNorm1d(16)
        self.out = nn.Linear(16, 20)

    def forward(self, x):
        h, _ = self.rnn(self.emb(x))
        return self.out(h)


@pytest.mark.parametrize(
    "kw",
    [dict(recurrent_dropout=0.3), dict(weight_dropout=0.3), dict(zoneout=0.2), dict(update_dropout=0.3),
     dict(output_dropout=0.3), dict(recurrent_dropout=0.3, recurrent_dropout_mode="batch")],
)
def test_mc_predict_every_variant(kw):
    torch.manual_seed(0)
    model = TinyLM(**kw).eval()
    x = torch.randint(0, 20, (5, 3))
    mean, std = mc_out = snn.mc_predict(model, x, n_samples=8, transform=lambda z: z.softmax(-1))
    assert mean.shape == std.shape == (5, 3, 20)
    assert (std > 0).any()
    torch.testing.assert_close(mean.sum(-1), torch.ones(5, 3))
    # modes restored, and BatchNorm stayed in eval inside the context
    assert not model.training and not model.rnn.training
    with snn.mc_dropout(model):
        assert model.rnn.training and model.emb.training and not model.norm.training and not model.training
    assert not model.rnn.training
    del mc_out


def test_mc_predict_without_dropout_has_zero_spread_and_matches_eval():
    model = nn.Sequential(nn.Linear(4, 3))
    x = torch.randn(2, 4)
    mean, std = snn.mc_predict(model, x, n_samples=5)
    assert torch.equal(std, torch.zeros_like(std))
    torch.testing.assert_close(mean, model(x))


def test_mc_predict_callable_and_welford():
    torch.manual_seed(1)
    rnn = snn.GRU(3, 6, recurrent_dropout=0.5)
    x = torch.randn(4, 2, 3)
    samples = []
    mean, std = snn.mc_predict(rnn, lambda m: samples.append(m(x)[0]) or samples[-1], n_samples=6)
    stack = torch.stack(samples)
    torch.testing.assert_close(mean, stack.mean(0), atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(std, stack.std(0, correction=0), atol=1e-6, rtol=1e-5)
    with pytest.raises(ValueError):
        snn.mc_predict(rnn, x, n_samples=0)


def test_mc_samples_differ_and_restore_the_mode():
    net = nn.Sequential(nn.Linear(3, 8), nn.Dropout(0.5), nn.Linear(8, 2))
    net.eval()
    x = torch.ones(4, 3)
    s = snn.mc_samples(net, lambda m: m(x), 5)
    assert s.shape == (5, 4, 2) and not torch.allclose(s[0], s[1])
    assert not net.training and not net[1].training
    with pytest.raises(ValueError, match="n_samples"):
        snn.mc_passes(net, x, 0)  # checked when called, not at the first pass


def test_mc_samples_generator_reproduces_the_passes_and_is_restored():
    from seqdrop.dropout import Dropout

    torch.manual_seed(0)
    own = torch.Generator().manual_seed(99)
    net = nn.Sequential(nn.Linear(4, 8), Dropout(0.5, generator=own), nn.Linear(8, 3)).eval()
    x = torch.randn(5, 4)
    a = snn.mc_samples(net, x, 4, transform=lambda z: z.softmax(-1), generator=torch.Generator().manual_seed(4))
    b = snn.mc_samples(net, x, 4, transform=lambda z: z.softmax(-1), generator=torch.Generator().manual_seed(4))
    assert torch.equal(a, b) and not torch.equal(a[0], a[1])
    torch.testing.assert_close(a.sum(-1), torch.ones(4, 5))
    assert net[1].generator is own and not net.training
    mean, std = snn.mc_predict(net, x, 4, transform=lambda z: z.softmax(-1), generator=torch.Generator().manual_seed(4))
    torch.testing.assert_close(mean, a.mean(0))
    torch.testing.assert_close(std, a.std(0, correction=0))


def test_mc_passes_stream_what_mc_samples_stacks():
    torch.manual_seed(3)
    lm = TinyLM(recurrent_dropout=0.3)
    x = torch.randint(0, 20, (6, 2))
    torch.manual_seed(7)
    streamed = [y.clone() for y in snn.mc_passes(lm, x, 3)]
    torch.manual_seed(7)
    stacked = snn.mc_samples(lm, x, 3)
    assert torch.equal(torch.stack(streamed), stacked)
    assert lm.training and not stacked.requires_grad  # mode restored, no graph kept


def test_weight_scaling_mode_equals_inverted_after_rescaling():
    """Inverted dropout = weight scaling with the next layer's weights divided by (1-p),
    in eval mode and pass by pass under the same masks."""
    from seqdrop.models import FeedForwardNet

    torch.manual_seed(0)
    inverted = FeedForwardNet(6, (16,), 3, dropout=0.5)
    scaled = FeedForwardNet(6, (16,), 3, dropout=0.5, mode="weight_scaling")
    scaled.load_state_dict(inverted.state_dict())
    with torch.no_grad():
        scaled.net[-1].weight /= 0.5  # the layer after the dropout
    x = torch.randn(7, 6)
    torch.testing.assert_close(scaled.eval()(x), inverted.eval()(x))
    torch.testing.assert_close(snn.mc_samples(scaled, x, 3, generator=torch.Generator().manual_seed(5)),
                               snn.mc_samples(inverted, x, 3, generator=torch.Generator().manual_seed(5)))
