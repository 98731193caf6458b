"""Fixtures and rules shared by every test file.

* Every test declares whether its outcome depends on the last bits of floating-point arithmetic:
  ``fp_sensitive`` (it follows a chaotic trajectory, a long product or a training run, so
  ``scripts/fp_matrix.sh`` runs it again under the other floating-point configurations) or
  ``fp_insensitive`` (closed forms, shapes, error messages: the default pass covers it). A file
  says it once, ``pytestmark = pytest.mark.fp_sensitive`` at its top. A test with neither (a new
  file that forgot) or with both stops the collection with its name, so the floating-point
  matrix can never drop a test in silence.
* ``slow`` marks what ``make check`` (the contributor's one-minute lane) leaves to ``make test``.
* The user's cache and data folders point into the session's temporary folder, so that tests
  write nothing into the user's home and parallel sessions do not share checkpoints.
* Plain helpers shared by several files are in ``tests/_helpers/``: test files never import one
  another.
"""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")   # before anything imports pyplot

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

FP_MARKERS = ("fp_sensitive", "fp_insensitive")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The checkout the tests run from (book/, lyaplearn/, pyproject.toml, ...)."""
    return Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session", autouse=True)
def _user_folders_in_tmp(tmp_path_factory):
    """The user's cache and data folders (XDG, as platformdirs reads them on Linux) in this
    session's temporary folder: what the library writes there (chapter 7's checkpoints, results
    files outside a checkout) stays apart from the user's and from the other test sessions that
    `make test` runs side by side. Chapter 7's data are still read where they are installed."""
    from lyaplearn.data import data_root

    mp = pytest.MonkeyPatch()
    mp.setenv("LYAPLEARN_DATA", str(data_root()))    # resolved before the folders move
    tmp = tmp_path_factory.mktemp("user")
    mp.setenv("XDG_CACHE_HOME", str(tmp / "cache"))
    mp.setenv("XDG_DATA_HOME", str(tmp / "data"))
    yield
    mp.undo()


@pytest.fixture(scope="session", autouse=True)
def _one_torch_thread():
    """One intra-op thread, whichever file runs first or alone (the machines have 2 cores,
    shared with the other parts of `make test`)."""
    torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _close_figures():
    """Close the figures a test opened, so that none outlives it."""
    yield
    plt.close("all")


def pytest_collection_modifyitems(config, items):
    undeclared, both = set(), set()
    for item in items:
        marks = {m for m in FP_MARKERS if item.get_closest_marker(m) is not None}
        if not marks:
            undeclared.add(item.nodeid.split("::")[0])
        elif len(marks) == 2:
            both.add(item.nodeid)
    if undeclared or both:
        lines = []
        if undeclared:
            lines.append("these test files do not say whether floating-point details matter to "
                         "them; add `pytestmark = pytest.mark.fp_sensitive` (or `fp_insensitive`) "
                         "at the top (see tests/conftest.py): " + ", ".join(sorted(undeclared)))
        if both:
            lines.append("these tests are marked both fp_sensitive and fp_insensitive: "
                         + ", ".join(sorted(both)))
        raise pytest.UsageError("\n".join(lines))
