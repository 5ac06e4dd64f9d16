"""seqdrop.course -- the course wing: the notebooks' tooling and the chapters' own code.

Everything chapter-specific lives here, apart from the science library (:mod:`seqdrop.nn`,
:mod:`seqdrop.dropout`, :mod:`seqdrop.models`, :mod:`seqdrop.data`, :mod:`seqdrop.train`,
:mod:`seqdrop.presets`), which never imports it. Topic modules are named by the idea they
hold and imported by name (``from seqdrop.course import memory_loss``); each one's docstring
ends with the chapters that use it. Nothing of them is imported eagerly here.

The tooling: a chapter opens with its ``parameters`` cell, then checks every value against
its ranges in one call and runs the common preamble in one more::

    params = check_parameters(globals(), {"p": check_probability, "n_seeds": integer(2, 100)})
    ...
    seeds, claims = setup("00_dropout_formula", params)

- :func:`check_parameters` with the specs ``check_probability``, ``integer``, ``number``,
  ``one_of``, ``optional``, ``list_of``, ``check_bool``, ``check_scheduler`` (one
  :class:`ParameterError` naming every bad parameter and its range; :mod:`seqdrop._validation`);
- :func:`setup`: threads, figure style, seeds and the chapter's claims for the profile the run
  is in (:mod:`seqdrop.course.preamble`); :class:`Claims`, :func:`interval`,
  :func:`mean_interval`, :func:`excludes_zero` (:mod:`seqdrop.course.claims`);
- :func:`setup_figures` (one style for every chapter) and :func:`savefig`
  (:mod:`seqdrop.course.figures`);
- :func:`record` a key number for the run summary (:mod:`seqdrop.course.records`);
- profiles and the papermill batch runner behind ``seqdrop run`` / ``seqdrop prepare``
  (:mod:`seqdrop.course.profiles`, :mod:`seqdrop.course.runner`,
  :mod:`seqdrop.course.summary`); folders of the checkout in :mod:`seqdrop.course.paths`.

Needs the ``course`` extra (``pip install "seqdrop[course]"``) for papermill and seaborn.
"""
from __future__ import annotations

from .._validation import (
    Parameters,
    ParameterError,
    check_all,
    check_bool,
    check_choice,
    check_float,
    check_int,
    check_parameters,
    check_positive,
    check_probability,
    check_scheduler,
    integer,
    list_of,
    number,
    one_of,
    optional,
)
from .claims import ClaimError, Claims, excludes_zero, interval, mean_interval
from .figures import savefig, setup_figures
from .preamble import setup
from .records import findings, read_records, record, record_finding

__all__ = [
    "ClaimError",
    "Claims",
    "Parameters",
    "ParameterError",
    "check_all",
    "check_bool",
    "check_choice",
    "check_float",
    "check_int",
    "check_parameters",
    "check_positive",
    "check_probability",
    "check_scheduler",
    "excludes_zero",
    "findings",
    "integer",
    "interval",
    "list_of",
    "mean_interval",
    "number",
    "one_of",
    "optional",
    "read_records",
    "record",
    "record_finding",
    "savefig",
    "setup",
    "setup_figures",
]
