"""The questions of a coursework master: their configuration blocks and which are marked by hand.

Read by :mod:`lyaplearn.teacher.coursework` (making assignments) and by the marker
(``_marking``), which must not import each other both ways.
"""

from __future__ import annotations

import json
from pathlib import Path


def _config_blocks(path: Path):
    """Yield the YAML configuration of every ``# BEGIN QUESTION`` raw cell of a master."""
    import yaml

    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        src = "".join(cell["source"])
        if cell["cell_type"] == "raw" and src.lstrip().startswith("# BEGIN QUESTION"):
            yield yaml.safe_load(src.split("\n", 1)[1]) or {}


def manual_questions(master) -> dict[str, float]:
    """``{question name: points}`` of the questions of a master that are marked by hand.

    Examples
    --------
    >>> from lyaplearn.teacher.coursework import masters
    >>> manual_questions(masters()["ch01"])
    {'q5': 2}
    """
    return {c["name"]: c.get("points", 0) for c in _config_blocks(Path(master)) if c.get("manual")}
