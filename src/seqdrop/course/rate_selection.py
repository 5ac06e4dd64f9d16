"""Which dropout setting wins, and how sure are we: selection on validation, gain on test.

The winner of a sweep is the candidate (a rate, or a variant at a rate) with the lowest mean
*validation* error over seeds; its gain is the *test* error of the baseline minus that of the
winner, paired by seed, with a Student-t interval (:func:`seqdrop.sweep.mean_ci`). Selecting
on one split and reporting on another keeps the winner's curse out of the gain. How stable the
choice is comes from a bootstrap over seeds (resampling whole seeds, so the candidates stay
paired): ``p_best`` is the share of resamples that pick the same winner, and for numeric
candidates ``low``/``high`` are the 2.5% and 97.5% quantiles of the resampled winners
(Efron & Tibshirani 1993, percentile interval).

Chapters: 05, 06, 07.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..sweep import SweepError, mean_ci, paired_difference

__all__ = ["with_baseline", "best_settings", "relative_change", "transfer_gains", "effects"]


def with_baseline(df: pd.DataFrame, *, variant: str = "variant", rate: str = "rate", none: str = "none") -> pd.DataFrame:
    """The trials with the ``none`` rows copied into every other variant at rate 0.

    A sweep runs the no-dropout model once per seed; after this, every variant's rate curve
    starts at rate 0 from those same runs (so the pairing over seeds is kept).
    """
    base = df[df[variant] == none]
    if base.empty:
        raise SweepError(f"no trials with {variant} = {none!r}: the baseline is missing")
    others = [v for v in df[variant].unique() if v != none]
    copies = [base.assign(**{variant: v, rate: 0.0}) for v in others]
    return pd.concat([df[df[variant] != none], *copies], ignore_index=True)


def _table(part: pd.DataFrame, among: str, metric: str, seed: str) -> pd.DataFrame:
    """Seeds × candidates; only seeds that have every candidate (so columns stay paired)."""
    table = part.pivot_table(index=seed, columns=among, values=metric, aggfunc="mean")
    return table.dropna()


def _winner(table: pd.DataFrame) -> Any:
    return table.mean().idxmin()


def best_settings(
    df: pd.DataFrame,
    *,
    by: Sequence[str],
    among: str,
    baseline: Any,
    val: str = "val_error",
    test: str = "test_error",
    seed: str = "seed",
    n_boot: int = 2000,
    confidence: float = 0.95,
    random_state: int = 0,
    baseline_can_win: bool = True,
) -> pd.DataFrame:
    """One row per group of ``by``: the winning value of ``among`` and its gain over ``baseline``.

    ``baseline_can_win=False`` picks the best of the other candidates (e.g. the best dropout
    setting even where none helps), still measured against the baseline.

    Columns: the ``by`` keys, ``best``, ``p_best``, ``low``/``high`` (bootstrap interval of
    the winner when ``among`` is numeric, else NaN), ``val_best`` (mean validation error of the
    winner), ``test_best``, ``test_baseline``, ``gain``, ``gain_low``, ``gain_high``, ``n``
    (paired seeds) and ``helps`` (the gain's interval lies above zero). Errors are
    lower-is-better; a winner equal to the baseline has gain 0.
    """
    ok = df[df["status"] == "ok"] if "status" in df else df
    rng = np.random.default_rng(random_state)
    rows = []
    for key, part in ok.groupby(list(by), sort=False):
        key = key if isinstance(key, tuple) else (key,)
        table = _table(part, among, val, seed)
        if table.shape[0] < 2 or baseline not in table.columns:
            raise SweepError(f"{dict(zip(by, key))}: need ≥ 2 seeds with every {among} incl. {baseline!r}")
        choices = table if baseline_can_win else table.drop(columns=baseline)
        best = _winner(choices)
        resampled = choices.to_numpy()[rng.integers(0, len(table), (n_boot, len(table)))]  # boots × seeds × k
        picks = choices.columns.to_numpy()[resampled.mean(axis=1).argmin(axis=1)]
        numeric = pd.api.types.is_numeric_dtype(picks.dtype)
        low, high = (np.quantile(picks, [(1 - confidence) / 2, (1 + confidence) / 2]) if numeric
                     else (np.nan, np.nan))
        tests = _table(part, among, test, seed).loc[table.index]
        diff = tests[baseline] - tests[best]
        gain, g_low, g_high, n = mean_ci(diff.to_numpy(), confidence) if best != baseline else (0.0, 0.0, 0.0, len(diff))
        rows.append({**dict(zip(by, key)), "best": best, "p_best": float(np.mean(picks == best)),
                     "low": float(low), "high": float(high), "val_best": float(table[best].mean()),
                     "test_best": float(tests[best].mean()), "test_baseline": float(tests[baseline].mean()),
                     "gain": gain, "gain_low": g_low, "gain_high": g_high, "n": n, "helps": bool(g_low > 0)})
    if not rows:
        raise SweepError("no finished trials to choose from")
    return pd.DataFrame(rows)


def relative_change(df: pd.DataFrame, metric: str, *, by: Sequence[str], among: str, baseline: Any,
                    seed: str = "seed") -> pd.Series:
    """``100 · (metric / metric of the baseline with the same seed and ``by`` keys − 1)``, in %.

    Makes data sets with different metrics comparable on one axis (negative = lower error).
    """
    keys = list(by) + [seed]
    base = df[df[among] == baseline].set_index(keys)[metric]
    if base.index.duplicated().any():
        raise SweepError(f"several {among} = {baseline!r} trials share {keys}")
    ref = df.set_index(keys).index.map(base)
    return pd.Series(100.0 * (df[metric].to_numpy() / np.asarray(ref, dtype=float) - 1.0), index=df.index)


def transfer_gains(
    df: pd.DataFrame,
    winners: pd.DataFrame,
    *,
    by: str,
    among: str,
    baseline: Any,
    test: str = "test_error",
    seed: str = "seed",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """The gain of each group's winner applied to every group: tuned on ``source``, tested on ``target``.

    ``winners``: :func:`best_settings` with ``by=[by]``. The gain is the relative test-error
    change of the baseline minus the winner (%, positive = the setting helps), paired by
    seed, with its interval; ``helps``/``hurts`` when the interval excludes zero.
    """
    rel = df.assign(_rel=relative_change(df, test, by=[by], among=among, baseline=baseline, seed=seed))
    rows = []
    for _, w in winners.iterrows():
        for target, part in rel.groupby(by, sort=False):
            vals = -part.loc[part[among] == w["best"], "_rel"].to_numpy()
            if w["best"] == baseline or vals.size == 0:
                mean, low, high, n = (0.0, 0.0, 0.0, int(vals.size)) if vals.size else (np.nan,) * 3 + (0,)
            else:
                mean, low, high, n = mean_ci(vals, confidence)
            rows.append({"source": w[by], "setting": w["best"], "target": target, "gain": mean,
                         "gain_low": low, "gain_high": high, "n": n,
                         "helps": bool(low > 0), "hurts": bool(high < 0)})
    return pd.DataFrame(rows)


def effects(df: pd.DataFrame, metric: str, *, by: Sequence[str], among: str, baseline: Any,
            seed: str = "seed", confidence: float = 0.95) -> pd.DataFrame:
    """Every candidate's paired difference ``metric(candidate) − metric(baseline)`` per group.

    One row per group of ``by`` and candidate of ``among`` (the baseline left out): ``mean``,
    ``ci_low``, ``ci_high``, ``n`` over seeds (:func:`seqdrop.sweep.paired_difference`);
    ``lower``/``higher`` when the interval lies entirely below/above zero (for an error metric:
    the candidate helps/hurts).
    """
    ok = df[df["status"] == "ok"] if "status" in df else df
    rows = []
    for key, part in ok.groupby(list(by), sort=False):
        key = key if isinstance(key, tuple) else (key,)
        if not (part[among] == baseline).any():
            raise SweepError(f"{dict(zip(by, key))}: no trials with {among} = {baseline!r}")
        for cand in sorted(c for c in part[among].unique() if c != baseline):
            d = paired_difference(part, metric, by=among, a=cand, b=baseline, within=[], seed=seed,
                                  confidence=confidence).iloc[0]
            low, high = float(d["ci_low"]), float(d["ci_high"])
            rows.append({**dict(zip(by, key)), among: cand, "mean": float(d["mean"]), "ci_low": low,
                         "ci_high": high, "n": int(d["n"]), "lower": high < 0, "higher": low > 0})
    return pd.DataFrame(rows)
