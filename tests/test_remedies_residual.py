"""Tests for lyaplearn.remedies._residual (residual blocks): the layer Jacobians against autograd
and closed forms, and the skip that keeps the product near one."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from lyaplearn import remedies as R
from _helpers.torch_jacobian import torch_jac as _torch_jac

pytestmark = pytest.mark.fp_sensitive

torch.set_num_threads(1)


@pytest.mark.parametrize("alpha", [1.0, 0.3])
def test_residual_jacobians_match_autograd(alpha):
    rng = np.random.default_rng(0)
    Ws = [rng.standard_normal((6, 6)) / math.sqrt(6) for _ in range(4)]
    bs = [0.3 * rng.standard_normal(6) for _ in range(4)]
    x = rng.standard_normal(6)
    Js = R.residual_jacobians(Ws, x, alpha=alpha, biases=bs)

    def net(h, upto=4):
        for W, b in list(zip(Ws, bs))[:upto]:
            h = h + alpha * torch.tanh(torch.as_tensor(W) @ h + torch.as_tensor(b))
        return h
    # first layer: I + alpha diag(tanh') W, checked against autograd of the block
    np.testing.assert_allclose(Js[0], _torch_jac(lambda h: net(h, 1), x), atol=1e-12)
    # the product is the input-output Jacobian
    P = Js[0]
    for J in Js[1:]:
        P = J @ P
    np.testing.assert_allclose(P, _torch_jac(net, x), atol=1e-12)


def test_residual_with_zero_branch_is_identity_and_linear_case_closed_form():
    rng = np.random.default_rng(1)
    Ws = [rng.standard_normal((5, 5)) for _ in range(3)]
    for J in R.residual_jacobians(Ws, np.ones(5), alpha=0.0):
        np.testing.assert_array_equal(J, np.eye(5))
    Js = R.residual_jacobians(Ws, np.ones(5), "linear", alpha=0.5)
    for J, W in zip(Js, Ws):
        np.testing.assert_allclose(J, np.eye(5) + 0.5 * W, atol=1e-15)


def test_depth_profile_skip_keeps_product_near_one():
    plain = R.depth_profile(60, 32, 0.8, seed=0)
    res = R.depth_profile(60, 32, 0.8, alpha=1 / math.sqrt(60), seed=0)
    assert R.gradient_loss_depth(plain.grad_norms) is not None
    assert R.gradient_loss_depth(res.grad_norms) is None
    assert np.all(np.abs(res.log_sv) < 3.0) and plain.log_sv[0] < -5.0


def test_gradient_loss_depth():
    assert R.gradient_loss_depth([1e-3, 0.5, 1.0]) == 2      # layer L-2 is 1e-3 of the start
    assert R.gradient_loss_depth([1e-3, 0.001, 1.0]) == 1
    assert R.gradient_loss_depth([1.0, 2.0, 1.0]) is None
    with pytest.raises(ValueError, match="grad_norms must be"):
        R.gradient_loss_depth([1.0])
    with pytest.raises(ValueError, match="threshold must be"):
        R.gradient_loss_depth([1.0, 1.0], threshold=0)
