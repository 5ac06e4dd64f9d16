"""Weight scaling vs the arithmetic and geometric means over dropout masks."""
from __future__ import annotations

import pytest
import torch

from seqdrop.course.mask_averaging import (
    arithmetic_mean,
    averaging_curve,
    geometric_mean,
    prediction_metrics,
    sample_logits,
    train_digits_ensemble,
)
from seqdrop.models import FeedForwardNet


def _net(depth: int) -> FeedForwardNet:
    torch.manual_seed(0)
    net = FeedForwardNet(6, (16,) * depth, 3, dropout=0.5).eval()
    with torch.no_grad():
        net.net[-1].weight.mul_(10.0)  # confident outputs: the two means differ visibly
    return net


def test_geometric_mean_is_softmax_of_mean_logits():
    z = torch.randn(7, 4, 3)
    by_hand = torch.exp(torch.log_softmax(z, -1).mean(0))
    assert torch.allclose(geometric_mean(z), by_hand / by_hand.sum(-1, keepdim=True), atol=1e-6)
    assert torch.allclose(arithmetic_mean(z), z.softmax(-1).mean(0))


def test_weight_scaling_is_the_geometric_mean_when_logits_are_affine_in_the_mask():
    net, x = _net(1), torch.randn(5, 6)
    logits = sample_logits(net, x, 20000, generator=torch.Generator().manual_seed(1))
    assert not net.training, "sampling must restore eval mode"
    assert torch.allclose(logits.mean(0), net(x), atol=0.1)  # E_r[z] = z_WS
    # the arithmetic mean is flatter: it does not converge to weight scaling
    gap = (arithmetic_mean(logits) - net(x).softmax(-1)).abs().max()
    assert gap > 0.005


def test_masks_are_reproducible_and_change_between_passes():
    net, x = _net(2), torch.randn(4, 6)
    a = sample_logits(net, x, 3, generator=torch.Generator().manual_seed(5))
    b = sample_logits(net, x, 3, generator=torch.Generator().manual_seed(5))
    assert torch.equal(a, b)
    assert not torch.equal(a[0], a[1])


def test_averaging_curve_and_metrics():
    z = torch.randn(8, 10, 3)
    y = torch.randint(0, 3, (10,))
    curve = averaging_curve(z, z[0].softmax(-1), y)
    assert sorted(curve["n_masks"].unique()) == [1, 2, 4, 8]
    first = curve[curve["n_masks"] == 1]
    assert (first["gap"] == 0).all()  # one mask: both rules are that sub-network
    with pytest.raises(ValueError, match="zero samples"):
        prediction_metrics(torch.empty(0, 3), torch.empty(0, dtype=torch.long))


def test_trial_runs_and_is_deterministic():
    config = dict(p=0.5, depth=1, hidden=16, steps=20, lr=3e-3, batch_size=32, n_masks=4, seed=3)
    a, b = train_digits_ensemble(config), train_digits_ensemble(config)
    assert a["ws_acc"] == b["ws_acc"] and a["arithmetic_gap"] == b["arithmetic_gap"]
    assert 0 <= a["flip_rate"] <= 1 and len(a["history"]) == 2 * 3
