"""The chapter-9 coding exercises against quadrature, the engine and the exact theory."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lyaplearn import lyapunov, maps
from lyaplearn import meanfield as mf
from lyaplearn.solutions import ch09

pytestmark = pytest.mark.fp_sensitive

_erf = np.vectorize(math.erf)


def _erf_chi1_by_quadrature(sw, sb):
    q = 1.0
    for _ in range(3000):
        q = sw ** 2 * mf.gaussian_expectation(lambda a: _erf(a) ** 2, q) + sb ** 2
    derf2 = lambda a: 4 / math.pi * np.exp(-2 * a ** 2)  # noqa: E731
    return sw ** 2 * mf.gaussian_expectation(derf2, q)


@pytest.mark.parametrize("sw, sb", [(0.7, 0.0), (1.5, 0.0), (1.2, 0.4), (2.5, 1.0)])
def test_erf_chi1_matches_quadrature(sw, sb):
    assert ch09.erf_chi1(sw, sb) == pytest.approx(_erf_chi1_by_quadrature(sw, sb), rel=1e-7)


def test_erf_line_starts_at_sqrt_pi_over_two():
    assert ch09.erf_critical_sigma_w(0.0) == pytest.approx(math.sqrt(math.pi) / 2, rel=1e-9)
    s = ch09.erf_critical_sigma_w(0.5)
    assert s > math.sqrt(math.pi) / 2 and ch09.erf_chi1(s, 0.5) == pytest.approx(1.0, abs=1e-9)
    with pytest.raises(ValueError, match="sigma_w must be"):
        ch09.erf_chi1(-1.0)


def test_ordered_lambda_is_what_the_engine_measures():
    for seed in range(3):
        rnn = maps.random_tanh_rnn(64, gain=0.6, weights="gaussian", seed=seed)
        ens = lyapunov.rnn_spectrum(rnn, steps=3000, warmup=200, trajectories=1, k=1, seed=seed)
        # the QR estimate approaches ln |top eigenvalue| like 1/T (frame transient, complex pairs)
        assert ens.largest == pytest.approx(ch09.ordered_lambda(rnn.W, 0.6), abs=5e-3)
        assert abs(ens.largest - math.log(0.6)) > 0.01 or seed > 0   # one W's fluctuation shows
    with pytest.raises(ValueError, match="W must be a square matrix"):
        ch09.ordered_lambda(np.ones(3), 0.5)


def test_large_input_asymptote():
    ratios = [mf.critical_gain(s) / ch09.large_input_critical_gain(s) for s in (5.0, 50.0, 400.0)]
    assert ratios[0] > ratios[1] > ratios[2] > 1.0
    assert ratios[2] == pytest.approx(1.0, abs=0.005)
    assert ratios[0] == pytest.approx(1.09, abs=0.01) and ratios[1] == pytest.approx(1.01, abs=0.005)
