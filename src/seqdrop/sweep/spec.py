"""What a sweep runs: the trial function, the grid × seeds, and one content hash per trial.

A *trial* is an importable function of one config dict that returns a dict of metrics (plus,
optionally, a per-epoch ``"history"`` list of dicts). Declaring it with :func:`trial_function`
gives it defaults and value checks, so a sweep rejects unknown keys and bad values before
anything runs; an undeclared function takes whatever the grid gives it.
"""
from __future__ import annotations

import functools
import hashlib
import importlib
import inspect
import itertools
import json
import math
import numbers
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from ..errors import SeqdropError

__all__ = ["SweepError", "trial_function", "resolve_trial", "expand_grid", "Trial", "plan_trials", "trial_hash",
           "trial_code", "package_versions", "TABLE_COLUMNS"]

Check = Callable[[str, Any], Any]
RESERVED = ("seed",)
# Columns the sweep adds to a trial's row (SweepResult.trials): no config key may take these names.
TABLE_COLUMNS = ("status", "error", "seconds", "worker", "key")
SHIPPED = "seqdrop.trials"  # a bare trial name means a function of this module


class SweepError(SeqdropError):
    """A sweep cannot start or continue: bad spec, unreachable scheduler, foreign store."""


def trial_function(
    *,
    defaults: Mapping[str, Any],
    checks: Mapping[str, Check] | None = None,
    validate: Callable[[dict[str, Any]], Any] | None = None,
    metrics: Sequence[str] | None = None,
) -> Callable[[Callable[[dict[str, Any]], dict[str, Any]]], Callable[[dict[str, Any]], dict[str, Any]]]:
    """Declare a trial's config keys (``defaults``), per-key value checks and a whole-config check.

    Each check is called as ``check(key, value)`` (e.g. :func:`seqdrop.params.check_probability`)
    and raises :class:`~seqdrop.params.ParameterError` naming the key and its allowed range;
    ``validate(config)`` then sees each full config (for rules that tie keys together).
    ``metrics``: the names of the metrics the trial may return, so that a summary asking for
    another one is refused before anything runs.
    """
    unknown = set(checks or {}) - set(defaults)
    if unknown:
        raise SweepError(f"checks for keys without a default: {sorted(unknown)}")
    clash = sorted((set(defaults) | set(metrics or ())) & set(RESERVED + TABLE_COLUMNS))
    if clash:
        raise SweepError(f"trial keys or metrics {clash} take names of the sweep's own columns "
                         f"{list(RESERVED + TABLE_COLUMNS)}; rename them")

    def declare(fn: Callable[[dict[str, Any]], dict[str, Any]]) -> Callable[[dict[str, Any]], dict[str, Any]]:
        fn.defaults = MappingProxyType(dict(defaults))  # type: ignore[attr-defined]
        fn.checks = MappingProxyType(dict(checks or {}))  # type: ignore[attr-defined]
        fn.validate = validate  # type: ignore[attr-defined]
        fn.metrics = tuple(metrics) if metrics is not None else None  # type: ignore[attr-defined]
        return fn

    return declare


def _import(path: str) -> Any:
    module, sep, name = path.replace(":", ".").rpartition(".")
    if not sep or not module:
        raise SweepError(f"trial {path!r} is not a dotted path like 'package.module.function'")
    try:
        obj: Any = importlib.import_module(module)
    except ImportError as exc:
        raise SweepError(f"unknown trial function {path!r}: cannot import module {module!r} ({exc})") from None
    if not hasattr(obj, name):
        raise SweepError(f"unknown trial function {path!r}: module {module!r} has no {name!r}")
    return getattr(obj, name)


def resolve_trial(trial: str | Callable[..., Any]) -> tuple[str, Callable[..., Any]]:
    """``(dotted path, function)`` for a function or its dotted path; workers import the path."""
    if isinstance(trial, str):
        path = trial
        if "." not in trial.replace(":", "."):
            path = f"seqdrop.trials.{trial}"  # a bare name means a shipped trial
        fn = _import(path)
    elif callable(trial):
        module, qualname = getattr(trial, "__module__", None), getattr(trial, "__qualname__", "")
        if not module or module == "__main__" or "<" in qualname or "." in qualname:
            raise SweepError(
                f"trial {qualname or trial!r} is not importable by the workers: define it at the top "
                "level of a module (not in a notebook, __main__ or inside another function)"
            )
        path, fn = f"{module}.{qualname}", trial
        if _import(path) is not trial:
            raise SweepError(f"trial {path!r} does not import back to the same function")
    else:
        raise SweepError(f"trial must be a function or a dotted path, got {type(trial).__name__}")
    if not callable(fn):
        raise SweepError(f"trial {path!r} is not a function")
    return path, fn


def expand_grid(grid: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Cartesian product of ``{key: [values]}`` (a scalar is one value); a list of such dicts is
    the union of their products (for grids that are not rectangular)."""
    if isinstance(grid, Mapping):
        parts = [grid]
    elif isinstance(grid, (list, tuple)):
        parts = list(grid)
    else:
        raise SweepError(f"the grid must be a mapping {{key: [values]}} or a list of them, got {grid!r}")
    if not parts:
        raise SweepError("the grid is empty: give at least one {key: [values]} mapping")
    points: list[dict[str, Any]] = []
    for part in parts:
        if not isinstance(part, Mapping):
            raise SweepError(f"a grid is a mapping {{key: [values]}} or a list of them, got {part!r}")
        if not part:
            raise SweepError("the grid is empty: give at least one key, e.g. {'dropout': [0.0, 0.5]}")
        keys = list(part)
        values = []
        for k in keys:
            if not isinstance(k, str) or not k:
                raise SweepError(f"grid key {k!r} is not a name (a non-empty string)")
            v = part[k]
            v = list(v) if isinstance(v, (list, tuple, range)) else [v]
            if not v:
                raise SweepError(f"the grid is empty: key {k!r} has no values")
            values.append(v)
        points += [dict(zip(keys, combo)) for combo in itertools.product(*values)]
    return points


def _seeds(seeds: int | Iterable[int]) -> list[int]:
    if isinstance(seeds, numbers.Integral) and not isinstance(seeds, bool):
        if seeds < 1:
            raise SweepError(f"seeds = {seeds}: give at least one seed (an int n means seeds 0..n-1)")
        return list(range(int(seeds)))
    if isinstance(seeds, (bool, str, bytes, Mapping)) or not isinstance(seeds, Iterable):
        raise SweepError(f"seeds must be a positive int or a non-empty list of ints, got {seeds!r}")
    out = list(seeds)
    if not out or any(isinstance(s, bool) or not isinstance(s, numbers.Integral) or s < 0 for s in out):
        raise SweepError(f"seeds must be a positive int or a non-empty list of ints ≥ 0, got {seeds!r}")
    if len(set(out)) != len(out):
        raise SweepError(f"seeds {out} repeat a seed")
    return [int(s) for s in out]


def _jsonable(key: str, value: Any) -> Any:
    try:
        text = json.dumps(value, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError):
        raise SweepError(
            f"grid value {key}={value!r} is not plain, finite JSON (numbers, strings, lists, dicts)"
        ) from None
    return json.loads(text)


@functools.lru_cache(maxsize=1)
def package_versions() -> dict[str, str]:
    """Versions of python and of the packages a trial's numbers depend on, in this process."""
    import platform
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for pkg in ("seqdrop", "torch", "dask", "distributed"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def trial_code(fn: Callable[..., Any]) -> dict[str, str]:
    """What can change a trial's numbers besides its config: the seqdrop version and a hash of
    the source of the module that defines the trial (a fix to it makes new trials)."""
    module = sys.modules.get(getattr(fn, "__module__", "") or "")
    try:
        text = inspect.getsource(module) if module is not None else inspect.getsource(fn)
    except (OSError, TypeError):  # no source on disk (e.g. a compiled module): the bytecode
        code = getattr(fn, "__code__", None)
        text = code.co_code.hex() if code is not None else getattr(fn, "__qualname__", "")
    return {"seqdrop": package_versions()["seqdrop"], "source": hashlib.sha256(text.encode()).hexdigest()[:16]}


def _canonical(value: Any) -> Any:
    """Numbers by value (``0``, ``0.0`` and ``-0.0`` are one number), recursively."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, numbers.Real):
        x = float(value)
        return int(x) if math.isfinite(x) and x.is_integer() and abs(x) < 2**53 else x
    if isinstance(value, Mapping):
        return {k: _canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    return value


def trial_hash(trial_path: str, config: Mapping[str, Any], code: Mapping[str, str] | None = None) -> str:
    """Content hash of a trial: its function path, its full config (defaults and seed included;
    numbers by value) and ``code`` (:func:`trial_code`: seqdrop version and source hash)."""
    doc = {"trial": trial_path, "config": _canonical(dict(config)), "code": dict(code or {})}
    text = json.dumps(doc, sort_keys=True, allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


@dataclass(frozen=True)
class Trial:
    """One unit of work: a full config (defaults, grid point and seed) and its content hash."""

    key: str
    config: dict[str, Any]

    @property
    def seed(self) -> int:
        return int(self.config["seed"])


def _check_point(path: str, fn: Callable[..., Any], point: dict[str, Any]) -> dict[str, Any]:
    defaults = getattr(fn, "defaults", None)
    if defaults is None:
        return dict(point)
    unknown = sorted(set(point) - set(defaults))
    if unknown:
        raise SweepError(f"unknown config key(s) {unknown} for trial {path}; known keys: {sorted(defaults)}")
    config = {**defaults, **point}
    for key, check in getattr(fn, "checks", {}).items():
        check(key, config[key])
    if getattr(fn, "validate", None) is not None:
        fn.validate(config)
    return config


def plan_trials(
    trial_path: str, fn: Callable[..., Any], grid: Any, seeds: int | Iterable[int]
) -> tuple[list[Trial], list[str]]:
    """Validate and expand ``grid × seeds`` into trials; also return the grid's keys (in order)."""
    points = expand_grid(grid)
    seed_list = _seeds(seeds)
    keys: list[str] = []
    for point in points:
        for k in point:
            if k in RESERVED:
                raise SweepError(f"grid key {k!r} is reserved: pass seeds=... instead")
            if k not in keys:
                keys.append(k)
            point[k] = _jsonable(k, point[k])
    clash = [k for k in keys if k in TABLE_COLUMNS]
    if clash:
        raise SweepError(f"grid key(s) {clash} take names of the sweep's own columns {list(TABLE_COLUMNS)}; "
                         "rename them in the trial")
    code = trial_code(fn)
    trials: dict[str, Trial] = {}
    for point in points:
        config = _check_point(trial_path, fn, point)
        for seed in seed_list:
            full = {**config, "seed": seed}
            key = trial_hash(trial_path, full, code)
            trials.setdefault(key, Trial(key, full))  # a point listed twice runs once
    return list(trials.values()), keys
