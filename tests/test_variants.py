import pytest

from seqdrop.nn.options import RecurrentDropout
from seqdrop.errors import ParameterError
from seqdrop.experiments.variants import RECIPES, recipe, site_matrix, site_table


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn_tanh"])
@pytest.mark.parametrize("name", RECIPES)
def test_every_recipe_is_a_valid_option_set(name, cell):
    fields = recipe(name, 0.5, cell)
    opts = RecurrentDropout(**fields)
    opts.check_cell({"lstm": "LSTM", "gru": "GRU", "rnn_tanh": "RNN_TANH"}[cell])
    assert (name == "none") == (not opts.active())


def test_awd_at_one_half_is_awd_lstm():
    assert recipe("awd", 0.5) == dict(model_input_dropout=0.4, model_layer_dropout=0.3, model_output_dropout=0.4,
                                      locked=True, embedding_dropout=0.1, weight_dropout=0.5)


def test_recurrent_site_recipes_sit_on_top_of_zaremba():
    base = recipe("zaremba", 0.4)
    for name in ("semeniuta", "weight_drop", "zoneout"):
        assert recipe(name, 0.4).items() >= base.items()
    assert recipe("zoneout", 0.4, "gru") == base | {"zoneout": 0.2}
    assert recipe("gal", 0.4)["recurrent_dropout"] == pytest.approx(0.2)


def test_zero_rate_and_classifier_have_no_embedding_dropout():
    assert recipe("gal", 0.0) == {}
    assert "embedding_dropout" not in recipe("gal", 0.5, embedding=False)
    rates, scopes = site_matrix(0.5, "gru", embedding=False)
    assert "embedding" not in rates.columns


def test_site_matrix_rates_and_scopes():
    rates, scopes = site_matrix(0.5)
    assert list(rates.index) == list(RECIPES)
    assert rates.loc["none"].sum() == 0 and (scopes.loc["none"] == "").all()
    assert rates.loc["gal", "recurrent"] == 0.25 and scopes.loc["gal", "input"] == "per sequence"
    assert scopes.loc["zaremba", "between layers"] == "per step"
    assert scopes.loc["semeniuta", "update"] == "per step"
    assert rates.loc["zoneout", "state"] == 0.5  # the LSTM's cell-state rate
    assert [row["recipe"] for row in site_table()] == list(RECIPES)


def test_bad_names_and_rates():
    with pytest.raises(ParameterError, match="'recipe'"):
        recipe("dropconnect", 0.5)
    with pytest.raises(ParameterError, match="'p'"):
        recipe("gal", 1.0)
