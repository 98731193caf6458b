"""Tests for lyaplearn.recurrent._spectrum: the spectrum is that of the module's deterministic map
(dropout in training mode is ignored), and :func:`lyapunov_spectrum` agrees with the plain float64
QR loop of tests/_helpers/recurrent_reference.py, with closed forms (a near-linear tanh RNN, dead
ReLU units) and with itself across its options (partial spectra, QR interval, warm-ups, dtype)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from lyaplearn import recurrent as R
from _helpers.engine_inputs import X
from _helpers.recurrent_reference import make, random_frame as _frame, reference_spectrum

pytestmark = pytest.mark.fp_sensitive

torch.set_num_threads(1)


def test_dropout_is_ignored_the_spectrum_is_of_the_deterministic_map():
    torch.manual_seed(0)
    m = nn.LSTM(3, 4, num_layers=2, dropout=0.5, dtype=torch.float64)
    plain = nn.LSTM(3, 4, num_layers=2, dtype=torch.float64)
    plain.load_state_dict(m.state_dict())
    m.train()
    a = R.lyapunov_spectrum(m, X(T=30), warmup=5)
    b = R.lyapunov_spectrum(plain.eval(), X(T=30), warmup=5)
    assert torch.equal(a.exponents, b.exponents)


@pytest.mark.parametrize("arch,L,bias,bf", [("rnn_tanh", 2, True, False),
                                            ("rnn_relu", 1, True, True),
                                            ("gru", 2, False, True),
                                            ("lstm", 2, True, False),
                                            ("lstm", 1, False, True)])
def test_spectrum_matches_reference(arch, L, bias, bf):
    m = make(arch, L=L, bias=bias, batch_first=bf, seed=7, scale=1.0)
    lstm = arch == "lstm"
    D = (2 if lstm else 1) * L * 4
    T, B = 25, 2
    g = torch.Generator().manual_seed(4)
    X = torch.randn(T, B, 3, generator=g, dtype=torch.float64)
    Q0 = _frame(D, D)
    lam_ref, logdet = reference_spectrum(m, X, Q0)
    inp = X.transpose(0, 1) if bf else X
    res = R.lyapunov_spectrum(m, inp, frame0=Q0, sort=False)
    assert res.exponents.shape == (B, D)
    np.testing.assert_allclose(res.numpy(), lam_ref, rtol=1e-9, atol=1e-9)
    # sum identity: sum of the full spectrum = time-averaged log|det J|
    np.testing.assert_allclose(res.numpy().sum(1), logdet, rtol=1e-9, atol=1e-9)
    # sorted by default, and both conventions of sorting agree as sets
    srt = R.lyapunov_spectrum(m, inp, frame0=Q0).numpy()
    assert np.all(srt[:, :-1] >= srt[:, 1:])
    np.testing.assert_allclose(srt, -np.sort(-lam_ref, axis=1), rtol=1e-9, atol=1e-9)


def test_float32_module_float64_request_and_unchanged():
    m = make("lstm", L=2, dtype=torch.float32, scale=0.5)
    before = {n: p.detach().clone() for n, p in m.named_parameters()}
    req = {n: p.requires_grad for n, p in m.named_parameters()}
    X = torch.randn(20, 2, 3)
    res = R.lyapunov_spectrum(m, X, dtype=torch.float64)
    assert res.exponents.dtype == torch.float64
    res32 = R.lyapunov_spectrum(m, X)
    assert res32.exponents.dtype == torch.float32
    np.testing.assert_allclose(res32.numpy(), res.numpy(), atol=2e-3)  # float32 rounding
    for n, p in m.named_parameters():
        assert p.dtype == torch.float32
        assert p.requires_grad == req[n]
        assert torch.equal(p.detach(), before[n])
        assert p.grad is None
    # the module still runs in float32 (its flat weights were not re-cast)
    out, _ = m(X)
    assert out.dtype == torch.float32


def test_near_linear_limit_tanh():
    """Tiny inputs and states: J ~ W_hh, exponents -> log|eigenvalues of W_hh|."""
    H = 6
    m = make("rnn_tanh", I=2, H=H, seed=2)
    g = torch.Generator().manual_seed(9)
    W = torch.randn(H, H, generator=g, dtype=torch.float64)
    W *= 0.9 / np.abs(np.linalg.eigvals(W.numpy())).max()
    with torch.no_grad():
        m.weight_hh_l0.copy_(W)
        m.weight_ih_l0.mul_(1e-4)
        m.bias_ih_l0.zero_()
        m.bias_hh_l0.zero_()
    X = torch.randn(1500, 1, 2, generator=g, dtype=torch.float64)
    res = R.lyapunov_spectrum(m, X, frame_warmup=100)
    expected = np.sort(np.log(np.abs(np.linalg.eigvals(W.numpy()))))[::-1]
    np.testing.assert_allclose(res.numpy()[0], expected, atol=0.01)


def test_partial_is_top_of_full():
    m = make("lstm", H=5, seed=3, scale=0.6)
    X = torch.randn(60, 3, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    Q0 = _frame(10, 10)
    full = R.lyapunov_spectrum(m, X, frame0=Q0, sort=False).numpy()
    part = R.lyapunov_spectrum(m, X, frame0=Q0[:, :3], k=3, sort=False).numpy()
    np.testing.assert_allclose(part, full[:, :3], rtol=1e-10, atol=1e-12)


def test_reortho_every_keeps_leading_exponents():
    m = make("gru", H=6, seed=4, scale=0.8)
    X = torch.randn(203, 2, 3, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    Q0 = _frame(6, 6)
    lam_ref, _ = reference_spectrum(m, X, Q0)  # QR every step
    lam_ref = -np.sort(-lam_ref, axis=1)
    res = R.lyapunov_spectrum(m, X, frame0=Q0, reortho_every=10, history=True)
    # 203 = 20 * 10 + 3: the last partial interval counts
    assert res.steps == 203 and len(res.history_steps) == 21
    assert int(res.history_steps[-1]) == 203
    np.testing.assert_allclose(res.numpy()[:, :3], lam_ref[:, :3], atol=1e-6)


def test_warmups_shift_the_window():
    m = make("rnn_tanh", H=4, seed=1, scale=0.9)
    X = torch.randn(40, 2, 3, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    res = R.lyapunov_spectrum(m, X, warmup=10, frame_warmup=5)
    assert res.steps == 25
    # warm-up of the state = starting from the state reached after 10 steps
    with torch.no_grad():
        _, h10 = m(X[:10])
    Q0 = _frame(4, 4)
    a = R.lyapunov_spectrum(m, X, warmup=10, frame0=Q0).numpy()
    b = R.lyapunov_spectrum(m, X[10:], h0=h10, frame0=Q0).numpy()
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_dead_relu_gives_minus_inf_not_nan():
    m = make("rnn_relu", H=4, seed=0)
    with torch.no_grad():
        m.weight_hh_l0.copy_(torch.eye(4, dtype=torch.float64))
        m.weight_ih_l0.zero_()
        m.bias_hh_l0.zero_()
        m.bias_ih_l0.copy_(torch.tensor([1.0, 1.0, -1.0, -1.0], dtype=torch.float64))
    X = torch.zeros(10, 1, 3, dtype=torch.float64)
    lam = R.lyapunov_spectrum(m, X, frame0=torch.eye(4, dtype=torch.float64)).numpy()[0]
    assert not np.isnan(lam).any()
    np.testing.assert_allclose(lam[:2], 0.0, atol=1e-12)   # identity on the live units
    assert np.all(np.isneginf(lam[2:]))


def test_progress_bar_runs(capsys):
    m = make("gru", H=3)
    X = torch.randn(6, 1, 3, dtype=torch.float64)
    res = R.lyapunov_spectrum(m, X, progress=True)
    assert res.steps == 6
    assert "Lyapunov spectrum" in capsys.readouterr().err
