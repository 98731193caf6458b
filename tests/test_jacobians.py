"""Tests for lyaplearn.jacobians as a whole: the refusals of bad arguments that span its files
(_experiments.py and _plots.py in one test), and chapter 2's claim about what a random unit
vector sees, which is a property of any matrix and tests no file of the package (named in
tests/claims/ch02.py). Each file of the package has its own tests:
tests/test_jacobians_<file>.py."""

from __future__ import annotations

import numpy as np
import pytest

from lyaplearn import jacobians as jac

pytestmark = pytest.mark.fp_insensitive


def test_random_unit_vector_sees_the_rms_singular_value():
    """Chapter 2: E||J^T v||^2 = ||J||_F^2 / n for v uniform on the sphere, and for Gaussian W
    with entries of variance g^2/n, E||W^T v||^2 = g^2 ||v||^2 (Monte Carlo, 5 standard errors)."""
    rng = np.random.default_rng(11)
    n = 16
    J = rng.standard_normal((n, n)) @ np.diag(np.geomspace(0.01, 10, n))
    v = rng.standard_normal((40_000, n))
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    sq = np.sum((v @ J) ** 2, axis=1)                 # ||J^T v||^2
    assert abs(sq.mean() - np.linalg.norm(J) ** 2 / n) < 5 * sq.std() / np.sqrt(sq.size)
    assert np.linalg.norm(J, 2) ** 2 > 3 * sq.mean()  # the largest is not what v sees
    g, u = 1.7, rng.standard_normal(n)
    W = rng.standard_normal((20_000, n, n)) * g / np.sqrt(n)
    sq = np.sum(np.einsum("bij,i->bj", W, u) ** 2, axis=1)
    assert abs(sq.mean() - g ** 2 * u @ u) < 5 * sq.std() / np.sqrt(sq.size)


def test_bad_experiment_and_plot_arguments():
    with pytest.raises(ValueError, match="depth must be a positive integer, got 0"):
        jac.saturation_example(depth=0)
    with pytest.raises(ValueError, match="width must be a positive integer"):
        jac.saturation_example(width=-2)
    with pytest.raises(ValueError, match="shift must be a finite real number"):
        jac.saturation_example(shift=np.nan)
    with pytest.raises(ValueError, match="gains must be a non-empty"):
        jac.gain_sweep([])
    with pytest.raises(ValueError, match="gains must be a non-empty"):
        jac.gain_sweep([1.0, -1.0])
    with pytest.raises(ValueError, match="activations must be one of"):
        jac.gain_sweep([1.0], ["swish"])
    with pytest.raises(ValueError, match="trials must be a positive integer"):
        jac.gain_sweep([1.0], trials=0)
    with pytest.raises(ValueError, match="norms must contain at least one curve"):
        jac.plot_layer_gradient_norms({})
    with pytest.raises(ValueError, match=r"norms\['a'\] must be a non-empty 1-D array, got shape \(2, 2\)"):
        jac.plot_layer_gradient_norms({"a": np.ones((2, 2))})
    with pytest.raises(ValueError, match=r"delta_L must have shape \(2,\)"):
        jac.plot_bound_vs_actual([np.ones((2, 2))], np.ones(3))
