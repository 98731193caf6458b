"""Tests for lyaplearn.conditioning._products: singular values and the condition number against
numpy.linalg and closed forms, and the log singular values of long products (peeled, never
formed) against the explicit SVD, exact identities and closed forms beyond the float range,
with chapter 3's claims about them (named in tests/claims/ch03.py)."""

from __future__ import annotations

import numpy as np
import pytest

from lyaplearn import conditioning as C
from _helpers.conditioning_inputs import gaussian_stack as _gaussian_stack

pytestmark = pytest.mark.fp_insensitive


@pytest.mark.parametrize("shape", [(3, 3), (5, 2), (2, 7), (40, 40)])
def test_condition_number_matches_numpy(shape):
    M = np.random.default_rng(0).standard_normal(shape)
    assert C.condition_number(M) == pytest.approx(np.linalg.cond(M), rel=1e-10)


def test_condition_number_closed_forms():
    assert C.condition_number(np.diag([4.0, -0.5, 2.0])) == pytest.approx(8.0, rel=1e-14)
    assert C.condition_number(np.eye(6) * 3.0) == pytest.approx(1.0, rel=1e-14)
    Q = np.linalg.qr(np.random.default_rng(1).standard_normal((20, 20)))[0]
    assert C.condition_number(Q) == pytest.approx(1.0, abs=1e-12)
    # shear [[1, t], [0, 1]]: sigma_1 * sigma_2 = 1, sigma_1^2 + sigma_2^2 = 2 + t^2
    t = 3.0
    s1 = (t + np.sqrt(t * t + 4)) / 2
    assert C.condition_number([[1.0, t], [0.0, 1.0]]) == pytest.approx(s1 ** 2, rel=1e-12)


def test_condition_number_singular_is_inf():
    assert C.condition_number([[1.0, 2.0], [2.0, 4.0]]) > 1e15  # rank 1, up to rounding
    assert C.condition_number(np.diag([1.0, 0.0])) == np.inf
    assert C.condition_number(np.zeros((3, 3))) == np.inf


def test_singular_values_match_numpy():
    M = np.random.default_rng(2).standard_normal((7, 4))
    np.testing.assert_allclose(C.singular_values(M), np.linalg.svd(M, compute_uv=False),
                               rtol=1e-12)
    np.testing.assert_allclose(C.singular_values(np.diag([1.0, -5.0, 2.0])), [5, 2, 1])


@pytest.mark.parametrize("n, L", [(6, 3), (12, 8), (25, 5), (40, 6)])
def test_product_spectrum_matches_explicit_svd(n, L):
    rng = np.random.default_rng(n + L)
    Ms = _gaussian_stack(rng, n, L)
    P = np.linalg.multi_dot(Ms[::-1])
    s = np.linalg.svd(P, compute_uv=False)
    assert s[0] / s[-1] < 1e10  # moderate: the explicit SVD still resolves every value
    # the SVD of the explicit product has absolute error ~ eps * s[0], so the
    # relative (log) error of s[i] is ~ eps * s[0] / s[i]
    tol = 1e-10 + 1e-13 * s[0] / s
    err = np.abs(C.product_log_singular_values(Ms) - np.log(s))
    assert np.all(err <= tol), (err, tol)
    np.testing.assert_allclose(C.explicit_product(Ms), P, rtol=1e-12, atol=1e-14)


def test_product_order_is_layer_order():
    A = np.array([[1.0, 5.0], [0.0, 1.0]])
    B = np.diag([3.0, 0.1])
    expect = np.log(np.linalg.svd(B @ A, compute_uv=False))  # [A, B] means B @ A
    np.testing.assert_allclose(C.product_log_singular_values([A, B]), expect, atol=1e-12)
    assert not np.allclose(expect, np.log(np.linalg.svd(A @ B, compute_uv=False)))


def test_product_of_orthogonal_is_isometry_at_any_depth():
    rng = np.random.default_rng(3)
    Qs = [np.linalg.qr(rng.standard_normal((30, 30)))[0] for _ in range(1500)]
    np.testing.assert_allclose(C.product_log_singular_values(Qs), 0.0, atol=1e-10)


def test_product_of_diagonals_beyond_float_range():
    # log-entries with a fixed ordering (no crossing): the closed form is the
    # sorted column sums of the logs. The product itself is ~1e900 .. 1e-1000.
    rng = np.random.default_rng(4)
    base = np.log(np.array([2.0, 1.5, 1.0, 0.5, 0.1]))
    logd = base + 0.1 * rng.uniform(-1, 1, (3000, 5))
    Ds = [np.diag(np.exp(row) * rng.choice([-1, 1], 5)) for row in logd]
    expect = np.sort(logd.sum(axis=0))[::-1]
    assert expect[0] > 709 and expect[-1] < -745  # would overflow / underflow
    np.testing.assert_allclose(C.product_log_singular_values(Ds), expect,
                               rtol=1e-12, atol=1e-8)


def test_many_peeling_levels():
    # singular values e^{-14 i}, i = 0..99: each SVD step resolves only one or
    # two of them, and the explicit product underflows below e^{-745}
    rng = np.random.default_rng(18)
    Q = np.linalg.qr(rng.standard_normal((100, 100)))[0]
    D = np.diag(np.exp(-7.0 * np.arange(100)))
    ls = C.product_log_singular_values([D @ Q, D])  # D D Q: same singular values as D^2
    np.testing.assert_allclose(ls, -14.0 * np.arange(100), rtol=1e-10, atol=1e-8)


def test_product_of_diagonal_in_rotated_basis():
    # M_k = Q D_k Q^T: the product is Q (prod D_k) Q^T, singular values closed form
    rng = np.random.default_rng(5)
    Q = np.linalg.qr(rng.standard_normal((6, 6)))[0]
    d = np.array([1.3, 1.1, 0.9, 0.7, 0.5, 0.3])
    L = 800
    Ms = [Q @ np.diag(d) @ Q.T for _ in range(L)]
    np.testing.assert_allclose(C.product_log_singular_values(Ms), L * np.log(d),
                               rtol=1e-9, atol=1e-8)


@pytest.mark.parametrize("n, L", [(8, 100), (20, 60)])
def test_deep_gaussian_product_against_independent_references(n, L):
    rng = np.random.default_rng(10 * n + L)
    Ms = _gaussian_stack(rng, n, L)
    ls = C.product_log_singular_values(Ms)
    # sum of log singular values = sum of log |det M_k|
    assert ls.sum() == pytest.approx(sum(np.linalg.slogdet(M)[1] for M in Ms), rel=1e-10)
    # largest: explicit product rescaled per layer (no overflow), then SVD
    P = np.eye(n)
    scale = 0.0
    for M in Ms:
        P = M @ P
        f = np.linalg.norm(P)
        P /= f
        scale += np.log(f)
    assert ls[0] == pytest.approx(np.log(np.linalg.norm(P, 2)) + scale, abs=1e-9)
    # smallest: 1 / largest singular value of the inverse product
    Pi = np.eye(n)
    scale = 0.0
    for M in Ms:
        Pi = Pi @ np.linalg.inv(M)
        f = np.linalg.norm(Pi)
        Pi /= f
        scale += np.log(f)
    assert ls[-1] == pytest.approx(-(np.log(np.linalg.norm(Pi, 2)) + scale), abs=1e-7)
    assert ls[0] - ls[-1] > 60  # condition number beyond 1e26: explicit SVD hopeless
    assert np.all(np.diff(ls) <= 0)


def test_singular_product_gives_minus_inf():
    A = np.diag([2.0, 1.0, 0.0])
    ls = C.product_log_singular_values([A, A])
    np.testing.assert_allclose(ls[:2], [np.log(4.0), 0.0], atol=1e-14)
    assert ls[2] == -np.inf
    assert np.all(C.product_log_singular_values([np.zeros((2, 2))]) == -np.inf)


def test_product_accepts_3d_array():
    Ms = np.stack(_gaussian_stack(np.random.default_rng(6), 4, 3))
    np.testing.assert_allclose(C.product_log_singular_values(Ms),
                               np.log(np.linalg.svd(Ms[2] @ Ms[1] @ Ms[0],
                                                    compute_uv=False)), atol=1e-12)


def test_condition_number_properties_on_random_matrices():
    """kappa >= 1, kappa(cM) = kappa(M) for c != 0, kappa = 1 exactly for c Q (Q orthogonal)."""
    rng = np.random.default_rng(21)
    for n in (2, 5, 17):
        for _ in range(20):
            M = rng.standard_normal((n, n)) * 10.0 ** rng.uniform(-3, 3, size=n)
            k = C.condition_number(M)
            assert k >= 1
            for c in (-7.5, 1e-6, 3e4):
                assert C.condition_number(c * M) == pytest.approx(k, rel=1e-8)
            Q = np.linalg.qr(rng.standard_normal((n, n)))[0]
            assert C.condition_number(-2.5 * Q) == pytest.approx(1.0, abs=1e-12)
            # one singular value moved off the common value: kappa > 1
            U, _, Vt = np.linalg.svd(M)
            s = np.full(n, 2.0)
            s[-1] = 2.0 * (1 - 1e-6)
            assert C.condition_number(U @ np.diag(s) @ Vt) > 1 + 1e-7


def test_random_products_condition_grows_exponentially_but_slower_than_the_bound():
    """Exercise "Conditioning of products": for 16 x 16 Gaussian layers, log kappa of the
    product grows linearly in L (exponential growth of kappa) at a rate below the bound's
    per-layer log kappa_0 (mean over the layers)."""
    rng = np.random.default_rng(24)
    layers = _gaussian_stack(rng, 16, 400)
    log_k0 = np.mean([np.log(C.condition_number(W)) for W in layers])
    ls = {L: C.product_log_singular_values(layers[:L]) for L in (100, 200, 400)}
    rate = {L: (v[0] - v[-1]) / L for L, v in ls.items()}
    assert rate[400] < 0.8 * log_k0                       # slower than kappa_0 ** L
    assert rate[400] > 0.5                                # but exponential
    assert abs(rate[200] - rate[400]) < 0.1 * rate[400]   # a settled rate, not a transient
