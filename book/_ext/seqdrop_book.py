"""Sphinx glue for the seqdrop course book (Jupyter Book 1 loads it as a local extension).

* ``{course-map}``: the table of chapters, built from ``notebooks/*.ipynb`` at build time
  (see :mod:`course_map`), so the book never lists a chapter that does not exist.
* Launch links on every notebook page: "JupyterLab" (a local ``make lab`` server,
  ``seqdrop_lab_url``) and Binder, when the book is built from a clone whose ``origin`` is
  on GitHub/GitLab (the repository is Binder-ready: ``environment.yml`` + ``postBuild``).
* ``static/seqdrop.css``: long code lines wrap instead of being clipped.
* Inline ``<script>`` bodies registered after the builder started (sphinx-thebe's
  ``const THEBE_JS_URL = …``, sphinx-togglebutton's selector) are emitted twice by Sphinx 7.4:
  ``Sphinx.add_js_file(None, body=…)`` gives the builder ``filename=None`` and
  ``prepare_writing`` re-adds it from the registry as ``filename=''``; the two do not compare
  equal. A redeclared ``const`` is a ``SyntaxError`` on every page, so we keep the first copy.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

sys.path.insert(0, str(Path(__file__).parent))
from course_map import course_map_markdown  # noqa: E402


class CourseMap(SphinxDirective):
    """Render the course map (one row per notebook in ``notebooks/``) as a table."""

    def run(self) -> list[nodes.Node]:
        notebooks = Path(self.env.srcdir) / "notebooks"
        for path in sorted(notebooks.glob("*.ipynb")):
            self.env.note_dependency(str(path))
        container = nodes.container(classes=["course-map"])
        lines = course_map_markdown(notebooks).splitlines()
        self.state.nested_parse(StringList(lines, source="course-map"), 0, container)
        return [container]


def _script_key(script: Any) -> tuple:
    attrs = tuple(sorted((k, str(v)) for k, v in getattr(script, "attributes", {}).items()))
    return (getattr(script, "filename", script) or "", getattr(script, "priority", 0), attrs)


def dedupe_scripts(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """Drop repeated ``<script>`` entries (same file or same inline body) from a page."""
    scripts = context.get("script_files")
    if not scripts:
        return
    seen: set[tuple] = set()
    unique = []
    for script in scripts:
        key = _script_key(script)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique


def origin_url(srcdir: str) -> str:
    """``git remote get-url origin`` as an https URL, or "" (no git, no remote, not https)."""
    try:
        url = subprocess.run(
            ["git", "-C", srcdir, "remote", "get-url", "origin"],
            capture_output=True, text=True, timeout=10, check=False,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""
    if url.startswith("git@") and ":" in url:  # git@github.com:org/repo.git
        host, path = url[4:].split(":", 1)
        url = f"https://{host}/{path}"
    url = url.removesuffix(".git")
    hosts = ("https://github.com/", "https://gitlab.com/")
    return url if url.startswith(hosts) else ""


def set_theme_options(app: Sphinx, config: Any) -> None:
    """Light mode by default; the repository (Binder button) is the clone's origin, if any."""
    options = config.html_theme_options
    # pydata-sphinx-theme logs "Got invalid theme mode" on a first visit without a mode.
    config.html_context.setdefault("default_mode", "light")
    url = options.get("repository_url") or origin_url(app.srcdir)
    if url:  # the theme's launch buttons fail without a repository
        options["repository_url"] = url
        options.setdefault("launch_buttons", {})["binderhub_url"] = config.seqdrop_binderhub_url


def add_lab_link(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """Add "JupyterLab" (local server) to the launch menu of every notebook page."""
    if not pagename.startswith("notebooks/") or "header_buttons" not in context:
        return
    # `make lab` serves notebooks/ as the Lab root
    notebook = pagename.removeprefix("notebooks/")
    url = f"{app.config.seqdrop_lab_url.rstrip('/')}/lab/tree/{notebook}.ipynb"
    link = {
        "type": "link",
        "text": "JupyterLab",
        "tooltip": "Open in your local JupyterLab (start it with `make lab`)",
        "icon": "fas fa-laptop-code",
        "url": url,
    }
    buttons = context["header_buttons"]
    group = next((b for b in buttons if b.get("label") == "launch-buttons"), None)
    if group is None:
        buttons.append({
            "type": "group", "tooltip": "Launch interactive content",
            "icon": "fas fa-rocket", "buttons": [link], "label": "launch-buttons",
        })
    else:
        group["buttons"].insert(0, link)


def add_static(app: Sphinx) -> None:
    app.config.html_static_path.append(str(Path(__file__).parent / "static"))


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("builder-inited", add_static)
    app.add_css_file("seqdrop.css")
    app.add_config_value("seqdrop_lab_url", "http://localhost:8888", "html")
    app.add_config_value("seqdrop_binderhub_url", "https://mybinder.org", "html")
    app.add_directive("course-map", CourseMap)
    app.connect("config-inited", set_theme_options)
    app.connect("html-page-context", add_lab_link, priority=600)
    app.connect("html-page-context", dedupe_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
