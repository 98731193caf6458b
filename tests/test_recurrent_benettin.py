"""Tests for lyaplearn.recurrent._benettin: the frame it starts from must be orthonormal (to the
compute dtype's accuracy), and exponents that are rounding noise (dead ReLU units) are flagged as
unresolved, with a warning, never reported as rates in silence."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch
from torch import nn

from lyaplearn import recurrent as R
from _helpers.engine_inputs import X, lstm

pytestmark = pytest.mark.fp_sensitive

torch.set_num_threads(1)


@pytest.mark.parametrize("frame0, what", [
    (torch.ones(8, 2, dtype=torch.float64), "ones"),
    (torch.zeros(8, 2, dtype=torch.float64), "zeros"),
    (2 * torch.eye(8, 2, dtype=torch.float64), "scaled"),
])
def test_a_frame_that_is_not_orthonormal_is_refused(frame0, what):
    with pytest.raises(ValueError, match=r"frame0 must have orthonormal columns \(Q\^T Q = I\)"):
        R.lyapunov_spectrum(lstm(), X(), k=2, frame0=frame0)


def test_an_orthonormal_frame_within_float32_rounding_is_accepted():
    Q = torch.linalg.qr(torch.randn(8, 3, dtype=torch.float64))[0].to(torch.float32)
    res = R.lyapunov_spectrum(lstm(torch.float32), X(dtype=torch.float32), k=3, frame0=Q)
    assert res.exponents.shape == (2, 3)


def test_a_float32_orthonormal_frame_is_accepted_under_float64_and_orthonormalised():
    # orthonormal to float32's accuracy (|Q^T Q - I| ~ 1e-7, far above float64's 1e-8 check):
    # accepted and orthonormalised again in float64, which is what the user would do
    Q64 = torch.linalg.qr(torch.randn(8, 3, generator=torch.Generator().manual_seed(2),
                                      dtype=torch.float64))[0]
    Q32 = Q64.to(torch.float32)
    assert (Q32.double().T @ Q32.double() - torch.eye(3, dtype=torch.float64)).abs().max() > 1e-8
    m = lstm()
    got = R.lyapunov_spectrum(m, X(T=30), k=3, frame0=Q32, sort=False)
    Q, Rm = torch.linalg.qr(Q32.double())               # what the user would do by hand
    Q = Q * torch.sign(torch.diagonal(Rm))
    want = R.lyapunov_spectrum(m, X(T=30), k=3, frame0=Q, sort=False)
    torch.testing.assert_close(got.exponents, want.exponents, rtol=0, atol=1e-13)
    # the float64 frame it was rounded from spans a subspace 1e-7 away: exponents within 1e-6
    same = R.lyapunov_spectrum(m, X(T=30), k=3, frame0=Q64, sort=False)
    torch.testing.assert_close(got.exponents, same.exponents, rtol=0, atol=1e-6)
    # a float32 frame that is not orthonormal even for float32 is still refused
    with pytest.raises(ValueError, match="frame0 must have orthonormal columns"):
        R.lyapunov_spectrum(m, X(), k=3, frame0=1.01 * Q32)


def dead_relu_rnn():
    """A ReLU RNN whose units 0-2 are always active and units 3, 4 always dead.

    With positive inputs into units 0-2, a positive recurrent block ``A`` among
    them and a bias of -100 on units 3 and 4, the Jacobian is the constant
    ``diag(1, 1, 1, 0, 0) W_hh``: exponents ``log|eig(A)|`` and two that are
    not rates at all.
    """
    m = nn.RNN(3, 5, nonlinearity="relu", dtype=torch.float64)
    A = torch.diag(torch.tensor([0.5, 0.4, 0.3], dtype=torch.float64)) + 0.05 * (1 - torch.eye(3))
    with torch.no_grad():
        for prm in m.parameters():
            prm.zero_()
        m.weight_hh_l0[:3, :3] = A
        m.weight_hh_l0[3:] = 0.7                      # would matter if the units were alive
        m.weight_ih_l0[:3] = torch.eye(3)
        m.bias_ih_l0[3:] = -100.0
    return m, A


def test_dead_relu_units_are_flagged_as_unresolved():
    m, A = dead_relu_rnn()
    x = X(T=200, B=3).abs() + 0.1
    with pytest.warns(RuntimeWarning, match="rounding noise, not rates"):
        res = R.lyapunov_spectrum(m, x, warmup=5, frame_warmup=60)   # aligned with A's eigenvectors
    assert res.unresolved.tolist() == [2, 2, 2]
    want = np.sort(np.log(np.abs(np.linalg.eigvals(A.numpy()))))[::-1]
    np.testing.assert_allclose(res.numpy()[:, :3], np.tile(want, (3, 1)), atol=1e-9)
    assert np.all(res.numpy()[:, 3:] < math.log(1e-10))


def test_a_healthy_network_has_no_unresolved_exponents_and_no_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = R.lyapunov_spectrum(lstm(), X(T=40), warmup=5)
    assert res.unresolved.tolist() == [0, 0]
