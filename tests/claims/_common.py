"""The registry's two kinds of entry and the reasons a word may not be a claim (tests/claims/)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Claim:
    """A sentence stating a trend, a range or a comparison, and what checks it."""

    text: str
    #: "tests/test_x.py::test_name" or "cell: assert ..." (an assertion in the notebook)
    checks: tuple[str, ...]
    #: the range the checks cover, in words (which the sentence must also name)
    measured: str


@dataclass(frozen=True)
class NotAClaim:
    """A generalising word that states no measured behaviour."""

    text: str
    reason: str


REASONS = {
    "definition": "a definition, a convention or a mathematical identity used as one",
    "instruction": "tells the reader what to do or try; states nothing about a result",
    "description": "says what a function, a test or a procedure does",
    "question": "an exercise's question; its answer is checked where the solution states it",
}
