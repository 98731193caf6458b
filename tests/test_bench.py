"""Smoke test of the benchmark (no timing assertions: the machine is shared)."""

from __future__ import annotations

import math

import torch

from lyaplearn import bench


def test_bench_runs_tiny_cases():
    torch.set_num_threads(1)
    cases = [bench.Case("lstm tiny", hidden=4, batch=2, steps=3, inputs=3),
             bench.Case("paper tiny", hidden=4, state="hidden", batch=2, steps=3, inputs=5,
                        bias=False, one_hot=True, k=2, reortho=2)]
    lines = []
    rows = bench.run(cases, repeats=1, out=lines.append)
    assert len(rows) == 2 and len(lines) == 5
    for r in rows:
        for key in ("ours", "floor", "jacrev"):
            assert math.isfinite(r[key]) and r[key] > 0
    assert rows[0]["D"] == 8 and rows[0]["k"] == 8
    assert rows[1]["D"] == 4 and rows[1]["k"] == 2


def test_bench_cases_cover_the_brief():
    names = {(c.hidden, c.k, c.reortho, c.state) for c in bench.FULL_CASES}
    assert (1024, 16, 10, "full") in names
    assert (512, None, 1, "hidden") in names
    assert {c.hidden for c in bench.FULL_CASES} >= {64, 128, 256, 512, 1024}


def test_main_parses_arguments(monkeypatch):
    seen = {}
    monkeypatch.setattr(bench, "run", lambda cases, repeats, jacrev: seen.update(
        n=len(cases), repeats=repeats, jacrev=jacrev) or [])
    bench.main(["--quick", "--no-jacrev"])
    assert seen == {"n": len(bench.QUICK_CASES), "repeats": 5, "jacrev": False}
    bench.main(["--repeats", "2"])
    assert seen == {"n": len(bench.FULL_CASES), "repeats": 2, "jacrev": True}
