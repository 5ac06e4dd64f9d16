"""How much each dropout recipe improves on no dropout, in percent, paired by seed.

The chapters that compare recipes (02–06) report each recipe against ``none`` on the same
seeds. :func:`recipe_gains` turns a sweep's trials into one row per recipe: the mean and 95%
interval over seeds of the *relative* paired difference
(:func:`seqdrop.sweep.paired_difference` with ``relative=True``), signed so that positive means
the recipe is better (the sign flips for lower-is-better metrics such as perplexity or loss).

:func:`record_gains` stores those rows with :func:`seqdrop.course.record_finding` under the
contract the summary chapter reads (:data:`TAGS`): the name
``gain_<chapter>_<data>_<cell>_<recipe>``, the value in %, the tags cell, data, task,
recipe, metric and **split** (``test`` or ``validation``, from the metric's name), and the
recipe's canonical **definition** (:func:`seqdrop.recipes.definition`): findings are pooled by
that definition, never by the name alone. :func:`record_gains_at_validated_rate` does it for
the chapters that sweep each recipe's rate (05, 06), at the rate chosen on validation data
(:func:`at_validated_rate`).

Chapters: 02, 03, 04, 05, 06 (record), 10 (read).
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from .records import record_finding
from ..recipes import definition
from ..sweep import paired_difference

__all__ = ["TAGS", "SPLITS", "split_of", "recipe_key", "gain_name", "recipe_gains", "gain_sentence",
           "record_gains", "at_validated_rate", "record_gains_at_validated_rate"]

COLUMNS = ["recipe", "mean", "ci_low", "ci_high", "significant", "n_seeds"]
#: the tags of a gain finding (the cross-chapter contract)
TAGS = ("cell", "data", "task", "recipe", "metric", "split")
#: metric prefix → the split a gain is measured on
SPLITS = {"test": "test", "val": "validation"}
#: data set names of the trials → the contract's data tags
DATA_TAG = {"fsdd-mfcc": "fsdd"}


def split_of(metric: str) -> str:
    """``"test"`` for ``test_*`` metrics, ``"validation"`` for ``val_*`` ones; anything else
    is an error (a gain must say which data it was measured on)."""
    prefix = metric.split("_", 1)[0]
    if prefix not in SPLITS or "_" not in metric:
        raise ValueError(f"metric {metric!r} names no split: gain metrics start with "
                         "'test_' or 'val_'")
    return SPLITS[prefix]


def recipe_key(text: str) -> str:
    """``text`` (holding recipe names) as a record name: a compound's ``+`` → ``_and_``, any
    other character that is not a letter, digit or ``_`` → ``_`` (``zaremba+weight-drop`` →
    ``zaremba_and_weight_drop``)."""
    return re.sub(r"\W", "_", text.replace("+", "_and_"))


def gain_name(chapter: str, data: str, cell: str, recipe: str) -> str:
    """``gain_<chapter>_<data>_<cell>_<recipe>`` as an identifier (:func:`recipe_key`)."""
    return recipe_key(f"gain_{chapter}_{data}_{cell}_{recipe}")


def recipe_gains(
    trials: pd.DataFrame,
    metric: str,
    *,
    by: str = "recipe",
    baseline: str = "none",
    recipes: Sequence[str] | None = None,
    lower_is_better: bool = True,
) -> pd.DataFrame:
    """Relative improvement of each recipe (the values of column ``by``) over ``baseline`` in %
    of the baseline, paired by seed: ``100 (b − a) / |b|`` for lower-is-better metrics,
    ``100 (a − b) / |b|`` otherwise. One row per recipe (``COLUMNS``); ``significant``: the
    interval excludes 0."""
    names = [v for v in (recipes or trials[by].unique()) if v != baseline]
    sign = -1.0 if lower_is_better else 1.0
    rows = []
    for v in names:
        d = paired_difference(trials, metric, by=by, a=v, b=baseline, within=[],
                              relative=True).iloc[0]
        low, high = sorted((sign * float(d["ci_low"]), sign * float(d["ci_high"])))
        rows.append({"recipe": v, "mean": sign * float(d["mean"]), "ci_low": low,
                     "ci_high": high, "significant": bool(d["significant"]),
                     "n_seeds": int(d["n"])})
    return pd.DataFrame(rows, columns=COLUMNS)


def gain_sentence(row: Mapping[str, Any], what: str, p: float | None = None) -> str:
    """The sentence a gain row supports, e.g. ``"On X, zaremba at p = 0.5 is +5.1% [+2.0,
    +8.2] (better than no dropout; paired over 3 seeds)."``; "within noise" when the
    interval holds 0."""
    m, lo, hi = (float(row[k]) for k in ("mean", "ci_low", "ci_high"))
    verdict = ("better than" if lo > 0 else "worse than" if hi < 0 else "within noise of")
    rate = "" if p is None else f" at p = {p:g}"
    return (f"On {what}, {row['recipe']}{rate} is {m:+.1f}% [{lo:+.1f}, {hi:+.1f}] "
            f"({verdict} no dropout; paired over {int(row['n_seeds'])} seeds).")


def record_gains(
    gains: pd.DataFrame,
    *,
    chapter: str,
    data: str,
    cell: str,
    task: str,
    metric: str,
    what: str,
    definitions: Mapping[str, Mapping[str, Any]],
) -> list[dict[str, Any]]:
    """Record every row of :func:`recipe_gains` as a finding ``gain_<chapter>_<data>_<cell>_
    <recipe>`` (unit %, tags :data:`TAGS`, the split read from ``metric``).

    ``definitions`` maps each recipe to its canonical definition as run
    (:func:`seqdrop.recipes.definition`); a recipe without one is an error, so that no gain is
    recorded without saying exactly what was measured. ``what`` describes the setting."""
    split = split_of(metric)
    out = []
    for _, row in gains.iterrows():
        name = row["recipe"]
        if name not in definitions:
            raise KeyError(f"no definition for recipe {name!r}: pass its "
                           "seqdrop.recipes.definition(...) in definitions")
        defn = dict(definitions[name])
        out.append(record_finding(
            gain_name(chapter, data, cell, name), row["mean"], row["ci_low"], row["ci_high"],
            unit="%", n_seeds=int(row["n_seeds"]), claim=gain_sentence(row, what, defn.get("p")),
            source=f"chapter {chapter}, {metric} relative to no dropout ({split} data)",
            tags={"cell": cell, "data": data, "task": task, "recipe": name, "metric": metric,
                  "split": split},
            definition=defn))
    return out


def at_validated_rate(
    trials: pd.DataFrame,
    *,
    by: str = "data",
    select: str = "val_error",
    higher_is_better: bool = False,
    baseline: str = "none",
    recipe: str = "variant",
) -> pd.DataFrame:
    """The ``baseline`` trials plus, per group of ``by`` and recipe (column ``recipe``), the
    trials at the rate whose mean ``select`` metric (validation data) is best: one setting
    per recipe, ready for :func:`recipe_gains` within each group."""
    ok = trials[trials["status"] == "ok"] if "status" in trials else trials
    dropout = ok[ok[recipe] != baseline]
    means = dropout.groupby([by, recipe, "rate"], sort=False)[select].mean().reset_index()
    pick = (means.sort_values(select, ascending=not higher_is_better, kind="stable")
            .drop_duplicates([by, recipe]))
    chosen = dropout.merge(pick[[by, recipe, "rate"]], on=[by, recipe, "rate"])
    return pd.concat([ok[ok[recipe] == baseline], chosen], ignore_index=True)


def record_gains_at_validated_rate(
    trials: pd.DataFrame, *, chapter: str, cell: str, labels: Mapping[str, str], label: str,
    metric: str = "test_error", tasks: Mapping[str, str] | None = None,
    error_metric: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """The rate-sweeping chapters' gains (05, 06): per data set (``trials["data"]``), each
    recipe (``trials["variant"]``) at its rate chosen on validation against no dropout
    (:func:`recipe_gains`), recorded with :func:`record_gains` and the definition at that
    rate; returns them indexed by (``label``, recipe).

    ``labels`` maps a data set to the chapter's name for it, ``tasks`` to its task
    (``"lm"`` models read word or character ids: their recipes include embedding dropout),
    ``error_metric`` to what its error means (default: those of the data trial,
    :data:`seqdrop.course.recipe_trials.DATA` and ``ERROR_METRIC``)."""
    from .recipe_trials import DATA, ERROR_METRIC

    tasks, error_metric = tasks or DATA, error_metric or ERROR_METRIC
    rows = []
    for data, part in at_validated_rate(trials, by="data").groupby("data", sort=False):
        gains = recipe_gains(part, metric, by="variant")
        chosen = part.groupby("variant")["rate"].first()
        task = tasks[data]
        defs = {r: definition(r, float(chosen[r]), cell, embedding=task == "lm")
                for r in gains["recipe"]}
        record_gains(gains, chapter=chapter, data=DATA_TAG.get(data, data), cell=cell, task=task,
                     metric=metric, definitions=defs,
                     what=f"{labels[data]} ({error_metric[data]}, each recipe at its rate "
                     "chosen on validation)")
        rows.append(gains.assign(**{label: labels[data]}, rate=gains["recipe"].map(chosen)))
    return pd.concat(rows).set_index([label, "recipe"])
