"""Every code line the book shows fits the page: at most 88 characters.

The website's text column shows about 88 characters of code; a longer line is cut off at
the column's edge, behind a horizontal scroll bar (issue 27). The limit applies to every code cell of the chapters (``book/NN_*.ipynb``) and of the
coursework masters (``book/assignments/masters/chNN.ipynb``, whose code students and
teachers read in Jupyter).

Not checked: cells tagged ``remove-cell``, which the website never shows (the install cell
that ``lyaplearn.publish`` writes into every notebook is one of them).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LIMIT = 88
NOTEBOOKS = sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb")) + sorted(
    (ROOT / "book" / "assignments" / "masters").glob("ch[0-9][0-9].ipynb"))


def long_lines(notebook: dict, limit: int = LIMIT) -> list[tuple[int, int, int, str]]:
    """``(cell index, line number, length, line)`` of every shown code line over ``limit``."""
    found = []
    for i, cell in enumerate(notebook["cells"]):
        tags = cell.get("metadata", {}).get("tags", [])
        if cell["cell_type"] != "code" or "remove-cell" in tags:
            continue
        source = "".join(cell["source"])
        for j, line in enumerate(source.splitlines(), start=1):
            if len(line) > limit:
                found.append((i, j, len(line), line))
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_code_lines_fit_the_page(path):
    bad = long_lines(json.loads(path.read_text(encoding="utf-8")))
    assert not bad, (f"{path.relative_to(ROOT)}: code lines longer than {LIMIT} characters "
                     f"(cell, line, length):\n  " + "\n  ".join(
                         f"cell {i} line {j} ({n}): {line.strip()[:70]}..." for i, j, n, line in bad))


def test_the_width_check_can_fail():
    cell = {"cell_type": "code", "metadata": {}, "source": ["x = 1\n", "y = " + "1 + " * 30 + "1"]}
    hidden = dict(cell, metadata={"tags": ["remove-cell"]})
    markdown = {"cell_type": "markdown", "metadata": {}, "source": ["word " * 40]}
    assert [(i, j) for i, j, _, _ in long_lines({"cells": [markdown, cell, hidden]})] == [(1, 2)]
    assert long_lines({"cells": [{"cell_type": "code", "metadata": {}, "source": ["a" * 88]}]}) == []
