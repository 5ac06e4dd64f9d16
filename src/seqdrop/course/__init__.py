"""seqdrop.course -- the course wing: the notebooks' tooling and the chapters' own code.

Everything chapter-specific lives here, apart from the science library (:mod:`seqdrop.nn`,
:mod:`seqdrop.dropout`, :mod:`seqdrop.models`, :mod:`seqdrop.data`, :mod:`seqdrop.train`,
:mod:`seqdrop.presets`), which never imports it. Topic modules are named by the idea they
hold and imported by name (``from seqdrop.course import memory_loss``); each one's docstring
ends with the chapters that use it. Nothing of them is imported eagerly here.

The tooling, in a notebook::

    from seqdrop.course import check_int, check_probability, record, savefig, setup_figures

- :func:`setup_figures` (one style for every chapter) and :func:`savefig`
  (:mod:`seqdrop.course.figures`);
- :func:`record` a key number for the run summary (:mod:`seqdrop.course.records`);
- parameter checks ``check_probability``, ``check_int``, ``check_float``, ``check_choice``,
  ``check_bool``, ``check_all`` raising :class:`ParameterError` that names the parameter;
- profiles and the papermill batch runner behind ``seqdrop run`` / ``seqdrop prepare``
  (:mod:`seqdrop.course.profiles`, :mod:`seqdrop.course.runner`,
  :mod:`seqdrop.course.summary`); folders of the checkout in :mod:`seqdrop.course.paths`.

Needs the ``course`` extra (``pip install "seqdrop[course]"``) for papermill and seaborn.
"""
from __future__ import annotations

from .._validation import (
    ParameterError,
    check_all,
    check_bool,
    check_choice,
    check_float,
    check_int,
    check_positive,
    check_probability,
    check_scheduler,
)
from .figures import savefig, setup_figures
from .records import findings, read_records, record, record_finding

__all__ = [
    "ParameterError",
    "check_all",
    "check_bool",
    "check_choice",
    "check_float",
    "check_int",
    "check_positive",
    "check_probability",
    "check_scheduler",
    "findings",
    "read_records",
    "record",
    "record_finding",
    "savefig",
    "setup_figures",
]
