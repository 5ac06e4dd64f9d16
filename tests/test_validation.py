import math

import pytest

from seqdrop._validation import (
    ParameterError,
    check_all,
    check_bool,
    check_choice,
    check_float,
    check_int,
    check_positive,
    check_probability,
)


def test_probability_accepts_range_and_names_parameter():
    assert check_probability("p", 0) == 0.0
    assert check_probability("p", 0.999) == 0.999
    for bad in (1, 1.5, -0.1, math.nan, "0.5", True):
        with pytest.raises(ParameterError, match=r"'p'.*\[0, 1\)"):
            check_probability("p", bad)


def test_int_range_and_type():
    assert check_int("n_units", 3, 1, 10) == 3
    assert check_int("n_units", 4.0, 1) == 4
    with pytest.raises(ParameterError, match=r"'n_units' = 0 is outside the allowed range \[1, 10\]"):
        check_int("n_units", 0, 1, 10)
    with pytest.raises(ParameterError, match="must be an integer"):
        check_int("n_units", 2.5, 1, 10)


def test_float_open_bounds():
    assert check_float("lr", 1e-3, 0, None, low_closed=False) == 1e-3
    with pytest.raises(ParameterError, match=r"\(0, inf\)"):
        check_float("lr", 0, 0, None, low_closed=False)


def test_choice_and_bool():
    assert check_choice("cell", "lstm", ["lstm", "gru"]) == "lstm"
    with pytest.raises(ParameterError, match=r"'cell' = 'rnn' must be one of \['lstm', 'gru'\]"):
        check_choice("cell", "rnn", ["lstm", "gru"])
    assert check_bool("mc", False) is False
    with pytest.raises(ParameterError):
        check_bool("mc", 1)


def test_parameter_error_is_value_error():
    assert issubclass(ParameterError, ValueError)


def test_positive_and_all_at_once():
    assert check_positive("lr", 1e-3) == 1e-3 and check_positive("epochs", 3, integer=True) == 3
    with pytest.raises(ParameterError, match=r"'epochs' = 0 is outside the allowed range \[1, inf\)"):
        check_positive("epochs", 0, integer=True)
    got = check_all({"p": lambda: check_probability("p", 0.5), "n": lambda: check_int("n", 3, 1)})
    assert got == {"p": 0.5, "n": 3}
    with pytest.raises(ParameterError) as info:
        check_all({"p": lambda: check_probability("p", 2), "n": lambda: check_int("n", 0, 1)})
    assert "'p' = 2" in str(info.value) and "'n' = 0" in str(info.value)


def test_one_implementation_behind_every_public_name():
    import seqdrop
    import seqdrop.course
    import seqdrop.params

    assert seqdrop.params.check_probability is seqdrop.course.check_probability is check_probability
    assert seqdrop.ParameterError is seqdrop.params.ParameterError is ParameterError


def test_scheduler_accepts_local_serial_and_addresses_only():
    from seqdrop._validation import check_scheduler

    assert check_scheduler("scheduler", None) is None
    assert check_scheduler("scheduler", "serial") == "serial"
    assert check_scheduler("scheduler", "tcp://10.0.0.1:8786") == "tcp://10.0.0.1:8786"
    for bad in ("local", "", 3, ["serial"]):
        with pytest.raises(ParameterError, match=r"'scheduler'.*'serial'.*tcp://"):
            check_scheduler("scheduler", bad)
