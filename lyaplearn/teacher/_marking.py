"""Marking one submitted notebook: its cells in a sandbox, its tests here (``make grade``).

:func:`grade_notebook` (re-exported by :mod:`lyaplearn.teacher.coursework`, whose ``grade``
marks a folder) runs the notebook's code cells in a fresh sandbox and then the
assignment's tests in this process, calling the submission's functions across the
boundary. The rules it follows, written for teachers in ``book/teaching.md``:

* **nothing computed inside the sandbox is trusted**: tampering is judged from the
  notebook's text, outside (``_submitted_code.tampering``); the sandbox only returns
  plain, size-bounded values, which the tests compare here; a reply an honest worker
  never sends ends the session, kills the sandbox and withholds the marks;
* **nothing from a hidden test goes back to a student**: every public check runs first,
  before any hidden test has called the submission, so a public check's message (which
  students see) cannot quote a hidden input; hidden tests are reported as passed or
  failed only;
* **arguments go in by value**: what a function does to its arguments stays in the sandbox;
* **every limit is per submission**: one wall-clock :class:`~lyaplearn.teacher.sandbox.Budget`
  for the cells, their reruns after a crash and every call of the tests; the cells may
  use half of it, so that a notebook stopped at a cell can still be run again up to that
  cell and tested in the other half.

Examples
--------
>>> _assignment_of({"metadata": {"otter": {"assignment_name": "ch01"}}}, "ada_ch03.ipynb")[0]
'ch01'
>>> _assignment_of({"metadata": {"otter": {"assignment_name": "ch01"}}}, "ada_ch03.ipynb")[1][0][:40]
'its file name says ch03, but the noteboo'
"""

from __future__ import annotations

import json
import re
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from lyaplearn.teacher import _submissions
from lyaplearn.teacher._masters import _config_blocks, manual_questions
from lyaplearn.teacher._submissions import Submission, indented, name_notes, printable
from lyaplearn.teacher._submitted_code import reading, runnable_cells
from lyaplearn.teacher.sandbox import Budget, Limits, SandboxError, SandboxTimeout, SandboxViolation, Session

_NAME = re.compile(r"ch\d\d")
#: Longest message of one test case kept in the feedback, in characters.
MAX_TEST_MESSAGE = 2000


@dataclass
class Graded:
    """The marks of one submitted notebook."""

    notebook: str
    assignment: str
    scores: dict[str, float] = field(default_factory=dict)   # auto-graded question -> points scored
    possible: dict[str, float] = field(default_factory=dict)  # auto-graded question -> points possible
    manual: dict[str, float] = field(default_factory=dict)    # hand-marked question -> points possible
    feedback: str = ""                                         # for the student: hidden tests' messages withheld
    teacher_feedback: str = ""                                 # every message, for the teacher
    notes: list[str] = field(default_factory=list)             # timed out, tampering, ... (grades.csv column "note")
    cell_errors: list = field(default_factory=list)            # (cell number, "Error: message") of cells that raised
    sandbox_failed: bool = False                               # the sandbox did not start at all

    @property
    def total(self) -> float:
        return float(sum(self.scores.values()))

    @property
    def total_possible(self) -> float:
        return float(sum(self.possible.values()))


def _assignment_of(nb: dict | None, filename: str) -> tuple[str | None, list[str]]:
    """``(assignment, notes)``: from ``metadata.otter`` (with a note if the file name names another
    chapter), else from a ``chNN`` in the file name (with a note), else ``(None, [reason])``."""
    meta = nb.get("metadata") if isinstance(nb, dict) else None
    otter = meta.get("otter") if isinstance(meta, dict) else None
    name = otter.get("assignment_name") if isinstance(otter, dict) else None
    in_name = _NAME.search(filename)
    if isinstance(name, str) and _NAME.fullmatch(name):
        if in_name and in_name.group(0) != name:
            return name, [f"its file name says {in_name.group(0)}, but the notebook is the assignment {name} "
                          f"(its metadata): marked as {name}"]
        return name, []
    if in_name:
        return in_name.group(0), [f"metadata.otter is missing: marked as {in_name.group(0)}, "
                                  "the chapter its file name names"]
    return None, ["cannot tell which assignment this is: its metadata has no otter.assignment_name "
                  "and its file name contains no chNN; rename it (e.g. ada_ch02.ipynb) and mark again"]


def _hidden_tests(autograder_zip: Path) -> dict[str, str]:
    """``{question: test file source}``, read from the zip in memory (nothing is extracted)."""
    with zipfile.ZipFile(autograder_zip) as z:
        return {Path(n).stem: z.read(n).decode("utf-8") for n in sorted(z.namelist())
                if n.startswith("tests/") and n.endswith(".py")}


def _run_cells(nb_text: str, name: str, cells, limits: Limits, isolate: bool, budget: Budget, deadline: float,
               upto: int | None = None, errors: list | None = None):
    """Start a sandbox and run ``cells[:upto]`` until ``deadline``; returns ``(session or None, cells run,
    timed-out cell or None, why it stopped or None)``. Errors of cells go to ``errors``."""
    try:
        session = Session(nb_text, f"{name}.ipynb", limits, use_bwrap=isolate, budget=budget)
    except SandboxTimeout:
        return None, 0, None, "the notebook's time budget is spent"
    except SandboxError as exc:
        return None, 0, None, f"the sandbox did not start: {exc}"
    todo = cells if upto is None else cells[:upto]
    for k, (i, src) in enumerate(todo):
        try:
            err = session.run_cell(i, src, deadline)
            if err is not None and errors is not None:
                errors.append((i + 1, printable(err)))
        except SandboxTimeout:
            return None, k, i, None
        except SandboxViolation as exc:
            return None, k, None, str(exc)
        except SandboxError as exc:    # crashed (killed for memory, say): what ran before still counts
            return None, k, None, str(exc)
    return session, len(todo), None, None


class _Revivable:
    """Calls into a submission's sandbox, starting a fresh one (cells run again) if a call killed it,
    within the submission's budget; never after the sandbox broke the protocol."""

    def __init__(self, session, start, most: int = 3):
        self.session, self._start, self._most, self.restarts = session, start, most, 0
        self.violation: str | None = None

    @property
    def alive(self) -> bool:
        return self.session is not None and self.session.alive

    def call(self, name, args, kwargs):
        if self.violation is not None:
            raise SandboxError(f"cannot call {name}: the sandbox broke the protocol")
        if not self.alive:
            if self.restarts >= self._most:
                raise SandboxError(f"cannot call {name}: the sandbox was restarted {self._most} times already")
            self.restarts += 1
            self.close()
            self.session = self._start()
            if self.session is None:
                raise SandboxError(f"cannot call {name}: the notebook did not run again in a fresh sandbox")
        try:
            return self.session.call(name, args, kwargs)
        except SandboxViolation as exc:
            self.violation = str(exc)
            raise

    def close(self):
        if self.session is not None:
            self.session.close()


def _test_params(source: str) -> list[str]:
    names = []
    for m in re.finditer(r"^def test_\w+\(([^)]*)\)", source, flags=re.M):
        names += [p.strip().split("=")[0].strip() for p in m.group(1).split(",") if p.strip()]
    return list(dict.fromkeys(n for n in names if n and n != "env"))


def _run_case(tf, tc, env):
    """One test case of an otter test file, as otter's own ``run`` runs it."""
    from otter.test_files.abstract_test import TestCaseResult
    try:
        tc.body.call_func(env)
        return TestCaseResult(test_case=tc, message="✅ Test case passed", passed=True)
    except Exception as exc:      # noqa: BLE001 - a failed test, whatever it raised
        msg = "❌ Test case failed\n" + tf._generate_error_message(exc)
        return TestCaseResult(test_case=tc, message=printable(msg)[:MAX_TEST_MESSAGE], passed=False)


def grade_notebook(submission, autograder_zip, master=None, *, limits: Limits | None = None,
                   isolate: bool = True) -> Graded:
    """Mark one notebook: its code runs in a sandbox, the tests run here; see ``coursework.grade``."""
    from otter.test_files.exception_test import ExceptionTestFile


    limits = Limits() if limits is None else limits
    if not isinstance(limits, Limits):
        raise ValueError(f"limits must be a lyaplearn.teacher.sandbox.Limits, got {type(limits).__name__}")
    if isinstance(submission, Submission):
        sub = submission
    else:
        path = Path(submission)
        if path.suffix != ".ipynb" or not (path.is_file() or path.is_symlink()):
            raise ValueError(f"submission must be an existing .ipynb file, got {str(path)!r}")
        sub = _submissions.read(path)
    if sub.problem is not None:
        raise ValueError(sub.problem)
    zp = Path(autograder_zip)
    if not zp.is_file():
        raise ValueError(f"autograder_zip must be an existing file, got {str(zp)!r}; run `make assignments`")
    name, notes = _assignment_of(sub.nb, sub.name)
    if name is None:
        raise ValueError(notes[0])
    g = Graded(notebook=sub.name, assignment=name, notes=list(notes) + name_notes(sub.name))
    nb_text = json.dumps(sub.nb, ensure_ascii=False)
    cells = runnable_cells(sub.nb) if sub.cells is None else sub.cells
    found, noted = reading(cells) if sub.found is None or sub.noted is None else (sub.found, sub.noted)
    if noted:
        g.notes.append(f"for review, marks kept: {'; '.join(noted)}")
    tests = {q: ExceptionTestFile.from_string(src, path=f"{q}.py") for q, src in _hidden_tests(zp).items()}
    for q, tf in tests.items():
        g.possible[q] = float(sum(tc.points or 0 for tc in tf.test_cases))
        g.scores[q] = 0.0
    if master is not None:
        g.manual = manual_questions(master)

    budget = Budget(limits.notebook_seconds)
    cells_deadline = time.monotonic() + limits.notebook_seconds / 2
    session, ran, stuck, why = _run_cells(nb_text, name, cells, limits, isolate, budget, cells_deadline,
                                          errors=g.cell_errors)
    violation = why if why and "broke the protocol" in why else None
    if session is None and violation is None:
        if ran == 0 and stuck is None and why and "did not start" in why:
            g.sandbox_failed = True
        if stuck is not None:
            g.notes.append(f"timed out: the code cell {stuck + 1} of the notebook was still running after "
                           f"{limits.notebook_seconds / 2:g} s (half of its budget of {limits.notebook_seconds:g} s; "
                           "the other half is for its tests); marked on the cells before it")
        else:
            where = f" at code cell {cells[ran][0] + 1}" if ran < len(cells) else ""
            g.notes.append(f"the notebook's code stopped the sandbox{where} ({why}); marked on the cells before it")
        session, _, _, why2 = _run_cells(nb_text, name, cells, limits, isolate, budget, budget.deadline, upto=ran)
        if session is None:
            g.notes.append("the cells before it did not finish a second time either: nothing could be marked")
    results: dict[str, list] = {}
    box = _Revivable(session, lambda: _run_cells(nb_text, name, cells, limits, isolate, budget, budget.deadline,
                                                 upto=ran)[0])
    try:
        if session is not None:
            wanted = sorted({p for tf in tests.values() for p in _test_params(tf.source)})
            try:
                env = session.values(wanted, caller=box)
            except SandboxViolation as exc:
                violation, env = str(exc), {}
            except SandboxError:
                env = {}
            # every public check first: their messages (which students see) never follow a hidden call
            for hidden in (False, True):
                for q, tf in tests.items():
                    restarts = box.restarts
                    results.setdefault(q, [])
                    results[q] += [(k, _run_case(tf, tc, env)) for k, tc in enumerate(tf.test_cases)
                                   if bool(tc.hidden) == hidden]
                    if box.restarts > restarts:
                        g.notes.append(f"{q}: a call of the submission's code ran past {limits.call_seconds:g} s "
                                       "or crashed its sandbox; the sandbox was started afresh")
            violation = violation or box.violation
            if budget.spent:
                g.notes.append(f"the notebook's time budget of {limits.notebook_seconds:g} s ran out: "
                               "the tests that were still to run failed")
    finally:
        box.close()
    if budget.out_of_memory:
        g.notes.append(f"its processes together used more than their {limits.memory_bytes / 2**30:g} GiB: "
                       "the kernel ended some of them")
    elif budget.reread_at_memory:
        # at its limit the kernel reclaims the group's memory before it kills anything, and
        # reading evicted pages back can hold the processes past a time limit: say what was seen
        g.notes.append(f"when its time ran out, its processes were at their {limits.memory_bytes / 2**30:g} GiB "
                       f"memory budget and the kernel was reading back pages it had evicted from them "
                       f"({budget.reread_at_memory / 2**20:.0f} MiB in half a second)")
    for q, tf in tests.items():
        tf.test_case_results = [r for _, r in sorted(results.get(q, []), key=lambda kr: kr[0])]
        if len(tf.test_case_results) == len(tf.test_cases):
            g.scores[q] = float(tf.score)
    if found or violation:
        what = "; ".join(([violation] if violation else []) + found)
        g.notes.append(f"TAMPERING: {what}; auto-graded marks withheld (0), check by hand")
        g.scores = dict.fromkeys(g.scores, 0.0)
    g.notes = [printable(n, newlines=False) for n in g.notes]
    done = {q: tf for q, tf in tests.items() if results.get(q)}
    g.feedback = _feedback(g, done, for_student=True)
    g.teacher_feedback = _feedback(g, done, for_student=False)
    return g


def _feedback(g: Graded, results, for_student: bool) -> str:
    lines = [f"{g.notebook}  ({g.assignment})", "=" * 60,
             f"Auto-graded: {g.total:g} / {g.total_possible:g} points", ""]
    lines += [f"NOTE: {n}" for n in g.notes]
    if g.notes:
        lines.append("")
    if g.cell_errors:
        lines.append("Cells that raised an error (the questions that need them score 0):")
        lines += [f"  cell {i}: {indented(e)}" for i, e in g.cell_errors]
        lines.append("")
    for q in g.possible:
        lines.append(f"{q}: {g.scores.get(q, 0):g} / {g.possible[q]:g}")
        tf = results.get(q)
        if tf is None:
            lines += ["  not run", ""]
            continue
        for r in tf.test_case_results:
            kind = "hidden" if r.test_case.hidden else "public"
            if for_student and r.test_case.hidden:
                msg = "passed" if r.passed else "failed (hidden test: ask your teacher for details)"
            else:
                msg = r.message.replace("\n", "\n      ")
            lines.append(f"  [{kind}, {r.test_case.points or 0:g} pt] {msg}")
        lines.append("")
    if g.manual:
        lines.append("Marked by hand (not included above):")
        lines += [f"  {q}: ... / {p:g}" for q, p in g.manual.items()]
    return printable("\n".join(lines) + "\n")


def unmarkable(name: str, assignment: str | None, master, reason: str) -> Graded:
    """The row of a file that cannot be marked: every auto-graded question 0, with the reason."""

    g = Graded(notebook=name, assignment=assignment or "?",
               notes=[printable(reason, newlines=False), *name_notes(name)])
    if master is not None:
        g.manual = manual_questions(master)
        for c in _config_blocks(master):
            if not c.get("manual"):
                g.scores[c["name"]], g.possible[c["name"]] = 0.0, float(c.get("points", 0))
    g.feedback = g.teacher_feedback = printable(
        f"{name}  ({g.assignment})\n{'=' * 60}\nCould not be marked: {g.notes[0]}\n"
        "Every auto-graded question scores 0; check that the file is the notebook "
        "handed out, saved from Jupyter.\n")
    return g


#: The known-good notebook marked before any submission: numpy (and torch, where installed)
#: in the sandbox, a function called across the boundary, its value checked here.
_CANARY = ["import numpy as np", "def canary(x):\n    return np.asarray(x) * 2 + 1\n"]


def check_sandbox(limits: Limits, isolate: bool) -> str | None:
    """``None`` if a known-good notebook is marked right in the sandbox, else why not."""
    import importlib.util

    import numpy as np

    cells = list(_CANARY)
    if importlib.util.find_spec("torch") is not None:
        cells.insert(1, "import torch")
    nb = {"cells": [{"cell_type": "code", "source": c, "metadata": {}, "outputs": [], "execution_count": None}
                    for c in cells], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    session = None
    try:
        session = Session(json.dumps(nb), "canary.ipynb", limits, use_bwrap=isolate,
                          budget=Budget(min(limits.notebook_seconds, 300.0)))
        deadline = time.monotonic() + min(limits.notebook_seconds, 300.0)
        for i, src in enumerate(cells):
            err = session.run_cell(i, src, deadline)
            if err is not None:
                return f"a known-good notebook's cell {i + 1} ({src.splitlines()[0]!r}) raised {err}"
        got = session.values(["canary"]).get("canary")
        value = got(np.arange(4.0)) if callable(got) else None
        if not (isinstance(value, np.ndarray) and value.shape == (4,) and np.array_equal(value, [1.0, 3.0, 5.0, 7.0])):
            return f"a known-good function returned {value!r} through the sandbox instead of [1, 3, 5, 7]"
        return None
    except SandboxError as exc:
        stderr = session.startup_errors() if session is not None else ""
        return f"a known-good notebook cannot be marked: {exc}" + (f"; the sandbox said: {stderr}" if stderr else "")
    finally:
        if session is not None:
            session.close()
