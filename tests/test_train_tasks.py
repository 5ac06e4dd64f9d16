"""seqdrop.train tasks: regression/forecasting, task choice, the caller's data left untouched."""
from __future__ import annotations

import math

import pytest
import torch

from seqdrop.data import load_digits_rows, load_ptb
from seqdrop.data.batching import SequenceDataset, SequenceSplit
from seqdrop.models import SequenceClassifier
from seqdrop.errors import ParameterError
from seqdrop.train import Classification, LanguageModelling, Regression, TrainConfig, fit, make_task
from seqdrop.utils import seed_everything


def _sine_forecast(n: int = 384, steps: int = 12, seed: int = 0) -> SequenceDataset:
    """Noisy sine waves of random phase and frequency; target: the next value (one step ahead)."""
    g = torch.Generator().manual_seed(seed)
    phase = torch.rand(n, 1, generator=g) * 2 * math.pi
    freq = 0.3 + 0.4 * torch.rand(n, 1, generator=g)
    t = torch.arange(steps + 1, dtype=torch.float32)
    wave = torch.sin(phase + freq * t) + 0.05 * torch.randn(n, steps + 1, generator=g)
    x, y = wave[:, :steps].unsqueeze(-1), wave[:, steps]
    lengths = torch.full((n,), steps, dtype=torch.long)
    cut = [0, n * 3 // 4, n * 7 // 8, n]
    splits = [SequenceSplit(x[a:b], y[a:b], lengths[a:b]) for a, b in zip(cut, cut[1:])]
    return SequenceDataset(*splits, num_classes=0, num_features=1, name="sine-forecast")


def test_regression_learns_a_forecast_and_reports_mse_mae():
    data = _sine_forecast()
    seed_everything(0)
    model = SequenceClassifier(1, 16, 1)  # a linear head with one output: a regressor
    res = fit(model, data, TrainConfig(epochs=8, batch_size=32, optimizer="adam", lr=1e-2), progress=False)
    h = res.history
    assert {"train_mse", "val_mse", "val_mae", "test_mse", "test_mae"} <= set(h.columns)
    assert (h["val_loss"] == h["val_mse"]).all() and (h["val_mae"] <= h["val_mse"].pow(0.5) + 1e-12).all()
    baseline = float(data.valid.y.var(unbiased=False))  # predicting the mean
    assert h["val_mse"].iloc[-1] < 0.25 * baseline < h["val_mse"].iloc[0] * 4
    assert res.best["epoch"] == int(h.loc[h["val_loss"].idxmin(), "epoch"])


def test_regression_rejects_a_mismatched_output():
    data = _sine_forecast(n=64)
    with pytest.raises(ParameterError, match=r"returned shape \(\d+, 3\) for targets of shape \(\d+,\)"):
        fit(SequenceClassifier(1, 4, 3), data, TrainConfig(epochs=1, batch_size=16), progress=False)


def test_task_is_chosen_from_the_data_or_the_config():
    dev = torch.device("cpu")
    cfg = TrainConfig(batch_size=8, eval_batch_size=8)
    assert isinstance(make_task(load_ptb("char", max_tokens=2000), cfg, dev), LanguageModelling)
    assert isinstance(make_task(load_digits_rows(), cfg, dev), Classification)
    assert isinstance(make_task(_sine_forecast(n=32), cfg, dev), Regression)
    digits = load_digits_rows()
    digits.train.y, digits.valid.y, digits.test.y = (s.y.float() for s in (digits.train, digits.valid, digits.test))
    assert isinstance(make_task(digits, cfg, dev), Regression)
    digits.train.y = digits.train.y.long()
    assert isinstance(make_task(digits, TrainConfig(task="classification"), dev), Classification)
    with pytest.raises(ParameterError, match="LMCorpus or a SequenceDataset"):
        make_task([1, 2, 3], cfg, dev)
    with pytest.raises(ParameterError, match="language models only"):
        make_task(load_digits_rows(), TrainConfig(ar_alpha=1.0), dev)


def test_the_callers_data_is_not_modified():
    data = load_digits_rows()
    before = {k: (getattr(data, k).x, getattr(data, k).y.clone()) for k in ("train", "valid", "test")}
    seed_everything(0)
    fit(SequenceClassifier(8, 8, 10), data, TrainConfig(epochs=1, batch_size=64), progress=False)
    for k, (x, y) in before.items():
        assert getattr(data, k).x is x and torch.equal(getattr(data, k).y, y)


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_the_callers_data_stays_on_its_device_cuda():
    data, corpus = load_digits_rows(), load_ptb("char", max_tokens=3000)
    seed_everything(0)
    fit(SequenceClassifier(8, 8, 10), data, TrainConfig(epochs=1, batch_size=64, device="cuda"), progress=False)
    assert all(getattr(data, k).x.device.type == "cpu" for k in ("train", "valid", "test"))
    from seqdrop.models import RNNLanguageModel

    fit(RNNLanguageModel(50, 8, 8, 1), corpus, TrainConfig(epochs=1, bptt=10, device="cuda", max_steps=3), progress=False)
    assert corpus.train.device.type == "cpu"


def test_config_normalises_numbers_from_sweep_grids():
    import numpy as np

    c = TrainConfig(epochs=np.int64(3), lr=1, clip=np.float32(0.5), max_steps=None)
    assert type(c.epochs) is int and c.epochs == 3 and type(c.lr) is float and c.clip == 0.5
    assert TrainConfig.from_dict(c.to_dict()) == c
    with pytest.raises(ParameterError, match="unknown TrainConfig fields"):
        TrainConfig.from_dict({"epochz": 1})
