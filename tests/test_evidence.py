"""Checked claims and interval formatting."""
from __future__ import annotations

import pytest

from seqdrop.experiments.evidence import ClaimError, Claims, claim, excludes_zero, interval


def test_claim_raises_with_the_sentence_only_when_checked():
    assert claim(True, "holds") == "holds"
    with pytest.raises(ClaimError, match="dropout helps"):
        claim(False, "dropout helps")
    assert claim(False, "skipped in smoke", check=False) == "skipped in smoke"


def test_claims_collects_sentences_as_markdown():
    c = Claims(check=True)
    c.add(True, "a")
    c.add(1 < 2, "b")
    assert c.markdown() == "- a\n- b"
    with pytest.raises(ClaimError):
        c.add(False, "c")


def test_interval_and_excludes_zero():
    row = {"mean": 0.0123, "ci_low": 0.004, "ci_high": 0.0206}
    assert interval(row, 3) == "0.012 [0.004, 0.021]"
    assert interval(row, 1, scale=100, unit=" pt") == "1.2 pt [0.4, 2.1]"
    assert excludes_zero(row)
    assert excludes_zero({"mean": -1, "ci_low": -2, "ci_high": -0.5})
    assert not excludes_zero({"mean": 0.1, "ci_low": -0.1, "ci_high": 0.3})


def test_mean_interval_of_raw_values():
    from seqdrop.experiments.evidence import mean_interval

    assert mean_interval([1.0, 1.0, 1.0], 1) == "1.0 [1.0, 1.0]"
    text = mean_interval([0.1, 0.2, 0.3], 1, scale=100, unit=" pt")
    assert text.startswith("20.0 pt [") and text.endswith("]")


def test_excludes_zero_is_the_sweeps_and_an_undefined_interval_excludes_nothing():
    import math

    from seqdrop.sweep import excludes_zero as sweep_excludes_zero

    assert excludes_zero is sweep_excludes_zero  # one implementation, read by paired_difference too
    assert not excludes_zero({"ci_low": math.nan, "ci_high": math.nan})  # one seed
