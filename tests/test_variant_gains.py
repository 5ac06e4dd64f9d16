import pandas as pd
import pytest

from seqdrop.experiments.variant_gains import (gain_sentence, record_recipe_gains,
                                                 record_variant_gains, variant_gains)


def _trials() -> pd.DataFrame:
    # none: 100, 110, 120; a: 90, 99, 108 (10% lower each seed); b: 101, 109, 121 (noise)
    rows = [("none", s, v) for s, v in enumerate((100.0, 110.0, 120.0))]
    rows += [("a", s, v) for s, v in enumerate((90.0, 99.0, 108.0))]
    rows += [("b", s, v) for s, v in enumerate((101.0, 109.0, 121.0))]
    return pd.DataFrame(rows, columns=["recipe", "seed", "val_ppl"]).assign(status="ok")


def test_gain_is_positive_when_lower_is_better_and_the_variant_is_lower():
    g = variant_gains(_trials(), "val_ppl").set_index("variant")
    assert g.loc["a", "mean"] == pytest.approx(10.0)
    assert g.loc["a", "ci_low"] <= 10.0 <= g.loc["a", "ci_high"]
    assert g.loc["a", "n_seeds"] == 3
    assert not g.loc["b", "significant"]
    assert g.loc["b", "ci_low"] < 0 < g.loc["b", "ci_high"]


def test_higher_is_better_keeps_the_sign():
    g = variant_gains(_trials(), "val_ppl", lower_is_better=False).set_index("variant")
    assert g.loc["a", "mean"] == pytest.approx(-10.0)
    assert g.loc["a", "ci_low"] <= g.loc["a", "ci_high"]


def test_sentence_says_within_noise_when_the_interval_holds_zero():
    g = variant_gains(_trials(), "val_ppl").set_index("variant", drop=False)
    assert "within noise of no dropout" in gain_sentence(g.loc["b"], "PTB")
    assert "better than no dropout" in gain_sentence(g.loc["a"], "PTB")


def test_record_variant_gains_names_and_tags(capsys):
    g = variant_gains(_trials(), "val_ppl")
    out = record_variant_gains(g, chapter="04", data="ptb-word", cell="gru", task="lm",
                               metric="val_ppl", what="PTB", names={"a": "zaremba"})
    assert [o["tags"]["variant"] for o in out] == ["zaremba", "b"]
    assert out[0]["tags"] == {"cell": "gru", "data": "ptb-word", "task": "lm",
                              "variant": "zaremba", "metric": "val_ppl"}
    assert out[0]["unit"] == "%" and out[0]["n_seeds"] == 3
    assert "gain_04_ptb_word_gru_zaremba" in capsys.readouterr().out


def test_record_recipe_gains_picks_the_validated_rate_per_data_set(capsys):
    rows = []
    for data in ("fsdd-mfcc", "sunspots"):
        for s, base in enumerate((10.0, 12.0, 14.0)):
            rows.append((data, "none", 0.0, s, base, base))
            # rate 0.1 is best on validation (and 10% better on test); 0.5 is worse
            rows.append((data, "locked", 0.1, s, base * 0.8, base * 0.9))
            rows.append((data, "locked", 0.5, s, base * 1.5, base * 0.5))
    trials = pd.DataFrame(rows, columns=["data", "variant", "rate", "seed", "val_error",
                                         "test_error"]).assign(status="ok")
    table = record_recipe_gains(trials, chapter="05", cell="lstm", label="data",
                                labels={"fsdd-mfcc": "audio", "sunspots": "series"})
    assert list(table.index) == [("audio", "locked"), ("series", "locked")]
    assert table["rate"].tolist() == [0.1, 0.1]
    assert table["mean"].tolist() == pytest.approx([10.0, 10.0])
    out = capsys.readouterr().out
    assert "gain_05_fsdd_lstm_locked" in out and "gain_05_sunspots_lstm_locked" in out
