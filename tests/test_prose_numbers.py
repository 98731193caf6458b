"""Every number the prose of a chapter quotes from a computation comes from the code.

A number that a chapter's text quotes from a computation in the same chapter is inserted
with myst-nb's ``glue`` (``glue("key", value)`` in the code cell that
computes it, ``{glue:text}`key:.2f``` in the markdown). The build also fails on a missing
key: myst-nb warns "No key 'x' found in glue data" (type ``mystnb.glue``), and the site is
built with ``-W``. These tests catch the same mistakes without executing anything, and
they catch the one the build cannot see: a number typed by hand.

Notebooks call ``lyaplearn.prose.glue`` (which wraps myst-nb's; see its docstring).

The rule for a decimal number (``0.27``, ``1.6e11``, ``2.2\\times10^{-16}``) or an
approximate integer (``about 2500``, ``\\approx 60``) in a chapter's markdown:

* it is **glued**, or
* it appears **literally in a code cell** of the same notebook: then it is either an input
  the reader can see (``gain=3.5``) or a value that an ``assert`` in that cell checks, or
* it sits in a region where typed numbers are the point, which is not scanned:
  ``{exercise}`` statements (the problem's data), ``{solution}`` blocks (their numbers
  are checked by ``tests/test_solutions_chNN.py`` against an independent computation, or
  glued), fenced code, inline ``code`` spans (arguments), and quotes (lines starting
  with ``>``), or
* it is in ``ALLOWED`` below with its reason. The reasons admitted are: a closed form
  evaluated in the sentence itself (``\\log\\tfrac12 \\approx -0.7``), a constant of floating
  point, a value published in a cited source (the paper, a reference table) or in a
  vendor's specification, or a slider setting the reader is invited to try. Measured values are never admitted: glue
  them. An entry that no longer matches anything fails too, so the list cannot rot.

Chapter 7 is scanned as well once its owner has glued its numbers (see ``CHAPTERS``).
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

# chapter -> {number as typed (without sign): reason}
ALLOWED: dict[str, dict[str, str]] = {
    "02": {
        "0.58": "closed form 1/sqrt(3), evaluated in the sentence",
    },
    "03": {
        "1.05": "slider settings the reader is invited to try",
        "0.95": "slider settings the reader is invited to try",
    },
    "05": {
        "2.2\\times10^{-16}": "float64 machine epsilon, a constant of floating point",
        "1.62319": "Hénon exponent published by Sprott (2003), cited",
        "13.8": "closed form 6 ln 10, evaluated in the sentence",
    },
    "06": {
        "0.04": "the paper's range of p, cited (Vogt et al. 2022, Fig. 3)",
        "0.7": "closed form log(1/2), evaluated in the sentence",
        "19.5": "a vendor's published peak rate (A100 float64), not computed here",
    },
    "07": {
        "1.04": "the paper's cost of one spectrum in epochs, cited (Vogt et al. 2022, Table 1)",
        "0.00055": "the smallest learning rate of the paper's Table 2 (Vogt et al. 2022), cited",
        "0.00574": "the largest learning rate of the paper's Table 2 (Vogt et al. 2022), cited",
        "0.106": "the largest dropout rate of the paper's Table 2 (Vogt et al. 2022), cited",
    },
    "08": {
        "0.95": "closed form sigma(3), evaluated in the sentence",
        "0.7": "closed form log(1/2), evaluated in the sentence",
    },
}

GLUE_DEF = re.compile(r"""\bglue\(\s*(f?)["']([^"']+)["']""")
GLUE_ROLE = re.compile(r"\{glue(?::[a-z]+)?\}`([^`:]+)(?::[^`]*)?`")
GLUE_DIRECTIVE = re.compile(r"^`{3,}\{glue(?::[a-z]+)?\}\s+(\S+)", re.M)
DECIMAL = re.compile(
    r"(?<![\w.\\{^_])[-−+]?(\d+\.\d+(?:\s*\\times\s*10\^\{?[-−]?\d+\}?|e[-+]?\d+)?)(?![\w.])")
APPROX_INT = re.compile(r"(?:\\approx|≈|about|roughly|around|nearly)\s*\$?\s*[-−]?(\d{2,})(?![\d.])")
NOT_SCANNED = [
    re.compile(r"^(`{3,})\{(?:exercise|solution)\}.*?^\1[ \t]*$", re.S | re.M),
    re.compile(r"^(`{3,}).*?^\1[ \t]*$", re.S | re.M),
    re.compile(r"\{glue(?::[a-z]+)?\}`[^`]*`"),
    re.compile(r"\{[a-z:]+\}`[^`]*`"),          # other roles: {ref}, {cite}, {doc}, ...
    re.compile(r"`[^`\n]*`"),                  # inline code
    re.compile(r"^>.*$", re.M),                # quotes
]


def _cells(code: str) -> tuple[list[str], list[str]]:
    nb = json.loads(NOTEBOOKS[code].read_text(encoding="utf-8"))
    md = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown"]
    py = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    return md, py


def glued_keys(code_cells: list[str]) -> set[str]:
    """Keys glued by the code; an f-string key's ``{...}`` fields become the wildcard ``*``."""
    return {re.sub(r"\{[^}]*\}", "*", key) if f else key
            for src in code_cells for f, key in GLUE_DEF.findall(src)}


def _matches(key: str, pattern: str) -> bool:
    return re.fullmatch(re.escape(pattern).replace(r"\*", r"[A-Za-z0-9_]+"), key) is not None


def glue_references(markdown: str) -> set[str]:
    return set(GLUE_ROLE.findall(markdown)) | set(GLUE_DIRECTIVE.findall(markdown))


def scanned_text(markdown: str) -> str:
    for pattern in NOT_SCANNED:
        markdown = pattern.sub(" ", markdown)
    return markdown


def typed_numbers(markdown: str, code_cells: list[str]) -> list[tuple[str, str]]:
    """(number, context) for every number in ``markdown`` that the rule does not admit."""
    code = "\n".join(code_cells)
    text = scanned_text(markdown)
    found = []
    for pattern in (DECIMAL, APPROX_INT):
        for m in pattern.finditer(text):
            number = m.group(1)
            lead = re.match(r"\d+(?:\.\d+)?", number).group(0)
            if re.search(r"(?<![\d.])" + re.escape(lead) + r"(?![\d])", code):
                continue
            context = " ".join(text[max(0, m.start() - 50):m.end() + 20].split())
            found.append((number, context))
    return found


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_glue_reference_has_a_glued_value(chapter):
    md, py = _cells(chapter)
    defined = glued_keys(py)
    used = glue_references("\n".join(md))
    missing = sorted(k for k in used if not any(_matches(k, d) for d in defined))
    unused = sorted(d for d in defined if not any(_matches(k, d) for k in used))
    assert not missing, f"chapter {chapter}: glue keys used but never glued: {missing}"
    assert not unused, f"chapter {chapter}: glued but never shown: {unused}"


def glue_imports(code_cells: list[str]) -> list[str]:
    return [line.strip() for src in code_cells for line in src.splitlines()
            if re.match(r"\s*(from|import)\s.*\bglue\b", line) or re.match(r"\s*from myst_nb\b", line)]


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapters_glue_through_lyaplearn_prose(chapter):
    """``from lyaplearn.prose import glue``, never ``myst_nb``'s directly.

    The wrapper turns numpy scalars into Python numbers (myst-nb formats the text repr, and
    numpy 2 writes ``np.float64(0.27)``, which ``{glue:text}`key:.2f``` cannot parse), and it
    is a no-op where myst-nb is not installed (Colab), so the notebook still runs there.
    """
    _, py = _cells(chapter)
    imports = glue_imports(py)
    assert imports == ["from lyaplearn.prose import glue"], (chapter, imports)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_no_hand_typed_computed_numbers(chapter):
    md, py = _cells(chapter)
    allowed = ALLOWED.get(chapter, {})
    bad, seen = [], set()
    for cell in md:
        for number, context in typed_numbers(cell, py):
            if number in allowed:
                seen.add(number)
            else:
                bad.append(f"{number!r} in '...{context}...'")
    assert not bad, (f"chapter {chapter}: numbers typed by hand; glue them from the cell that "
                     f"computes them (or see the module docstring):\n  " + "\n  ".join(bad))
    stale = set(allowed) - seen
    assert not stale, f"chapter {chapter}: ALLOWED entries that match nothing: {sorted(stale)}"


def test_the_scanner_can_fail():
    code = ["from myst_nb import glue\nlam = 0.2704\nglue('lam1', lam, display=False)\nrnn(gain=3.5)"]
    assert [n for n, _ in typed_numbers("with $\\lambda_1 = 0.28$ (the network)", code)] == ["0.28"]
    assert [n for n, _ in typed_numbers("the product is `inf` after about 2500 steps", code)] == ["2500"]
    assert [n for n, _ in typed_numbers("$\\varepsilon \\approx 2.2\\times10^{-16}$", code)] == [
        "2.2\\times10^{-16}"]
    assert typed_numbers("with $\\lambda_1 =$ {glue:text}`lam1:.2f` at gain 3.5", code) == []
    assert typed_numbers("```{exercise} X\n:label: x\nFor $p = 0.37$.\n```\n", code) == []
    assert typed_numbers("```{solution} x\n:class: dropdown\nIt is 0.605.\n```\n", code) == []
    assert typed_numbers("run `f(p=0.25)` and {cite:p}`a2.5b`", code) == []
    assert glue_references("a {glue:text}`lam1:.2f` b {glue}`other`") == {"lam1", "other"}
    assert glued_keys(code) == {"lam1"}
    assert glue_imports(["from myst_nb import glue\nx = 1"]) == ["from myst_nb import glue"]
    assert glued_keys(['for k in ks:\n    glue(f"slow_{k}", 1)']) == {"slow_*"}
    assert _matches("slow_gru_b3", "slow_*") and not _matches("fast_gru", "slow_*")
