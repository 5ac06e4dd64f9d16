"""The course book in a real browser (headless chromium): built from the smoke run's
executed notebooks, every page is opened and must render offline and cleanly.

Checks per page: MathJax typeset every formula of the source (no raw ``\\(``, ``\\[``,
``$$`` left, display math stays display), every image loaded, no console error, no request
leaving the machine, code not clipped, figures shown at (nearly) their natural size.
Screenshots: build/browser/screens/book/.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from browser_support import (
    BUILD,
    ROOT,
    build_book,
    console_errors,
    count_source_math,
    executed_from_nbval,
    execute_smoke,
    is_local,
    new_driver,
    notebooks,
    page_markdown,
    require_browser,
    requested_urls,
    slug,
)

pytestmark = pytest.mark.browser


def _book_pages() -> list[str]:
    """Every page of the book: the root, each notebook (all of notebooks/), the reference pages."""
    toc = yaml.safe_load((ROOT / "book" / "_toc.yml").read_text())
    others = [ch["file"] for part in toc["parts"] for ch in part["chapters"]
              if not ch["file"].startswith("notebooks/")]
    return [toc["root"]] + [f"notebooks/{nb.stem}" for nb in notebooks()] + others


PAGES = _book_pages()

MATH_JS = r"""
const done = arguments[arguments.length - 1];
if (!window.MathJax || !window.MathJax.startup || !window.MathJax.startup.promise) {
  done({error: "MathJax did not load"}); return;
}
MathJax.startup.promise.then(() => {
  // the article only: the page's table of contents repeats the headings' math
  const root = document.querySelector("article.bd-article") || document.querySelector("main")
    || document.body;
  const boxes = [...root.querySelectorAll("mjx-container")];
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const raw = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (n.parentElement.closest("pre, code, script, style, mjx-container, textarea")) continue;
    if (/\\\(|\\\[|\$\$/.test(n.textContent)) raw.push(n.textContent.trim().slice(0, 100));
  }
  const dollar = (node, re) => node && node.nodeType === 3 && re.test(node.textContent);
  const stray = boxes.filter(b => dollar(b.previousSibling, /\$\s*$/) ||
                                  dollar(b.nextSibling, /^\s*\$/)).length;
  done({
    total: boxes.length,
    display: boxes.filter(b => b.getAttribute("display") === "true").length,
    errors: document.querySelectorAll("mjx-merror").length,
    raw: raw, stray: stray,
  });
}).catch(e => done({error: String(e)}));
"""

IMAGES_JS = r"""
const done = arguments[arguments.length - 1];
const imgs = [...document.images];
imgs.forEach(i => { i.loading = "eager"; });
Promise.all(imgs.map(i => i.complete ? null :
  new Promise(r => { i.addEventListener("load", r); i.addEventListener("error", r); })))
.then(() => done(imgs.map(i => ({
  src: i.currentSrc || i.src, natural: i.naturalWidth, shown: i.getBoundingClientRect().width,
  figure: !!i.closest(".cell_output, .output"),
}))));
"""

CLIPPED_JS = r"""
return [...document.querySelectorAll("div.highlight pre")]
  .filter(p => p.scrollWidth > p.clientWidth + 2)
  .map(p => p.textContent.split("\n").reduce((a, b) => a.length > b.length ? a : b).slice(0, 100));
"""


@dataclass
class PageReport:
    url: str
    math: dict
    images: list = field(default_factory=list)
    clipped: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    external: list = field(default_factory=list)


@pytest.fixture(scope="module")
def book_html(request) -> Path:
    """The book built from the executed smoke notebooks (nbval's, or executed here)."""
    require_browser()
    executed = BUILD / "smoke-notebooks"
    import shutil

    shutil.rmtree(executed, ignore_errors=True)
    done = executed_from_nbval(request.session, executed)
    missing = [nb.stem for nb in notebooks() if nb.stem not in done]
    if missing:
        execute_smoke(missing, executed)
    return build_book(executed, BUILD / "book")


@pytest.fixture(scope="module")
def reports(book_html):
    """Open every page once; the tests below read the cached reports."""
    driver = new_driver()
    driver.set_script_timeout(60)
    shots = BUILD / "screens" / "book"
    shots.mkdir(parents=True, exist_ok=True)
    cache: dict[str, PageReport] = {}

    def load(page: str) -> PageReport:
        if page not in cache:
            html = book_html / f"{page}.html"
            assert html.exists(), f"the book has no page {page}"
            requested_urls(driver), console_errors(driver)  # drop the previous page's logs
            driver.get(html.as_uri())
            report = PageReport(url=html.as_uri(), math=driver.execute_async_script(MATH_JS))
            report.images = driver.execute_async_script(IMAGES_JS)
            report.clipped = driver.execute_script(CLIPPED_JS)
            height = driver.execute_script("return document.body.scrollHeight")
            driver.set_window_size(1280, max(900, min(int(height), 12000)))
            driver.save_screenshot(str(shots / f"{slug(page)}.png"))
            driver.set_window_size(1280, 900)
            report.errors = console_errors(driver)
            report.external = [u for u in requested_urls(driver) if not is_local(u)]
            cache[page] = report
        return cache[page]

    yield load
    driver.quit()


def _source_math(page: str, executed: Path) -> tuple[int, int]:
    """Formulas the page's source holds: markdown cells/pages plus markdown outputs."""
    if page.startswith("notebooks/"):
        nb_path = executed / f"{Path(page).name}.ipynb"
        display, inline = count_source_math(page_markdown(nb_path))
        for cell in json.loads(nb_path.read_text(encoding="utf-8"))["cells"]:
            for out in cell.get("outputs", []):
                md = out.get("data", {}).get("text/markdown")
                if md:
                    d, i = count_source_math("".join(md))
                    display, inline = display + d, inline + i
        return display, inline
    return count_source_math(page_markdown(ROOT / f"{page}.md"))


@pytest.mark.parametrize("page", PAGES)
def test_mathjax_typesets_every_formula(page, reports):
    math = reports(page).math
    display, inline = _source_math(page, BUILD / "smoke-notebooks")
    if display + inline == 0 and math.get("error") == "MathJax did not load":
        return  # Sphinx loads MathJax only on pages with math
    assert "error" not in math, f"{page}: {math.get('error')} (is MathJax served locally?)"
    assert not math["raw"], f"{page}: raw TeX left in the text: {math['raw'][:3]}"
    assert math["stray"] == 0, f"{page}: {math['stray']} formulas with a stray $ beside them"
    assert math["errors"] == 0, f"{page}: {math['errors']} MathJax errors"
    assert (math["display"], math["total"]) == (display, display + inline), (
        f"{page}: rendered {math['display']} display / {math['total']} formulas, the source "
        f"has {display} display / {display + inline}"
    )


@pytest.mark.parametrize("page", PAGES)
def test_every_image_loads(page, reports):
    broken = [img["src"] for img in reports(page).images if img["natural"] == 0]
    assert not broken, f"{page}: images that did not load: {broken}"


@pytest.mark.parametrize("page", PAGES)
def test_figures_readable_at_book_width(page, reports):
    """A figure shown much smaller than it was drawn has unreadable labels: ≤ 7 in at 100 dpi."""
    shrunk = [f"{Path(img['src']).name}: {img['natural']} px shown at {img['shown']:.0f} px"
              for img in reports(page).images
              if img["figure"] and img["natural"] and img["shown"] < 0.85 * img["natural"]]
    assert not shrunk, f"{page}: figures scaled down (make them ≤ 7 in wide at 100 dpi): {shrunk}"


@pytest.mark.parametrize("page", PAGES)
def test_code_is_not_clipped(page, reports):
    assert not reports(page).clipped, f"{page}: code lines cut off: {reports(page).clipped[:3]}"


@pytest.mark.parametrize("page", PAGES)
def test_no_console_errors(page, reports):
    assert not reports(page).errors, f"{page}: console errors: {reports(page).errors}"


@pytest.mark.parametrize("page", PAGES)
def test_nothing_loads_from_outside_the_machine(page, reports):
    assert not reports(page).external, f"{page}: requests leaving the machine: {reports(page).external}"
