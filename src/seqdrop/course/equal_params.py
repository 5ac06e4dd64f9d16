"""Equal-parameter-count sizing of LSTM, GRU and Elman RNN models.

Comparing cells at the same hidden size favours the LSTM, which has four gate blocks to the
GRU's three and the Elman RNN's one. Comparisons of cell types are fairer at the same number
of trainable parameters (Jozefowicz et al. 2015; Greff et al. 2017 size their LSTM variants
this way). A layer with ``G`` gate blocks, input size ``I`` and hidden size ``H`` has
``G·H·(I + H) + 2·G·H`` parameters in torch's layout (``weight_ih``, ``weight_hh`` and two
bias vectors); :func:`hidden_size_for` inverts the model's total count for one cell type.

Chapters: 04, 07.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

from .._validation import ParameterError, check_choice, check_int

__all__ = [
    "GATES",
    "recurrent_param_count",
    "classifier_param_count",
    "lm_param_count",
    "hidden_size_for",
    "equal_param_sizes",
]

#: gate blocks per cell type (torch's ``weight_hh`` has ``GATES[cell] * hidden_size`` rows)
GATES = {"lstm": 4, "gru": 3, "rnn": 1, "rnn_tanh": 1, "rnn_relu": 1}


def _cell(cell: str) -> str:
    return check_choice("cell", cell, list(GATES))


def recurrent_param_count(
    cell: str, input_size: int, hidden_size: int, num_layers: int = 1, *, bias: bool = True
) -> int:
    """Trainable parameters of ``torch.nn.LSTM/GRU/RNN(input_size, hidden_size, num_layers)``."""
    g = GATES[_cell(cell)]
    total, fan_in = 0, input_size
    for _ in range(num_layers):
        total += g * hidden_size * (fan_in + hidden_size) + (2 * g * hidden_size if bias else 0)
        fan_in = hidden_size
    return total


def classifier_param_count(
    cell: str, input_size: int, hidden_size: int, num_classes: int, num_layers: int = 1
) -> int:
    """Parameters of :class:`seqdrop.models.SequenceClassifier`: the recurrent stack + linear head."""
    return recurrent_param_count(cell, input_size, hidden_size, num_layers) + (hidden_size + 1) * num_classes


def lm_param_count(
    cell: str, vocab_size: int, embedding_size: int, hidden_size: int, num_layers: int = 2
) -> int:
    """Parameters of an untied :class:`seqdrop.models.RNNLanguageModel` (embedding, stack, decoder)."""
    stack = recurrent_param_count(cell, embedding_size, hidden_size, num_layers)
    return vocab_size * embedding_size + stack + (hidden_size + 1) * vocab_size


def hidden_size_for(budget: int, count: Callable[[int], int], *, max_hidden: int = 1 << 16) -> int:
    """The hidden size whose parameter ``count(hidden)`` is closest to ``budget``.

    ``count`` must increase with the hidden size (every count above does); ties go to the
    smaller model.
    """
    budget = check_int("budget", budget, 1)
    if count(1) >= budget:
        return 1
    lo, hi = 1, 2
    while count(hi) < budget:
        if hi >= max_hidden:
            raise ParameterError(f"no hidden size up to {max_hidden} reaches {budget:,} parameters")
        lo, hi = hi, min(2 * hi, max_hidden)
    while hi - lo > 1:  # count(lo) < budget <= count(hi)
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if count(mid) < budget else (lo, mid)
    return lo if budget - count(lo) <= count(hi) - budget else hi


def equal_param_sizes(
    cells: Iterable[str], budget: int, count: Callable[[str, int], int]
) -> dict[str, int]:
    """``{cell: hidden size}`` giving each cell about ``budget`` parameters.

    ``count(cell, hidden)`` is the model's parameter count, e.g.
    ``lambda cell, h: classifier_param_count(cell, 13, h, 10)``.
    """
    return {c: hidden_size_for(budget, lambda h, c=_cell(c): count(c, h)) for c in cells}
