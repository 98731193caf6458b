"""The chapter-1 reference solutions against closed forms and torch autograd."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from lyaplearn.solutions.ch01 import steps_to_tolerance, vanishing_depth

pytestmark = pytest.mark.fp_insensitive


def _closed_form_steps(eta, a, tol):
    """Smallest t with |1 - eta a|^t <= tol, for 0 < |1 - eta a| < 1 and tol < 1."""
    return math.ceil(math.log(tol) / math.log(abs(1 - eta * a)))


def test_steps_to_tolerance_matches_closed_form():
    rng = np.random.default_rng(1)
    checked = 0
    while checked < 60:
        a = float(rng.uniform(0.2, 5.0))
        eta = float(rng.uniform(0.02, 1.98)) / a
        tol = float(10 ** rng.uniform(-12, -1))
        exact = math.log(tol) / math.log(abs(1 - eta * a))
        if abs(exact - round(exact)) < 1e-6:  # a tie that rounding could tip either way
            continue
        assert steps_to_tolerance(eta, a, tol) == _closed_form_steps(eta, a, tol)
        checked += 1


def test_steps_to_tolerance_special_cases():
    assert steps_to_tolerance(0.25, 4.0, 1e-9) == 1  # eta = 1/a: one step
    assert steps_to_tolerance(0.3, 1.0, 2.0) == 0  # already within tolerance
    assert steps_to_tolerance(0.5, 1.0, 2.0 ** -10) == 10  # r = 1/2 exactly
    assert steps_to_tolerance(2.0, 1.0, 1e-3, max_steps=1000) is None  # r = -1
    assert steps_to_tolerance(2.5, 1.0, 1e-3, max_steps=1000) is None  # |r| > 1
    assert steps_to_tolerance(0.0, 1.0, 1e-3, max_steps=1000) is None  # r = 1


def test_fastest_learning_rate_is_one_over_a():
    a = 2.5
    etas = np.linspace(0.05, 0.79, 75)
    steps = [steps_to_tolerance(e, a, 1e-8) for e in etas]
    best = etas[int(np.argmin(steps))]
    assert abs(best - 1 / a) < 0.011


def test_steps_to_tolerance_bad_input():
    with pytest.raises(ValueError, match="tol must be positive"):
        steps_to_tolerance(0.1, 1.0, 0.0)
    with pytest.raises(ValueError, match="a must be a positive curvature"):
        steps_to_tolerance(0.1, -1.0, 1e-3)


@pytest.mark.parametrize("slope", [0.3, 0.5, 0.9])
@pytest.mark.parametrize("x", [1.0, -4.0])
def test_vanishing_depth_linear_closed_form(slope, x):
    thr = 1e-10
    # smallest L with |x| slope^L < thr
    expected = math.floor(math.log(thr / abs(x)) / math.log(slope)) + 1
    assert vanishing_depth(x, 0.7, "linear", slope, threshold=thr) == expected


def _autograd_grad(x, w, depth):
    wt = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    z = wt * x
    for _ in range(depth):
        z = torch.sigmoid(z)
    (g,) = torch.autograd.grad(z, wt)
    return abs(g.item())


@pytest.mark.parametrize("x,w", [(1.0, 0.5), (2.0, -1.0), (0.5, 3.0)])
def test_vanishing_depth_sigmoid_against_autograd_and_bound(x, w):
    eps = float(np.finfo(np.float64).eps)
    L = vanishing_depth(x, w)
    assert _autograd_grad(x, w, L) < eps <= _autograd_grad(x, w, L - 1)
    # the 0.25^L bound forces the gradient below eps no later than this depth
    bound_depth = math.floor(math.log(eps / abs(x)) / math.log(0.25)) + 1
    assert L <= bound_depth


def test_vanishing_depth_tanh_decays_slowly():
    # tanh'(z) -> 1 as z_k -> 0, so the product decays only like a power of L
    assert vanishing_depth(1.0, 1.0, "tanh", max_depth=2000) is None
    assert vanishing_depth(1.0, 1.0, "tanh", threshold=1e-2, max_depth=2000) is not None
    assert vanishing_depth(1.0, 0.5, "linear", 1.0, max_depth=50) is None


def test_vanishing_depth_bad_threshold():
    with pytest.raises(ValueError, match="threshold must be positive"):
        vanishing_depth(1.0, 1.0, threshold=0.0)


def test_tanh_tower_needs_about_1_6e11_layers():
    """Exercise 1.4's solution: a tanh tower (x = 1, w = 0.5) reaches 2**-52 only after ~1.6e11 layers.

    Independent of the solution code: the gradient is prod_k (1 - z_{k+1}^2) with z_{k+1} = tanh z_k,
    and for large L it behaves like A L^{-3/2} (z_k ~ sqrt(3 / 2k)). Measure A at two depths a
    decade apart, check it has settled, and solve A L^{-3/2} = 2**-52 for L.
    """
    z, log_grad, amplitude = 0.5, 0.0, {}
    for depth in range(1, 200_001):
        z = math.tanh(z)
        log_grad += math.log1p(-z * z)
        if depth in (20_000, 200_000):
            amplitude[depth] = log_grad + 1.5 * math.log(depth)
    assert abs(amplitude[200_000] - amplitude[20_000]) < 2e-3        # the L^{-3/2} law holds
    assert 13.5 < math.exp(amplitude[200_000]) < 15.0                # the text's A ~ 14
    depth_needed = math.exp((amplitude[200_000] + 52 * math.log(2)) / 1.5)
    assert 1.55e11 < depth_needed < 1.65e11                          # "about 1.6e11 layers"
    assert vanishing_depth(1.0, 0.5, "tanh", max_depth=10_000) is None
