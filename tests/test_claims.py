"""Every generalising sentence of the book names its check (README, "For contributors").

The standard: a sentence that states a measured behaviour, whether a trend ("shrinks as N
grows"), a range ("whatever the scale", "always", "never", "any") or a comparison ("better
than", "about as well"), carries a check over the range it claims (an assertion in the cell
that computes it, or a named test), and the text names the range that was measured.

A test cannot read a sentence, but it can find the words that make one general and insist
that someone has looked. This test scans the markdown of the chapters and of the teacher's
page for those words (``TRIGGERS``) and requires every occurrence to lie inside a fragment
listed in the registry, the package ``tests/claims/`` (one file per source: ``chNN.py`` for
chapter NN, ``teaching.py``). A fragment is either

* a ``Claim``: its ``checks`` name a test (``"tests/test_x.py::test_name"``, which must
  exist) or an assertion (``"cell: assert ..."``, whose text must occur in a code cell of
  the same notebook), and ``measured`` says over which range; or
* a ``NotAClaim``: the word does not generalise a measurement (a definition, a proof
  step, an instruction to the reader, a description of what the code does), with the
  reason.

Fragments that no longer occur fail as well, so the registry cannot rot. The registry may
list claims without a trigger word too: it is the book's list of "sentence -> its check".

Not scanned: code (fenced blocks, inline code, the backticked part of roles such as
``{ref}``), math (``$...$``, ``$$...$$``, ``{math}`` blocks), ``{prf:proof}`` blocks (a
proof's steps are the check of its theorem) and directive options (``:label:``).

``ENFORCED`` lists the sources whose fragments must all be registered. The others are
scanned as well (so the scanner is known to run on them) but only reported:
``python tests/test_claims.py 07`` prints their unregistered occurrences.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import re
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.fp_insensitive

ROOT = Path(__file__).resolve().parents[1]
SOURCES = {p.stem[:2]: p for p in sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb"))}
SOURCES["teaching"] = ROOT / "book" / "teaching.md"

#: The sources whose every trigger must lie in a registered fragment.
ENFORCED = ["01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "teaching"]

TRIGGERS: dict[str, str] = {
    "range": r"\b(?:always|never|whatever|whichever|regardless|no matter|any|anything"
             r"|for all|however(?!,))\b",
    "trend": r"\b(?:shrink|grow|fall|rise|decrease|increase|decay|drop|spread|drift|vanish"
             r"|explode|converge|settle)(?:s|es)?\b(?:\s+\w+){0,2}?\s+(?:as|with|like"
             r"|in proportion|exponentially|geometrically|linearly|without bound)\b",
    "comparison": r"\b(?!(?:rather|other|whether|either|neither|ever|never)\b)(?:\w+er|more"
                  r"|less|fewer)\s+(?:\w+\s+)?than\b"
                  r"|\b(?:about|roughly|nearly|just|almost|at least|at most|twice) as\b"
                  r"|\b(?:agree|agrees|match|matches)\b",
}

_MASKED_DIRECTIVES = ("{code-cell}", "{code-block}", "{code}", "{literalinclude}", "{math}",
                      "{prf:proof}", "{glue")
_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})(.*)$")
_MASKS = [
    re.compile(r"\$\$.*?\$\$", re.S),                 # display math
    re.compile(r"(?<![\\$])\$[^$\n]+?\$"),            # inline math
    re.compile(r"`[^`\n]*`"),                         # inline code and the roles' targets
    re.compile(r"^:[a-z-]+:.*$", re.M),               # directive options
    re.compile(r"<!--.*?-->", re.S),                  # HTML comments
]


def _blank(match) -> str:
    text = match if isinstance(match, str) else match.group(0)
    return re.sub(r"[^\n]", " ", text)


def _mask_fences(text: str) -> str:
    """Blank the fenced blocks that hold code, math or a proof; keep other directives' text.

    Fences nest (MyST closes a block with a bare fence of the same character, at least as
    long as the opening one), so they are matched line by line with a stack.
    """
    lines = text.split("\n")
    stack: list[tuple[str, int, bool]] = []        # (fence, first line, masked)
    for i, line in enumerate(lines):
        m = _FENCE.match(line)
        if not m:
            continue
        fence, info = m.group(1), m.group(2).strip()
        top = stack[-1] if stack else None
        if top and not info and fence[0] == top[0][0] and len(fence) >= len(top[0]):
            stack.pop()
            if top[2] and not any(s[2] for s in stack):
                for j in range(top[1], i + 1):
                    lines[j] = _blank(lines[j])
        else:
            code = not info.startswith("{") or info.startswith(_MASKED_DIRECTIVES)
            stack.append((fence, i, code or bool(top and top[2])))
    return "\n".join(lines)


def source_text(name: str) -> str:
    """The markdown of a chapter (cells joined by blank lines) or of a page."""
    path = SOURCES[name]
    if path.suffix == ".md":
        return path.read_text(encoding="utf-8")
    nb = json.loads(path.read_text(encoding="utf-8"))
    return "\n\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")


def code_text(name: str) -> str:
    path = SOURCES[name]
    if path.suffix == ".md":
        return ""
    nb = json.loads(path.read_text(encoding="utf-8"))
    return "\n\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")


def masked(text: str) -> str:
    """``text`` with everything not scanned blanked out (same length, newlines kept)."""
    text = _mask_fences(text)
    for pattern in _MASKS:
        text = pattern.sub(_blank, text)
    return text.replace("*", " ")                       # emphasis: *faster* than


def triggers(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, kind)`` of every trigger word in the scanned part of ``text``."""
    scan = masked(text)
    found = []
    for kind, pattern in TRIGGERS.items():
        for m in re.finditer(pattern, scan, re.I):
            if m.group(0).lower() == "however":        # "However," starts a sentence
                before = scan[:m.start()].rstrip()
                if not before or before[-1] in ".!?":
                    continue
            found.append((m.start(), m.end(), kind))
    return sorted(found)


def fragment_spans(text: str, fragment: str) -> list[tuple[int, int]]:
    """Where ``fragment`` occurs in ``text``, any run of whitespace matching any other."""
    words = fragment.split()
    pattern = r"\s+".join(re.escape(w) for w in words)
    return [(m.start(), m.end()) for m in re.finditer(pattern, text)]


def _context(text: str, start: int, end: int, width: int = 70) -> str:
    return " ".join(text[max(0, start - width):end + width // 2].split())


REGISTRY_DIR = ROOT / "tests" / "claims"


def load_registry():
    """The package ``tests/claims/`` of this checkout, as ``claims``, whatever ``sys.path``
    holds. It is entered in ``sys.modules`` before it runs: its chapter files import
    ``claims._common``, and the dataclasses look their module up there."""
    loaded = sys.modules.get("claims")
    init = REGISTRY_DIR / "__init__.py"
    if loaded is not None and Path(loaded.__file__ or "").resolve() == init:
        return loaded                                   # already loaded from this checkout
    spec = importlib.util.spec_from_file_location(
        "claims", init, submodule_search_locations=[str(REGISTRY_DIR)])
    module = importlib.util.module_from_spec(spec)
    sys.modules["claims"] = module
    spec.loader.exec_module(module)
    return module


REGISTRY = load_registry()


def unregistered(name: str) -> list[str]:
    """Context of every trigger of ``name`` that no registered fragment covers."""
    text = source_text(name)
    spans = [span for entry in REGISTRY.ENTRIES.get(name, [])
             for span in fragment_spans(text, entry.text)]
    return [f"{kind} '{text[s:e]}': ...{_context(text, s, e)}..."
            for s, e, kind in triggers(text)
            if not any(a <= s and e <= b for a, b in spans)]


def _test_functions(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef):
            names |= {f"{node.name}::{n.name}" for n in node.body
                      if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    return names


def check_problem(name: str, check: str) -> str | None:
    """Why ``check`` (a named test or an assertion) does not exist, or ``None`` if it does."""
    if check.startswith("cell:"):
        snippet = check[len("cell:"):].strip()
        if not snippet.startswith("assert "):
            return f"a cell check must quote an assertion, got {snippet!r}"
        code = " ".join(code_text(name).split())
        return None if " ".join(snippet.split()) in code else f"no code cell has {snippet!r}"
    m = re.fullmatch(r"(tests/[\w/]+\.py)::(\w+(?:::\w+)?)", check)
    if not m:
        return f"a check is 'tests/test_x.py::test_name' or 'cell: assert ...', got {check!r}"
    path = ROOT / m.group(1)
    if not path.exists():
        return f"{m.group(1)} does not exist"
    if m.group(2) not in _test_functions(path):
        return f"{m.group(1)} has no test {m.group(2)}"
    return None


def test_every_registry_file_is_assembled():
    """Each file of tests/claims/ (but the shared ones) is the one ``file_of`` names for its
    source and is in ``SOURCES``: a chapter file left out would be skipped in silence."""
    files = {p.name for p in REGISTRY_DIR.glob("*.py")} - {"__init__.py", "_common.py"}
    listed = {Path(REGISTRY.file_of(name)).name: name for name in REGISTRY.SOURCES}
    assert files == set(listed), (
        f"tests/claims/ holds {sorted(files)}, tests/claims/__init__.py's SOURCES lists "
        f"{sorted(listed)}")
    for name, module in REGISTRY.SOURCES.items():
        assert Path(module.__file__) == ROOT / REGISTRY.file_of(name), (name, module.__file__)


def test_registry_entries_are_well_formed():
    for name, entries in REGISTRY.ENTRIES.items():
        assert name in SOURCES, f"registry names an unknown source {name!r}"
        for entry in entries:
            if isinstance(entry, REGISTRY.Claim):
                assert entry.checks, f"{name}: the claim '{entry.text}' names no check"
                assert entry.measured.strip(), f"{name}: the claim '{entry.text}' names no range"
            else:
                assert entry.reason in REGISTRY.REASONS, (
                    f"{name}: '{entry.text}': reason {entry.reason!r} is not one of "
                    f"{sorted(REGISTRY.REASONS)}")


@pytest.mark.parametrize("name", sorted(REGISTRY.ENTRIES))
def test_every_registered_fragment_occurs_once(name):
    text = source_text(name)
    for entry in REGISTRY.ENTRIES[name]:
        n = len(fragment_spans(text, entry.text))
        assert n == 1, f"{name}: the fragment '{entry.text}' occurs {n} times (must be once)"


@pytest.mark.parametrize("name", sorted(REGISTRY.ENTRIES))
def test_every_named_check_exists(name):
    problems = [f"'{entry.text}': {problem}"
                for entry in REGISTRY.ENTRIES[name] if isinstance(entry, REGISTRY.Claim)
                for check in entry.checks if (problem := check_problem(name, check))]
    assert not problems, f"{name}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("name", ENFORCED)
def test_every_generalising_word_is_registered(name):
    missing = unregistered(name)
    assert not missing, (
        f"{name}: sentences that generalise without a registered check; register each in "
        f"{REGISTRY.file_of(name)} with its check (or say less):\n  " + "\n  ".join(missing))


def test_the_scanner_reads_the_other_sources():
    """Sources not yet enforced (none at present; a new chapter starts here): the scanner
    runs on them (the integrator fills them in)."""
    for name in sorted(set(SOURCES) - set(ENFORCED)):
        assert source_text(name).strip()
        unregistered(name)


def test_the_scanner_can_fail():
    text = ("Twenty layers shrink it, whatever the weight. `any(x)` and $\\text{any}$.\n\n"
            "```{prf:proof}\nFor any $t$.\n```\n\n"
            "```{solution} x\n:class: dropdown\nIt grows like $t^2$ and is better than that.\n```\n\n"
            "However, the loss falls with depth; however large the gain. The two agree.")
    kinds = [(text[s:e], k) for s, e, k in triggers(text)]
    assert kinds == [("whatever", "range"), ("grows like", "trend"),
                     ("better than", "comparison"), ("falls with", "trend"),
                     ("however", "range"), ("agree", "comparison")], kinds
    assert fragment_spans(text, "shrink it,\n whatever") == [(14, 33)]
    assert check_problem("01", "tests/test_scalar.py::no_such_test") is not None
    assert check_problem("01", "tests/test_scalar.py::test_linear_tower_closed_form") is None
    assert check_problem("01", "cell: assert 1 == 2") is not None
    assert check_problem("01", "cell: x = 1") is not None



MASTERS = sorted((ROOT / "book" / "assignments" / "masters").glob("ch[0-9][0-9].ipynb"))


def _significant_lines(code: str) -> set[str]:
    """The simple statements of ``code`` (assignments, returns, asserts, calls) of at least
    20 characters, each written out by ``ast.unparse`` (so layout and comments do not
    matter); docstrings, ``def`` and ``import`` lines are left out."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        raise AssertionError(f"cannot parse this cell of a master:\n{code}") from None
    simple = (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Return, ast.Assert, ast.Expr)
    out = set()
    for node in ast.walk(tree):
        if not isinstance(node, simple):
            continue
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue                                        # a docstring
        text = ast.unparse(node)
        if len(text) >= 20:
            out.add(text)
    return out


def master_questions(path: Path) -> dict[str, tuple[set[str], list[str]]]:
    """question -> (significant lines of its reference solution, its hidden tests' code)."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    questions, name, part = {}, None, None
    for cell in nb["cells"]:
        src = "".join(cell["source"])
        if cell["cell_type"] == "raw":
            head = src.strip().splitlines()[0] if src.strip() else ""
            if head == "# BEGIN QUESTION":
                name = re.search(r"^name:\s*(\S+)", src, re.M).group(1)
                questions[name] = (set(), [])
            elif head in ("# BEGIN SOLUTION", "# BEGIN TESTS"):
                part = head.split()[-1]
            elif head in ("# END SOLUTION", "# END TESTS", "# END QUESTION"):
                part = None
        elif cell["cell_type"] == "code" and name and part == "SOLUTION":
            questions[name][0].update(_significant_lines(src))
        elif cell["cell_type"] == "code" and name and part == "TESTS" and "hidden: true" in src:
            questions[name][1].append(src)
    return questions


@pytest.mark.parametrize("path", MASTERS, ids=lambda p: p.stem)
def test_hidden_tests_embed_no_line_of_the_reference_solution(path):
    """book/teaching.md: hidden tests compare "never with the reference solution's own output".

    The hidden tests run against the submission alone, so the only way they could compare
    with the reference solution is to carry a copy of it: no line of a question's solution
    may occur in that question's hidden tests.
    """
    questions = master_questions(path)
    assert questions and all(hidden for _, hidden in questions.values() if _), path.name
    copied = {q: sorted(sol & set().union(*(_significant_lines(h) for h in hidden)))
              for q, (sol, hidden) in questions.items() if hidden}
    assert not any(copied.values()), f"{path.name}: hidden tests copy the solution: {copied}"


def test_the_copy_check_can_fail():
    solution = 'def f(x):\n    """Doc string."""\n    return x * 2 + some_constant  # SOLUTION\n'
    hidden = "def test(f):\n    want = x * 2 + some_constant\n    return (x*2 + some_constant)\n"
    assert _significant_lines(solution) == {"return x * 2 + some_constant"}
    assert _significant_lines(solution) & _significant_lines(hidden)


def test_the_tampering_reading_flags_what_the_teaching_page_names():
    """book/teaching.md lists the modules whose patching the marker flags from the text.

    The list in the prose must be exactly ``_submitted_code._GUARDED`` plus the builtins, and
    an assignment to, or a deletion of, an attribute or an item of each must be flagged,
    whatever name it is imported under; an unguarded module must not be.
    """
    pytest.importorskip("IPython")
    from lyaplearn.teacher import _submitted_code as sc

    text = " ".join(source_text("teaching").split())
    named = re.search(r"an attribute or an item of an imported (.*?) module or of the "
                      r"builtins", text)
    assert named, "the teaching page no longer says which modules are guarded"
    modules = set(re.findall(r"[A-Za-z]+", named.group(1).replace("`", ""))) - {"or"}
    assert modules | {"builtins"} == set(sc._GUARDED), (modules, sc._GUARDED)
    for module in sorted(set(sc._GUARDED)):
        for code in (f"import {module} as m\nm.f = None", f"import {module}\ndel {module}.f",
                     f"from {module} import x\nx.y = 1", f"import {module} as m\nm.d['k'] += 1"):
            found = sc.tampering([(0, code)])
            assert len(found) == 1 and found[0].startswith(f"cell 1 replaces {module}."), (code, found)
    assert "cell 1 replaces builtins.len" in sc.tampering([(0, "__builtins__.len = max")])
    assert sc.tampering([(0, "import json\njson.dumps = None\nf = max")]) == []
    for code, what in (("import gc\ngc.get_objects()", "gc"), ("import ctypes", "ctypes"), ("f.__globals__", "__globals__"),
                       ("exec('1')", "exec"), ("import numpy\nsetattr(numpy, 'b', 1)", "setattr"),
                       ("open('tests/q1.py')", "tests/q1.py"), ("open('/proc/keys')", "/proc/keys")):
        found = sc.tampering([(0, code)])
        assert len(found) == 1 and what in found[0], (code, found)


if __name__ == "__main__":          # print what the integrator still has to register
    for source in sys.argv[1:] or sorted(SOURCES):
        for line in unregistered(source):
            print(f"{source}: {line}")
