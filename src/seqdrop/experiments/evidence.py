"""Claims about results, checked: a sentence and the condition that makes it true.

A chapter states each finding once as a sentence; :func:`claim` asserts it (in the course and
paper profiles) and returns the sentence so the recap can show it. :func:`interval` formats a
mean and 95% confidence interval the same way everywhere. The intervals themselves come from
:mod:`seqdrop.sweep.stats` (:func:`~seqdrop.sweep.mean_ci`, the Student-t interval over
seeds); :func:`excludes_zero` (from there too) reads a row of
:func:`seqdrop.sweep.paired_difference`.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..sweep.stats import excludes_zero, mean_ci

__all__ = ["ClaimError", "claim", "interval", "mean_interval", "excludes_zero", "Claims"]


class ClaimError(AssertionError):
    """A sentence written in a chapter is not supported by the numbers of this run."""


def claim(condition: bool, sentence: str, *, check: bool = True) -> str:
    """Return ``sentence``; raise :class:`ClaimError` with it when ``check`` and not ``condition``.

    ``check=False`` (the smoke profile, where a few steps say nothing) skips the test.
    """
    if check and not bool(condition):
        raise ClaimError(f"claim does not hold for this run: {sentence}")
    return sentence


def interval(row: Mapping[str, Any], digits: int = 3, *, scale: float = 1.0, unit: str = "") -> str:
    """``"0.012 [0.004, 0.021]"`` (or ``"1.2 pt [0.4, 2.1]"``) from a row with ``mean``,
    ``ci_low`` and ``ci_high``.

    ``scale`` multiplies every number (e.g. 100 for percentage points), ``unit`` is appended.
    """
    m, lo, hi = (float(row[k]) * scale for k in ("mean", "ci_low", "ci_high"))
    return f"{m:.{digits}f}{unit} [{lo:.{digits}f}, {hi:.{digits}f}]"


def mean_interval(values: Any, digits: int = 3, *, scale: float = 1.0, unit: str = "") -> str:
    """:func:`interval` of the mean and 95% CI (Student t) of raw ``values``, e.g. over seeds."""
    m, lo, hi, _ = mean_ci(list(values))
    return interval({"mean": m, "ci_low": lo, "ci_high": hi}, digits, scale=scale, unit=unit)


class Claims:
    """The claims of one chapter, in order; ``check`` is off in the smoke profile.

    >>> c = Claims(check=True)
    >>> c.add(1 + 1 == 2, "one and one make two")
    'one and one make two'
    >>> c.sentences
    ['one and one make two']
    """

    def __init__(self, *, check: bool = True) -> None:
        self.check = check
        self.sentences: list[str] = []

    def add(self, condition: bool, sentence: str) -> str:
        self.sentences.append(claim(condition, sentence, check=self.check))
        return sentence

    def markdown(self) -> str:
        """The claims as a Markdown bullet list (for ``IPython.display.Markdown``)."""
        return "\n".join(f"- {s}" for s in self.sentences)
