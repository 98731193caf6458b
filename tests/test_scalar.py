"""Tests for lyaplearn.scalar against closed forms and torch autograd."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from lyaplearn import scalar

pytestmark = pytest.mark.fp_insensitive

# ---------------------------------------------------------------------------
# gradient descent on a theta^2 / 2
# ---------------------------------------------------------------------------



# ---------------------------------------------------------------------------
# claims of the chapter's prose (tests/claims/ch01.py)
# ---------------------------------------------------------------------------

def test_two_curvatures_the_sharpest_sets_the_limit():
    """Chapter 1: "the sharpest one sets the limit for all of them" (two curvatures).

    Gradient descent on (a1 theta1^2 + a2 theta2^2) / 2, iterated (no closed form used),
    shrinks both coordinates from (1, 1) exactly for 0 < eta < 2 / a2: checked on a grid of
    eta from 0.01 to 2 / a1 + 0.5 for three pairs (a1, a2).
    """
    for a1, a2 in [(1.0, 4.0), (0.3, 2.5), (2.0, 2.2)]:
        for eta in np.linspace(0.01, 2 / a1 + 0.5, 157):
            theta, half = np.array([1.0, 1.0]), None
            with np.errstate(over="ignore", invalid="ignore"):
                for t in range(1, 3001):
                    theta = theta - eta * np.array([a1, a2]) * theta
                    half = np.abs(theta) if t == 1500 else half
            converged = bool(np.all(np.abs(theta) <= half) and np.all(half < 1))
            if abs(eta - 2 / a2) > 0.02:           # away from the boundary itself
                assert converged == (eta < 2 / a2), (a1, a2, eta, theta)


def test_steps_to_tolerance_grow_without_bound_at_the_band_edges():
    """Chapter 1, exercise "How many steps?": fewest at 1/a, unbounded towards 0 and 2/a."""
    from lyaplearn.solutions.ch01 import steps_to_tolerance

    a, tol = 2.5, 1e-8
    assert steps_to_tolerance(1 / a, a, tol) == 1
    for edge, side in [(0.0, 1.0), (2 / a, -1.0)]:
        steps = [steps_to_tolerance(edge + side * d, a, tol) for d in (1e-1, 1e-2, 1e-3, 1e-4)]
        assert all(s2 > 5 * s1 for s1, s2 in zip(steps, steps[1:])), (edge, steps)
        # against the closed form ceil(ln tol / ln|r|) ~ ln(1/tol) / (a d) near the edge
        assert steps[-1] == math.ceil(math.log(tol) / math.log(abs(1 - (edge + side * 1e-4) * a)))


@pytest.mark.parametrize("eta,a,theta0", [
    (0.1, 1.0, 1.0), (0.3, 2.5, -2.0), (0.9, 2.0, 0.7), (1.1, 2.0, 3.0), (-0.05, 4.0, 1.0),
])
def test_trajectory_is_geometric(eta, a, theta0):
    steps = 25
    theta = scalar.gd_trajectory(eta, a, theta0, steps)
    assert theta.shape == (steps + 1,)
    expected = np.array([(1.0 - eta * a) ** t * theta0 for t in range(steps + 1)])
    np.testing.assert_allclose(theta, expected, rtol=1e-12, atol=0)


def test_trajectory_matches_literal_gradient_steps():
    # theta <- theta - eta * L'(theta) with L'(theta) = a theta, written out
    eta, a, theta = 0.37, 1.9, 1.3
    out = [theta]
    for _ in range(40):
        theta = theta - eta * (a * theta)
        out.append(theta)
    np.testing.assert_allclose(scalar.gd_trajectory(0.37, 1.9, 1.3, 40), out, rtol=1e-12)


def test_trajectory_matches_torch_sgd():
    a, eta = 3.0, 0.25
    p = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([p], lr=eta)
    values = [p.item()]
    for _ in range(15):
        opt.zero_grad()
        (0.5 * a * p ** 2).backward()
        opt.step()
        values.append(p.item())
    np.testing.assert_allclose(scalar.gd_trajectory(eta, a, 2.0, 15), values, rtol=1e-12)


def test_trajectory_zero_steps_and_overflow():
    np.testing.assert_array_equal(scalar.gd_trajectory(0.5, 1.0, 4.0, 0), [4.0])
    theta = scalar.gd_trajectory(5.0, 1.0, 1.0, 600)  # r = -4: 4**600 overflows float64
    assert np.isinf(theta[-1]) and not np.isnan(theta).any()


def test_one_step_and_frozen():
    assert np.all(scalar.gd_trajectory(0.25, 4.0, 3.0, 5)[1:] == 0.0)
    assert np.all(scalar.gd_trajectory(0.0, 4.0, 3.0, 5) == 3.0)


def test_contraction_factor_and_stable_band():
    assert scalar.contraction_factor(0.1, 3.0) == pytest.approx(0.7)
    assert scalar.contraction_factor(1.0, 3.0) == pytest.approx(-2.0)
    assert scalar.stable_learning_rates(1.0) == (0.0, 2.0)
    assert scalar.stable_learning_rates(4.0) == (0.0, 0.5)
    lo, hi = scalar.stable_learning_rates(0.3)
    assert hi == pytest.approx(2 / 0.3)
    # inside the band |r| < 1, outside |r| > 1
    for a in (0.3, 1.0, 7.0):
        _, hi = scalar.stable_learning_rates(a)
        for frac in (0.01, 0.5, 0.99):
            assert abs(scalar.contraction_factor(frac * hi, a)) < 1
        for eta in (-0.01 * hi, 1.01 * hi, 3 * hi):
            assert abs(scalar.contraction_factor(eta, a)) > 1


def test_loss_and_gradient():
    assert scalar.loss(3.0, 2.0) == 9.0
    assert scalar.loss_gradient(3.0, 2.0) == 6.0


@pytest.mark.parametrize("eta,a,name", [
    (0.2, 1.0, scalar.MONOTONE_SHRINKING),
    (0.1, 4.0, scalar.MONOTONE_SHRINKING),
    (1.5, 1.0, scalar.OSCILLATING_SHRINKING),
    (0.4, 4.0, scalar.OSCILLATING_SHRINKING),
    (-0.1, 1.0, scalar.MONOTONE_GROWING),
    (2.5, 1.0, scalar.OSCILLATING_GROWING),
    (0.6, 4.0, scalar.OSCILLATING_GROWING),
    (1.0, 1.0, scalar.ONE_STEP),
    (1 / 3, 3.0, scalar.ONE_STEP),
    (0.0, 2.0, scalar.CONSTANT),
    (2.0, 1.0, scalar.PERIOD_TWO),
    (2 / 3, 3.0, scalar.PERIOD_TWO),
    (2 / 0.7, 0.7, scalar.PERIOD_TWO),
])
def test_regime_known_cases(eta, a, name):
    assert scalar.gd_regime(eta, a) == name


def test_regime_agrees_with_trajectory():
    rng = np.random.default_rng(0)
    for eta in rng.uniform(-0.5, 3.0, size=40):
        name = scalar.gd_regime(eta, 1.0)
        theta = scalar.gd_trajectory(eta, 1.0, 1.0, 20)
        shrinks = abs(theta[-1]) < abs(theta[0])
        flips = theta[1] < 0
        assert shrinks == ("shrinking" in name)
        assert flips == ("oscillating" in name)


def test_regime_names_are_listed():
    assert len(set(scalar.REGIMES)) == 7


# ---------------------------------------------------------------------------
# the scalar tower
# ---------------------------------------------------------------------------

def _torch_tower_grad(x, w, depth, activation, slope=1.0):
    wt = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    z = wt * x
    for _ in range(depth):
        if activation == "sigmoid":
            z = torch.sigmoid(z)
        elif activation == "tanh":
            z = torch.tanh(z)
        else:
            z = slope * z
    (g,) = torch.autograd.grad(z, wt)
    return z.item(), g.item()


@pytest.mark.parametrize("activation,slope", [
    ("sigmoid", 1.0), ("tanh", 1.0), ("linear", 1.5), ("linear", 0.7), ("linear", -1.2),
])
@pytest.mark.parametrize("depth", [1, 2, 5, 13, 30])
@pytest.mark.parametrize("x,w", [(1.0, 0.5), (-2.0, 0.8), (0.3, -3.0)])
def test_tower_gradient_matches_autograd(activation, slope, depth, x, w):
    out_t, grad_t = _torch_tower_grad(x, w, depth, activation, slope)
    _, out = scalar.tower_forward(x, w, depth, activation, slope)
    assert out == pytest.approx(out_t, rel=1e-12, abs=1e-300)
    assert scalar.tower_gradient(x, w, depth, activation, slope) == pytest.approx(
        grad_t, rel=1e-9, abs=1e-300)


def test_tower_indexing():
    # z_0 = w x, z_k = sigma(z_{k-1}); the pre-activations are z_0..z_{L-1}
    pre, out = scalar.tower_forward(2.0, 0.5, 3, "tanh")
    z0 = 1.0
    z1 = math.tanh(z0)
    z2 = math.tanh(z1)
    np.testing.assert_allclose(pre, [z0, z1, z2], rtol=1e-15)
    assert out == pytest.approx(math.tanh(z2), rel=1e-15)
    factors = scalar.tower_factors(2.0, 0.5, 3, "tanh")
    assert factors.shape == (3,)  # exactly L factors
    np.testing.assert_allclose(factors, [1 - math.tanh(z) ** 2 for z in (z0, z1, z2)],
                               rtol=1e-12)
    assert scalar.tower_gradient(2.0, 0.5, 3, "tanh") == pytest.approx(2.0 * np.prod(factors))


def test_tower_depth_zero_is_wx():
    pre, out = scalar.tower_forward(3.0, 0.5, 0, "sigmoid")
    assert pre.shape == (0,) and out == 1.5
    assert scalar.tower_gradient(3.0, 0.5, 0, "sigmoid") == 3.0


def test_linear_tower_closed_form():
    assert scalar.tower_gradient(1.0, 1.0, 10, "linear", slope=1.5) == pytest.approx(
        57.6650390625, rel=1e-14)
    assert scalar.tower_gradient(1.0, 1.0, 20, "linear", slope=1.5) == pytest.approx(
        3325.256730079651, rel=1e-14)
    assert scalar.tower_gradient(2.0, 0.3, 7, "linear", slope=0.5) == pytest.approx(
        2.0 * 0.5 ** 7, rel=1e-14)
    assert round(1.5 ** 10, 1) == 57.7 and round(1.5 ** 20) == 3325


@pytest.mark.parametrize("x", [1.0, -0.5, 3.0])
@pytest.mark.parametrize("w", [0.0, 0.5, -2.0, 10.0])
def test_sigmoid_and_tanh_bounds(x, w):
    for depth in (1, 5, 20):
        g = scalar.tower_gradient(x, w, depth, "sigmoid")
        assert abs(g) <= abs(x) * 0.25 ** depth * (1 + 1e-12)
        assert scalar.gradient_bound(x, depth, "sigmoid") == pytest.approx(
            abs(x) * 0.25 ** depth)
        assert abs(scalar.tower_gradient(x, w, depth, "tanh")) <= abs(x)
    assert 0.25 ** 20 == pytest.approx(9.094947e-13, rel=1e-6)


def test_sigmoid_bound_is_attained_at_one_layer():
    # sigma'(0) = 1/4: with w x = 0 a one-layer tower meets the bound exactly
    assert scalar.tower_gradient(2.0, 0.0, 1, "sigmoid") == 0.5


def test_activation_derivatives_against_closed_forms():
    z = np.linspace(-40, 40, 161)
    s = 1 / (1 + np.exp(-z))
    np.testing.assert_allclose(scalar.tower_activation(z, "sigmoid"), s, rtol=1e-14)
    # sigma'(z) = sigma(z)(1 - sigma(z)) = 1 / (4 cosh^2(z / 2)), the latter accurate
    # for large |z| where 1 - sigma(z) cancels
    np.testing.assert_allclose(scalar.tower_derivative(z, "sigmoid"),
                               0.25 / np.cosh(z / 2) ** 2, rtol=1e-12)
    near = np.abs(z) < 5
    np.testing.assert_allclose(scalar.tower_derivative(z[near], "sigmoid"),
                               (s * (1 - s))[near], rtol=1e-12)
    np.testing.assert_allclose(scalar.tower_derivative(z, "tanh"),
                               1 / np.cosh(z) ** 2, rtol=1e-12)
    np.testing.assert_allclose(scalar.tower_derivative(z, "linear", 1.5), 1.5)
    assert scalar.tower_derivative(0.0, "sigmoid") == 0.25
    assert scalar.tower_derivative(0.0, "tanh") == 1.0
    assert scalar.max_derivative("sigmoid") == 0.25
    assert scalar.max_derivative("tanh") == 1.0
    assert scalar.max_derivative("linear", -1.5) == 1.5


def test_sigmoid_is_stable_far_out():
    assert scalar.tower_activation(-1000.0, "sigmoid") == 0.0
    assert scalar.tower_activation(1000.0, "sigmoid") == 1.0
    assert scalar.tower_derivative(-800.0, "sigmoid") == 0.0


# ---------------------------------------------------------------------------
# figures
# ---------------------------------------------------------------------------

def test_plots_return_labelled_figures():
    for fig in (scalar.plot_gd_regimes(), scalar.plot_stability_band(2.0, eta=0.7),
                scalar.plot_tower_gradients(max_depth=12)):
        assert isinstance(fig, Figure)
        for ax in fig.axes:
            assert ax.get_xlabel() and ax.get_ylabel()
    fig = scalar.plot_gd_regimes(a=2.0, etas=[0.5], steps=5)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    # filled markers for theta > 0 and open ones for theta < 0: r = 0 here, so
    # only theta_0 is drawn (zeros cannot sit on a log axis)
    ys = np.concatenate([ln.get_ydata() for ln in ax.get_lines()[:1]])
    np.testing.assert_allclose(ys, [1.0])


def test_tower_plot_data():
    fig = scalar.plot_tower_gradients(x=1.0, w=1.0, max_depth=20,
                                      cases=[("linear", 1.5)])
    line = fig.axes[0].get_lines()[0]
    np.testing.assert_allclose(line.get_ydata(), 1.5 ** np.arange(21), rtol=1e-12)


# ---------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("a", [0.0, -1.0, float("nan"), float("inf")])
def test_bad_curvature(a):
    with pytest.raises(ValueError, match=r"^a must be"):
        scalar.stable_learning_rates(a)
    with pytest.raises(ValueError, match=r"^a must be"):
        scalar.gd_trajectory(0.1, a, 1.0, 3)
    with pytest.raises(ValueError, match=r"^a must be"):
        scalar.contraction_factor(0.1, a)
    with pytest.raises(ValueError, match=r"^a must be"):
        scalar.gd_regime(0.1, a)
    with pytest.raises(ValueError, match=r"^a must be"):
        scalar.plot_stability_band(a)


def test_bad_curvature_message():
    with pytest.raises(ValueError, match=r"a must be a positive curvature \(a > 0\), got -2.0"):
        scalar.stable_learning_rates(-2)
    with pytest.raises(ValueError, match="a must be a finite real number"):
        scalar.stable_learning_rates("1")


@pytest.mark.parametrize("eta", [float("nan"), float("inf"), -float("inf"), None, "0.1", True])
def test_bad_eta(eta):
    with pytest.raises(ValueError, match=r"^eta must be a finite real number"):
        scalar.gd_trajectory(eta, 1.0, 1.0, 3)
    with pytest.raises(ValueError, match=r"^eta must be a finite real number"):
        scalar.gd_regime(eta, 1.0)


def test_bad_theta0_and_atol():
    with pytest.raises(ValueError, match=r"^theta0 must be a finite real number"):
        scalar.gd_trajectory(0.1, 1.0, float("nan"), 3)
    with pytest.raises(ValueError, match=r"^atol must be a finite real number >= 0"):
        scalar.gd_regime(0.1, 1.0, atol=-1e-3)


@pytest.mark.parametrize("steps", [-1, 2.0, 2.5, True, "3", None])
def test_bad_steps(steps):
    with pytest.raises(ValueError, match=r"^steps must be an integer >= 0"):
        scalar.gd_trajectory(0.1, 1.0, 1.0, steps)


def test_numpy_integers_are_accepted():
    assert scalar.gd_trajectory(0.1, 1.0, 1.0, np.int64(3)).shape == (4,)
    assert scalar.tower_gradient(1.0, 1.0, np.int32(2), "linear", 2.0) == 4.0


@pytest.mark.parametrize("depth", [-1, 3.0, 2.5, True, False, "4", None])
def test_bad_depth(depth):
    with pytest.raises(ValueError, match=r"^depth must be an integer >= 0"):
        scalar.tower_gradient(1.0, 1.0, depth, "sigmoid")
    with pytest.raises(ValueError, match=r"^depth must be an integer >= 0"):
        scalar.tower_forward(1.0, 1.0, depth, "tanh")


@pytest.mark.parametrize("activation", ["relu", "Sigmoid", "", None, 3])
def test_bad_activation(activation):
    msg = r"^activation must be one of 'sigmoid', 'tanh', 'linear', got"
    with pytest.raises(ValueError, match=msg):
        scalar.tower_gradient(1.0, 1.0, 3, activation)
    with pytest.raises(ValueError, match=msg):
        scalar.tower_derivative(0.0, activation)
    with pytest.raises(ValueError, match=msg):
        scalar.max_derivative(activation)


def test_bad_slope():
    with pytest.raises(ValueError, match=r"^slope only applies to activation='linear'"):
        scalar.tower_gradient(1.0, 1.0, 3, "sigmoid", slope=1.5)
    with pytest.raises(ValueError, match=r"^slope must be a finite real number"):
        scalar.tower_gradient(1.0, 1.0, 3, "linear", slope=float("inf"))


@pytest.mark.parametrize("name,args", [
    ("x", (float("nan"), 1.0)), ("w", (1.0, float("inf"))), ("x", ("1", 1.0)),
])
def test_bad_x_w(name, args):
    with pytest.raises(ValueError, match=fr"^{name} must be a finite real number"):
        scalar.tower_gradient(*args, 3, "tanh")


def test_bad_plot_arguments():
    with pytest.raises(ValueError, match=r"^etas must contain at least one"):
        scalar.plot_gd_regimes(etas=[])
    with pytest.raises(ValueError, match=r"^max_depth must be an integer >= 0"):
        scalar.plot_tower_gradients(max_depth=-3)
