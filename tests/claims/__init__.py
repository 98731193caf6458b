"""The book's generalising sentences and their checks (read by ``tests/test_claims.py``).

Each entry quotes a fragment of one sentence, exactly as in the source (line breaks may
differ), long enough to contain the generalising word(s) and to occur only once. A
``Claim`` names its checks and the range they cover; a ``NotAClaim`` says why the word does
not generalise a measurement. The standard and how to add an entry: README.md, "For
contributors: claims and checks".

Checks are ``"tests/test_x.py::test_name"`` (the test must exist) or ``"cell: assert ..."``
(the assertion, whitespace aside, must occur in a code cell of the same notebook).
Fragments are raw strings: they hold LaTeX.

Each source has its own file, whose ``ENTRIES`` lists its fragments: ``chNN.py`` for
chapter NN (``book/NN_*.ipynb``), ``teaching.py`` for the teacher's page. The two kinds of
entry and ``REASONS`` are in ``_common.py``. A new chapter's file is added to ``SOURCES``
below (``tests/test_claims.py`` fails on a file that is not).
"""

from __future__ import annotations

from . import ch01, ch02, ch03, ch04, ch05, ch06, ch07, ch08, ch09, ch10, teaching
from ._common import REASONS, Claim, NotAClaim

__all__ = ["ENTRIES", "REASONS", "SOURCES", "Claim", "NotAClaim", "file_of"]

#: source ("01" ... "10", "teaching") -> the module that lists its fragments, in book order
SOURCES = {"01": ch01, "02": ch02, "03": ch03, "04": ch04, "05": ch05, "06": ch06,
           "07": ch07, "08": ch08, "09": ch09, "10": ch10, "teaching": teaching}

#: source -> its registered fragments (Claim and NotAClaim entries, in the file's order)
ENTRIES: dict[str, list] = {name: module.ENTRIES for name, module in SOURCES.items()}


def file_of(name: str) -> str:
    """The file, relative to the repository, that lists (or is to list) the fragments of
    source ``name``: ``tests/claims/chNN.py`` for chapter NN, else ``tests/claims/<name>.py``."""
    return f"tests/claims/{'ch' + name if name.isdigit() else name}.py"
