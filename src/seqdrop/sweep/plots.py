"""The one plot seaborn lacks: paired differences with their confidence intervals.

``sns.pointplot(res.trials, ..., errorbar=("ci", 95))`` shows each variant's mean and CI, but
two overlapping CIs do not mean "no difference" when the seeds are shared: the question is
whether the CI of the *paired* difference excludes zero. This draws that interval.
"""
from __future__ import annotations

from typing import Any

import pandas as pd

from .spec import SweepError

__all__ = ["plot_paired_difference"]


def plot_paired_difference(diff: pd.DataFrame, x: str | None = None, ax: Any = None, **errorbar_kw: Any) -> Any:
    """Plot :func:`~seqdrop.sweep.paired_difference` output: mean ± CI per group, a zero line.

    ``x``: the group column on the x axis (default: the only group column, if any). Points
    whose interval excludes zero are filled, the others hollow. Returns the matplotlib axes.
    """
    import matplotlib.pyplot as plt

    if diff.empty:
        raise SweepError("no paired differences to plot")
    groups = [c for c in diff.columns if c not in ("metric", "a", "b", "mean", "ci_low", "ci_high", "n", "significant",
                                                   "relative")]
    if x is None:
        if len(groups) > 1:
            raise SweepError(f"several group columns {groups}: say which one goes on the x axis with x=")
        x = groups[0] if groups else None
    ax = ax if ax is not None else plt.gca()
    pos = list(range(len(diff)))
    labels = [str(v) for v in diff[x]] if x else [""]
    yerr = [diff["mean"] - diff["ci_low"], diff["ci_high"] - diff["mean"]]
    kw = dict(fmt="o", capsize=4, color="C0") | errorbar_kw
    ax.errorbar(pos, diff["mean"], yerr=yerr, mfc="none", **kw)
    sig = diff["significant"].to_numpy()
    ax.plot([p for p, s in zip(pos, sig) if s], diff["mean"][sig], "o", color=kw["color"])
    ax.axhline(0.0, color="0.5", lw=1, ls="--")
    ax.set_xticks(pos, labels)
    if x:
        ax.set_xlabel(x)
    first = diff.iloc[0]
    unit = f", % of {first['b']}" if first.get("relative", False) else ""
    ax.set_ylabel(f"Δ {first['metric']} ({first['a']} − {first['b']}{unit})")
    return ax
