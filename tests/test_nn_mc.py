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
