"""Tests for lyaplearn.remedies._layer_norm: layer normalisation and its closed-form Jacobian
against torch and autograd, its gain invariance in an MLP and in a recurrent cell."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from lyaplearn import remedies as R
from _helpers.torch_jacobian import torch_jac as _torch_jac

pytestmark = pytest.mark.fp_sensitive

torch.set_num_threads(1)


@pytest.mark.parametrize("eps", [0.0, 1e-2])
def test_layer_norm_and_its_jacobian_match_torch(eps):
    z = np.random.default_rng(2).standard_normal(7) * 3 + 1
    zt = torch.as_tensor(z)
    np.testing.assert_allclose(R.layer_norm(z, eps),
                               nn.functional.layer_norm(zt, (7,), eps=eps).numpy(), atol=1e-12)
    Ja = _torch_jac(lambda v: nn.functional.layer_norm(v, (7,), eps=eps), z)
    np.testing.assert_allclose(R.layer_norm_jacobian(z, eps), Ja, atol=1e-12)


def test_layer_norm_jacobian_structure():
    z = np.random.default_rng(3).standard_normal(6) * 2 + 0.5
    J = R.layer_norm_jacobian(z)
    s = np.std(z)
    np.testing.assert_allclose(J @ np.ones(6), 0, atol=1e-12)     # shift-invariant
    np.testing.assert_allclose(J @ z, 0, atol=1e-12)              # scale-invariant
    sv = np.linalg.svd(J, compute_uv=False)
    np.testing.assert_allclose(sv[:4], 1 / s, rtol=1e-12)
    np.testing.assert_allclose(sv[4:], 0, atol=1e-12)
    with pytest.raises(ValueError, match="z must not be constant"):
        R.layer_norm(np.ones(4))
    with pytest.raises(ValueError, match="z must be a finite vector"):
        R.layer_norm_jacobian(np.ones((2, 2)))


def test_ln_network_jacobians_match_autograd_and_are_gain_invariant():
    rng = np.random.default_rng(4)
    Ws = [rng.standard_normal((5, 5)) for _ in range(3)]
    x = rng.standard_normal(5)

    def net(h):
        for W in Ws:
            h = torch.tanh(nn.functional.layer_norm(torch.as_tensor(W) @ h, (5,), eps=0.0))
        return h
    Js = R.ln_network_jacobians(Ws, x)
    P = Js[2] @ Js[1] @ Js[0]
    np.testing.assert_allclose(P, _torch_jac(net, x), atol=1e-10)
    Js3 = R.ln_network_jacobians([3.7 * W for W in Ws], x)
    for a, b in zip(Js, Js3):
        np.testing.assert_allclose(a, b, atol=1e-12)


def test_gain_profiles_layer_norm_removes_the_gain():
    gp = R.gain_profiles([0.5, 4.0], depth=20, width=16)
    ln = gp["layer norm"]
    np.testing.assert_allclose(ln[0.5].grad_norms, ln[4.0].grad_norms, rtol=1e-9)
    pl = gp["plain"]
    assert pl[4.0].grad_norms[0] > 1e3 * pl[0.5].grad_norms[0]


def test_cell_with_layer_norm_and_no_input_ignores_the_gain():
    lam = R.cell_lambda_max([1.0, 3.0], norm=True, hidden=8, input_std=0.0, steps=40,
                            warmup=20, batch=2)
    assert abs(lam[0, 0] - lam[1, 0]) < 1e-4          # exact but for eps = 1e-5 in the norm
    # without the norm and without input, small weights let h decay to 0, where the
    # exponent is log of the spectral radius: halving the gain lowers it by log 2
    lam_plain = R.cell_lambda_max([0.5, 0.25], norm=False, hidden=8, input_std=0.0, steps=40,
                                  warmup=20, batch=2)
    assert lam_plain[0, 0] - lam_plain[1, 0] == pytest.approx(math.log(2.0), abs=0.05)


@pytest.mark.parametrize("norm", [False, True])
def test_tanh_cell_matches_its_torch_twin_and_autograd(norm):
    rng = np.random.default_rng(6)
    W, U = rng.standard_normal((5, 5)), rng.standard_normal((5, 2))
    h, x = rng.standard_normal((3, 5)), rng.standard_normal((3, 2))
    cell = R.TanhCell(W, U, norm=norm)
    step = R.rnn_cell_step(torch.as_tensor(W), torch.as_tensor(U), norm=norm)
    np.testing.assert_allclose(cell.step(h, x), step(torch.as_tensor(h), torch.as_tensor(x)).numpy(),
                               atol=1e-12)
    for b in range(3):
        Ja = _torch_jac(lambda v: step(v[None], torch.as_tensor(x[b:b + 1]))[0], h[b])
        np.testing.assert_allclose(cell.jacobian(h, x)[b], Ja, atol=1e-12)
    with pytest.raises(ValueError, match="U must have 5 rows"):
        R.TanhCell(W, U.T)


def test_rnn_cell_step_checks_shapes():
    with pytest.raises(ValueError, match="W must be a square torch matrix"):
        R.rnn_cell_step(torch.zeros(2, 3), torch.zeros(2, 1))
    with pytest.raises(ValueError, match="U must be a torch matrix with 2 rows"):
        R.rnn_cell_step(torch.zeros(2, 2), torch.zeros(3, 1))
