import pandas as pd
import pytest

from seqdrop.course.recipe_gains import (at_validated_rate, gain_name, gain_sentence,
                                         recipe_gains, recipe_key, record_gains,
                                              record_gains_at_validated_rate, split_of)
from seqdrop.recipes import definition


def _trials() -> pd.DataFrame:
    # none: 100, 110, 120; a: 90, 99, 108 (10% lower each seed); b: 101, 109, 121 (noise)
    rows = [("none", s, v) for s, v in enumerate((100.0, 110.0, 120.0))]
    rows += [("zaremba", s, v) for s, v in enumerate((90.0, 99.0, 108.0))]
    rows += [("zaremba+zoneout", s, v) for s, v in enumerate((101.0, 109.0, 121.0))]
    return pd.DataFrame(rows, columns=["recipe", "seed", "val_ppl"]).assign(status="ok")


def test_gain_is_positive_when_lower_is_better_and_the_recipe_is_lower():
    g = recipe_gains(_trials(), "val_ppl").set_index("recipe")
    assert g.loc["zaremba", "mean"] == pytest.approx(10.0)
    assert g.loc["zaremba", "ci_low"] <= 10.0 <= g.loc["zaremba", "ci_high"]
    assert g.loc["zaremba", "n_seeds"] == 3
    assert not g.loc["zaremba+zoneout", "significant"]
    assert g.loc["zaremba+zoneout", "ci_low"] < 0 < g.loc["zaremba+zoneout", "ci_high"]


def test_higher_is_better_keeps_the_sign():
    g = recipe_gains(_trials(), "val_ppl", lower_is_better=False).set_index("recipe")
    assert g.loc["zaremba", "mean"] == pytest.approx(-10.0)
    assert g.loc["zaremba", "ci_low"] <= g.loc["zaremba", "ci_high"]


def test_sentence_says_within_noise_when_the_interval_holds_zero():
    g = recipe_gains(_trials(), "val_ppl").set_index("recipe", drop=False)
    assert "within noise of no dropout" in gain_sentence(g.loc["zaremba+zoneout"], "PTB")
    assert "zaremba at p = 0.5 is +10.0%" in gain_sentence(g.loc["zaremba"], "PTB", 0.5)


def test_split_comes_from_the_metric():
    assert split_of("test_error") == "test" and split_of("val_ppl") == "validation"
    assert split_of("test_acc") == "test" and split_of("val_loss") == "validation"
    with pytest.raises(ValueError, match="no split"):
        split_of("gap")
    with pytest.raises(ValueError, match="no split"):
        split_of("train_eval_ppl")


def test_names_are_identifiers_for_compounds():
    assert gain_name("03", "ptb-word", "lstm", "zaremba+zoneout") == "gain_03_ptb_word_lstm_zaremba_and_zoneout"
    assert gain_name("02", "mnist-rows", "rnn", "locked-hidden+weight-drop").isidentifier()
    assert recipe_key("best_rate_zaremba+weight-drop") == "best_rate_zaremba_and_weight_drop"


def test_record_gains_names_tags_split_and_definition(capsys):
    g = recipe_gains(_trials(), "val_ppl")
    defs = {r: definition(r, 0.5, "gru") for r in ("zaremba", "zaremba+zoneout")}
    out = record_gains(g, chapter="04", data="ptb-word", cell="gru", task="lm",
                       metric="val_ppl", what="PTB", definitions=defs)
    assert [o["tags"]["recipe"] for o in out] == ["zaremba", "zaremba+zoneout"]
    assert out[0]["tags"] == {"cell": "gru", "data": "ptb-word", "task": "lm",
                              "recipe": "zaremba", "metric": "val_ppl", "split": "validation"}
    assert out[1]["definition"] == defs["zaremba+zoneout"]
    assert out[1]["definition"]["dropouts"]["zoneout"] == 0.25  # the GRU's h at p/2
    assert out[0]["unit"] == "%" and out[0]["n_seeds"] == 3
    printed = capsys.readouterr().out
    assert "gain_04_ptb_word_gru_zaremba " in printed
    assert "gain_04_ptb_word_gru_zaremba_and_zoneout" in printed
    with pytest.raises(KeyError, match="no definition"):
        record_gains(g, chapter="04", data="ptb-word", cell="gru", task="lm", metric="val_ppl",
                     what="PTB", definitions={"zaremba": defs["zaremba"]})


def _rate_trials() -> pd.DataFrame:
    rows = []
    for data in ("fsdd-mfcc", "sunspots", "ptb-char"):
        for s, base in enumerate((10.0, 12.0, 14.0)):
            rows.append((data, "none", 0.0, s, base, base))
            # rate 0.1 is best on validation (and 10% better on test); 0.5 is worse
            rows.append((data, "locked", 0.1, s, base * 0.8, base * 0.9))
            rows.append((data, "locked", 0.5, s, base * 1.5, base * 0.5))
    return pd.DataFrame(rows, columns=["data", "variant", "rate", "seed", "val_error",
                                       "test_error"]).assign(status="ok")


def test_each_recipe_at_its_rate_chosen_on_validation():
    chosen = at_validated_rate(_rate_trials())
    assert set(chosen.loc[chosen["variant"] == "locked", "rate"]) == {0.1}
    g = recipe_gains(chosen[chosen["data"] == "sunspots"], "test_error", by="variant").iloc[0]
    assert g["mean"] == pytest.approx(10.0)
    acc = at_validated_rate(_rate_trials(), higher_is_better=True)
    assert set(acc.loc[acc["variant"] == "locked", "rate"]) == {0.5}


def test_record_gains_at_validated_rate_per_data_set(capsys):
    table = record_gains_at_validated_rate(
        _rate_trials(), chapter="05", cell="lstm", label="data",
        labels={"fsdd-mfcc": "audio", "sunspots": "series", "ptb-char": "text"})
    assert list(table.index) == [("audio", "locked"), ("series", "locked"), ("text", "locked")]
    assert table["rate"].tolist() == [0.1, 0.1, 0.1]
    assert table["mean"].tolist() == pytest.approx([10.0, 10.0, 10.0])
    out = capsys.readouterr().out
    assert "gain_05_fsdd_lstm_locked" in out and "gain_05_sunspots_lstm_locked" in out
