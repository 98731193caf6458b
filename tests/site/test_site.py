"""The built website, opened page by page in headless Chromium.

For every page of the table of contents we check what a reader would notice:
the title and headings render, MathJax has typeset every formula (we look for
its rendered output, not the TeX source), every image has loaded, solution
dropdowns open on click, widgets saved on the page render from the locally
served embed script, every control button of the precomputed animations shows
a visible label (an icon or a character the fonts have, not an empty box),
nothing was requested from another host (the site must work offline), and the
browser console stayed free of errors.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

pytestmark = [pytest.mark.fp_insensitive, pytest.mark.browser]

ROOT = Path(__file__).resolve().parents[2]


def _toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [c["file"] for c in part.get("chapters", [])]
    return files


PAGES = _toc_files()
CHAPTERS = [f for f in PAGES if Path(f).name[:2].isdigit()]


def _shows_an_animation(doc: str) -> bool:
    """Does a code cell of this notebook call one of the ``*animation`` functions?"""
    path = ROOT / f"{doc}.ipynb"
    if not path.is_file():
        return False
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return any(re.search(r"animation\(", "".join(c["source"]))
               for c in cells if c["cell_type"] == "code")


def _wait_for_mathjax(page) -> None:
    page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise",
                           timeout=30_000)
    page.evaluate("() => MathJax.startup.promise.then(() => true)")


# Which control buttons of the precomputed animations (matplotlib's to_jshtml,
# made by lyaplearn.widgets.sweep_animation) show nothing a reader can see?
# A label counts if it is a visible inline SVG icon with a drawn path (what the
# theme's Font Awesome script puts in place of an <i> icon), or a visible
# character (text, or an icon font's ::before content) whose glyph differs from
# the empty box a font draws for a character it lacks (the .notdef glyph, drawn
# here for U+0378, which Unicode leaves unassigned) and from blank. Characters
# that render as such a box are reported too, even next to a good label.
BUTTON_LABELS_JS = r"""
async (selector) => {
  await document.fonts.ready;
  const canvas = document.createElement('canvas');
  canvas.width = 96; canvas.height = 96;
  const g = canvas.getContext('2d', {willReadFrequently: true});
  const ink = (text, cs) => {
    g.clearRect(0, 0, 96, 96);
    g.font = `${cs.fontStyle} ${cs.fontWeight} 48px ${cs.fontFamily}`;
    g.textBaseline = 'middle'; g.fillStyle = '#000';
    g.fillText(text, 8, 48);
    const a = g.getImageData(0, 0, 96, 96).data;
    let s = '';
    for (let i = 3; i < a.length; i += 4) s += a[i] > 96 ? '1' : '0';
    return s;
  };
  const shown = (el) => {
    const cs = getComputedStyle(el);
    return el.getClientRects().length > 0 && cs.visibility === 'visible'
           && parseFloat(cs.opacity) > 0;
  };
  const glyphs = (text, cs, out, where) => {
    const box = ink('\u0378', cs), blank = ink(' ', cs);
    for (const ch of text.replace(/\s+/g, '')) {
      const img = ink(ch, cs);
      if (img === box) out.bad.push(`${where}: U+${ch.codePointAt(0).toString(16).toUpperCase()} `
                                    + `is missing from ${cs.fontFamily}`);
      else if (img !== blank) out.good += 1;
    }
  };
  return Array.from(document.querySelectorAll(selector)).map((button) => {
    const where = button.getAttribute('title') || button.outerHTML.slice(0, 60);
    const out = {where, good: 0, bad: []};
    if (!shown(button)) { out.bad.push(`${where}: button not visible`); return out; }
    for (const svg of button.querySelectorAll('svg')) {
      const r = svg.getBoundingClientRect();
      const drawn = Array.from(svg.querySelectorAll('path'))
                         .some((p) => (p.getAttribute('d') || '').length > 10);
      if (shown(svg) && r.width >= 4 && r.height >= 4 && drawn) out.good += 1;
    }
    for (const el of [button, ...button.querySelectorAll('*')]) {
      // Text inside an <svg> is not a label; SVG elements draw no ::before.
      if (!(el instanceof HTMLElement) || !shown(el)) continue;
      for (const pseudo of ['::before', '::after']) {
        const cs = getComputedStyle(el, pseudo);
        const c = cs.content;
        if (cs.display !== 'none' && c && c.startsWith('"'))
          glyphs(JSON.parse(c), cs, out, where);
      }
      for (const node of el.childNodes)
        if (node.nodeType === Node.TEXT_NODE) glyphs(node.data, getComputedStyle(el), out, where);
    }
    if (out.good === 0) out.bad.push(`${where}: no visible label`);
    return out;
  });
}
"""


def unlabelled_buttons(page, selector: str = ".animation .anim-buttons button") -> list[str]:
    """Problems of the buttons matching ``selector``: one line per defect."""
    return [msg for b in page.evaluate(BUTTON_LABELS_JS, selector) for msg in b["bad"]]


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
    # Every image in the article has a text alternative that says something: not missing,
    # not empty, not the file path Sphinx writes when a figure cell has no alt metadata
    # (tests/test_chapter_structure.py checks that metadata, lyaplearn.widgets puts it on
    # the animations). Left out: the explorers' ipywidgets Image views, drawn at run time
    # by the widget script, which has no alt option.
    no_alt = page.evaluate(
        """() => Array.from(document.querySelectorAll('article img'))
               .filter(img => !img.closest('.jupyter-widgets, .widget-image'))
               .filter(img => {
                   const alt = (img.getAttribute('alt') || '').trim();
                   return !alt || /\\.(png|svg|jpe?g|gif|webp)$/i.test(alt); })
               .map(img => (img.id || img.getAttribute('src') || '?').slice(0, 80))""")
    assert no_alt == [], f"{doc}: images without a meaningful alt text: {no_alt[:5]}"
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

    # Animations: every control button shows a label (an icon or a character
    # the fonts have), not an empty box.
    n_buttons = page.locator(".animation .anim-buttons button").count()
    if _shows_an_animation(doc):
        assert n_buttons >= 9, f"{doc}: expected a precomputed animation with its controls"
    if n_buttons:
        page.locator(".animation").first.scroll_into_view_if_needed()
        problems = unlabelled_buttons(page)
        assert problems == [], f"{doc}: animation buttons without a visible label: {problems[:5]}"

    # Code and printed output fit the column at this 1280 px window: no line behind a scroll
    # bar (the book keeps code lines within 88 characters, tests/test_code_width.py).
    if doc in CHAPTERS:
        cut = page.evaluate(
            """() => Array.from(document.querySelectorAll(
                       'article div.cell_input pre, article div.cell_output pre'))
                   .filter(e => e.scrollWidth > e.clientWidth + 1)
                   .map(e => e.innerText.split('\\n').reduce((a, b) => b.length > a.length ? b : a)
                              .slice(0, 60))""")
        assert cut == [], f"{doc}: code or output wider than the column: {cut[:5]}"

    # Inline code (long test names, paths) wraps inside the article's column.
    past = page.evaluate(
        """() => { const right = document.querySelector('article').getBoundingClientRect().right;
                   return Array.from(document.querySelectorAll('article p code, article li code'))
                       .filter(e => e.getBoundingClientRect().right > right + 1)
                       .map(e => e.innerText.slice(0, 60)); }""")
    assert past == [], f"{doc}: inline code running past the column: {past[:5]}"

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

    # Opened, the solutions' code fits their (indented) boxes too.
    if doc in CHAPTERS:
        for button in page.locator(".solution.dropdown button.toggle-button").all()[1:]:
            button.click()
        cut = page.evaluate(
            """() => Array.from(document.querySelectorAll('article .solution pre'))
                   .filter(e => e.clientWidth > 0 && e.scrollWidth > e.clientWidth + 1)
                   .map(e => e.innerText.split('\\n')[0].slice(0, 60))""")
        assert cut == [], f"{doc}: solution code wider than its box: {cut[:5]}"

    assert v.offsite == [], f"{doc}: requests to other hosts: {v.offsite[:5]}"
    assert v.console_errors == [], f"{doc}: console errors: {v.console_errors[:5]}"


def test_label_check_flags_empty_boxes_and_empty_buttons(browser):
    """The check above fails on what it must: a glyph no font has (U+0380 is
    unassigned, so it renders as the empty box), a button with nothing in it,
    and a label hidden by CSS. Plain text passes."""
    page = browser.new_page()
    try:
        page.set_content(
            '<div class="animation"><div class="anim-buttons">'
            '<button title="text">&gt;|</button>'
            '<button title="box">\u0380</button>'
            '<button title="empty"><i class="fa-solid fa-play"></i></button>'
            '<button title="hidden"><span style="display:none">&gt;</span></button>'
            '</div></div>')
        problems = unlabelled_buttons(page)
    finally:
        page.close()
    assert any(p.startswith("box: U+380 is missing") for p in problems), problems
    assert "box: no visible label" in problems
    assert "empty: no visible label" in problems
    assert "hidden: no visible label" in problems
    assert not any(p.startswith("text") for p in problems), problems


@pytest.mark.parametrize("doc", [d for d in PAGES if d in CHAPTERS or d == "book/teaching"])
def test_no_page_is_wider_than_a_phone(site_url, browser, doc):
    """At a phone's 390 px the page scrolls down, never sideways (long inline code wraps)."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        page.goto(f"{site_url}/{doc}.html", wait_until="load")
        wide = page.evaluate("() => document.documentElement.scrollWidth")
        assert wide <= 391, f"{doc}: {wide} px wide at a 390 px window"
    finally:
        context.close()
