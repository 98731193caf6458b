"""Tests for lyaplearn.jacobians._torch: a network read from a real ``torch.nn.Sequential``
gives autograd's gradient norms, torch_mlp round-trips, and bad models are refused."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lyaplearn import jacobians as jac
from _helpers.mlp_inputs import random_network as _network

pytestmark = pytest.mark.fp_insensitive


def test_real_sequential_tanh_mlp_gradient_norms_equal_jacobian_product():
    torch.manual_seed(0)
    widths = [10, 16, 16, 16, 16, 4]
    layers = []
    for n, m in zip(widths[:-1], widths[1:]):
        layers += [torch.nn.Linear(n, m, dtype=torch.float64), torch.nn.Tanh()]
    model = torch.nn.Sequential(*layers)
    x = torch.randn(10, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    target = torch.randn(4, dtype=torch.float64, generator=torch.Generator().manual_seed(2))

    # measure with autograd: keep every hidden activation's gradient
    h = x.clone().requires_grad_(True)
    hidden = [h]
    for m in model:
        h = m(h)
        if isinstance(m, torch.nn.Tanh):
            h.retain_grad()
            hidden.append(h)
    loss = 0.5 * ((h - target) ** 2).sum()
    loss.backward()
    measured = np.array([float(t.grad.norm()) for t in hidden])
    measured_w = np.array([float(m.weight.grad.norm()) for m in model if isinstance(m, torch.nn.Linear)])

    weights, biases, acts = jac.sequential_parameters(model)
    assert acts == ["tanh"] * 5
    delta_L = (h - target).detach().numpy()
    js = jac.mlp_jacobians(weights, biases, x.numpy(), acts)
    np.testing.assert_allclose(jac.delta_norms(js, delta_L), measured, rtol=1e-11)
    np.testing.assert_allclose(jac.weight_gradient_norms(weights, biases, x.numpy(), acts, delta_L),
                               measured_w, rtol=1e-11)
    # the library's own autograd measurement agrees with this one
    d_lib, w_lib = jac.torch_gradient_norms(model, x.numpy(), delta_L)
    np.testing.assert_allclose(d_lib, measured, rtol=1e-12)
    np.testing.assert_allclose(w_lib, measured_w, rtol=1e-12)


def test_torch_mlp_round_trip_and_linear_readout():
    ws, bs, x = _network([3, 5, 2], seed=4)
    model = jac.torch_mlp(ws, bs, ["relu", "linear"])
    assert [type(m).__name__ for m in model] == ["Linear", "ReLU", "Linear"]
    out = model(torch.tensor(x)).detach().numpy()
    np.testing.assert_allclose(out, ws[1] @ np.maximum(ws[0] @ x + bs[0], 0) + bs[1], rtol=1e-13)
    w2, b2, a2 = jac.sequential_parameters(model)
    assert a2 == ["relu", "linear"]
    for a, b in zip(w2 + b2, ws + bs):
        np.testing.assert_array_equal(a, b)
    no_bias = jac.torch_mlp(ws, None, "tanh")
    assert jac.sequential_parameters(no_bias)[1] is None
    # Identity modules are accepted and mean "linear"
    seq = torch.nn.Sequential(torch.nn.Linear(3, 2, dtype=torch.float64), torch.nn.Identity())
    assert jac.sequential_parameters(seq)[2] == ["linear"]


def test_bad_torch_arguments():
    model = torch.nn.Sequential(torch.nn.Linear(3, 2, dtype=torch.float64), torch.nn.Tanh())
    with pytest.raises(ValueError, match="model must be a torch.nn.Sequential, got Linear"):
        jac.sequential_parameters(torch.nn.Linear(3, 2))
    with pytest.raises(ValueError, match=r"model\[1\] must be Linear, Tanh, Sigmoid, ReLU or Identity, got GELU"):
        jac.sequential_parameters(torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.GELU()))
    with pytest.raises(ValueError, match=r"model\[0\] \(Tanh\) must follow a Linear"):
        jac.sequential_parameters(torch.nn.Sequential(torch.nn.Tanh(), torch.nn.Linear(3, 2)))
    with pytest.raises(ValueError, match="at least one Linear"):
        jac.sequential_parameters(torch.nn.Sequential())
    with pytest.raises(ValueError, match=r"x must have shape \(3,\).*got shape \(4,\)"):
        jac.torch_gradient_norms(model, np.ones(4), np.ones(2))
    with pytest.raises(ValueError, match=r"delta_L must have shape \(2,\)"):
        jac.torch_gradient_norms(model, np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match=r"weights\[1\] \(layer 2\) has shape \(2, 5\)"):
        jac.torch_mlp([np.ones((4, 3)), np.ones((2, 5))], None, "tanh")
    with pytest.raises(ValueError, match="activation must be one of"):
        jac.torch_mlp([np.ones((4, 3))], None, "gelu")
