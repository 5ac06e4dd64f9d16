"""Augmentation layer, weight statistics, early-stopping point, the regularised-MLP trial."""
from __future__ import annotations

import pandas as pd
import pytest
import torch
from torch import nn

from seqdrop._validation import ParameterError
from seqdrop.course.regularizers import AugmentedNet, RandomShift, early_stopping_point, weight_stats


def test_random_shift_moves_images_and_is_identity_in_eval():
    img = torch.zeros(64, 28, 28)
    img[:, 10:18, 10:18] = 1.0
    aug = RandomShift(2, generator=torch.Generator().manual_seed(0))
    out = aug(img)
    assert out.shape == img.shape
    assert torch.equal(out.sum((1, 2)), img.sum((1, 2)))  # shifts of ≤ 2 px keep the square
    moved = (out != img).flatten(1).any(1)
    assert 0.8 < moved.float().mean() < 1.0  # 24 of 25 offsets move the image
    assert aug.eval()(img) is img
    flat = img.flatten(1)
    assert RandomShift(1).train()(flat).shape == flat.shape


def test_random_shift_noise_and_reproducibility():
    x = torch.zeros(1000, 28, 28)
    a = RandomShift(0, 0.5, generator=torch.Generator().manual_seed(3))(x)
    b = RandomShift(0, 0.5, generator=torch.Generator().manual_seed(3))(x)
    assert torch.equal(a, b)
    assert abs(float(a.std()) - 0.5) < 0.01
    with pytest.raises(ParameterError, match="max_shift"):
        RandomShift(28)


def test_augmented_net_passes_through():
    net = AugmentedNet(RandomShift(1), nn.Flatten())
    assert net.eval()(torch.ones(2, 28, 28), None).shape == (2, 784)


def test_weight_stats():
    layer = nn.Linear(4, 2)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[0.0, 0.0, 2.0, -2.0], [0.0, 0.0, 0.0, 0.0]]))
    s = weight_stats(layer)
    assert s["near_zero"] == 0.75 and s["l1"] == 0.5 and s["l2"] == 1.0


def test_early_stopping_point_picks_best_then_earliest():
    h = pd.DataFrame({"epoch": [1, 2, 3, 4], "val_acc": [0.5, 0.8, 0.8, 0.7],
                      "val_loss": [1.0, 0.4, 0.5, 0.6]})
    assert early_stopping_point(h)["epoch"] == 2
    assert early_stopping_point(h, "val_loss")["epoch"] == 2
    with pytest.raises(ValueError, match="empty"):
        early_stopping_point(h.iloc[:0])
