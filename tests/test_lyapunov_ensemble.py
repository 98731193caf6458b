"""Tests for lyaplearn.lyapunov._ensemble: ensembles over trajectories (SpectrumEnsemble,
rnn_spectrum), regimes, the logistic map's exponents, the naive product-SVD exponents and
gradients against lag, with the chapter's claims about them (named in tests/claims/ch05.py).

References: the logistic map's exponent in closed form at r = 4 (ln 2) and on its stable
cycles (the log of the cycle's multiplier over its period); an orthogonal W without input
gives lambda = log g exactly for g < 1; gradients through J_t = g W shrink like g^lag.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from lyaplearn import lyapunov as L
from lyaplearn import maps as M

pytestmark = pytest.mark.fp_sensitive


LN2 = math.log(2.0)


def test_logistic_periodic_window_is_negative():
    """r = 3.2: stable 2-cycle, λ = ln|f'(x1) f'(x2)| / 2 with x1,2 the cycle points."""
    r = 3.2
    disc = math.sqrt((r + 1) * (r - 3))
    x1, x2 = (r + 1 + disc) / (2 * r), (r + 1 - disc) / (2 * r)
    exact = 0.5 * math.log(abs(r * (1 - 2 * x1) * r * (1 - 2 * x2)))
    lam = L.logistic_exponents([r], steps=2000, warmup=2000)
    assert lam[0] == pytest.approx(exact, abs=1e-6)


def test_product_svd_matches_closed_form_then_overflows():
    A = np.diag([3.0, 1.0, 0.1])
    J = np.broadcast_to(A, (800, 3, 3))
    naive = L.product_svd_exponents(J, [1, 10, 200, 800])
    assert np.allclose(naive[:2], np.log([3.0, 1.0, 0.1]), atol=1e-12)
    assert np.isnan(naive[-1]).all()           # 3^800 overflows float64


def test_spectrum_ensemble_statistics():
    ex = np.array([[0.1, -0.5, -1.0], [0.3, -0.7, -0.9], [0.2, -0.6, -1.4]])
    ens = L.SpectrumEnsemble(ex)
    assert np.allclose(ens.mean, ex.mean(axis=0))
    assert np.allclose(ens.stderr, ex.std(axis=0, ddof=1) / np.sqrt(3))
    assert ens.largest == pytest.approx(0.2)
    assert ens.mean_exponent == pytest.approx(ex.mean())
    assert ens.variance == pytest.approx(np.var(ex.mean(axis=0)))
    assert ens.entropy == pytest.approx(0.2)
    assert ens.kaplan_yorke == pytest.approx(1 + 0.2 / 0.6)
    assert np.allclose(ens.features()["max"], [0.1, 0.3, 0.2])
    bits = ens.to("bits")
    assert np.allclose(bits.mean, ex.mean(axis=0) / LN2) and bits.units == "bits"
    assert np.isnan(L.SpectrumEnsemble(ex[:1]).stderr).all()


def test_regime_labels():
    assert L.regime(-0.3) == "stable"
    assert L.regime(0.01) == "marginal"
    assert L.regime(0.3) == "chaotic"
    assert L.regime(0.05, tol=0.1) == "marginal"


def test_rnn_regimes_by_gain():
    """Orthogonal W, no input: the origin is stable iff g < 1 (λ = log g exactly for
    g < 1, since h -> 0 and J -> g W with W orthogonal); large g is chaotic."""
    W = M.random_orthogonal(32, seed=0)
    small = L.rnn_spectrum(M.TanhRNN(W, gain=0.5), steps=100, trajectories=2, warmup=200, seed=1)
    assert np.allclose(small.mean, math.log(0.5), atol=1e-6)
    big = L.rnn_spectrum(M.TanhRNN(W, gain=4.0, input_std=0.5), steps=150, trajectories=2,
                         warmup=100, k=4, seed=1)
    assert big.largest > 0.2 and L.regime(big.largest) == "chaotic"


def test_gradient_norms_near_linear_regime_closed_form():
    """With tiny states and no input, J_t = g W (W orthogonal), so ||dL/dh_{T-l}|| = g^l."""
    W = M.random_orthogonal(8, seed=0)
    net = M.TanhRNN(W, gain=0.9)
    lags, norms = L.gradient_norms_vs_lag(net, steps=20, trajectories=2, warmup=0,
                                          h0_std=1e-7, seed=0)
    assert np.array_equal(lags, np.arange(21))
    assert np.allclose(norms, 0.9 ** lags, rtol=1e-8)


def test_gradient_decay_rate_matches_lambda_max():
    """Autograd gradients decay at the rate the QR algorithm predicts (stable regime)."""
    net = M.random_tanh_rnn(32, gain=0.8, input_std=math.sqrt(0.6), seed=1)
    lam = L.rnn_spectrum(net, steps=300, trajectories=4, warmup=100, k=1, seed=2).largest
    lags, norms = L.gradient_norms_vs_lag(net, steps=60, trajectories=8, seed=3)
    slope = np.polyfit(lags[10:], np.log(norms).mean(axis=0)[10:], 1)[0]
    assert slope == pytest.approx(lam, abs=0.03)


def test_other_bad_inputs():
    with pytest.raises(ValueError, match=r"exponents must have shape \(B, k\)"):
        L.SpectrumEnsemble(np.zeros(3))
    with pytest.raises(ValueError, match="units must be"):
        L.SpectrumEnsemble(np.zeros((2, 2)), units="dB")
    with pytest.raises(ValueError, match="tol must be"):
        L.regime(0.1, tol=-1)
    with pytest.raises(ValueError, match="lambda_max must not be NaN"):
        L.regime(np.nan)
    net = M.random_tanh_rnn(3, seed=0)
    with pytest.raises(ValueError, match="trajectories must be a positive integer"):
        L.rnn_spectrum(net, trajectories=0)
    with pytest.raises(ValueError, match="h0_std must be"):
        L.rnn_spectrum(net, h0_std=-1.0)
    with pytest.raises(ValueError, match="steps must be a positive integer"):
        L.gradient_norms_vs_lag(net, steps=0)
    with pytest.raises(ValueError, match=r"times must be increasing integers in \[1, 4\]"):
        L.product_svd_exponents(np.zeros((4, 2, 2)), [0, 2])
    with pytest.raises(ValueError, match=r"jacobians must have shape \(T, N, N\)"):
        L.product_svd_exponents(np.zeros((4, 2)), [1])
    with pytest.raises(ValueError, match=r"r_values must be a non-empty 1-D array in \(0, 4\]"):
        L.logistic_exponents([4.5])


def test_logistic_exponent_closed_forms_across_the_bifurcation_diagram():
    """Chapter 5, "Two maps with known answers": zero at the first two period-doublings
    (r = 3, 1 + sqrt 6), the stable two-cycle's closed form, negative in the period-three
    window, positive in a chaotic band, ln 2 at r = 4."""
    def two_cycle(r):               # multiplier of the 2-cycle: f'(x1) f'(x2) = 4 + 2r - r^2
        return 0.5 * math.log(abs(4 + 2 * r - r * r))

    lam = L.logistic_exponents([3.0, 1 + math.sqrt(6)], steps=5000, warmup=1000)
    assert np.all(np.abs(lam) < 0.005), lam              # multiplier -1: lambda -> 0 (slowly)
    for r in (3.1, 3.3, 3.4):
        assert L.logistic_exponents([r], steps=4000, warmup=4000)[0] == pytest.approx(
            two_cycle(r), abs=1e-6)
    window, chaos, top = L.logistic_exponents([3.835, 3.7, 4.0], steps=20000, warmup=2000)
    assert window < -0.05 and chaos > 0.2 and top == pytest.approx(LN2, abs=0.01)


def test_finite_time_scatter_shrinks_like_one_over_sqrt_T():
    """Chapter 5, "How fast does the estimate converge?": the spread of the finite-time
    estimates over 64 input sequences (16-unit chaotic network) shrinks by about 2 per 4x
    more steps: from T = 50 to 800 by a factor between 2.5 and 6 (1/sqrt T predicts 4)."""
    net = M.random_tanh_rnn(16, gain=3.5, input_std=math.sqrt(0.6), seed=1)
    spread = {}
    for T in (50, 800):
        ens = L.rnn_spectrum(net, steps=T, trajectories=64, warmup=100, seed=3)
        spread[T] = (ens.exponents[:, 0].std(), ens.exponents.mean(axis=1).std())
    for i in range(2):
        assert 2.5 < spread[50][i] / spread[800][i] < 6, spread


def test_spectrum_summaries_at_128_units_match_64():
    """Chapter 5, "At full size": for the chapter's three gains, the mean exponent and the
    variance at 128 units are within 5% of the 64-unit values, with the same regime."""
    for gain in (0.8, 1.8, 3.5):
        got = {}
        for n in (64, 128):
            net = M.random_tanh_rnn(n, gain=gain, input_std=math.sqrt(0.6), seed=1)
            got[n] = L.rnn_spectrum(net, steps=300, trajectories=4, warmup=100, seed=0)
        small, large = got[64], got[128]
        assert abs(large.mean_exponent - small.mean_exponent) < 0.05 * abs(small.mean_exponent)
        assert abs(large.variance - small.variance) < 0.05 * small.variance
        assert L.regime(large.largest) == L.regime(small.largest), gain


def test_mean_exponent_at_most_log_g_and_falls_with_input():
    """Exercise "The sum rule for a tanh RNN": mean exponent <= log g, and it decreases as
    the input grows (g from 0.8 to 3.5, sigma_x from 0.3 to 2; 32 units)."""
    for gain in (0.8, 1.8, 3.5):
        means = []
        for sigma in (0.3, 0.8, 2.0):
            net = M.random_tanh_rnn(32, gain=gain, input_std=sigma, seed=2)
            ens = L.rnn_spectrum(net, steps=300, trajectories=4, warmup=100, seed=0)
            assert ens.mean_exponent <= math.log(gain)
            means.append(ens.mean_exponent)
        assert np.all(np.diff(means) < 0), (gain, means)


def test_regime_runs_are_the_figure_s_numbers():
    runs = L.regime_runs(gains=(0.8, 3.5), n=8, initial_conditions=3, steps=5, seed=4)
    assert [r["gain"] for r in runs] == [0.8, 3.5]
    for r in runs:
        assert r["regime"] == L.regime(r["ensemble"].largest)
        for traj, spread in zip(r["trajectories"], r["spreads"]):
            assert traj.shape == (5, 3, 8)
            np.testing.assert_allclose(spread, traj.std(axis=1).mean(axis=-1))
