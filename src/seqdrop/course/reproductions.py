"""Reproducing the published PTB perplexities: read finished runs back and tabulate the gap
between each run and the number its paper published.

- :func:`load_runs` reads every ``result.json`` under a folder (written by
  :func:`seqdrop.presets.reproduce`, i.e. ``seqdrop train``), reporting an unusable file as
  one line that names it;
- :func:`describe_schedule` says, from a run's own ``result.json``, what was shortened from
  the published schedule and by how much, and so whether the run is comparable at all;
- :func:`gap_table` puts the mean over seeds (95% interval) next to the published number,
  with the gap in % and a flag beyond ``threshold`` (2% by default).

Running the presets, in full or shortened, is :mod:`seqdrop.course.reproduction_runs`.

Chapters: 09.
"""
from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .._validation import ParameterError, check_choice
from ..errors import SeqdropError
from ..presets import PRESETS, RESULT, get_preset
from ..sweep import mean_ci

__all__ = [
    "PTB_TRAIN_TOKENS", "GAP_THRESHOLD_PCT", "MC_RESULT", "PUBLISHED_MC_TEST", "ResultFileError",
    "LoadedRuns", "check_presets", "check_runs_dir", "describe_schedule", "read_result",
    "load_runs", "gap_table",
]

PTB_TRAIN_TOKENS = 929_589  # words in the PTB training split (Mikolov's version)
GAP_THRESHOLD_PCT = 2.0
MC_RESULT = "mc.json"
# Gal & Ghahramani 2016, Table 1: variational LSTM with tied gate weights, MC dropout test
# perplexity (the presets are the tied variant).
PUBLISHED_MC_TEST = {"gal-medium": 79.0, "gal-large": 74.1}
# TrainConfig fields that do not change what a run learns.
_NEUTRAL = {"seed", "device", "deterministic", "log_interval", "check_finite_every"}


class ResultFileError(SeqdropError):
    """A ``result.json`` that cannot be read or lacks a field; the message names the file."""


def check_presets(name: str, value: Any) -> list[str]:
    """A non-empty list of distinct preset names (:func:`seqdrop.presets.list_presets`)."""
    if not isinstance(value, list) or not value or len(set(map(str, value))) != len(value):
        raise ParameterError(f"parameter {name!r} = {value!r} must be a non-empty list of "
                             f"distinct preset names, e.g. ['zaremba-small']")
    return [check_choice(f"{name}[{i}]", v, list(PRESETS)) for i, v in enumerate(value)]


def check_runs_dir(name: str, value: Any) -> Path | None:
    """None, or a folder holding at least one ``result.json`` (runs of ``seqdrop train``)."""
    if value is None:
        return None
    path = Path(str(value)).expanduser()
    if not isinstance(value, (str, Path)) or not path.is_dir():
        raise ParameterError(f"parameter {name!r} = {value!r} must be None or an existing folder")
    if next(path.rglob(RESULT), None) is None:
        raise ParameterError(f"parameter {name!r} = {value!r}: no {RESULT} under it "
                             f"(expected <folder>/<run>/{RESULT} from `seqdrop train`)")
    return path


def describe_schedule(result: dict[str, Any]) -> dict[str, Any]:
    """What a run changed from its preset's published schedule, from its ``result.json``.

    Returns ``comparable`` (True: the full published schedule; None: unknown, the file has
    no ``overrides``), ``token_share`` (training words seen / the paper's), ``width`` (hidden
    units / the paper's) and ``text``, one sentence saying what was shortened by how much.
    """
    preset = PRESETS.get(result["preset"])
    overrides = result.get("overrides")
    if preset is None or overrides is None:
        why = "unknown preset" if preset is None else "result.json records no overrides"
        comparable = None if preset is not None and not result.get("capped") else False
        return {"comparable": comparable, "token_share": math.nan, "width": math.nan,
                "text": f"schedule unknown ({why})"}
    train, model, data = (overrides.get(k) or {} for k in ("train", "model", "data"))
    epochs = train.get("epochs") or preset.train["epochs"]
    tokens = min(data.get("max_tokens") or PTB_TRAIN_TOKENS, PTB_TRAIN_TOKENS)
    share = epochs * tokens / (preset.train["epochs"] * PTB_TRAIN_TOKENS)
    hidden = model.get("hidden_size", preset.model["hidden_size"])
    parts = []
    if epochs != preset.train["epochs"]:
        parts.append(f"{epochs} of {preset.train['epochs']} epochs")
    if tokens < PTB_TRAIN_TOKENS:
        parts.append(f"the first {tokens:,} of {PTB_TRAIN_TOKENS:,} words of each split")
    if hidden != preset.model["hidden_size"]:
        parts.append(f"{hidden} instead of {preset.model['hidden_size']} hidden units")
    if train.get("max_eval_batches"):
        parts.append(f"val/test scored on {train['max_eval_batches']} windows")
    if train.get("max_steps"):
        parts.append(f"at most {train['max_steps']} optimizer steps")
    other = sorted(set(train) - _NEUTRAL - {"epochs", "max_eval_batches", "max_steps"}
                   | set(model) - {"hidden_size", "embedding_size"} | set(data) - {"max_tokens"})
    if other:
        parts.append("changed " + ", ".join(other))
    text = ("the published schedule" if not parts else
            "; ".join(parts) + f" ({share:.2%} of the paper's training words)")
    return {"comparable": not parts, "token_share": share,
            "width": hidden / preset.model["hidden_size"], "text": text}


def read_result(path: str | Path) -> dict[str, Any]:
    """A ``result.json`` as written by :func:`seqdrop.presets.reproduce`, checked.

    Raises :class:`ResultFileError` naming the file if it cannot be read, is not JSON,
    names no known preset, or lacks a measured perplexity.
    """
    path = Path(path)
    try:
        result = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ResultFileError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ResultFileError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(result, dict) or not isinstance(result.get("preset"), str):
        raise ResultFileError(f"{path}: no 'preset' name; not a result.json of seqdrop train")
    if result["preset"] not in PRESETS:
        raise ResultFileError(f"{path}: unknown preset {result['preset']!r} (this seqdrop "
                              "has no such preset)")
    measured = result.get("measured")
    for key in ("val_ppl", "test_ppl"):
        value = measured.get(key) if isinstance(measured, dict) else None
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not number or not math.isfinite(value):
            raise ResultFileError(f"{path}: measured {key} is {value!r}, not a finite number")
    if not isinstance(result.get("published"), dict):
        result["published"] = get_preset(result["preset"]).published
    return result


@dataclass
class LoadedRuns:
    """Finished runs found under a folder: one row per run, and one line per skipped file."""

    runs: pd.DataFrame
    problems: list[str] = field(default_factory=list)


def _row(path: Path, root: Path, result: dict[str, Any]) -> dict[str, Any]:
    schedule = describe_schedule(result)
    published = result["published"]
    row = {"preset": result["preset"], "seed": result.get("seed"),
           "val_ppl": float(result["measured"]["val_ppl"]),
           "test_ppl": float(result["measured"]["test_ppl"]),
           "published_val": published.get("val_ppl"), "published_test": published.get("test_ppl"),
           "steps": result.get("steps"), "wall_seconds": result.get("wall_seconds"),
           "device": result.get("device"), "comparable": schedule["comparable"],
           "token_share": schedule["token_share"], "schedule": schedule["text"],
           "run": _relative(path.parent, root), "path": str(path)}
    mc = path.parent / MC_RESULT
    if mc.exists():
        try:
            row["mc_test_ppl"] = float(json.loads(mc.read_text())["mc_test_ppl"])
        except (OSError, ValueError, KeyError, TypeError):
            row["mc_test_ppl"] = math.nan
    return row


def _relative(folder: Path, root: Path) -> str:
    try:
        return str(folder.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(folder)


def load_runs(folder: str | Path, only: Iterable[str | Path] | None = None) -> LoadedRuns:
    """Every ``result.json`` under ``folder`` (recursively), as a table of runs; with ``only``,
    just those run folders (e.g. the ``run_dir`` of a sweep's trials).

    A file that cannot be used is skipped with one line in ``problems`` naming it. A folder
    that does not exist, or holds no usable result, raises :class:`ResultFileError`.
    """
    root = Path(folder).expanduser()
    if not root.is_dir():
        raise ResultFileError(f"runs folder {root} does not exist or is not a folder")
    paths = (sorted(root.rglob(RESULT)) if only is None else
             [Path(p).expanduser() / RESULT for p in only])
    rows, problems = [], []
    for path in paths:
        try:
            rows.append(_row(path, root, read_result(path)))
        except ResultFileError as exc:
            problems.append(f"skipped {exc}")
    if not rows:
        found = f"{len(paths)} unusable result file(s)" if paths else f"no {RESULT}"
        raise ResultFileError(f"runs folder {root}: {found}; expected runs of `seqdrop train` "
                              f"(<folder>/<run>/{RESULT})")
    return LoadedRuns(pd.DataFrame(rows), problems)


_METRICS = (("val_ppl", "published_val"), ("test_ppl", "published_test"),
            ("mc_test_ppl", None))


def _published(group: pd.DataFrame, column: str | None, preset: str) -> float:
    if column is None:
        return PUBLISHED_MC_TEST.get(preset, math.nan)
    values = group[column].dropna()
    return float(values.iloc[0]) if len(values) else math.nan


def gap_table(runs: pd.DataFrame, *, threshold: float = GAP_THRESHOLD_PCT,
              order: Iterable[str] | None = None) -> pd.DataFrame:
    """Mean over seeds of each preset's perplexities next to the published numbers.

    One row per (preset, metric): ``n_seeds``, ``mean`` with its 95% interval (``low``,
    ``high``; NaN for one seed), ``published``, ``gap_pct`` = 100 · (mean − published) /
    published (positive: worse than the paper), and ``flag``: "beyond ±{threshold}%",
    "within ±{threshold}%", or "no published number" (the GRU/RNN twins).
    """
    if runs.empty:
        raise ValueError("no runs to tabulate")
    presets = list(order) if order is not None else list(dict.fromkeys(runs["preset"]))
    rows = []
    for preset in presets:
        group = runs[runs["preset"] == preset]
        for metric, column in _METRICS:
            if metric not in group or group[metric].isna().all():
                continue
            mean, low, high, n = mean_ci(group[metric])
            published = _published(group, column, preset)
            gap = 100 * (mean - published) / published if published == published else math.nan
            flag = ("no published number" if gap != gap else
                    f"beyond ±{threshold:g}%" if abs(gap) > threshold else
                    f"within ±{threshold:g}%")
            rows.append({"preset": preset, "metric": metric, "n_seeds": n, "mean": mean,
                         "low": low, "high": high, "published": published, "gap_pct": gap,
                         "flag": flag, "comparable": bool(group["comparable"].eq(True).all())})
    return pd.DataFrame(rows)
