"""The exceptions seqdrop raises for problems a user can fix.

Every error caused by input or state outside the program (a bad parameter, a run folder that
already holds a finished run, a corrupt checkpoint, missing data) derives from
:class:`SeqdropError`. The command line prints such an error as one line ``error: …`` and
exits with status 2; anything else is a bug and keeps its traceback.
"""
from __future__ import annotations

__all__ = ["SeqdropError", "ParameterError"]


class SeqdropError(Exception):
    """Base class of user-facing errors: the message alone must say what is wrong and the fix."""


class ParameterError(SeqdropError, ValueError):
    """An argument or notebook parameter has a value outside its allowed range or set."""
