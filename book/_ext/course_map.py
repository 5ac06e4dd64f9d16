"""The course map: one row per notebook, read from the notebooks themselves.

A chapter states its prerequisites and run time in its opening cells, on lines such as::

    **Prerequisites:** chapter 00; PyTorch tensors.
    **Run time:** smoke ≈ 15 s · course ≈ 3 min · paper ≈ 40 min (GPU).

The map shows what each notebook says (or "not stated"), and, for notebooks executed by
papermill (the CI book is built from the smoke run), the time the execution took.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

PROFILES = ("smoke", "course", "paper")
_TITLE = re.compile(r"^#\s+(?:(\d+)\s*[·.:\-–—]\s*)?(.+?)\s*$", re.M)
_FIELD = r"^(?!#)[^\w\n]*{name}[^\w\n]*(?:and run time)?[ \t]*[:：]?\**[ \t]*(\S.*)$"
_PROFILE_TIME = re.compile(r"\b(smoke|course|paper)\b\s*[:=≈~]?\s*([^,;·|\n]+)", re.I)


@dataclass(frozen=True)
class Chapter:
    stem: str
    number: str
    title: str
    prerequisites: str
    run_time: dict[str, str]
    measured_s: float | None


def _markdown(nb: dict) -> str:
    cells = [c for c in nb.get("cells", []) if c.get("cell_type") == "markdown"]
    return "\n\n".join("".join(c.get("source", "")) for c in cells[:4])


def _field(text: str, name: str) -> str:
    match = re.search(_FIELD.format(name=name), text, re.M | re.I)
    return match.group(1).strip().rstrip("*").strip() if match else ""


def parse_run_time(line: str) -> dict[str, str]:
    """``"smoke ≈ 15 s · course ≈ 3 min"`` -> ``{"smoke": "15 s", "course": "3 min"}``."""
    found = {}
    for profile, value in _PROFILE_TIME.findall(line):
        value = value.strip().rstrip(".").strip()
        if value:
            found.setdefault(profile.lower(), value)
    return found


def read_chapter(path: Path) -> Chapter:
    """Title, prerequisites, stated run time and measured duration of one notebook."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    text = _markdown(nb)
    title = _TITLE.search(text)
    number = path.stem.split("_", 1)[0]
    duration = nb.get("metadata", {}).get("papermill", {}).get("duration")
    return Chapter(
        stem=path.stem,
        number=number,
        title=title.group(2) if title else path.stem,
        prerequisites=_field(text, r"prerequisites"),
        run_time=parse_run_time(_field(text, r"run time")),
        measured_s=float(duration) if isinstance(duration, (int, float)) else None,
    )


def read_chapters(notebooks: Path) -> list[Chapter]:
    return [read_chapter(p) for p in sorted(Path(notebooks).glob("*.ipynb"))]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ") or "not stated"


def course_map_markdown(notebooks: Path) -> str:
    """A MyST table of the chapters in ``notebooks`` (in order), linked to their pages."""
    chapters = read_chapters(notebooks)
    if not chapters:
        return "No notebook was found in `notebooks/`."
    measured = any(ch.measured_s is not None for ch in chapters)
    head = ["#", "chapter", "prerequisites"] + [f"{p} run time" for p in PROFILES]
    head += ["smoke run, measured"] if measured else []
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for ch in chapters:
        link = f"{{doc}}`{ch.title.replace('`', '')} </notebooks/{ch.stem}>`"
        cells = [ch.number, link, _cell(ch.prerequisites)]
        cells += [_cell(ch.run_time.get(p, "")) for p in PROFILES]
        if measured:
            cells.append(f"{ch.measured_s:.0f} s" if ch.measured_s is not None else "—")
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)
