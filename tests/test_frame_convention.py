"""Tests of the two frame conventions, ``Q <- J Q`` (default) and ``Q <- J^T Q`` (the paper's code).

References are independent of the engine: closed forms from the eigenvalues of
the period products of a periodically driven RNN, and of a ReLU network that
loses a unit at its first step, computed here with numpy; a transcription of
Vogt et al.'s Algorithm 2 with the update of their public code, and one of the
loop of that code (``calc_LEs_an``), both with Jacobians from
``torch.autograd``; and the ``torch.func.vjp`` path of
:func:`lyapunov_spectrum_step`.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch
from torch import nn

from lyaplearn import recurrent as R

pytestmark = pytest.mark.fp_sensitive

torch.set_num_threads(1)

W3 = np.array([[0.0, 2.0, 0.0], [0.0, 0.0, 2.0], [0.5, 0.0, 0.0]])


def period3_rnn():
    """The tanh RNN of issue 18: no bias, W_hh = W3, W_ih = 3 I, input e1, e2, e3, e1, ..."""
    rnn = nn.RNN(3, 3, bias=False, dtype=torch.float64)
    with torch.no_grad():
        rnn.weight_hh_l0.copy_(torch.tensor(W3))
        rnn.weight_ih_l0.copy_(3 * torch.eye(3, dtype=torch.float64))
    X = torch.eye(3, dtype=torch.float64).repeat(160, 1).unsqueeze(1)     # 160 periods
    return rnn, X


def period3_closed_form():
    """Exponents of the periodic orbit from numpy: (forward, transposed), sorted descending."""
    h = np.zeros(3)
    for t in range(600):                       # onto the (attracting) period-3 orbit
        h = np.tanh(W3 @ h + 3 * np.eye(3)[t % 3])
    J = []
    for t in range(600, 603):                  # inputs e1, e2, e3: Jacobians J_a, J_b, J_c
        h = np.tanh(W3 @ h + 3 * np.eye(3)[t % 3])
        J.append(np.diag(1 - h ** 2) @ W3)
    Ja, Jb, Jc = J
    rate = lambda M: np.sort(np.log(np.abs(np.linalg.eigvals(M))) / 3)[::-1]  # noqa: E731
    return rate(Jc @ Jb @ Ja), rate(Ja @ Jb @ Jc)


def test_closed_forms_are_the_issue_values():
    # the values quoted in the issue and the chapter, to the digits given there
    fwd, tr = period3_closed_form()
    assert np.allclose(fwd, [-2.609, -2.861, -3.345], atol=1e-3)
    assert np.allclose(tr, [-0.932, -1.612, -6.271], atol=1e-3)


@pytest.mark.parametrize("frame", ["forward", "transpose"])
def test_period3_rnn_matches_eigenvalues_of_the_period_product(frame):
    rnn, X = period3_rnn()
    fwd, tr = period3_closed_form()
    # warm-ups and the recorded span are whole periods, so no partial product biases the mean
    res = R.lyapunov_spectrum(rnn, X, warmup=60, frame_warmup=60, frame=frame)
    assert res.frame == frame and res.steps == 360
    want = fwd if frame == "forward" else tr
    np.testing.assert_allclose(res.numpy()[0], want, atol=1e-9)


def test_period3_gap_does_not_shrink_with_time_and_only_the_sum_agrees():
    rnn, X = period3_rnn()
    fwd, tr = period3_closed_form()
    for periods in (60, 160):
        a = R.lyapunov_spectrum(rnn, X[:3 * periods], warmup=60, frame_warmup=60).numpy()[0]
        b = R.lyapunov_spectrum(rnn, X[:3 * periods], warmup=60, frame_warmup=60,
                                frame="transpose").numpy()[0]
        assert np.max(np.abs(a - b)) > 2.8                      # 2.93 nats per step, at any T
        assert abs(a.sum() - b.sum()) < 1e-9                    # the volume rate is shared
    assert abs(fwd.sum() - tr.sum()) < 1e-12


def test_the_generic_path_transposes_with_vjp():
    rnn, X = period3_rnn()
    X = X[:240]                                 # 80 periods: the torch.func path is slower
    step = R.make_step(rnn)
    fwd, tr = period3_closed_form()
    s0 = torch.zeros(1, 3, dtype=torch.float64)
    for frame, want in (("forward", fwd), ("transpose", tr)):
        res = R.lyapunov_spectrum_step(step, s0, X, warmup=60, frame_warmup=60, frame=frame)
        assert res.frame == frame
        np.testing.assert_allclose(res.numpy()[0], want, atol=1e-9)


@pytest.mark.parametrize("arch", ["lstm", "gru", "rnn_tanh"])
def test_transpose_agrees_between_the_analytic_and_the_vjp_paths(arch):
    # a 2-layer network driven by noise, full state: two independent transposed updates
    torch.manual_seed(3)
    kw = dict(input_size=3, hidden_size=4, num_layers=2, dtype=torch.float64)
    m = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn_tanh": nn.RNN}[arch](**kw)
    X = torch.randn(40, 2, 3, dtype=torch.float64)
    a = R.lyapunov_spectrum(m, X, warmup=5, frame="transpose", k=5, reortho_every=2)
    D = R.state_dim(m)
    b = R.lyapunov_spectrum_step(R.make_step(m), torch.zeros(2, D, dtype=torch.float64), X,
                                 warmup=5, frame="transpose", k=5, reortho_every=2)
    np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-10)


# --- an independent transcription of the paper's Algorithm 2 -------------------------------

def lstm_hidden_step(W_ih, W_hh, b, h, c, x):
    """One LSTM step (torch's gate order i, f, g, o) on unbatched tensors."""
    i, f, g, o = (W_ih @ x + W_hh @ h + b).split(h.shape[0])
    c_new = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    return torch.sigmoid(o) * torch.tanh(c_new), c_new


def lstm_hidden_jacobian(W_ih, W_hh, b, h, c, x):
    """dh'/dh with c held fixed, by reverse-mode autograd (the paper's hidden-state Jacobian)."""
    return torch.autograd.functional.jacobian(
        lambda hh: lstm_hidden_step(W_ih, W_hh, b, hh, c, x)[0], h)


def paper_algorithm2(lstm, x, warmup, T_on):
    """Vogt et al. (2022), Algorithm 2, with the update of the authors' public code.

    For one sequence ``x`` (warmup + T, I): h, c from zero, Q = I; warm-up h and
    Q (no QR inside it, one at its end); then T steps of h <- f(h, x_t),
    J <- dh_t/dh_{t-1} with the cell state held fixed, Q <- J^T Q, and a QR
    every T_on steps accumulating log2 |R_ii|; exponents gamma / T, in bits.
    """
    W_ih, W_hh = lstm.weight_ih_l0.detach(), lstm.weight_hh_l0.detach()
    b = (lstm.bias_ih_l0 + lstm.bias_hh_l0).detach()
    H = W_hh.shape[1]
    h = torch.zeros(H, dtype=torch.float64)
    c = torch.zeros(H, dtype=torch.float64)
    Q = torch.eye(H, dtype=torch.float64)
    gamma = torch.zeros(H, dtype=torch.float64)
    T = x.shape[0] - warmup
    for t in range(x.shape[0]):
        J = torch.autograd.functional.jacobian(
            lambda hh, c=c, xt=x[t]: lstm_hidden_step(W_ih, W_hh, b, hh, c, xt)[0], h)
        h, c = lstm_hidden_step(W_ih, W_hh, b, h, c, x[t])
        Q = J.T @ Q
        if t == warmup - 1:
            Q = torch.linalg.qr(Q)[0]
        elif t >= warmup and (t - warmup + 1) % T_on == 0:
            Q, Rm = torch.linalg.qr(Q)
            gamma += torch.log2(torch.diagonal(Rm).abs())
    return gamma / T


@pytest.mark.parametrize("T_on", [1, 4])
def test_paper_convention_is_algorithm_2_with_the_published_codes_conventions(T_on):
    # The published warm-up multiplies the frame without any QR, so a long one loses the
    # trailing directions to rounding: the exponents here spread over about 2 nats per step, so
    # after 20 steps the product's condition is near exp(40), beyond 1/eps, and the trailing
    # exponents differed by 1e-6 between floating-point configurations. A 4-step warm-up keeps
    # it near exp(8), where both computations agree to rounding.
    torch.manual_seed(0)
    lstm = R.make_rnn("lstm", 3, 6, 0.6, seed=2)
    W = 4
    X = torch.randn(W + 48, 2, 3, dtype=torch.float64)
    eye = torch.eye(6, dtype=torch.float64)                  # the algorithm's Q = I
    res = R.lyapunov_spectrum(lstm, X, frame_warmup=W, reortho_every=T_on, frame0=eye,
                              **R.PAPER_CONVENTION)
    assert (res.state, res.frame, res.units) == ("hidden", "transpose", "bits")
    for b in range(2):
        want = torch.sort(paper_algorithm2(lstm, X[:, b], W, T_on), descending=True).values
        np.testing.assert_allclose(res.numpy()[b], want.numpy(), atol=1e-9)
    # and the forward convention gives other numbers at this T
    fwd = R.lyapunov_spectrum(lstm, X, frame_warmup=W, reortho_every=T_on, state="hidden",
                              units="bits", frame0=eye)
    assert np.max(np.abs(fwd.numpy() - res.numpy())) > 1e-3


def test_iid_driving_leaves_a_gap_in_a_random_rnn():
    # The Jacobians of a driven RNN depend on its state, so i.i.d. inputs do not make them
    # i.i.d. and the two conventions need not converge to the same exponents. Over an
    # ensemble of 16 sequences the gap in lambda_1 (lambda_1 itself about -0.15, a
    # contracting network) is measured at 0.029 +- 0.002 nats/step
    # at T = 2000 (and 0.031 +- 0.0004 at T = 32000): assert 5x below the mean, a margin
    # far beyond the ensemble's spread, which is what another CPU can change.
    rnn = R.convention_gap_rnn(seed=1)
    g = torch.Generator().manual_seed(7)
    X = torch.randn(2100, 16, rnn.input_size, generator=g, dtype=torch.float64)
    a = R.lyapunov_spectrum(rnn, X, warmup=100, k=1).numpy()[:, 0]
    b = R.lyapunov_spectrum(rnn, X, warmup=100, k=1, frame="transpose").numpy()[:, 0]
    d = a - b
    se = d.std(ddof=1) / math.sqrt(d.size)
    assert d.mean() > 0.006 and d.mean() > 3 * se


def test_period_two_input_gives_the_same_exponents_in_both_conventions():
    # exercise ex-ch6-conventions: J_b J_a and J_a J_b share their eigenvalues (a rotation),
    # so only periods >= 3 can tell the conventions apart
    rnn, _ = period3_rnn()
    X2 = torch.eye(3, dtype=torch.float64)[:2].repeat(150, 1).unsqueeze(1)
    a = R.lyapunov_spectrum(rnn, X2, warmup=60, frame_warmup=60).numpy()
    b = R.lyapunov_spectrum(rnn, X2, warmup=60, frame_warmup=60, frame="transpose").numpy()
    np.testing.assert_allclose(a, b, atol=1e-9)
    closed = R.period_exponents(rnn, X2, period=2, warmup=60)
    np.testing.assert_allclose(closed["forward"], closed["transpose"], atol=1e-12)
    np.testing.assert_allclose(a[0], closed["forward"], atol=1e-9)


def test_period_exponents_matches_the_numpy_closed_form():
    rnn, X = period3_rnn()
    fwd, tr = period3_closed_form()
    closed = R.period_exponents(rnn, X, period=3, warmup=60)
    np.testing.assert_allclose(closed["forward"], fwd, atol=1e-12)
    np.testing.assert_allclose(closed["transpose"], tr, atol=1e-12)


# --- the published code's loop: calc_LEs_an, transcribed from its description ----------------

def calc_les_an(step, jac, x, h0, warmup, k, T_ons=1):
    """The loop of ``calc_LEs_an`` in ``lyapunov.py`` of the authors' repository, one sequence.

    Written from the description in :func:`published_code_spectrum`'s docstring: frame
    ``I[:, :k]``; warm-up on ``x[:W]`` with ``Q <- J^T Q`` and one QR at its end; then all
    of ``x`` from the state the warm-up reached, ``Q <- J^T Q`` with a QR at step 0 and
    whenever ``T_ons`` steps have passed since the last one; ``sum log2 |r_ii| / T``.
    ``step(s, x_t) -> s`` and ``jac(s, x_t) -> dh'/dh`` act on one state ``s``.
    """
    T = x.shape[0]
    s = h0
    D = jac(s, x[0]).shape[0]
    Q = torch.eye(D, dtype=torch.float64)[:, :k]
    for t in range(warmup):
        J = jac(s, x[t])
        s = step(s, x[t])
        Q = J.T @ Q
    Q = torch.linalg.qr(Q)[0]
    total = torch.zeros(k, dtype=torch.float64)
    t_qr = 0
    for t in range(T):
        J = jac(s, x[t])
        s = step(s, x[t])
        Q = J.T @ Q
        if t == 0 or t - t_qr >= T_ons:
            Q, Rm = torch.linalg.qr(Q)
            total += torch.log2(torch.diagonal(Rm).abs())
            t_qr = t
    return total / T


def lstm_step_and_jac(lstm):
    W_ih, W_hh = lstm.weight_ih_l0.detach(), lstm.weight_hh_l0.detach()
    b = (lstm.bias_ih_l0 + lstm.bias_hh_l0).detach()
    return (lambda s, x: lstm_hidden_step(W_ih, W_hh, b, s[0], s[1], x),
            lambda s, x: lstm_hidden_jacobian(W_ih, W_hh, b, s[0], s[1], x))


def gru_step_and_jac(gru):
    """torch's GRU equations, one sequence; the Jacobian by autograd."""
    W_ih, W_hh = gru.weight_ih_l0.detach(), gru.weight_hh_l0.detach()
    b_ih, b_hh = gru.bias_ih_l0.detach(), gru.bias_hh_l0.detach()

    def step(h, x):
        xr, xz, xn = (W_ih @ x + b_ih).split(h.shape[0])
        hr, hz, hn = (W_hh @ h + b_hh).split(h.shape[0])
        r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
        n = torch.tanh(xn + r * hn)
        return (1 - z) * n + z * h
    return step, lambda h, x: torch.autograd.functional.jacobian(lambda hh: step(hh, x), h)


@pytest.mark.parametrize("arch,warmup,k,batch_first,T_ons,T", [
    ("lstm", 5, None, False, 1, 30), ("lstm", 0, 3, True, 1, 30), ("lstm", 8, 4, False, 1, 30),
    ("gru", 6, None, True, 1, 30),
    ("lstm", 5, None, False, 3, 31),      # every interval ends in a QR
    ("lstm", 4, 3, True, 3, 33),          # the last two steps never reach the sum
    ("gru", 3, None, False, 4, 30)])
def test_published_code_spectrum_is_the_loop_of_calc_les_an(arch, warmup, k, batch_first,
                                                            T_ons, T):
    torch.manual_seed(0)
    m = R.make_rnn(arch, 3, 6, 0.6, seed=2)
    m.batch_first = batch_first
    X = torch.randn(T, 2, 3, dtype=torch.float64)             # time-major
    res = R.published_code_spectrum(m, X.transpose(0, 1) if batch_first else X,
                                    warmup=warmup, k=k, reortho_every=T_ons)
    assert (res.frame, res.units, res.steps) == ("transpose", "bits", T)
    step, jac = (lstm_step_and_jac if arch == "lstm" else gru_step_and_jac)(m)
    zero = torch.zeros(6, dtype=torch.float64)
    h0 = (zero, zero) if arch == "lstm" else zero
    for b in range(2):
        want = calc_les_an(step, jac, X[:, b], h0, warmup, k or 6, T_ons)
        np.testing.assert_allclose(res.numpy()[b], want.numpy(), rtol=0, atol=1e-12)
    if T_ons == 1:
        # the conventions alone, without the replay and the identity frame: other numbers
        alone = R.lyapunov_spectrum(m, X.transpose(0, 1) if batch_first else X, k=k,
                                    frame_warmup=warmup, sort=False, **R.PAPER_CONVENTION)
        assert np.abs(alone.numpy() - res.numpy()).max() > 1e-6


def test_published_code_spectrum_checks_its_arguments():
    m = R.make_rnn("lstm", 3, 4, 0.5, seed=0)
    X = torch.zeros(6, 2, 3, dtype=torch.float64)
    with pytest.raises(ValueError, match="warmup must be at most the number of time steps T=6"):
        R.published_code_spectrum(m, X, warmup=7)
    with pytest.raises(ValueError, match="warmup must be an integer >= 0"):
        R.published_code_spectrum(m, X, warmup=-1)
    with pytest.raises(ValueError, match=r"k must be an integer in \[1, D=4\]"):
        R.published_code_spectrum(m, X, warmup=2, k=8)       # the hidden state: D = H


# --- the default frame is safe in both conventions ------------------------------------------

W_RELU = np.array([[0.5, 0.3, 0.2], [0.2, 0.4, 0.1], [0.3, 0.1, 0.3]])


def relu_dead_at_the_first_step(T=400):
    """A 3-unit ReLU RNN whose unit 1 is dead at the first step and every unit alive after.

    No bias, ``W_ih = I``, ``W_hh = W_RELU`` (positive). The first input is -10 on unit 1
    and +1 on the others, every later input is +1 everywhere, so from step 2 on the state
    is positive and ``J_t = W_hh``, while ``J_1 = diag(0, 1, 1) W_hh``. The products
    ``J_T ... J_1`` and ``J_1 ... J_T`` both have rank 2 and the rates of their two
    nonzero singular values tend to ``log|eig(W_hh)|``'s largest two, in either order of
    the factors. But ``J_1^T e_1 = 0``: a frame that starts from the identity loses its
    first column in the first QR of the transposed update.
    """
    m = nn.RNN(3, 3, nonlinearity="relu", bias=False, dtype=torch.float64)
    with torch.no_grad():
        m.weight_hh_l0.copy_(torch.tensor(W_RELU))
        m.weight_ih_l0.copy_(torch.eye(3, dtype=torch.float64))
    X = torch.ones(T, 1, 3, dtype=torch.float64)
    X[0, 0, 0] = -10.0
    return m, X


def test_the_default_frame_keeps_lambda_1_when_a_unit_is_dead_at_the_first_step():
    m, X = relu_dead_at_the_first_step()
    want = np.sort(np.log(np.abs(np.linalg.eigvals(W_RELU))))[::-1][:2]   # -0.190, -1.408
    # O(1/T) from the first steps; log(rho1 / rho2) = 1.22 separates a lost lambda_1
    for frame in ("forward", "transpose"):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            res = R.lyapunov_spectrum(m, X, frame=frame)
        np.testing.assert_allclose(res.numpy()[0, :2], want, atol=0.01)
    # the identity frame, the old default: the transposed update loses e_1 and with it
    # lambda_1, and says so
    with pytest.warns(RuntimeWarning, match="the frame lost a direction out of order in "
                                       "sequences \\[0\\]"):
        bad = R.lyapunov_spectrum(m, X, frame="transpose", frame0=torch.eye(3, dtype=torch.float64))
    np.testing.assert_allclose(bad.numpy()[0, 0], want[1], atol=0.01)


def test_a_step_function_gets_the_same_safe_default():
    m, X = relu_dead_at_the_first_step(T=200)
    want = np.sort(np.log(np.abs(np.linalg.eigvals(W_RELU))))[::-1][:2]
    res = R.lyapunov_spectrum_step(R.make_step(m), torch.zeros(1, 3, dtype=torch.float64), X,
                                   frame="transpose")
    np.testing.assert_allclose(res.numpy()[0, :2], want, atol=0.02)
