"""Marking a class that contains hostile submissions (issue 25's kinds, built afresh).

One folder, marked by one ``grade`` call as ``make grade`` does (and the memory hog in a
folder of its own, with a longer budget, so that a loaded machine's speed is not tested): honest notebooks (one
with plots and magics and a ``grader.check`` in an answer cell, one with 30 MB of
outputs, one handed in under another chapter's name, one whose file name is Latin-1
with escape sequences and starts like a spreadsheet formula) beside submissions that
read or overwrite the teacher's keyring secret, collude through a keyring, record the
hidden tests' inputs to show them in public feedback, change their arguments in place,
patch numpy (seen and unseen), forge the worker's reply, spend the time call by call,
crash their sandbox on every call, loop, fork, eat memory with several processes and
fill the disk, and links and folders named ``*.ipynb``. The cells of the attacks are in
``tests/hostile/``.

Each must get the marks it earned with a readable note; no secret may be read or changed;
no process or control group may be left behind; every notebook takes a bounded time.
Only the sleeper is told, by a substituted measurement, that the kernel was reading back its
evicted pages when its calls timed out: the note must reach ``grades.csv``.
The expected marks come from the masters' point values (the solutions earn them all,
the untouched notebook none), never from the marker's own output.
"""

from __future__ import annotations

import csv
import ctypes
import dataclasses
import json
import os
import secrets
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("otter", reason="the teacher's tools need their extra: pip install -e '.[teacher]'")
pytestmark = [pytest.mark.fp_insensitive, pytest.mark.slow,
              pytest.mark.filterwarnings("ignore:The inplace keyword in DataFrame.drop is deprecated")]

from lyaplearn.teacher import coursework as cw  # noqa: E402
from lyaplearn.teacher import _sandbox_worker as wire  # noqa: E402
from lyaplearn.teacher import sandbox  # noqa: E402
from lyaplearn.teacher._cgroup import Cgroup  # noqa: E402
from lyaplearn.teacher.sandbox import Limits, Session, sandbox_usable  # noqa: E402

HOSTILE = Path(__file__).resolve().parent / "hostile"
MASTERS = Path(__file__).resolve().parents[1] / "book" / "assignments" / "masters"
# One budget of 40 s per notebook (cells at most 20 s of it), 5 s per call: an honest ch01 or
# ch03 notebook needs a few seconds (the torch import), also beside other jobs on two cores.
LIMITS = Limits(notebook_seconds=40, call_seconds=5, memory_bytes=3 * 2**30, processes=64)
HOG_SECONDS = 120                                  # the memory hog is marked alone, with time to spare
WEIRD = b"=f\xe9\x1b[2J_ch01.ipynb"       # Latin-1, an escape sequence, a formula's first character


def _points(chapter):
    return {c["name"]: float(c["points"]) for c in cw._config_blocks(cw.masters(MASTERS)[chapter]) if not c.get("manual")}


def _edit(src: Path, dest, *, after: str | None = None, cell: str | None = None,
          replace: tuple[str, str] | None = None, outputs_mb: int = 0) -> None:
    nb = json.loads(src.read_text(encoding="utf-8"))
    cells = nb["cells"]
    if cell is not None:
        at = len(cells) - 1 if after is None else next(i for i, c in enumerate(cells) if after in "".join(c["source"]))
        cells.insert(at + 1, {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
                              "source": cell})
    if replace is not None:
        hits = [c for c in cells if replace[0] in "".join(c["source"])]
        assert len(hits) == 1
        hits[0]["source"] = "".join(hits[0]["source"]).replace(*replace)
    if outputs_mb:
        code = next(c for c in cells if c["cell_type"] == "code")
        code["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "x" * 2**20} for _ in range(outputs_mb)]
    with open(dest, "w", encoding="utf-8") as f:
        json.dump(nb, f)


def _attack(name: str) -> str:
    return (HOSTILE / f"{name}.py").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def secret():
    """A secret in the session keyring of this test process (a fresh one, not the machine's)."""
    try:
        keyutils = ctypes.CDLL("libkeyutils.so.1", use_errno=True)
    except OSError:
        pytest.fail("libkeyutils is missing: scripts/ensure_debian.sh sandbox installs keyutils")
    assert keyutils.keyctl_join_session_keyring(None) > 0, os.strerror(ctypes.get_errno())
    value = "lyaplearn-" + secrets.token_hex(16)
    kid = subprocess.run(["keyctl", "add", "user", "lyaplearn-test-secret", value, "@s"], capture_output=True,
                         text=True, check=True).stdout.strip()
    return kid, value


def _keyring():
    return subprocess.run(["keyctl", "rlist", "@s"], capture_output=True, text=True).stdout.split()


@pytest.fixture(scope="module")
def marked(tmp_path_factory, secret):
    why = sandbox_usable()
    assert why is None, why          # make test installs the sandbox (scripts/ensure_debian.sh sandbox)
    out = tmp_path_factory.mktemp("assignments")
    made = cw.generate(out, chapters=["ch01", "ch03"])
    sol, student, sol3 = made["ch01"]["solutions"], made["ch01"]["student"], made["ch03"]["solutions"]
    subs = tmp_path_factory.mktemp("class")
    theta, q2, depth = "def theta_closed", "q2_interval = (0.9", "def certified_depth"
    # honest: plots and magics, and an answer cell that also checks itself
    _edit(sol, subs / "ada_ch01.ipynb", after="import otter",
          cell="%matplotlib inline\nimport matplotlib.pyplot as plt\nplt.plot([0, 1])\nplt.show()\n%timeit -n1 -r1 1 + 1")
    nb = json.loads((subs / "ada_ch01.ipynb").read_text(encoding="utf-8"))
    answer = next(c for c in nb["cells"] if theta in "".join(c["source"]))
    answer["source"] = "".join(answer["source"]) + '\n\ngrader.check("q1")\n'
    (subs / "ada_ch01.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    _edit(student, subs / "bob_ch01.ipynb")
    _edit(sol3, subs / "cara_ch03.ipynb")
    _edit(sol, subs / "dan_ch03.ipynb")                              # a ch01 notebook named ch03
    _edit(sol, subs / "eve_ch01.ipynb", outputs_mb=30)
    _edit(sol, os.path.join(os.fsencode(subs), WEIRD), cell=_attack("noisy_error"))
    (subs / "link_ch01.ipynb").symlink_to(sol)                       # the teacher's solutions
    (subs / "dir_ch01.ipynb").mkdir()
    # hostile
    _edit(sol, subs / "keyreader_ch01.ipynb", after=theta, cell=_attack("keyring_read"))
    _edit(sol, subs / "keywriter_ch01.ipynb", after=theta, cell=_attack("keyring_write"))
    _edit(sol, subs / "colluder1_ch01.ipynb", after=q2, cell=_attack("collude_write"))
    _edit(sol, subs / "colluder2_ch01.ipynb", after=q2, cell=_attack("collude_read"))
    _edit(sol, subs / "leaker_ch01.ipynb", after=depth, cell=_attack("leak_hidden_inputs"))
    _edit(sol3, subs / "copyback_ch03.ipynb", after="def nearest_orthogonal", cell=_attack("copy_back"))
    _edit(student, subs / "patcher_ch01.ipynb", after=theta, cell=_attack("patch_and_read"))
    _edit(sol, subs / "sneaky_ch01.ipynb", after=theta, cell=_attack("patch_unseen"))
    _edit(sol, subs / "forger_ch01.ipynb", after=theta, cell=_attack("forge_reply"))
    _edit(sol, subs / "sleeper_ch01.ipynb", after=theta, cell=_attack("slow_calls"))
    _edit(sol, subs / "crasher_ch01.ipynb", after=theta, cell=_attack("crash_calls"))
    _edit(sol, subs / "looper_ch01.ipynb", after=q2, cell=_attack("endless"))
    _edit(sol, subs / "forker_ch01.ipynb", cell=_attack("fork_bomb"))
    # the hog alone, with time to spare: on a loaded machine (a CI run, load 15 on 2 cores) its
    # 3 GiB took 12 s to fill and its sandbox 6 s to start, so in the class's 20 s of cells the
    # kernel's kill sometimes came after the time-out; what is tested here is the memory bound
    hogs = tmp_path_factory.mktemp("hog")
    _edit(sol, hogs / "hog_ch01.ipynb", cell=_attack("memory_hog"))
    _edit(sol, subs / "filler_ch01.ipynb", cell=_attack("disk_filler"))

    took = {}
    real = cw.grade_notebook

    def timed(sub, *args, **kwargs):
        t = time.monotonic()
        try:
            if not sub.name.startswith("sleeper"):
                return real(sub, *args, **kwargs)
            # as if the sleeper's group had been rereading 200 MiB whenever one of its calls timed out:
            # the note that says so must reach grades.csv (a real thrash is too slow to stage here)
            with pytest.MonkeyPatch.context() as measured:
                measured.setattr(Cgroup, "reread_at_memory_limit", lambda self, window=0.5: 200 * 2**20)
                return real(sub, *args, **kwargs)
        finally:
            took[sub.name.split("_")[0]] = time.monotonic() - t

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(cw, "grade_notebook", timed)
        marks = cw.grade(subs, out / "autograder", limits=LIMITS)
    t = time.monotonic()
    marks += cw.grade(hogs, out / "autograder", limits=dataclasses.replace(LIMITS, notebook_seconds=HOG_SECONDS))
    took["hog"] = time.monotonic() - t
    rows = []
    for folder in (subs, hogs):
        with open(folder / "grades.csv", newline="", encoding="utf-8") as f:
            rows += list(csv.DictReader(f))
    by = {r["notebook"].split("_")[0].lstrip("'"): r for r in rows}
    return subs, by, {g.notebook.split("_")[0]: g for g in marks}, took


def _scores(row, auto):
    return {q: float(row[q]) for q in auto}


def _student(subs, stem):
    return (subs / "feedback" / f"{stem}.txt").read_text(encoding="utf-8")


def test_honest_submissions_get_full_marks_and_no_note(marked):
    subs, rows, marks, _ = marked
    auto1, auto3 = _points("ch01"), _points("ch03")
    assert _scores(rows["ada"], auto1) == auto1 and rows["ada"]["note"] == "" and marks["ada"].cell_errors == []
    assert _scores(rows["cara"], auto3) == auto3 and rows["cara"]["note"] == ""
    assert _scores(rows["eve"], auto1) == auto1 and rows["eve"]["note"] == "", "30 MB of outputs are stripped"
    assert _scores(rows["bob"], auto1) == dict.fromkeys(auto1, 0.0) and rows["bob"]["note"] == ""


def test_a_chapter_named_wrongly_is_marked_by_its_content_with_a_note(marked):
    _, rows, _, _ = marked
    auto1 = _points("ch01")
    assert rows["dan"]["assignment"] == "ch01" and _scores(rows["dan"], auto1) == auto1
    assert "file name says ch03" in rows["dan"]["note"]


def test_any_file_name_and_no_control_characters_or_formulas_reach_the_teacher(marked):
    subs, rows, marks, _ = marked
    row = next(r for r in rows.values() if "f\\xe9" in r["notebook"])
    assert row["notebook"].startswith("'="), "a cell that starts with = must be inert"
    assert float(row["total"]) == sum(_points("ch01").values())
    text = (subs / "grades.csv").read_text(encoding="utf-8")
    for path in [subs / "grades.csv", *(subs / "feedback").rglob("*.txt")]:
        body = path.read_text(encoding="utf-8")
        assert not any(ord(ch) < 32 and ch not in "\n\r" or ch == "\x7f" or ch == "\u202e" for ch in body), path
    assert "[2J" in text                                 # the escape's printable rest, without ESC
    errs = next(g for k, g in marks.items() if "f\\xe9" in k).cell_errors
    assert errs and "ValueError" in errs[0][1] and "\x1b" not in errs[0][1]


def test_links_and_folders_are_refused_with_a_note(marked):
    _, rows, _, _ = marked
    assert "symbolic link" in rows["link"]["note"] and float(rows["link"]["total"]) == 0
    assert rows["link"]["assignment"] == "ch01" and float(rows["link"]["possible"]) == sum(_points("ch01").values())
    assert "not a regular file" in rows["dir"]["note"] and float(rows["dir"]["total"]) == 0


def test_no_secret_is_read_or_changed(marked, secret):
    subs, rows, _, _ = marked
    kid, value = secret
    for path in [subs / "grades.csv", *(subs / "feedback").rglob("*.txt")]:
        body = path.read_text(encoding="utf-8")
        assert value not in body and "lyaplearn-test-secret" not in body, path
    assert "LEAK" in _student(subs, "keyreader_ch01"), "the reader's own message must be there, empty"
    got = subprocess.run(["keyctl", "pipe", kid], capture_output=True, text=True).stdout
    assert got == value, "the secret was changed"
    assert _keyring() == [kid], "a key was planted in the marker's session keyring"
    for who in ("keyreader", "keywriter", "colluder1", "colluder2"):
        assert float(rows[who]["total"]) == 0 and "TAMPERING" in rows[who]["note"], (who, rows[who]["note"])


def test_keyrings_are_out_of_reach_in_the_sandbox_itself(secret):
    """Without the marker's reading of the text: the system calls fail, the keyring is a fresh one,
    and nothing written to a keyring by one sandbox is there for the next."""
    kid, value = secret
    probe = ("import ctypes, errno\nk = ctypes.CDLL('libkeyutils.so.1', use_errno=True)\n"
             "r = k.keyctl_search(-3, b'user', b'lyaplearn-test-secret', 0)\nerr = ctypes.get_errno()\n"
             "w = k.add_key(b'user', b'lyaplearn-test-answer', b'42', 2, -4)\nerr_w = ctypes.get_errno()\n"
             "keys = open('/proc/keys').read()\n")
    for _ in range(2):
        with Session(json.dumps({"cells": []}), "ch01.ipynb", LIMITS) as s:
            assert s.run_cell(0, probe, time.monotonic() + 30) is None
            v = s.values(["r", "err", "w", "err_w", "keys"])
        assert v["r"] == -1 and v["err"] == 1 and v["w"] == -1 and v["err_w"] == 1     # EPERM: seccomp
        assert "lyaplearn-test" not in v["keys"] and value not in v["keys"]
    assert _keyring() == [kid]


def test_hidden_inputs_never_reach_the_students_feedback(marked):
    subs, _, _, _ = marked
    fb = _student(subs, "leaker_ch01")
    # the numbers count the hidden calls made before each public check: none
    assert "got 12345.0" in fb and "got 54321.0" in fb and "got -1000" in fb, fb


def test_arguments_go_in_by_value(marked):
    _, rows, _, _ = marked
    auto3 = _points("ch03")
    assert _scores(rows["copyback"], auto3) == {q: (0.0 if q == "q3" else p) for q, p in auto3.items()}
    assert "TAMPERING" not in rows["copyback"]["note"]


def test_patching_is_flagged_from_the_text_and_unseen_patches_gain_nothing(marked):
    _, rows, _, _ = marked
    auto1 = _points("ch01")
    note = rows["patcher"]["note"]
    assert float(rows["patcher"]["total"]) == 0
    assert "TAMPERING" in note and "numpy.isclose" in note and "gc" in note and "tests/" in note, note
    assert _scores(rows["sneaky"], auto1) == {q: (0.0 if q == "q1" else p) for q, p in auto1.items()}


def test_a_forged_reply_ends_the_session_and_withholds_the_marks(marked):
    _, rows, _, took = marked
    assert float(rows["forger"]["total"]) == 0
    assert "TAMPERING" in rows["forger"]["note"] and "broke the protocol" in rows["forger"]["note"]
    assert took["forger"] < LIMITS.notebook_seconds


def test_one_time_budget_per_notebook(marked):
    subs, rows, _, took = marked
    auto1 = _points("ch01")
    # slow calls and crashing calls: stopped by the notebook's one budget, whatever the calls do
    assert all(t < (HOG_SECONDS if who == "hog" else LIMITS.notebook_seconds) + 15 for who, t in took.items()), took
    assert "time budget of 40 s ran out" in rows["sleeper"]["note"]
    assert "at their 3 GiB memory budget and the kernel was reading back pages it had evicted from them " \
        "(200 MiB in half a second)" in rows["sleeper"]["note"]                 # as if its calls thrashed
    assert float(rows["sleeper"]["q1"]) == 0 and float(rows["crasher"]["q1"]) == 0
    assert _scores(rows["crasher"], auto1) == {q: (0.0 if q == "q1" else p) for q, p in auto1.items()}
    assert "started afresh" in rows["crasher"]["note"]
    # an endless loop after q2: q1 and q2 count
    assert _scores(rows["looper"], auto1) == {q: (p if q in ("q1", "q2") else 0.0) for q, p in auto1.items()}
    assert "timed out" in rows["looper"]["note"] and "timed out" in _student(subs, "looper_ch01")
    assert "GiB" not in rows["looper"]["note"]       # a loop that holds little memory: no memory note


def test_processes_memory_and_disk_are_bounded_per_submission(marked):
    _, rows, marks, _ = marked
    auto1 = _points("ch01")
    for who in ("forker", "hog", "filler"):
        assert _scores(rows[who], auto1) == auto1, (who, rows[who]["note"], marks[who].cell_errors)
    # the fork bomb fails at the process limit, or (on a loaded machine, where forking a process
    # that holds torch is slow) runs out of the cells' time: either way its sandbox is gone
    assert any("BlockingIOError" in e for _, e in marks["forker"].cell_errors) or \
        "timed out" in rows["forker"]["note"], (rows["forker"]["note"], marks["forker"].cell_errors)
    assert any("No space left on device" in e for _, e in marks["filler"].cell_errors), marks["filler"].cell_errors
    group = Cgroup.make(2**20, 1)
    if group is not None:                      # a control group: the processes' memory together
        group.remove()
        # the kernel kills one of the four, or (on a machine where it first reclaims memory for a
        # long time) holds them at the budget until the cells' time runs out: the note says which
        note = rows["hog"]["note"]
        assert "used more than their 3 GiB" in note or \
            ("timed out" in note and "at their 3 GiB memory budget" in note), note


# Processes in a 256 MiB group that print "ready" and then go on for ever. Most write (and so
# own the page cache of) a 128 MiB file beside 160 MiB of their own memory.
_HOLD = "import os, sys, time\nblock = b'x' * {mib} * 2**20\n"
_WRITE = "path = sys.argv[1]\nwith open(path, 'wb') as f:\n    for _ in range(128): f.write(os.urandom(2**20))\n"
_READY = "print('ready', flush=True)\n"
_REREAD = "while True:\n    with open(path, 'rb') as f:\n        while f.read(2**20): pass\n"
_MADV_FREE = ("import mmap\na = mmap.mmap(-1, 200 * 2**20, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)\n"
              "for _ in range(200): a.write(b'x' * 2**20)\na.madvise(mmap.MADV_FREE)\nb = b'y' * 200 * 2**20\ndel b\n")
_REREADS = {
    # the file cannot stay in memory beside the block: read over and over, it is evicted and read back
    "rereads_a_file_at_the_limit": (_HOLD.format(mib=160) + _WRITE + _READY + _REREAD, True),
    # at the limit with page cache, then only computing
    "computes_beside_its_page_cache": (_HOLD.format(mib=160) + _WRITE + _READY + "while True: pass\n", False),
    # touched the limit once (memory handed back with MADV_FREE, then taken again), then computes
    "touched_the_limit_once": (_MADV_FREE + _READY + "while True: pass\n", False),
    "holds_little": (_HOLD.format(mib=32) + _READY + "while True: pass\n", False),
}


def _file_system(path: Path) -> str:
    """The type of the file system that holds ``path`` (the longest mount point above it)."""
    best, kind = "", "?"
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        fields = line.split()
        mount, fstype = fields[4], fields[fields.index("-") + 1]
        if str(path).startswith(mount.rstrip("/") + "/") and len(mount) >= len(best):
            best, kind = mount, fstype
    return kind


@pytest.mark.parametrize("what", sorted(_REREADS))
def test_a_group_rereads_at_its_memory_limit_only_while_it_thrashes(what, tmp_path):
    code, rereads = _REREADS[what]
    if "path" in code and _file_system(tmp_path) in ("tmpfs", "ramfs", "zfs"):   # not the group's evictable cache
        pytest.skip(f"the test's file would not be in the group's evictable page cache on {_file_system(tmp_path)}")
    group = Cgroup.make(256 * 2**20, 4)
    if group is None:
        pytest.skip("no control group can be made here (not root, or no memory controller)")
    p = None
    try:
        p = subprocess.Popen(group.wrap([sys.executable, "-c", code, str(tmp_path / "file")]),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert select.select([p.stdout], [], [], 120)[0], "the process did not get ready in 120 s"
        assert p.stdout.readline() == b"ready\n", p.stderr.read()[-2000:]
        reread = group.reread_at_memory_limit()
        assert (reread >= 256 * 2**20 // 100 if rereads else reread == 0), reread
        assert not group.out_of_memory()
    finally:
        group.remove()
        if p is not None:
            p.wait()


def test_no_process_or_control_group_is_left_behind(marked):
    me = str(os.getpid())
    children = [p for p in Path("/proc").iterdir() if p.name.isdigit() and _ppid(p) == me]
    assert children == [], [_cmd(p) for p in children]
    groups = [d for d in Path("/sys/fs/cgroup").rglob(f"lyaplearn-sandbox-{me}-*")] if os.geteuid() == 0 else []
    assert groups == []


def _ppid(p: Path) -> str | None:
    try:
        return p.joinpath("stat").read_text().rsplit(")", 1)[1].split()[1]
    except (OSError, IndexError):
        return None


def _cmd(p: Path) -> str:
    try:
        return p.joinpath("cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return "?"


def test_the_sandbox_sees_no_network_no_library_and_no_other_files():
    with Session(json.dumps({"cells": []}), "ch01.ipynb", Limits(notebook_seconds=30, call_seconds=10)) as s:
        deadline = time.monotonic() + 30
        assert "No module named 'lyaplearn'" in s.run_cell(0, "import lyaplearn", deadline)
        assert "FileNotFoundError" in s.run_cell(1, f"open({str(HOSTILE / 'README.md')!r})", deadline)
        # no network: the only interface is the namespace's own loopback (nothing is sent anywhere)
        assert s.run_cell(2, "import socket\nnet = sorted(n for _, n in socket.if_nameindex())",
                          deadline) is None
        assert s.run_cell(3, "import os\nuid = os.getuid()\nhome = sorted(f for f in os.listdir('.') "
                             "if not f.startswith('.'))", deadline) is None
        v = s.values(["net", "uid", "home"])
        assert v["net"] == ["lo"] and v["home"] == ["ch01.ipynb"]
        assert v["uid"] != 0


def test_a_python_environment_under_tmp_stays_visible(tmp_path, monkeypatch):
    """A clone (and its venv) under /tmp: the sandbox's own /tmp must not hide it."""
    if not str(tmp_path).startswith("/tmp/"):
        pytest.skip(f"the test's folder {tmp_path} is not under /tmp")
    env = tmp_path / "venv"
    env.mkdir()
    (env / "marker.txt").write_text("here")
    real = sandbox._prefixes
    monkeypatch.setattr(sandbox, "_prefixes", lambda: [*real(), str(env)])
    with Session(json.dumps({"cells": []}), "ch01.ipynb", Limits(notebook_seconds=30)) as s:
        deadline = time.monotonic() + 30
        assert s.run_cell(0, f"seen = open({str(env / 'marker.txt')!r}).read()\n"
                             "open('/tmp/scratch', 'w').write('ok')", deadline) is None
        assert s.values(["seen"]) == {"seen": "here"}


def test_a_broken_sandbox_refuses_to_mark_and_writes_nothing(tmp_path, monkeypatch):
    """The failure of issue 10: a mount that hides the Python environment. Marking must stop with
    the reason instead of giving everyone zero."""
    real = sandbox._binds
    monkeypatch.setattr(sandbox, "_binds", lambda size: [*real(size), "--tmpfs", os.path.realpath(sys.prefix)])
    (tmp_path / "a_ch01.ipynb").write_text(json.dumps({"cells": [], "metadata": {}}))
    with pytest.raises(cw.MarkingRefused, match="known-good notebook"):
        cw.grade(tmp_path, tmp_path / "graders", tmp_path / "no-masters", limits=Limits(notebook_seconds=30))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_ch01.ipynb"]


def test_a_file_naming_no_chapter_gets_a_row_and_a_reason(tmp_path):
    (tmp_path / "homework.ipynb").write_text(json.dumps({"cells": [], "metadata": {}}))
    (g,) = cw.grade(tmp_path, tmp_path / "none", masters_dir=tmp_path / "none", limits=Limits(notebook_seconds=30))
    assert g.assignment == "?" and g.total == 0 and "contains no chNN" in g.notes[0]
    assert "cannot tell which assignment" in (tmp_path / "grades.csv").read_text(encoding="utf-8")


def test_stale_graders_are_made_again(tmp_path):
    masters = tmp_path / "masters"
    masters.mkdir()
    master = masters / "ch01.ipynb"
    master.write_bytes(cw.masters(MASTERS)["ch01"].read_bytes())
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
    monkeypatch.setattr(cw, "sandbox_usable", lambda: "bwrap is not installed")
    (tmp_path / "a_ch01.ipynb").write_text("{}")
    with pytest.raises(RuntimeError, match="cannot isolate the submissions: bwrap"):
        cw.grade(tmp_path, tmp_path / "graders")


def _tensor(shape):
    import numpy as np
    return {"__tensor__": wire.encode(np.zeros(shape)), "requires_grad": False}


FORGED = {
    "nested 50,000 deep": b'{"op": "result", "value": ' + b"[" * 50000 + b"]" * 50000 + b"}",
    "4,299-digit shape": b'{"__nd__": "<f8", "shape": [' + b"9" * 4299 + b'], "b64": ""}',
    "shape without its data": json.dumps({"__nd__": "<f8", "shape": [2**20] * 8, "b64": ""}).encode(),
    "a dtype with a subarray": json.dumps({"__nd__": "(1000000000,)<f8", "shape": [1], "b64": ""}).encode(),
    "a million-digit integer": json.dumps({"__bigint__": "9" * 10**6}).encode(),
    "a 3.6 GB nn.Linear": json.dumps({"__module__": "Linear", "kwargs": {"__dict__": [
        ["in_features", 30000], ["out_features", 30000]]}, "state": {"weight": _tensor((2, 2))}}).encode(),
    "a module without weights": json.dumps({"__module__": "LSTM", "kwargs": {"__dict__": [
        ["input_size", 10**6], ["hidden_size", 10**6]]}, "state": {}}).encode(),
    "an LSTM of 2**31 - 1 layers": json.dumps({"__module__": "LSTM", "kwargs": {"__dict__": [
        ["input_size", 1], ["hidden_size", 1], ["num_layers", 2**31 - 1]]},
        "state": {"weight_ih_l0": _tensor((4, 1))}}).encode(),
    "an LSTM of 8 layers sent with 1 layer's weights": json.dumps({"__module__": "LSTM", "kwargs": {"__dict__": [
        ["input_size", 1], ["hidden_size", 1], ["num_layers", 8]]}, "state": {
        "weight_ih_l0": _tensor((4, 1)), "weight_hh_l0": _tensor((4, 1)),
        "bias_ih_l0": _tensor((4,)), "bias_hh_l0": _tensor((4,))}}).encode(),
    "a GRU of hidden size 2**30": json.dumps({"__module__": "GRU", "kwargs": {"__dict__": [
        ["input_size", 1], ["hidden_size", 2**30]]}, "state": {"weight_ih_l0": _tensor((3, 1))}}).encode(),
    "an unknown tag": b'{"__pickle__": "gASV"}',
    "too large": b'"' + b"x" * (16 * 2**20) + b'"',
}


@pytest.mark.parametrize("what", sorted(FORGED))
def test_the_decoder_refuses_forged_replies_at_once(what):
    """Replies that once cost the marker minutes, gigabytes or an uncaught RecursionError."""
    t = time.monotonic()
    with pytest.raises(wire.CodecError):
        wire.decode(wire.loads(FORGED[what]))
    assert time.monotonic() - t < 5.0


@pytest.mark.parametrize("name", ["LSTM", "GRU", "RNN", "Linear"])
def test_a_modules_weights_are_foretold_as_torch_makes_them(name):
    """The shapes the decoder checks before building a module are those torch gives it."""
    import itertools
    import torch
    if name == "Linear":
        configs = [dict(in_features=3, out_features=4, bias=b) for b in (True, False)]
    else:
        configs = [dict(input_size=3, hidden_size=5, num_layers=n, bias=b, bidirectional=d)
                   | ({"proj_size": p} if name == "LSTM" else {})
                   for n, b, d, p in itertools.product((1, 3), (True, False), (True, False), (0, 2))]
    for kw in configs:
        mod = getattr(torch.nn, name)(**kw)
        kwargs = wire.decode(wire.encode(mod)["kwargs"])
        assert wire._module_shapes(name, kwargs) == {k: tuple(v.shape) for k, v in mod.state_dict().items()}, kw
        got = wire.decode(wire.loads(wire.dumps(wire.encode(mod))))
        assert type(got) is type(mod) and got.state_dict().keys() == mod.state_dict().keys()


def test_the_decoder_still_carries_honest_values():
    import numpy as np
    import torch
    lstm = torch.nn.LSTM(3, 4).double()
    value = {"a": np.arange(6.0).reshape(2, 3), "t": torch.ones(2, requires_grad=True), "m": lstm,
             "x": (1, 2.5, float("nan"), 3 + 4j, None, "s", [True]), "big": 10**30}
    got = wire.decode(wire.loads(wire.dumps(wire.encode(value))))
    assert np.array_equal(got["a"], value["a"]) and got["t"].requires_grad and got["big"] == 10**30
    assert got["x"][:2] == (1, 2.5) and np.isnan(got["x"][2]) and got["x"][3:] == (3 + 4j, None, "s", [True])
    x = torch.randn(5, 1, 3, dtype=torch.float64)
    assert torch.equal(got["m"](x)[0], lstm(x)[0])
