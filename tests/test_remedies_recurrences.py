"""Tests for lyaplearn.remedies._recurrences: orthogonal and spectrally normalised recurrent
matrices against closed forms (rotations, singular values, the Procrustes bound)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from lyaplearn import remedies as R

pytestmark = pytest.mark.fp_sensitive

torch.set_num_threads(1)


def test_skew_orthogonal_closed_form_rotation():
    th = 0.7
    A = torch.tensor([[0.0, -th], [0.0, 0.0]], dtype=torch.float64)   # S = A - A^T
    Q = R.skew_orthogonal(A)
    rot = torch.tensor([[math.cos(th), -math.sin(th)], [math.sin(th), math.cos(th)]],
                       dtype=torch.float64)
    torch.testing.assert_close(Q, rot, rtol=0, atol=1e-14)
    Q5 = R.skew_orthogonal(torch.randn(5, 5, dtype=torch.float64))
    torch.testing.assert_close(Q5.T @ Q5, torch.eye(5, dtype=torch.float64), rtol=0, atol=1e-12)
    assert abs(torch.linalg.det(Q5).item() - 1.0) < 1e-12
    with pytest.raises(ValueError, match="A must be a square"):
        R.skew_orthogonal(torch.zeros(2, 3))


def test_orthogonal_parametrisation_has_unit_singular_values():
    Q = R.orthogonal_matrix(12, seed=3)
    np.testing.assert_allclose(np.linalg.svd(Q.numpy(), compute_uv=False), 1.0, atol=1e-12)


def test_spectral_norm_gives_top_singular_value_one():
    W = torch.randn(10, 10, generator=torch.Generator().manual_seed(0), dtype=torch.float64) * 3
    Wn = R.spectral_normalised(W, n_power_iterations=200)
    s = np.linalg.svd(W.numpy(), compute_uv=False)
    np.testing.assert_allclose(Wn.numpy(), W.numpy() / s[0], rtol=1e-6, atol=1e-8)
    assert abs(np.linalg.svd(Wn.numpy(), compute_uv=False)[0] - 1.0) < 1e-6


def test_procrustes_distance_closed_forms():
    assert R.procrustes_distance(np.eye(4)) == pytest.approx(0.0, abs=1e-14)
    assert R.procrustes_distance(0.5 * np.eye(4)) == pytest.approx(1.0)      # sqrt(4 * 0.25)
    M = np.random.default_rng(5).standard_normal((6, 6))
    U, s, Vt = np.linalg.svd(M)
    assert R.procrustes_distance(M) == pytest.approx(np.linalg.norm(M - U @ Vt))


def test_fit_orthogonal_reaches_but_never_beats_procrustes():
    target = 0.6 * R.orthogonal_matrix(4, seed=1).numpy()        # polar factor has det +1
    losses = R.fit_orthogonal(target, steps=200, lr=0.05)
    bound = R.procrustes_distance(target)                          # = 0.4 * 2 = 0.8
    assert bound == pytest.approx(0.8)
    assert np.all(losses >= bound - 1e-9)
    assert losses[-1] < bound + 1e-3


def test_orthogonal_and_spectral_norm_rnns_cannot_expand():
    sp = R.recurrence_spectra(hidden=12, gain=3.0, steps=60, warmup=20, batch=2)
    for name in ("orthogonal", "spectral norm"):      # ||J|| <= ||W|| = 1: no exponent above 0
        assert sp[name][1].numpy().max() <= 1e-9
