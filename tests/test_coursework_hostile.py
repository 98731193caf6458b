"""Marking a class that contains hostile submissions.

One folder, marked by one ``grade`` call as ``make grade`` does: honest submissions
next to one that reads the hidden tests, one that patches numpy and otter, one
with an endless loop, a fork bomb, a memory hog, functions that hang or raise when
called, one that lost its otter metadata and one whose name names no chapter. Each must get the marks it earned with a
readable reason, and the honest ones must be marked exactly as if alone.

The expected marks come from the master's point values (the solutions earn them
all, the untouched notebook none), not from the marker's own output.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

pytest.importorskip("otter", reason="coursework needs the extra: pip install -e '.[coursework]'")
pytestmark = [pytest.mark.fp_insensitive, pytest.mark.slow,
              pytest.mark.filterwarnings("ignore:The inplace keyword in DataFrame.drop is deprecated")]

from lyaplearn import coursework as cw  # noqa: E402
from lyaplearn.sandbox import Limits, Session, bwrap_usable  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
# Short limits keep the test fast; an honest ch05 notebook needs a few seconds (torch import).
# The notebook limit is wall time, and make test runs this beside three other jobs on two
# cores: a CI run marked the fork-bomb notebook 0 with 20 s. 60 s leaves room for that load;
# only the endless loop waits for it (the class is marked in 124 s alone, 87 s with 20 s).
LIMITS = Limits(notebook_seconds=60, call_seconds=10, memory_bytes=3 * 2**30, processes=64)


def _points(chapter):
    auto = {}
    for c in cw._config_blocks(cw.masters()[chapter]):
        if not c.get("manual"):
            auto[c["name"]] = float(c["points"])
    return auto


def _edit(src: Path, dest: Path, *, after: str | None = None, cell: str | None = None,
          replace: tuple[str, str] | None = None, drop_otter_metadata: bool = False) -> None:
    nb = json.loads(src.read_text(encoding="utf-8"))
    cells = nb["cells"]
    if cell is not None:
        at = next(i for i, c in enumerate(cells) if after in "".join(c["source"]))
        cells.insert(at + 1, {"cell_type": "code", "metadata": {}, "execution_count": None,
                              "outputs": [], "source": cell})
    if replace is not None:
        hits = [c for c in cells if replace[0] in "".join(c["source"])]
        assert len(hits) == 1
        hits[0]["source"] = "".join(hits[0]["source"]).replace(*replace)
    if drop_otter_metadata:
        nb["metadata"].pop("otter")
    dest.write_text(json.dumps(nb), encoding="utf-8")


READ_TESTS = """\
import glob, os
found = []
for pattern in ("tests/*.py", "../*/*", "/tmp/**", "/work/*", "/home/*"):
    found += glob.glob(pattern, recursive=True)
try:
    leaked = open("tests/q1.py").read()
except OSError:
    leaked = None
"""

PATCH_GRADER = """\
import numpy as np
import otter
np.allclose = lambda *args, **kwargs: True
np.isclose = lambda *args, **kwargs: True
otter.Notebook.check = lambda self, *args, **kwargs: None
def qr_step(J, Q):
    return np.eye(len(Q))[:, :Q.shape[1]], np.zeros(Q.shape[1])
"""

FORK_BOMB = """\
import os
while True:
    os.fork()
"""

MEMORY_HOG = """\
import numpy as np
hog = []
while True:
    hog.append(np.ones(2**24))        # 128 MiB at a time, touched
"""

ENDLESS = """\
import time
while True:
    time.sleep(0.5)
"""


@pytest.fixture(scope="module")
def marked(tmp_path_factory):
    why = bwrap_usable()
    assert why is None, why          # make test installs bubblewrap (scripts/ensure_debian.sh)
    out = tmp_path_factory.mktemp("assignments")
    made = cw.generate(out, chapters=["ch05"])["ch05"]
    sol, student = made["solutions"], made["student"]
    subs = tmp_path_factory.mktemp("class")
    # an honest student who also plots, with IPython magics (no kernel: these must still work)
    _edit(sol, subs / "ada_ch05.ipynb", after="import otter",
          cell="%matplotlib inline\nimport matplotlib.pyplot as plt\nplt.plot([0, 1])\nplt.show()\n%timeit -n1 -r1 1 + 1")
    _edit(student, subs / "bob_ch05.ipynb")
    _edit(sol, subs / "reader_ch05.ipynb", after="def qr_step", cell=READ_TESTS)
    _edit(student, subs / "patcher_ch05.ipynb", after="def qr_step", cell=PATCH_GRADER)
    # an endless loop after question 2's answer: questions 1 and 2 still count
    _edit(sol, subs / "loop_ch05.ipynb", after="def lyapunov_exponents", cell=ENDLESS)
    _edit(sol, subs / "forker_ch05.ipynb", after="import otter", cell=FORK_BOMB)
    _edit(sol, subs / "hog_ch05.ipynb", after="def spectrum_sum", cell=MEMORY_HOG)
    _edit(sol, subs / "cara_ch05.ipynb", drop_otter_metadata=True)
    (subs / "dan_homework.ipynb").write_bytes(sol.read_bytes())
    # a function that hangs when the tests call it, and one that raises
    _edit(sol, subs / "hang_ch05.ipynb", replace=("    lam = np.sort", "    import time\n    while True:\n"
                                                   "        time.sleep(0.2)\n    lam = np.sort"))
    _edit(subs / "hang_ch05.ipynb", subs / "hang_ch05.ipynb",
          replace=("    Q_new, R = np.linalg.qr", "    raise ValueError('my own bug')\n    Q_new, R = np.linalg.qr"))
    marks = cw.grade(subs, out / "autograder", limits=LIMITS)
    with open(subs / "grades.csv", newline="", encoding="utf-8") as f:
        rows = {r["notebook"].split("_")[0]: r for r in csv.DictReader(f)}
    return subs, rows, {g.notebook.split("_")[0]: g for g in marks}


def _scores(row, auto):
    return {q: float(row[q]) for q in auto}


def test_honest_submissions_are_marked_as_if_alone(marked):
    _, rows, marks = marked
    assert marks["ada"].cell_errors == []
    auto = _points("ch05")
    assert _scores(rows["ada"], auto) == auto and rows["ada"]["note"] == ""
    assert _scores(rows["bob"], auto) == dict.fromkeys(auto, 0.0) and rows["bob"]["note"] == ""
    assert float(rows["ada"]["possible"]) == sum(auto.values())


def test_reading_the_hidden_tests_finds_nothing_and_is_flagged(marked):
    subs, rows, _ = marked
    auto = _points("ch05")
    assert _scores(rows["reader"], auto) == dict.fromkeys(auto, 0.0)
    assert "TAMPERING" in rows["reader"]["note"] and "tests/q1.py" in rows["reader"]["note"]
    fb = (subs / "feedback" / "reader_ch05.txt").read_text(encoding="utf-8")
    assert "TAMPERING" in fb


def test_patching_numpy_and_otter_earns_nothing_and_is_flagged(marked):
    _, rows, _ = marked
    auto = _points("ch05")
    assert _scores(rows["patcher"], auto) == dict.fromkeys(auto, 0.0)
    note = rows["patcher"]["note"]
    assert "TAMPERING" in note and "numpy.allclose" in note


def test_endless_loop_is_stopped_and_the_cells_before_it_count(marked):
    subs, rows, _ = marked
    auto = _points("ch05")
    want = {q: (p if q in ("q1", "q2") else 0.0) for q, p in auto.items()}
    assert _scores(rows["loop"], auto) == want
    assert "timed out" in rows["loop"]["note"] and "60 s" in rows["loop"]["note"]
    assert "timed out" in (subs / "feedback" / "loop_ch05.txt").read_text(encoding="utf-8")


def test_fork_bomb_hits_the_process_limit_and_the_answers_count(marked):
    _, rows, marks = marked
    auto = _points("ch05")
    assert _scores(rows["forker"], auto) == auto, (rows["forker"]["note"], marks["forker"].cell_errors)
    assert any("BlockingIOError" in e or "Resource temporarily unavailable" in e for _, e in marks["forker"].cell_errors)


def test_memory_hog_hits_the_memory_limit_and_the_answers_count(marked):
    _, rows, marks = marked
    auto = _points("ch05")
    assert _scores(rows["hog"], auto) == auto, (rows["hog"]["note"], marks["hog"].cell_errors)
    assert any("MemoryError" in e for _, e in marks["hog"].cell_errors), marks["hog"].cell_errors


def test_a_hanging_or_raising_function_fails_its_tests_only(marked):
    subs, rows, _ = marked
    auto = _points("ch05")
    assert _scores(rows["hang"], auto) == {q: (0.0 if q in ("q1", "q4") else p) for q, p in auto.items()}
    assert "q4: a call of the submission's code ran past 10 s" in rows["hang"]["note"]
    fb = (subs / "feedback" / "hang_ch05.txt").read_text(encoding="utf-8")
    assert "qr_step raised ValueError: my own bug" in fb and "kaplan_yorke(...) ran longer than 10 s" in fb


def test_lost_metadata_is_marked_by_file_name_with_a_note(marked):
    _, rows, _ = marked
    auto = _points("ch05")
    assert _scores(rows["cara"], auto) == auto and "metadata.otter is missing" in rows["cara"]["note"]


def test_a_file_naming_no_chapter_gets_a_row_and_a_reason(marked):
    subs, rows, _ = marked
    # dan_homework.ipynb is a ch05 notebook (metadata), so it is marked; a bare one is not
    assert rows["dan"]["assignment"] == "ch05" and float(rows["dan"]["total"]) == sum(_points("ch05").values())
    bare = subs.parent / "bare"
    bare.mkdir(exist_ok=True)
    (bare / "homework.ipynb").write_text(json.dumps({"cells": [], "metadata": {}}))
    (g,) = cw.grade(bare, subs.parent / "none", masters_dir=subs.parent / "none")
    assert g.assignment == "?" and g.total == 0 and "contains no chNN" in g.notes[0]
    assert "cannot tell which assignment" in (bare / "grades.csv").read_text(encoding="utf-8")


def test_the_sandbox_sees_no_network_no_library_and_no_other_files():
    with Session(json.dumps({"cells": []}), "ch01.ipynb", Limits(notebook_seconds=30, call_seconds=10)) as s:
        import time
        deadline = time.monotonic() + 30
        assert "No module named 'lyaplearn'" in s.run_cell(0, "import lyaplearn", deadline)
        assert "FileNotFoundError" in s.run_cell(1, f"open({str(ROOT / 'README.md')!r})", deadline)
        assert s.run_cell(2, "import socket\ntry:\n    socket.create_connection(('10.0.0.1', 80), timeout=2)\n"
                             "    net = 'reached'\nexcept OSError as e:\n    net = str(e)", deadline) is None
        assert s.run_cell(3, "import os\nuid = os.getuid()\nhome = sorted(f for f in os.listdir('.') if not f.startswith('.'))", deadline) is None
        v = s.values(["net", "uid", "home"])
        assert v["net"] != "reached" and v["home"] == ["ch01.ipynb"]
        assert v["uid"] != 0


def test_stale_graders_are_made_again(tmp_path):
    masters = tmp_path / "masters"
    masters.mkdir()
    master = masters / "ch01.ipynb"
    master.write_bytes(cw.masters()["ch01"].read_bytes())
    out = tmp_path / "a"
    made = cw.generate(out, masters_dir=masters)["ch01"]
    stamp = out / "autograder" / "ch01-autograder.master-sha256"
    assert not cw._stale("ch01", master, out / "autograder")
    nb = json.loads(master.read_text(encoding="utf-8"))
    nb["cells"][1]["source"] = "".join(nb["cells"][1]["source"]) + "\n\nChanged."
    master.write_text(json.dumps(nb), encoding="utf-8")
    assert cw._stale("ch01", master, out / "autograder")
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "x.ipynb").write_text(json.dumps({"cells": [], "metadata": {"otter": {"assignment_name": "ch01"}}}))
    cw.grade(subs, out / "autograder", masters, limits=Limits(notebook_seconds=30))
    assert not cw._stale("ch01", master, out / "autograder") and stamp.is_file()
    assert "Changed." in made["student"].read_text(encoding="utf-8")


def test_marking_refuses_to_run_unisolated_without_being_told(tmp_path, monkeypatch):
    monkeypatch.setattr(cw, "bwrap_usable", lambda: "bubblewrap (bwrap) is not installed")
    (tmp_path / "a_ch01.ipynb").write_text("{}")
    with pytest.raises(RuntimeError, match="cannot isolate the submissions: bubblewrap"):
        cw.grade(tmp_path, tmp_path / "graders")
