"""The built website, opened page by page in headless Chromium.

For every page of the table of contents we check what a reader would notice:
the title and headings render, MathJax has typeset every formula (we look for
its rendered output, not the TeX source), every image has loaded, solution
dropdowns open on click, widgets saved on the page render from the locally
served embed script, nothing was requested from another host (the site must
work offline), and the browser console stayed free of errors.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]


def _toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [c["file"] for c in part.get("chapters", [])]
    return files


PAGES = _toc_files()
CHAPTERS = [f for f in PAGES if Path(f).name[:2].isdigit()]


def _wait_for_mathjax(page) -> None:
    page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise",
                           timeout=30_000)
    page.evaluate("() => MathJax.startup.promise.then(() => true)")


def test_every_chapter_is_in_the_toc():
    assert len(CHAPTERS) >= 6, CHAPTERS
    for f in PAGES:
        assert list(ROOT.glob(f + ".*")), f"{f} in _toc.yml has no source file"


@pytest.mark.parametrize("doc", PAGES)
def test_page_renders(site_url, visit, doc):
    v = visit(f"{site_url}/{doc}.html")
    page = v.page

    # Title and headings.
    h1 = page.locator("article h1").first
    assert h1.is_visible(), f"{doc}: no visible <h1>"
    heading = h1.inner_text().strip().rstrip("#").strip()
    assert heading, f"{doc}: empty <h1>"
    assert heading.split()[0] in page.title(), (page.title(), heading)
    if doc in CHAPTERS:
        assert page.locator("article h2").count() >= 2, f"{doc}: expected sections (<h2>)"

    # MathJax: every math element has been replaced by rendered output.
    n_math = page.locator("article .math").count()
    if doc in CHAPTERS:
        assert n_math > 10, f"{doc}: only {n_math} formulas"
    if n_math:
        _wait_for_mathjax(page)
        untypeset = page.evaluate(
            """() => Array.from(document.querySelectorAll('article .math'))
                   .filter(e => !e.querySelector('mjx-container')).length""")
        assert untypeset == 0, f"{doc}: {untypeset} of {n_math} formulas not typeset"
        errors = page.locator("mjx-merror, [data-mjx-error]").count()
        assert errors == 0, f"{doc}: {errors} MathJax errors (undefined macro?)"
        width = page.evaluate(
            "() => document.querySelector('article mjx-container').getBoundingClientRect().width")
        assert width > 0, f"{doc}: typeset math has no width (fonts missing?)"

    # Images: every one loaded and has pixels.
    page.wait_for_load_state("networkidle")
    broken = page.evaluate(
        """() => Array.from(document.images)
               .filter(img => !(img.complete && img.naturalWidth > 0))
               .map(img => img.src.slice(0, 80))""")
    assert broken == [], f"{doc}: images that did not load: {broken}"
    if doc in CHAPTERS:
        assert page.locator("article img").count() >= 3, f"{doc}: expected figures"
        # Figures must stay readable in dark mode: opaque white corners.
        see_through = page.evaluate(
            """() => Array.from(document.querySelectorAll('.cell_output img'))
                   .filter(img => img.naturalWidth > 4).map(img => {
                       const c = document.createElement('canvas');
                       c.width = img.naturalWidth; c.height = img.naturalHeight;
                       const g = c.getContext('2d');
                       g.drawImage(img, 0, 0);
                       const [r, gr, b, a] = g.getImageData(1, 1, 1, 1).data;
                       return (a === 255 && r > 240 && gr > 240 && b > 240) ? null
                              : img.src.slice(-40);
                   }).filter(x => x !== null)""")
        assert see_through == [], f"{doc}: figures without an opaque white background"

    # Widgets saved in the page render through the locally served embed script.
    n_views = page.locator('script[type="application/vnd.jupyter.widget-view+json"]').count()
    if n_views:
        page.wait_for_selector(".jupyter-widgets", timeout=30_000)
        assert page.locator(".jupyter-widgets").count() >= 1

    # Solutions are folded and open on click.
    if doc in CHAPTERS:
        solutions = page.locator(".solution.dropdown")
        assert solutions.count() >= 4, f"{doc}: expected at least 4 folded solutions"
        first = solutions.first
        body = first.locator("section").first
        first.scroll_into_view_if_needed()
        assert not body.is_visible(), f"{doc}: solution is not folded"
        # The title holds a link back to the exercise; the fold is the button.
        first.locator("button.toggle-button").first.click()
        body.wait_for(state="visible", timeout=5_000)
        assert body.is_visible(), f"{doc}: solution did not open on click"

    assert v.offsite == [], f"{doc}: requests to other hosts: {v.offsite[:5]}"
    assert v.console_errors == [], f"{doc}: console errors: {v.console_errors[:5]}"
