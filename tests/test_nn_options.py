"""seqdrop.nn.RecurrentDropout: one validated definition, its queries and its documentation table."""
from __future__ import annotations

import dataclasses
import re

import pytest

import seqdrop.nn as snn
from seqdrop.nn import RecurrentDropout, options_table
from seqdrop.nn.options import FIELD_DOCS
from seqdrop.errors import ParameterError
from seqdrop.paths import project_root


def test_defaults_are_off_and_frozen():
    opts = RecurrentDropout()
    assert opts.active() == {} and repr(opts) == "RecurrentDropout()"
    assert opts.zoneout_cell == 0.0  # one default everywhere (was None in the models)
    with pytest.raises(dataclasses.FrozenInstanceError):
        opts.zoneout = 0.1  # type: ignore[misc]


@pytest.mark.parametrize(
    "kwargs, word",
    [
        (dict(recurrent_dropout=1.0), "recurrent_dropout"),
        (dict(zoneout_cell=-0.1), "zoneout_cell"),
        (dict(embedding_dropout="0.1"), "embedding_dropout"),
        (dict(model_layer_dropout=float("nan")), "model_layer_dropout"),
        (dict(untied_masks=1), "untied_masks"),
        (dict(locked="yes"), "locked"),
        (dict(recurrent_dropout_mode="gate"), "recurrent_dropout_mode"),
        (dict(dropout=0.2, layer_dropout=0.2), "layer_dropout"),
    ],
)
def test_validation_names_the_field(kwargs, word):
    with pytest.raises(ParameterError, match=word):
        RecurrentDropout(**kwargs)


def test_active_step_loop_and_repr():
    opts = RecurrentDropout(recurrent_dropout=0.25, untied_masks=True, weight_dropout=0)
    assert opts.active() == {"recurrent_dropout": 0.25, "untied_masks": True}
    assert isinstance(opts.weight_dropout, float)
    assert opts.needs_step_loop(True) and not opts.needs_step_loop(False)
    batch = opts.replace(recurrent_dropout_mode="batch")
    assert not batch.needs_step_loop(True) and batch.batch_recurrent
    zone = RecurrentDropout(zoneout=0.1)
    assert zone.needs_step_loop(False)  # the expectation changes the eval recurrence too
    assert not RecurrentDropout(weight_dropout=0.5, input_dropout=0.3).may_need_step_loop
    assert opts.extra_repr() == "recurrent_dropout=0.25, untied_masks=True"
    assert eval(repr(opts), {"RecurrentDropout": RecurrentDropout}) == opts


def test_coerce_and_scopes():
    assert RecurrentDropout.coerce(None) == RecurrentDropout()
    assert RecurrentDropout.coerce({"zoneout": 0.1}) == RecurrentDropout(zoneout=0.1)
    with pytest.raises(ParameterError, match="zonout"):
        RecurrentDropout.coerce({"zonout": 0.1})
    with pytest.raises(ParameterError, match="RecurrentDropout or a dict"):
        RecurrentDropout.coerce(0.5)
    layer = set(RecurrentDropout.field_names("layer"))
    model = set(RecurrentDropout.field_names("model"))
    assert layer | model == set(RecurrentDropout.field_names()) and not layer & model
    assert set(RecurrentDropout().layer_kwargs()) == layer
    assert "embedding_dropout" in model and "recurrent_dropout" in layer


def test_check_cell():
    RecurrentDropout(zoneout_cell=0.1, untied_masks=True).check_cell("LSTM")
    with pytest.raises(ParameterError, match="zoneout_cell"):
        RecurrentDropout(zoneout_cell=0.1).check_cell("GRU")
    with pytest.raises(ParameterError, match="untied_masks"):
        RecurrentDropout(untied_masks=True).check_cell("RNN_TANH")


def test_table_lists_every_field_once():
    table = options_table()
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    names = [re.match(r"\| `(\w+)`", row).group(1) for row in rows]
    assert names == list(RecurrentDropout.field_names())
    assert list(FIELD_DOCS) == names
    for d in FIELD_DOCS.values():
        assert d.doc and d.paper and d.step_loop and d.scope in ("layer", "model")


def test_table_is_the_one_in_the_docs():
    """The module docs embed the generated table; the README embeds it verbatim."""
    table = options_table()
    assert table in snn.__doc__ and table in snn.options.__doc__
    assert table in (project_root() / "README.md").read_text()
