"""Smoke test of the benchmark (no timing assertions: the machine is shared)."""

from __future__ import annotations

import math

import pytest
import torch

from lyaplearn.maintainer import bench
from lyaplearn import recurrent as R

pytestmark = pytest.mark.fp_insensitive


def test_bench_runs_tiny_cases():
    torch.set_num_threads(1)
    cases = [bench.Case("lstm tiny", hidden=4, batch=2, steps=3, inputs=3),
             bench.Case("paper tiny", hidden=4, state="hidden", batch=2, steps=3, inputs=5,
                        bias=False, one_hot=True, k=2, reortho=2, train_batch=3)]
    lines = []
    rows = bench.run(cases, repeats=1, out=lines.append)
    assert len(rows) == 2 and len(lines) == 5
    assert "qr='auto' -> 'householder'" in lines[0]
    for r in rows:
        for key in ("ours", "floor", "floor_chol", "floor_mm", "train", "jacrev"):
            assert math.isfinite(r[key]) and r[key] > 0
        assert r["qr"] == "householder"
        assert r["le_in_train_steps"] == pytest.approx(r["ours"] * r["case"].steps / r["train"])
        assert r["vs_mm"] == pytest.approx(r["ours"] / r["floor_mm"])
    assert rows[0]["D"] == 8 and rows[0]["k"] == 8
    assert rows[1]["D"] == 4 and rows[1]["k"] == 2
    rows = bench.run(cases[:1], repeats=1, jacrev=False, out=lines.append, qr="cholesky")
    assert rows[0]["qr"] == "cholesky" and math.isnan(rows[0]["jacrev"])


def test_floors_do_the_same_tangent_work():
    # the floors' accumulated log-stretches agree whichever QR they use (same frames)
    c = bench.Case("t", hidden=3, batch=2, steps=6, reortho=2)
    hh = bench.floor_work(c, "householder")()
    ch = bench.floor_work(c, "cholesky")()
    li = bench.floor_work(c, "linalg")()
    torch.testing.assert_close(ch, hh, rtol=0, atol=1e-4)
    torch.testing.assert_close(li, hh, rtol=0, atol=1e-4)


def _published_cpu_table(repo_root):
    """(case, H, batch, D, k, QR every) of each row of the appendix's CPU benchmark table."""
    text = (repo_root / "book" / "appendix_benchmarks.md").read_text(encoding="utf-8")
    section = text.split("(sec-appendix-ch6-benchmark)=")[1].split("\n(sec-")[0]
    rows = [[c.strip() for c in line.strip().strip("|").split("|")]
            for line in section.splitlines() if line.startswith("|")]
    assert rows[0][:6] == ["case", "$H$", "batch", "$D$", "$k$", "QR every"], rows[0]
    return [(r[0], *map(int, r[1:6])) for r in rows[2:]]    # after the header and |---|


def test_published_table_is_the_grid_the_benchmark_runs(repo_root):
    # book/appendix_benchmarks.md reports `python -m lyaplearn.maintainer.bench` row by row: a case
    # changed in the code without the benchmark being run again (or a row edited by hand)
    # fails here. D is the engine's own state dimension of the module the case builds, which
    # the floors must use too for the ratios to compare like with like.
    published = _published_cpu_table(repo_root)
    assert len(published) == len(bench.FULL_CASES)
    for (name, H, batch, D, k, reortho), c in zip(published, bench.FULL_CASES):
        d = R.state_dim(bench._module(c), c.state)
        assert c.name.startswith(name), (name, c.name)
        assert (H, batch, D, k, reortho) == (c.hidden, c.batch, d, c.k or d, c.reortho), c
        assert bench._d(c) == d, c


@pytest.mark.parametrize("grid", ["QUICK_CASES", "FULL_CASES", "GPU_CASES"])
def test_every_case_is_well_formed(grid):
    # the GPU grid runs only on a lent GPU machine: a malformed case must fail here, not there
    for c in getattr(bench, grid):
        m = bench._module(c)
        d = R.state_dim(m, c.state)
        assert bench._d(c) == d, c
        assert c.k is None or 1 <= c.k <= d, c
        assert 1 <= c.reortho <= c.steps and (c.jacrev_steps or 0) <= c.steps, c
        assert c.batch >= 1 and (c.train_batch or c.batch) >= 1, c


def test_main_parses_arguments(monkeypatch):
    seen = {}
    monkeypatch.setattr(bench, "run", lambda cases, repeats, jacrev, device, qr: seen.update(
        n=len(cases), repeats=repeats, jacrev=jacrev, device=device, qr=qr) or [])
    bench.main(["--quick", "--no-jacrev"])
    assert seen == {"n": len(bench.QUICK_CASES), "repeats": 5, "jacrev": False,
                    "device": "cpu", "qr": "auto"}
    bench.main(["--repeats", "2", "--qr", "cholesky"])
    assert seen == {"n": len(bench.FULL_CASES), "repeats": 2, "jacrev": True,
                    "device": "cpu", "qr": "cholesky"}
    if not torch.cuda.is_available():
        with pytest.raises(SystemExit):
            bench.main(["--device", "cuda"])
