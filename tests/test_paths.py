"""Paths resolve from the package, not the working directory (JupyterLab, papermill and nbval agree)."""
from pathlib import Path

from seqdrop import paths
from seqdrop.course import paths as course_paths


def test_paths_do_not_depend_on_cwd(tmp_path, monkeypatch):
    monkeypatch.delenv("SEQDROP_HOME", raising=False)
    monkeypatch.delenv("SEQDROP_DATA", raising=False)
    before = paths.project_root()
    monkeypatch.chdir(tmp_path)
    assert paths.project_root() == before
    assert (before / "pyproject.toml").is_file() and (before / "notebooks").is_dir()
    assert paths.data_dir() == before / "data"
    assert course_paths.notebooks_dir() == before / "notebooks"


def test_environment_overrides(tmp_path, monkeypatch):
    monkeypatch.setenv("SEQDROP_DATA", str(tmp_path / "d"))
    monkeypatch.setenv("SEQDROP_OUTPUT_DIR", str(tmp_path / "o"))
    assert paths.data_dir() == tmp_path / "d"
    assert paths.cache_dir() == tmp_path / "d" / "cache" and (tmp_path / "d" / "cache").is_dir()
    assert course_paths.output_dir() == tmp_path / "o" and Path(tmp_path / "o").is_dir()
    monkeypatch.delenv("SEQDROP_OUTPUT_DIR")
    assert course_paths.output_dir() == paths.runs_dir() / "lab"
