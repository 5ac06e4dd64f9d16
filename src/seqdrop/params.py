"""Validation of notebook parameters: a bad value names the parameter and its allowed range.

Every notebook's cell after ``parameters`` calls these, so a papermill run with ``-p p 1.5``
fails at once with ``ParameterError: parameter 'p' = 1.5 is outside [0, 1)``.
"""
from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any

from .errors import SeqdropError

__all__ = ["ParameterError", "check_float", "check_int", "check_probability", "check_choice", "check_bool"]


class ParameterError(SeqdropError, ValueError):
    """A notebook or CLI parameter has a value outside its allowed range or set."""


def _interval(low: float | None, high: float | None, low_closed: bool, high_closed: bool) -> str:
    lo = "-inf" if low is None else f"{low:g}"
    hi = "inf" if high is None else f"{high:g}"
    return f"{'[' if low_closed and low is not None else '('}{lo}, {hi}{']' if high_closed and high is not None else ')'}"


def check_float(
    name: str,
    value: Any,
    low: float | None = None,
    high: float | None = None,
    *,
    low_closed: bool = True,
    high_closed: bool = True,
) -> float:
    """Return ``value`` as a float, or raise ``ParameterError`` naming ``name`` and the range."""
    rng = _interval(low, high, low_closed, high_closed)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ParameterError(f"parameter {name!r} = {value!r} must be a number in {rng}")
    x = float(value)
    bad = math.isnan(x)
    bad |= low is not None and (x < low or (x == low and not low_closed))
    bad |= high is not None and (x > high or (x == high and not high_closed))
    if bad:
        raise ParameterError(f"parameter {name!r} = {value!r} is outside the allowed range {rng}")
    return x


def check_probability(name: str, value: Any) -> float:
    """A dropout-style probability in ``[0, 1)``: p = 1 would drop every unit (and inverted
    scaling would divide by zero). Used for notebook parameters and library arguments alike."""
    return check_float(name, value, 0.0, 1.0, high_closed=False)


def check_int(name: str, value: Any, low: int | None = None, high: int | None = None) -> int:
    """Return ``value`` as an int in ``[low, high]``, or raise ``ParameterError``."""
    rng = _interval(low, high, True, True)
    if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, float) and value.is_integer())):
        raise ParameterError(f"parameter {name!r} = {value!r} must be an integer in {rng}")
    x = int(value)
    if (low is not None and x < low) or (high is not None and x > high):
        raise ParameterError(f"parameter {name!r} = {value!r} is outside the allowed range {rng}")
    return x


def check_choice(name: str, value: Any, choices: Iterable[Any]) -> Any:
    """Return ``value`` if it is one of ``choices``, else raise ``ParameterError`` listing them."""
    options = list(choices)
    if value not in options:
        raise ParameterError(f"parameter {name!r} = {value!r} must be one of {options}")
    return value


def check_bool(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ParameterError(f"parameter {name!r} = {value!r} must be True or False")
    return value
