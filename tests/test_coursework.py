"""Tests that check the coursework's tests.

The masters' reference solutions must score full marks, the untouched student
notebooks zero (with readable feedback), and deliberately wrong submissions must
lose exactly the marks of the questions they break. The hidden tests themselves
compare against closed forms, autograd and published values (see the masters).

Most notebooks are marked *in process*: their cells run in this interpreter and
otter's own test files (from the autograder zip) score the resulting namespace,
which is what otter does inside a grading kernel, without a kernel start and a
torch import per notebook. One test runs the real ``grade`` (a fresh sandbox per
notebook, as ``make grade`` does) and checks that it agrees; hostile submissions are
in tests/test_coursework_hostile.py.
"""

from __future__ import annotations

import csv
import json
import re
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest

pytest.importorskip("otter", reason="the teacher's tools need their extra: pip install -e '.[teacher]'")
pytestmark = [pytest.mark.fp_insensitive, pytest.mark.slow, pytest.mark.filterwarnings(
    # raised inside otter's own grading code (pandas 3 deprecation), not by us
    "ignore:The inplace keyword in DataFrame.drop is deprecated",
)]

from IPython.core.inputtransformer2 import TransformerManager  # noqa: E402
from otter.nbmeta_config import NBMetadataConfig  # noqa: E402
from otter.test_files import create_test_file  # noqa: E402

from lyaplearn.teacher import coursework as cw  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MASTERS = ROOT / "book" / "assignments" / "masters"
CHAPTERS = sorted(cw.masters(MASTERS))

# (chapter, question it breaks, original line, broken line): the classic mistakes
WRONG = {
    "transposed-jacobian": ("ch02", "q1", "return (1.0 - h**2)[:, None] * W", "return ((1.0 - h**2)[:, None] * W).T"),
    "J-delta-instead-of-JT-delta": ("ch02", "q2", "np.asarray(J, dtype=float).T @ delta", "np.asarray(J, dtype=float) @ delta"),
    "JT-Q-instead-of-J-Q": ("ch05", "q1", "np.asarray(J, dtype=float) @ np.asarray(Q, dtype=float)",
                            "np.asarray(J, dtype=float).T @ np.asarray(Q, dtype=float)"),
    "unsorted-exponents": ("ch05", "q2", "return np.sort(total / len(jacobians))[::-1]", "return total / len(jacobians)"),
    "log2-sum-rule": ("ch05", "q3", "math.log(g) + float(np.mean(np.sum(np.log(",
                      "math.log2(g) + float(np.mean(np.sum(np.log2("),
    "log2-cell-sum": ("ch06", "q3", "q3_cell_sum = 64 * math.log(0.9)", "q3_cell_sum = 64 * math.log2(0.9)"),
    "log2-memory": ("ch06", "q4", "-math.log(factor) / horizon", "-math.log2(factor) / horizon"),
    "sample-variance-features": ("ch07", "q1", '"variance": float(np.var(lam))', '"variance": float(np.var(lam, ddof=1))'),
    "pearson-of-values-not-ranks": ("ch07", "q2", "return float(np.corrcoef(rx, ry)[0, 1])",
                                    "return float(np.corrcoef(x, y)[0, 1])"),
    "halving-retrains-survivors": ("ch07", "q3", "spent += alive * (epochs - last)", "spent += alive * epochs"),
    "transposed-residual-jacobian": ("ch08", "q1", "alpha * (1.0 - t**2)[:, None] * W",
                                     "alpha * ((1.0 - t**2)[:, None] * W).T"),
    "sample-std-layer-norm": ("ch08", "q2", "s = float(np.std(z))", "s = float(np.std(z, ddof=1))"),
    "log2-horizon": ("ch08", "q4", "math.log(tolerance / eps) / lambda_max", "math.log2(tolerance / eps) / lambda_max"),
}


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    out = tmp_path_factory.mktemp("assignments")
    return cw.generate(out)


def _points(master: Path) -> tuple[dict[str, float], dict[str, float]]:
    auto, manual = {}, {}
    for c in cw._config_blocks(master):
        (manual if c.get("manual") else auto)[c["name"]] = float(c["points"])
    return auto, manual


def _with_line_replaced(nb_path: Path, old: str, new: str, dest: Path) -> Path:
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    hits = 0
    for cell in nb["cells"]:
        src = "".join(cell["source"])
        if old in src:
            cell["source"] = src.replace(old, new)
            hits += 1
    assert hits == 1, f"{old!r} found in {hits} cells of {nb_path.name}"
    dest.write_text(json.dumps(nb), encoding="utf-8")
    return dest


def _grade_in_process(nb_path: Path, autograder_zip: Path, workdir: Path, monkeypatch):
    """Run the notebook's code cells here and score them with otter's test files."""
    name, _ = cw._assignment_of(json.loads(nb_path.read_text(encoding="utf-8")), nb_path.name)
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / f"{name}.ipynb").write_text(nb_path.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.chdir(workdir)                       # otter.Notebook("chNN.ipynb") reads it here
    ns: dict = {"__name__": "__main__"}
    transform = TransformerManager().transform_cell
    for i, cell in enumerate(json.loads(nb_path.read_text(encoding="utf-8"))["cells"]):
        src = "".join(cell["source"])
        if cell["cell_type"] != "code" or "grader.check(" in src:
            continue
        try:
            exec(compile(transform(src), f"<{nb_path.name} cell {i}>", "exec"), ns)
        except Exception:                             # like otter: errors in cells do not stop grading
            pass
    with zipfile.ZipFile(autograder_zip) as z:
        z.extractall(workdir / "ag")
    results = {}
    for test in sorted((workdir / "ag" / "tests").glob("*.py")):
        tf = create_test_file(str(test), NBMetadataConfig())
        tf.run(ns)
        results[tf.name] = tf
    return ns, results


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_master_shape(chapter):
    master = cw.masters(MASTERS)[chapter]
    nb = json.loads(master.read_text(encoding="utf-8"))
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None, f"{chapter} cell {i} has outputs"
    auto, manual = _points(master)
    assert 4 <= len(auto) + len(manual) <= 8
    assert len(auto) >= 3 and len(manual) >= 1
    text = "".join("".join(c["source"]) for c in nb["cells"])
    assert f'otter-grader=={cw.OTTER_VERSION}' in text, "the install cell must pin the otter version"
    assert "lyaplearn @ git+" in text and 'find_spec("lyaplearn")' in text, "the install cell must install lyaplearn"
    assert f'name: {chapter}\n' in text


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_teaching_page_table_matches_the_master(chapter):
    """The teacher's page lists every assignment with the questions and points of its master."""
    page = (ROOT / "book" / "teaching.md").read_text(encoding="utf-8")
    row = re.search(rf"^\| `{chapter}` \|.*$", page, flags=re.M)
    assert row, f"book/teaching.md has no row for {chapter} in its table of assignments"
    auto, manual = _points(cw.masters(MASTERS)[chapter])

    def cell(n, p):
        return f"{n} question{'s' if n > 1 else ''}, {p:g} point{'s' if p != 1 else ''}"

    assert f"| {cell(len(auto), sum(auto.values()))} | {cell(len(manual), sum(manual.values()))} |" in row.group(0)


def test_otter_version_is_pinned_once():
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    extras = {name: re.search(rf"^{name} = \[(.*?)^\]", pyproject, flags=re.M | re.S)
              for name in ("teacher", "coursework")}
    assert extras["teacher"] and f"otter-grader[grading]=={cw.OTTER_VERSION}" in extras["teacher"].group(1)
    # `coursework` is the old name of `teacher`: the same packages
    assert extras["coursework"] and extras["coursework"].group(1) == extras["teacher"].group(1)
    assert version("otter-grader") == cw.OTTER_VERSION


def test_generate_writes_student_and_grader_files(made):
    assert sorted(made) == CHAPTERS
    for chapter, paths in made.items():
        student = paths["student"].read_text(encoding="utf-8")
        assert paths["student"].name == f"{chapter}.ipynb" and paths["student"].parent.name == "student"
        assert "BEGIN SOLUTION" not in student and "Model answer" not in student
        assert "hidden=True" not in student and not re.search(r"test_q\d_hidden", student), "hidden tests leaked"
        assert f'grader = otter.Notebook(\\"{chapter}.ipynb\\")' in student
        with zipfile.ZipFile(paths["autograder"]) as z:
            tests = [n for n in z.namelist() if n.startswith("tests/")]
            assert all("hidden=True" in z.read(n).decode() for n in tests), "every question needs a hidden test"
        auto, _ = _points(cw.masters(MASTERS)[chapter])
        assert sorted(Path(n).stem for n in tests) == sorted(auto)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_master_solutions_score_full_marks(chapter, made, tmp_path, monkeypatch):
    _, results = _grade_in_process(made[chapter]["solutions"], made[chapter]["autograder"], tmp_path, monkeypatch)
    auto, _ = _points(cw.masters(MASTERS)[chapter])
    scores = {q: tf.score for q, tf in results.items()}
    assert scores == auto, {q: tf.summary() for q, tf in results.items() if tf.score != auto[q]}


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_untouched_student_notebook_scores_zero_with_readable_feedback(chapter, made, tmp_path, monkeypatch):
    ns, results = _grade_in_process(made[chapter]["student"], made[chapter]["autograder"], tmp_path, monkeypatch)
    auto, _ = _points(cw.masters(MASTERS)[chapter])
    assert set(results) == set(auto)
    for q, tf in results.items():
        assert tf.score == 0, f"{chapter} {q} scores {tf.score} untouched"
        for r in tf.test_case_results:
            assert not r.passed and "Traceback" not in r.message
            assert re.search(r"(returned None|still \.\.\.)", r.message), r.message
    # immediate feedback: the student's grader.check runs the public checks only
    check = ns["grader"].check("q1", ns)
    assert not check.passed_all and all(not r.test_case.hidden for r in check.test_case_results)


@pytest.mark.parametrize("mistake", sorted(WRONG))
def test_wrong_submission_loses_exactly_the_broken_question(mistake, made, tmp_path, monkeypatch):
    chapter, broken, old, new = WRONG[mistake]
    wrong = _with_line_replaced(made[chapter]["solutions"], old, new, tmp_path / f"{mistake}.ipynb")
    _, results = _grade_in_process(wrong, made[chapter]["autograder"], tmp_path / "run", monkeypatch)
    auto, _ = _points(cw.masters(MASTERS)[chapter])
    expected = {q: (0.0 if q == broken else p) for q, p in auto.items()}
    assert {q: tf.score for q, tf in results.items()} == expected
    hidden = [r for r in results[broken].test_case_results if r.test_case.hidden]
    assert hidden and all("Traceback" not in r.message for r in hidden)


def test_make_grade_marks_a_folder_in_fresh_sandboxes(made, tmp_path, monkeypatch):
    """The real path of `make grade`: one sandbox per notebook, grades.csv, feedback files."""
    subs = tmp_path / "submissions"
    subs.mkdir()
    _, q, old, new = WRONG["transposed-jacobian"]
    _with_line_replaced(made["ch02"]["solutions"], old, new, subs / "ada_ch02.ipynb")
    (subs / "bob_ch01.ipynb").write_bytes(made["ch01"]["student"].read_bytes())
    (subs / "eve_ch01.ipynb").write_text("not a notebook")            # must not stop the others
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    marks = cw.grade(subs, made["ch01"]["autograder"].parent)
    auto1, manual1 = _points(cw.masters(MASTERS)["ch01"])
    auto2, _ = _points(cw.masters(MASTERS)["ch02"])
    with open(subs / "grades.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    header = list(rows[0])
    assert header[:3] == ["notebook", "feedback", "assignment"] and header[-3:] == ["total", "possible", "note"]
    assert sorted(header[3:-3]) == sorted(set(auto1) | set(auto2))
    ada, bob, eve = rows
    assert eve["assignment"] == "ch01" and float(eve["total"]) == 0 and float(eve["possible"]) == sum(auto1.values())
    assert "Could not be marked" in (subs / "feedback" / "eve_ch01.txt").read_text(encoding="utf-8")
    assert ada["notebook"] == "ada_ch02.ipynb" and ada["assignment"] == "ch02" and ada["feedback"] == "ada_ch02.txt"
    assert {k: float(ada[k]) for k in auto2} == {k: (0.0 if k == q else p) for k, p in auto2.items()}
    assert float(ada["total"]) == sum(auto2.values()) - auto2[q] and float(ada["possible"]) == sum(auto2.values())
    assert {k: float(bob[k]) for k in auto1} == dict.fromkeys(auto1, 0.0) and float(bob["total"]) == 0
    fb = (subs / "feedback" / "bob_ch01.txt").read_text(encoding="utf-8")
    assert "Traceback" not in fb and "returned None" in fb
    assert all(not row["note"] for row in (ada, bob)), "nothing to note about ordinary submissions"
    # the students' feedback names hidden tests' results only; the teacher's copy has their messages
    teacher = (subs / "feedback" / "teacher" / "ada_ch02.txt").read_text(encoding="utf-8")
    student = (subs / "feedback" / "ada_ch02.txt").read_text(encoding="utf-8")
    hidden = [line for line in student.splitlines() if line.startswith("  [hidden")]
    assert hidden and all(line.endswith(("] passed", "] failed (hidden test: ask your teacher for details)"))
                          for line in hidden), hidden
    assert "[hidden, 3 pt] ❌ Test case failed" in teacher or "[hidden, 2 pt] ❌ Test case failed" in teacher
    assert all(f"{m}: ... / " in fb for m in manual1), "hand-marked questions must be listed"
    assert [g.notebook for g in marks] == ["ada_ch02.ipynb", "bob_ch01.ipynb", "eve_ch01.ipynb"]


def test_bad_input_raises_clear_errors(tmp_path, made, monkeypatch):
    with pytest.raises(ValueError, match="masters_dir"):
        cw.masters(tmp_path)
    # outside a checkout the teacher's tools say that they need one (or --masters)
    monkeypatch.chdir(tmp_path)
    assert cw.find_masters() is None
    with pytest.raises(ValueError, match="checkout of the lyaplearn repository.*--masters"):
        cw.masters()
    monkeypatch.chdir(ROOT / "book")
    assert cw.find_masters() == ROOT / "book" / "assignments" / "masters"
    monkeypatch.chdir(ROOT)
    with pytest.raises(ValueError, match="chapters"):
        cw.generate(tmp_path / "out", chapters=["ch99"])
    with pytest.raises(ValueError, match="submissions"):
        cw.grade(tmp_path / "missing")
    with pytest.raises(ValueError, match="no .ipynb"):
        cw.grade(tmp_path, made["ch01"]["autograder"].parent)
    with pytest.raises(ValueError, match="limits"):
        cw.grade(tmp_path, made["ch01"]["autograder"].parent, limits=300)


def test_every_master_solution_scores_full_marks_through_the_sandbox(made, tmp_path):
    """What `make grade` does, for every chapter: the values the hidden tests pass to and get
    from the submission (arrays, tensors, an nn.LSTM, dicts, ...) cross the sandbox intact."""
    subs = tmp_path / "solutions"
    subs.mkdir()
    for chapter in CHAPTERS:
        (subs / f"ref_{chapter}.ipynb").write_bytes(made[chapter]["solutions"].read_bytes())
    marks = cw.grade(subs, made[CHAPTERS[0]]["autograder"].parent)
    for g in marks:
        auto, _ = _points(cw.masters(MASTERS)[g.assignment])
        assert g.scores == auto and not g.notes and not g.cell_errors, (g.notebook, g.teacher_feedback)


@pytest.mark.parametrize("kind", ["solutions", "student"])
def test_no_handed_out_notebook_reads_as_tampering(made, kind):
    """The marker's reading of the text flags tampering; the notebooks it hands out, filled in
    with the reference solutions or untouched, must never be flagged."""
    from lyaplearn.teacher._submissions import read
    from lyaplearn.teacher._submitted_code import runnable_cells, tampering

    for chapter, paths in made.items():
        sub = read(paths[kind])
        assert sub.problem is None
        assert tampering(runnable_cells(sub.nb)) == [], chapter
