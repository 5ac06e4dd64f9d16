import pytest
import torch

from seqdrop.course.memory_loss import SITES, decodable_fraction, ideal_state_survival, memory_curve
from seqdrop.errors import ParameterError


def test_decodable_fraction_bounds():
    g = torch.Generator().manual_seed(0)
    target = torch.randn(400, 4, generator=g)
    assert decodable_fraction(target, target) == pytest.approx(1.0)
    assert decodable_fraction(torch.randn(400, 4, generator=g), target) < 0.1
    mixed = target @ torch.randn(4, 4, generator=g)  # invertible mix: fully decodable
    assert decodable_fraction(mixed, target) == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_fresh_mask_on_the_memory_erases_it_and_the_others_do_not(cell):
    kw = dict(steps=10, hidden_size=16, n_sequences=512, keep_bias=5.0)
    at_10 = {site: memory_curve(cell, site, 0.25, **kw)["memory"].iloc[-1] for site in SITES[cell]}
    assert at_10["state per step"] < 0.05
    for site in ("recurrent per sequence", "update per step"):
        assert at_10[site] > 0.7 * at_10["none"], (site, at_10)


def test_p_zero_is_no_dropout_and_curve_is_reproducible():
    kw = dict(steps=5, hidden_size=8, n_sequences=128)
    none = memory_curve("lstm", "none", 0.25, **kw)
    assert memory_curve("lstm", "state per step", 0.0, **kw)["memory"].tolist() == pytest.approx(none["memory"].tolist())
    again = [memory_curve("gru", "update per step", 0.3, **kw)["memory"].tolist() for _ in range(2)]
    assert again[0] == pytest.approx(again[1], abs=1e-12)  # LAPACK may differ in the last bit
    assert list(none.columns) == ["cell", "site", "p", "t", "memory"] and len(none) == 6


def test_ideal_survival_and_bad_arguments():
    assert ideal_state_survival(0.5, 3) == [1.0, 0.5, 0.25, 0.125]
    with pytest.raises(ParameterError, match="'site'"):
        memory_curve("gru", "cell per step", 0.1)
    with pytest.raises(ParameterError, match="'p'"):
        memory_curve("lstm", "none", 1.0)
    with pytest.raises(ParameterError, match="'n_sequences'"):
        memory_curve("lstm", "none", 0.1, hidden_size=32, n_sequences=50)
