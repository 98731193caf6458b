"""Coursework: one assignment per chapter, made and marked with otter-grader.

A teacher's *master* notebook per chapter lives in ``book/assignments/masters/chNN.ipynb``
(questions, reference solutions, public checks and hidden tests, in otter-grader's
master format). Two entry points, used by ``make assignments`` and ``make grade``:

:func:`generate`
    Runs ``otter assign`` on every master and writes, under ``out_dir``
    (``_build/assignments`` by default), the student notebooks
    ``student/chNN.ipynb`` (no solutions, no hidden tests; public checks run by
    ``grader.check("qN")`` for immediate feedback), the grader's files
    ``autograder/chNN-autograder.zip`` (all tests) and the solutions
    ``solutions/chNN.ipynb``.

:func:`grade`
    Marks every ``*.ipynb`` in a folder of submissions locally, without Docker,
    without a server and offline. Each notebook's code cells run in a sandbox
    (:mod:`lyaplearn.sandbox`: bubblewrap, no network, none of the grader's files,
    limits on time, memory and processes); the hidden tests run here, outside it,
    and call the submission's functions across the boundary, so a submission can
    neither read the tests nor change how they judge it. It writes ``grades.csv``
    (a row per notebook, a column per auto-graded question with the points scored,
    the total, the points possible and a note) and feedback files in ``feedback/``
    (for the students, hidden tests' messages withheld) and ``feedback/teacher/``.

Which assignment a submission belongs to is read from the notebook's metadata
(``otter.assignment_name``, set by ``otter assign``), or else from a ``chNN`` in
its file name (with a note). Questions marked ``manual: true`` in a master (free-text
interpretations) are not auto-graded; the feedback files list them with their
points for marking by hand.

A new chapter needs one new master ``book/assignments/masters/chNN.ipynb`` and nothing
else: both entry points discover the masters by their file names.

Command line::

    python -m lyaplearn.coursework generate [--out DIR] [--masters DIR]
    python -m lyaplearn.coursework grade SUBMISSIONS [--autograders DIR] [--masters DIR]
                                         [--timeout SECONDS] [--no-isolation]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import re
import shutil
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from lyaplearn.sandbox import Limits, SandboxError, SandboxTimeout, Session, bwrap_usable

__all__ = [
    "OTTER_VERSION",
    "Graded",
    "masters",
    "manual_questions",
    "generate",
    "grade_notebook",
    "grade",
    "main",
]

#: The otter-grader release the masters are written for (pinned in pyproject.toml,
#: extra ``coursework``; the student notebooks install this version where it is missing).
OTTER_VERSION = "7.0.0"

ROOT = Path(__file__).resolve().parents[1]
# Where the teacher's master notebooks live (in the repository, not in the package).
MASTERS = ROOT / "book" / "assignments" / "masters"
_NAME = re.compile(r"ch\d\d")


def _dir(path, name: str, *, must_exist: bool = True) -> Path:
    if not isinstance(path, (str, Path)):
        raise ValueError(f"{name} must be a path (str or pathlib.Path), got {type(path).__name__}")
    p = Path(path)
    if must_exist and not p.is_dir():
        raise ValueError(f"{name} must be an existing folder, got {str(p)!r}")
    return p


def masters(masters_dir=MASTERS) -> dict[str, Path]:
    """The master notebooks, ``{"ch01": path, ...}``, sorted by chapter.

    Parameters
    ----------
    masters_dir : str or pathlib.Path
        Folder of the masters, ``book/assignments/masters`` of the repository by default.
        Every file named ``chNN.ipynb`` in it is a master.

    Examples
    --------
    >>> found = masters()
    >>> list(found)[:2]
    ['ch01', 'ch02']
    >>> found["ch05"].name
    'ch05.ipynb'
    """
    d = _dir(masters_dir, "masters_dir")
    found = {p.stem: p for p in sorted(d.glob("ch[0-9][0-9].ipynb"))}
    if not found:
        raise ValueError(f"masters_dir {str(d)!r} holds no master notebook named chNN.ipynb")
    return found


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
    >>> manual_questions(masters()["ch01"])
    {'q5': 2}
    """
    return {c["name"]: c.get("points", 0) for c in _config_blocks(Path(master)) if c.get("manual")}


def generate(out_dir="_build/assignments", masters_dir=MASTERS, chapters=None) -> dict[str, dict[str, Path]]:
    """Make the student notebooks and the grader's files from the masters.

    Parameters
    ----------
    out_dir : str or pathlib.Path
        Where to write ``student/chNN.ipynb`` (with the install line of the
        project's home and a note that answers must not use ``lyaplearn``),
        ``autograder/chNN-autograder.zip`` (with the SHA-256 of its master next to
        it, so :func:`grade` can tell a stale grader) and ``solutions/chNN.ipynb``;
        created if missing.
    masters_dir : str or pathlib.Path
        Folder of the masters (see :func:`masters`).
    chapters : str or list of str, optional
        Only these masters (``"ch01"``, ...); all by default.

    Returns
    -------
    dict
        ``{"ch01": {"student": path, "autograder": path, "solutions": path}, ...}``.
    """
    from otter.assign import main as otter_assign

    found = masters(masters_dir)
    if chapters is not None:
        chapters = [chapters] if isinstance(chapters, str) else list(chapters)
        unknown = [c for c in chapters if c not in found]
        if unknown:
            raise ValueError(f"chapters must name masters among {sorted(found)}, got unknown {unknown}")
        found = {c: found[c] for c in chapters}
    out = _dir(out_dir, "out_dir", must_exist=False)
    for sub in ("student", "autograder", "solutions"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    made = {}
    for name, master in found.items():
        # next to the graders (which hold the same hidden tests), not in the shared /tmp
        with tempfile.TemporaryDirectory(prefix=f".otter-assign-{name}-", dir=out) as tmp:
            result = Path(tmp) / "dist"
            otter_assign(str(master), str(result), no_pdfs=True, no_run_tests=True)
            zips = sorted((result / "autograder").glob("*.zip"))
            if len(zips) != 1:
                raise RuntimeError(f"otter assign made {len(zips)} autograder zips for {name}")
            paths = {
                "student": out / "student" / f"{name}.ipynb",
                "autograder": out / "autograder" / f"{name}-autograder.zip",
                "solutions": out / "solutions" / f"{name}.ipynb",
            }
            _write_student(result / "student" / f"{name}.ipynb", paths["student"])
            shutil.copyfile(zips[0], paths["autograder"])
            (out / "autograder" / f"{name}-autograder.master-sha256").write_text(_digest(master) + "\n")
            shutil.copyfile(result / "autograder" / f"{name}.ipynb", paths["solutions"])
        made[name] = paths
    return made


#: Said at the top of every student notebook (the grader runs submissions without lyaplearn).
OWN_CODE_NOTE = (
    "**Your own code, please.** The `lyaplearn` library answers some of these questions in one call; "
    "use it to explore, but not in your answers: your teacher's marker runs this notebook "
    "without `lyaplearn`, so an answer that imports it scores nothing."
)


def _write_student(src: Path, dest: Path) -> None:
    """The student notebook otter made, with the install line of the project's home and the note above."""
    from lyaplearn import publish

    nb = json.loads(src.read_text(encoding="utf-8"))
    url = publish.home()
    publish.set_install_cell(nb, url)
    if url is None:   # the answers do not need lyaplearn: skip it rather than stop the notebook
        for cell in nb["cells"]:
            src_ = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            cell["source"] = src_.replace(publish.install_line(None), "pass  # lyaplearn: its public home is not set")
    cells = nb["cells"]
    at = next((i + 1 for i, c in enumerate(cells) if c["cell_type"] == "markdown"), 0)
    cells.insert(at, {"cell_type": "markdown", "id": "own-code-note", "metadata": {}, "source": OWN_CODE_NOTE})
    dest.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


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

    @property
    def total(self) -> float:
        return float(sum(self.scores.values()))

    @property
    def total_possible(self) -> float:
        return float(sum(self.possible.values()))


def _assignment_of(path: Path) -> tuple[str | None, str | None]:
    """``(assignment, note)``: from ``metadata.otter``, else from a ``chNN`` in the file
    name (with a note saying so), else ``(None, reason)``."""
    try:
        meta = json.loads(path.read_text(encoding="utf-8")).get("metadata", {})
        name = (meta.get("otter") or {}).get("assignment_name")
    except (OSError, ValueError, AttributeError):
        name = None
    if name and _NAME.fullmatch(str(name)):
        return str(name), None
    m = _NAME.search(path.stem)
    if m:
        return m.group(0), (f"metadata.otter is missing: marked as {m.group(0)}, the chapter its file name names")
    return None, ("cannot tell which assignment this is: its metadata has no otter.assignment_name "
                  "and its file name contains no chNN; rename it (e.g. ada_ch02.ipynb) and mark again")


def _hidden_tests(autograder_zip: Path) -> dict[str, str]:
    """``{question: test file source}``, read from the zip in memory (nothing is extracted)."""
    with zipfile.ZipFile(autograder_zip) as z:
        return {Path(n).stem: z.read(n).decode("utf-8") for n in sorted(z.namelist())
                if n.startswith("tests/") and n.endswith(".py")}


def _code_cells(nb: dict) -> list[tuple[int, str]]:
    """The code cells that are run when marking; ``grader.check`` cells (public checks only) are skipped."""
    cells = []
    for i, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        src = cell.get("source", "")
        src = "".join(src) if isinstance(src, list) else str(src)
        if re.search(r"\bgrader\.(check|check_all|export)\(", src):
            continue
        cells.append((i, src))
    return cells


def _run_cells(nb_text: str, name: str, cells, limits: Limits, isolate: bool, upto: int | None = None,
               errors: list | None = None):
    """Start a sandbox and run ``cells[:upto]``; returns ``(session or None, cells run, timed-out cell or None)``.
    The errors the cells raised are appended to ``errors`` as ``(cell number, message)``."""
    session = Session(nb_text, f"{name}.ipynb", limits, use_bwrap=isolate)
    deadline = time.monotonic() + limits.notebook_seconds
    todo = cells if upto is None else cells[:upto]
    for k, (i, src) in enumerate(todo):
        try:
            err = session.run_cell(i, src, deadline)
            if err is not None and errors is not None:
                errors.append((i + 1, err))
        except SandboxTimeout:
            return None, k, i
        except SandboxError:           # crashed (killed for memory, say): what ran before still counts
            return None, k, None
    return session, len(todo), None


class _Revivable:
    """Calls into a submission's sandbox, starting a fresh one (cells run again) if a call killed it."""

    def __init__(self, session, start, most: int = 3):
        self.session, self._start, self._most, self.restarts = session, start, most, 0

    @property
    def alive(self) -> bool:
        return self.session is not None and self.session.alive

    def call(self, name, args, kwargs):
        if not self.alive:
            if self.restarts >= self._most:
                raise SandboxError(f"cannot call {name}: the sandbox was restarted {self._most} times already")
            self.restarts += 1
            self.close()
            self.session = self._start()
            if self.session is None:
                raise SandboxError(f"cannot call {name}: the notebook did not run again in a fresh sandbox")
        return self.session.call(name, args, kwargs)

    def close(self):
        if self.session is not None:
            self.session.close()


def _test_params(source: str) -> list[str]:
    names = []
    for m in re.finditer(r"^def test_\w+\(([^)]*)\)", source, flags=re.M):
        names += [p.strip().split("=")[0].strip() for p in m.group(1).split(",") if p.strip()]
    return list(dict.fromkeys(n for n in names if n and n != "env"))


def grade_notebook(submission, autograder_zip, master=None, *, limits: Limits | None = None,
                   isolate: bool = True) -> Graded:
    """Mark one notebook: its code runs in a sandbox, the tests run here; see :func:`grade`."""
    from otter.test_files.exception_test import ExceptionTestFile

    limits = Limits() if limits is None else limits
    sub = Path(submission)
    if not sub.is_file() or sub.suffix != ".ipynb":
        raise ValueError(f"submission must be an existing .ipynb file, got {str(sub)!r}")
    zp = Path(autograder_zip)
    if not zp.is_file():
        raise ValueError(f"autograder_zip must be an existing file, got {str(zp)!r}; run `make assignments`")
    name, note = _assignment_of(sub)
    if name is None:
        raise ValueError(note)
    g = Graded(notebook=sub.name, assignment=name, notes=[note] if note else [])
    nb_text = sub.read_text(encoding="utf-8")
    nb = json.loads(nb_text)
    cells = _code_cells(nb)
    tests = {q: ExceptionTestFile.from_string(src, path=f"{q}.py") for q, src in _hidden_tests(zp).items()}
    for q, tf in tests.items():
        g.possible[q] = float(sum(tc.points or 0 for tc in tf.test_cases))
        g.scores[q] = 0.0
    if master is not None:
        g.manual = manual_questions(master)

    session, ran, stuck = _run_cells(nb_text, name, cells, limits, isolate, errors=g.cell_errors)
    if session is None:
        why = (f"timed out: the code cell {stuck + 1} of the notebook was still running after "
               f"{limits.notebook_seconds:g} s" if stuck is not None else
               f"the notebook's code stopped the sandbox at code cell {cells[ran][0] + 1} "
               "(out of memory or too many processes?)")
        g.notes.append(why + "; marked on the cells before it")
        session, _, _ = _run_cells(nb_text, name, cells, limits, isolate, upto=ran)
        if session is None:
            g.notes.append("the cells before it did not finish a second time either: nothing could be marked")
    changed, suspicious, results = [], [], {}
    box = _Revivable(session, lambda: _run_cells(nb_text, name, cells, limits, isolate, upto=ran)[0])
    try:
        if session is not None:
            changed, suspicious = session.integrity()
            wanted = sorted({p for tf in tests.values() for p in _test_params(tf.source)})
            env = session.values(wanted, caller=box)
            for q, tf in tests.items():
                restarts = box.restarts
                tf.run(env)
                results[q] = tf
                if box.restarts > restarts or not box.alive:
                    g.notes.append(f"{q}: a call of the submission's code ran past {limits.call_seconds:g} s "
                                   "or crashed its sandbox; the sandbox was started afresh")
            if box.alive:
                c2, s2 = box.session.integrity()
                changed, suspicious = sorted(set(changed) | set(c2)), list(dict.fromkeys(suspicious + s2))
    finally:
        box.close()
    for q, tf in results.items():
        g.scores[q] = float(tf.score)
    if changed or suspicious:
        what = ", ".join([f"replaced {c}" for c in changed[:5]] + suspicious[:5])
        g.notes.append(f"TAMPERING: {what}; auto-graded marks withheld (0), check by hand")
        g.scores = dict.fromkeys(g.scores, 0.0)
    g.feedback = _feedback(g, results, for_student=True)
    g.teacher_feedback = _feedback(g, results, for_student=False)
    return g


def _feedback(g: Graded, results, for_student: bool) -> str:
    lines = [f"{g.notebook}  ({g.assignment})", "=" * 60,
             f"Auto-graded: {g.total:g} / {g.total_possible:g} points", ""]
    lines += [f"NOTE: {n}" for n in g.notes]
    if g.notes:
        lines.append("")
    if g.cell_errors:
        lines.append("Cells that raised an error (the questions that need them score 0):")
        lines += [f"  cell {i}: {e}" for i, e in g.cell_errors]
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
    return "\n".join(lines) + "\n"


def _unmarkable(nb: Path, name: str | None, master, reason: str) -> Graded:
    g = Graded(notebook=nb.name, assignment=name or "?", notes=[reason])
    if master is not None:
        g.manual = manual_questions(master)
        for c in _config_blocks(master):
            if not c.get("manual"):
                g.scores[c["name"]], g.possible[c["name"]] = 0.0, float(c.get("points", 0))
    g.feedback = g.teacher_feedback = (
        f"{nb.name}  ({g.assignment})\n{'=' * 60}\nCould not be marked: {reason}\n"
        "Every auto-graded question scores 0; check that the file is the notebook "
        "handed out, saved from Jupyter.\n")
    return g


def _digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _stale(name: str, master: Path, ag: Path) -> bool:
    stamp = ag / f"{name}-autograder.master-sha256"
    zp = ag / f"{name}-autograder.zip"
    return not zp.is_file() or not stamp.is_file() or stamp.read_text().strip() != _digest(master)


def grade(submissions, autograders="_build/assignments/autograder", masters_dir=MASTERS, *,
          limits: Limits | None = None, isolate: bool = True) -> list[Graded]:
    """Mark every ``*.ipynb`` in the folder ``submissions``.

    Each notebook's code cells run in a sandbox (:mod:`lyaplearn.sandbox`: no
    network, none of the grader's files, no other submission, limited memory,
    processes and time); the hidden tests run in this process and call the
    submission's functions across the sandbox boundary, so nothing the
    submission does can change how its answers are checked.

    Parameters
    ----------
    submissions : str or pathlib.Path
        Folder of submitted notebooks, of one assignment or several.
    autograders : str or pathlib.Path
        Folder of the ``chNN-autograder.zip`` files written by :func:`generate`.
        Graders older than their master (or missing) are made again first.
    masters_dir : str or pathlib.Path
        Folder of the masters.
    limits : lyaplearn.sandbox.Limits, optional
        Time, memory and process limits per notebook.
    isolate : bool
        Run submissions in bubblewrap (default). False runs them unisolated, with
        the resource limits only; for machines without bubblewrap, at your own risk.

    Returns
    -------
    list of Graded
        One entry per notebook, in file-name order; a file that cannot be
        marked at all (not a notebook, no chapter named) scores 0 with the reason
        in its note. Also writes ``submissions/grades.csv`` (columns: notebook,
        assignment, one column per auto-graded question with the points scored,
        total, possible, note), ``submissions/feedback/<notebook>.txt`` for the
        students (hidden tests: passed or failed only) and
        ``submissions/feedback/teacher/<notebook>.txt`` with every message.
    """
    folder = _dir(submissions, "submissions")
    ag = _dir(autograders, "autograders", must_exist=False)
    limits = Limits() if limits is None else limits
    if not isinstance(limits, Limits):
        raise ValueError(f"limits must be a lyaplearn.sandbox.Limits, got {type(limits).__name__}")
    if isolate:
        why = bwrap_usable()
        if why:
            raise RuntimeError(f"cannot isolate the submissions: {why}. Install bubblewrap, or pass "
                               "--no-isolation (python -m lyaplearn.coursework grade) to run them unisolated")
    notebooks = sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith("."))
    if not notebooks:
        raise ValueError(f"submissions folder {str(folder)!r} holds no .ipynb file")
    known = masters(masters_dir) if Path(masters_dir).is_dir() else {}
    named = {_assignment_of(nb)[0] for nb in notebooks}
    stale = [c for c, m in known.items() if c in named and _stale(c, m, ag)]
    if stale:
        print(f"grade: making the graders of {', '.join(stale)} (missing or older than their master)", file=sys.stderr)
        generate(ag.parent, masters_dir, chapters=stale)
    marks = []
    for nb in notebooks:
        name, note = _assignment_of(nb)
        zp = ag / f"{name}-autograder.zip"
        if name is None:
            marks.append(_unmarkable(nb, None, None, note))
        elif not zp.is_file():
            marks.append(_unmarkable(nb, name, None, f"there is no assignment {name} (no {zp.name})"))
        else:
            try:
                marks.append(grade_notebook(nb, zp, known.get(name), limits=limits, isolate=isolate))
            except Exception as exc:            # one broken file must not stop the marking of the rest
                marks.append(_unmarkable(nb, name, known.get(name), f"{type(exc).__name__}: {exc}"))
    fb = folder / "feedback"
    (fb / "teacher").mkdir(parents=True, exist_ok=True)
    for g in marks:
        (fb / f"{Path(g.notebook).stem}.txt").write_text(g.feedback, encoding="utf-8")
        (fb / "teacher" / f"{Path(g.notebook).stem}.txt").write_text(g.teacher_feedback, encoding="utf-8")
    questions = []
    for g in marks:
        questions += [q for q in g.scores if q not in questions]
    with open(folder / "grades.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["notebook", "assignment", *questions, "total", "possible", "note"])
        for g in marks:
            w.writerow([g.notebook, g.assignment, *(f"{g.scores[q]:g}" if q in g.scores else "" for q in questions),
                        f"{g.total:g}", f"{g.total_possible:g}", "; ".join(g.notes)])
    return marks


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lyaplearn.coursework", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("generate", help="student notebooks and grader's files from the masters")
    p.add_argument("--out", default="_build/assignments")
    p.add_argument("--masters", default=str(MASTERS))
    p = sub.add_parser("grade", help="mark every notebook in a folder; writes grades.csv and feedback/")
    p.add_argument("submissions")
    p.add_argument("--autograders", default="_build/assignments/autograder")
    p.add_argument("--masters", default=str(MASTERS))
    p.add_argument("--timeout", type=float, default=Limits.notebook_seconds,
                   help="seconds each notebook's cells may run (default %(default)s)")
    p.add_argument("--no-isolation", action="store_true",
                   help="run submissions without bubblewrap (resource limits only); at your own risk")
    args = parser.parse_args(argv)
    if args.command == "generate":
        made = generate(args.out, args.masters)
        for name, paths in made.items():
            print(f"{name}: {paths['student']}  (grader: {paths['autograder']})")
        return 0
    marks = grade(args.submissions, args.autograders, args.masters,
                  limits=Limits(notebook_seconds=args.timeout), isolate=not args.no_isolation)
    for g in marks:
        print(f"{g.notebook}: {g.total:g} / {g.total_possible:g}" + (f"  ({'; '.join(g.notes)})" if g.notes else ""))
    print(f"Wrote {Path(args.submissions) / 'grades.csv'} and feedback/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
