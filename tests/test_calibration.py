"""Calibration, entropy, AUROC and coverage metrics of chapter 08 (seqdrop.course.calibration)."""
import math

import pandas as pd

import pytest
import torch

from seqdrop.course.calibration import (expected_calibration_error, gaussian_interval,
                                             interval_coverage, mutual_information, ood_auroc,
                                             pool_reliability, predictive_entropy,
                                             reliability_bins)


def _calibrated(n: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Two-class predictions whose label is drawn from the predicted probability."""
    g = torch.Generator().manual_seed(seed)
    p1 = torch.rand(n, generator=g)
    y = (torch.rand(n, generator=g) < p1).long()
    return torch.stack([1 - p1, p1], dim=1), y


def test_ece_of_a_calibrated_predictor_is_near_zero():
    probs, y = _calibrated(200_000)
    assert expected_calibration_error(probs, y, 15) < 0.01


def test_ece_of_an_overconfident_predictor_is_its_gap():
    probs = torch.tensor([[0.9, 0.1]]).repeat(1000, 1)
    y = torch.cat([torch.zeros(600), torch.ones(400)]).long()  # accuracy 0.6 at confidence 0.9
    assert expected_calibration_error(probs, y, 10) == pytest.approx(0.3)


def test_reliability_bins_count_every_example_once_and_pool():
    probs, y = _calibrated(1000)
    bins = reliability_bins(probs, y, 10)
    assert len(bins) == 10 and bins["count"].sum() == 1000
    assert bins.loc[bins["bin"] < 4, "count"].sum() == 0  # the top probability is >= 0.5
    pooled = pool_reliability(pd.concat([bins.assign(seed=0), bins.assign(seed=1)]))
    assert pooled["count"].sum() == 2000
    filled = pooled.dropna()
    assert ((filled["mean_confidence"] > filled["low"]) & (filled["mean_confidence"] <= filled["high"])).all()


def test_zero_examples_raise_instead_of_a_number():
    empty = torch.zeros(0, 3)
    with pytest.raises(ValueError):
        expected_calibration_error(empty, torch.zeros(0, dtype=torch.long))
    with pytest.raises(ValueError):
        predictive_entropy(empty)
    with pytest.raises(ValueError):
        interval_coverage(torch.zeros(0), torch.zeros(0), torch.zeros(0))
    with pytest.raises(ValueError):
        ood_auroc(torch.zeros(0), torch.ones(3))
    with pytest.raises(ValueError):
        expected_calibration_error(torch.ones(2, 2) / 2, torch.zeros(2).long(), n_bins=0)


def test_entropy_bounds_and_mutual_information():
    uniform = torch.full((4, 5), 0.2)
    assert torch.allclose(predictive_entropy(uniform), torch.full((4,), math.log(5), dtype=torch.float64))
    onehot = torch.eye(5)[:4]
    assert torch.allclose(predictive_entropy(onehot), torch.zeros(4, dtype=torch.float64))
    agree = onehot.expand(8, 4, 5)
    assert torch.allclose(mutual_information(agree), torch.zeros(4, dtype=torch.float64))
    disagree = torch.stack([torch.eye(2)[[0]], torch.eye(2)[[1]]])  # two confident, opposite nets
    assert mutual_information(disagree).item() == pytest.approx(math.log(2))


def test_auroc_perfect_chance_and_ties():
    assert ood_auroc(torch.tensor([0.0, 1.0]), torch.tensor([2.0, 3.0])) == 1.0
    assert ood_auroc(torch.tensor([2.0, 3.0]), torch.tensor([0.0, 1.0])) == 0.0
    assert ood_auroc(torch.ones(5), torch.ones(7)) == 0.5


@pytest.mark.parametrize("level", [0.5, 0.8, 0.9, 0.95])
def test_gaussian_intervals_cover_their_nominal_level(level):
    g = torch.Generator().manual_seed(1)
    mean, std = torch.randn(100_000, generator=g), torch.rand(100_000, generator=g) + 0.5
    y = mean + std * torch.randn(100_000, generator=g)
    low, high = gaussian_interval(mean, std, level)
    assert interval_coverage(low, high, y) == pytest.approx(level, abs=0.005)


def test_interval_checks():
    with pytest.raises(ValueError):
        gaussian_interval(torch.zeros(1), torch.ones(1), 1.0)
    with pytest.raises(ValueError):
        interval_coverage(torch.zeros(2), torch.ones(2), torch.zeros(3))
