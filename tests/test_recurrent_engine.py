"""Tests for lyaplearn.recurrent._engine: its two ways through time, the Jacobians applied one
step at a time ("direct") and the blocks formed across time ("formed"), against the plain float64
QR loop of tests/_helpers/recurrent_reference.py."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lyaplearn import recurrent as R
from lyaplearn.recurrent import _engine, _states  # private files, for white-box tests
from _helpers.recurrent_reference import make, random_frame as _frame, reference_spectrum

pytestmark = pytest.mark.fp_sensitive

torch.set_num_threads(1)


@pytest.mark.parametrize("arch,state", [("gru", "full"), ("lstm", "hidden"), ("lstm", "full")])
@pytest.mark.parametrize("L", [1, 2])
def test_formed_and_direct_agree_with_reference(arch, state, L):
    m = make(arch, L=L, seed=11, scale=0.9)
    D = (2 if state == "full" and arch == "lstm" else 1) * 4 * L
    X = torch.randn(15, 2, 3, generator=torch.Generator().manual_seed(5), dtype=torch.float64)
    Q0 = _frame(D, D)
    lam_ref, _ = reference_spectrum(m, X, Q0, hidden_only=state == "hidden")
    for method in ("direct", "formed"):
        res = R.lyapunov_spectrum(m, X, frame0=Q0, sort=False, state=state, method=method)
        np.testing.assert_allclose(res.numpy(), lam_ref, rtol=1e-9, atol=1e-9)


def _leaves(x):
    if x is None:
        return []
    if isinstance(x, (list, tuple)):
        return [y for e in x for y in _leaves(e)]
    return [x]


@pytest.mark.parametrize("arch,state", [("gru", "full"), ("lstm", "hidden"), ("lstm", "full")])
def test_formed_blocks_built_across_time_are_the_per_step_blocks(arch, state, monkeypatch):
    m = make(arch, L=2, seed=11, scale=0.9)
    eng = _engine._Engine(m, state, None)
    X = torch.randn(7, 2, 3, generator=torch.Generator().manual_seed(5), dtype=torch.float64)
    _, co = eng.run(X, _states._state_list(eng, None, 2, False))
    steps = eng.formed_span(co, 2, 7)
    assert len(steps) == 5
    for j, mats in enumerate(steps):
        got, want = _leaves(mats), _leaves(eng.formed(co, 2 + j))
        assert len(got) == len(want) == (7 if arch == "lstm" and state == "full" else 3)
        for a, b in zip(got, want):
            torch.testing.assert_close(a, b, rtol=1e-15, atol=1e-15)
    # the memory budget counts the elements of the blocks; three steps' worth splits a
    # chunk of 8 steps into builds of 3 + 3 + 2
    per_step = sum(x.numel() for x in _leaves(eng.formed(co, 0)))
    assert eng.formed_steps(2, per_step) == 1 and eng.formed_steps(2, 3 * per_step + 1) == 3
    assert _engine._formed_budget(torch.device("cpu")) == 0              # per step on the CPU
    assert _engine._formed_budget(torch.device("cuda")) >= 1 << 20
    monkeypatch.setitem(_engine._FORMED_BUDGET, "cpu", 3 * per_step)    # as on an accelerator
    Q0 = _frame(eng.D, eng.D)
    X = torch.randn(20, 2, 3, generator=torch.Generator().manual_seed(6), dtype=torch.float64)
    lam_ref, _ = reference_spectrum(m, X, Q0, hidden_only=state == "hidden")
    res = R.lyapunov_spectrum(m, X, frame0=Q0, sort=False, state=state, method="formed", chunk=8)
    np.testing.assert_allclose(res.numpy(), lam_ref, rtol=1e-9, atol=1e-9)
