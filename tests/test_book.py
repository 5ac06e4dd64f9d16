"""The course book: table of contents, the one bibliography, citations that resolve."""
import json
import os
import re
import sys

import pytest
import yaml

from seqdrop.course.paths import notebooks_dir
from seqdrop.paths import project_root

BOOK = project_root() / "book"
BIB = BOOK / "references.bib"
CITE = re.compile(r"\{cite(?::\w+)?\}`([^`]+)`")


def _toc() -> dict:
    return yaml.safe_load((BOOK / "_toc.yml").read_text())


def _bib_entries() -> dict:
    pybtex = pytest.importorskip("pybtex.database")  # installed with jupyter-book
    return dict(pybtex.parse_file(str(BIB)).entries)


def test_toc_lists_every_notebook_in_order():
    toc = _toc()
    course = next(p for p in toc["parts"] if p["caption"] == "Course")
    files = [ch["file"] for ch in course["chapters"]]
    expected = [f"notebooks/{nb.stem}" for nb in sorted(notebooks_dir().glob("*.ipynb"))]
    assert files == expected, "book/_toc.yml must list notebooks/*.ipynb in order"
    pages = [toc["root"]] + [ch["file"] for p in toc["parts"] for ch in p["chapters"]]
    for page in pages:
        if not page.startswith("notebooks/"):
            assert (project_root() / f"{page}.md").exists(), page


def test_bibliography_entries_are_complete():
    entries = _bib_entries()
    assert len(entries) >= 30
    for key, entry in entries.items():
        fields = {k.lower() for k in entry.fields}
        assert entry.persons.get("author"), f"{key}: no author"
        assert {"title", "year"} <= fields, f"{key}: title and year required"
        venue = {"journal", "booktitle", "howpublished", "publisher"}
        assert fields & venue, f"{key}: needs a venue ({sorted(venue)})"
        assert fields & {"doi", "eprint", "url"}, f"{key}: needs a DOI, an arXiv id or a URL"
        year = entry.fields["year"]
        assert re.fullmatch(r"(19|20)\d\d", year) and year in key, f"{key}: year {year}"
        if "eprint" in fields:
            assert re.fullmatch(r"\d{4}\.\d{4,5}", entry.fields["eprint"]), key


def test_readme_lists_every_key():
    listed = re.findall(r"^\| `(\w+)` \|", (BOOK / "README.md").read_text(), re.M)
    assert sorted(listed) == sorted(_bib_entries()), "book/README.md key table != references.bib"


def test_every_citation_resolves():
    keys = set(_bib_entries())
    pages = [p for p in sorted(BOOK.glob("*.md")) if p.name != "README.md"]
    sources = sorted(notebooks_dir().glob("*.ipynb")) + pages
    for path in sources:
        for group in CITE.findall(path.read_text(encoding="utf-8")):
            for key in (k.strip() for k in group.split(",")):
                assert key in keys, f"{path.name} cites unknown key {key!r}"


def _dropout_options() -> list[str]:
    """Every dropout option of seqdrop.nn (RecurrentDropout fields, else the layer keywords)."""
    import inspect

    import seqdrop.nn as snn

    options = getattr(snn, "RecurrentDropout", None)
    if options is not None:
        return list(options.field_names())
    params = inspect.signature(snn.LSTM.__init__).parameters.values()
    return [p.name for p in params if p.kind is p.KEYWORD_ONLY and p.name != "generator"]


def test_glossary_covers_every_dropout_option():
    text = (BOOK / "glossary.md").read_text(encoding="utf-8")
    missing = [name for name in _dropout_options() if f"`{name}`" not in text]
    assert not missing, f"book/glossary.md does not explain {missing}"


# ---------------------------------------------------------------- kernel, Binder, course map
def _makefile_kernel_install() -> str:
    makefile = (project_root() / "Makefile").read_text()
    (line,) = [ln for ln in makefile.splitlines() if "ipykernel install" in ln]
    return line


def test_notebooks_name_the_kernel_make_installs():
    """JupyterLab rewrites kernelspec/language_info on save: commit what it would write."""
    import jupytext

    line = _makefile_kernel_install()
    name = re.search(r"--name\s+(\S+)", line).group(1)
    display = re.search(r'--display-name\s+"([^"]+)"', line).group(1)
    expected = {"name": name, "display_name": display, "language": "python"}
    for nb in sorted(notebooks_dir().glob("*.ipynb")):
        meta = json.loads(nb.read_text(encoding="utf-8"))["metadata"]
        assert meta.get("kernelspec") == expected, f"{nb.name}: run `make sync`"
        info = meta.get("language_info", {})
        assert info.get("name") == "python" and info.get("version"), f"{nb.name}: run `make sync`"
        paired = jupytext.read(str(nb.with_suffix(".py"))).metadata.get("kernelspec")
        assert paired == expected, f"{nb.with_suffix('.py').name}: run `make sync`"


def test_binder_postbuild_matches_the_makefile():
    post = project_root() / "postBuild"
    assert os.access(post, os.X_OK), "postBuild must be executable"
    text = post.read_text()
    assert "set -euo pipefail" in text
    makefile = (project_root() / "Makefile").read_text()
    kernel = _makefile_kernel_install().split("ipykernel install", 1)[1].split(">")[0].strip()
    assert f"ipykernel install {kernel}" in text, "postBuild installs another kernel than make"
    for pin in re.findall(r"--no-deps (\S+==\S+)", makefile):
        assert f"--no-deps {pin}" in text, f"postBuild must install {pin} as the Makefile does"
    env = yaml.safe_load((project_root() / "environment.yml").read_text())
    (pip,) = [d["pip"] for d in env["dependencies"] if isinstance(d, dict)]
    assert any(item.startswith("-e .") for item in pip), "Binder installs seqdrop via environment.yml"
    installs = re.findall(r"pip install ([^\n]+)", text)
    assert all("torch" not in i for i in installs), "torch comes from environment.yml on Binder"


def _course_map():
    import importlib.util

    spec = importlib.util.spec_from_file_location("course_map", BOOK / "_ext" / "course_map.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_course_map_lists_exactly_the_notebooks(tmp_path):
    cm = _course_map()
    table = cm.course_map_markdown(notebooks_dir())
    rows = [r for r in table.splitlines()[2:] if r.startswith("| ")]
    stems = [nb.stem for nb in sorted(notebooks_dir().glob("*.ipynb"))]
    assert len(rows) == len(stems)
    for row, stem in zip(rows, stems):
        assert f"</notebooks/{stem}>" in row
    assert "No notebook" in cm.course_map_markdown(tmp_path)


def test_course_map_reads_prerequisites_and_run_time(tmp_path):
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(
        "# 03 · Where should an LSTM drop?\n\nIntro.\n\n## Prerequisites and run time\n\n"
        "**Prerequisites:** chapters 00 and 02.\n"
        "**Run time:** smoke ≈ 15 s · course ≈ 3.5 min · paper ≈ 40 min (GPU).\n")]
    nbformat.write(nb, str(tmp_path / "03_lstm_variants.ipynb"))
    (chapter,) = _course_map().read_chapters(tmp_path)
    assert (chapter.number, chapter.title) == ("03", "Where should an LSTM drop?")
    assert chapter.prerequisites == "chapters 00 and 02."
    assert chapter.run_time == {"smoke": "15 s", "course": "3.5 min", "paper": "40 min (GPU)"}
    one_paragraph = (
        "**Prerequisites and run time.** Chapters 00 and 01. Run time (measured): smoke a\n"
        "few seconds; course profile (the defaults, 110 short trainings) about 2–4 minutes on\n"
        "2 cores, one thread each; paper profile (`params/paper.yaml`) about 15 minutes.")
    assert _course_map().prerequisites_and_run_time(one_paragraph) == ("Chapters 00 and 01.", {
        "smoke": "a few seconds", "course": "about 2–4 minutes on 2 cores",
        "paper": "about 15 minutes"})


def test_binder_link_uses_the_clones_origin(tmp_path):
    import subprocess

    sys.path.insert(0, str(BOOK / "_ext"))
    try:
        import seqdrop_book
    finally:
        sys.path.remove(str(BOOK / "_ext"))
    assert seqdrop_book.origin_url(str(tmp_path)) == ""  # not a git checkout
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    for remote, expected in (("git@github.com:org/seqdrop.git", "https://github.com/org/seqdrop"),
                             ("https://gitlab.com/org/seqdrop.git", "https://gitlab.com/org/seqdrop"),
                             ("/srv/git/seqdrop.git", "")):
        subprocess.run(["git", "-C", str(tmp_path), "remote", "remove", "origin"],
                       capture_output=True)
        subprocess.run(["git", "-C", str(tmp_path), "remote", "add", "origin", remote], check=True)
        assert seqdrop_book.origin_url(str(tmp_path)) == expected
