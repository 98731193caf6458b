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
    without a server and offline: each notebook is executed in a fresh kernel of
    this Python environment by otter's non-containerised grader
    (``otter.api.grade_submission``, the engine of ``otter run``). It writes
    ``grades.csv`` (a row per notebook, a column per auto-graded question with the
    points scored, the total and the points possible) and one plain-text feedback
    file per notebook in ``feedback/``.

Which assignment a submission belongs to is read from the notebook's metadata
(``otter.assignment_name``, set by ``otter assign``), or else from a ``chNN`` in
its file name. Questions marked ``manual: true`` in a master (free-text
interpretations) are not auto-graded; the feedback files list them with their
points for marking by hand.

A new chapter needs one new master ``book/assignments/masters/chNN.ipynb`` and nothing
else: both entry points discover the masters by their file names.

Command line::

    python -m lyaplearn.coursework generate [--out DIR] [--masters DIR]
    python -m lyaplearn.coursework grade SUBMISSIONS [--autograders DIR]
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

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
        Where to write ``student/chNN.ipynb``, ``autograder/chNN-autograder.zip``
        and ``solutions/chNN.ipynb``; created if missing.
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
        with tempfile.TemporaryDirectory(prefix=f"otter-assign-{name}-") as tmp:
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
            shutil.copyfile(result / "student" / f"{name}.ipynb", paths["student"])
            shutil.copyfile(zips[0], paths["autograder"])
            shutil.copyfile(result / "autograder" / f"{name}.ipynb", paths["solutions"])
        made[name] = paths
    return made


@dataclass
class Graded:
    """The marks of one submitted notebook."""

    notebook: str
    assignment: str
    scores: dict[str, float] = field(default_factory=dict)   # auto-graded question -> points scored
    possible: dict[str, float] = field(default_factory=dict)  # auto-graded question -> points possible
    manual: dict[str, float] = field(default_factory=dict)    # hand-marked question -> points possible
    feedback: str = ""

    @property
    def total(self) -> float:
        return float(sum(self.scores.values()))

    @property
    def total_possible(self) -> float:
        return float(sum(self.possible.values()))


def _assignment_of(path: Path) -> str:
    try:
        meta = json.loads(path.read_text(encoding="utf-8")).get("metadata", {})
        name = (meta.get("otter") or {}).get("assignment_name")
    except (OSError, ValueError):
        name = None
    if not name:
        m = _NAME.search(path.stem)
        name = m.group(0) if m else None
    if not name:
        raise ValueError(
            f"cannot tell which assignment {path.name!r} belongs to: its metadata has no "
            "otter.assignment_name and its file name contains no chNN"
        )
    return name


def _feedback(g: Graded, results) -> str:
    lines = [f"{g.notebook}  ({g.assignment})", "=" * 60,
             f"Auto-graded: {g.total:g} / {g.total_possible:g} points", ""]
    for q, tf in results.results.items():
        lines.append(f"{q}: {tf.score:g} / {tf.possible:g}")
        for r in tf.test_case_results:
            kind = "hidden" if r.test_case.hidden else "public"
            msg = r.message.replace("\n", "\n      ")
            lines.append(f"  [{kind}, {r.test_case.points or 0:g} pt] {msg}")
        lines.append("")
    if g.manual:
        lines.append("Marked by hand (not included above):")
        lines += [f"  {q}: ... / {p:g}" for q, p in g.manual.items()]
    return "\n".join(lines) + "\n"


def grade_notebook(submission, autograder_zip, master=None) -> Graded:
    """Mark one notebook with otter's non-containerised grader; see :func:`grade`."""
    from otter.api import grade_submission

    sub = Path(submission)
    if not sub.is_file() or sub.suffix != ".ipynb":
        raise ValueError(f"submission must be an existing .ipynb file, got {str(sub)!r}")
    zp = Path(autograder_zip)
    if not zp.is_file():
        raise ValueError(f"autograder_zip must be an existing file, got {str(zp)!r}; run `make assignments`")
    name = _assignment_of(sub)
    results = grade_submission(str(sub.resolve()), str(zp.resolve()), quiet=True)
    g = Graded(notebook=sub.name, assignment=name)
    for q, tf in results.results.items():
        g.scores[q] = float(tf.score)
        g.possible[q] = float(tf.possible)
    if master is not None:
        g.manual = manual_questions(master)
    g.feedback = _feedback(g, results)
    return g


def _unmarkable(nb: Path, name: str, master, exc: Exception) -> Graded:
    g = Graded(notebook=nb.name, assignment=name)
    if master is not None:
        g.manual = manual_questions(master)
        for c in _config_blocks(master):
            if not c.get("manual"):
                g.scores[c["name"]], g.possible[c["name"]] = 0.0, float(c.get("points", 0))
    g.feedback = (f"{nb.name}  ({name})\n{'=' * 60}\nCould not be marked: {type(exc).__name__}: {exc}\n"
                  "Every auto-graded question scores 0; check that the file is the notebook "
                  "handed out, saved from Jupyter.\n")
    return g


def grade(submissions, autograders="_build/assignments/autograder", masters_dir=MASTERS) -> list[Graded]:
    """Mark every ``*.ipynb`` in the folder ``submissions``.

    Parameters
    ----------
    submissions : str or pathlib.Path
        Folder of submitted notebooks, of one assignment or several.
    autograders : str or pathlib.Path
        Folder of the ``chNN-autograder.zip`` files written by :func:`generate`.
    masters_dir : str or pathlib.Path
        Folder of the masters, read for the hand-marked questions.

    Returns
    -------
    list of Graded
        One entry per notebook, in file-name order; a file that cannot be
        marked at all (not a notebook, say) scores 0 with the reason in its
        feedback. Also writes
        ``submissions/grades.csv`` (columns: notebook, assignment, one column per
        auto-graded question with the points scored, total, possible) and
        ``submissions/feedback/<notebook>.txt``.
    """
    folder = _dir(submissions, "submissions")
    ag = _dir(autograders, "autograders")
    notebooks = sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith("."))
    if not notebooks:
        raise ValueError(f"submissions folder {str(folder)!r} holds no .ipynb file")
    known = masters(masters_dir) if Path(masters_dir).is_dir() else {}
    marks = []
    for nb in notebooks:
        name = _assignment_of(nb)
        zp = ag / f"{name}-autograder.zip"
        if not zp.is_file():
            raise ValueError(f"no autograder for {nb.name!r} ({name}): {str(zp)!r} is missing; run `make assignments`")
        try:
            marks.append(grade_notebook(nb, zp, known.get(name)))
        except Exception as exc:            # one broken file must not stop the marking of the rest
            marks.append(_unmarkable(nb, name, known.get(name), exc))
    fb = folder / "feedback"
    fb.mkdir(exist_ok=True)
    for g in marks:
        (fb / f"{Path(g.notebook).stem}.txt").write_text(g.feedback, encoding="utf-8")
    questions = []
    for g in marks:
        questions += [q for q in g.scores if q not in questions]
    with open(folder / "grades.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["notebook", "assignment", *questions, "total", "possible"])
        for g in marks:
            w.writerow([g.notebook, g.assignment, *(f"{g.scores[q]:g}" if q in g.scores else "" for q in questions),
                        f"{g.total:g}", f"{g.total_possible:g}"])
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
    args = parser.parse_args(argv)
    if args.command == "generate":
        made = generate(args.out, args.masters)
        for name, paths in made.items():
            print(f"{name}: {paths['student']}  (grader: {paths['autograder']})")
        return 0
    marks = grade(args.submissions, args.autograders, args.masters)
    for g in marks:
        print(f"{g.notebook}: {g.total:g} / {g.total_possible:g}")
    print(f"Wrote {Path(args.submissions) / 'grades.csv'} and feedback/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
