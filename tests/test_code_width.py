"""Code on the page fits the column: no line of code longer than 88 characters.

The website cuts off, behind a horizontal scroll bar, any line of code wider than the text
column. The book keeps every line of code that a chapter shows within 88 characters (the
width of black's default, and of the widest column the theme gives): code cells, code blocks
in the markdown (fenced, or indented as in the solutions), and the solution files the
chapters include with ``literalinclude``. Cells tagged ``remove-cell`` are not on the page
(the install cell, which ``lyaplearn.publish`` writes).

Printed outputs cannot be checked without running the notebooks; the chapters print tables
narrow enough for the column, which a browser check of the built pages confirms.

Every chapter is checked, and so are the coursework masters
(``book/assignments/masters/chNN.ipynb``), whose code students and teachers read in Jupyter.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.fp_insensitive

ROOT = Path(__file__).resolve().parents[1]
WIDTH = 88
NOTEBOOKS = {p.stem[:2]: p for p in sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb"))}
CHAPTERS = sorted(NOTEBOOKS)
MASTERS = sorted((ROOT / "book" / "assignments" / "masters").glob("ch[0-9][0-9].ipynb"))
FENCE = re.compile(r"^(`{3,}|~{3,})(.*)$")
CODE_INFO = ("", "python", "bash", "text", "console")
PROSE_DIRECTIVES = ("{solution", "{exercise", "{admonition", "{note")
INCLUDE = re.compile(r"\{literalinclude\}\s+\.\./(\S+)")


def markdown_code_lines(markdown: str) -> list[str]:
    """Lines of code in a markdown cell: fenced code blocks and indented (4-space) code.

    Directives (```` ```{exercise} ````, ```` ```{math} ````, ...) are fences too, but their
    content is text, not code; a fence closes the innermost open one.
    """
    out, stack = [], []
    for line in markdown.splitlines():
        m = FENCE.match(line.strip())
        if m:
            fence, info = m.group(1), m.group(2).strip()
            if stack and info == "" and fence == stack[-1][0]:
                stack.pop()
            else:
                stack.append((fence, info))
            continue
        if stack and stack[-1][1] in CODE_INFO:
            out.append(line)
        elif (line.startswith("    ") and line.strip()
              and (not stack or stack[-1][1].startswith(PROSE_DIRECTIVES))
              and not line.lstrip().startswith((":", "*", "-", "$"))):
            out.append(line)                      # an indented code block
    return out


def too_wide(lines: list[str], width: int = WIDTH) -> list[str]:
    return [f"{len(line)}: {line.strip()[:60]}" for line in lines if len(line) > width]


def _cells(chapter: str) -> list[dict]:
    return json.loads(NOTEBOOKS[chapter].read_text(encoding="utf-8"))["cells"]


def code_cells_too_wide(cells: list[dict]) -> list[str]:
    """Every shown code line over the width, as ``cell i, length: line``."""
    bad = []
    for i, cell in enumerate(cells):
        if cell["cell_type"] != "code" or "remove-cell" in cell["metadata"].get("tags", []):
            continue
        bad += [f"cell {i}, {b}" for b in too_wide("".join(cell["source"]).splitlines())]
    return bad


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_code_cells_fit_the_column(chapter):
    bad = code_cells_too_wide(_cells(chapter))
    assert not bad, f"chapter {chapter}: code lines over {WIDTH} characters:\n" + "\n".join(bad)


@pytest.mark.parametrize("master", MASTERS, ids=lambda p: p.stem)
def test_master_code_cells_fit_the_column(master):
    bad = code_cells_too_wide(json.loads(master.read_text(encoding="utf-8"))["cells"])
    assert not bad, f"{master.name}: code lines over {WIDTH} characters:\n" + "\n".join(bad)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_code_in_the_text_fits_the_column(chapter):
    bad, included = [], set()
    for i, cell in enumerate(_cells(chapter)):
        if cell["cell_type"] != "markdown":
            continue
        text = "".join(cell["source"])
        bad += [f"cell {i}, {b}" for b in too_wide(markdown_code_lines(text))]
        included |= set(INCLUDE.findall(text))
    for path in sorted(included):
        lines = (ROOT / path).read_text(encoding="utf-8").splitlines()
        bad += [f"{path}, {b}" for b in too_wide(lines)]
    assert not bad, f"chapter {chapter}: code lines over {WIDTH} characters:\n" + "\n".join(bad)


PAGES = sorted(p for p in (ROOT / "book").rglob("*.md") if "_build" not in p.parts)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT / "book")))
def test_code_in_the_markdown_pages_fits_the_column(page):
    bad = too_wide(markdown_code_lines(page.read_text(encoding="utf-8")))
    assert not bad, f"{page.name}: code lines over {WIDTH} characters:\n" + "\n".join(bad)


def test_the_width_check_can_fail():
    long = "x = " + "1 + " * 30 + "1"
    assert too_wide([long]) and not too_wide(["x = 1"]) and not too_wide(["a" * 88])
    cell = {"cell_type": "code", "metadata": {}, "source": ["x = 1\n", long]}
    hidden = dict(cell, metadata={"tags": ["remove-cell"]})
    text = {"cell_type": "markdown", "metadata": {}, "source": ["word " * 40]}
    assert [b.split(",")[0] for b in code_cells_too_wide([text, cell, hidden])] == ["cell 1"]
    md = (f"Text that is long but prose {'word ' * 30}\n\n```python\n{long}\n```\n\n"
          f"```{{solution}} ex\n:class: dropdown\n\nprose {'word ' * 30}\n\n    {long}\n```\n"
          f"```{{math}}\n{'a + ' * 40}b\n```\n")
    assert markdown_code_lines(md) == [long, "    " + long]
