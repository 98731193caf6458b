"""Tests for lyaplearn.recurrent._step: the generic path (a step function ``step(state, x)``)
gives the module's spectrum, on the engine's schedule of warm-ups and QR intervals."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lyaplearn import recurrent as R
from _helpers.recurrent_reference import (make, module_step, random_frame as _frame,
                                          reference_spectrum)

pytestmark = pytest.mark.fp_sensitive

torch.set_num_threads(1)


def test_generic_step_path_matches_module():
    m = make("gru", L=2, seed=6, scale=0.8)
    X = torch.randn(30, 2, 3, generator=torch.Generator().manual_seed(6), dtype=torch.float64)
    Q0 = _frame(8, 8)
    lam_ref, _ = reference_spectrum(m, X, Q0)

    def step(s, x):  # the module's own forward as a step function
        return module_step(m, x, s, False)
    res = R.lyapunov_spectrum_step(step, torch.zeros(2, 8, dtype=torch.float64), X,
                                   frame0=Q0, sort=False)
    np.testing.assert_allclose(res.numpy(), lam_ref, rtol=1e-8, atol=1e-9)
    res2 = R.lyapunov_spectrum_step(R.make_step(m), torch.zeros(2, 8, dtype=torch.float64), X,
                                    frame0=Q0[:, :3], k=3, reortho_every=4, sort=False)
    np.testing.assert_allclose(res2.numpy()[:, 0], lam_ref[:, 0], atol=1e-6)


def test_generic_path_same_schedule_as_engine():
    """Warm-ups, QR interval and partial last interval follow the same schedule in both paths."""
    m = make("lstm", L=2, seed=8, scale=0.7)
    X = torch.randn(40, 2, 3, generator=torch.Generator().manual_seed(8), dtype=torch.float64)
    Q0 = _frame(16, 3)
    kw = dict(k=3, warmup=5, frame_warmup=7, reortho_every=3, frame0=Q0, sort=False,
              history=True)
    a = R.lyapunov_spectrum(m, X, **kw)
    b = R.lyapunov_spectrum_step(R.make_step(m), torch.zeros(2, 16, dtype=torch.float64), X, **kw)
    assert a.steps == b.steps == 28
    np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(a.history_steps, b.history_steps)
    assert int(a.history_steps[-1]) == 28 and len(a.history_steps) == 10   # 9 full + 1 partial
