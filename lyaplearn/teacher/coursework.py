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
    (:mod:`lyaplearn.teacher.sandbox`: bubblewrap, no network, none of the grader's files,
    a seccomp filter, one budget of time, memory and processes per submission); the
    hidden tests run here, outside it, and call the submission's functions across the
    boundary, so a submission can neither read the tests nor change how they judge it.
    Nothing the sandbox says is trusted: tampering is judged from the notebook's text,
    arguments go in by value, replies are decoded with bounds. Before any submission,
    a known-good notebook is marked: if that fails, marking stops with the reason and
    writes nothing. It writes ``grades.csv`` (a row per notebook, a column per
    auto-graded question with the points scored, the total, the points possible and a
    note) and feedback files in ``feedback/`` (for the students: public checks' messages,
    which run before any hidden test, and hidden tests' results only) and
    ``feedback/teacher/``.

Which assignment a submission belongs to is read from the notebook's metadata
(``otter.assignment_name``, set by ``otter assign``), or else from a ``chNN`` in
its file name (with a note). Questions marked ``manual: true`` in a master (free-text
interpretations) are not auto-graded; the feedback files list them with their
points for marking by hand.

A new chapter needs one new master ``book/assignments/masters/chNN.ipynb`` and nothing
else: both entry points discover the masters by their file names. The masters are found
in the checkout the command is run from (``book/assignments/masters`` in the current
folder or one above it), or where ``--masters`` says: the library itself may be
installed from a wheel, which holds none.

Command line::

    python -m lyaplearn.teacher.coursework generate [--out DIR] [--masters DIR]
    python -m lyaplearn.teacher.coursework grade SUBMISSIONS [--autograders DIR] [--masters DIR]
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
from pathlib import Path

from lyaplearn.teacher import _submissions
from lyaplearn.teacher._submissions import csv_cell, printable
from lyaplearn.teacher._masters import _config_blocks, manual_questions  # noqa: F401
from lyaplearn.teacher._marking import Graded, _assignment_of, check_sandbox, grade_notebook, unmarkable
from lyaplearn.teacher.sandbox import Limits, sandbox_usable

__all__ = [
    "OTTER_VERSION",
    "Graded",
    "find_masters",
    "masters",
    "manual_questions",
    "generate",
    "grade_notebook",
    "grade",
    "main",
    "MarkingRefused",
]

#: The otter-grader release the masters are written for (pinned in pyproject.toml,
#: extra ``teacher``; the student notebooks install this version where it is missing).
OTTER_VERSION = "7.0.0"

#: Where the teacher's master notebooks live in a checkout of the repository (not in the package).
MASTERS = Path("book") / "assignments" / "masters"
_NAME = re.compile(r"ch\d\d")


def find_masters(start=None) -> Path | None:
    """The masters folder of the checkout ``start`` (the current folder by default) is in:
    ``book/assignments/masters`` in it or in a folder above it; None if there is none."""
    here = Path.cwd() if start is None else Path(start)
    for d in (here, *here.parents):
        if (d / MASTERS).is_dir():
            return d / MASTERS
    return None


def _masters_dir(masters_dir) -> Path:
    if masters_dir is not None:
        return _dir(masters_dir, "masters_dir")
    found = find_masters()
    if found is None:
        raise ValueError(f"no masters: run this from a checkout of the lyaplearn repository (which has {MASTERS}) "
                         f"or pass masters_dir (--masters DIR); the current folder is {str(Path.cwd())!r}")
    return found


def _dir(path, name: str, *, must_exist: bool = True) -> Path:
    if not isinstance(path, (str, Path)):
        raise ValueError(f"{name} must be a path (str or pathlib.Path), got {type(path).__name__}")
    p = Path(path)
    if must_exist and not p.is_dir():
        raise ValueError(f"{name} must be an existing folder, got {str(p)!r}")
    return p


def masters(masters_dir=None) -> dict[str, Path]:
    """The master notebooks, ``{"ch01": path, ...}``, sorted by chapter.

    Parameters
    ----------
    masters_dir : str or pathlib.Path, optional
        Folder of the masters; by default ``book/assignments/masters`` of the checkout
        the current folder is in (:func:`find_masters`). Every file named ``chNN.ipynb``
        in it is a master.

    Examples
    --------
    >>> found = masters()
    >>> list(found)[:2]
    ['ch01', 'ch02']
    >>> found["ch05"].name
    'ch05.ipynb'
    """
    d = _masters_dir(masters_dir)
    found = {p.stem: p for p in sorted(d.glob("ch[0-9][0-9].ipynb"))}
    if not found:
        raise ValueError(f"masters_dir {str(d)!r} holds no master notebook named chNN.ipynb")
    return found


def generate(out_dir="_build/assignments", masters_dir=None, chapters=None) -> dict[str, dict[str, Path]]:
    """Make the student notebooks and the grader's files from the masters.

    Parameters
    ----------
    out_dir : str or pathlib.Path
        Where to write ``student/chNN.ipynb`` (with the install line of the
        project's home and a note that answers must not use ``lyaplearn``),
        ``autograder/chNN-autograder.zip`` (with the SHA-256 of its master next to
        it, so :func:`grade` can tell a stale grader) and ``solutions/chNN.ipynb``;
        created if missing.
    masters_dir : str or pathlib.Path, optional
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
            _write_student(result / "student" / f"{name}.ipynb", paths["student"], master)
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


def _write_student(src: Path, dest: Path, master: Path) -> None:
    """The student notebook otter made, with the install line of the project's home (read from the
    ``_config.yml`` of the masters' checkout) and the note above."""
    from lyaplearn.teacher import publish

    nb = json.loads(src.read_text(encoding="utf-8"))
    config = Path(master).resolve().parents[3] / "_config.yml"
    if not config.is_file():          # masters kept apart from a checkout: the one run from, if any
        try:
            config = publish.checkout_root() / "_config.yml"
        except ValueError:
            config = None
    url = publish.home(config) if config is not None and config.is_file() else None
    publish.set_install_cell(nb, url)
    if url is None:   # the answers do not need lyaplearn: skip it rather than stop the notebook
        for cell in nb["cells"]:
            src_ = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            cell["source"] = src_.replace(publish.install_line(None), "pass  # lyaplearn: its public home is not set")
    cells = nb["cells"]
    at = next((i + 1 for i, c in enumerate(cells) if c["cell_type"] == "markdown"), 0)
    cells.insert(at, {"cell_type": "markdown", "id": "own-code-note", "metadata": {}, "source": OWN_CODE_NOTE})
    dest.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


class MarkingRefused(RuntimeError):
    """The sandbox cannot mark a known-good notebook here: nothing is marked, nothing written."""


def _digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _stale(name: str, master: Path, ag: Path) -> bool:
    stamp = ag / f"{name}-autograder.master-sha256"
    zp = ag / f"{name}-autograder.zip"
    return not zp.is_file() or not stamp.is_file() or stamp.read_text().strip() != _digest(master)


def grade(submissions, autograders="_build/assignments/autograder", masters_dir=None, *,
          limits: Limits | None = None, isolate: bool = True) -> list[Graded]:
    """Mark every ``*.ipynb`` in the folder ``submissions``.

    Each notebook's code cells run in a sandbox (:mod:`lyaplearn.teacher.sandbox`: no
    network, none of the grader's files, no other submission, one budget of time,
    memory and processes per submission); the hidden tests run in this process and
    call the submission's functions across the sandbox boundary, so nothing the
    submission does can change how its answers are checked.

    Parameters
    ----------
    submissions : str or pathlib.Path
        Folder of submitted notebooks, of one assignment or several. Symbolic links and
        other non-files named ``*.ipynb`` are not read (their rows say so); file names
        need not be UTF-8.
    autograders : str or pathlib.Path
        Folder of the ``chNN-autograder.zip`` files written by :func:`generate`.
        Graders older than their master (or missing) are made again first.
    masters_dir : str or pathlib.Path, optional
        Folder of the masters; by default those of the checkout the current folder is
        in, if any (without masters, the graders in ``autograders`` are used as they are
        and hand-marked questions are not listed).
    limits : lyaplearn.teacher.sandbox.Limits, optional
        Time, memory and process limits per notebook.
    isolate : bool
        Run submissions in bubblewrap (default). False runs them unisolated, with
        the resource limits only; for machines without bubblewrap, at your own risk.

    Returns
    -------
    list of Graded
        One entry per notebook, in file-name order; a file that cannot be
        marked at all (not a notebook, no chapter named, a link) scores 0 with the
        reason in its note. Also writes ``submissions/grades.csv`` (columns: notebook,
        assignment, one column per auto-graded question with the points scored,
        total, possible, note; no cell starts a spreadsheet formula),
        ``submissions/feedback/<notebook>.txt`` for the students (hidden tests: passed
        or failed only) and ``submissions/feedback/teacher/<notebook>.txt`` with every
        message; all text stripped of control characters.

    Raises
    ------
    MarkingRefused
        If the sandbox cannot mark a known-good notebook, before marking anything or
        (when a submission's sandbox did not start) after: no file is written then,
        rather than zeros for everyone.
    """
    folder = _dir(submissions, "submissions")
    ag = _dir(autograders, "autograders", must_exist=False)
    limits = Limits() if limits is None else limits
    if not isinstance(limits, Limits):
        raise ValueError(f"limits must be a lyaplearn.teacher.sandbox.Limits, got {type(limits).__name__}")
    if isolate:
        why = sandbox_usable()
        if why:
            raise RuntimeError(f"cannot isolate the submissions: {why}. Install the sandbox's packages, or pass "
                               "--no-isolation (python -m lyaplearn.teacher.coursework grade) to run them unisolated")
    subs = _submissions.find(folder)
    if not subs:
        raise ValueError(f"submissions folder {str(folder)!r} holds no .ipynb file")
    mdir = find_masters() if masters_dir is None else Path(masters_dir)
    known = masters(mdir) if mdir is not None and mdir.is_dir() else {}
    named = {_assignment_of(s.nb, s.name)[0] for s in subs if s.nb is not None}
    stale = [c for c, m in known.items() if c in named and _stale(c, m, ag)]
    if stale:
        print(f"grade: making the graders of {', '.join(stale)} (missing or older than their master)", file=sys.stderr)
        generate(ag.parent, mdir, chapters=stale)
    broken = check_sandbox(limits, isolate)
    if broken:
        raise MarkingRefused(f"marking refused, nothing written: {broken}")
    marks = []
    for sub in subs:
        if sub.nb is not None:
            name, notes = _assignment_of(sub.nb, sub.name)
        else:                                   # not read: the chapter its name names, for the row's points
            name, notes = (m.group(0) if (m := _NAME.search(sub.name)) else None), [sub.problem]
        zp = ag / f"{name}-autograder.zip"
        if sub.problem is not None:
            marks.append(unmarkable(sub.name, name, known.get(name), sub.problem))
        elif name is None:
            marks.append(unmarkable(sub.name, None, None, notes[0]))
        elif not zp.is_file():
            marks.append(unmarkable(sub.name, name, None, f"there is no assignment {name} (no {zp.name})"))
        else:
            try:
                marks.append(grade_notebook(sub, zp, known.get(name), limits=limits, isolate=isolate))
            except Exception as exc:            # one broken file must not stop the marking of the rest
                marks.append(unmarkable(sub.name, name, known.get(name), f"{type(exc).__name__}: {exc}"))
    if any(g.sandbox_failed for g in marks):
        broken = check_sandbox(limits, isolate)
        if broken:
            raise MarkingRefused(f"the sandbox broke while marking, nothing written: {broken}")
    fb = folder / "feedback"
    (fb / "teacher").mkdir(parents=True, exist_ok=True)
    stems = _submissions.file_names([g.notebook for g in marks])
    for g, stem in zip(marks, stems):
        (fb / f"{stem}.txt").write_text(g.feedback, encoding="utf-8")
        (fb / "teacher" / f"{stem}.txt").write_text(g.teacher_feedback, encoding="utf-8")
    questions = []
    for g in marks:
        questions += [q for q in g.scores if q not in questions]
    with open(folder / "grades.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["notebook", "feedback", "assignment", *questions, "total", "possible", "note"])
        for g, stem in zip(marks, stems):
            w.writerow([csv_cell(g.notebook), csv_cell(f"{stem}.txt"), csv_cell(g.assignment),
                        *(f"{g.scores[q]:g}" if q in g.scores else "" for q in questions),
                        f"{g.total:g}", f"{g.total_possible:g}", csv_cell("; ".join(g.notes))])
    return marks


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lyaplearn.teacher.coursework", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("generate", help="student notebooks and grader's files from the masters")
    p.add_argument("--out", default="_build/assignments")
    p.add_argument("--masters", default=None,
                   help=f"folder of the masters (default: {MASTERS} of the checkout the current folder is in)")
    p = sub.add_parser("grade", help="mark every notebook in a folder; writes grades.csv and feedback/")
    p.add_argument("submissions")
    p.add_argument("--autograders", default="_build/assignments/autograder")
    p.add_argument("--masters", default=None,
                   help=f"folder of the masters (default: {MASTERS} of the checkout the current folder is in)")
    p.add_argument("--timeout", type=float, default=Limits.notebook_seconds,
                   help="seconds each notebook may take in all: its cells, reruns and tests (default %(default)s)")
    p.add_argument("--no-isolation", action="store_true",
                   help="run submissions without bubblewrap (resource limits only); at your own risk")
    args = parser.parse_args(argv)
    if args.command == "generate":
        try:
            made = generate(args.out, args.masters)
        except ValueError as exc:
            parser.error(str(exc))
        for name, paths in made.items():
            print(f"{name}: {paths['student']}  (grader: {paths['autograder']})")
        return 0
    try:
        marks = grade(args.submissions, args.autograders, args.masters,
                      limits=Limits(notebook_seconds=args.timeout), isolate=not args.no_isolation)
    except MarkingRefused as exc:
        print(f"grade: {exc}", file=sys.stderr)
        return 1
    for g in marks:
        line = f"{g.notebook}: {g.total:g} / {g.total_possible:g}" + (f"  ({'; '.join(g.notes)})" if g.notes else "")
        print(printable(line, newlines=False))
    print(f"Wrote {Path(args.submissions) / 'grades.csv'} and feedback/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
