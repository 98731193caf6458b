"""The teacher's and maintainer's tools at their old paths still work for one release, and warn.

``lyaplearn.coursework``, ``.sandbox`` and ``.publish`` moved into ``lyaplearn.teacher``,
``lyaplearn.bench`` into ``lyaplearn.maintainer`` (``lyaplearn/_moved.py``). Importing an old
path must warn with a ``DeprecationWarning`` that names the new module, attributed to the
importing line (so that it shows in a user's script), and give the new module itself;
``python -m <old path>`` must warn and run the new command line. The new paths warn of nothing.
The table below is the issue's list, written out here rather than read from the library.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

import lyaplearn

pytestmark = pytest.mark.fp_insensitive

MOVED = {
    "lyaplearn.coursework": "lyaplearn.teacher.coursework",
    "lyaplearn.sandbox": "lyaplearn.teacher.sandbox",
    "lyaplearn.publish": "lyaplearn.teacher.publish",
    "lyaplearn.bench": "lyaplearn.maintainer.bench",
}


def _fresh(monkeypatch, old: str) -> None:
    """Forget an earlier import of the alias, so that importing it runs the shim again."""
    monkeypatch.delitem(sys.modules, old, raising=False)
    monkeypatch.delattr(lyaplearn, old.rsplit(".", 1)[1], raising=False)


@pytest.mark.parametrize("old, new", MOVED.items())
def test_old_path_warns_and_gives_the_new_module(old, new, monkeypatch):
    _fresh(monkeypatch, old)
    with pytest.warns(DeprecationWarning, match=rf"{re.escape(old)} has moved to {re.escape(new)}") as seen:
        __import__(old)
    (warning,) = [w for w in seen if issubclass(w.category, DeprecationWarning)]
    assert warning.filename == __file__, "the warning must point at the line that imports the old path"
    module = sys.modules[old]
    assert module is sys.modules[new] and module.__name__ == new
    # ... so that a name patched through the old path is the one the new module looks up
    assert getattr(lyaplearn, old.rsplit(".", 1)[1]) is module


def test_names_imported_from_old_paths_are_the_new_ones(monkeypatch):
    for old in MOVED:
        _fresh(monkeypatch, old)
    with pytest.warns(DeprecationWarning):
        from lyaplearn.coursework import grade
        from lyaplearn.publish import home
        from lyaplearn.sandbox import Limits
    from lyaplearn.teacher.coursework import grade as grade_new
    from lyaplearn.teacher.publish import home as home_new
    from lyaplearn.teacher.sandbox import Limits as Limits_new
    assert (grade, home, Limits) == (grade_new, home_new, Limits_new)


def _python(repo_root, *args):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(repo_root), os.environ.get("PYTHONPATH")])))
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, timeout=120)


@pytest.mark.slow   # a fresh interpreter each (torch for the benchmark): left to `make test`
@pytest.mark.parametrize("old", ["lyaplearn.coursework", "lyaplearn.publish", "lyaplearn.bench"])
def test_python_dash_m_on_an_old_path_warns_and_runs_the_new_command(old, repo_root):
    new = MOVED[old]
    r = _python(repo_root, "-m", old, "--help")
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.startswith(f"usage: python -m {new} "), r.stdout[:200]
    assert "DeprecationWarning" in r.stderr and f"use python -m {new}" in r.stderr, r.stderr[-2000:]


@pytest.mark.slow
def test_python_dash_m_on_the_old_sandbox_path_warns_and_does_nothing_else(repo_root):
    r = _python(repo_root, "-m", "lyaplearn.sandbox")     # no command line, before or after the move
    assert r.returncode == 0 and r.stdout == "", r.stderr[-2000:]
    assert "DeprecationWarning" in r.stderr and "lyaplearn.teacher.sandbox" in r.stderr


@pytest.mark.slow
def test_new_paths_warn_of_nothing(repo_root):
    r = _python(repo_root, "-W", "error::DeprecationWarning", "-c", "import " + ", ".join(MOVED.values()))
    assert r.returncode == 0, r.stderr[-2000:]


def test_the_library_table_matches_the_list():
    from lyaplearn._moved import MOVED as table

    assert table == MOVED

