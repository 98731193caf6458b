"""Tests for lyaplearn.rnn._matrices: spectral radius, the initialiser and the norms of powers
of ``W`` against closed forms and numpy.linalg (Gelfand's formula, a Jordan block)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lyaplearn import rnn

pytestmark = pytest.mark.fp_sensitive


@pytest.mark.parametrize("r,theta", [(0.7, 0.3), (1.3, 2.0), (1.0, math.pi / 2)])
def test_spectral_radius_rotation_times_scale(r, theta):
    # eigenvalues r exp(+-i theta): modulus r exactly
    W = r * np.array([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]])
    assert rnn.spectral_radius(W) == pytest.approx(r, rel=1e-12)
    assert rnn.spectral_radius(W) == pytest.approx(np.abs(np.linalg.eigvals(W)).max(), rel=1e-12)


def test_spectral_radius_triangular_is_largest_diagonal_entry():
    W = np.array([[0.5, 3.0, -2.0], [0.0, -0.8, 7.0], [0.0, 0.0, 0.2]])
    assert rnn.spectral_radius(W) == pytest.approx(0.8, rel=1e-12)
    # the norm can be much larger than the spectral radius
    assert np.linalg.norm(W, 2) > 5


def test_spectral_radius_random_matches_eigvals():
    W = np.random.default_rng(3).standard_normal((9, 9))
    assert rnn.spectral_radius(W) == pytest.approx(np.abs(np.linalg.eigvals(W)).max(), rel=1e-12)


@pytest.mark.parametrize("kind", rnn.KINDS)
@pytest.mark.parametrize("n,rho", [(32, 0.9), (7, 1.3), (1, 0.5), (16, 0.0)])
def test_init_recurrent_sets_rho_exactly(kind, n, rho):
    for seed in range(3):
        W = rnn.init_recurrent(n, rho, kind, np.random.default_rng(seed))
        assert W.shape == (n, n)
        r = np.abs(np.linalg.eigvals(W)).max()
        if rho == 0:
            # all eigenvalues zero: W is nilpotent (eigvals of a nilpotent matrix are
            # inaccurate, so check W^n = 0 instead)
            assert np.linalg.norm(np.linalg.matrix_power(W, n)) < 1e-12
        else:
            assert r == pytest.approx(rho, rel=1e-10)


def test_init_recurrent_normal_is_normal_with_norms_rho_to_the_t():
    W = rnn.init_recurrent(24, 0.9, "normal", 1)
    assert np.allclose(W @ W.T, W.T @ W, atol=1e-12)
    P = np.linalg.matrix_power
    for t in (1, 5, 20):
        assert np.linalg.norm(P(W, t), 2) == pytest.approx(0.9 ** t, rel=1e-9)


def test_init_recurrent_nonnormal_grows_transiently():
    W = rnn.init_recurrent(32, 0.9, "nonnormal", 0)
    assert np.abs(np.linalg.eigvals(W)).max() == pytest.approx(0.9, rel=1e-10)
    assert not np.allclose(W @ W.T, W.T @ W, atol=1e-3)
    norms = [np.linalg.norm(np.linalg.matrix_power(W, t), 2) for t in range(1, 80)]
    assert max(norms) > 1.0
    # ... yet it decays eventually, as rho < 1 demands
    assert np.linalg.norm(np.linalg.matrix_power(W, 400), 2) < 1e-3


def test_init_recurrent_reproducible():
    a = rnn.init_recurrent(10, 0.8, "nonnormal", 5)
    b = rnn.init_recurrent(10, 0.8, "nonnormal", np.random.default_rng(5))
    np.testing.assert_array_equal(a, b)


def test_power_norms_jordan_block_closed_form():
    # W = [[a, c], [0, a]]: W^t = [[a^t, t c a^(t-1)], [0, a^t]]
    a, c, steps = 0.9, 1.0, 40
    W = np.array([[a, c], [0.0, a]])
    got = rnn.power_norms(W, steps)
    assert got[0] == 1.0
    for t in range(1, steps + 1):
        Wt = np.array([[a ** t, t * c * a ** (t - 1)], [0.0, a ** t]])
        assert got[t] == pytest.approx(np.linalg.norm(Wt, 2), rel=1e-10)


def test_power_norms_no_overflow():
    W = np.array([[3.0]])
    got = rnn.power_norms(W, 10)
    np.testing.assert_allclose(got, 3.0 ** np.arange(11), rtol=1e-12)


def test_gelfand_estimates_converge_to_rho():
    W = np.array([[0.5, 10.0], [0.0, 0.4]])
    est = rnn.gelfand_estimates(W, 2000)
    assert est.shape == (2000,)
    assert est[0] == pytest.approx(np.linalg.norm(W, 2))
    assert est[-1] == pytest.approx(0.5, rel=5e-3)
    assert abs(est[-1] - 0.5) < abs(est[99] - 0.5)


def test_jordan_transient_grows_with_coupling_and_chain_length():
    """Exercises "A two-by-two transient" and "Gelfand's formula for a triangular matrix":
    for W = a I + c N (N the shift), the peak of ||W^t||_2 and the number of steps with
    ||W^t||_2 > 1 grow with the coupling c and with the size n of the block."""
    def transient(a, c, n, steps=400):
        W = a * np.eye(n) + c * np.eye(n, k=1)
        norms = rnn.power_norms(W, steps)
        return norms.max(), int(np.sum(norms[1:] > 1))

    for n in (2, 3, 4):
        peaks, lengths = zip(*(transient(0.9, c, n) for c in (1.0, 2.0, 4.0)))
        assert np.all(np.diff(peaks) > 0) and np.all(np.diff(lengths) > 0), (n, peaks, lengths)
    for c in (1.0, 2.0, 4.0):
        peaks, lengths = zip(*(transient(0.9, c, n) for n in (2, 3, 4)))
        assert np.all(np.diff(peaks) > 0) and np.all(np.diff(lengths) > 0), (c, peaks, lengths)
    # the 2 x 2 closed form: the corner entry t c a^(t-1) peaks at t = 9 with 9 * 0.9^8
    W = np.array([[0.9, 1.0], [0.0, 0.9]])
    corners = [np.linalg.matrix_power(W, t)[0, 1] for t in range(1, 30)]
    assert int(np.argmax(corners)) + 1 in (9, 10)
    assert max(corners) == pytest.approx(9 * 0.9 ** 8, rel=1e-12)
