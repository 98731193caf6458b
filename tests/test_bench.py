"""Smoke test of the benchmark (no timing assertions: the machine is shared)."""

from __future__ import annotations

import math

import pytest
import torch

from lyaplearn import bench

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


def test_bench_cases_cover_the_brief():
    names = {(c.hidden, c.k, c.reortho, c.state) for c in bench.FULL_CASES}
    assert (1024, 16, 10, "full") in names
    assert (512, None, 1, "hidden") in names
    assert {c.hidden for c in bench.FULL_CASES} >= {64, 128, 256, 512, 1024}
    gpu = {(c.hidden, c.k, c.reortho, c.state, c.batch, c.steps) for c in bench.GPU_CASES}
    assert (512, None, 1, "hidden", 10, 100) in gpu      # the paper's setting
    assert (512, None, 1, "full", 10, 100) in gpu
    assert (256, None, 1, "full", 100, 100) in gpu
    assert (1024, 32, 10, "full", 10, 100) in gpu
    assert any(c.k == 32 and c.reortho == 5 for c in bench.GPU_CASES)


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
