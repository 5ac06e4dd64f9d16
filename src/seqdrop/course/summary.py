"""The run summary: one entry per notebook in ``<run folder>/summary.json``, and its table.

A run folder collects every notebook ever run into it: a run of a subset, or a ``--resume``
that skips notebooks already done, updates their entries and keeps the others.

Chapters: all.
"""
from __future__ import annotations

import json
import textwrap
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import Any

from ..errors import SeqdropError
from ..io import atomic_write_text
from .records import format_finding, is_finding

__all__ = ["SUMMARY_FILE", "NotebookResult", "RunSummary", "format_run_summary"]

SUMMARY_FILE = "summary.json"


@dataclass
class NotebookResult:
    """What happened to one notebook: ``status`` is ok, failed, interrupted or skipped."""

    notebook: str
    status: str
    seconds: float = 0.0
    output: str = ""
    parameters: dict[str, Any] = field(default_factory=dict)
    records: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    source_sha256: str = ""  # of the notebook file that ran (``--resume`` reruns an edited one)

    @classmethod
    def from_dict(cls, entry: dict[str, Any]) -> NotebookResult:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in entry.items() if k in names})


class RunSummary:
    """The entries of ``summary.json`` in ``run_dir``, updated notebook by notebook.

    Raises :class:`SeqdropError` if the folder's summary is unreadable or belongs to another
    profile (one folder holds one profile's run).
    """

    def __init__(self, run_dir: Path, profile: str) -> None:
        self.path = Path(run_dir) / SUMMARY_FILE
        self.profile = profile
        self.entries: dict[str, NotebookResult] = {}
        if not self.path.exists():
            return
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            notebooks = data["notebooks"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise SeqdropError(
                f"{self.path} cannot be read ({type(exc).__name__}); "
                "move it away or choose another --out"
            ) from None
        if data.get("profile") != profile:
            raise SeqdropError(
                f"{self.path.parent} holds a {data.get('profile')!r} run, not {profile!r}; "
                "choose another --out"
            )
        for entry in notebooks:
            result = NotebookResult.from_dict(entry)
            self.entries[result.notebook] = result

    def done(self, notebook: str, parameters: dict[str, Any]) -> NotebookResult | None:
        """The earlier ``ok`` entry of ``notebook`` if it ran with the same parameters."""
        entry = self.entries.get(notebook)
        if entry is not None and entry.status == "ok" and entry.parameters == parameters:
            return entry
        return None

    def status(self, notebook: str) -> str | None:
        entry = self.entries.get(notebook)
        return None if entry is None else entry.status

    def update(self, result: NotebookResult) -> None:
        self.entries[result.notebook] = result

    def write(self) -> Path:
        """Write every entry, sorted by notebook, atomically."""
        payload = {
            "profile": self.profile,
            "finished": datetime.now().isoformat(timespec="seconds"),
            "notebooks": [asdict(self.entries[k]) for k in sorted(self.entries)],
        }
        return atomic_write_text(self.path, json.dumps(payload, indent=2, default=str) + "\n")


def _short(value: Any) -> str:
    if is_finding(value):
        return format_finding(value, detail=False)
    if isinstance(value, float):
        return f"{value:.4g}"
    text = str(value)
    return text if len(text) <= 24 else text[:21] + "..."


def format_run_summary(results: Sequence[NotebookResult], *, width: int = 100) -> str:
    """The table ``seqdrop run`` prints: notebook, status, seconds, key results (or the error),
    wrapped. (:func:`seqdrop.sweep.format_summary` formats a sweep's summary instead.)"""
    rows = [("notebook", "status", "seconds", "key results")]
    for r in results:
        if r.status != "ok":
            detail = r.error
        else:
            detail = ", ".join(f"{k}={_short(v)}" for k, v in r.records.items())
        rows.append((r.notebook, r.status, f"{r.seconds:.1f}", detail))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    indent = sum(widths) + 6
    lines = []
    for i, row in enumerate(rows):
        head = "  ".join(cell.ljust(widths[j]) for j, cell in enumerate(row[:3]))
        chunks = textwrap.wrap(row[3], max(30, width - indent), break_on_hyphens=False) or [""]
        lines.append(f"{head}  {chunks[0]}".rstrip())
        lines.extend(" " * indent + chunk for chunk in chunks[1:])
        if i == 0:
            lines.append("  ".join("-" * w for w in widths) + "  " + "-" * 11)
    return "\n".join(lines)
