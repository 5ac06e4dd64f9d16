"""Choosing winners on validation and pairing their gain on test (seqdrop.course.rate_selection,
chapters 05-07)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from seqdrop.course.rate_selection import best_settings, effects, relative_change, transfer_gains, with_baseline
from seqdrop.sweep import SweepError


def _settings(df: pd.DataFrame) -> list[str]:
    """``"gal 0.5"``, or ``"none"`` for the baseline: one candidate label per row."""
    return [v if v == "none" else f"{v} {r:g}" for v, r in zip(df["variant"], df["rate"])]


def _table(errors: dict[tuple[str, float], list[float]], val_shift: float = 0.0) -> pd.DataFrame:
    rows = []
    for (variant, rate), values in errors.items():
        for seed, e in enumerate(values):
            rows.append({"data": "x", "variant": variant, "rate": rate, "seed": seed, "status": "ok",
                         "val_error": e + val_shift, "test_error": e})
    return pd.DataFrame(rows)


def test_best_settings_picks_on_validation_and_pairs_the_gain():
    df = _table({("none", 0.0): [10, 11, 12, 13], ("gal", 0.25): [8, 9, 10, 10.5], ("gal", 0.5): [9, 10, 11, 12]})
    best = best_settings(with_baseline(df), by=["data", "variant"], among="rate", baseline=0.0, n_boot=200)
    row = best.iloc[0]
    assert row["best"] == 0.25 and row["p_best"] == 1.0 and row["low"] == row["high"] == 0.25
    assert row["gain"] == pytest.approx(np.mean([2, 2, 2, 2.5])) and row["helps"]
    assert row["gain_low"] < row["gain"] < row["gain_high"] and row["n"] == 4


def test_best_settings_baseline_winner_and_unstable_choice():
    df = _table({("none", 0.0): [10, 10, 10], ("gal", 0.5): [12, 8, 12]})
    row = best_settings(with_baseline(df), by=["data", "variant"], among="rate", baseline=0.0, n_boot=400).iloc[0]
    assert row["best"] == 0.0 and row["gain"] == 0.0 and not row["helps"]
    assert 0.5 < row["p_best"] < 1.0 and row["low"] == 0.0 and row["high"] == 0.5  # one seed favours 0.5
    with pytest.raises(SweepError, match="≥ 2 seeds"):
        best_settings(df[df["seed"] == 0], by=["data"], among="rate", baseline=0.0)
    with pytest.raises(SweepError, match="baseline is missing"):
        with_baseline(df[df["variant"] != "none"])


def test_relative_change_and_transfer():
    df = pd.concat([
        _table({("none", 0.0): [10, 20], ("gal", 0.5): [9, 18], ("zaremba", 0.5): [11, 22]}),
        _table({("none", 0.0): [4, 4], ("gal", 0.5): [5, 5], ("zaremba", 0.5): [3, 3.8]}).assign(data="y"),
    ], ignore_index=True)
    df["setting"] = _settings(df)
    rel = relative_change(df, "test_error", by=["data"], among="setting", baseline="none")
    assert rel[(df["data"] == "x") & (df["setting"] == "gal 0.5")].tolist() == pytest.approx([-10.0, -10.0])
    winners = best_settings(df, by=["data"], among="setting", baseline="none", n_boot=50)
    assert winners.set_index("data")["best"].to_dict() == {"x": "gal 0.5", "y": "zaremba 0.5"}
    t = transfer_gains(df, winners, by="data", among="setting", baseline="none").set_index(["source", "target"])
    assert t.loc[("x", "x"), "gain"] == pytest.approx(10.0)
    assert t.loc[("x", "y"), "gain"] == pytest.approx(-25.0) and bool(t.loc[("x", "y"), "hurts"])
    assert t.loc[("y", "y"), "setting"] == "zaremba 0.5"


def test_effects_pair_each_candidate_with_the_baseline():
    df = _table({("none", 0.0): [10, 11, 12], ("gal", 0.5): [11, 12.1, 12.9], ("zaremba", 0.5): [9, 12, 11]})
    df["setting"] = _settings(df)
    e = effects(df, "test_error", by=["data"], among="setting", baseline="none").set_index("setting")
    assert e.loc["gal 0.5", "mean"] == pytest.approx(1.0) and e.loc["gal 0.5", "higher"]
    assert not e.loc["zaremba 0.5", "lower"] and not e.loc["zaremba 0.5", "higher"]
    assert "none" not in e.index and (e["n"] == 3).all()
    with pytest.raises(SweepError, match="no trials with setting = 'none'"):
        effects(df[df["setting"] != "none"], "test_error", by=["data"], among="setting", baseline="none")


def test_best_settings_can_exclude_the_baseline():
    df = _table({("none", 0.0): [10, 10, 10], ("gal", 0.5): [12, 13, 12.5], ("zaremba", 0.5): [11, 11.5, 11]})
    df["setting"] = _settings(df)
    row = best_settings(df, by=["data"], among="setting", baseline="none", baseline_can_win=False, n_boot=50).iloc[0]
    assert row["best"] == "zaremba 0.5" and row["gain"] < 0 and not row["helps"]
