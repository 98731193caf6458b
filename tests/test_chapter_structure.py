"""Every chapter is laid out the same way, so a reader knows where to look.

* The chapter ends with ``## Summary`` followed by ``## Exercises``; only a closing note
  (a heading starting ``## Closing note``) may follow the exercises, and the summary is the
  last section before them.
* Every exercise title carries a difficulty mark, ``(★☆☆)``, ``(★★☆)`` or ``(★★★)``,
  optionally followed by ``, coding``, and the exercises go from easy to hard.

Chapter 7 joins the list once its owner has added its summary and marks.
"""

from __future__ import annotations

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
