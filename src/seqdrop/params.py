"""Parameter checks under their former name; new code imports them from :mod:`seqdrop.course`.

Kept so that notebooks and scripts written against ``seqdrop.params`` keep working; the
checks themselves live in :mod:`seqdrop._validation`, shared by the library and the course.
"""
from __future__ import annotations

from ._validation import (
    ParameterError,
    check_bool,
    check_choice,
    check_float,
    check_int,
    check_positive,
    check_probability,
    check_scheduler,
)

__all__ = [
    "ParameterError",
    "check_bool",
    "check_choice",
    "check_float",
    "check_int",
    "check_positive",
    "check_probability",
    "check_scheduler",
]
