"""Parameter profiles: which values each notebook runs with.

Profiles are YAML files ``params/<profile>.yaml`` with one section per notebook (keyed by the
notebook's file stem) mapping parameter names to values::

    00_dropout_formula:
      n_masks: 8
      seed: 0

``course`` holds the notebooks' own values, those of their ``parameters`` cells (a test keeps
them equal); ``smoke`` runs each notebook in seconds (CI); ``paper`` holds full reproductions
(GPU). A notebook knows which profile it runs under from these values
(:func:`seqdrop.course.preamble.run_profile`), so its claims are asserted only in their own.
Every name is checked against ``papermill.inspect_notebook``: an unknown notebook section or
parameter is an error, never silently ignored.

Chapters: all.
"""
from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from ..errors import SeqdropError
from .paths import notebooks_dir, params_dir

__all__ = [
    "PROFILES",
    "ProfileError",
    "find_notebooks",
    "load_profile",
    "notebook_parameters",
    "parse_value",
    "parse_overrides",
    "resolve_parameters",
]

PROFILES = ("smoke", "course", "paper")

# A decimal number as people write it: YAML 1.1 reads "1e-3" (no dot) as a string.
_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


class _ValueLoader(yaml.SafeLoader):
    """YAML with YAML 1.2's floats: ``1e-1`` is a number inside a list or mapping too."""


_ValueLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(\d[\d_]*\.?[\d_]*|\.\d[\d_]*)[eE][-+]?\d+$"),
    list("-+0123456789."),
)


class ProfileError(SeqdropError, ValueError):
    """A profile or command-line parameter names a notebook or parameter that does not exist,
    or its value cannot be read."""


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
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ProfileError(f"{path}: not valid YAML ({_one_line(exc)})") from None
    if not isinstance(data, dict) or not all(isinstance(v, (dict, type(None))) for v in data.values()):
        raise ProfileError(f"{path}: expected a mapping of notebook name -> mapping of parameters")
    return {str(k): dict(v or {}) for k, v in data.items()}


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())


def parse_value(raw: str) -> Any:
    """Read a command-line value as YAML, but numbers the way people write them.

    ``"1e-3"`` is the float 0.001 (YAML 1.1 would keep it a string, unlike papermill's own
    ``-p lr 1e-3``), also inside a list (``"[1e-1, 1e-2]"``); ``"0.5"``, ``"3"``, ``"true"``,
    ``"[1, 2]"`` and ``"lstm"`` are read as YAML. A value YAML cannot read raises :class:`ProfileError`.
    """
    text = raw.strip()
    if not text:
        return ""
    if _NUMBER.fullmatch(text):
        return int(text) if re.fullmatch(r"[-+]?\d+", text) else float(text)
    try:
        return yaml.load(text, Loader=_ValueLoader)  # noqa: S506 (a SafeLoader)
    except yaml.YAMLError as exc:
        raise ProfileError(f"value {raw!r} is not valid YAML ({_one_line(exc)})") from None


def parse_overrides(items: Sequence[str]) -> dict[str, Any]:
    """Parse ``name=value`` (or ``notebook:name=value``) items with :func:`parse_value`."""
    out: dict[str, Any] = {}
    for item in items:
        name, sep, raw = item.partition("=")
        if not sep or not name.strip():
            raise ProfileError(f"parameter override {item!r} must look like name=value")
        try:
            out[name.strip()] = parse_value(raw)
        except ProfileError as exc:
            raise ProfileError(f"parameter override {item!r}: {exc}") from None
    return out


def _check_sections(notebooks: Sequence[Path], profile: Mapping[str, Any], name: str) -> None:
    all_stems = {p.stem for p in notebooks[0].parent.glob("*.ipynb")} if notebooks else set()
    unknown = sorted(set(profile) - all_stems)
    if unknown:
        raise ProfileError(f"{name}: sections {unknown} name no notebook (have {sorted(all_stems)})")


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
        _check_sections(notebooks, profile, profile_name)
    resolved: dict[Path, dict[str, Any]] = {}
    for nb in notebooks:
        params = dict(profile.get(nb.stem, {}))
        bad = sorted(set(params) - set(declared[nb]))
        if bad:
            raise ProfileError(
                f"{profile_name}: {nb.stem} has no parameter(s) {bad}; "
                f"its parameters are {sorted(declared[nb])}"
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
            raise ProfileError(
                f"override {key!r}: no selected notebook has a parameter {name!r}; known: {known}"
            )
        for nb in hits:
            resolved[nb][name] = value
    return resolved
