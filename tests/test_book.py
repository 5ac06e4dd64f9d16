"""The course book's table of contents lists every notebook, in order."""
import yaml

from seqdrop.paths import notebooks_dir, project_root


def test_toc_lists_every_notebook_in_order():
    toc = yaml.safe_load((project_root() / "book" / "_toc.yml").read_text())
    files = [ch["file"] for ch in toc["chapters"]]
    expected = [f"notebooks/{nb.stem}" for nb in sorted(notebooks_dir().glob("*.ipynb"))]
    assert files == expected, "book/_toc.yml must list notebooks/*.ipynb in order"
    assert (project_root() / f"{toc['root']}.md").exists()
