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


# --- one schema per chapter: check_parameters ------------------------------------------------

from seqdrop._validation import (  # noqa: E402
    check_parameters,
    integer,
    list_of,
    number,
    one_of,
    optional,
)


def test_check_parameters_reports_every_bad_value_with_its_range():
    ns = {"p": 1.5, "n_seeds": 1, "cell": "rnn", "lr": 0.01}
    schema = {"p": check_probability, "n_seeds": integer(2, 100),
              "cell": one_of(["lstm", "gru"]), "lr": number(0, None, low_closed=False)}
    with pytest.raises(ParameterError) as info:
        check_parameters(ns, schema)
    message = str(info.value)
    assert "'p' = 1.5 is outside the allowed range [0, 1)" in message
    assert "'n_seeds' = 1 is outside the allowed range [2, 100]" in message
    assert "'cell' = 'rnn' must be one of ['lstm', 'gru']" in message
    assert "'lr'" not in message
    assert "\n" not in message  # one line, however many bad values
    assert ns["p"] == 1.5  # nothing written back on failure


def test_check_parameters_writes_checked_values_back_and_keeps_the_given_ones():
    ns = {"n": 4.0, "sizes": [3, 1, 2], "cap": None}
    params = check_parameters(ns, {"n": integer(1), "sizes": list_of(integer(1), sort=True),
                                   "cap": optional(integer(1, 10))})
    assert ns["n"] == 4 and isinstance(ns["n"], int)
    assert ns["sizes"] == [1, 2, 3] and params["sizes"] == [1, 2, 3]
    assert params.given == {"n": 4.0, "sizes": [3, 1, 2], "cap": None}
    with pytest.raises(ParameterError, match=r"'cap' = 11 is outside .*\[1, 10\]"):
        check_parameters({"cap": 11}, {"cap": optional(integer(1, 10))})


def test_check_parameters_names_a_missing_parameter():
    with pytest.raises(ParameterError, match="'n_seeds' is not defined"):
        check_parameters({}, {"n_seeds": integer(2)})


def test_list_of_checks_length_items_uniqueness_and_required_values():
    rates = list_of(check_probability, min_len=2, unique=True, including=[0.0])
    assert rates("rates", [0.0, 0.5]) == [0.0, 0.5]
    for bad in ([0.0], [0.5, 0.7], [0.0, 0.0], "0.5", None):
        with pytest.raises(ParameterError, match="'rates' = .* must be a list of at least 2 "
                           "different item.s. including \\[0.0\\]"):
            rates("rates", bad)
    with pytest.raises(ParameterError, match=r"'rates\[1\]' = 1.5 is outside"):
        rates("rates", [0.0, 1.5])


def test_check_parameters_rules_relate_parameters_and_skip_bad_ones():
    schema = {"p": check_probability, "rates": list_of(check_probability)}
    rule = ("rates", lambda v: v["p"] in v["rates"], "hold p")
    assert check_parameters({"p": 0.5, "rates": [0.0, 0.5]}, schema, rules=[rule])
    with pytest.raises(ParameterError, match=r"'rates' = \[0.0\] must hold p"):
        check_parameters({"p": 0.5, "rates": [0.0]}, schema, rules=[rule])
    # p is bad: reported once, the rule reading it is skipped
    with pytest.raises(ParameterError) as info:
        check_parameters({"p": 2.0, "rates": [0.0]}, schema, rules=[rule])
    assert "'p' = 2.0" in str(info.value) and "must hold p" not in str(info.value)
