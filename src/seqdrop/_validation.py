"""Argument checks shared by the library, the command line and the notebooks.

Each check returns the value converted to its type, or raises
:class:`~seqdrop.errors.ParameterError` (a ``ValueError``) whose message names the argument
and its allowed range, e.g. ``parameter 'p' = 1.5 is outside the allowed range [0, 1)``.

A notebook declares its parameters' ranges once, as a *schema*: a mapping from each name to
a *spec*, a callable ``spec(name, value) -> checked value`` (``check_probability``,
``check_bool`` and ``check_scheduler`` are specs; :func:`integer`, :func:`number`,
:func:`one_of`, :func:`optional` and :func:`list_of` build the others).
:func:`check_parameters` checks a namespace against it and reports every bad value at once.
"""
from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Mapping
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
    "Spec",
    "integer",
    "number",
    "one_of",
    "optional",
    "list_of",
    "check_parameters",
    "Parameters",
]

#: A parameter spec: ``spec(name, value)`` returns the checked value or raises ParameterError.
Spec = Callable[[str, Any], Any]


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


def integer(low: int | None = None, high: int | None = None) -> Spec:
    """Spec of an int in ``[low, high]`` (:func:`check_int`)."""
    def spec(name: str, value: Any) -> int:
        return check_int(name, value, low, high)
    spec.__doc__ = f"an integer in {_interval(low, high, True, True)}"
    return spec


def number(
    low: float | None = None,
    high: float | None = None,
    *,
    low_closed: bool = True,
    high_closed: bool = True,
) -> Spec:
    """Spec of a float in the interval from ``low`` to ``high`` (:func:`check_float`)."""
    def spec(name: str, value: Any) -> float:
        return check_float(name, value, low, high, low_closed=low_closed,
                           high_closed=high_closed)
    spec.__doc__ = f"a number in {_interval(low, high, low_closed, high_closed)}"
    return spec


def one_of(choices: Iterable[Any]) -> Spec:
    """Spec of one value of ``choices`` (:func:`check_choice`)."""
    options = list(choices)

    def spec(name: str, value: Any) -> Any:
        return check_choice(name, value, options)
    spec.__doc__ = f"one of {options}"
    return spec


def optional(spec: Spec) -> Spec:
    """Spec of ``None`` or a value passing ``spec``."""
    def either(name: str, value: Any) -> Any:
        return None if value is None else spec(name, value)
    either.__doc__ = f"None or {spec.__doc__ or 'a valid value'}"
    return either


def list_of(
    spec: Spec,
    *,
    min_len: int = 1,
    unique: bool = False,
    sort: bool = False,
    including: Iterable[Any] = (),
) -> Spec:
    """Spec of a list of at least ``min_len`` items, each passing ``spec`` (checked as
    ``name[i]``); ``unique``: no item twice; ``including``: values the list must hold;
    ``sort``: return the checked items sorted."""
    required = list(including)
    what = f"a list of at least {min_len} {'different ' if unique else ''}item(s)"
    if required:
        what += f" including {required}"

    def check(name: str, value: Any) -> list[Any]:
        if (not isinstance(value, (list, tuple)) or len(value) < min_len
                or (unique and len(set(map(repr, value))) != len(value))
                or any(r not in value for r in required)):
            raise ParameterError(f"parameter {name!r} = {value!r} must be {what}")
        items = [spec(f"{name}[{i}]", v) for i, v in enumerate(value)]
        return sorted(items) if sort else items
    check.__doc__ = f"{what}, each {spec.__doc__ or 'valid'}"
    return check


class Parameters(dict):
    """The checked values of a notebook's parameters (``{name: value}``), with the values as
    given, before conversion, in :attr:`given` (what a profile is compared with)."""

    def __init__(self, values: Mapping[str, Any], given: Mapping[str, Any]) -> None:
        super().__init__(values)
        self.given = dict(given)


def check_parameters(
    namespace: dict[str, Any],
    schema: Mapping[str, Spec],
    *,
    rules: Iterable[tuple[str, Callable[[Mapping[str, Any]], bool], str]] = (),
) -> Parameters:
    """Check every parameter of ``schema`` in ``namespace`` (a notebook's ``globals()``),
    report every bad value at once, and write the checked values back into ``namespace``.

    ``schema`` maps each parameter name to its :data:`Spec`. ``rules`` are checks across
    parameters, ``(name, predicate, requirement)``: ``predicate(values)`` gets the checked
    values and a false result reports ``parameter 'name' = ... must <requirement>`` (a rule
    naming or reading a bad parameter is skipped: that one is reported already).

    Returns the checked values as :class:`Parameters`; raises one :class:`ParameterError`
    listing every failure (separated by "; "), naming each parameter and its allowed range.

    >>> ns = {"p": 0.5, "n_seeds": 3}
    >>> dict(check_parameters(ns, {"p": check_probability, "n_seeds": integer(2, 100)}))
    {'p': 0.5, 'n_seeds': 3}
    """
    values: dict[str, Any] = {}
    errors: list[str] = []
    for name, spec in schema.items():
        if name not in namespace:
            errors.append(f"parameter {name!r} is not defined (the parameters cell must set it)")
            continue
        try:
            values[name] = spec(name, namespace[name])
        except ParameterError as exc:
            errors.append(str(exc))
    for name, predicate, requirement in rules:
        if name not in values:
            continue
        try:
            ok = bool(predicate(values))
        except (KeyError, TypeError, ValueError):
            continue
        if not ok:
            errors.append(f"parameter {name!r} = {namespace[name]!r} must {requirement}")
    if errors:
        raise ParameterError("; ".join(errors))
    given = {name: namespace[name] for name in values}
    namespace.update(values)
    return Parameters(values, given)
