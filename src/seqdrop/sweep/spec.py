"""What a sweep runs: the trial function, the grid × seeds, and one content hash per trial.

A *trial* is an importable function of one config dict that returns a dict of metrics (plus,
optionally, a per-epoch ``"history"`` list of dicts). Declaring it with :func:`trial_function`
gives it defaults and value checks, so a sweep rejects unknown keys and bad values before
anything runs; an undeclared function takes whatever the grid gives it.
"""
from __future__ import annotations

import hashlib
import importlib
import itertools
import json
import numbers
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from ..errors import SeqdropError

__all__ = ["SweepError", "trial_function", "resolve_trial", "expand_grid", "Trial", "plan_trials", "trial_hash"]

Check = Callable[[str, Any], Any]
RESERVED = ("seed",)


class SweepError(SeqdropError):
    """A sweep cannot start or continue: bad spec, unreachable scheduler, foreign store."""


def trial_function(
    *,
    defaults: Mapping[str, Any],
    checks: Mapping[str, Check] | None = None,
    validate: Callable[[dict[str, Any]], Any] | None = None,
) -> Callable[[Callable[[dict[str, Any]], dict[str, Any]]], Callable[[dict[str, Any]], dict[str, Any]]]:
    """Declare a trial's config keys (``defaults``), per-key value checks and a whole-config check.

    Each check is called as ``check(key, value)`` (e.g. :func:`seqdrop.params.check_probability`)
    and raises :class:`~seqdrop.params.ParameterError` naming the key and its allowed range;
    ``validate(config)`` then sees each full config (for rules that tie keys together).
    """
    unknown = set(checks or {}) - set(defaults)
    if unknown:
        raise SweepError(f"checks for keys without a default: {sorted(unknown)}")

    def declare(fn: Callable[[dict[str, Any]], dict[str, Any]]) -> Callable[[dict[str, Any]], dict[str, Any]]:
        fn.defaults = MappingProxyType(dict(defaults))  # type: ignore[attr-defined]
        fn.checks = MappingProxyType(dict(checks or {}))  # type: ignore[attr-defined]
        fn.validate = validate  # type: ignore[attr-defined]
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
    parts = [grid] if isinstance(grid, Mapping) else list(grid)
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
    out = list(seeds)  # type: ignore[arg-type]
    if not out or any(isinstance(s, bool) or not isinstance(s, numbers.Integral) for s in out):
        raise SweepError(f"seeds must be a positive int or a non-empty list of ints, got {seeds!r}")
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


def trial_hash(trial_path: str, config: Mapping[str, Any]) -> str:
    """Content hash of a trial: its function path and its full config (defaults and seed included)."""
    text = json.dumps({"trial": trial_path, "config": config}, sort_keys=True, allow_nan=False)
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
    trials: dict[str, Trial] = {}
    for point in points:
        config = _check_point(trial_path, fn, point)
        for seed in seed_list:
            full = {**config, "seed": seed}
            key = trial_hash(trial_path, full)
            trials.setdefault(key, Trial(key, full))  # a point listed twice runs once
    return list(trials.values()), keys
