"""Time series for forecasting: monthly mean sunspot numbers, January 1749 – December 1983.

2,820 monthly values (R's ``datasets::sunspots``: Swiss Federal Observatory, Zurich, until
1960, then Tokyo Astronomical Observatory; today's curated series is WDC-SILSO, Royal
Observatory of Belgium, Brussels), as shipped in the PyPI package ``pmdarima==2.1.1`` (MIT,
T. G. Smith) in ``pmdarima/datasets/data/sunspots.txt.gz``. Install it with
``pip install --no-deps pmdarima==2.1.1``; seqdrop only reads the file (located with
``importlib.util.find_spec``) and never imports the package. Set ``SEQDROP_SUNSPOTS_TXT`` to use
a copy of the file elsewhere.

:func:`load_sunspots` turns the series into a supervised forecasting data set: each sample is
``window`` consecutive months (input ``(window, 1)``) and the ``horizon`` months that follow
(target ``(horizon,)``). The split is chronological (no look-ahead): a sample belongs to the
split in which all its *targets* lie; its inputs may reach back into the previous split, as
they would for a forecaster deployed at that time. Values are standardised with the mean and
standard deviation of the training segment only.
"""
from __future__ import annotations

import gzip
from dataclasses import dataclass

import numpy as np
import torch

from .._validation import check_int
from ._sources import package_file
from .batching import SequenceDataset, SequenceSplit
from .cache import DataError, cached

__all__ = ["SUNSPOTS_SHA256", "SUNSPOTS_LENGTH", "ForecastDataset", "sunspots_series", "load_sunspots",
           "make_forecast_dataset", "persistence_forecast"]

SUNSPOTS_SHA256 = "da008320ca46c8fb7d4c08a6dc5ba1282be9209c8b943a7ca5ea5d5409d0b36a"  # the .txt.gz file
SUNSPOTS_LENGTH = 2820  # 235 years × 12 months
_FIX = "`pip install --no-deps pmdarima==2.1.1` (only its data file is used), or set SEQDROP_SUNSPOTS_TXT"


@dataclass(repr=False)
class ForecastDataset(SequenceDataset):
    """A :class:`SequenceDataset` with real targets ``y (N, horizon)`` and the scaling used:
    ``original = standardised * scale + offset``."""

    offset: float = 0.0
    scale: float = 1.0
    window: int = 0
    horizon: int = 0

    def __repr__(self) -> str:
        return (
            f"ForecastDataset({self.name!r}, train={len(self.train)}, valid={len(self.valid)}, "
            f"test={len(self.test)}, window={self.window}, horizon={self.horizon})"
        )


def _read_sunspots() -> dict[str, torch.Tensor]:
    path = package_file("pmdarima", "datasets/data/sunspots.txt.gz", SUNSPOTS_SHA256, fix=_FIX,
                        env="SEQDROP_SUNSPOTS_TXT")
    try:
        values = np.array(gzip.decompress(path.read_bytes()).split(), dtype=np.float64)
    except (OSError, ValueError) as exc:
        raise DataError(f"{path} is not a gzip file of numbers ({exc}). Fix: {_FIX}") from None
    if values.shape != (SUNSPOTS_LENGTH,) or not np.isfinite(values).all() or (values < 0).any():
        raise DataError(f"{path}: expected {SUNSPOTS_LENGTH} finite non-negative values, got {values.size}. Fix: {_FIX}")
    return {"values": torch.from_numpy(values)}


def sunspots_series(*, use_cache: bool = True) -> torch.Tensor:
    """The 2,820 monthly sunspot numbers (float64, Jan 1749 first), SHA-256-checked."""
    d = cached("sunspots", {"sha256": SUNSPOTS_SHA256}, _read_sunspots, use_cache=use_cache)
    return d["values"].clone()


def _segments(n: int, fractions: tuple[float, float, float]) -> tuple[int, int]:
    """End indices of the train and valid segments of a series of length ``n``."""
    if len(fractions) != 3 or any(not 0.0 < f < 1.0 for f in fractions) or abs(sum(fractions) - 1.0) > 1e-9:
        raise ValueError(f"fractions must be three numbers in (0, 1) summing to 1, got {tuple(fractions)!r}")
    n_train = round(fractions[0] * n)
    return n_train, n_train + round(fractions[1] * n)


def make_forecast_dataset(
    series: torch.Tensor,
    *,
    window: int,
    horizon: int = 1,
    fractions: tuple[float, float, float] = (0.7, 0.15, 0.15),
    standardize: bool = True,
    name: str = "series",
) -> ForecastDataset:
    """Sliding windows over a 1-D ``series`` split chronologically (see the module doc)."""
    window = check_int("window", window, 1)
    horizon = check_int("horizon", horizon, 1)
    if series.dim() != 1:
        raise ValueError(f"expected a 1-D series, got shape {tuple(series.shape)}")
    n = series.numel()
    end_train, end_valid = _segments(n, fractions)
    if end_train < window + horizon or min(end_valid - end_train, n - end_valid) < horizon:
        raise ValueError(f"window {window} + horizon {horizon} do not fit the splits of a series of {n} values")
    train_part = series[:end_train].double()
    offset = float(train_part.mean()) if standardize else 0.0
    scale = float(train_part.std()) if standardize else 1.0
    z = ((series.double() - offset) / scale).float()
    starts = torch.arange(window, n - horizon + 1)  # index of each sample's first target
    x = z.unfold(0, window, 1)[: starts.numel()].unsqueeze(-1)  # (N, window, 1): z[s-window:s]
    y = z[window:].unfold(0, horizon, 1)  # (N, horizon): z[s:s+horizon]
    last = starts + horizon - 1  # a sample belongs where its last target lies ...
    first = starts  # ... and its first one (no sample straddles two splits)

    def part(mask: torch.Tensor) -> SequenceSplit:
        idx = torch.nonzero(mask).flatten()
        return SequenceSplit(x[idx].contiguous(), y[idx].contiguous(), torch.full((idx.numel(),), window))

    train = part(last < end_train)
    valid = part((first >= end_train) & (last < end_valid))
    test = part(first >= end_valid)
    return ForecastDataset(train, valid, test, num_classes=horizon, num_features=1, name=name,
                           offset=offset, scale=scale, window=window, horizon=horizon)


def load_sunspots(
    *,
    window: int = 48,
    horizon: int = 1,
    fractions: tuple[float, float, float] = (0.7, 0.15, 0.15),
    standardize: bool = True,
    use_cache: bool = True,
) -> ForecastDataset:
    """Monthly sunspots as forecasting samples: ``window`` months in, ``horizon`` months out.

    With the defaults: 1,926 / 423 / 423 samples (train segment Jan 1749 – Jul 1913).
    """
    return make_forecast_dataset(sunspots_series(use_cache=use_cache), window=window, horizon=horizon,
                                 fractions=fractions, standardize=standardize, name="sunspots")


def persistence_forecast(split: SequenceSplit, horizon: int) -> torch.Tensor:
    """The naive forecast: every future value equals the last observed one, ``(N, horizon)``."""
    last = split.x[torch.arange(len(split)), split.lengths - 1, 0]
    return last.unsqueeze(1).expand(-1, horizon)
