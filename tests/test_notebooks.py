"""Notebook hygiene and parameter handling for every notebook in notebooks/.

Execution with the smoke profile is validated by nbval (``make test`` passes the prepared
copies in build/nbval to the same pytest session); here: committed notebooks are stripped and
in sync with their py:percent pairs, profiles name real parameters, and a bad parameter value
makes a notebook fail at once with an error that names the parameter.
"""
from __future__ import annotations

import ast
import json
import re
import subprocess
import sys

import papermill
import pytest
from papermill.exceptions import PapermillExecutionError

from seqdrop.course.paths import notebooks_dir, params_dir
from seqdrop.course.profiles import (
    PROFILES,
    find_notebooks,
    load_profile,
    notebook_parameters,
    resolve_parameters,
)

NOTEBOOKS = sorted(notebooks_dir().glob("*.ipynb"))
IDS = [nb.stem for nb in NOTEBOOKS]

# One out-of-range value per notebook: running with it must fail naming the parameter.
BAD_VALUES = {
    "00_dropout_formula": ("p", 1.5),
    "01_what_dropout_is_for": ("train_size", 50),
    "02_vanilla_rnn": ("n_seeds", 1),
    "03_lstm_variants": ("hidden_size", 0),
    "04_gru": ("digits_fraction", 1.5),
    "05_data_types": ("text_tokens", 10),
    "06_tasks": ("window", 1),
    "07_scale": ("fractions", [1.0]),
    "08_mc_dropout": ("n_samples", 1),
    "09_reproductions": ("width", 1.5),
    "10_summary": ("formula_p", 1.0),
}


def test_there_are_notebooks():
    assert NOTEBOOKS, "notebooks/ holds no notebook"


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=IDS)
def test_committed_without_outputs(nb):
    result = subprocess.run(
        [sys.executable, "-m", "nbstripout", "--verify", "--extra-keys",
         "metadata.papermill cell.metadata.papermill cell.metadata.execution", str(nb)],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, f"{nb.name} carries outputs or metadata: run nbstripout on it\n{result.stdout}"


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=IDS)
def test_paired_script_in_sync(nb):
    import jupytext

    script = nb.with_suffix(".py")
    assert script.exists(), f"{nb.name} has no py:percent pair (run `make sync`)"
    a = [(c.cell_type, c.source.strip()) for c in jupytext.read(str(nb)).cells]
    b = [(c.cell_type, c.source.strip()) for c in jupytext.read(str(script)).cells]
    assert a == b, f"{nb.name} and {script.name} differ: run `make sync`"


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=IDS)
def test_one_parameters_cell_then_validation(nb):
    cells = json.loads(nb.read_text())["cells"]
    tagged = [i for i, c in enumerate(cells) if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, f"{nb.name} needs exactly one cell tagged 'parameters'"
    following = "".join(cells[tagged[0] + 1]["source"])
    assert "check_parameters(globals()" in following, (
        f"{nb.name}: the cell after 'parameters' must check them all in one "
        "check_parameters(globals(), {...}) call")
    assert nb.with_suffix("").name in BAD_VALUES, f"add a bad value for {nb.stem} to BAD_VALUES"
    assert notebook_parameters(nb), f"{nb.name} declares no parameters"


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=IDS)
def test_course_profile_holds_the_notebooks_own_values(nb):
    # a run knows its profile from its values (course.preamble.run_profile): if the two
    # drifted apart, a course run would take itself for a changed one and assert nothing
    course = load_profile("course", params_dir())
    own = {k: ast.literal_eval(v) for k, v in notebook_parameters(nb).items()}
    assert course.get(nb.stem) == own, (
        f"params/course.yaml's section {nb.stem} must hold the values of the notebook's "
        f"parameters cell: {own}")


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=IDS)
def test_one_preamble_and_one_vocabulary_of_claims(nb):
    source = nb.with_suffix(".py").read_text()
    calls = re.findall(r"setup\(\"([^\"]+)\"", source)
    assert calls == [nb.stem], f"{nb.name} must call seqdrop.course.setup({nb.stem!r}, ...) once"
    for local in ("def claim(", "def interval(", "check_claims", "Claims(",
                  "torch.set_num_threads(1)", "seeds = list(range("):
        assert local not in source, f"{nb.name}: {local!r} belongs to seqdrop.course"


@pytest.mark.parametrize("profile", PROFILES)
def test_profiles_name_real_notebooks_and_parameters(profile):
    profile_data = load_profile(profile, params_dir())
    # raises ProfileError for an unknown notebook section or parameter name
    resolve_parameters(find_notebooks("*.ipynb"), profile_data, profile_name=profile)
    if profile == "smoke":
        missing = sorted(set(IDS) - set(profile_data))
        assert not missing, f"params/smoke.yaml has no section for {missing}"


@pytest.mark.notebook
@pytest.mark.parametrize("stem", sorted(BAD_VALUES))
def test_bad_parameter_fails_naming_it(stem, tmp_path):
    name, value = BAD_VALUES[stem]
    nb = notebooks_dir() / f"{stem}.ipynb"
    with pytest.raises(PapermillExecutionError) as info:
        papermill.execute_notebook(
            str(nb), str(tmp_path / nb.name), parameters={name: value},
            kernel_name="python3", progress_bar=False, cwd=str(nb.parent),
        )
    assert info.value.ename == "ParameterError"
    assert repr(name) in info.value.evalue, info.value.evalue
