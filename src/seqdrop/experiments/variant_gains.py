"""How much each dropout variant improves on no dropout, in percent, paired by seed.

The chapters that compare variants (02–06) report each variant against ``none`` on the
same seeds. :func:`variant_gains` turns a sweep's trials into one row per variant: the mean
and 95% interval over seeds of the *relative* paired difference
(:func:`seqdrop.sweep.paired_difference` with ``relative=True``), signed so that positive
means the variant is better (the sign flips for lower-is-better metrics such as perplexity
or loss). :func:`record_variant_gains` stores those rows with
:func:`seqdrop.course.record_finding` under the names and tags the summary chapter's
cross-chapter figure reads: ``gain_<chapter>_<data>_<cell>_<variant>``.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from ..course import record_finding
from ..sweep import paired_difference

__all__ = ["variant_gains", "gain_sentence", "record_variant_gains"]

COLUMNS = ["variant", "mean", "ci_low", "ci_high", "significant", "n_seeds"]


def variant_gains(
    trials: pd.DataFrame,
    metric: str,
    *,
    by: str = "recipe",
    baseline: str = "none",
    variants: Sequence[str] | None = None,
    lower_is_better: bool = True,
) -> pd.DataFrame:
    """Relative improvement of each variant over ``baseline`` in % of the baseline,
    paired by seed: ``100 (b − a) / |b|`` for lower-is-better metrics,
    ``100 (a − b) / |b|`` otherwise. One row per variant (``COLUMNS``);
    ``significant``: the interval excludes 0."""
    names = [v for v in (variants or trials[by].unique()) if v != baseline]
    sign = -1.0 if lower_is_better else 1.0
    rows = []
    for v in names:
        d = paired_difference(trials, metric, by=by, a=v, b=baseline, within=[],
                              relative=True).iloc[0]
        low, high = sorted((sign * float(d["ci_low"]), sign * float(d["ci_high"])))
        rows.append({"variant": v, "mean": sign * float(d["mean"]), "ci_low": low,
                     "ci_high": high, "significant": bool(d["significant"]),
                     "n_seeds": int(d["n"])})
    return pd.DataFrame(rows, columns=COLUMNS)


def gain_sentence(row: Mapping[str, Any], what: str) -> str:
    """The sentence a gain row supports, e.g. ``"On X, zaremba is 5.1% [2.0, 8.2] better
    than no dropout (paired over 3 seeds)"``, with "within noise" when the interval holds 0."""
    m, lo, hi = (float(row[k]) for k in ("mean", "ci_low", "ci_high"))
    verdict = ("better than" if lo > 0 else "worse than" if hi < 0 else "within noise of")
    return (f"On {what}, {row['variant']} is {m:+.1f}% [{lo:+.1f}, {hi:+.1f}] "
            f"({verdict} no dropout; paired over {int(row['n_seeds'])} seeds).")


def record_variant_gains(
    gains: pd.DataFrame,
    *,
    chapter: str,
    data: str,
    cell: str,
    task: str,
    metric: str,
    what: str,
    names: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Record every row of :func:`variant_gains` as a finding
    ``gain_<chapter>_<data>_<cell>_<variant>`` (unit %, tags cell/data/task/variant/metric).

    ``what`` describes the setting in the sentence; ``names`` maps a chapter's variant names
    to the course vocabulary where they differ (e.g. ``{"between": "zaremba"}``)."""
    names = dict(names or {})
    out = []
    for _, row in gains.iterrows():
        variant = names.get(row["variant"], row["variant"])
        key = f"gain_{chapter}_{data}_{cell}_{variant}".replace("-", "_")
        out.append(record_finding(
            key, row["mean"], row["ci_low"], row["ci_high"], unit="%",
            n_seeds=int(row["n_seeds"]), claim=gain_sentence(row, what),
            source=f"chapter {chapter}, {metric} relative to no dropout",
            tags={"cell": cell, "data": data, "task": task, "variant": variant,
                  "metric": metric}))
    return out


def record_recipe_gains(
    trials: pd.DataFrame, *, chapter: str, cell: str, labels: Mapping[str, str], label: str,
    metric: str = "test_error",
) -> pd.DataFrame:
    """The one-recipe chapters' gains: per data set, each variant at its rate chosen on
    validation against no dropout (:func:`variant_gains`), recorded with
    :func:`record_variant_gains`; returns them indexed by (``label``, variant).

    ``labels`` maps a data set key (``trials["data"]``) to the chapter's name for it."""
    from .findings import DATA_TAG, at_validated_rate
    from .recipes import DATA as DATA_TASK
    from .recipes import ERROR_METRIC

    rows = []
    for data, part in at_validated_rate(trials, by="data").groupby("data", sort=False):
        gains = variant_gains(part, metric, by="variant")
        record_variant_gains(gains, chapter=chapter, data=DATA_TAG.get(data, data), cell=cell,
                             task=DATA_TASK[data], metric=metric,
                             what=f"{labels[data]} ({ERROR_METRIC[data]}, each variant at "
                             "its rate chosen on validation)")
        chosen = part.groupby("variant")["rate"].first()
        rows.append(gains.assign(**{label: labels[data]}, rate=gains["variant"].map(chosen)))
    return pd.concat(rows).set_index([label, "variant"])
