"""seqdrop: dropout in sequence models (RNN, LSTM, GRU).

A PyTorch library of every published way to put dropout into a recurrent network, and
the notebook suite that measures what each one buys.
"""
from __future__ import annotations

from .params import ParameterError
from .results import record, savefig
from .utils import seed_everything

__version__ = "0.1.0"
__all__ = ["ParameterError", "record", "savefig", "seed_everything", "__version__"]
