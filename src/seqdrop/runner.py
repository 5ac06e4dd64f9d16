"""Run the notebooks headlessly with papermill, one parameter profile at a time.

Profiles are YAML files ``params/<profile>.yaml`` with one section per notebook (keyed by the
notebook's file stem) mapping parameter names to values::

    00_dropout_formula:
      n_masks: 8
      seed: 0

``course`` is the notebooks' own ``parameters`` cells (``params/course.yaml`` may add overrides);
``smoke`` runs each notebook in seconds (CI); ``paper`` holds full reproductions (GPU).
Every name is checked against ``papermill.inspect_notebook``: an unknown notebook section or
parameter is an error, never silently ignored.

Each notebook runs in its own kernel; a failure is recorded (its executed copy, error and all, is
kept) and the batch goes on. Results recorded with :func:`seqdrop.record` are collected into the
summary table and ``summary.json``. A run folder can be resumed: notebooks that already
succeeded there are skipped.
"""
from __future__ import annotations

import contextlib
import fnmatch
import json
import os
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from .paths import notebooks_dir, params_dir, runs_dir
from .results import read_records

__all__ = [
    "PROFILES",
    "ProfileError",
    "NotebookResult",
    "find_notebooks",
    "load_profile",
    "notebook_parameters",
    "parse_overrides",
    "resolve_parameters",
    "prepare_notebooks",
    "run_notebooks",
    "format_summary",
]

PROFILES = ("smoke", "course", "paper")
SUMMARY_FILE = "summary.json"


class ProfileError(ValueError):
    """A profile or command-line parameter names a notebook or parameter that does not exist."""


@dataclass
class NotebookResult:
    notebook: str
    status: str  # "ok", "failed", "interrupted", "skipped"
    seconds: float = 0.0
    output: str = ""
    parameters: dict[str, Any] = field(default_factory=dict)
    records: dict[str, Any] = field(default_factory=dict)
    error: str = ""


def find_notebooks(pattern: str = "*.ipynb", directory: Path | None = None) -> list[Path]:
    """Notebooks in ``directory`` (default ``notebooks/``) whose name matches ``pattern``, sorted.

    ``pattern`` is a glob on the file name (``"0[0-2]_*"``); a pattern without ``.ipynb`` also
    matches the stem, so ``--notebooks 00_dropout_formula`` works.
    """
    directory = Path(directory) if directory else notebooks_dir()
    found = [
        p
        for p in sorted(directory.glob("*.ipynb"))
        if fnmatch.fnmatch(p.name, pattern) or fnmatch.fnmatch(p.stem, pattern)
    ]
    if not found:
        raise ProfileError(f"no notebook in {directory} matches {pattern!r}")
    return found


def notebook_parameters(path: Path) -> dict[str, Any]:
    """The parameters a notebook declares in its ``parameters`` cell, with their defaults."""
    import papermill

    declared = papermill.inspect_notebook(str(path))
    return {name: info.get("default") for name, info in declared.items()}


def load_profile(profile: str, directory: Path | None = None) -> dict[str, dict[str, Any]]:
    """Read ``params/<profile>.yaml``; the ``course`` profile may be absent (notebook defaults)."""
    if profile not in PROFILES:
        raise ProfileError(f"profile {profile!r} is not one of {list(PROFILES)}")
    path = (Path(directory) if directory else params_dir()) / f"{profile}.yaml"
    if not path.exists():
        if profile == "course":
            return {}
        raise ProfileError(f"profile file {path} is missing")
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict) or not all(isinstance(v, dict) or v is None for v in data.values()):
        raise ProfileError(f"{path}: expected a mapping of notebook name -> mapping of parameters")
    return {str(k): dict(v or {}) for k, v in data.items()}


def parse_overrides(items: Sequence[str]) -> dict[str, Any]:
    """Parse ``name=value`` (or ``notebook:name=value``) items; values are read as YAML scalars."""
    out: dict[str, Any] = {}
    for item in items:
        name, sep, raw = item.partition("=")
        if not sep or not name.strip():
            raise ProfileError(f"parameter override {item!r} must look like name=value")
        out[name.strip()] = yaml.safe_load(raw) if raw.strip() else ""
    return out


def resolve_parameters(
    notebooks: Sequence[Path],
    profile: Mapping[str, Mapping[str, Any]],
    overrides: Mapping[str, Any] | None = None,
    *,
    profile_name: str = "profile",
    check_sections: bool = True,
) -> dict[Path, dict[str, Any]]:
    """Parameters for each notebook: profile section, then command-line overrides.

    Raises :class:`ProfileError` for a profile section naming no notebook, an unknown parameter
    in a section, or an override that no selected notebook declares.
    """
    declared = {nb: notebook_parameters(nb) for nb in notebooks}
    stems = {nb.stem: nb for nb in notebooks}
    if check_sections:
        all_stems = {p.stem for p in notebooks[0].parent.glob("*.ipynb")} if notebooks else set()
        unknown = sorted(set(profile) - all_stems)
        if unknown:
            raise ProfileError(f"{profile_name}: sections {unknown} name no notebook (have {sorted(all_stems)})")
    resolved: dict[Path, dict[str, Any]] = {}
    for nb in notebooks:
        params = dict(profile.get(nb.stem, {}))
        bad = sorted(set(params) - set(declared[nb]))
        if bad:
            raise ProfileError(
                f"{profile_name}: {nb.stem} has no parameter(s) {bad}; its parameters are {sorted(declared[nb])}"
            )
        resolved[nb] = params
    for key, value in (overrides or {}).items():
        stem, sep, name = key.rpartition(":")
        targets = [stems[stem]] if sep and stem in stems else [] if sep else list(notebooks)
        if sep and not targets:
            raise ProfileError(f"override {key!r}: no selected notebook is called {stem!r}")
        hits = [nb for nb in targets if name in declared[nb]]
        if not hits:
            known = sorted({n for nb in targets for n in declared[nb]})
            raise ProfileError(f"override {key!r}: no selected notebook has a parameter {name!r}; known: {known}")
        for nb in hits:
            resolved[nb][name] = value
    return resolved


def _new_run_dir(profile: str) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    path = runs_dir() / f"{profile}-{stamp}"
    n = 1
    while path.exists():
        n += 1
        path = runs_dir() / f"{profile}-{stamp}-{n}"
    return path


@contextlib.contextmanager
def _env(**values: str) -> Iterator[None]:
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def prepare_notebooks(
    profile: str = "smoke",
    pattern: str = "*.ipynb",
    out: str | Path = "build/nbval",
    overrides: Mapping[str, Any] | None = None,
    *,
    notebooks_path: Path | None = None,
    params_path: Path | None = None,
) -> list[Path]:
    """Write copies of the notebooks with the profile's parameters injected, not executed (for nbval)."""
    import papermill

    notebooks = find_notebooks(pattern, notebooks_path)
    params = resolve_parameters(notebooks, load_profile(profile, params_path), overrides, profile_name=profile)
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for nb in notebooks:
        target = out_dir / nb.name
        papermill.execute_notebook(
            str(nb), str(target), parameters=params[nb], prepare_only=True, kernel_name="python3", progress_bar=False
        )
        written.append(target)
    return written


def _write_summary(run_dir: Path, profile: str, results: Sequence[NotebookResult]) -> None:
    payload = {
        "profile": profile,
        "finished": datetime.now().isoformat(timespec="seconds"),
        "notebooks": [asdict(r) for r in results],
    }
    tmp = run_dir / (SUMMARY_FILE + ".tmp")
    tmp.write_text(json.dumps(payload, indent=2, default=str), encoding="utf-8")
    tmp.replace(run_dir / SUMMARY_FILE)


def _previous_ok(run_dir: Path) -> dict[str, dict[str, Any]]:
    path = run_dir / SUMMARY_FILE
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {r["notebook"]: r for r in data.get("notebooks", []) if r.get("status") == "ok"}


def run_notebooks(
    profile: str = "course",
    pattern: str = "*.ipynb",
    out: str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    *,
    kernel_name: str = "python3",
    execution_timeout: int | None = None,
    resume: bool = False,
    progress: bool = True,
    log_output: bool = False,
    notebooks_path: Path | None = None,
    params_path: Path | None = None,
) -> tuple[Path, list[NotebookResult]]:
    """Execute the selected notebooks with a profile; return the run folder and one result each.

    Executed copies go to ``out`` (default ``runs/<profile>-<timestamp>/``), each notebook's
    figures to ``out/<stem>/``. With ``resume=True`` notebooks already ``ok`` in ``out`` are
    skipped. A notebook that fails does not stop the others. Ctrl-C stops the batch after
    saving the summary (the interrupted notebook is marked and rerun on resume).
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError
    from tqdm.auto import tqdm

    notebooks = find_notebooks(pattern, notebooks_path)
    params = resolve_parameters(notebooks, load_profile(profile, params_path), overrides, profile_name=profile)
    run_dir = Path(out) if out else _new_run_dir(profile)
    run_dir.mkdir(parents=True, exist_ok=True)
    done = _previous_ok(run_dir) if resume else {}

    results: list[NotebookResult] = []
    bar = tqdm(notebooks, desc=f"seqdrop run ({profile})", unit="nb", disable=not progress)
    try:
        for nb in bar:
            bar.set_postfix_str(nb.stem)
            target = run_dir / nb.name
            previous = done.get(nb.stem)
            if previous is not None and previous.get("parameters") == params[nb] and target.exists():
                results.append(NotebookResult(**{**previous, "status": "ok"}))
                continue
            result = NotebookResult(nb.stem, "failed", output=str(target), parameters=params[nb])
            figures = run_dir / nb.stem
            figures.mkdir(exist_ok=True)
            start = time.perf_counter()
            try:
                with _env(SEQDROP_OUTPUT_DIR=str(figures.resolve())):
                    papermill.execute_notebook(
                        str(nb),
                        str(target),
                        parameters=params[nb],
                        kernel_name=kernel_name,
                        cwd=str(nb.parent),
                        progress_bar=False,
                        log_output=log_output,
                        execution_timeout=execution_timeout,
                    )
                result.status = "ok"
            except PapermillExecutionError as exc:
                result.error = f"{exc.ename}: {exc.evalue}".strip()
            except KeyboardInterrupt:
                result.status = "interrupted"
                result.error = "KeyboardInterrupt"
                raise
            except Exception as exc:  # kernel death, timeout, missing kernel...
                result.error = f"{type(exc).__name__}: {exc}"
            finally:
                result.seconds = round(time.perf_counter() - start, 2)
                if target.exists():
                    with contextlib.suppress(Exception):
                        result.records = read_records(target)
                results.append(result)
                _write_summary(run_dir, profile, results)
    finally:
        bar.close()
    return run_dir, results


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    text = str(value)
    return text if len(text) <= 24 else text[:21] + "..."


def format_summary(results: Sequence[NotebookResult], *, width: int = 100) -> str:
    """A plain-text table: notebook, status, seconds, key results (or the error), wrapped to ``width``."""
    import textwrap

    rows = [("notebook", "status", "seconds", "key results")]
    for r in results:
        detail = r.error if r.status != "ok" else ", ".join(f"{k}={_short(v)}" for k, v in r.records.items())
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
