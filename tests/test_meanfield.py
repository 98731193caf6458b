"""Mean-field theory (chapter 9) against closed forms, quadrature and known values.

The theory functions are checked against exact Gaussian moments, an independent
quadrature, series expansions, chapter 3's critical_tanh and a value from the
literature. The measurements against the theory are in tests/test_edge.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from lyaplearn import conditioning
from lyaplearn import meanfield as mf

pytestmark = pytest.mark.fp_insensitive


def _legendre(f, q, panels=4000, n=16):
    """E[f(sqrt(q) z)] by composite Gauss-Legendre quadrature in z on [-12, 12]: another method."""
    x, w = np.polynomial.legendre.leggauss(n)
    edges = np.linspace(-12.0, 12.0, panels + 1)
    half = 0.5 * (edges[1] - edges[0])
    z = (0.5 * (edges[:-1] + edges[1:]))[:, None] + half * x
    return float(np.sum(half * w * f(math.sqrt(q) * z) * np.exp(-0.5 * z ** 2)) / math.sqrt(2 * math.pi))


def _hermite(f, q, n=150):
    """E[f(sqrt(q) z)] by n-point Gauss-Hermite quadrature (probabilists')."""
    z, w = np.polynomial.hermite_e.hermegauss(n)
    return float(np.sum(w * f(math.sqrt(q) * z)) / math.sqrt(2 * math.pi))


# ---------------------------------------------------------------- integrals

@pytest.mark.parametrize("q", [0.3, 1.0, 4.0])
def test_gaussian_expectation_matches_closed_forms(q):
    assert mf.gaussian_expectation(lambda a: a ** 2, q) == pytest.approx(q, rel=1e-13)
    assert mf.gaussian_expectation(lambda a: a ** 6, q) == pytest.approx(15 * q ** 3, rel=1e-12)
    assert mf.gaussian_expectation(np.cos, q) == pytest.approx(math.exp(-q / 2), rel=1e-12)
    # erf'(x)^2 = (4/pi) exp(-2 x^2): E = (4/pi) / sqrt(1 + 4 q)
    derf2 = lambda a: 4 / math.pi * np.exp(-2 * a ** 2)  # noqa: E731
    assert mf.gaussian_expectation(derf2, q) == pytest.approx(4 / math.pi / math.sqrt(1 + 4 * q),
                                                              rel=1e-10)


@pytest.mark.parametrize("q", [1e-4, 0.01, 0.5, 2.0, 25.0, 2500.0])
def test_tanh_integrals_agree_with_high_order_quadrature(q):
    for f in (lambda a: np.tanh(a) ** 2, lambda a: (1 - np.tanh(a) ** 2) ** 2):
        got = mf.gaussian_expectation(f, q)
        assert got == pytest.approx(_legendre(f, q), rel=1e-10, abs=1e-15)
        if q <= 0.5:   # where tanh is smooth on the scale of z, Gauss-Hermite converges too
            assert got == pytest.approx(_hermite(f, q), rel=1e-10, abs=1e-15)


def test_variance_map_small_q_series_and_fixed_point():
    # tanh(x)^2 = x^2 - 2/3 x^4 + 17/45 x^6 - 62/315 x^8 ..., and E x^(2k) = (2k-1)!! q^k:
    # E tanh(sqrt(q) z)^2 = q - 2 q^2 + 17/3 q^3 - 62/3 q^4 + O(q^5)
    q = 1e-3
    assert mf.variance_map(q, 1.0) == pytest.approx(q - 2 * q ** 2 + 17 / 3 * q ** 3 - 62 / 3 * q ** 4,
                                                    rel=1e-10)
    # just above sigma_w = 1 the fixed point solves 1 = s^2 (1 - 2 q + 17/3 q^2 - 62/3 q^3) + O(q^4)
    s = 1.005
    roots = np.roots([-62 / 3, 17 / 3, -2.0, 1.0 - 1.0 / s ** 2])
    want = float(min(r.real for r in roots if abs(r.imag) < 1e-12 and r.real > 0))
    assert mf.fixed_point(s) == pytest.approx(want, rel=1e-4)
    assert mf.fixed_point(0.9) == 0.0 and mf.fixed_point(1.0) == 0.0
    for sw, sb in [(0.5, 0.3), (1.5, 0.0), (3.0, 1.0)]:
        qs = mf.fixed_point(sw, sb)
        assert mf.variance_map(qs, sw, sb) == pytest.approx(qs, rel=1e-10)


def test_critical_line_known_values():
    assert mf.chi1(1.0) == 1.0
    assert mf.critical_sigma_w(0.0) == 1.0
    assert mf.critical_gain(0.0) == 1.0
    # the critical point (sigma_w^2, sigma_b^2) = (1.76, 0.05) quoted in the mean-field literature
    assert mf.critical_sigma_w(math.sqrt(0.05)) ** 2 == pytest.approx(1.76, abs=0.005)
    # chapter 3's critical_tanh parametrises the same line by q*: an independent solver
    for q in [0.05, 0.5, 2.0]:
        gain, bias = conditioning.critical_tanh(q)
        assert mf.critical_sigma_w(bias) == pytest.approx(gain, rel=1e-8)
        assert mf.fixed_point(gain, bias) == pytest.approx(q, rel=1e-6)
    assert mf.depth_scale(mf.critical_sigma_w(0.5), 0.5) > 1e6
    assert mf.depth_scale(0.5) == pytest.approx(1 / math.log(4.0), rel=1e-12)   # chi_1 = sigma_w^2


def test_rnn_theory_limits():
    # no input, g < 1: the state decays to 0, tanh'(0) = 1, lambda = ln g
    for g in (0.3, 0.9):
        assert mf.rnn_lambda_max(g) == pytest.approx(math.log(g), abs=1e-14)
    assert mf.rnn_lambda_max(1.0) == 0.0
    # input suppresses chaos: g_c grows with sigma; lambda falls with sigma at fixed g
    gcs = [mf.critical_gain(s) for s in (0.0, 0.5, 1.0)]
    assert gcs[0] == 1.0 and gcs[0] < gcs[1] < gcs[2]
    assert mf.rnn_lambda_max(gcs[1], 0.5) == pytest.approx(0.0, abs=1e-9)
    assert mf.rnn_lambda_max(2.0, 1.0) < mf.rnn_lambda_max(2.0, 0.5) < mf.rnn_lambda_max(2.0)
    # saturated: Delta = g^2 E[tanh^2] with tanh^2 = 1 - tanh'; E tanh'(sqrt(D) z) -> 2 / sqrt(2 pi D)
    g = 50.0
    d = mf.rnn_field_variance(g)
    assert d == pytest.approx(g ** 2 * _legendre(lambda a: np.tanh(a) ** 2, d), rel=1e-9)
    assert 1 - d / g ** 2 == pytest.approx(2 / math.sqrt(2 * math.pi * d), rel=0.01)


def test_uniform_init_mapping_is_the_variance_of_U():
    g, s = mf.uniform_init_meanfield(0.3, 48)
    assert g ** 2 / 48 == pytest.approx(0.3 ** 2 / 3) and s == 0.3
    pc = mf.critical_p(32)
    assert mf.rnn_lambda_max(*mf.uniform_init_meanfield(pc, 32)) == pytest.approx(0.0, abs=1e-8)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="q must be a finite real number >= 0"):
        mf.gaussian_expectation(np.tanh, -1.0)
    with pytest.raises(ValueError, match="f must be callable"):
        mf.gaussian_expectation(3.0, 1.0)
    with pytest.raises(ValueError, match="sigma_b must be a finite real number >= 0"):
        mf.chi1(1.0, float("nan"))
    with pytest.raises(ValueError, match="hidden must be a positive integer"):
        mf.critical_p(0)



def test_finite_size_coefficients_quoted_in_the_chapter():
    # exercise ex-ch9-jensen quotes c = 1.3 at g = 2 and 2.3 at g = 3 without input
    assert mf.finite_size_coefficient(2.0) == pytest.approx(1.3, abs=0.05)
    assert mf.finite_size_coefficient(3.0) == pytest.approx(2.3, abs=0.05)
    # and c -> 1/2 as g -> 1+ (Delta -> 0: tanh' = 1 for every unit, r = 3 - 1 = 2)
    assert mf.finite_size_coefficient(1.0) == pytest.approx(0.5, abs=1e-12)


@pytest.mark.parametrize("depth", [2, 4])
def test_product_top_rate_is_the_edge_of_a_product_of_gaussian_matrices(depth):
    # the largest singular value of a product of `depth` N x N matrices N(0, 1/N): at N = 400
    # it lies 0.006-0.014 per layer below the infinite-N edge over seeds 0-3 (edge fluctuations
    # shrink like N^(-2/3))
    n, rng = 400, np.random.default_rng(depth)
    P = np.eye(n)
    for _ in range(depth):
        P = rng.standard_normal((n, n)) / math.sqrt(n) @ P
    rate = math.log(np.linalg.svd(P, compute_uv=False)[0]) / depth
    assert 0 < mf.product_top_rate(depth) - rate < 0.03
    assert mf.product_top_rate(1) == pytest.approx(math.log(2.0), rel=1e-15)   # Marchenko-Pastur
    with pytest.raises(ValueError, match="depth must be a positive integer"):
        mf.product_top_rate(0)
