"""Tests for the chapter modules' old names (``lyaplearn/_deprecated.py``): each still works for
one release, gives what the new name gives, and warns with the new name; an old keyword
(``nonlinearity=``) likewise, and giving it with the new one is an error."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

from lyaplearn import lyapunov, rnn, scalar
from lyaplearn.widgets import rnn as rnn_widget

pytestmark = pytest.mark.fp_insensitive

RENAMED = [
    (scalar, "regime", "gd_regime", (1.5, 1.0)),
    (scalar, "activation_value", "tower_activation", (0.3, "tanh")),
    (scalar, "activation_derivative", "tower_derivative", (0.3, "sigmoid")),
    (rnn, "gradient_norms_vs_lag", "bptt_gradient_norms", ([0.5 * np.eye(2)] * 3, np.ones(2))),
]


@pytest.mark.parametrize("module, old, new, args", RENAMED, ids=[r[1] for r in RENAMED])
def test_old_name_warns_and_agrees(module, old, new, args):
    with pytest.warns(DeprecationWarning, match=f"{module.__name__}.{old} is deprecated.*"
                                                f"use {module.__name__}.{new}"):
        got = getattr(module, old)(*args)
    np.testing.assert_array_equal(got, getattr(module, new)(*args))
    assert old not in module.__all__ and new in module.__all__


def test_old_plot_name_warns_and_draws_the_same_lines():
    # measured norms e^{-0.1 lag} on two trajectories, prediction lambda_max = -0.1
    lags = np.arange(5)
    norms = np.exp(-0.1 * lags) * np.array([[1.0], [2.0]])
    curves = [("g = 0.5", lags, norms, -0.1)]
    with pytest.warns(DeprecationWarning, match="lyaplearn.lyapunov.plot_gradient_vs_lag is "
                      "deprecated.*use lyaplearn.lyapunov.plot_gradient_vs_lyapunov_prediction"):
        old = lyapunov.plot_gradient_vs_lag(curves)
    new = lyapunov.plot_gradient_vs_lyapunov_prediction(curves)
    lines = [[(ln.get_xdata(), ln.get_ydata()) for ln in f.axes[0].get_lines()] for f in (old, new)]
    plt.close(old), plt.close(new)
    assert len(lines[0]) == len(lines[1]) == 5      # two trajectories, the mean, prediction, key
    for (xo, yo), (xn, yn) in zip(*lines):
        np.testing.assert_array_equal(xo, xn), np.testing.assert_array_equal(yo, yn)
    # the geometric mean of 1 and 2 times e^{-0.1 lag}, and the prediction anchored on it
    np.testing.assert_allclose(lines[1][2][1], np.sqrt(2) * np.exp(-0.1 * lags), rtol=1e-12)
    np.testing.assert_allclose(lines[1][3][1], np.sqrt(2) * np.exp(-0.1 * lags), rtol=1e-12)
    assert "plot_gradient_vs_lag" not in lyapunov.__all__
    assert "plot_gradient_vs_lyapunov_prediction" in lyapunov.__all__


def _rnn_case():
    rng = np.random.default_rng(0)
    W, U = rng.standard_normal((3, 3)), rng.standard_normal((3, 2))
    return W, U, np.zeros(3), rng.standard_normal((4, 2)), np.zeros(3)


@pytest.mark.parametrize("call", [
    lambda **kw: rnn.hidden_trajectory(*_rnn_case(), **kw),
    lambda **kw: rnn.hidden_jacobians(*_rnn_case(), **kw),
    lambda **kw: rnn.lag_profile(0.5 * np.eye(3), 4, **kw),
], ids=["hidden_trajectory", "hidden_jacobians", "lag_profile"])
def test_rnn_keyword_nonlinearity_is_now_activation(call):
    with pytest.warns(DeprecationWarning, match="nonlinearity= is deprecated.*use activation="):
        old = call(nonlinearity="relu")
    np.testing.assert_array_equal(old, call(activation="relu"))
    # the keyword is read: relu and linear differ on these inputs, linear is the closed form
    with pytest.warns(DeprecationWarning):
        assert not np.array_equal(call(nonlinearity="linear"), old)
    with pytest.raises(TypeError, match="pass activation= only"), pytest.warns(DeprecationWarning):
        call(activation="tanh", nonlinearity="tanh")


def test_rnn_nonlinearities_is_now_activations():
    with pytest.warns(DeprecationWarning, match="lyaplearn.rnn.NONLINEARITIES is deprecated.*"
                                                "use lyaplearn.rnn.ACTIVATIONS"):
        old = rnn.NONLINEARITIES
    assert old == rnn.ACTIVATIONS == ("tanh", "relu", "linear")
    assert "NONLINEARITIES" not in rnn.__all__
    with pytest.raises(AttributeError, match="no attribute 'NO_SUCH_NAME'"):
        getattr(rnn, "NO_SUCH_NAME")  # noqa: B009


def test_rnn_widget_keyword_nonlinearity_is_now_activation():
    fig = plt.figure()
    with pytest.warns(DeprecationWarning, match="widgets.rnn.draw: nonlinearity= is deprecated"):
        old = rnn_widget.draw(fig, rho=0.9, kind="normal", nonlinearity="linear", steps=5)
    plt.close(fig)
    # a linear RNN with a normal W: the gradient through k steps is ||W^k|| = rho^k exactly
    assert old["activation"] == "linear"
    np.testing.assert_allclose(old["gradient"], 0.9 ** np.arange(6), rtol=1e-9)


def test_closed_forms_through_the_new_names():
    # r = 1 - eta a = -0.5; sigma(0) for tanh is 0; sigma'(0) for the sigmoid is 1/4;
    # BPTT through W = I/2 halves the gradient per step of lag
    assert scalar.gd_regime(1.5, 1.0) == scalar.OSCILLATING_SHRINKING
    assert scalar.tower_activation(0.0, "tanh") == 0.0
    assert scalar.tower_derivative(0.0, "sigmoid") == 0.25
    np.testing.assert_array_equal(rnn.bptt_gradient_norms([0.5 * np.eye(2)] * 3, [1.0, 0.0]),
                                  [1.0, 0.5, 0.25, 0.125])


def test_the_new_names_do_not_warn(recwarn):
    scalar.plot_gd_regimes()
    scalar.tower_gradient(1.0, 0.5, 4, "tanh")
    rnn.lag_profile(0.5 * np.eye(3), 5, activation="relu")
    rnn.hidden_trajectory(*_rnn_case(), activation="linear")
    fig = lyapunov.plot_gradient_vs_lyapunov_prediction([("a", [0, 1], [[1.0, 0.5]], -0.7)])
    plt.close(fig)
    assert rnn.ACTIVATIONS
    assert not [w for w in recwarn if issubclass(w.category, DeprecationWarning)]
