"""Tests for lyaplearn.jacobians._experiments: chapter 2's saturation example (its claims for
six draws, the saturated fraction against a direct count) and the sweep over gains (exact
homogeneity of linear and ReLU networks, tanh as linear at small gain)."""

from __future__ import annotations

import numpy as np
import pytest

from lyaplearn import jacobians as jac

pytestmark = pytest.mark.fp_insensitive


def test_saturation_example_claims():
    L, g = 30, 2.0
    data = jac.saturation_example(depth=L, width=32, weight_norm=g, shift=3.0, seed=0)
    # linear with scaled-orthogonal weights: exactly g per layer
    np.testing.assert_allclose(data["linear"]["delta_norms"], g ** np.arange(L, -1, -1), rtol=1e-10)
    for d in data.values():
        np.testing.assert_allclose(d["weight_norms"], g, rtol=1e-12)
    # sigmoid: ||J|| <= ||W||/4 = 0.5 per layer, hence the gradient is at most 0.5^L
    sig = data["sigmoid"]
    assert np.all(sig["jacobian_norms"] <= g / 4 + 1e-12)
    assert sig["delta_norms"][0] <= (g / 4) ** L
    # shifted tanh: per-layer Jacobian norms stay well above 1, yet the gradient vanishes
    sh = data["tanh, shifted"]
    assert np.all(sh["jacobian_norms"] > 1.0) and np.median(sh["jacobian_norms"]) > 1.8
    assert sh["delta_norms"][0] < 1e-5
    # unshifted tanh: saturation tames the growth but does not reverse it
    assert 1.0 < data["tanh"]["delta_norms"][0] < data["linear"]["delta_norms"][0] * 1e-3


def test_saturation_example_claims_hold_for_six_draws():
    """Chapter 2, "Two sources": every statement about the 30-layer example, for six draws.

    Each seed draws its own orthogonal weights, input and output gradient (width 64, as in
    the chapter): sigmoid below 2^-30; tanh with bias 3 mostly saturated, median ||J_l||
    near 2, yet falling by about two per layer; tanh without bias growing by a little
    above 1 per layer; and only the linear network realising ||W_l|| = 2 per layer.
    """
    for seed in range(6):
        data = jac.saturation_example(depth=30, width=64, weight_norm=2.0, shift=3.0, seed=seed)
        assert data["sigmoid"]["delta_norms"][0] <= 0.5 ** 30
        shifted = data["tanh, shifted"]
        assert shifted["saturated_fraction"].mean() > 0.5
        assert np.all(shifted["jacobian_norms"] > 1) and np.median(shifted["jacobian_norms"]) > 1.8
        assert 1.5 < shifted["delta_norms"][0] ** (-1 / 30) < 2.5
        assert 1.0 < data["tanh"]["delta_norms"][0] ** (1 / 30) < 1.3
        for label in ("tanh", "tanh, shifted", "sigmoid"):
            norms = data[label]["delta_norms"]
            assert np.all(norms[:-1] / norms[1:] < 2.0), (seed, label)
        assert np.all(data["linear"]["saturated_fraction"] == 0)


def test_saturated_fraction_against_direct_count():
    """``saturated_fraction`` counts slopes below a tenth of sigma'(0), layer by layer."""
    data = jac.saturation_example(depth=4, width=16, weight_norm=2.0, shift=3.0, seed=7)
    rng = np.random.default_rng(7)                 # the draws saturation_example makes
    ws, _ = jac.random_mlp([16] * 5, 2.0, init="orthogonal", seed=rng)
    h = rng.standard_normal(16)
    for layer, W in enumerate(ws):
        z = W @ h + 3.0
        slope = 1 - np.tanh(z) ** 2
        assert data["tanh, shifted"]["saturated_fraction"][layer] == np.mean(slope < 0.1)
        h = np.tanh(z)


def test_gain_sweep_is_exactly_homogeneous_for_linear_and_relu():
    # no biases: scaling every weight by c multiplies delta_0 by c^L for linear and relu
    a = jac.gain_sweep([1.0], ["linear", "relu"], depth=10, width=16, seed=4, trials=2)
    b = jac.gain_sweep([3.0], ["linear", "relu"], depth=10, width=16, seed=4, trials=2)
    for name in ("linear", "relu"):
        assert b[name][0] - a[name][0] == pytest.approx(np.log(3.0), abs=1e-10)


def test_gain_sweep_tanh_matches_linear_at_small_gain():
    r = jac.gain_sweep([0.02], ["tanh", "linear"], depth=8, width=16, seed=1)
    assert r["tanh"][0] == pytest.approx(r["linear"][0], abs=1e-3)
