"""Tests for lyaplearn.rnn._bptt: the vanilla RNN's trajectory, its Jacobians and backpropagation
through time against torch (its own unrolled RNN and autograd) and closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from lyaplearn import rnn
from _helpers.rnn_inputs import random_rnn as _random_rnn

pytestmark = pytest.mark.fp_sensitive

TORCH_PHI = {"tanh": torch.tanh, "relu": torch.relu, "linear": lambda a: a}


def _torch_states(W, U, b, xs, h0, activation):
    """Unroll the RNN in torch (float64), keeping every state's gradient."""
    Wt, Ut, bt = (torch.tensor(a, dtype=torch.float64) for a in (W, U, b))
    h = torch.tensor(h0, dtype=torch.float64, requires_grad=True)
    hs = [h]
    for x in torch.tensor(xs, dtype=torch.float64):
        h = TORCH_PHI[activation](Wt @ h + Ut @ x + bt)
        h.retain_grad()
        hs.append(h)
    return hs


@pytest.mark.parametrize("activation", rnn.ACTIVATIONS)
def test_hidden_trajectory_matches_torch(activation):
    args = _random_rnn(seed=1)
    hs = rnn.hidden_trajectory(*args, activation)
    ref = torch.stack(_torch_states(*args, activation)).detach().numpy()
    np.testing.assert_allclose(hs, ref, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("activation", rnn.ACTIVATIONS)
def test_hidden_jacobians_match_autograd(activation):
    W, U, b, xs, h0 = _random_rnn(seed=2)
    Js = rnn.hidden_jacobians(W, U, b, xs, h0, activation)
    assert len(Js) == xs.shape[0]
    hs = rnn.hidden_trajectory(W, U, b, xs, h0, activation)
    Wt, Ut, bt = (torch.tensor(a, dtype=torch.float64) for a in (W, U, b))
    for t, J in enumerate(Js):
        x = torch.tensor(xs[t], dtype=torch.float64)
        step = lambda h: TORCH_PHI[activation](Wt @ h + Ut @ x + bt)  # noqa: E731
        ref = torch.autograd.functional.jacobian(step, torch.tensor(hs[t], dtype=torch.float64))
        np.testing.assert_allclose(J, ref.numpy(), rtol=1e-12, atol=1e-12)


def test_linear_jacobians_are_W_and_products_are_powers():
    W, U, b, xs, h0 = _random_rnn(seed=4, T=12)
    Js = rnn.hidden_jacobians(W, U, b, xs, h0, "linear")
    for J in Js:
        np.testing.assert_array_equal(J, W)
    prod = rnn.jacobian_product_norms(Js)
    for k in range(len(Js) + 1):
        assert prod[k] == pytest.approx(np.linalg.norm(np.linalg.matrix_power(W, k), 2), rel=1e-10)
    # BPTT in the linear case: dL/dh_{T-k} = (W^T)^k g
    g = np.arange(1.0, W.shape[0] + 1)
    grads = rnn.bptt_gradients(Js, g)
    T = len(Js)
    for k in range(T + 1):
        np.testing.assert_allclose(grads[T - k], np.linalg.matrix_power(W.T, k) @ g, rtol=1e-10)


@pytest.mark.parametrize("activation", rnn.ACTIVATIONS)
def test_gradient_vs_lag_matches_autograd(activation):
    W, U, b, xs, h0 = _random_rnn(seed=5, T=10, scale=1.5)
    y = np.linspace(-1, 1, W.shape[0])
    hs = _torch_states(W, U, b, xs, h0, activation)
    loss = 0.5 * ((hs[-1] - torch.tensor(y)) ** 2).sum()
    loss.backward()
    auto = np.array([h.grad.numpy() for h in hs])  # dL/dh_t, t = 0..T
    Js = rnn.hidden_jacobians(W, U, b, xs, h0, activation)
    grad_last = hs[-1].detach().numpy() - y
    np.testing.assert_allclose(rnn.bptt_gradients(Js, grad_last), auto, rtol=1e-10, atol=1e-12)
    lag = rnn.bptt_gradient_norms(Js, grad_last)
    np.testing.assert_allclose(lag, np.linalg.norm(auto, axis=1)[::-1], rtol=1e-10, atol=1e-12)


def test_jacobian_product_norms_match_autograd_jacobian_of_last_state():
    W, U, b, xs, h0 = _random_rnn(seed=6, T=6)
    Js = rnn.hidden_jacobians(W, U, b, xs, h0, "tanh")
    prod = rnn.jacobian_product_norms(Js)
    Wt, Ut, bt = (torch.tensor(a, dtype=torch.float64) for a in (W, U, b))
    X = torch.tensor(xs, dtype=torch.float64)
    hs = rnn.hidden_trajectory(W, U, b, xs, h0, "tanh")
    T = len(Js)
    for k in range(1, T + 1):
        def tail(h, k=k):
            for t in range(T - k, T):
                h = torch.tanh(Wt @ h + Ut @ X[t] + bt)
            return h
        J = torch.autograd.functional.jacobian(tail, torch.tensor(hs[T - k], dtype=torch.float64))
        assert prod[k] == pytest.approx(np.linalg.norm(J.numpy(), 2), rel=1e-10)


def test_lag_profile_linear_equals_power_norms():
    W = rnn.init_recurrent(8, 0.9, "nonnormal", 2)
    np.testing.assert_allclose(rnn.lag_profile(W, 30, activation="linear"),
                               rnn.power_norms(W, 30), rtol=1e-10)
    tanh = rnn.lag_profile(W, 30)
    assert tanh.shape == (31,)
    # |tanh'| <= 1, so tanh cannot amplify more than the worst case of ||W||^k
    assert np.all(tanh <= np.linalg.norm(W, 2) ** np.arange(31) * (1 + 1e-12))


def test_lag_profiles_are_geometric_at_a_rate_other_than_log_rho():
    """Chapter 4, "The tanh RNN": for five Gaussian matrices per rho (32 units, inputs of
    scale 0.5), log ||dh_T/dh_(T-k)|| stays within 2.5 nats of a line over lags 10-80, its
    slope differs from log rho by more than 0.2, and only rho = 2.5 explodes."""
    lags = np.arange(81)
    for rho in (0.8, 1.0, 1.2, 1.6, 2.5):
        for seed in range(5):
            curve = rnn.lag_profile(rnn.init_recurrent(32, rho, "gaussian", seed), 80,
                                    input_scale=0.5)
            rate, start = np.polyfit(lags[10:], np.log(curve[10:]), 1)
            assert np.abs(np.log(curve[10:]) - (start + rate * lags[10:])).max() < 2.5
            assert abs(rate - math.log(rho)) > 0.2, (rho, seed, rate)
            if rho < 2:
                assert rate < 0 and curve[-1] < 1, (rho, seed)
            else:
                assert rate > 0 and curve[-1] > 1e3, (rho, seed)
