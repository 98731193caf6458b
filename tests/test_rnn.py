"""Tests for lyaplearn.rnn as a whole: bad input to any of its functions gets a clear error,
and the chapter's generalising claims (named in tests/claims/ch04.py) hold over the ranges
they state. Each file of the package has its own tests: tests/test_rnn_<file>.py."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from lyaplearn import rnn
from _helpers.rnn_inputs import params_with_grads as _params_with_grads
from _helpers.rnn_inputs import random_rnn as _random_rnn

pytestmark = pytest.mark.fp_sensitive


def test_bad_inputs():
    W, U, b, xs, h0 = _random_rnn()
    with pytest.raises(ValueError, match=r"W must be .*square.*\(3, 4\)"):
        rnn.spectral_radius(np.ones((3, 4)))
    with pytest.raises(ValueError, match=r"W must be .*square.*\(2, 3\)"):
        rnn.hidden_jacobians(np.ones((2, 3)), U, b, xs, h0)
    with pytest.raises(ValueError, match=r"W must be .*square"):
        rnn.power_norms(np.ones(3), 4)
    with pytest.raises(ValueError, match="finite"):
        rnn.spectral_radius(np.array([[np.nan]]))
    with pytest.raises(ValueError, match=r"U must have shape .*\(5, 3\).*got shape \(5, 2\)"):
        rnn.hidden_jacobians(W, U[:, :2], b, xs, h0)
    with pytest.raises(ValueError, match=r"b must have shape .*\(5,\).*got shape \(4,\)"):
        rnn.hidden_jacobians(W, U, b[:4], xs, h0)
    with pytest.raises(ValueError, match=r"h0 must have shape .*\(5,\).*got shape \(6,\)"):
        rnn.hidden_trajectory(W, U, b, xs, np.zeros(6))
    with pytest.raises(ValueError, match=r"xs must be a 2-D array .*got shape \(7,\)"):
        rnn.hidden_jacobians(W, U, b, xs[:, 0], h0)
    with pytest.raises(ValueError, match="activation must be one of"):
        rnn.hidden_jacobians(W, U, b, xs, h0, "sigmoid")
    with pytest.raises(ValueError, match="activation must be one of"):
        rnn.lag_profile(W, 5, activation="gelu")
    with pytest.raises(ValueError, match="rho must be"):
        rnn.init_recurrent(4, -0.1)
    with pytest.raises(ValueError, match="rho must be"):
        rnn.init_recurrent(4, float("inf"))
    with pytest.raises(ValueError, match="kind must be one of"):
        rnn.init_recurrent(4, 0.5, "orthogonal")
    with pytest.raises(ValueError, match="n must be a positive integer"):
        rnn.init_recurrent(0, 0.5)
    with pytest.raises(ValueError, match="coupling must be"):
        rnn.init_recurrent(4, 0.5, "nonnormal", coupling=-1.0)
    with pytest.raises(ValueError, match="steps must be an integer"):
        rnn.power_norms(W, -1)
    with pytest.raises(ValueError, match="steps must be a positive integer"):
        rnn.gelfand_estimates(W, 0)
    with pytest.raises(ValueError, match=r"grad_last must have shape .*\(5,\).*got shape \(3,\)"):
        rnn.bptt_gradients([W, W], np.ones(3))
    with pytest.raises(ValueError, match=r"jacobians\[1\] has shape \(4, 4\)"):
        rnn.bptt_gradient_norms([W, np.eye(4)], np.ones(5))
    with pytest.raises(ValueError, match="jacobians must contain at least one"):
        rnn.jacobian_product_norms([])
    with pytest.raises(ValueError, match="max_norm must be"):
        rnn.clip_gradient_norm([torch.ones(2)], 0.0)
    with pytest.raises(ValueError, match="lr must be"):
        rnn.clipped_sgd_step([], -1.0)
    with pytest.raises(ValueError, match="lr must be"):
        rnn.train_recall(lr=0.0, steps=1)
    with pytest.raises(ValueError, match="max_norm must be"):
        rnn.train_recall(max_norm=-1.0, steps=1)
    with pytest.raises(ValueError, match="length must be a positive integer"):
        rnn.train_recall(length=0)
    with pytest.raises(ValueError, match="mats must be a non-empty mapping"):
        rnn.plot_power_norms({})
    with pytest.raises(ValueError, match="curves must be a non-empty mapping"):
        rnn.plot_gradient_vs_lag([])
    with pytest.raises(ValueError, match=r"curves\['a'\] must be a 1-D array"):
        rnn.plot_gradient_vs_lag({"a": np.ones((2, 2))})
    with pytest.raises(ValueError, match="runs must be a non-empty sequence"):
        rnn.plot_clipping_curves([])
    with pytest.raises(ValueError, match=r"mats\['x'\] must be .*square.*\(2, 3\)"):
        rnn.plot_power_norms({"x": np.ones((2, 3))})
    with pytest.raises(ValueError, match="T must be a positive integer"):
        rnn.lag_profile(W, 0)
    with pytest.raises(ValueError, match="batch must be a positive integer"):
        rnn.recall_task(0, 5, torch.Generator())
    with pytest.raises(ValueError, match="threads must be a positive integer"):
        rnn.train_recall(steps=1, threads=0)
    with pytest.raises(ValueError, match="max_norm must be"):
        rnn.clipped_sgd_step(_params_with_grads(1.0), 0.1, float("nan"))


def test_saturation_lowers_the_bound_but_can_enlarge_the_product():
    """Chapter 4: ||J_T ... J_1||_2 <= ||W||_2^k whatever the slopes in (0, 1], yet a
    product with saturated slopes is not always smaller than W^k."""
    W = np.array([[1.0, 1.0], [-1.0, -1.0]])
    assert np.array_equal(W @ W, np.zeros((2, 2)))                    # nilpotent
    WDW = W @ np.diag([1.0, 0.5]) @ W                                  # ((.5, .5), (-.5, -.5))
    assert np.linalg.norm(WDW, 2) == pytest.approx(1.0, rel=1e-12)
    rng = np.random.default_rng(31)
    for _ in range(200):
        n, k = int(rng.integers(2, 7)), int(rng.integers(1, 9))
        W = rng.standard_normal((n, n)) * rng.uniform(0.3, 3.0) / math.sqrt(n)
        P = np.eye(n)
        for _ in range(k):
            P = np.diag(rng.uniform(1e-3, 1.0, n)) @ W @ P
        assert np.linalg.norm(P, 2) <= np.linalg.norm(W, 2) ** k * (1 + 1e-12)


def test_bptt_step_contributions_short_range_at_small_rho_long_range_at_large():
    """Exercise "Backpropagation through time by hand": 16 units, 40 steps, four draws. At
    rho = 0.8 the contributions of the steps to dL/dW fall off with the lag and the last five
    carry over 90% of their summed norms; at rho = 3 the steps more than 20 back carry over
    half."""
    from lyaplearn.solutions.ch04 import tanh_rnn_bptt

    for seed in range(4):
        for rho in (0.8, 3.0):
            rng = np.random.default_rng(seed)
            n, T = 16, 40
            W = rnn.init_recurrent(n, rho, "gaussian", rng)
            U, xs = 0.5 * rng.standard_normal((n, 3)), rng.standard_normal((T, 3))
            out = tanh_rnn_bptt(W, U, np.zeros(n), xs, np.zeros(n), rng.standard_normal(n))
            by_lag = np.linalg.norm(out["dW_steps"], axis=(1, 2))[::-1]    # lag 0 .. T-1
            if rho < 1:
                lags = np.arange(T - 1)               # the first step reads h_0 = 0
                assert np.polyfit(lags, np.log(by_lag[:-1]), 1)[0] < -0.1
                assert by_lag[:5].sum() > 0.9 * by_lag.sum()
            else:
                assert by_lag[20:].sum() > 0.5 * by_lag.sum()
