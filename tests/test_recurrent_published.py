"""Tests for lyaplearn.recurrent._published: :func:`published_code_spectrum` is the loop of the
paper's public code (``calc_LEs_an``), transcribed here from its description with Jacobians from
``torch.autograd``, and checks its arguments."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lyaplearn import recurrent as R
from _helpers.paper_lstm import lstm_hidden_jacobian, lstm_hidden_step

pytestmark = pytest.mark.fp_sensitive

torch.set_num_threads(1)


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
