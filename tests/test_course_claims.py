"""Claims by profile (seqdrop.course.claims) and the profile a run is in (course.preamble)."""
from __future__ import annotations

import pytest
import yaml

from seqdrop.course import Claims, check_parameters, integer, setup
from seqdrop.course.claims import ClaimError, excludes_zero, interval, mean_interval
from seqdrop.course.preamble import run_profile


def test_a_claim_is_asserted_in_its_profiles_and_a_reading_elsewhere():
    course = Claims("course")
    assert course.claim(True, "holds") == "holds"
    with pytest.raises(ClaimError, match=r"\(the course profile\): dropout helps"):
        course.claim(False, "dropout helps")
    for profile in ("smoke", "paper", None):
        c = Claims(profile)
        assert c.claim(False, "dropout helps") == "dropout helps"  # not raised
        assert c.markdown() == "- ✗ dropout helps *(reading: asserted in the course profile)*"
    paper = Claims("paper")
    with pytest.raises(ClaimError):
        paper.claim(False, "full-scale gain", profiles=("course", "paper"))


def test_a_fact_is_asserted_in_every_run_and_a_null_never():
    for profile in ("course", "smoke", "paper", None):
        with pytest.raises(ClaimError, match=r"\(any run\)"):
            Claims(profile).fact(False, "the two implementations agree")
        c = Claims(profile)
        c.null(False, "no change: +0.1 [-0.4, +0.6]")
        c.note("at this size the difference is within noise")
        assert c.markdown() == ("- ✗ no change: +0.1 [-0.4, +0.6]\n"
                                "- at this size the difference is within noise")


def test_claims_keep_sentences_in_order_and_show_the_last_ones():
    c = Claims("course")
    c.claim(True, "a")
    c.fact(1 < 2, "b")
    c.null(True, "c")
    assert c.sentences == ["a", "b", "c"]
    assert c.markdown(last=2) == "- ✓ b\n- ✓ c"


def test_interval_and_excludes_zero():
    row = {"mean": 0.0123, "ci_low": 0.004, "ci_high": 0.0206}
    assert interval(row, 3) == "0.012 [0.004, 0.021]"
    assert interval(row, 1, scale=100, unit=" pt") == "1.2 pt [0.4, 2.1]"
    assert interval({"mean": 1.23, "ci_low": -0.3, "ci_high": 2.7}, 1, signed=True) == \
        "+1.2 [-0.3, +2.7]"
    assert excludes_zero(row)
    assert not excludes_zero({"mean": 0.1, "ci_low": -0.1, "ci_high": 0.3})
    assert mean_interval([1.0, 1.0, 1.0], 1) == "1.0 [1.0, 1.0]"


def test_excludes_zero_is_the_sweeps_and_an_undefined_interval_excludes_nothing():
    import math

    from seqdrop.sweep import excludes_zero as sweep_excludes_zero

    assert excludes_zero is sweep_excludes_zero
    assert not excludes_zero({"ci_low": math.nan, "ci_high": math.nan})


@pytest.fixture
def params_path(tmp_path):
    profiles = {
        "course": {"ch": {"p": 0.5, "n_seeds": 5, "base_seed": 0, "scheduler": None}},
        "smoke": {"ch": {"n_seeds": 2, "scheduler": "serial"}},
        "paper": {"ch": {"n_seeds": 10}},
    }
    for name, data in profiles.items():
        (tmp_path / f"{name}.yaml").write_text(yaml.safe_dump(data))
    return tmp_path


def test_the_profile_is_read_from_the_parameter_values(params_path):
    assert run_profile("ch", {"p": 0.5, "n_seeds": 5}, params_path) == ("course", {})
    assert run_profile("ch", {"p": 0.5, "n_seeds": 2}, params_path) == ("smoke", {"n_seeds": 2})
    assert run_profile("ch", {"p": 0.5, "n_seeds": 10}, params_path)[0] == "paper"
    # a student's exercise: p changed
    assert run_profile("ch", {"p": 0.8, "n_seeds": 5}, params_path) == (None, {"p": 0.8})
    # smoke's section with a changed value is no profile either
    assert run_profile("ch", {"p": 0.8, "n_seeds": 2}, params_path)[0] is None
    # how to run, not what: another scheduler or base seed keeps the profile
    assert run_profile("ch", {"p": 0.5, "n_seeds": 5, "base_seed": 7, "scheduler": "serial"},
                       params_path) == ("course", {})
    # an unknown chapter, or no params folder: no profile
    assert run_profile("other", {"p": 0.5}, params_path)[0] is None
    assert run_profile("ch", {"p": 0.5, "n_seeds": 5}, params_path / "missing")[0] is None


def test_setup_sets_threads_seeds_and_claims_for_the_run(params_path, capsys):
    import torch

    ns = {"p": 0.8, "n_seeds": 5, "base_seed": 3}
    params = check_parameters(ns, {"p": lambda name, value: value,
                                   "n_seeds": integer(2), "base_seed": integer(0)})
    torch.set_num_threads(2)
    seeds, claims = setup("ch", params, params_path=params_path)
    assert torch.get_num_threads() == 1
    assert seeds == [3, 4, 5, 6, 7]
    assert claims.profile is None
    assert "parameters changed from the course profile (p = 0.8)" in capsys.readouterr().out
    claims.claim(False, "a course claim")  # a reading: the exercise goes on
    seeds, claims = setup("ch", {"p": 0.5, "n_seeds": 5}, params_path=params_path)
    assert claims.profile == "course"
    with pytest.raises(ClaimError):
        claims.claim(False, "a course claim")
