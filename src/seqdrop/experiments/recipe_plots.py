"""Figures of notebooks 05 and 06: metric-vs-rate panels and the best-rate heatmap."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

__all__ = ["rate_panels", "best_rate_heatmap"]


def rate_panels(curves: pd.DataFrame, panels: Mapping[str, str], y: str, ylabels: Mapping[str, str],
                *, zero_line: bool = False) -> tuple[Any, Any]:
    """One panel per ``{title: data}``: ``y`` against the rate, one line per variant, 95% CI."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    fig, axes = plt.subplots(1, len(panels), figsize=(7, 3.2))
    for ax, (title, name) in zip(axes, panels.items()):
        part = curves[curves["data"] == name]
        sns.pointplot(part, x="rate", y=y, hue="variant", errorbar=("ci", 95), dodge=0.3,
                      markersize=4, linewidth=1.2, ax=ax, legend=ax is axes[-1])
        if zero_line:
            ax.axhline(0, color="grey", lw=0.8)
        ax.set(title=title, xlabel="rate", ylabel=ylabels.get(name, ""))
    sns.move_legend(axes[-1], "upper left", bbox_to_anchor=(1, 1), fontsize=9)
    return fig, axes


def best_rate_heatmap(best: pd.DataFrame, index: str, rows: Sequence[str], columns: Sequence[str],
                      max_rate: float, *, title: str, figsize: tuple[float, float] = (7, 3.4)) -> tuple[Any, Any]:
    """Best rate per (``index`` × variant) with its bootstrap interval, ``*`` where it helps.

    ``best``: :func:`seqdrop.course.rate_selection.best_settings` with ``by=[..., "variant"]`` and an
    ``index`` column naming the rows.
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    heat = best.pivot(index=index, columns="variant", values="best").loc[list(rows), list(columns)]
    text = best.assign(txt=[f"{r:g}\n[{lo:g}, {hi:g}]{' *' if h else ''}"
                            for r, lo, hi, h in zip(best["best"], best["low"], best["high"], best["helps"])])
    notes = text.pivot(index=index, columns="variant", values="txt").loc[list(rows), list(columns)]
    fig, ax = plt.subplots(figsize=figsize)
    sns.heatmap(heat.astype(float), annot=notes, fmt="", cmap="crest", vmin=0, vmax=max_rate,
                cbar_kws={"label": "best rate"}, annot_kws={"fontsize": 9}, ax=ax)
    ax.set(xlabel="variant", ylabel="", title=title)
    ax.tick_params(axis="y", rotation=0)
    return fig, ax
