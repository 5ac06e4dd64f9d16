"""Argument checks shared by the library, the command line and the notebooks.

Each check returns the value converted to its type, or raises
:class:`~seqdrop.errors.ParameterError` (a ``ValueError``) whose message names the argument
and its allowed range, e.g. ``parameter 'p' = 1.5 is outside the allowed range [0, 1)``.
"""
from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping
from typing import Any

from .errors import ParameterError

__all__ = [
    "check_scheduler",
    "ParameterError",
    "check_float",
    "check_int",
    "check_probability",
    "check_positive",
    "check_choice",
    "check_bool",
    "check_all",
]


def _interval(low: float | None, high: float | None, low_closed: bool, high_closed: bool) -> str:
    lo = "-inf" if low is None else f"{low:g}"
    hi = "inf" if high is None else f"{high:g}"
    left = "[" if low_closed and low is not None else "("
    right = "]" if high_closed and high is not None else ")"
    return f"{left}{lo}, {hi}{right}"


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
    """A dropout probability in ``[0, 1)``: ``p = 1`` drops every unit, and the inverted
    scaling ``1/(1-p)`` of Srivastava et al. (2014) would divide by zero."""
    return check_float(name, value, 0.0, 1.0, high_closed=False)


def check_int(name: str, value: Any, low: int | None = None, high: int | None = None) -> int:
    """Return ``value`` as an int in ``[low, high]``, or raise ``ParameterError``."""
    rng = _interval(low, high, True, True)
    integral = isinstance(value, numbers.Integral) or (
        isinstance(value, float) and value.is_integer()
    )
    if isinstance(value, bool) or not integral:
        raise ParameterError(f"parameter {name!r} = {value!r} must be an integer in {rng}")
    x = int(value)
    if (low is not None and x < low) or (high is not None and x > high):
        raise ParameterError(f"parameter {name!r} = {value!r} is outside the allowed range {rng}")
    return x


def check_positive(name: str, value: Any, *, integer: bool = False) -> float | int:
    """A strictly positive number (an int when ``integer``): step counts, sizes, rates."""
    if integer:
        return check_int(name, value, 1)
    return check_float(name, value, 0.0, None, low_closed=False)


def check_choice(name: str, value: Any, choices: Iterable[Any]) -> Any:
    """Return ``value`` if it is one of ``choices``, else raise ``ParameterError`` listing them."""
    options = list(choices)
    if value not in options:
        raise ParameterError(f"parameter {name!r} = {value!r} must be one of {options}")
    return value


def check_bool(name: str, value: Any) -> bool:
    """Return ``value`` if it is ``True`` or ``False`` (not 0/1, not a string)."""
    if not isinstance(value, bool):
        raise ParameterError(f"parameter {name!r} = {value!r} must be True or False")
    return value


def check_scheduler(name: str, value: Any) -> str | None:
    """Return a sweep ``scheduler``: ``None`` (a local Dask cluster), ``"serial"`` (in process)
    or a Dask scheduler address such as ``"tcp://host:8786"``."""
    if value is None or value == "serial" or (isinstance(value, str) and "://" in value):
        return value
    raise ParameterError(
        f"parameter {name!r} = {value!r} must be None (a local Dask cluster), 'serial' or "
        "a Dask scheduler address such as 'tcp://host:8786'"
    )


def check_all(checks: Mapping[str, Any]) -> dict[str, Any]:
    """Run several checks and report every bad parameter at once.

    ``checks`` maps a name to a zero-argument callable (usually a ``lambda`` around one of the
    checks above). Returns ``{name: checked value}``; if any check fails, raises one
    ``ParameterError`` whose message lists every failure, one per line.
    """
    values: dict[str, Any] = {}
    errors: list[str] = []
    for name, check in checks.items():
        try:
            values[name] = check()
        except ParameterError as exc:
            errors.append(str(exc))
    if errors:
        raise ParameterError("; ".join(errors))
    return values
