"""The forecasting data: monthly sunspots (read from pmdarima's data file) and sliding windows."""
from __future__ import annotations

import gzip
import importlib.util
import sys

import pytest
import torch

from seqdrop.data import DataError, load_dataset, load_sunspots, make_forecast_dataset, persistence_forecast
from seqdrop.data.timeseries import SUNSPOTS_LENGTH, sunspots_series
from seqdrop.errors import ParameterError

needs_pmdarima = pytest.mark.skipif(importlib.util.find_spec("pmdarima") is None,
                                    reason="pip install --no-deps pmdarima==2.1.1")


@needs_pmdarima
def test_sunspots_series_is_the_checked_file():
    s = sunspots_series(use_cache=False)
    assert s.shape == (SUNSPOTS_LENGTH,) and s.dtype == torch.float64
    assert s[:5].tolist() == [58.0, 62.6, 70.0, 55.7, 85.0]  # Jan–May 1749
    assert float(s.min()) == 0.0 and float(s.max()) == 253.8
    assert "pmdarima" not in sys.modules  # read the file, never import the package


@needs_pmdarima
def test_load_sunspots_splits_chronologically():
    d = load_sunspots()
    assert (len(d.train), len(d.valid), len(d.test)) == (1926, 423, 423)
    assert d.train.x.shape == (1926, 48, 1) and d.train.y.shape == (1926, 1)
    assert d.num_features == 1 and d.num_classes == 1 and d.train.y.is_floating_point()
    s = sunspots_series()
    z = (s - d.offset) / d.scale
    assert d.offset == pytest.approx(float(s[:1974].mean())) and d.scale == pytest.approx(float(s[:1974].std()))
    # first training sample: months 0..47 in, month 48 out; first test sample predicts month 2397
    assert torch.allclose(d.train.x[0, :, 0].double(), z[:48], atol=1e-6)
    assert float(d.train.y[0, 0]) == pytest.approx(float(z[48]), abs=1e-6)
    assert float(d.test.y[0, 0]) == pytest.approx(float(z[2397]), abs=1e-6)
    assert float(d.test.y[-1, 0]) == pytest.approx(float(z[-1]), abs=1e-6)
    assert load_dataset("sunspots", horizon=12).train.y.shape[1] == 12


def test_windows_never_straddle_splits():
    series = torch.arange(100, dtype=torch.float64)
    d = make_forecast_dataset(series, window=5, horizon=3, fractions=(0.6, 0.2, 0.2), standardize=False)
    assert d.train.x.shape == (53, 5, 1) and d.train.y.shape == (53, 3)
    assert torch.equal(d.train.x[0, :, 0], torch.arange(5.0)) and torch.equal(d.train.y[0], torch.tensor([5.0, 6, 7]))
    assert float(d.train.y.max()) == 59.0  # every training target lies in months 0..59
    assert float(d.valid.y.min()) == 60.0 and float(d.valid.y.max()) == 79.0
    assert float(d.test.y.min()) == 80.0 and float(d.test.y.max()) == 99.0
    assert len(d.valid) == 18 and len(d.test) == 18
    assert torch.equal(persistence_forecast(d.test, 3), d.test.x[:, -1, 0].unsqueeze(1).expand(-1, 3))


def test_standardised_with_the_training_segment_only():
    series = torch.cat([torch.zeros(70), torch.full((30,), 1000.0)])
    d = make_forecast_dataset(series + torch.linspace(0, 1, 100), window=4, fractions=(0.7, 0.15, 0.15))
    assert abs(d.offset - 0.35) < 0.01  # the large later values did not leak into the scaling
    assert d.scale < 1.0


def test_bad_arguments_name_the_problem():
    series = torch.arange(100.0)
    with pytest.raises(ParameterError, match="'window'"):
        make_forecast_dataset(series, window=0)
    with pytest.raises(ParameterError, match="'horizon'"):
        make_forecast_dataset(series, window=3, horizon=0)
    with pytest.raises(ValueError, match="do not fit"):
        make_forecast_dataset(series, window=80, horizon=1)
    with pytest.raises(ValueError, match="fractions"):
        make_forecast_dataset(series, window=3, fractions=(0.5, 0.5, 0.0))
    with pytest.raises(ValueError, match="1-D"):
        make_forecast_dataset(series.view(10, 10), window=3)


def test_missing_or_corrupt_file_is_a_data_error(monkeypatch, tmp_path):
    monkeypatch.setenv("SEQDROP_SUNSPOTS_TXT", str(tmp_path / "absent.txt.gz"))
    with pytest.raises(DataError, match="pmdarima==2.1.1"):
        sunspots_series(use_cache=False)
    bad = tmp_path / "sunspots.txt.gz"
    bad.write_bytes(gzip.compress(b"1.0 2.0 3.0\n"))
    monkeypatch.setenv("SEQDROP_SUNSPOTS_TXT", str(bad))
    with pytest.raises(DataError, match="SHA-256"):
        sunspots_series(use_cache=False)


def test_missing_package_is_a_data_error(monkeypatch):
    monkeypatch.delenv("SEQDROP_SUNSPOTS_TXT", raising=False)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None)
    with pytest.raises(DataError, match="not installed.*pip install --no-deps pmdarima"):
        sunspots_series(use_cache=False)
