"""Confidence intervals over seeds: per-config summaries and paired differences.

Seaborn plots a mean with ``errorbar=("ci", 95)`` (a bootstrap) but cannot say whether two
variants differ: that needs the *paired* difference over the same seeds, whose Student-t 95%
interval (mean ± t_{0.975, n−1}·s/√n) excludes zero only when the difference is real.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .spec import SweepError

__all__ = ["mean_ci", "excludes_zero", "minimum_detectable_effect", "summarize", "paired_difference",
           "format_summary"]


def mean_ci(values: Sequence[float] | np.ndarray | pd.Series, confidence: float = 0.95) -> tuple[float, float, float, int]:
    """``(mean, low, high, n)``: the Student-t interval of the mean of ``values`` (NaNs dropped).

    Zero values is an error; one value has an undefined interval (``low = high = nan``).
    """
    from scipy import stats

    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = x.size
    if n == 0:
        raise SweepError("no values to average: every trial of this group failed or is missing")
    mean = float(x.mean())
    if n == 1:
        return mean, math.nan, math.nan, 1
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1) * x.std(ddof=1) / math.sqrt(n))
    return mean, mean - half, mean + half, n


def minimum_detectable_effect(row: Mapping[str, Any], power: float = 0.8, confidence: float = 0.95) -> float:
    """The smallest true mean difference that a paired comparison like ``row`` (``ci_low``,
    ``ci_high`` at ``confidence``, ``n`` seeds) detects with probability ``power``:
    ``(t_{1-α/2} + t_{power}) · s/√n`` with ``n − 1`` degrees of freedom (the usual power
    approximation of the one-sample t-test). State it next to a null: an interval that
    includes zero rules out only effects larger than this."""
    from scipy import stats

    n = int(row["n"])
    if n < 2:
        raise SweepError("a minimum detectable effect needs at least two seeds")
    if not 0.0 < power < 1.0:
        raise SweepError(f"power must be in (0, 1), got {power!r}")
    t_ci = float(stats.t.ppf(0.5 + confidence / 2, n - 1))
    se = (float(row["ci_high"]) - float(row["ci_low"])) / (2 * t_ci)
    return (t_ci + float(stats.t.ppf(power, n - 1))) * se


def excludes_zero(row: Mapping[str, Any]) -> bool:
    """Whether a row's interval (``ci_low``, ``ci_high``) lies entirely on one side of 0.

    An undefined interval (one seed: NaN bounds) excludes nothing.
    """
    return float(row["ci_low"]) > 0 or float(row["ci_high"]) < 0


def _ok(df: pd.DataFrame) -> pd.DataFrame:
    return df[df["status"] == "ok"] if "status" in df else df


def summarize(df: pd.DataFrame, metrics: str | Sequence[str], by: Sequence[str], confidence: float = 0.95) -> pd.DataFrame:
    """One row per combination of ``by`` and metric: ``mean``, ``ci_low``, ``ci_high``, ``n``."""
    metrics = [metrics] if isinstance(metrics, str) else list(metrics)
    ok = _ok(df)
    rows = []
    groups = ok.groupby(list(by), sort=False, dropna=False) if by else [((), ok)]
    for key, part in groups:
        key = key if isinstance(key, tuple) else (key,)
        for m in metrics:
            mean, low, high, n = mean_ci(part[m], confidence)
            rows.append({**dict(zip(by, key)), "metric": m, "mean": mean, "ci_low": low, "ci_high": high, "n": n})
    if not rows:
        raise SweepError("no finished trials to summarize")
    return pd.DataFrame(rows)


def paired_difference(
    df: pd.DataFrame,
    metric: str,
    by: str,
    a: Any,
    b: Any,
    *,
    within: Sequence[str] | None = None,
    seed: str = "seed",
    confidence: float = 0.95,
    relative: bool = False,
) -> pd.DataFrame:
    """Mean and CI over seeds of ``metric[by == a] − metric[by == b]``, paired by seed.

    ``relative=True``: the per-seed difference in percent of ``b``'s value on the same seed,
    ``100 (a − b) / |b|`` (e.g. a variant's perplexity change relative to no dropout).

    ``within``: other config columns to keep apart (one result row per combination); by
    default the grid keys that vary (from ``df.attrs["grid_keys"]``). ``significant`` is true
    when the interval excludes zero. A seed present for only one variant is left out.
    """
    ok = _ok(df)
    for col in (metric, by, seed):
        if col not in ok:
            raise SweepError(f"column {col!r} is not in the table; columns: {list(ok.columns)}")
    if within is None:
        keys = df.attrs.get("grid_keys", [])
        within = [k for k in keys if k not in (by, seed) and ok[k].astype(str).nunique() > 1]
    within = list(within)
    index = within + [seed]
    side = {}
    for name, value in (("a", a), ("b", b)):
        part = ok[ok[by] == value]
        if part.empty:
            raise SweepError(f"no finished trials with {by} = {value!r}")
        if part.duplicated(index).any():
            raise SweepError(f"several trials per seed for {by} = {value!r}: pass within=[...] naming the other config keys")
        side[name] = part.set_index(index)[metric]
    diff = (side["a"] - side["b"]).dropna()
    if relative:
        base = side["b"].reindex(diff.index).abs()
        if (base == 0).any():
            raise SweepError(f"relative difference: {metric} is 0 for {by} = {b!r} on some seed")
        diff = 100.0 * diff / base
    if diff.empty:
        raise SweepError(f"{by} = {a!r} and {by} = {b!r} share no seed: nothing to pair")
    rows = []
    groups = diff.groupby(level=within, sort=False) if within else [((), diff)]
    for key, part in groups:
        key = key if isinstance(key, tuple) else (key,)
        mean, low, high, n = mean_ci(part.to_numpy(), confidence)
        row = {**dict(zip(within, key)), "metric": metric, "a": a, "b": b, "relative": relative,
               "mean": mean, "ci_low": low, "ci_high": high, "n": n}
        rows.append(row | {"significant": excludes_zero(row)})
    return pd.DataFrame(rows)


def format_summary(summary: pd.DataFrame, digits: int = 4) -> str:
    """A plain-text table: the group columns, then ``mean ± half-width (n)`` per metric."""
    groups = [c for c in summary.columns if c not in ("metric", "mean", "ci_low", "ci_high", "n")]

    def cell(r: pd.Series) -> str:
        half = (r["ci_high"] - r["ci_low"]) / 2
        ci = "n/a" if math.isnan(half) else f"{half:.{digits}g}"
        return f"{r['mean']:.{digits}g} ± {ci} (n={r['n']})"

    table = summary.assign(value=summary.apply(cell, axis=1))
    wide = table.pivot_table(index=groups, columns="metric", values="value", aggfunc="first", sort=False) if groups else \
        table.set_index("metric")[["value"]].T
    return wide.reset_index().to_string(index=False)
