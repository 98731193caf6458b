"""Tests for lyaplearn.lyapunov._qr: the QR (Benettin) algorithm (spectrum_from_jacobians,
map_spectrum, QRAccumulator, random_frame) against closed forms, published values and exact
identities, and its refusals of bad and non-finite input.

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

A non-finite argument is named with its first bad index, and a trajectory that becomes
non-finite with its time step; every expected index and step is worked out by hand in the test
(for the overflow: the step at which 10**(2**t) first exceeds the largest float), never taken
from the code under test.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from lyaplearn import lyapunov as L
from lyaplearn import maps as M
from _helpers.nonfinite import nan_at as _nan_at

pytestmark = pytest.mark.fp_sensitive


LN2 = math.log(2.0)


def test_logistic_r4_gives_ln2():
    """Closed form: λ = ln 2 at r = 4 (Sprott 2003). Ensemble of 20 orbits."""
    m = M.LogisticMap(4.0)
    x0 = np.random.default_rng(1).uniform(0.05, 0.95, size=(20, 1))
    lam = L.map_spectrum(m.step, m.jacobian, x0, 20000, warmup=100, seed=0)
    assert lam.shape == (20, 1)
    assert abs(lam.mean() - LN2) < 1e-4
    bits = L.map_spectrum(m.step, m.jacobian, x0, 20000, warmup=100, seed=0, units="bits")
    assert abs(bits.mean() - 1.0) < 2e-4


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


def test_henon_sum_rule_holds_for_short_runs():
    """Chapter 5: lambda_1 + lambda_2 = ln 0.3 for *any* finite run, here 1 to 50 steps."""
    m = M.HenonMap(1.4, 0.3)
    x0 = np.random.default_rng(43).uniform(-0.1, 0.1, size=(7, 2))
    for steps in (1, 2, 3, 10, 50):
        lam = L.map_spectrum(m.step, m.jacobian, x0, steps, seed=steps)
        assert np.allclose(lam.sum(axis=1), math.log(0.3), atol=1e-12), steps


def test_spectrum_from_jacobians_names_first_bad_index():
    J = np.tile(np.eye(3), (2, 5, 1, 1))
    J[1, 3, 2, 0] = np.nan
    J[1, 4, 0, 0] = np.inf          # later in C order: not the one reported
    with pytest.raises(ValueError, match=re.escape("jacobians[1, 3, 2, 0] = nan")):
        L.spectrum_from_jacobians(J, seed=0)


def test_map_spectrum_refuses_non_finite_x0_inputs_q0():
    m = M.HenonMap()
    with pytest.raises(ValueError, match=re.escape("x0[1, 0] = inf")):
        L.map_spectrum(m.step, m.jacobian, _nan_at((3, 2), (1, 0), np.inf), 5)
    rnn = M.random_tanh_rnn(3, gain=1.0, input_std=1.0, seed=0)
    x = np.zeros((7, 3))
    x[4, 2] = -np.inf
    with pytest.raises(ValueError, match=re.escape("inputs[4, 2] = -inf")):
        L.map_spectrum(rnn.step, rnn.jacobian, np.zeros(3), 5, inputs=x, warmup=2)
    q0 = np.eye(2)
    q0[0, 1] = np.nan
    with pytest.raises(ValueError, match=re.escape("q0[0, 1] = nan")):
        L.map_spectrum(m.step, m.jacobian, np.zeros(2), 5, q0=q0)


def test_map_spectrum_reports_the_step_where_the_state_overflows():
    # x -> x^2 from x0 = 10 gives 10**(2**t): finite for t = 8 (1e256), inf for t = 9 (1e512)
    step = lambda x: x * x                       # noqa: E731
    jac = lambda x: (2 * x)[..., None]           # noqa: E731
    x0 = np.array([[0.5], [10.0]])
    with pytest.raises(ValueError, match=re.escape("non-finite at step 9: state[1, 0] = inf")):
        L.map_spectrum(step, jac, x0, 20)
    with pytest.raises(ValueError, match=re.escape("non-finite at step 9: state[1, 0] = inf")):
        L.map_spectrum(step, jac, x0, 20, warmup=5, frame_warmup=2)


def test_map_spectrum_reports_a_non_finite_jacobian():
    step = lambda x: 0.5 * x                                                  # noqa: E731
    jac = lambda x: np.where(np.abs(x) < 0.1, np.nan, 0.5)[..., None]         # noqa: E731
    # x_t = 0.5**t: the Jacobian is evaluated at x_{t-1} and is NaN once x < 0.1, i.e. at
    # x_4 = 0.0625, used for step 5
    with pytest.raises(ValueError, match=re.escape("at step 5 jacobian[0, 0] = nan")):
        L.map_spectrum(step, jac, np.array([1.0]), 10)
