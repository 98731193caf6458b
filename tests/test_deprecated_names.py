"""Tests for the chapter modules' old names (``lyaplearn/_deprecated.py``): each still works for
one release, gives what the new name gives, and warns with the new name."""

from __future__ import annotations

import numpy as np
import pytest

from lyaplearn import rnn, scalar

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
    rnn.lag_profile(0.5 * np.eye(3), 5)
    assert not [w for w in recwarn if issubclass(w.category, DeprecationWarning)]
