"""The course book: table of contents, the one bibliography, citations that resolve."""
import re

import pytest
import yaml

from seqdrop.paths import notebooks_dir, project_root

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
