"""Small inputs that used to mean something else than written (issue 20, item 11): a ``-p`` list
of numbers in e-notation, a ``SEQDROP_DATA`` of blanks, ``seqdrop sweep --workers 0``."""
from __future__ import annotations

import pytest

from seqdrop import paths
from seqdrop.cli import main
from seqdrop.course.profiles import parse_overrides, parse_value


@pytest.mark.parametrize("raw, value", [
    ("[1e-1, 2]", [0.1, 2]),
    ("[1E-3, 5e2, 0.5]", [0.001, 500.0, 0.5]),
    ("{lr: 1e-2}", {"lr": 0.01}),
    ("1e-1", 0.1),
])
def test_numbers_in_e_notation_are_numbers_inside_lists_too(raw, value):
    assert parse_value(raw) == value
    assert all(not isinstance(v, str) for v in (value if isinstance(value, list) else [value]))


def test_e_notation_does_not_swallow_words():
    assert parse_overrides(["cells=[lstm, gru]", "tag=e5", "x=1e"]) == {"cells": ["lstm", "gru"], "tag": "e5", "x": "1e"}


@pytest.mark.parametrize("blank", ["", "   ", "\t"])
def test_a_blank_seqdrop_data_is_unset(blank, monkeypatch, tmp_path):
    monkeypatch.delenv("SEQDROP_HOME", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SEQDROP_DATA", blank)
    assert paths.data_dir() == paths.project_root() / "data"
    paths.cache_dir()
    assert list(tmp_path.iterdir()) == []  # no folder named by blanks in the working directory
    monkeypatch.setenv("SEQDROP_HOME", blank)
    assert paths.project_root() != tmp_path / blank


@pytest.mark.parametrize("flag", ["--workers", "--threads-per-worker"])
def test_sweep_workers_zero_is_refused(flag, tmp_path, capsys):
    spec = tmp_path / "s.yaml"
    spec.write_text("trial: noop\ngrid: {value: [1]}\nseeds: 1\n")
    assert main(["sweep", str(spec), flag, "0", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and flag in err and err.count("\n") == 1
