"""The code of a submitted notebook, read by the marker outside the sandbox.

Two things are decided here, from the notebook's text alone, before any of it runs:

* which code runs: every code cell, with its calls of the student's own ``grader``
  (``grader.check("q1")``, ``grader.check_all()``, ``grader.export()``) taken out, so
  that an answer cell that also checks itself is still run, and a check cell is skipped;
* whether the code tampers: it replaces functions of numpy, torch, otter, ``math``,
  ``sys`` or the builtins, reaches into the interpreter (``gc.get_objects``, ``ctypes``,
  ``sys.modules``, frames, ``__globals__``, a guarded module's ``__dict__``, ...), runs code
  it builds at run time (``exec``, ``eval``), or names the grader's files or the machine's
  (``tests/q1.py``, ``/proc/keys``, ``/proc/self/...``) outside a docstring. What honest
  code also does (``pickle``, ``globals()``, ``breakpoint()``) is only noted for the
  teacher (:func:`reading`), and ``setattr``, ``vars`` and ``__dict__`` on the student's
  own objects, ``gc.collect()``, ``.modules()`` and ``/proc/cpuinfo`` are not flagged.

The verdict is the marker's, computed on the text: nothing the sandbox reports is taken
into account, so no code can rewrite it. Code that hides what it does from this reading
(built from strings at run time) is itself flagged; and whatever it does, it cannot change
a mark, since every comparison runs outside the sandbox.

Examples
--------
>>> runnable_cells({"cells": [{"cell_type": "code", "source": "x = 1\\ngrader.check('q1')"},
...                           {"cell_type": "code", "source": "grader.check('q2')"}]})
[(0, 'x = 1\\n')]
>>> tampering([(0, "import numpy as np\\nnp.allclose = lambda *a, **k: True")])
['cell 1 replaces numpy.allclose']
"""

from __future__ import annotations

import ast
import re

__all__ = ["runnable_cells", "tampering", "reading", "too_large", "MAX_CELL_CHARS", "MAX_CODE_CHARS", "MAX_MAGIC_LINES"]

#: Largest code cell, all code cells together (characters), and most IPython magic or shell
#: lines (``%time``, ``!ls``, ``x = %who``, ``obj?``) in one code cell that the marker reads.
#: IPython turns magics into Python one at a time, each time reading the whole cell again, so
#: their cost grows with their number times the cell's size: above these bounds (400 magics
#: took minutes, a 2 MB cell most of a minute and a gigabyte) a notebook is not read.
MAX_CELL_CHARS, MAX_CODE_CHARS, MAX_MAGIC_LINES = 256 * 1024, 512 * 1024, 32
#: Most magic lines times the cell's size, in characters, for one cell and for the notebook.
MAX_MAGIC_WORK, MAX_MAGIC_WORK_TOTAL = 512 * 1024, 2 * 1024 * 1024
_MAGIC = re.compile(r"^[ \t]*[%!]|=[ \t]*[%!]|^[^#\n]*\?[ \t]*$", re.M)

_GRADER_CALLS = {"check", "check_all", "export", "to_pdf", "run_plugin", "add_plugin_files"}
_GUARDED = ("numpy", "torch", "otter", "math", "builtins", "sys", "IPython", "scipy")
# assignments an honest notebook makes to a guarded module: settings, not functions
_ALLOWED = ("torch.backends.",)
_INTERPRETER_MODULES = {"ctypes", "_ctypes", "cffi", "_thread", "sysconfig"}
# the calls of gc that walk the interpreter's objects (gc.collect() does not)
_GC_WALKS = {"get_objects", "get_referrers", "get_referents"}
_INTERPRETER_ATTRS = {"__globals__", "__code__", "__closure__", "__subclasses__", "__builtins__",
                      "__bases__", "__mro__", "f_globals", "f_locals", "f_back", "f_builtins", "gi_frame",
                      "tb_frame", "cr_frame", "_getframe", "__loader__", "__spec__", *_GC_WALKS}
_DYNAMIC = {"exec", "eval", "compile", "__import__"}
# flagged only when what they reach is a guarded module (``setattr(np, ...)``, ``np.__dict__``)
_ON_MODULES = {"setattr", "delattr", "vars"}
# noted for the teacher to look at, marks kept: honest code uses them, and they change no mark
_NOTED_MODULES = {"pickle", "dill", "cloudpickle", "marshal"}
_NOTED_CALLS = {"globals", "breakpoint"}
_PROC_INFO = r"(?:cpuinfo|meminfo|loadavg|uptime|version|stat)\b(?!/)"
_FILES = re.compile(rf"(^|/)tests?/|autograder|\.zip\b|masters|/proc/(?!{_PROC_INFO})|/sys/|keyctl|keyring|\.otter",
                    re.I)


def too_large(nb: dict) -> str | None:
    """Why the code of ``nb`` is too large for the marker to read (its raw text measured before
    anything parses it), or ``None``.

    >>> too_large({"cells": [{"cell_type": "code", "source": "%time x = 1\\n" * 40}]})
    'code cell 1 has more than 32 IPython magic or shell lines'
    """
    total = work = 0
    for i, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        src = cell["source"]
        total += len(src)
        if len(src) > MAX_CELL_CHARS:
            return f"code cell {i + 1} holds {len(src):,} characters (more than {MAX_CELL_CHARS:,})"
        magics = sum(1 for _ in zip(range(MAX_MAGIC_LINES + 1), _MAGIC.finditer(src)))
        if magics > MAX_MAGIC_LINES:
            return f"code cell {i + 1} has more than {MAX_MAGIC_LINES} IPython magic or shell lines"
        if magics * len(src) > MAX_MAGIC_WORK:
            return (f"code cell {i + 1} has {magics} IPython magic or shell lines in {len(src):,} characters "
                    f"(their product is over {MAX_MAGIC_WORK:,})")
        work += magics * len(src)
    if total > MAX_CODE_CHARS:
        return f"its code cells hold {total:,} characters (more than {MAX_CODE_CHARS:,})"
    if work > MAX_MAGIC_WORK_TOTAL:
        return f"its IPython magic or shell lines times their cells' sizes are over {MAX_MAGIC_WORK_TOTAL:,}"
    return None


def _python(source: str) -> str:
    from IPython.core.inputtransformer2 import TransformerManager
    try:
        return TransformerManager().transform_cell(source)
    except Exception:            # noqa: BLE001 - the sandbox reports the cell's own error
        return source


def _is_grader_call(stmt: ast.stmt) -> bool:
    if not isinstance(stmt, ast.Expr) or not isinstance(stmt.value, ast.Call):
        return False
    f = stmt.value.func
    return isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "grader" \
        and f.attr in _GRADER_CALLS


def runnable_cells(nb: dict) -> list[tuple[int, str]]:
    """``(cell index, Python source)`` of the code cells to run, the student's grader calls removed."""
    out = []
    for i, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        src = _python(cell["source"])
        try:
            tree = ast.parse(src)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            out.append((i, cell["source"]))      # the sandbox reports its syntax error
            continue
        drop = set()
        for stmt in tree.body:
            if _is_grader_call(stmt):
                drop |= set(range(stmt.lineno, (stmt.end_lineno or stmt.lineno) + 1))
        if drop:
            lines = src.splitlines(keepends=True)
            src = "".join(line for k, line in enumerate(lines, 1) if k not in drop)
        if src.strip():
            out.append((i, src))
    return out


def _dotted(node, aliases: dict[str, str]) -> str | None:
    """``numpy.linalg.norm`` for ``np.linalg.norm`` (and subscripts of it), if rooted in a guarded module."""
    parts = []
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        if isinstance(node, ast.Attribute):
            parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name) and node.id in aliases:
        return ".".join([aliases[node.id], *reversed(parts)])
    return None


def tampering(cells: list[tuple[int, str]], most: int = 8) -> list[str]:
    """What the code does to the marker's world, one line per finding (at most ``most``)."""
    return reading(cells, most)[0]


def reading(cells: list[tuple[int, str]], most: int = 8) -> tuple[list[str], list[str]]:
    """``(flagged, noted)``: what the code does to the marker's world (:func:`tampering`), and
    what honest code also does but a teacher may want to look at (``pickle``, ``globals()``,
    ``breakpoint()``), one line per finding, at most ``most`` of each.

    >>> reading([(0, "import gc, pickle\\ngc.collect()\\nglobals()['x'] = 1")])
    ([], ['cell 1 imports pickle', 'cell 1 calls globals'])
    """
    found: list[str] = []
    noted: list[str] = []

    def note(i: int, what: str, into: list[str] = found) -> None:
        line = f"cell {i + 1} {what}"
        if line not in into and len(into) < most:
            into.append(line)

    aliases: dict[str, str] = {"__builtins__": "builtins"}
    for i, src in cells:
        try:
            tree = ast.parse(_python(src))
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        # a bare string statement (a docstring) is prose: the file names it mentions are not opened
        prose = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    root = a.name.split(".")[0]
                    if root in _GUARDED:
                        aliases[a.asname or root] = a.name if a.asname else root
                    if root in _INTERPRETER_MODULES:
                        note(i, f"reaches into the interpreter (imports {a.name})")
                    if root in _NOTED_MODULES:
                        note(i, f"imports {a.name}", noted)
            elif isinstance(node, ast.ImportFrom) and node.module:
                root = node.module.split(".")[0]
                for a in node.names:
                    if root in _GUARDED:
                        aliases[a.asname or a.name] = f"{node.module}.{a.name}"
                    if root == "gc" and a.name in (_GC_WALKS | {"*"}) or root == "sys" and a.name == "modules":
                        note(i, f"reaches into the interpreter ({root}.{a.name})")
                if root in _INTERPRETER_MODULES:
                    note(i, f"reaches into the interpreter (imports from {node.module})")
                if root in _NOTED_MODULES:
                    note(i, f"imports from {node.module}", noted)
            elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
                targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
                for t in targets:
                    inner: set[int] = set()   # the rest of a chain already judged by its head
                    for sub in ast.walk(t):
                        if id(sub) in inner or not isinstance(sub, (ast.Attribute, ast.Subscript)):
                            continue
                        link = sub.value
                        while isinstance(link, (ast.Attribute, ast.Subscript)):
                            inner.add(id(link))
                            link = link.value
                        name = _dotted(sub, aliases)
                        if name and not name.startswith(_ALLOWED):
                            note(i, f"replaces {name}")
                            break
            elif isinstance(node, ast.Attribute) and node.attr in _INTERPRETER_ATTRS:
                note(i, f"reaches into the interpreter ({'gc.' if node.attr in _GC_WALKS else ''}{node.attr})")
            elif isinstance(node, ast.Attribute) and (node.attr == "__dict__" and _dotted(node.value, aliases)
                                                      or _dotted(node, aliases) == "sys.modules"):
                note(i, f"reaches into the interpreter ({_dotted(node, aliases)})")
            elif isinstance(node, ast.Name) and node.id in ("__builtins__", "__loader__"):
                note(i, f"reaches into the interpreter ({node.id})")
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                f = node.func.id
                if f in _DYNAMIC:
                    note(i, f"runs or changes code at run time ({f})")
                elif f in _ON_MODULES and node.args and _dotted(node.args[0], aliases):
                    note(i, f"runs or changes code at run time ({f} on {_dotted(node.args[0], aliases)})")
                elif f in _NOTED_CALLS:
                    note(i, f"calls {f}", noted)
            elif isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)) and id(node) not in prose:
                text = node.value.decode("latin-1") if isinstance(node.value, bytes) else node.value
                m = _FILES.search(text)
                if m:
                    note(i, f"names the grader's or the machine's files ({text[:60]!r})")
        if len(found) >= most:
            break
    return found, noted
