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

__all__ = ["RECORD_MIMETYPE", "record", "read_records"]

RECORD_MIMETYPE = "application/vnd.seqdrop.record+json"


def _jsonable(value: Any) -> Any:
    if hasattr(value, "item") and callable(value.item) and getattr(value, "ndim", 0) == 0:
        value = value.item()  # numpy / torch scalars
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    json.dumps(value)  # raises TypeError for what cannot be stored
    return value


def record(name: str, value: Any) -> Any:
    """Show ``name = value`` in the notebook and store it for the run summary; returns ``value``."""
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"record name {name!r} must be a Python identifier")
    stored = _jsonable(value)
    text = f"{name} = {stored:.6g}" if isinstance(stored, float) else f"{name} = {stored!r}"
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
