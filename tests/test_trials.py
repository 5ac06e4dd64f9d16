"""seqdrop.trials: the shipped trials and the public kit that trials of other packages build on;
the sweep engine (seqdrop.sweep) apart from the science."""
from __future__ import annotations

import ast
import inspect
import subprocess
import sys
from pathlib import Path

import pytest

import seqdrop
import seqdrop.trials as kit
from seqdrop._validation import ParameterError
from seqdrop.sweep import resolve_trial

SRC = Path(seqdrop.__file__).parent

# Importing the engine (and its command) must not load models, layers, data or the trainer.
_ENGINE_ONLY = """
import sys
import seqdrop.sweep, seqdrop.sweep.cli
science = ("seqdrop.models", "seqdrop.nn", "seqdrop.data", "seqdrop.train", "seqdrop.trials",
           "seqdrop.experiments", "seqdrop.analysis", "seqdrop.dropout")
loaded = sorted(m for m in sys.modules if m.startswith(science))
assert not loaded, f"seqdrop.sweep imports science: {loaded}"
"""


def test_the_sweep_engine_imports_no_science():
    assert not (SRC / "sweep" / "trials.py").exists()
    done = subprocess.run([sys.executable, "-c", _ENGINE_ONLY], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


def test_a_bare_trial_name_means_a_shipped_trial_of_seqdrop_trials():
    for name in ("train_lm", "train_classifier", "train_mlp", "noop"):
        path, fn = resolve_trial(name)
        assert path == f"seqdrop.trials.{name}" and fn is getattr(kit, name)


def test_the_kit_is_public_and_documented():
    for name in kit.__all__:
        assert not name.startswith("_")
        obj = getattr(kit, name)
        if callable(obj):
            assert inspect.getdoc(obj), f"seqdrop.trials.{name} has no docstring"
    for name in ("one_of", "integer", "positive", "fraction", "fit_trial", "trial_outcome", "trial_dropouts",
                 "TRAIN_DEFAULTS", "TRAIN_CHECKS", "DROPOUT_DEFAULTS", "DROPOUT_CHECKS", "ptb_corpus",
                 "sequence_data", "train_subset"):
        assert name in kit.__all__ and f"{name}" in kit.__doc__


def _private_imports(path: Path) -> list[str]:
    """``module:name`` of every underscore name imported from another seqdrop module."""
    tree = ast.parse(path.read_text())
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level and node.module and node.module.split(".")[-1] == "trials":
            out += [f"{node.module}:{a.name}" for a in node.names if a.name.startswith("_")]
    return out


def test_no_module_imports_private_names_of_the_trials():
    bad = {str(p.relative_to(SRC)): names for p in SRC.rglob("*.py") if (names := _private_imports(p))}
    assert not bad, bad


@pytest.mark.parametrize(("check", "good", "bad", "message"), [
    (kit.one_of("a", "b"), "a", "c", "must be one of"),
    (kit.integer(1, 3), 2, 4, "outside"),
    (kit.positive, 0.5, 0.0, "outside"),
    (kit.fraction, 1.0, 1.5, "outside"),
    (kit.optional_positive, None, -1.0, "outside"),
])
def test_kit_checks_accept_good_values_and_name_the_key_of_bad_ones(check, good, bad, message):
    assert check("k", good) == good
    with pytest.raises(ParameterError, match=f"'k'.*{message}"):
        check("k", bad)


def test_trial_dropouts_checks_the_options_against_the_cell():
    config = {**kit.DROPOUT_DEFAULTS, "cell": "gru", "zoneout_cell": 0.1}
    with pytest.raises(ParameterError, match="zoneout_cell"):
        kit.trial_dropouts(config)
    assert kit.trial_dropouts({**kit.DROPOUT_DEFAULTS, "cell": "lstm", "recurrent_dropout": 0.25}).recurrent_dropout == 0.25
