"""seqdrop: dropout in sequence models (RNN, LSTM, GRU).

A PyTorch library of every published way to put dropout into a recurrent network
(:mod:`seqdrop.nn`, :mod:`seqdrop.dropout`), and the notebook course that measures what each
one buys (:mod:`seqdrop.course`, installed with the ``course`` extra).
"""
from __future__ import annotations

from typing import Any

from .errors import ParameterError, SeqdropError
from .utils import seed_everything

__version__ = "0.1.0"
__all__ = ["ParameterError", "SeqdropError", "record", "savefig", "seed_everything", "__version__"]


def __getattr__(name: str) -> Any:
    # seqdrop.record / seqdrop.savefig: course helpers, imported on first use.
    if name in ("record", "savefig"):
        from . import course

        return getattr(course, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
