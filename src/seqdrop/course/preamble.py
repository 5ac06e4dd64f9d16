"""The preamble every chapter runs once its parameters are checked: :func:`setup`.

One call after the imports of a chapter (00-10)::

    params = check_parameters(globals(), {...})   # the cell after `parameters`
    ...
    seeds, claims = setup("00_dropout_formula", params)

sets PyTorch to one thread per process (the sweeps run one trial per worker: threads beyond
the cores make training up to 10x slower under load), applies the course's figure style,
lists the seeds ``base_seed, ..., base_seed + n_seeds - 1`` and returns the chapter's
:class:`~seqdrop.course.claims.Claims` for the profile this run is in.

Which profile a run is in is read from its parameter values, so it holds however the notebook
is run (``seqdrop run``, nbval on ``seqdrop prepare``'s copies, papermill, JupyterLab):
:func:`run_profile` compares them with each profile of ``params/`` (``course.yaml`` holds
every notebook's own values; ``smoke.yaml`` and ``paper.yaml`` change some of them). A run
whose values are those of a profile asserts that profile's claims; a run with any other value
(an exercise that sets ``p = 0.8``, ``seqdrop run -p ...``) asserts none of them and shows
each as a reading. Parameters that say how to run, not what (:data:`RUN_ONLY`: the scheduler
and the base seed: a claim must hold for every seed), are not compared.
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from .claims import Claims
from .figures import setup_figures

__all__ = ["RUN_ONLY", "Setup", "run_profile", "setup"]

#: Parameters that change how a chapter runs, not what it measures.
RUN_ONLY = frozenset({"scheduler", "base_seed"})


class Setup(NamedTuple):
    """What :func:`setup` returns: the chapter's seeds and its claims."""

    seeds: list[int]
    claims: Claims


def run_profile(
    chapter: str, given: Mapping[str, Any], params_path: Path | None = None
) -> tuple[str | None, dict[str, Any]]:
    """The profile whose values ``given`` has for notebook ``chapter``, or ``None``.

    Returns ``(profile, changed)``: ``changed`` maps each parameter that differs from the
    course profile to its value here (empty for a course run). Profiles are tried in the
    order course, smoke, paper; :data:`RUN_ONLY` parameters are ignored. Without a
    ``course.yaml`` section for ``chapter`` no profile is known and the result is ``None``.
    """
    from .profiles import PROFILES, ProfileError, load_profile

    def section(name: str) -> dict[str, Any]:
        try:
            return load_profile(name, params_path).get(chapter) or {}
        except ProfileError:  # no such file here (an installed package): no such profile
            return {}

    course = section("course")
    compared = {k: v for k, v in given.items() if k not in RUN_ONLY}
    if not course:
        return None, compared
    changed = {k: v for k, v in compared.items() if k not in course or course[k] != v}
    for name in ("course", *(p for p in PROFILES if p != "course")):
        values = {**course, **section(name)}
        if all(k in values and values[k] == v for k, v in compared.items()):
            return name, changed
    return None, changed


def _describe(profile: str | None, changed: Mapping[str, Any]) -> str:
    if profile == "course":
        return "course profile: every claim of the text is asserted"
    if profile is not None:
        return (f"{profile} profile: its own claims are asserted; the course claims are shown "
                "as readings (✓/✗), not asserted")
    shown = ", ".join(f"{k} = {v!r}" for k, v in changed.items())
    return (f"parameters changed from the course profile ({shown}): the claims are shown as "
            "readings (✓/✗), not asserted")


def setup(
    chapter: str,
    parameters: Mapping[str, Any],
    *,
    precision: int | None = None,
    params_path: Path | None = None,
) -> Setup:
    """Run a chapter's common preamble and return its seeds and claims.

    - ``torch.set_num_threads(1)``: one thread per trial (the sweeps size workers to cores);
    - :func:`~seqdrop.course.figures.setup_figures` (the course style); ``precision``: digits
      pandas shows (``display.precision``), if given;
    - ``seeds``: ``base_seed, ..., base_seed + n_seeds - 1`` (empty without those parameters);
    - ``claims``: :class:`~seqdrop.course.claims.Claims` for the profile
      :func:`run_profile` finds from ``parameters`` (checked values with ``.given``, as
      :func:`~seqdrop.course.check_parameters` returns them); prints which one it is.
    """
    import torch

    torch.set_num_threads(1)
    setup_figures()
    if precision is not None:
        import pandas as pd

        pd.set_option("display.precision", precision)
    given = getattr(parameters, "given", parameters)
    profile, changed = run_profile(chapter, given, params_path)
    print(_describe(profile, changed))
    seeds: list[int] = []
    if "base_seed" in parameters and "n_seeds" in parameters:
        base = int(parameters["base_seed"])
        seeds = list(range(base, base + int(parameters["n_seeds"])))
    return Setup(seeds, Claims(profile))
