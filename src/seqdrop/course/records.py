"""Record key results from a notebook, for ``seqdrop run`` to collect.

``record(name, value)`` displays the value with a seqdrop MIME type (the scrapbook pattern,
without scrapbook); the runner reads those outputs back from the executed notebook into its
summary table and ``summary.json``.
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

__all__ = ["RECORD_MIMETYPE", "FINDING_KIND", "record", "record_finding", "read_records", "findings",
           "is_finding", "format_finding"]

RECORD_MIMETYPE = "application/vnd.seqdrop.record+json"
FINDING_KIND = "finding"


def _jsonable(value: Any) -> Any:
    if hasattr(value, "item") and callable(value.item) and getattr(value, "ndim", 0) == 0:
        value = value.item()  # numpy / torch scalars
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    json.dumps(value)  # raises TypeError for what cannot be stored
    return value


def is_finding(value: Any) -> bool:
    """Whether a stored record ``value`` is a finding (see :func:`record_finding`)."""
    return isinstance(value, dict) and value.get("kind") == FINDING_KIND


def format_finding(value: dict[str, Any], *, detail: bool = True) -> str:
    """``mean [low, high]``, with ``detail`` also the unit and ``(n seeds)``."""
    text = f"{value['mean']:.4g} [{value['low']:.4g}, {value['high']:.4g}]"
    if not detail:
        return text
    unit = f" {value['unit']}" if value.get("unit") else ""
    return f"{text}{unit} ({value['n_seeds']} seeds)"


def _text(stored: Any) -> str:
    """One short line: floats to 6 significant digits, a finding by :func:`format_finding`."""
    if isinstance(stored, float):
        return f"{stored:.6g}"
    return format_finding(stored) if is_finding(stored) else repr(stored)


def record(name: str, value: Any) -> Any:
    """Show ``name = value`` in the notebook and store it for the run summary; returns ``value``."""
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"record name {name!r} must be a Python identifier")
    stored = _jsonable(value)
    text = f"{name} = {_text(stored)}"
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # plain Python: print only
        print(text)
        return value
    if get_ipython() is None:
        print(text)
    else:
        display({RECORD_MIMETYPE: {"name": name, "value": stored}, "text/plain": text}, raw=True)
    return value


def read_records(notebook: str | Path | dict) -> dict[str, Any]:
    """Collect the ``record`` outputs of an executed notebook (path or nbformat dict); last wins."""
    if isinstance(notebook, (str, Path)):
        nb = json.loads(Path(notebook).read_text(encoding="utf-8"))
    else:
        nb = notebook
    found: dict[str, Any] = {}
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []) or []:
            data = out.get("data") or {}
            if RECORD_MIMETYPE in data:
                item = data[RECORD_MIMETYPE]
                if isinstance(item, str):
                    item = json.loads(item)
                found[item["name"]] = item["value"]
    return found


def _finite(name: str, field: str, value: Any) -> float:
    value = float(value.item() if hasattr(value, "item") else value)
    if not math.isfinite(value):
        raise ValueError(f"finding {name!r}: {field} must be a finite number, got {value}")
    return value


def record_finding(
    name: str,
    mean: float,
    low: float,
    high: float,
    *,
    claim: str,
    unit: str = "",
    n_seeds: int,
    source: str = "",
    tags: dict[str, str] | None = None,
    definition: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Record one finding of a chapter: a mean over ``n_seeds`` seeds with its 95% interval.

    ``claim`` is the sentence the chapter states about it (what its ``assert`` checks);
    ``source`` optionally names the table or figure it comes from. ``tags`` (str → str) place a
    finding in a cross-chapter comparison, e.g. ``{"cell": "lstm", "data": "ptb-word",
    "task": "lm", "recipe": "locked", "split": "test"}``. ``definition`` (a JSON-ready dict)
    says exactly what was measured, e.g. a dropout recipe's canonical definition
    (:func:`seqdrop.recipes.definition`), so that findings are compared by what they measured
    rather than by name. The summary chapter reads every finding of a run folder back with
    :func:`findings`. Returns the stored dict.
    """
    lo, hi, m = (_finite(name, f, v) for f, v in (("low", low), ("high", high), ("mean", mean)))
    if not lo <= m <= hi:
        raise ValueError(f"finding {name!r}: need low <= mean <= high, got {lo} <= {m} <= {hi}")
    if not isinstance(n_seeds, int) or isinstance(n_seeds, bool) or n_seeds < 1:
        raise ValueError(f"finding {name!r}: n_seeds must be a positive int, got {n_seeds!r}")
    if not claim.strip():
        raise ValueError(f"finding {name!r}: claim must be the sentence the chapter states")
    tags = dict(tags or {})
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in tags.items()):
        raise ValueError(f"finding {name!r}: tags must map str to str, got {tags!r}")
    value = {"kind": FINDING_KIND, "mean": m, "low": lo, "high": hi, "unit": unit,
             "n_seeds": n_seeds, "claim": claim.strip(), "source": source, "tags": tags}
    if definition is not None:
        if not isinstance(definition, dict):
            raise ValueError(f"finding {name!r}: definition must be a dict, got {definition!r}")
        try:
            value["definition"] = json.loads(json.dumps(definition))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"finding {name!r}: definition is not JSON-ready ({exc})") from None
    record(name, value)
    return value


def findings(records: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The findings among ``records`` (as returned by :func:`read_records`), by name."""
    return {k: v for k, v in records.items() if is_finding(v)}
