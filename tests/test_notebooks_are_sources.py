"""The chapter notebooks are committed as sources, and each one is complete.

Outputs are produced when the book is built (and by nbval), never committed:
committed outputs would go stale against the library and bloat the history.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.fp_insensitive

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb"))
MIN_EXERCISES = {"05": 5}


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_every_notebook_is_in_the_toc_and_vice_versa():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    listed = {c["file"] for part in toc["parts"] for c in part["chapters"]}
    on_disk = {f"book/{p.stem}" for p in NOTEBOOKS}
    assert len(on_disk) >= 6
    assert on_disk <= listed, on_disk - listed


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_has_no_outputs(path):
    nb = _load(path)
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [], f"{path.name} cell {i} has outputs"
            assert cell.get("execution_count") is None, f"{path.name} cell {i} was executed"
    assert nb["metadata"]["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_chapter_has_exercises_with_folded_solutions(path):
    text = "".join("".join(c["source"]) for c in _load(path)["cells"] if c["cell_type"] == "markdown")
    exercises = re.findall(r"```\{exercise\}", text)
    solutions = re.findall(r"```\{solution\}[^\n]*\n:class: dropdown", text)
    want = MIN_EXERCISES.get(path.stem[:2], 4)
    assert len(exercises) >= want, f"{path.name}: {len(exercises)} exercises"
    assert len(solutions) >= len(exercises), f"{path.name}: a solution is missing or not folded"
    assert "{cite" in text, f"{path.name} cites nothing"
    assert len(re.findall(r"^# ", text, flags=re.M)) == 1, f"{path.name}: one title expected"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_code_cells_stay_short(path):
    """Figures come from library functions, so no cell needs to be long."""
    for i, cell in enumerate(_load(path)["cells"]):
        if cell["cell_type"] == "code":
            n = len("".join(cell["source"]).strip().splitlines())
            assert n <= 20, f"{path.name} cell {i} has {n} lines: move the logic into lyaplearn"
