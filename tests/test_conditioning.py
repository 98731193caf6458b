"""Tests for lyaplearn.conditioning as a whole: chapter 3's claims that test no single file of
the package (named in tests/claims/ch03.py): the growth of a Gaussian matrix's condition
number and the drift of a Gaussian product's log norm, both plain numpy, and the singular ReLU
layers, measured with lyaplearn.jacobians on this package's initialisers. Each file of the
package has its own tests: tests/test_conditioning_<file>.py."""

from __future__ import annotations

import numpy as np
import pytest

from lyaplearn import conditioning as C

pytestmark = pytest.mark.fp_insensitive


def test_gaussian_condition_number_grows_like_n():
    """Chapter 3: for n x n Gaussian matrices, sigma_max ~ 2 x the rms singular value and
    kappa roughly proportional to n; medians over 100 draws for n = 25, 50, 100, 200."""
    rng = np.random.default_rng(22)
    ratios = []
    for n in (25, 50, 100, 200):
        s = np.array([np.linalg.svd(rng.standard_normal((n, n)), compute_uv=False)
                      for _ in range(100)])
        rms = np.sqrt(np.mean(s ** 2, axis=1))
        assert 1.8 < np.median(s[:, 0] / rms) < 2.1
        ratios.append(np.median(s[:, 0] / s[:, -1]) / n)
    assert 2 < min(ratios) and max(ratios) < 5, ratios


def test_relu_layers_are_singular_whatever_the_weights():
    """Chapter 3 and exercise "No isometry with ReLU": with zero biases about half the units
    of every layer are off, so every layer Jacobian D W is singular, for every initialiser
    and gain (ReLU is positively homogeneous: the gain cannot switch a unit on)."""
    from lyaplearn import jacobians as jac

    rng = np.random.default_rng(23)
    n, L = 32, 12
    for kind in C.INITIALISERS:
        for gain in (0.5, 1.0, 1.414, 2.0):
            ws = [C.init_weights(n, kind, gain=gain, rng=rng) for _ in range(L)]
            x = rng.standard_normal(n)
            zs, _ = jac.mlp_forward(ws, None, x, "relu")
            for z, J in zip(zs, jac.mlp_jacobians(ws, None, x, "relu")):
                active = int(np.sum(z > 0))
                assert 0.2 * n <= active <= 0.8 * n, (kind, gain, active)
                assert np.linalg.matrix_rank(J) <= active < n


def test_log_norm_of_gaussian_product_drifts_like_digamma():
    """Exercise "The mean is preserved, the typical value is not": with N(0, 1/n) entries,
    E log ||W_L ... W_1 x||^2 = L (psi(n/2) - log(n/2)) < 0 while E ||...||^2 = 1."""
    rng = np.random.default_rng(25)
    n, L, draws = 8, 20, 4000
    x = np.zeros(n)
    x[0] = 1.0
    h = np.tile(x, (draws, 1))
    for _ in range(L):
        W = rng.standard_normal((draws, n, n)) / np.sqrt(n)
        h = np.einsum("bij,bj->bi", W, h)
    logs = np.log(np.sum(h ** 2, axis=1))
    digamma = -np.euler_gamma + sum(1 / k for k in range(1, n // 2))   # psi(n/2), n/2 integer
    expected = L * (digamma - np.log(n / 2))
    assert abs(logs.mean() - expected) < 5 * logs.std() / np.sqrt(draws)
    assert expected < -1
