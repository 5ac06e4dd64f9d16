"""Shared fixtures: small notebooks written on the fly for runner tests."""
from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

torch.set_num_threads(min(2, torch.get_num_threads()))


def make_notebook(path: Path, params_src: str, body: list[str]) -> Path:
    """Write a notebook with a tagged ``parameters`` cell followed by ``body`` cells."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    cell = nbformat.v4.new_code_cell(params_src)
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell] + [nbformat.v4.new_code_cell(src) for src in body]
    nbformat.write(nb, str(path))
    return path


@pytest.fixture
def notebook_factory():
    """:func:`make_notebook`, for test modules (``from conftest import`` is ambiguous: the
    conformance suite has a conftest of its own)."""
    return make_notebook


@contextlib.contextmanager
def _folder_held(folder: Path) -> Iterator[None]:
    """``folder``'s RunLock held by another thread (standing for another process) meanwhile."""
    from seqdrop.io import RunLock

    held, done = threading.Event(), threading.Event()

    def other_process() -> None:
        with RunLock(folder):
            held.set()
            done.wait(60)

    thread = threading.Thread(target=other_process)
    thread.start()
    try:
        assert held.wait(60)
        yield
    finally:
        done.set()
        thread.join()


@pytest.fixture
def folder_held():
    """A context manager: ``with folder_held(path):`` another holder has ``path``'s run lock."""
    return _folder_held


@pytest.fixture
def toy_notebooks(tmp_path: Path) -> tuple[Path, Path]:
    """A notebooks folder with one notebook that records a result and one that fails; and a params folder."""
    nbdir = tmp_path / "notebooks"
    nbdir.mkdir()
    make_notebook(
        nbdir / "01_good.ipynb",
        "a = 2\nb = 0.5",
        [
            "from seqdrop.course import check_int\na = check_int('a', a, 0, 10)",
            "import os\nfrom seqdrop.course import record\nfrom seqdrop.course.paths import output_dir\nrecord('product', a * b)\nopen(os.path.join(str(output_dir()), 'fig.txt'), 'w').write('x')",
        ],
    )
    make_notebook(nbdir / "02_bad.ipynb", "c = 1", ["raise RuntimeError('boom %d' % c)"])
    pdir = tmp_path / "params"
    pdir.mkdir()
    (pdir / "smoke.yaml").write_text("01_good:\n  a: 3\n02_bad:\n  c: 7\n")
    return nbdir, pdir


def pytest_collection_modifyitems(items):
    """Browser tests run last: the book test builds from the notebooks nbval executed."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
