"""The ``seqdrop`` command: one error layer (one line ``error: …``, exit 2; tracebacks only
with --debug), arguments checked before any work, and ``seqdrop train`` end to end."""
from __future__ import annotations

import json

import pytest

import seqdrop.data
from seqdrop.cli import UsageError, build_parser, main
from seqdrop.course.profiles import parse_overrides, parse_value


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err and "Traceback" not in err, err
    return err


@pytest.fixture
def no_data(monkeypatch):
    """Fail the test if a command loads a data set (arguments must be checked first)."""
    def refuse(*args, **kwargs):
        raise AssertionError("data was loaded before the arguments were checked")

    import seqdrop.presets  # imported first, so that it binds the real function

    monkeypatch.setattr(seqdrop.data, "load_dataset", refuse)
    monkeypatch.setattr(seqdrop.presets, "load_dataset", refuse)


@pytest.mark.parametrize(
    "argv, names",
    [
        (["train", "--epochs", "0"], "--epochs"),
        (["train", "--max-steps", "-3"], "--max-steps"),
        (["train", "--max-eval-batches", "0"], "--max-eval-batches"),
        (["train", "--device", "banana"], "banana"),
        (["train", "--preset", "nope"], "nope"),
        (["run", "--timeout", "0", "-p", "bogus=1"], "--timeout"),
        (["run", "--timeout", "-5", "-p", "bogus=1"], "--timeout"),
        (["run", "--profile", "huge"], "--profile"),
        (["frobnicate"], "frobnicate"),
    ],
)
def test_bad_arguments_give_one_line_before_any_work(argv, names, capsys, no_data):
    assert main(argv) == 2
    assert names in _one_error_line(capsys)


def test_malformed_param_value_is_one_line(capsys):
    assert main(["run", "--notebooks", "00_*", "-p", "p=[0.1,", "--no-progress"]) == 2
    assert "p=[0.1," in _one_error_line(capsys)


def test_numbers_are_read_as_people_write_them():
    assert parse_overrides(["lr=1e-3", "n=3", "x=-2.5E+2", "d=.5"]) == {
        "lr": 1e-3, "n": 3, "x": -250.0, "d": 0.5}
    assert isinstance(parse_value("1e-3"), float) and isinstance(parse_value("7"), int)
    assert parse_value("lstm") == "lstm" and parse_value("[1, 2]") == [1, 2]


@pytest.mark.parametrize("command", ["run", "train"])
def test_out_pointing_at_a_file(command, tmp_path, capsys, no_data):
    target = tmp_path / "a_file"
    target.write_text("keep me")
    extra = ["--notebooks", "00_*", "--no-progress"] if command == "run" else ["--max-steps", "1"]
    assert main([command, "--out", str(target), *extra]) == 2
    assert "a_file" in _one_error_line(capsys)
    assert target.read_text() == "keep me"


@pytest.mark.parametrize("command", ["run", "train"])
def test_unwritable_out(command, tmp_path, capsys, monkeypatch, no_data):
    """A read-only folder (simulated: root may write anywhere) is refused before any work."""
    import errno
    import tempfile

    ro = tmp_path / "ro"
    ro.mkdir()
    real = tempfile.mkstemp

    def mkstemp(*args, dir=None, **kwargs):
        if dir is not None and str(dir).startswith(str(ro)):
            raise PermissionError(errno.EACCES, "Permission denied", str(dir))
        return real(*args, dir=dir, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    extra = ["--notebooks", "00_*", "--no-progress"] if command == "run" else ["--max-steps", "1"]
    assert main([command, "--out", str(ro / "run"), *extra]) == 2
    assert "not writable" in _one_error_line(capsys)


def test_debug_shows_the_traceback():
    with pytest.raises(UsageError, match="banana"):
        main(["--debug", "train", "--device", "banana"])
    with pytest.raises(UsageError, match="banana"):
        main(["train", "--device", "banana", "--debug"])


def test_a_bug_keeps_its_traceback(monkeypatch):
    import seqdrop.cli as cli

    def broken(args):
        raise ZeroDivisionError("a bug")

    parser = build_parser()
    monkeypatch.setattr(cli, "build_parser", lambda argv=(): parser)
    parser._subparsers._group_actions[0].choices["run"].set_defaults(func=broken)
    with pytest.raises(ZeroDivisionError):
        main(["run"])


def test_train_list(capsys):
    assert main(["train", "--list"]) == 0
    out = capsys.readouterr().out
    assert "awd-lstm" in out and "recipe: gal-half-recurrent's sites at the paper's own rates" in out


@pytest.mark.slow
def test_train_quick_run_and_resume(tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["train", "--preset", "zaremba-small", "--max-steps", "2", "--max-eval-batches", "2",
            "--out", str(out), "--no-progress", "--device", "cpu"]
    assert main(argv) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("zaremba-small: test ppl") and "published 114.50" in last
    assert "not comparable" in last
    assert (out / "history.json").is_file() and (out / "checkpoint.pt").is_file()
    result = json.loads((out / "result.json").read_text())
    assert result["published"]["test_ppl"] == 114.5 and result["steps"] == 2
    # a finished run is not overwritten by accident; --resume does no more steps
    assert main(argv) == 2
    assert "--resume" in _one_error_line(capsys)
    assert main([*argv, "--resume"]) == 0
    assert json.loads((out / "result.json").read_text())["steps"] == 2


def test_missing_extra_is_an_installation_hint(monkeypatch, capsys):
    import builtins

    real_import = builtins.__import__

    def no_yaml(name, *args, **kwargs):
        if name == "yaml" or name.startswith("yaml."):
            raise ModuleNotFoundError("No module named 'yaml'", name="yaml")
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(__import__("sys").modules, "seqdrop.course.profiles", raising=False)
    monkeypatch.setattr(builtins, "__import__", no_yaml)
    assert main(["run", "--no-progress"]) == 2
    assert "pip install 'seqdrop[course]'" in _one_error_line(capsys)


def test_sweep_is_loaded_only_for_seqdrop_sweep():
    import subprocess
    import sys

    code = ("import sys\nfrom seqdrop.cli import main\nmain(['run', '--resume'])\n"
            "print([m for m in sys.modules if m.startswith(('seqdrop.sweep', 'dask'))])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "[]", out.stderr


def test_sweep_subcommand(capsys):
    pytest.importorskip("seqdrop.sweep.cli")
    with pytest.raises(SystemExit) as info:
        main(["sweep", "--help"])
    assert info.value.code == 0 and "sweep" in capsys.readouterr().out
