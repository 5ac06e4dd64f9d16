"""Claims about results, checked in the profile they are made for (all chapters, 00-09).

A chapter states each finding once as a sentence, with the condition that makes it true and
the parameter profiles it holds for (:data:`seqdrop.course.profiles.PROFILES`). In a run of
one of those profiles a claim that does not hold stops the notebook with :class:`ClaimError`;
in any other run (another profile, or parameters changed away from every profile, e.g. by a
student doing an exercise) it is a *reading*: shown with ✓ or ✗ and its numbers, never
raised. :meth:`Claims.claim` states an effect of the course profile, :meth:`Claims.fact`
something true for any parameters (two implementations agree), :meth:`Claims.null` the
absence of an effect, which is never asserted (an interval that includes zero is not
evidence of no effect): its sentence gives the interval. Which profile a run is in is decided
by :func:`seqdrop.course.preamble.run_profile`.

:func:`interval` formats a mean and 95% confidence interval the same way everywhere. The
intervals come from :mod:`seqdrop.sweep.stats` (:func:`~seqdrop.sweep.mean_ci`, the Student-t
interval over seeds); :func:`excludes_zero` (from there too) reads a row of
:func:`seqdrop.sweep.paired_difference`.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..sweep.stats import excludes_zero, mean_ci

__all__ = [
    "ANY_PROFILE",
    "ClaimError",
    "Claim",
    "Claims",
    "interval",
    "mean_interval",
    "excludes_zero",
]

#: ``profiles=ANY_PROFILE``: a claim asserted in every run, whatever its parameters (a fact).
ANY_PROFILE = ("*",)


class ClaimError(AssertionError):
    """A sentence written in a chapter is not supported by the numbers of this run."""


@dataclass(frozen=True)
class Claim:
    """One sentence of a chapter and what this run made of it.

    ``holds``: the condition was true in this run (``None`` for a :meth:`Claims.note`);
    ``profiles``: where it is asserted (``()``: nowhere, a null or a note);
    ``asserted``: whether this run asserted it (else it is a reading).
    """

    sentence: str
    holds: bool | None
    profiles: tuple[str, ...]
    asserted: bool

    def markdown(self) -> str:
        """``✓ sentence``, ``✗ sentence *(reading ...)*`` or the bare sentence of a note."""
        if self.holds is None:
            return self.sentence
        mark = "✓" if self.holds else "✗"
        if self.asserted or not self.profiles:
            return f"{mark} {self.sentence}"
        return f"{mark} {self.sentence} *(reading: asserted in the {' and '.join(self.profiles)}" \
               f" profile{'s' if len(self.profiles) > 1 else ''})*"


class Claims:
    """The claims of one chapter, in order, for a run of ``profile``.

    ``profile`` is the profile whose parameters this run has (``None``: parameters changed
    away from every profile); claims made for it are asserted, the others are readings.

    >>> c = Claims("course")
    >>> c.claim(1 + 1 == 2, "one and one make two")
    'one and one make two'
    >>> c.claim(False, "a course-scale effect", profiles=("paper",))
    'a course-scale effect'
    >>> print(c.markdown())
    - ✓ one and one make two
    - ✗ a course-scale effect *(reading: asserted in the paper profile)*
    """

    def __init__(self, profile: str | None) -> None:
        self.profile = profile
        self.claims: list[Claim] = []

    @property
    def sentences(self) -> list[str]:
        """The sentences stated so far, in order."""
        return [c.sentence for c in self.claims]

    def claim(self, condition: Any, sentence: str, *,
              profiles: Iterable[str] = ("course",)) -> str:
        """State ``sentence``, true when ``condition``, for the runs of ``profiles``.

        Raises :class:`ClaimError` when this run is one of ``profiles`` and the condition is
        false; otherwise records the reading. Returns ``sentence`` (for the recap and the
        findings). ``condition`` must be an effect, not the absence of one (see :meth:`null`).
        """
        profiles = tuple(profiles)
        asserted = profiles == ANY_PROFILE or self.profile in profiles
        holds = bool(condition)
        if asserted and not holds:
            where = "any run" if profiles == ANY_PROFILE else f"the {self.profile} profile"
            raise ClaimError(f"claim does not hold for this run ({where}): {sentence}")
        self.claims.append(Claim(sentence, holds, profiles, asserted))
        return sentence

    def fact(self, condition: Any, sentence: str) -> str:
        """A claim true for any parameters (e.g. two implementations agree): always asserted."""
        return self.claim(condition, sentence, profiles=ANY_PROFILE)

    def null(self, condition: Any, sentence: str) -> str:
        """An effect *not* found (``condition``: the interval includes zero, say): shown with
        ✓/✗, never asserted. The sentence must give the interval, so that a reader sees how
        large an effect it leaves possible."""
        self.claims.append(Claim(sentence, bool(condition), (), False))
        return sentence

    def note(self, sentence: str) -> str:
        """A sentence the numbers chose (e.g. between two readings of an interval): no check."""
        self.claims.append(Claim(sentence, None, (), False))
        return sentence

    def markdown(self, last: int | None = None) -> str:
        """The claims (the ``last`` ones, or all) as a Markdown bullet list."""
        shown = self.claims if last is None else self.claims[-last:]
        return "\n".join(f"- {c.markdown()}" for c in shown)


def interval(row: Mapping[str, Any], digits: int = 3, *, scale: float = 1.0, unit: str = "",
             signed: bool = False) -> str:
    """``"0.012 [0.004, 0.021]"`` (or ``"1.2 pt [0.4, 2.1]"``) from a row with ``mean``,
    ``ci_low`` and ``ci_high``.

    ``scale`` multiplies every number (e.g. 100 for percentage points), ``unit`` is appended
    to the mean, ``signed`` writes every number with its sign (``"+1.2 [-0.3, +2.7]"``).
    """
    m, lo, hi = (float(row[k]) * scale for k in ("mean", "ci_low", "ci_high"))
    f = f"{'+' if signed else ''}.{digits}f"
    return f"{m:{f}}{unit} [{lo:{f}}, {hi:{f}}]"


def mean_interval(values: Any, digits: int = 3, *, scale: float = 1.0, unit: str = "") -> str:
    """:func:`interval` of the mean and 95% CI (Student t) of raw ``values``, e.g. over seeds."""
    m, lo, hi, _ = mean_ci(list(values))
    return interval({"mean": m, "ci_low": lo, "ci_high": hi}, digits, scale=scale, unit=unit)
