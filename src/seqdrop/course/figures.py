"""One figure style for every chapter, and figures saved into the run folder.

Call :func:`setup_figures` once at the top of a notebook: seaborn's ``notebook`` context,
100 dpi, a default size that fits the course's 7-inch (730 px) column. :func:`savefig` writes
a PNG into :func:`seqdrop.course.paths.output_dir` (the run folder under ``seqdrop run``).

Chapters: all.
"""
from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from .paths import output_dir

__all__ = ["FIGURE_DPI", "MAX_FIGURE_WIDTH", "setup_figures", "savefig"]

FIGURE_DPI = 100
#: Widest figure, in inches, that stays readable in the course book's 730 px column at 100 dpi.
MAX_FIGURE_WIDTH = 7.0


def setup_figures(*, figsize: tuple[float, float] = (6.4, 4.0)) -> None:
    """Apply the course style: ``sns.set_theme(context="notebook")``, dpi 100, ``figsize``."""
    import matplotlib as mpl
    import seaborn as sns

    if figsize[0] > MAX_FIGURE_WIDTH:
        raise ValueError(f"figsize width {figsize[0]} in exceeds {MAX_FIGURE_WIDTH} in")
    sns.set_theme(context="notebook")
    mpl.rcParams.update(
        {"figure.dpi": FIGURE_DPI, "savefig.dpi": FIGURE_DPI, "figure.figsize": figsize}
    )


def savefig(fig: Any, name: str, *, dpi: int = FIGURE_DPI) -> Path:
    """Save a matplotlib figure as ``<output_dir>/<name>.png`` (no timestamp metadata).

    Warns when the figure is wider than :data:`MAX_FIGURE_WIDTH` inches.
    """
    width = float(fig.get_size_inches()[0])
    if width > MAX_FIGURE_WIDTH:
        warnings.warn(
            f"figure {name!r} is {width:.1f} in wide; the course column holds "
            f"{MAX_FIGURE_WIDTH:g} in at {FIGURE_DPI} dpi",
            stacklevel=2,
        )
    path = output_dir() / f"{name}.png"
    fig.savefig(path, dpi=dpi, bbox_inches="tight", metadata={"Software": None})
    return path
