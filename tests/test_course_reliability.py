"""The batch runner loses nothing: summaries are merged (``--resume``, subsets), the run
folder is locked, checked writable before any work, and a full disk leaves no half-written
notebook or temporary file. Execution is faked (no kernel) so these tests take milliseconds;
tests/test_course_runner.py runs real kernels."""
from __future__ import annotations

import errno
import json

import nbformat
import papermill
import pytest
from papermill.exceptions import PapermillExecutionError

from seqdrop.cli import main
from seqdrop.course.records import RECORD_MIMETYPE
from seqdrop.course.runner import run_notebooks
from seqdrop.errors import SeqdropError

FAILING: set[str] = set()


def fake_execute(input_path, output_path, parameters=None, **kwargs):
    """Write the notebook with a record of its parameters; fail for stems in FAILING."""
    nb = nbformat.read(input_path, as_version=4)
    stem = input_path.rsplit("/", 1)[-1].removesuffix(".ipynb")
    cell = nbformat.v4.new_code_cell("record")
    cell.outputs = [nbformat.v4.new_output(
        "display_data", data={RECORD_MIMETYPE: {"name": "n_params", "value": len(parameters)}})]
    nb.cells.append(cell)
    nbformat.write(nb, output_path)
    if stem in FAILING:
        raise PapermillExecutionError(0, 1, "boom", "RuntimeError", "boom", [])
    return nb


@pytest.fixture
def fake_papermill(monkeypatch):
    FAILING.clear()
    monkeypatch.setattr(papermill, "execute_notebook", fake_execute)
    yield FAILING
    FAILING.clear()


def _run(nbs, out, pattern="*", **kwargs):
    nbdir, pdir = nbs
    return run_notebooks("smoke", pattern, out, progress=False, notebooks_path=nbdir,
                         params_path=pdir, **kwargs)


def _summary(out):
    data = json.loads((out / "summary.json").read_text())
    return {e["notebook"]: e["status"] for e in data["notebooks"]}


def test_resume_keeps_skipped_notebooks_after_the_last_rerun(toy_notebooks, tmp_path,
                                                             fake_papermill):
    out = tmp_path / "run"
    fake_papermill.add("01_good")
    _run(toy_notebooks, out)
    assert _summary(out) == {"01_good": "failed", "02_bad": "ok"}
    fake_papermill.clear()
    _, results = _run(toy_notebooks, out, resume=True)  # reruns 01, skips 02 (after it)
    assert [r.status for r in results] == ["ok", "ok"]
    assert _summary(out) == {"01_good": "ok", "02_bad": "ok"}


def test_subset_runs_into_one_folder_merge(toy_notebooks, tmp_path, fake_papermill):
    out = tmp_path / "run"
    _run(toy_notebooks, out, "01_*")
    _run(toy_notebooks, out, "02_*")
    assert _summary(out) == {"01_good": "ok", "02_bad": "ok"}


def test_finished_notebooks_are_not_rerun_by_accident(toy_notebooks, tmp_path, fake_papermill):
    out = tmp_path / "run"
    _run(toy_notebooks, out, "01_*")
    with pytest.raises(SeqdropError, match="01_good.*--resume.*--overwrite"):
        _run(toy_notebooks, out, "01_*")
    _, results = _run(toy_notebooks, out, "01_*", overwrite=True)
    assert results[0].status == "ok"


def test_one_folder_holds_one_profile(toy_notebooks, tmp_path, fake_papermill):
    out = tmp_path / "run"
    _run(toy_notebooks, out, "01_*")
    summary = json.loads((out / "summary.json").read_text())
    (out / "summary.json").write_text(json.dumps({**summary, "profile": "paper"}))
    with pytest.raises(SeqdropError, match="'paper' run"):
        _run(toy_notebooks, out, "02_*")


def test_two_runners_cannot_share_a_folder(toy_notebooks, tmp_path, fake_papermill, folder_held):
    out = tmp_path / "run"
    out.mkdir()
    with folder_held(out), pytest.raises(SeqdropError, match="in use by another run"):
        _run(toy_notebooks, out)
    assert not (out / "summary.json").exists()


def _disk_full_after(monkeypatch, n_bytes):
    """papermill's file writes stop with ENOSPC after ``n_bytes`` (a truncated file remains)."""
    from papermill.iorw import LocalHandler

    def write(self, buf, path):
        with open(path, "w", encoding="utf-8") as f:
            f.write(buf[:n_bytes])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(LocalHandler, "write", write)


def test_full_disk_while_writing_a_notebook(toy_notebooks, tmp_path, monkeypatch, capsys):
    """Real papermill, whose write fails half-way: one error line, no partial file."""
    import seqdrop.course.profiles as profiles

    nbdir, pdir = toy_notebooks
    monkeypatch.setattr(profiles, "notebooks_dir", lambda: nbdir)
    monkeypatch.setattr(profiles, "params_dir", lambda: pdir)
    _disk_full_after(monkeypatch, 50)
    out = tmp_path / "run"
    assert main(["run", "--profile", "smoke", "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: cannot write") and "No space left" in err and "\n" not in err
    leftovers = sorted(p.name for p in out.iterdir() if p.is_file())
    assert leftovers == [], f"partial files left behind: {leftovers}"


@pytest.fixture
def tiny_disk(tmp_path):
    """A 1.5 MiB tmpfs (needs root and CAP_SYS_ADMIN; skipped otherwise)."""
    import shutil
    import subprocess

    mnt = tmp_path / "tiny"
    mnt.mkdir()
    if shutil.which("mount") is None or subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1536k", "tmpfs", str(mnt)], capture_output=True
    ).returncode:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_really_full_disk_keeps_the_old_summary(toy_notebooks, tiny_disk, monkeypatch,
                                                 fake_papermill):
    """01 fits; 02's executed notebook fills the disk, so neither it nor the next summary
    can be written: the folder keeps 01's notebook and a valid summary, and no temp file."""
    import shutil

    out = tiny_disk / "run"
    _run(toy_notebooks, out, "01_*")
    before = (out / "summary.json").read_text()

    def huge(input_path, output_path, parameters=None, **kwargs):
        nb = nbformat.read(input_path, as_version=4)
        free = shutil.disk_usage(tiny_disk).free
        nb.cells.append(nbformat.v4.new_markdown_cell("x" * (free - 2000)))
        nbformat.write(nb, output_path)  # fits, to the last page
        return nb

    monkeypatch.setattr(papermill, "execute_notebook", huge)
    with pytest.raises(SeqdropError, match="summary.json.*disk is full"):
        _run(toy_notebooks, out, "02_*")
    assert (out / "summary.json").read_text() == before
    names = sorted(p.name for p in out.iterdir() if p.is_file())
    assert names == ["01_good.ipynb", "02_bad.ipynb", "summary.json"], names
    for name in names[:2]:
        nbformat.read(str(out / name), as_version=4)  # valid notebooks only


def test_full_output_folder_is_refused_before_any_work(toy_notebooks, tiny_disk, capsys,
                                                       monkeypatch, fake_papermill):
    import seqdrop.course.profiles as profiles

    filler = tiny_disk / "filler"
    with open(filler, "wb") as f:  # fill the disk to the last byte
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError:
            pass
    nbdir, pdir = toy_notebooks
    monkeypatch.setattr(profiles, "notebooks_dir", lambda: nbdir)
    monkeypatch.setattr(profiles, "params_dir", lambda: pdir)
    out = tiny_disk / "run"
    assert main(["run", "--profile", "smoke", "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err and "full" in err
