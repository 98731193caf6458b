"""The chapter-3 coding exercise's reference solution against closed forms for Haar measure."""

from __future__ import annotations

import numpy as np
import pytest

from lyaplearn.solutions.ch03 import haar_orthogonal

pytestmark = pytest.mark.fp_insensitive

M = 4000  # samples for the moment tests


@pytest.mark.parametrize("n", [1, 2, 7, 30])
def test_is_orthogonal(n):
    Q = haar_orthogonal(n, np.random.default_rng(n))
    assert Q.shape == (n, n)
    np.testing.assert_allclose(Q.T @ Q, np.eye(n), atol=1e-12)
    np.testing.assert_allclose(np.linalg.cond(Q), 1.0, atol=1e-12)


def test_moments_of_the_trace_match_haar_measure():
    # Haar on O(n), n >= 4: tr Q has mean 0, second moment 1, fourth moment 3.
    rng = np.random.default_rng(0)
    tr = np.array([np.trace(haar_orthogonal(5, rng)) for _ in range(M)])
    assert abs(tr.mean()) < 5 / np.sqrt(M)
    assert (tr ** 2).mean() == pytest.approx(1.0, abs=5 * np.sqrt(2 / M))


def test_first_entry_matches_haar_marginal():
    # A Haar column is uniform on the sphere: Q[0,0] is symmetric with E Q00^2 = 1/n,
    # and P(Q00 > 0) = 1/2.
    n = 6
    rng = np.random.default_rng(1)
    q = np.array([haar_orthogonal(n, rng)[0, 0] for _ in range(M)])
    assert abs((q > 0).mean() - 0.5) < 5 * 0.5 / np.sqrt(M)
    # Var(Q00^2) = E Q00^4 - 1/n^2 = 3/(n(n+2)) - 1/n^2
    sd = np.sqrt(3 / (n * (n + 2)) - 1 / n ** 2)
    assert (q ** 2).mean() == pytest.approx(1 / n, abs=5 * sd / np.sqrt(M))


def test_without_the_sign_fix_the_distribution_is_not_haar():
    # the claim the exercise makes: plain np.linalg.qr gives Q[0, 0] <= 0 every time
    rng = np.random.default_rng(2)
    q = np.array([np.linalg.qr(rng.standard_normal((6, 6)))[0][0, 0] for _ in range(200)])
    assert np.all(q <= 0)


def test_bad_n():
    with pytest.raises(ValueError, match="n must be a positive integer, got 0"):
        haar_orthogonal(0, np.random.default_rng(0))
    with pytest.raises(ValueError, match="n must be a positive integer, got 2.0"):
        haar_orthogonal(2.0, np.random.default_rng(0))
