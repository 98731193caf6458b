"""Tests for lyaplearn.lyapunov against independent references.

References used below (all cited in references.bib or given in full):

* Logistic map at r = 4: the exponent is exactly ln 2 (it is conjugate to the
  tent map with slope 2; e.g. Sprott, *Chaos and Time-Series Analysis*, 2003,
  Appendix A, ``sprott2003chaos``, which lists 0.6931 for r = 4).
* Hénon map a = 1.4, b = 0.3 (``henon1976two``): published exponents
  0.41922 and -1.62319 nats/iteration and Kaplan–Yorke dimension 1.2583
  (Sprott 2003, Appendix A). Because det J = -b everywhere,
  λ1 + λ2 = ln b = -1.20397... exactly.
* Linear maps x -> A x: the exponents are log|eigenvalues of A|, with a
  complex-conjugate pair giving two equal exponents (Oseledets 1968,
  ``oseledets1968multiplicative``; Eckmann & Ruelle 1985, ``eckmann1985ergodic``).
* Sum of the full spectrum = time-average of log|det J_t|: an exact identity,
  since the product of the |R_ii| is |det(J_T ... J_1 Q_0)| and |det Q_0| = 1.
* Re-orthonormalising every T_ON steps gives the same totals as every step in
  exact arithmetic (the R factor of a product is the product of R factors).
* Kaplan–Yorke dimension (Kaplan & Yorke 1979, ``kaplan1979chaotic``): closed
  forms; the Lorenz-63 spectrum (0.9056, 0, -14.5723) gives 2.06215 (Sprott 2003).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from matplotlib.figure import Figure

from lyaplearn import lyapunov as L
from lyaplearn import maps as M

pytestmark = pytest.mark.fp_sensitive

LN2 = math.log(2.0)


# ---------------------------------------------------------------------------
# spectrum helpers
# ---------------------------------------------------------------------------

def test_kaplan_yorke_closed_forms():
    assert L.kaplan_yorke_dimension([0.5, 0.0, -1.0]) == pytest.approx(2.5)
    assert L.kaplan_yorke_dimension([-0.1, -1.0]) == 0.0
    assert L.kaplan_yorke_dimension([1.0, 0.5]) == 2.0          # sum >= 0 -> N
    assert L.kaplan_yorke_dimension([0.3]) == 1.0
    assert L.kaplan_yorke_dimension([-0.3]) == 0.0
    assert L.kaplan_yorke_dimension([0.0, -1.0]) == 1.0         # S_1 = 0 counts as >= 0
    # Hénon (Sprott 2003): 1 + 0.41922 / 1.62319 = 1.2583
    assert L.kaplan_yorke_dimension([0.41922, -1.62319]) == pytest.approx(1.2583, abs=1e-4)
    # Lorenz-63 (Sprott 2003): 2 + 0.9056 / 14.5723 = 2.0621
    assert L.kaplan_yorke_dimension([0.9056, 0.0, -14.5723]) == pytest.approx(2.0621, abs=1e-4)
    # -inf (singular Jacobian): the fraction is 0
    assert L.kaplan_yorke_dimension([0.7, -np.inf]) == 1.0
    # order of the input does not matter
    assert L.kaplan_yorke_dimension([-1.0, 0.5, 0.0]) == pytest.approx(2.5)


def test_kaplan_yorke_is_vectorised_over_leading_axes():
    batch = np.array([[0.5, 0.0, -1.0], [-1.0, -2.0, -3.0], [1.0, 1.0, 1.0], [0.2, -0.4, -np.inf]])
    out = L.kaplan_yorke_dimension(batch)
    assert out.shape == (4,)
    assert np.allclose(out, [2.5, 0.0, 3.0, 1.5])
    assert L.kaplan_yorke_dimension(batch.reshape(2, 2, 3)).shape == (2, 2)


def test_entropy_features_bits():
    assert L.entropy([0.4, 0.1, -1.0]) == pytest.approx(0.5)
    assert L.entropy([-0.4, -1.0]) == 0.0
    assert np.allclose(L.entropy([[0.4, -1.0], [0.2, 0.3]]), [0.4, 0.5])
    lam = np.array([[0.3, -0.1, -2.0], [0.0, -1.0, -np.inf]])
    f = L.spectrum_features(lam[0])
    assert f["max"] == pytest.approx(0.3)
    assert f["mean"] == pytest.approx(np.mean(lam[0]))
    assert f["variance"] == pytest.approx(np.var(lam[0]))
    fb = L.spectrum_features(lam)
    assert fb["max"].shape == (2,) and fb["mean"][1] == -np.inf
    assert L.to_bits(LN2) == pytest.approx(1.0)
    assert np.allclose(L.to_bits([LN2, 3 * LN2]), [1.0, 3.0])


def test_helper_bad_inputs():
    for fn in (L.kaplan_yorke_dimension, L.entropy, L.spectrum_features):
        with pytest.raises(ValueError, match=r"exponents must have at least one exponent.*shape \(\)"):
            fn(1.0)
        with pytest.raises(ValueError, match=r"shape \(2, 0\)"):
            fn(np.zeros((2, 0)))
        with pytest.raises(ValueError, match="NaN"):
            fn([0.1, np.nan])
        with pytest.raises(ValueError, match=r"\+inf"):
            fn([np.inf, 0.0])


# ---------------------------------------------------------------------------
# the QR algorithm: closed forms and published values
# ---------------------------------------------------------------------------

def test_logistic_r4_gives_ln2():
    """Closed form: λ = ln 2 at r = 4 (Sprott 2003). Ensemble of 20 orbits."""
    m = M.LogisticMap(4.0)
    x0 = np.random.default_rng(1).uniform(0.05, 0.95, size=(20, 1))
    lam = L.map_spectrum(m.step, m.jacobian, x0, 20000, warmup=100, seed=0)
    assert lam.shape == (20, 1)
    assert abs(lam.mean() - LN2) < 1e-4
    bits = L.map_spectrum(m.step, m.jacobian, x0, 20000, warmup=100, seed=0, units="bits")
    assert abs(bits.mean() - 1.0) < 2e-4


def test_logistic_periodic_window_is_negative():
    """r = 3.2: stable 2-cycle, λ = ln|f'(x1) f'(x2)| / 2 with x1,2 the cycle points."""
    r = 3.2
    disc = math.sqrt((r + 1) * (r - 3))
    x1, x2 = (r + 1 + disc) / (2 * r), (r + 1 - disc) / (2 * r)
    exact = 0.5 * math.log(abs(r * (1 - 2 * x1) * r * (1 - 2 * x2)))
    lam = L.logistic_exponents([r], steps=2000, warmup=2000)
    assert lam[0] == pytest.approx(exact, abs=1e-6)


def test_henon_published_values_and_exact_sum():
    """Sprott (2003): λ1 = 0.41922, λ2 = -1.62319; λ1 + λ2 = ln 0.3 exactly."""
    m = M.HenonMap(1.4, 0.3)
    x0 = np.random.default_rng(0).uniform(-0.1, 0.1, size=(50, 2))
    lam = L.map_spectrum(m.step, m.jacobian, x0, 20000, warmup=1000, frame_warmup=100, seed=0)
    ens = L.SpectrumEnsemble(lam)
    assert abs(ens.largest - 0.41922) < 0.002
    assert abs(ens.mean[1] - (-1.62319)) < 0.002
    assert np.allclose(lam.sum(axis=1), math.log(0.3), atol=1e-12)
    assert abs(ens.kaplan_yorke - 1.2583) < 0.002
    assert ens.stderr[0] < 0.001


def test_linear_triangular_non_normal_exact():
    """Upper-triangular non-normal A: exponents log|diag|, to rounding after frame warm-up."""
    A = np.array([[0.5, 1.0, 3.0], [0.0, 2.0, -1.0], [0.0, 0.0, -0.8]])
    m = M.LinearMap(A)
    expected = np.log([2.0, 0.8, 0.5])
    lam = L.map_spectrum(m.step, m.jacobian, np.zeros(3), 500, frame_warmup=200, seed=0)
    assert np.allclose(lam, expected, atol=1e-10)
    # same through spectrum_from_jacobians, slower O(1/T) convergence without warm-up
    lam2 = L.spectrum_from_jacobians(np.broadcast_to(A, (4000, 3, 3)), seed=1)
    assert np.allclose(lam2, expected, atol=2e-3)


def test_linear_complex_pair_gives_equal_exponents():
    """A = S blockdiag(1.3 R(0.7), 0.4) S^-1: eigenvalues 1.3 e^{±0.7i}, 0.4."""
    th = 0.7
    B = np.zeros((3, 3))
    B[:2, :2] = 1.3 * np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
    B[2, 2] = 0.4
    S = np.array([[1.0, 2.0, 0.5], [0.0, 1.0, 1.0], [0.3, 0.0, 1.0]])
    A = S @ B @ np.linalg.inv(S)
    m = M.LinearMap(A)
    lam = L.map_spectrum(m.step, m.jacobian, np.zeros(3), 4000, frame_warmup=100, seed=0)
    assert np.allclose(lam, [math.log(1.3), math.log(1.3), math.log(0.4)], atol=1e-3)


def test_random_start_frame_escapes_invariant_subspace():
    """Triangular A: e1 is an eigenvector (eigenvalue 0.5). A frame started at the
    identity never leaves span(e1) and reports log 0.5 as 'the largest' exponent;
    the random frame finds log 2 for every seed."""
    A = np.array([[0.5, 1.0], [0.0, 2.0]])
    J = np.broadcast_to(A, (300, 2, 2))
    trapped = L.spectrum_from_jacobians(J, k=1, q0=np.eye(2)[:, :1])
    assert trapped[0] == pytest.approx(math.log(0.5), abs=1e-12)
    for seed in range(5):
        lam = L.spectrum_from_jacobians(J, k=1, seed=seed)
        assert lam[0] == pytest.approx(math.log(2.0), abs=0.02)


def test_partial_spectrum_k_less_than_n():
    A = np.diag([1.5, -1.2, 0.9, 0.3])
    J = np.broadcast_to(A, (3000, 4, 4))
    lam = L.spectrum_from_jacobians(J, k=2, seed=0)
    assert lam.shape == (2,)
    assert np.allclose(lam, np.log([1.5, 1.2]), atol=2e-3)


def _rnn_jacobians(n=6, T=103, gain=1.2, batch=None, seed=0):
    net = M.random_tanh_rnn(n, gain=gain, input_std=0.5, seed=seed)
    h0 = np.random.default_rng(seed + 1).standard_normal((n,) if batch is None else (batch, n))
    x = net.inputs(T, batch, seed=seed + 2)
    Js, h = [], h0
    for t in range(T):
        Js.append(net.jacobian(h, x[t]))
        h = net.step(h, x[t])
    J = np.stack(Js, axis=-3)      # (T, n, n) or (B, T, n, n)
    return net, h0, x, J


def test_sum_of_spectrum_equals_mean_log_det():
    """Exact identity: Σ λ_i = (1/T) Σ_t log|det J_t| (numpy slogdet as reference)."""
    _, _, _, J = _rnn_jacobians(T=101)
    logdet = np.linalg.slogdet(J)[1].mean()
    for ton in (1, 4, 7):
        lam = L.spectrum_from_jacobians(J, reortho_every=ton, seed=3)
        assert lam.sum() == pytest.approx(logdet, abs=1e-10)


def test_map_spectrum_rnn_sum_uses_the_right_jacobians():
    """map_spectrum on the driven RNN: Σλ = mean log|det(diag(1 - h_t^2) g W)| with h_t
    computed here by an explicit tanh loop (checks state/input/Jacobian alignment)."""
    net = M.random_tanh_rnn(5, gain=1.5, input_std=0.8, seed=4)
    h0 = np.random.default_rng(5).standard_normal(5)
    x = net.inputs(30 + 80, seed=6)
    lam = L.map_spectrum(net.step, net.jacobian, h0, 80, inputs=x, warmup=30, seed=0)
    h, logdets = h0, []
    for t in range(110):
        h = np.tanh(1.5 * net.W @ h + x[t])
        if t >= 30:
            logdets.append(np.sum(np.log(1 - h ** 2)) + np.linalg.slogdet(1.5 * net.W)[1])
    assert lam.sum() == pytest.approx(np.mean(logdets), abs=1e-10)


def test_reortho_every_matches_every_step_including_partial_interval():
    _, _, _, J = _rnn_jacobians(T=103, gain=1.0)
    ref = L.spectrum_from_jacobians(J, seed=7)
    for ton in (2, 5, 10, 25):                # 103 % 5 != 0: last partial interval
        lam = L.spectrum_from_jacobians(J, reortho_every=ton, seed=7)
        assert np.allclose(lam, ref, atol=1e-10), ton
    # ...but one QR for the whole product (spread of the spectrum ~0.45 per step,
    # e^{0.45 * 103} > 1/eps) loses the tail to rounding: the paper's Fig. 6 effect
    flat = L.spectrum_from_jacobians(J, reortho_every=103, seed=7)
    assert np.allclose(flat[:3], ref[:3], atol=1e-8)
    assert flat[-1] > ref[-1] + 0.05
    # a partial spectrum as well
    assert np.allclose(L.spectrum_from_jacobians(J, k=3, reortho_every=5, seed=7),
                       L.spectrum_from_jacobians(J, k=3, seed=7), atol=1e-10)


def test_batched_equals_per_trajectory():
    _, _, _, J = _rnn_jacobians(T=60, batch=3)
    assert J.shape == (3, 60, 6, 6)
    lam = L.spectrum_from_jacobians(J, seed=11, reortho_every=3)
    assert lam.shape == (3, 6)
    for b in range(3):
        assert np.allclose(lam[b], L.spectrum_from_jacobians(J[b], seed=11, reortho_every=3),
                           atol=1e-12)
    # and the same for map_spectrum with a batch of initial states
    net = M.random_tanh_rnn(4, gain=2.0, input_std=0.5, seed=1)
    h0 = np.random.default_rng(2).standard_normal((3, 4))
    x = net.inputs(50, 3, seed=3)
    lb = L.map_spectrum(net.step, net.jacobian, h0, 40, inputs=x, warmup=10, seed=4)
    for b in range(3):
        lone = L.map_spectrum(net.step, net.jacobian, h0[b], 40, inputs=x[:, b], warmup=10, seed=4)
        assert np.allclose(lb[b], lone, atol=1e-12)


def test_warmup_and_frame_warmup_skip_exactly_those_steps():
    """1-D driven map x -> u_t x: the exponent is the mean of log|u_t| over the
    accumulated steps only."""
    u = np.random.default_rng(0).uniform(0.2, 3.0, size=(5 + 7 + 40, 1))
    lam = L.map_spectrum(lambda x, ut: ut * x, lambda x, ut: ut[..., None] * np.ones_like(x)[..., None],
                         np.ones(1), 40, inputs=u, warmup=5, frame_warmup=7, seed=0)
    assert lam[0] == pytest.approx(np.log(u[12:, 0]).mean(), abs=1e-12)


def test_history_for_diagonal_map_and_held_between_qr_steps():
    """With q0 = I and diagonal A the running estimate is exactly log|a_i| at every step."""
    A = np.diag([2.0, 0.5, -0.25])
    J = np.broadcast_to(A, (10, 3, 3))
    lam, hist = L.spectrum_from_jacobians(J, q0=np.eye(3), history=True)
    assert hist.shape == (10, 3)
    assert np.allclose(hist, np.log([2.0, 0.5, 0.25]), atol=1e-12)
    lam, hist = L.spectrum_from_jacobians(J, q0=np.eye(3), history=True, reortho_every=4)
    assert np.isnan(hist[:3]).all()                            # no QR step yet
    assert np.allclose(hist[3:], np.log([2.0, 0.5, 0.25]))     # incl. the closed last interval
    _, hb = L.spectrum_from_jacobians(np.broadcast_to(A, (2, 400, 3, 3)), history=True,
                                      units="bits", seed=0)
    assert hb.shape == (2, 400, 3)
    assert np.allclose(hb[:, -1].max(axis=-1), 1.0, atol=0.02)     # log2(2) = 1 bit


def test_product_svd_matches_closed_form_then_overflows():
    A = np.diag([3.0, 1.0, 0.1])
    J = np.broadcast_to(A, (800, 3, 3))
    naive = L.product_svd_exponents(J, [1, 10, 200, 800])
    assert np.allclose(naive[:2], np.log([3.0, 1.0, 0.1]), atol=1e-12)
    assert np.isnan(naive[-1]).all()           # 3^800 overflows float64


# ---------------------------------------------------------------------------
# ensembles, regimes, gradients
# ---------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------
# bad inputs of the algorithms
# ---------------------------------------------------------------------------

def test_qr_bad_inputs():
    J = np.broadcast_to(np.eye(3), (5, 3, 3))
    with pytest.raises(ValueError, match=r"jacobians must have shape \(T, N, N\) or \(B, T, N, N\).*\(5, 3\)"):
        L.spectrum_from_jacobians(np.zeros((5, 3)))
    with pytest.raises(ValueError, match=r"got shape \(5, 3, 2\)"):
        L.spectrum_from_jacobians(np.zeros((5, 3, 2)))
    with pytest.raises(ValueError, match=r"got shape \(0, 3, 3\)"):
        L.spectrum_from_jacobians(np.zeros((0, 3, 3)))
    with pytest.raises(ValueError, match="finite"):
        L.spectrum_from_jacobians(np.full((2, 2, 2), np.nan))
    with pytest.raises(ValueError, match="k must be at most N = 3, got 4"):
        L.spectrum_from_jacobians(J, k=4)
    with pytest.raises(ValueError, match="k must be a positive integer"):
        L.spectrum_from_jacobians(J, k=0)
    with pytest.raises(ValueError, match="reortho_every must be a positive integer"):
        L.spectrum_from_jacobians(J, reortho_every=0)
    with pytest.raises(ValueError, match="units must be 'nats' or 'bits'"):
        L.spectrum_from_jacobians(J, units="log10")
    with pytest.raises(ValueError, match=r"q0 must have shape \(3, 3\), got shape \(2, 2\)"):
        L.spectrum_from_jacobians(J, q0=np.eye(2))
    with pytest.raises(ValueError, match="q0 must have orthonormal columns"):
        L.spectrum_from_jacobians(J, q0=2 * np.eye(3))
    with pytest.raises(ValueError, match="q0 or seed/rng"):
        L.spectrum_from_jacobians(J, q0=np.eye(3), seed=0)
    with pytest.raises(ValueError, match="either seed or rng"):
        L.spectrum_from_jacobians(J, seed=0, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="rng must be a numpy.random.Generator"):
        L.spectrum_from_jacobians(J, rng=42)
    with pytest.raises(ValueError, match="k must be at most n = 2, got 3"):
        L.random_frame(2, 3)
    with pytest.raises(ValueError, match=r"jacobian must have shape \(2, 2\) or \(B, 2, 2\).*got shape \(3, 3\)"):
        L.QRAccumulator(np.eye(2)).push(np.eye(3))
    with pytest.raises(ValueError, match=r"jacobian must contain only finite numbers.*step 1 has jacobian\[0, 0\] = inf"):
        L.QRAccumulator(np.eye(2)).push(np.full((2, 2), np.inf))
    with pytest.raises(ValueError, match="no Jacobian was pushed"):
        L.QRAccumulator(np.eye(2)).finish()


def test_map_spectrum_bad_inputs():
    m = M.HenonMap()
    with pytest.raises(ValueError, match="step and jacobian must be callable"):
        L.map_spectrum(None, m.jacobian, np.zeros(2), 10)
    with pytest.raises(ValueError, match="steps must be a positive integer, got 0"):
        L.map_spectrum(m.step, m.jacobian, np.zeros(2), 0)
    with pytest.raises(ValueError, match="warmup must be an integer >= 0, got -1"):
        L.map_spectrum(m.step, m.jacobian, np.zeros(2), 5, warmup=-1)
    with pytest.raises(ValueError, match="frame_warmup must be an integer >= 0"):
        L.map_spectrum(m.step, m.jacobian, np.zeros(2), 5, frame_warmup=1.5)
    with pytest.raises(ValueError, match=r"x0 must have shape \(n,\) or \(B, n\), got shape \(\)"):
        L.map_spectrum(m.step, m.jacobian, 0.0, 5)
    with pytest.raises(ValueError, match="k must be at most n = 2"):
        L.map_spectrum(m.step, m.jacobian, np.zeros(2), 5, k=3)
    with pytest.raises(ValueError, match=r"inputs must have .* = 8 entries .*got shape \(5, 2\)"):
        L.map_spectrum(m.step, m.jacobian, np.zeros(2), 5, inputs=np.zeros((5, 2)), warmup=3)
    with pytest.raises(ValueError, match="step must return finite states, but the state became non-finite at step"):
        L.map_spectrum(m.step, m.jacobian, np.array([5.0, 5.0]), 50)
    with pytest.raises(ValueError, match="step must return finite states, but the state became non-finite at step"):
        L.map_spectrum(m.step, m.jacobian, np.array([5.0, 5.0]), 5, warmup=50)


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


# ---------------------------------------------------------------------------
# figures: they draw, with labelled axes
# ---------------------------------------------------------------------------

def _labelled(fig):
    """Every panel with data has an x label and a y label, its own or that of a panel whose
    y axis it shares."""
    for ax in fig.axes:
        if ax.get_visible() and ax.has_data():
            shared = ax.get_shared_y_axes().get_siblings(ax)
            assert ax.get_xlabel() and any(a.get_ylabel() for a in shared), ax.get_title()


def test_figures_draw_with_labelled_axes():
    net = M.random_tanh_rnn(12, gain=2.5, input_std=0.7, seed=0)
    ens = L.rnn_spectrum(net, steps=30, trajectories=2, warmup=10, history=True, seed=0)
    J = np.stack([net.jacobian(np.zeros(12), x) for x in net.inputs(40, seed=1)])
    lags, norms = L.gradient_norms_vs_lag(net, steps=10, trajectories=2, warmup=5, seed=0)
    figs = [
        L.plot_convergence(ens, every=2, title="t"),
        L.plot_warmup_effect(net, warmups=(0, 10), steps=20, trajectories=2),
        L.plot_reortho_effect(net, intervals=(1, 8), steps=24, trajectories=2, warmup=5),
        L.plot_regimes((0.5, 3.0), n=8, initial_conditions=3, steps=10, spectrum_steps=20,
                       warmup=5),
        L.plot_logistic_exponent(3.5, 4.0, num=20, steps=50, warmup=50, points=10),
        L.plot_product_svd_vs_qr(J),
        L.plot_gradient_vs_lyapunov_prediction([("g = 2.5", lags, norms, ens.largest)]),
    ]
    for fig in figs:
        assert isinstance(fig, Figure)
        _labelled(fig)


def test_figure_bad_inputs():
    net = M.random_tanh_rnn(4, seed=0)
    with pytest.raises(ValueError, match="history=True"):
        L.plot_convergence(L.SpectrumEnsemble(np.zeros((2, 2))))
    with pytest.raises(ValueError, match="warmups must contain"):
        L.plot_warmup_effect(net, warmups=())
    with pytest.raises(ValueError, match="intervals must contain"):
        L.plot_reortho_effect(net, intervals=[])
    with pytest.raises(ValueError, match="intervals entries must be a positive integer"):
        L.plot_reortho_effect(net, intervals=[0])
    with pytest.raises(ValueError, match="gains must contain"):
        L.plot_regimes(())
    with pytest.raises(ValueError, match="need 0 < r_min < r_max <= 4"):
        L.plot_logistic_exponent(3.0, 2.0)
    with pytest.raises(ValueError, match="curves must contain"):
        L.plot_gradient_vs_lyapunov_prediction([])
    with pytest.raises(ValueError, match=r"jacobians must have shape \(T, N, N\)"):
        L.plot_product_svd_vs_qr(np.zeros((3, 3)))


# ---------------------------------------------------------------------------
# the chapter's generalising claims (named in tests/claims_registry.py)
# ---------------------------------------------------------------------------

def test_full_frame_from_identity_finds_every_exponent():
    """Chapter 5, "The starting frame": a full frame started at the identity finds the whole
    spectrum (sorted), even where its columns start in invariant subspaces. Products of
    random triangular matrices have the exponents E log|d_ii| (the diagonal of a product of
    triangular matrices is the product of the diagonals); upper and lower triangular."""
    rng = np.random.default_rng(41)
    T, n = 20000, 4
    scales = np.array([2.0, 0.3, 1.1, 0.6])
    for lower in (False, True):
        d = scales * rng.uniform(0.5, 1.5, size=(T, n)) * rng.choice([-1, 1], size=(T, n))
        J = np.triu(rng.standard_normal((T, n, n)), 1)
        J[:, np.arange(n), np.arange(n)] = d
        if lower:
            J = np.swapaxes(J, 1, 2)
        exact = np.sort(np.log(np.abs(d)).mean(axis=0))[::-1]
        lam = L.spectrum_from_jacobians(J, q0=np.eye(n))
        assert np.allclose(lam, exact, atol=0.01), (lower, lam, exact)


def test_reorthonormalisation_counts_one_qr_per_interval(monkeypatch):
    """Chapter 5: with T_ON = k the frame is factorised once per k steps (the last, partial
    interval included), not once per step."""
    calls = []
    real_qr = np.linalg.qr

    def counting_qr(a, *args, **kwargs):
        calls.append(np.shape(a))
        return real_qr(a, *args, **kwargs)

    monkeypatch.setattr(np.linalg, "qr", counting_qr)
    J = np.random.default_rng(42).standard_normal((103, 5, 5)) / 3
    for ton, expected in [(1, 103), (5, 21), (20, 6), (103, 1)]:
        calls.clear()
        L.spectrum_from_jacobians(J, q0=np.eye(5), reortho_every=ton)
        assert len(calls) == expected, (ton, len(calls))


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


def test_henon_sum_rule_holds_for_short_runs():
    """Chapter 5: lambda_1 + lambda_2 = ln 0.3 for *any* finite run, here 1 to 50 steps."""
    m = M.HenonMap(1.4, 0.3)
    x0 = np.random.default_rng(43).uniform(-0.1, 0.1, size=(7, 2))
    for steps in (1, 2, 3, 10, 50):
        lam = L.map_spectrum(m.step, m.jacobian, x0, steps, seed=steps)
        assert np.allclose(lam.sum(axis=1), math.log(0.3), atol=1e-12), steps


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
