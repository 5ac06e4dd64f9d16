"""Figures of chapter 08: convergence in the number of MC samples, reliability diagrams
(Guo et al. 2017, Fig. 1) and the coverage of prediction intervals against their level.

Each takes the tidy tables of :mod:`seqdrop.course.uncertainty` (one row per seed) and
draws means with 95% intervals over seeds (seaborn, ``errorbar=("ci", 95)``).

Chapters: 08.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter

from ..sweep import mean_ci

__all__ = ["convergence_panels", "reliability_diagram", "coverage_diagram"]

METHOD_COLORS = {"ws": "C0", "mc": "C1", "mc+noise": "C2", "ws+noise": "C0"}


def convergence_panels(conv: pd.DataFrame, metrics: Mapping[str, str],
                       reference: pd.DataFrame | None = None, *, width: float = 7.0) -> Figure:
    """One panel per metric (column → axis label) against ``n_samples`` (log scale), MC in
    orange; ``reference`` (one row per seed with the same columns) draws the weight-scaled
    value as a dashed line with its 95% band."""
    fig, axes = plt.subplots(1, len(metrics), figsize=(width, 2.8), squeeze=False)
    for ax, (col, label) in zip(axes[0], metrics.items()):
        sns.lineplot(conv, x="n_samples", y=col, errorbar=("ci", 95), marker="o",
                     color=METHOD_COLORS["mc"], ax=ax, label="MC")
        if reference is not None and col in reference:
            m, low, high, _ = mean_ci(reference[col])
            ax.axhline(m, ls="--", color=METHOD_COLORS["ws"], label="weight scaling")
            ax.axhspan(low, high, color=METHOD_COLORS["ws"], alpha=0.15, lw=0)
        ns = sorted(conv["n_samples"].unique())
        ticks = ns[::2] if len(ns) > 4 else ns
        ax.set(xscale="log", xlabel="MC samples", ylabel=label)
        ax.set_xticks(ticks, labels=[f"{n:g}" for n in ticks])
        ax.xaxis.set_minor_formatter(NullFormatter())
        if ax is axes[0][0]:
            ax.legend(fontsize=8)
        else:
            ax.get_legend().remove()
    fig.tight_layout()
    return fig


def reliability_diagram(pooled: pd.DataFrame, methods: Sequence[str] = ("ws", "mc"),
                        labels: Mapping[str, str] | None = None) -> Figure:
    """Accuracy against mean confidence per bin (pooled over seeds, from
    :func:`~seqdrop.course.calibration.pool_reliability` with ``by=["method"]``), one
    panel per method, bars shaded by the share of examples; the diagonal is calibration."""
    labels = dict(labels or {})
    fig, axes = plt.subplots(1, len(methods), figsize=(7, 3.3), sharey=True, squeeze=False)
    for ax, m in zip(axes[0], methods):
        part = pooled[pooled["method"] == m]
        share = part["count"] / part["count"].sum()
        centers, w = (part["low"] + part["high"]) / 2, part["high"] - part["low"]
        alphas = 0.25 + 0.75 * (share / share.max()).fillna(0)
        ax.bar(centers, part["accuracy"].fillna(0), width=w, edgecolor="k", lw=0.5,
               color=[to_rgba(METHOD_COLORS[m], a) for a in alphas])
        ax.plot([0, 1], [0, 1], "k--", lw=1)
        ax.plot(part["mean_confidence"], part["accuracy"], "ko", ms=3)
        ax.set(xlim=(0, 1), ylim=(0, 1), xlabel="confidence (top probability)",
               title=labels.get(m, m))
    axes[0][0].set_ylabel("accuracy")
    fig.tight_layout()
    return fig


def coverage_diagram(cov: pd.DataFrame, labels: Mapping[str, str] | None = None) -> Figure:
    """Empirical coverage (left) and mean width (right) of central intervals against their
    nominal level, one line per ``method`` with its 95% interval over seeds."""
    labels = dict(labels or {})
    data = cov.assign(interval=cov["method"].map(lambda m: labels.get(m, m)))
    palette = {labels.get(m, m): METHOD_COLORS[m] for m in cov["method"].unique()}
    fig, (a, b) = plt.subplots(1, 2, figsize=(7, 3.2))
    sns.lineplot(data, x="level", y="coverage", hue="interval", palette=palette, marker="o",
                 errorbar=("ci", 95), ax=a)
    a.plot([0.45, 1], [0.45, 1], "k--", lw=1)
    a.set(xlabel="nominal level", ylabel="empirical coverage")
    sns.lineplot(data, x="level", y="width", hue="interval", palette=palette, marker="o",
                 errorbar=("ci", 95), ax=b, legend=False)
    b.set(xlabel="nominal level", ylabel="mean width")
    a.legend(fontsize=8)
    fig.tight_layout()
    return fig
