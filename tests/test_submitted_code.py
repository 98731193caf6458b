"""Tests for lyaplearn.teacher._submitted_code: what the marker reads in a notebook's text."""

from __future__ import annotations

import json
import time

import pytest

from lyaplearn.teacher import _submissions
from lyaplearn.teacher._submitted_code import reading, tampering

pytestmark = pytest.mark.fp_insensitive


def _flags(src: str) -> list[str]:
    return tampering([(0, src)])


def test_an_allowed_setting_is_not_flagged_but_its_neighbours_are():
    # torch.backends settings change only the sandbox's own torch: an honest notebook may set them
    assert _flags("import torch\ntorch.backends.cudnn.benchmark = True") == []
    assert _flags("import torch as t\nt.backends.cudnn.deterministic = False") == []
    assert _flags("import torch\ntorch.manual_seed = print") == ["cell 1 replaces torch.manual_seed"]
    assert _flags("import numpy as np\nnp.linalg.norm = abs") == ["cell 1 replaces numpy.linalg.norm"]
    assert _flags("from numpy import linalg\nlinalg.norm = abs") == ["cell 1 replaces numpy.linalg.norm"]
    assert _flags("import numpy as np\nnp.random.seed(0)\nx = np.zeros(3)\nx[0] = 1") == []


# what the red team's honest answers did (A5): none may be flagged; a few are noted, marks kept
HONEST = {
    "for m in lstm.modules()": ("import torch\nlstm = torch.nn.LSTM(3, 4)\nfor m in lstm.modules():\n    pass", []),
    "self.__dict__.update(kw)": ("import torch\nclass M(torch.nn.Module):\n    def __init__(self, **kw):\n"
                                 "        super().__init__()\n        self.__dict__.update(kw)", []),
    "gc.collect()": ("import gc\ngc.collect()", []),
    "pickle.dump": ("import pickle\nwith open('x.pkl', 'wb') as f:\n    pickle.dump({}, f)", ["cell 1 imports pickle"]),
    "setattr(cfg, k, v)": ("for k, v in {'a': 1}.items():\n    setattr(cfg, k, v)", []),
    "vars(args)": ("d = vars(args)", []),
    "a docstring naming data/test/": ('def f():\n    """Reads data/test/ and tests/."""\n    return 1', []),
    "a comment naming data/test/": ("# see data/test/ and /proc/self/\nx = 1", []),
    "open('/proc/cpuinfo')": ("text = open('/proc/cpuinfo').read()", []),
    "globals()[name] = ...": ("globals()['x'] = 1", ["cell 1 calls globals"]),
    "breakpoint() in dead code": ("if False:\n    breakpoint()", ["cell 1 calls breakpoint"]),
}

CHEATS = {
    "sys.modules": ("import sys\nm = sys.modules['numpy']", "sys.modules"),
    "from sys import modules": ("from sys import modules", "sys.modules"),
    "a module's __dict__": ("import numpy as np\nnp.__dict__.update(isclose=max)", "numpy.__dict__"),
    "setattr on a module": ("import numpy as np\nsetattr(np, 'isclose', max)", "setattr on numpy"),
    "vars of a module": ("import numpy\nd = vars(numpy)", "vars on numpy"),
    "delattr on otter": ("import otter\ndelattr(otter.Notebook, 'check')", "delattr on otter.Notebook"),
    "gc.get_objects": ("import gc\nn = len(gc.get_objects())", "gc.get_objects"),
    "gc.get_referrers imported": ("from gc import get_referrers", "gc.get_referrers"),
    "/proc/self": ("open('/proc/self/environ')", "/proc/self/environ"),
    "/proc/<pid>": ("open('/proc/1/environ')", "/proc/1/environ"),
    "/proc/keys": ("open('/proc/keys')", "/proc/keys"),
    "/proc/cpuinfo/..": ("open('/proc/cpuinfo/../self/environ')", "/proc/cpuinfo/../self"),
    "a test file in code": ("src = open('tests/q1.py').read()", "tests/q1.py"),
    "ctypes": ("import ctypes", "ctypes"),
    "exec": ("exec('1')", "exec"),
}


@pytest.mark.parametrize("what", sorted(HONEST))
def test_honest_code_is_not_flagged(what):
    src, noted = HONEST[what]
    assert reading([(0, src)]) == ([], noted)


@pytest.mark.parametrize("what", sorted(CHEATS))
def test_reaching_into_the_marker_is_flagged(what):
    src, said = CHEATS[what]
    found = _flags(src)
    assert found and any(said in f for f in found), found


# --- what the marker refuses to read: bounded before anything parses the code (red team A2-A4) ---

def _notebook(tmp_path, cells, outputs=None, name="ada_ch01.ipynb"):
    nb = {"cells": [{"cell_type": "code", "source": src, "metadata": {}, "outputs": outputs or [],
                     "execution_count": None} for src in cells],
          "metadata": {"otter": {"assignment_name": "ch01"}}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / name
    path.write_text(json.dumps(nb))
    return path


def _read_within(path, seconds=60.0):
    t = time.monotonic()
    sub = _submissions.read(path)
    assert time.monotonic() - t < seconds      # a generous bound: the red team's files took minutes
    return sub


OVERSIZED = {
    "400 magic lines": ["%time z = 1\n" * 400],
    "a 2 MB list literal": ["x = [" + ",".join(["1"] * 10**6) + "]\n"],
    "five cells of 250 KB": ["x = 1  # " + "a" * 250_000 + "\n"] * 5,
    "20 magic lines in a 60 KB cell": ["%time z = 1\n" * 20 + "y = 1  # " + "a" * 60_000 + "\n"],
}


@pytest.mark.parametrize("what", sorted(OVERSIZED))
def test_oversized_code_is_refused_before_it_is_parsed(what, tmp_path):
    sub = _read_within(_notebook(tmp_path, OVERSIZED[what]))
    assert sub.nb is None and sub.problem.startswith("too large for the marker to read")
    assert sub.problem.endswith("check by hand")


def test_a_notebook_with_30_mb_of_outputs_is_still_read(tmp_path):
    outputs = [{"output_type": "display_data", "metadata": {}, "data": {"image/png": "iVBO" * 5 * 2**20}},
               {"output_type": "stream", "name": "stdout", "text": ["[0.1, 0.2, 0.3]\n"] * 600_000}]
    path = _notebook(tmp_path, ["%matplotlib inline\nimport numpy as np\nx = np.ones(3)"], outputs)
    assert path.stat().st_size > 30 * 2**20
    sub = _read_within(path)
    assert sub.problem is None and sub.found == []
    assert sub.cells == [(0, "get_ipython().run_line_magic('matplotlib', 'inline')\nimport numpy as np\n"
                             "x = np.ones(3)\n")]


def test_json_that_needs_too_much_memory_is_refused_not_read(tmp_path, monkeypatch):
    # 20 MB of empty objects: 7 million dicts (the red team's 80 MB took 2 GB); the bound made small
    monkeypatch.setattr(_submissions, "READ_MEMORY", 256 * 2**20)
    path = tmp_path / "ada_ch01.ipynb"
    path.write_bytes(b'{"cells": [], "junk": [' + b"{}," * 7_000_000 + b'{}]}')
    sub = _read_within(path)
    assert sub.nb is None and "not read, check by hand" in sub.problem


def test_the_teaching_page_states_the_reading_bounds_in_force():
    from pathlib import Path

    from lyaplearn.teacher import _sandbox_worker as wire
    from lyaplearn.teacher import _submitted_code as sc
    page = (Path(__file__).parents[1] / "book" / "teaching.md").read_text()
    row = next(line for line in page.splitlines() if line.startswith("| make the marker itself slow"))
    for said in (f"{_submissions.READ_MEMORY / 2**30:g} GiB of memory", f"{_submissions.READ_CPU_SECONDS} s of CPU",
                 f"{_submissions.READ_SECONDS} s in all", f"over {_submissions.MAX_NOTEBOOK_BYTES // 2**20} MiB",
                 f"over {sc.MAX_CELL_CHARS // 1024} KiB", f"over {sc.MAX_CODE_CHARS // 1024} KiB in all",
                 f"over {sc.MAX_MAGIC_LINES} IPython magic"):
        assert said in row, said
    row = next(line for line in page.splitlines() if line.startswith("| forge the worker's replies"))
    assert f"layers ({wire.MAX_LAYERS}), sizes ({wire.MAX_FEATURES}) and weights " \
           f"({wire.MAX_PARAMETERS // 10**6} million)" in row
