"""The chapter-8 coding exercises against autograd and closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from lyaplearn import remedies
from lyaplearn.solutions import ch08

pytestmark = pytest.mark.fp_sensitive


def test_affine_layer_norm_jacobian_matches_autograd():
    rng = np.random.default_rng(0)
    z, gamma, beta = rng.standard_normal(6), rng.standard_normal(6), rng.standard_normal(6)
    ln = nn.LayerNorm(6, eps=1e-3).double()
    with torch.no_grad():
        ln.weight.copy_(torch.as_tensor(gamma))
        ln.bias.copy_(torch.as_tensor(beta))
    Ja = torch.autograd.functional.jacobian(ln, torch.as_tensor(z)).numpy()
    np.testing.assert_allclose(ch08.layer_norm_affine_jacobian(z, gamma, 1e-3), Ja, atol=1e-12)
    with pytest.raises(ValueError, match="gamma must have the shape of z"):
        ch08.layer_norm_affine_jacobian(z, gamma[:3])


def test_cayley_is_orthogonal_and_rotates_by_twice_arctan():
    t = 0.4
    Q = ch08.cayley(torch.tensor([[0.0, -t], [0.0, 0.0]], dtype=torch.float64))
    ang = 2 * math.atan(t)
    ref = torch.tensor([[math.cos(ang), -math.sin(ang)], [math.sin(ang), math.cos(ang)]],
                       dtype=torch.float64)
    torch.testing.assert_close(Q, ref, rtol=0, atol=1e-14)
    Q6 = ch08.cayley(torch.randn(6, 6, generator=torch.Generator().manual_seed(1),
                                 dtype=torch.float64))
    torch.testing.assert_close(Q6.T @ Q6, torch.eye(6, dtype=torch.float64), rtol=0, atol=1e-12)
    assert abs(torch.linalg.det(Q6).item() - 1) < 1e-12


@pytest.mark.parametrize("eps", [1e-6, 1e-10])
def test_measured_horizon_follows_log_over_lambda(eps):
    # logistic map at r = 4: lambda = ln 2 exactly; median over 400 pairs
    predicted = remedies.horizon(math.log(2.0), eps, 0.1)
    assert abs(ch08.measured_horizon(eps) - predicted) <= 3.0
    with pytest.raises(ValueError, match="eps must lie in"):
        ch08.measured_horizon(1.0)
