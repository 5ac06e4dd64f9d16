"""The one registry of named dropout recipes (seqdrop.recipes)."""
import ast
import inspect
import json

import pytest

import seqdrop.recipes as registry
from seqdrop.errors import ParameterError
from seqdrop.nn import LSTM, RecurrentDropout
from seqdrop.models import RNNLanguageModel, SequenceClassifier
from seqdrop.recipes import RECIPES, definition, identity, recipe, recipe_source, recipe_table

GATED = ("lstm", "gru")


def _runs_on(name, cell):
    return not (name == "gal-untied" and cell.startswith("rnn"))


def test_names_are_unique_in_the_source():
    """Every name is registered once: a second registration of a name fails at import, and the
    module's source names each recipe exactly once (a dict literal would silently dedupe)."""
    tree = ast.parse(inspect.getsource(registry))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "_register":
            names.append(node.args[0].value)
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "_compound":
            names.append("+".join(k.value for k in node.args[0].keys))
    assert len(names) == len(set(names)) == len(RECIPES)
    with pytest.raises(ValueError, match="twice"):
        registry._register("gal", "again", "")(lambda p, cell, embedding: {})
    assert RECIPES["gal"].description.startswith("locked input")


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn_tanh"])
@pytest.mark.parametrize("name", list(RECIPES))
def test_every_recipe_is_a_valid_recurrent_dropout_a_model_accepts(name, cell):
    if not _runs_on(name, cell):
        with pytest.raises(ParameterError, match="gated cell"):
            recipe(name, 0.5, cell)
        return
    d = recipe(name, 0.5, cell)
    assert isinstance(d, RecurrentDropout)
    assert (name == "none") == (not d.active())
    assert RECIPES[name].description and (name == "none" or RECIPES[name].paper)
    RNNLanguageModel(20, 8, 8, 2, cell, dropouts=d)
    SequenceClassifier(3, 8, 2, 2, cell, dropouts=recipe(name, 0.5, cell, embedding=False))


def test_the_same_name_means_one_definition_and_variations_have_their_own():
    # chapters 03-04's "gal" (recurrent and word types at p/2) and 05-08's (all at p)
    half, tied = recipe("gal-half-recurrent", 0.5), recipe("gal", 0.5)
    assert half.recurrent_dropout == 0.25 and half.embedding_dropout == 0.25
    assert tied.recurrent_dropout == 0.5 and tied.embedding_dropout == 0.0
    assert identity(half) != identity(tied)
    # 03-04's "weight_drop" had Zaremba's masks, 05-07's did not: two names now
    assert recipe("weight-drop", 0.5).active() == {"weight_dropout": 0.5}
    assert recipe("zaremba+weight-drop", 0.5).model_input_dropout == 0.5
    defs = {identity(recipe(n, 0.4, "lstm")) for n in RECIPES if n != "none"}
    assert len(defs) == len(RECIPES) - 1  # no two names share a definition


@pytest.mark.parametrize("cell", GATED)
@pytest.mark.parametrize("name", registry.recipe_names(compound=True))
def test_compounds_are_the_union_of_their_parts(name, cell):
    r = RECIPES[name]
    assert [part for part, _ in r.parts] == name.split("+")
    whole = recipe(name, 0.4, cell).active()
    union = {}
    for part, factor in r.parts:
        fields = recipe(part, 0.4 * factor, cell).active()
        assert whole.items() >= fields.items(), part
        union |= fields
    assert whole == union


def test_zaremba_compounds_keep_zarembas_masks():
    base = recipe("zaremba", 0.4).active()
    for name in ("zaremba+semeniuta", "zaremba+weight-drop", "zaremba+zoneout"):
        assert recipe(name, 0.4).active().items() >= base.items()
    assert recipe("zaremba+semeniuta", 0.4).update_dropout == pytest.approx(0.2)
    assert recipe("zaremba+zoneout", 0.4, "gru").zoneout == pytest.approx(0.2)


def test_awd_at_one_half_is_awd_lstm():
    assert recipe("awd", 0.5).active() == dict(embedding_dropout=0.1, weight_dropout=0.5,
                                               model_input_dropout=0.4, model_layer_dropout=0.3,
                                               model_output_dropout=0.4, locked=True)


def test_definitions_round_trip_as_json_dicts():
    for name in RECIPES:
        if not _runs_on(name, "lstm"):
            continue
        d = definition(name, 0.3, "lstm")
        back = json.loads(json.dumps(d))
        assert back == d and back["recipe"] == name and back["p"] == 0.3
        assert RecurrentDropout(**back["dropouts"]) == recipe(name, 0.3, "lstm")
        assert identity(back) == identity(recipe(name, 0.3, "lstm"))


def test_identity_is_the_definition_not_the_name():
    # the same fields written by hand are the same recipe; another rate is another recipe
    by_hand = {"dropouts": {"model_layer_dropout": 0.2, "model_output_dropout": 0.2,
                            "locked": True, "recurrent_dropout": 0.2}}
    assert identity(by_hand) == identity(definition("gal-hidden", 0.2, "rnn"))
    assert identity(definition("gal", 0.2)) != identity(definition("gal", 0.25))
    # defaults written out do not change it; keys beyond the fields do
    assert identity({"dropouts": {"locked": False, "weight_dropout": 0.5}}) == \
        identity(recipe("weight-drop", 0.5))
    assert identity(by_hand | {"recurrent_mask": "per step"}) != identity(by_hand)
    assert identity(None) is None
    with pytest.raises(ParameterError):
        identity({"dropouts": {"not_a_field": 1}})


def test_zero_rate_and_models_without_an_embedding():
    assert all(not recipe(n, 0.0).active() for n in RECIPES)
    assert recipe("gal-half-recurrent", 0.5, embedding=False).embedding_dropout == 0
    assert recipe("input-types", 0.5).active() == {"embedding_dropout": 0.5}
    assert recipe("input-types", 0.5, embedding=False).active() == {"model_input_dropout": 0.5, "locked": True}
    rates, _ = recipe_table(p=0.5, cell="gru", embedding=False)
    assert "embedding" not in rates.columns


def test_table_rates_and_scopes_come_from_the_registry():
    rates, scopes = recipe_table(["none", "zaremba", "gal-half-recurrent", "zaremba+semeniuta",
                                  "zaremba+zoneout", "gal-batch"], 0.5)
    assert rates.loc["none"].sum() == 0 and (scopes.loc["none"] == "").all()
    assert rates.loc["gal-half-recurrent", "recurrent"] == 0.25
    assert scopes.loc["gal-half-recurrent", "input"] == "per sequence"
    assert scopes.loc["zaremba", "between layers"] == "per step"
    assert scopes.loc["zaremba+semeniuta", "update"] == "per step"
    assert rates.loc["zaremba+zoneout", "state"] == 0.5  # the LSTM's cell-state rate
    assert scopes.loc["gal-batch", "recurrent"] == "per batch"
    assert "| `gal-half-recurrent` |" in registry.recipe_markdown()


def test_source_shows_the_rates_of_the_definition():
    assert "p / 2" in recipe_source("gal-half-recurrent")
    src = recipe_source("zaremba+semeniuta")
    assert "semeniuta at 0.5·p" in src and "update_dropout=p" in src and "_stack(p" in src


def test_recipes_drive_a_layer():
    d = recipe("gal", 0.3, "lstm")
    LSTM(4, 4, 2, **d.layer_kwargs())


def test_bad_names_rates_and_cells():
    with pytest.raises(ParameterError, match="'recipe'"):
        recipe("dropconnect", 0.5)
    with pytest.raises(ParameterError, match="'recipe'"):
        recipe("weight_drop", 0.5)  # the old, ambiguous spelling is gone
    with pytest.raises(ParameterError, match="'p'"):
        recipe("gal", 1.0)
    with pytest.raises(ParameterError, match="'cell'"):
        recipe("gal", 0.5, "tcn")
