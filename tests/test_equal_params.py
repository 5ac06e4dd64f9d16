import pytest
import torch

from seqdrop.models import SequenceClassifier
from seqdrop.errors import ParameterError
from seqdrop.course.equal_params import (
    classifier_param_count,
    equal_param_sizes,
    hidden_size_for,
    lm_param_count,
    recurrent_param_count,
)


def n_params(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize("cell, cls", [("lstm", torch.nn.LSTM), ("gru", torch.nn.GRU), ("rnn", torch.nn.RNN)])
@pytest.mark.parametrize("layers", [1, 3])
def test_recurrent_count_matches_torch(cell, cls, layers):
    assert recurrent_param_count(cell, 13, 37, layers) == n_params(cls(13, 37, layers))
    assert recurrent_param_count(cell, 13, 37, layers, bias=False) == n_params(cls(13, 37, layers, bias=False))


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn_tanh"])
def test_classifier_count_matches_model(cell):
    assert classifier_param_count(cell, 13, 29, 10, 2) == n_params(SequenceClassifier(13, 29, 10, 2, cell))


def test_lm_count_is_embedding_stack_decoder():
    stack = recurrent_param_count("gru", 8, 16, 2)
    assert lm_param_count("gru", 100, 8, 16, 2) == 100 * 8 + stack + 17 * 100


def test_hidden_size_for_is_closest():
    count = lambda h: 4 * h * (13 + h) + 8 * h  # noqa: E731 - a one-layer LSTM
    for budget in (1, 50, 1000, 12_345, 250_000):
        h = hidden_size_for(budget, count)
        best = min(range(1, 400), key=lambda k: (abs(count(k) - budget), k))
        assert h == best


def test_equal_param_sizes_orders_cells_and_matches_budget():
    count = lambda cell, h: classifier_param_count(cell, 13, h, 10)  # noqa: E731
    sizes = equal_param_sizes(["lstm", "gru", "rnn"], 20_000, count)
    assert sizes["lstm"] < sizes["gru"] < sizes["rnn"]
    for cell, h in sizes.items():
        assert abs(count(cell, h) - 20_000) <= count(cell, h + 1) - count(cell, h)


def test_bad_cell_and_budget_name_the_parameter():
    with pytest.raises(ParameterError, match="'cell'"):
        recurrent_param_count("transformer", 1, 1)
    with pytest.raises(ParameterError, match="'budget'"):
        hidden_size_for(0, lambda h: h)
    with pytest.raises(ParameterError, match="reaches"):
        hidden_size_for(10**9, lambda h: h, max_hidden=64)
