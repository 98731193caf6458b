"""Tests for the layout of the lyaplearn package: no import circles, hidden or not.

Every ``import`` of a lyaplearn module counts, at the top of a file or inside a function
(a circle hidden inside functions is still a circle: the two modules cannot be read, tested
or moved apart). The graph is between files; a package's ``__init__`` counts as its own file.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.fp_insensitive

PKG = Path(__file__).resolve().parents[1] / "lyaplearn"


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _resolve(current: str, is_package: bool, level: int, module: str | None) -> str:
    base = current.split(".")
    if not is_package:
        base = base[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join(base + ([module] if module else []))


def import_graph(root: Path = PKG) -> dict[str, set[str]]:
    """``{module: lyaplearn modules it imports}`` over every .py file under ``root``."""
    files = {_module_name(p, root): p for p in root.rglob("*.py") if "solutions" not in p.parts}
    graph: dict[str, set[str]] = {m: set() for m in files}
    for mod, path in files.items():
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = (_resolve(mod, is_package, node.level, node.module) if node.level
                        else node.module or "")
                targets = [base] + [f"{base}.{a.name}" for a in node.names]
            for t in targets:
                if t in files and t != mod:
                    graph[mod].add(t)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every circle found by depth-first search (each reported once, from a back edge)."""
    found, state, stack = [], {}, []

    def visit(m):
        state[m] = 1
        stack.append(m)
        for n in sorted(graph[m]):
            if state.get(n) == 1:
                found.append(stack[stack.index(n):] + [n])
            elif n not in state:
                visit(n)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)
    return found


def _ignoring_packages(graph):
    # a package's __init__ re-exports its own files, and its files import each other through
    # the package's name: edges between a package and its own files are its structure
    return {m: {n for n in ns if not (n.startswith(m + ".") or m.startswith(n + "."))}
            for m, ns in graph.items()}


def test_no_module_imports_another_that_imports_it_back():
    found = cycles(_ignoring_packages(import_graph()))
    assert found == [], "import circles: " + "; ".join(" -> ".join(c) for c in found)


def test_the_circle_finder_finds_a_hidden_circle(tmp_path):
    pkg = tmp_path / "lyaplearn"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from . import b\n")
    (pkg / "b.py").write_text("def f():\n    from .a import g\n")
    (pkg / "c.py").write_text("import lyaplearn.a\n")
    assert cycles(import_graph(pkg)) == [["lyaplearn.a", "lyaplearn.b", "lyaplearn.a"]]
