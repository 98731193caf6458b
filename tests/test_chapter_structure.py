"""Every chapter is laid out the same way, so a reader knows where to look.

* The chapter ends with ``## Summary`` followed by ``## Exercises``; only a closing note
  (a heading starting ``## Closing note``) may follow the exercises, and the summary is the
  last section before them.
* Every exercise title carries a difficulty mark, ``(★☆☆)``, ``(★★☆)`` or ``(★★★)``,
  optionally followed by ``, coding``, and the exercises go from easy to hard.

Chapter 7 joins the list once its owner has added its summary and marks.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.fp_insensitive

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ["01", "02", "03", "04", "05", "06", "07", "08", "09", "10"]
NOTEBOOKS = {p.stem[:2]: p for p in sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb"))}
MARK = re.compile(r"^`{3,4}\{exercise\}\s+(.*)$", re.M)
DIFFICULTY = re.compile(r"\((★{1,3})(☆{0,2})(?:, coding)?\)\s*$")


def _markdown(chapter: str) -> str:
    nb = json.loads(NOTEBOOKS[chapter].read_text(encoding="utf-8"))
    return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")


def _sections(text: str) -> list[str]:
    text = re.sub(r"^(`{3,}).*?^\1[ \t]*$", "", text, flags=re.S | re.M)   # headings in code
    return re.findall(r"^## (.+)$", text, re.M)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_summary_then_exercises_at_the_end(chapter):
    sections = _sections(_markdown(chapter))
    assert "Summary" in sections and "Exercises" in sections, f"chapter {chapter}: {sections}"
    i = sections.index("Exercises")
    assert sections[i - 1] == "Summary", f"chapter {chapter}: Summary must come just before Exercises"
    assert all(s.startswith("Closing note") for s in sections[i + 1:]), \
        f"chapter {chapter}: only a closing note may follow the exercises: {sections[i + 1:]}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_exercises_are_marked_and_go_from_easy_to_hard(chapter):
    titles = MARK.findall(_markdown(chapter))
    assert titles, f"chapter {chapter} has no exercises"
    levels = []
    for title in titles:
        m = DIFFICULTY.search(title)
        assert m and len(m.group(1)) + len(m.group(2)) == 3, \
            f"chapter {chapter}: exercise '{title}' lacks a mark like (★★☆) or (★★☆, coding)"
        levels.append(len(m.group(1)))
    assert levels == sorted(levels), f"chapter {chapter}: difficulties out of order: {levels}"


# Figures on the website are the PNG outputs of code cells that return a figure from a
# library ``plot_*`` function. Their text alternative (the <img> alt, read by screen readers)
# comes from the cell's metadata ``{"mystnb": {"image": {"alt": "..."}}}``; without it the
# site uses the image's file path. The alt text holds no digit: numbers in the book come
# from code (glue), and the alt text cannot be glued.
FIGURE_CALL = re.compile(r"\bplot_\w*\s*\(")
# Anything else that could put a figure on the page; a cell doing so must go through a
# ``plot_*`` function (the project's rule), or this pattern and FIGURE_CALL need a look.
OTHER_FIGURE = re.compile(r"\b(plt|pyplot)\b|\bdisplay\s*\(|\.savefig\s*\(|\.imshow\s*\(")
FIGURE_MAKERS = {"figure", "Figure"}          # style.figure, matplotlib.figure.Figure


def _code_cells(chapter: str) -> list[tuple[int, str, dict]]:
    nb = json.loads(NOTEBOOKS[chapter].read_text(encoding="utf-8"))
    return [(i, "".join(c["source"]), c.get("metadata", {}))
            for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"]


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_figure_has_alt_text(chapter):
    cells = _code_cells(chapter)
    figures = [(i, meta) for i, src, meta in cells if FIGURE_CALL.search(src)]
    assert figures, f"chapter {chapter}: no figure cell found; has FIGURE_CALL gone stale?"
    problems = []
    for i, meta in figures:
        alt = ((meta.get("mystnb") or {}).get("image") or {}).get("alt")
        if not isinstance(alt, str) or len(alt.split()) < 8:
            problems.append(f"cell {i}: no alt text of a sentence or more: {alt!r}")
        elif re.search(r"[\\/]|\.(png|svg|jpe?g|gif)\b", alt, re.I):
            problems.append(f"cell {i}: alt text looks like a file name: {alt!r}")
        elif any(ch.isdigit() for ch in alt):
            problems.append(f"cell {i}: alt text holds a number (glue cannot reach it): {alt!r}")
    assert not problems, (f"chapter {chapter}: figure cells need "
                          '{"mystnb": {"image": {"alt": "..."}}} metadata: ' + "; ".join(problems))
    others = [i for i, src, _ in cells if OTHER_FIGURE.search(src) and not FIGURE_CALL.search(src)]
    assert not others, (f"chapter {chapter}: cells {others} may show a figure without a plot_* "
                        "function; draw it with one (and give it alt text)")


def test_alt_texts_are_not_copied():
    alts = [((meta.get("mystnb") or {}).get("image") or {}).get("alt")
            for ch in CHAPTERS for _, src, meta in _code_cells(ch) if FIGURE_CALL.search(src)]
    repeated = sorted({a for a in alts if a and alts.count(a) > 1})
    assert not repeated, f"the same alt text on several figures: {repeated}"


def test_only_plot_functions_make_figures():
    """FIGURE_CALL finds a figure cell by its plot_* call. That holds while every library
    function that creates a figure is named plot_*; the others listed here make one that
    never reaches a page as an image (the style helper, the widgets)."""
    allowed = {("style.py", "figure"), ("widgets/__init__.py", "__init__"),
               ("widgets/__init__.py", "sweep_animation")}
    package = ROOT / "lyaplearn"
    found = []
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for fn in ast.walk(tree):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            names = {(c.func.attr if isinstance(c.func, ast.Attribute) else
                      getattr(c.func, "id", None)) for c in ast.walk(fn) if isinstance(c, ast.Call)}
            rel = path.relative_to(package).as_posix()
            if names & FIGURE_MAKERS and not fn.name.startswith("plot_") \
                    and (rel, fn.name) not in allowed:
                found.append(f"{rel}:{fn.name}")
    assert not found, f"functions that create a figure but are not named plot_*: {found}"
