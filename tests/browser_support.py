"""Helpers for the browser tests: Debian's headless chromium via selenium, page probes, and
the executed smoke notebooks the CI book is built from.

Without a browser the tests skip with the command that installs one; with ``CI=true`` a
missing browser is an error (CI must not silently skip them).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import pytest

from seqdrop.course.paths import notebooks_dir
from seqdrop.paths import project_root

ROOT = project_root()
BUILD = ROOT / "build" / "browser"  # git-ignored: built book, screenshots, Lab root
INSTALL_HINT = "apt-get install -y chromium chromium-driver  (Debian; as root)"
LOOPBACK = {"localhost", "127.0.0.1", "::1", "[::1]"}
LOCAL_SCHEMES = {"file", "data", "blob", "about", "chrome", "devtools", "ws", "http", "https"}


def notebooks() -> list[Path]:
    """Every notebook of the course (the tests are parametrized over all of them)."""
    return sorted(notebooks_dir().glob("*.ipynb"))


def _which(*names: str) -> str | None:
    for name in names:
        found = shutil.which(name) or (name if os.path.isabs(name) and os.access(name, os.X_OK) else None)
        if found:
            return found
    return None


def browser_paths() -> tuple[str | None, str | None]:
    """Paths of the chromium binary and of chromedriver, or None."""
    chrome = _which("chromium", "chromium-browser", "/usr/lib/chromium/chromium")
    driver = _which("chromedriver", "/usr/lib/chromium/chromedriver")
    return chrome, driver


def require_browser() -> tuple[str, str]:
    """Skip (or, in CI, fail) when chromium, chromedriver or selenium is missing."""
    chrome, driver = browser_paths()
    missing = [n for n, p in (("chromium", chrome), ("chromium-driver", driver)) if not p]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("selenium (pip install -e '.[test]')")
    if missing:
        message = f"no headless browser ({', '.join(missing)}): install with {INSTALL_HINT}"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"CI=true: {message}", pytrace=False)
        pytest.skip(message)
    return chrome, driver


def new_driver(width: int = 1280, height: int = 900):
    """Headless chromium that records console messages and network requests."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chrome, driver = require_browser()
    options = webdriver.ChromeOptions()
    options.binary_location = chrome
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                f"--window-size={width},{height}", "--allow-file-access-from-files",
                "--disable-background-networking", "--disable-component-update",
                "--no-first-run", "--disable-sync", "--disable-default-apps"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    return webdriver.Chrome(service=Service(executable_path=driver), options=options)


def is_local(url: str) -> bool:
    """Whether loading ``url`` stays on this machine (file://, data:, loopback)."""
    parsed = urlparse(url)
    if parsed.scheme not in LOCAL_SCHEMES:
        return False
    if parsed.scheme in ("http", "https", "ws"):
        return (parsed.hostname or "") in LOOPBACK
    return True


def requested_urls(driver) -> list[str]:
    """URLs the page requested since the last call (DevTools ``Network.requestWillBeSent``)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def console_errors(driver) -> list[str]:
    """Console errors (and uncaught exceptions) since the last call."""
    return [e["message"] for e in driver.get_log("browser") if e.get("level") == "SEVERE"]


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_")


# ---------------------------------------------------------------- math in the sources
_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,}).*?^[ \t]*\1[ \t]*$", re.M | re.S)
_CODE = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)", re.S)
_DISPLAY = re.compile(r"\$\$(.+?)\$\$", re.S)
_ENV = re.compile(r"^[ \t]*\\begin\{(\w+\*?)\}.*?\\end\{\1\}", re.M | re.S)
_INLINE = re.compile(r"(?<![\\$])\$(?!\$)(?=\S)(.+?)(?<=\S)(?<![\\$])\$(?!\$)", re.S)


_CODE_DIRECTIVES = ("{code", "{eval-rst", "{raw", "{list-table")


def _fence(match: re.Match) -> str:
    """Code fences vanish; a MyST directive (``{admonition}``…) keeps its markdown body; a
    ``{math}`` block becomes one display formula."""
    block = match.group(0)
    info = block.split("\n", 1)[0].strip().lstrip("`~").strip()
    if info.startswith("{math}"):
        return "\n$$x$$\n"
    if not info.startswith("{") or info.startswith(_CODE_DIRECTIVES):
        return ""
    body = block.split("\n")[1:-1]
    return "\n".join(line for line in body if not re.match(r"^\s*:\w[\w-]*:", line))


def count_source_math(markdown: str) -> tuple[int, int]:
    """(display, inline) formulas written in MyST markdown: ``$$…$$``, ``\\begin{…}``, ``$…$``."""
    text = _CODE.sub("", _FENCE.sub(_fence, markdown))
    display = len(_DISPLAY.findall(text))
    text = _DISPLAY.sub("", text)
    display += len(_ENV.findall(text))
    text = _ENV.sub("", text)
    return display, len(_INLINE.findall(text))


def page_markdown(source: Path) -> str:
    """The markdown of a book page: a .md file, or the markdown cells of a notebook."""
    if source.suffix == ".ipynb":
        cells = json.loads(source.read_text(encoding="utf-8"))["cells"]
        return "\n\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    return source.read_text(encoding="utf-8")


# ---------------------------------------------------------------- executed smoke notebooks
def executed_from_nbval(session, out: Path) -> set[str]:
    """Write the notebooks nbval executed in this pytest session (``make test`` runs them
    with the smoke profile from build/nbval) with their outputs; return their stems.

    Uses nbval 0.11's items: each ``IPyNbCell`` keeps ``test_outputs`` after it ran and its
    parent ``IPyNbFile`` the parsed notebook ``nb``. Notebooks with a cell that did not
    run (failed, skipped) are left out.
    """
    import copy

    import nbformat

    by_file: dict = {}
    for item in session.items:
        if type(item).__name__ == "IPyNbCell":
            by_file.setdefault(item.parent, []).append(item)
    written = set()
    for parent, cells in by_file.items():
        if any(getattr(c, "test_outputs", None) is None for c in cells):
            continue
        nb = copy.deepcopy(parent.nb)
        code = [c for c in nb.cells if c.cell_type == "code"]
        for count, (cell, item) in enumerate(zip(code, cells), start=1):
            cell.outputs = [copy.deepcopy(o) for o in item.test_outputs]
            cell.execution_count = count
            for o in cell.outputs:
                if o.get("output_type") == "execute_result":
                    o["execution_count"] = count
        out.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, str(out / Path(str(parent.path)).name))
        written.add(Path(str(parent.path)).stem)
    return written


def execute_smoke(stems: list[str], out: Path) -> None:
    """Execute notebooks with the smoke profile (papermill), for runs outside ``make test``."""
    import papermill

    prepared = out.parent / "prepared"
    bin_dir = Path(sys.executable).parent
    subprocess.run([str(bin_dir / "seqdrop"), "prepare", "--profile", "smoke", "--out",
                    str(prepared)], check=True, capture_output=True, text=True)
    out.mkdir(parents=True, exist_ok=True)
    env_output = out.parent / "output"
    os.environ.setdefault("SEQDROP_OUTPUT_DIR", str(env_output))
    for stem in stems:
        papermill.execute_notebook(str(prepared / f"{stem}.ipynb"), str(out / f"{stem}.ipynb"),
                                   kernel_name="python3", progress_bar=False,
                                   cwd=str(notebooks_dir()))


def build_book(executed: Path, out: Path) -> Path:
    """Build the book from executed notebooks (no execution): return the HTML folder."""
    src = out / "src"
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(ROOT / "book", src / "book", ignore=shutil.ignore_patterns("_build"))
    shutil.copytree(executed, src / "notebooks")
    config = (ROOT / "book" / "_config.yml").read_text(encoding="utf-8")
    config = re.sub(r"execute_notebooks:.*", 'execute_notebooks: "off"', config)
    (src / "book" / "_config.yml").write_text(config, encoding="utf-8")
    cmd = [str(Path(sys.executable).parent / "jupyter-book"), "build", str(src),
           "--config", str(src / "book" / "_config.yml"), "--toc", str(src / "book" / "_toc.yml"),
           "-W", "-n", "--keep-going", "--path-output", str(out)]
    result = subprocess.run(cmd, capture_output=True, text=True)
    assert result.returncode == 0, f"book build failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return out / "_build" / "html"
