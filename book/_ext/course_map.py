"""The course map: one row per notebook, read from the notebooks themselves.

A chapter states its prerequisites and run time in its opening cells, in one paragraph::

    **Prerequisites and run time.** Chapters 00 and 01. Run time: smoke a few seconds;
    course profile (the defaults) about 2 minutes on 2 idle cores; paper profile about 20 min.

or on two lines, ``**Prerequisites:** …`` and ``**Run time:** smoke ≈ 15 s · course ≈ 3 min``.
For each profile the map keeps the first clause (up to a comma), without long asides.

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
_LEAD = re.compile(r"^\**\s*prerequisites(?:\s+and\s+run\s+time)?\s*[.:：]?\s*\**\s*[.:：]?", re.I)
_RUN_TIME = re.compile(r"\**\s*\brun\s+time\b", re.I)
_PROFILE = re.compile(r"\s*\**\s*(smoke|course|paper)\b(?:\s+profile)?\s*[:=≈~]?\s*(.*)", re.I | re.S)
_ASIDE = re.compile(r"\s*\([^()]{16,}\)")  # long parentheticals: details, not the time


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


def _paragraph(text: str, pattern: re.Pattern) -> str:
    """The first paragraph (not a heading) that matches ``pattern``, on one line."""
    for para in re.split(r"\n\s*\n", text):
        if not para.lstrip().startswith("#") and pattern.search(para):
            return " ".join(para.split())
    return ""


def _after_label(text: str) -> str:
    """``" (measured …): smoke …"`` -> ``"smoke …"``: drop an aside and the colon."""
    return re.sub(r"^\s*(\([^()]*\))?\s*\**\s*[:：.]?\s*\**\s*", "", text)


def parse_run_time(text: str) -> dict[str, str]:
    """``"smoke ≈ 15 s · course profile (…) about 3 min, …; paper …"`` -> per-profile times."""
    found: dict[str, str] = {}
    for part in re.split(r"[;·]", text):
        match = _PROFILE.match(part)
        if match:
            value = re.sub(r"^\([^()]*\)\s*", "", _ASIDE.sub("", match.group(2)).strip())
            value = value.split(",")[0].strip().rstrip(".").strip()
            if value:
                found.setdefault(match.group(1).lower(), value)
    return found


def prerequisites_and_run_time(text: str) -> tuple[str, dict[str, str]]:
    """Read ``**Prerequisites and run time.** … Run time: smoke …; course …; paper …`` (one
    paragraph) or separate ``**Prerequisites:**`` / ``**Run time:**`` lines."""
    para = _paragraph(text, re.compile(r"^\**\s*prerequisites", re.I | re.M))
    body = _LEAD.sub("", para, count=1).strip()
    parts = _RUN_TIME.split(body, maxsplit=1)
    pre, rest = parts[0], parts[1] if len(parts) > 1 else ""
    if not rest:
        run_para = _paragraph(text, re.compile(r"^\**\s*run\s+time\b", re.I | re.M))
        rest = _RUN_TIME.split(run_para, maxsplit=1)[-1] if run_para else ""
    prerequisites = pre.strip().strip("*").strip()
    return prerequisites, parse_run_time(_after_label(rest))


def read_chapter(path: Path) -> Chapter:
    """Title, prerequisites, stated run time and measured duration of one notebook."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    text = _markdown(nb)
    title = _TITLE.search(text)
    number = path.stem.split("_", 1)[0]
    duration = nb.get("metadata", {}).get("papermill", {}).get("duration")
    prerequisites, run_time = prerequisites_and_run_time(text)
    return Chapter(
        stem=path.stem,
        number=number,
        title=title.group(2) if title else path.stem,
        prerequisites=prerequisites,
        run_time=run_time,
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
