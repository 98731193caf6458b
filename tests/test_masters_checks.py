"""Tests for the checks in the coursework masters: only a right answer of the right kind scores.

Every auto-graded question of every master (``book/assignments/masters/chNN.ipynb``) is
taken apart as ``otter assign`` takes it apart: the code its solution cells define, and
its test cells (one public check, one hidden test) made into an otter test file. The
tests run here, in this process, through otter's own ``ExceptionTestFile``, as the marker
runs them (no sandbox: what crosses a sandbox is plain data, and here the checks must
hold against any Python object), against

* the master's own solution: every test passes, so the solutions keep full marks;
* hostile answers made from that solution: ``None``; an empty array of the right number of
  axes, and one with an extra axis of length 0, which broadcasts against anything
  (``np.allclose(np.zeros((0, 2)), want)`` is true: issue 25); an extra axis that broadcasts (``a[None]``, ``np.array([x])``); NaN; inf; a list
  where an array, tensor, tuple or number is expected; the right values in a wrong dtype
  (complex, a float for an int); an object array, a ``Fraction`` or an ndarray for a
  tensor; a subclass (of ndarray, Tensor, float, int or dict) that lies to
  ``np.allclose``, ``torch.allclose`` or ``==``; an object that says yes to every
  comparison; a proxy that converts to the right answer (``__array__``, ``__float__``,
  ``__iter__``) without being one; the zero answer; and functions that change their
  array arguments in place (to the identity or to zeros) and answer for the changed
  arguments, which passes a check that reads those arguments after the call.

Each hostile answer must fail the hidden test, so the question scores 0; one that breaks
the question's contract (type, shape, dtype, finite values) must fail the public check
too, so that a student learns the contract before handing in. A hostile answer that equals
the solution for every call (the zero answer where the answer is zero, a change in place
of a function that has no array argument) is not hostile and is skipped.
"""

from __future__ import annotations

import ast
import contextlib
import copy
import io
import json
import re
import tempfile
import warnings
import zipfile
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cache
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("otter", reason="the teacher's tools need their extra: pip install -e '.[teacher]'")
torch = pytest.importorskip("torch")
yaml = pytest.importorskip("yaml")

from IPython.core.inputtransformer2 import TransformerManager  # noqa: E402
from otter.test_files.exception_test import ExceptionTestFile  # noqa: E402

from lyaplearn.teacher import coursework as cw  # noqa: E402

pytestmark = pytest.mark.fp_insensitive

CHAPTERS = sorted(cw.masters())


# -- the masters, taken apart as otter assign takes them apart -----------------------------

@dataclass
class Question:
    chapter: str
    name: str
    points: float
    defined: set = field(default_factory=set)     # names the solution cells define
    cases: list = field(default_factory=list)     # (config, test function source), in order

    @property
    def params(self) -> list[str]:
        """The names the tests read from the notebook, in order."""
        names = []
        for _, src in self.cases:
            names += [a.arg for a in ast.parse(src).body[0].args.args]
        return list(dict.fromkeys(names))

    @property
    def answers(self) -> list[str]:
        """The student's answers: the names the tests read that the solution defines."""
        return [p for p in self.params if p in self.defined]


_CONFIG = re.compile(r'\s*"""\s*# BEGIN TEST CONFIG\n(.*?)"""\s*# END TEST CONFIG\n(.*)', re.DOTALL)


def _head(cell) -> str:
    src = "".join(cell["source"])
    return src.strip().split("\n", 1)[0].strip() if cell["cell_type"] == "raw" else ""


def _defined(src: str) -> set:
    names = set()
    for node in ast.parse(src).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            for target in (node.targets if isinstance(node, ast.Assign) else [node.target]):
                names |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
    return names


def questions(master: Path) -> list[Question]:
    """The auto-graded questions of a master, with their solutions' names and their tests."""
    nb = json.loads(Path(master).read_text(encoding="utf-8"))
    found, q, block = [], None, None
    for cell in nb["cells"]:
        head, src = _head(cell), "".join(cell["source"])
        if head == "# BEGIN QUESTION":
            config = yaml.safe_load(src.split("\n", 1)[1])
            q = None if config.get("manual") else Question(Path(master).stem, config["name"], config["points"])
        elif head == "# END QUESTION":
            if q is not None:
                found.append(q)
            q = None
        elif head in ("# BEGIN SOLUTION", "# BEGIN TESTS"):
            block = head.split()[-1]
        elif head in ("# END SOLUTION", "# END TESTS"):
            block = None
        elif q is not None and cell["cell_type"] == "code" and block == "SOLUTION":
            q.defined |= _defined(src)
        elif q is not None and cell["cell_type"] == "code" and block == "TESTS":
            m = _CONFIG.match(src)
            assert m, f"{q.chapter} {q.name}: a test cell must open with its TEST CONFIG"
            tree = ast.parse(m.group(2))
            assert len(tree.body) == 1 and isinstance(tree.body[0], ast.FunctionDef), (
                f"{q.chapter} {q.name}: a test cell must hold exactly one function")
            q.cases.append((yaml.safe_load(m.group(1)) or {}, ast.unparse(tree.body[0])))
    return found


def _test_file(q: Question) -> str:
    """The otter test file of a question, as otter assign writes it (exception format)."""
    lines = ["from otter.test_files import test_case", "", "OK_FORMAT = False", "",
             f"name = {q.name!r}", f"points = {q.points!r}", ""]
    for config, src in q.cases:
        lines += [f"@test_case(points={config.get('points')!r}, hidden={bool(config.get('hidden', False))})",
                  src, ""]
    return "\n".join(lines)


@cache
def _namespace(master: Path) -> dict:
    """The master's code cells (setup and solutions, not the tests) run in one namespace."""
    nb = json.loads(Path(master).read_text(encoding="utf-8"))
    ns: dict = {"__name__": "__main__"}
    transform, block = TransformerManager().transform_cell, None
    # in a folder of its own: otter.Notebook writes its .OTTER_LOG where it runs
    with tempfile.TemporaryDirectory() as tmp, contextlib.chdir(tmp), contextlib.redirect_stdout(io.StringIO()):
        for i, cell in enumerate(nb["cells"]):
            head = _head(cell)
            if head in ("# BEGIN TESTS", "# END TESTS"):
                block = head
            if cell["cell_type"] == "code" and block != "# BEGIN TESTS":
                exec(compile(transform("".join(cell["source"])), f"<{master.name} cell {i}>", "exec"), ns)
    return ns


@cache
def _all_questions() -> dict:
    return {(c, q.name): q for c, m in cw.masters().items() for q in questions(m)}


def run(q: Question, answers: dict) -> list[tuple[bool, bool, str]]:
    """``(hidden, passed, message)`` of each test of ``q``, the notebook's answers replaced by
    ``answers``; the other values the tests read (ch06's ``lstm``, ``x``, ...) are copies."""
    ns = _namespace(cw.masters()[q.chapter])
    env = dict(ns)
    for p in q.params:
        if p in ns and not callable(ns[p]):
            env[p] = copy.deepcopy(ns[p])
    env.update(answers)
    tf = ExceptionTestFile.from_string(_test_file(q), path=f"{q.name}.py")
    tf.run(env)
    return [(bool(r.test_case.hidden), bool(r.passed), r.message) for r in tf.test_case_results]


# -- hostile answers ------------------------------------------------------------------------

class _Liar:
    """Says yes to every comparison and shrinks every difference to 0; its numbers are 0."""

    def __init__(self, answer):
        try:
            self.shape = () if isinstance(answer, dict) else np.shape(answer)
        except ValueError:               # a tuple of arrays of different shapes
            self.shape = ()
        self._n = len(answer) if hasattr(answer, "__len__") else 1

    def __eq__(self, other):
        return True

    __le__ = __ge__ = __lt__ = __gt__ = __eq__
    __hash__ = object.__hash__

    def __ne__(self, other):
        return False

    def __abs__(self):
        return 0.0

    def _me(self, *other):
        return self

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __rtruediv__ = _me
    __matmul__ = __rmatmul__ = __pow__ = __neg__ = __getitem__ = _me

    def __len__(self):
        return self._n

    def __iter__(self):
        return iter([self] * self._n)

    def __array__(self, dtype=None, copy=None):
        return np.zeros(self.shape, dtype=dtype)

    def __float__(self):
        return 0.0

    def __int__(self):
        return 0

    __index__ = __int__


class _Proxy:
    """Converts to the right answer (``__array__``, ``__float__``, ``__iter__``, ``[]``,
    attributes) without being an answer of the right type."""

    def __init__(self, answer):
        self._a = answer

    def __getattr__(self, name):
        if name == "_a":
            raise AttributeError(name)
        return getattr(self._a, name)

    def __array__(self, dtype=None, copy=None):
        a = self._a.detach().numpy() if isinstance(self._a, torch.Tensor) else self._a
        return np.asarray(a, dtype=dtype)

    __hash__ = None


for _name in ("add radd sub rsub mul rmul truediv rtruediv matmul rmatmul pow rpow neg abs eq ne lt le gt ge "
              "float int index len iter getitem contains bool round").split():
    setattr(_Proxy, f"__{_name}__", lambda self, *args, _n=f"__{_name}__": getattr(self._a, _n)(*args))


class _ArraySub(np.ndarray):
    """An ndarray of zeros that tells ``np.allclose``, ``np.isclose`` and ``np.array_equal`` it is right."""

    def __array_function__(self, func, types, args, kwargs):
        if func in (np.allclose, np.isclose, np.array_equal):
            return True
        return super().__array_function__(func, types, args, kwargs)


class _TensorSub(torch.Tensor):
    """A tensor of zeros that tells ``torch.allclose`` it is right."""

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        if func is torch.allclose:
            return True
        return super().__torch_function__(func, types, args, kwargs or {})


class _FloatSub(float):
    """The float 0.0 that equals everything and whose differences are 0."""

    def __eq__(self, other):
        return True

    __hash__ = float.__hash__

    def __sub__(self, other):
        return _FloatSub(0.0)

    __rsub__ = __sub__


class _IntSub(int):
    """The int 0 that equals everything."""

    def __eq__(self, other):
        return True

    __hash__ = int.__hash__


class _DictSub(dict):
    """A dict subclass holding the right values."""


#: Answers that break a question's contract (type, shape, dtype, finite values): the public check must reject them too.
CONTRACT = ("none", "liar", "proxy", "empty", "empty-axis", "extra-axis", "nan", "inf", "list", "dtype", "object", "subclass")
#: Wrong values of the right kind, and functions that change their arguments: only the hidden test must reject them.
VALUES = ("zero",)
MUTATIONS = ("mutate-identity", "mutate-zero")


def hostile(kind: str, a):
    """A hostile version ``kind`` of the right answer ``a``."""
    if kind == "none":
        return None
    if kind == "liar":
        return _Liar(a)
    if kind == "proxy":
        return _Proxy(a)
    if isinstance(a, tuple):
        return list(a) if kind == "list" else tuple(hostile(kind, v) for v in a)
    if isinstance(a, dict):
        return _DictSub(a) if kind == "subclass" else {k: hostile(kind, v) for k, v in a.items()}
    if isinstance(a, torch.Tensor):
        a = a.detach()
        return {"empty": lambda: torch.zeros((0,) + tuple(a.shape[1:]), dtype=a.dtype),
                "empty-axis": lambda: torch.zeros((0,) + tuple(a.shape), dtype=a.dtype),
                "extra-axis": lambda: a[None], "nan": lambda: torch.full_like(a, float("nan")),
                "inf": lambda: torch.full_like(a, float("inf")), "list": lambda: a.tolist(),
                "dtype": lambda: a.to(torch.complex128), "object": lambda: a.numpy().copy(),
                "subclass": lambda: torch.zeros_like(a).as_subclass(_TensorSub),
                "zero": lambda: torch.zeros_like(a)}[kind]()
    if isinstance(a, np.ndarray):
        return {"empty": lambda: np.zeros((0,) + a.shape[1:]), "empty-axis": lambda: np.zeros((0,) + a.shape),
                "extra-axis": lambda: a[None],
                "nan": lambda: np.full(a.shape, np.nan), "inf": lambda: np.full(a.shape, np.inf),
                "list": lambda: a.tolist(), "dtype": lambda: a.astype(complex), "object": lambda: a.astype(object),
                "subclass": lambda: np.zeros(a.shape).view(_ArraySub), "zero": lambda: np.zeros_like(a)}[kind]()
    if isinstance(a, (int, np.integer)) and not isinstance(a, (bool, np.bool_)):
        return {"empty": lambda: np.zeros(0, dtype=int), "empty-axis": lambda: np.zeros((0, 1), dtype=int),
                "extra-axis": lambda: np.array([a]),
                "nan": lambda: float("nan"), "inf": lambda: float("inf"), "list": lambda: [a],
                "dtype": lambda: float(a), "object": lambda: Fraction(int(a)), "subclass": lambda: _IntSub(0),
                "zero": lambda: 0}[kind]()
    if isinstance(a, (float, np.floating)):
        return {"empty": lambda: np.zeros(0), "empty-axis": lambda: np.zeros((0, 1)), "extra-axis": lambda: np.array([a]),
                "nan": lambda: float("nan"), "inf": lambda: float("inf"), "list": lambda: [a],
                "dtype": lambda: complex(a),
                "object": lambda: Fraction(float(a)) if np.isfinite(a) else np.array(a, dtype=object),
                "subclass": lambda: _FloatSub(0.0), "zero": lambda: 0.0}[kind]()
    raise TypeError(f"no hostile {kind!r} answer for a {type(a).__name__}")


def same(h, a) -> bool:
    """Whether ``h`` is ``a``: the same type and the same values."""
    if type(h) is not type(a):
        return False
    if isinstance(a, (tuple, list)):
        return len(h) == len(a) and all(same(x, y) for x, y in zip(h, a))
    if isinstance(a, dict):
        return h.keys() == a.keys() and all(same(h[k], a[k]) for k in a)
    if isinstance(a, np.ndarray):
        return h.dtype == a.dtype and h.shape == a.shape and bool(np.array_equal(h, a))
    if isinstance(a, torch.Tensor):
        return h.dtype == a.dtype and h.shape == a.shape and bool(torch.equal(h, a))
    return bool(h == a)


def mutate(value, how: str) -> bool:
    """Change ``value`` in place: square matrices (and stacks of them) to the identity
    (``how="identity"``) or every float entry to 0 (``how="zero"``); True if it changed."""
    if isinstance(value, list):
        changed = False
        for i, v in enumerate(value):
            if how == "zero" and isinstance(v, (int, float)) and not isinstance(v, bool):
                changed |= v != 0
                value[i] = type(v)(0)
            else:
                changed |= mutate(v, how)
        return changed
    if isinstance(value, torch.nn.Module):
        with torch.no_grad():
            return any([mutate(p.data, how) for p in value.parameters()])   # a list: change them all
    if isinstance(value, torch.Tensor) and value.is_floating_point() and not value.requires_grad:
        value = value.numpy()            # shares the tensor's memory
    if not (isinstance(value, np.ndarray) and value.dtype.kind == "f" and value.size and value.flags.writeable):
        return False
    before = value.copy()
    if how == "zero":
        value[...] = 0.0
    elif value.ndim >= 2 and value.shape[-1] == value.shape[-2]:
        value[...] = np.eye(value.shape[-1])
    return not np.array_equal(before, value)


def hostile_function(solution, kind: str, log: list):
    """The solution turned hostile; ``log`` gets one bool per call: did the answer differ?"""
    def answer(*args, **kwargs):
        if kind in MUTATIONS:
            how = kind.split("-")[1]
            log.append(any([mutate(v, how) for v in (*args, *kwargs.values())]))   # all, not the first
            return solution(*args, **kwargs)
        right = solution(*args, **kwargs)
        wrong = hostile(kind, right)
        log.append(not same(wrong, right))
        return wrong

    answer.__name__ = solution.__name__
    return answer


def hostile_runs(q: Question):
    """``(what, kind, results)`` for each hostile answer of each answer name of ``q`` that
    differs from the solution somewhere (one answer name hostile at a time)."""
    ns = _namespace(cw.masters()[q.chapter])
    for name in q.answers:
        right = ns[name]
        kinds = CONTRACT + VALUES + (MUTATIONS if callable(right) else ())
        for kind in kinds:
            log: list = []
            if callable(right):
                value = hostile_function(right, kind, log)
            else:
                value = hostile(kind, right)
                log.append(not same(value, right))
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                results = run(q, {name: value})
            if any(log):
                yield name, kind, results


# -- the tests --------------------------------------------------------------------------------

QUESTIONS = sorted(_all_questions())


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_auto_graded_question_has_a_public_check_and_a_hidden_test(chapter):
    for q in questions(cw.masters()[chapter]):
        kinds = [(bool(c.get("hidden")), c.get("points")) for c, _ in q.cases]
        assert kinds == [(False, 0), (True, q.points)], f"{chapter} {q.name}: {kinds}"
        assert q.answers, f"{chapter} {q.name}: the tests read nothing that the solution defines"


def test_the_tests_taken_apart_here_are_the_ones_otter_assign_writes(tmp_path):
    made = cw.generate(tmp_path)
    for (chapter, name), q in _all_questions().items():
        with zipfile.ZipFile(made[chapter]["autograder"]) as z:
            written = ast.parse(z.read(f"tests/{name}.py").decode("utf-8"))
        ours = ast.parse(_test_file(q))
        assert ast.dump(written) == ast.dump(ours), f"{chapter} {name}"


@pytest.mark.parametrize("chapter, name", QUESTIONS)
def test_the_masters_solution_passes_every_test(chapter, name):
    q = _all_questions()[chapter, name]
    failed = [m for _, passed, m in run(q, {}) if not passed]
    assert not failed, "\n".join(failed)


@pytest.mark.parametrize("chapter, name", QUESTIONS)
def test_hostile_answers_score_nothing(chapter, name):
    q = _all_questions()[chapter, name]
    wrong, tried = [], {}
    for what, kind, results in hostile_runs(q):
        tried.setdefault(what, set()).add(kind)
        for hidden, passed, message in results:
            if passed and (hidden or kind in CONTRACT):
                wrong.append(f"{what} {kind}: the {'hidden' if hidden else 'public'} test passed")
    for what in q.answers:     # every answer breaking the contract differs from the solution: all must have run
        assert set(CONTRACT) <= tried.get(what, set()), f"{what}: {sorted(set(CONTRACT) - tried.get(what, set()))} never ran"
    assert not wrong, "\n".join(wrong)
