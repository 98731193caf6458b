"""Tests of the torch Lyapunov engine against autograd and closed forms.

The reference for every Jacobian is ``torch.autograd.functional.jacobian`` of the
module's *own* forward pass (one step, whole state), and the reference
spectrum is a plain float64 QR loop (both in tests/_helpers/recurrent_reference.py).
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import torch
from torch import nn

from lyaplearn import recurrent as R
from lyaplearn.recurrent import _engine, _monitor, _states  # private files, for white-box tests
from _helpers.recurrent_reference import (autograd_jac, make, module_step, random_frame as _frame,
                                          ref_flatten, ref_unflatten, reference_spectrum)

pytestmark = pytest.mark.fp_sensitive

torch.set_num_threads(1)

ARCHS = ["rnn_tanh", "rnn_relu", "gru", "lstm"]


# --- jacobian against autograd -------------------------------------------------------------

@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("L", [1, 2, 3])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("batch_first", [False, True])
def test_jacobian_matches_autograd(arch, L, bias, batch_first):
    m = make(arch, L=L, bias=bias, batch_first=batch_first, seed=L + 3 * bias, scale=0.8)
    lstm = arch == "lstm"
    B, H = 2, m.hidden_size
    g = torch.Generator().manual_seed(1)
    x = torch.randn(B, 3, generator=g, dtype=torch.float64)
    D = (2 if lstm else 1) * L * H
    flat = 0.5 * torch.randn(B, D, generator=g, dtype=torch.float64)
    if arch == "rnn_relu":
        flat = flat.abs()
    st = ref_unflatten(flat, L, H, lstm)
    J = R.jacobian(m, x, st)
    assert J.shape == (B, D, D)
    J_ref = autograd_jac(m, x, flat, lstm)
    torch.testing.assert_close(J, J_ref, rtol=1e-10, atol=1e-12)
    # block lower-triangular by layer
    nb = D // L
    for i in range(L):
        for j in range(i + 1, L):
            assert torch.all(J[:, i * nb:(i + 1) * nb, j * nb:(j + 1) * nb] == 0)


@pytest.mark.parametrize("L", [1, 2])
def test_hidden_only_jacobian_matches_autograd(L):
    m = make("lstm", L=L, seed=5, scale=0.9)
    g = torch.Generator().manual_seed(2)
    x = torch.randn(3, 3, generator=g, dtype=torch.float64)
    flat = 0.5 * torch.randn(3, 2 * L * 4, generator=g, dtype=torch.float64)
    J = R.jacobian(m, x, ref_unflatten(flat, L, 4, True), state="hidden")
    torch.testing.assert_close(J, autograd_jac(m, x, flat, True, hidden_only=True),
                               rtol=1e-10, atol=1e-12)


def test_jacobian_float32_module():
    m = make("gru", dtype=torch.float32, scale=0.7)
    x = torch.randn(2, 3)
    J = R.jacobian(m, x, None)
    assert J.dtype == torch.float32
    m64 = copy.deepcopy(m).double()
    J64 = autograd_jac(m64, x.double(), torch.zeros(2, 4, dtype=torch.float64), False)
    torch.testing.assert_close(J.double(), J64, rtol=1e-5, atol=1e-6)


# --- spectra against the independent reference ---------------------------------------------

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


@pytest.mark.parametrize("arch,state", [("gru", "full"), ("lstm", "hidden"), ("lstm", "full")])
@pytest.mark.parametrize("L", [1, 2])
def test_formed_and_direct_agree_with_reference(arch, state, L):
    m = make(arch, L=L, seed=11, scale=0.9)
    D = (2 if state == "full" and arch == "lstm" else 1) * 4 * L
    X = torch.randn(15, 2, 3, generator=torch.Generator().manual_seed(5), dtype=torch.float64)
    Q0 = _frame(D, D)
    lam_ref, _ = reference_spectrum(m, X, Q0, hidden_only=state == "hidden")
    for method in ("direct", "formed"):
        res = R.lyapunov_spectrum(m, X, frame0=Q0, sort=False, state=state, method=method)
        np.testing.assert_allclose(res.numpy(), lam_ref, rtol=1e-9, atol=1e-9)


def _leaves(x):
    if x is None:
        return []
    if isinstance(x, (list, tuple)):
        return [y for e in x for y in _leaves(e)]
    return [x]


@pytest.mark.parametrize("arch,state", [("gru", "full"), ("lstm", "hidden"), ("lstm", "full")])
def test_formed_blocks_built_across_time_are_the_per_step_blocks(arch, state, monkeypatch):
    m = make(arch, L=2, seed=11, scale=0.9)
    eng = _engine._Engine(m, state, None)
    X = torch.randn(7, 2, 3, generator=torch.Generator().manual_seed(5), dtype=torch.float64)
    _, co = eng.run(X, _states._state_list(eng, None, 2, False))
    steps = eng.formed_span(co, 2, 7)
    assert len(steps) == 5
    for j, mats in enumerate(steps):
        got, want = _leaves(mats), _leaves(eng.formed(co, 2 + j))
        assert len(got) == len(want) == (7 if arch == "lstm" and state == "full" else 3)
        for a, b in zip(got, want):
            torch.testing.assert_close(a, b, rtol=1e-15, atol=1e-15)
    # the memory budget counts the elements of the blocks; three steps' worth splits a
    # chunk of 8 steps into builds of 3 + 3 + 2
    per_step = sum(x.numel() for x in _leaves(eng.formed(co, 0)))
    assert eng.formed_steps(2, per_step) == 1 and eng.formed_steps(2, 3 * per_step + 1) == 3
    assert _engine._formed_budget(torch.device("cpu")) == 0              # per step on the CPU
    assert _engine._formed_budget(torch.device("cuda")) >= 1 << 20
    monkeypatch.setitem(_engine._FORMED_BUDGET, "cpu", 3 * per_step)    # as on an accelerator
    Q0 = _frame(eng.D, eng.D)
    X = torch.randn(20, 2, 3, generator=torch.Generator().manual_seed(6), dtype=torch.float64)
    lam_ref, _ = reference_spectrum(m, X, Q0, hidden_only=state == "hidden")
    res = R.lyapunov_spectrum(m, X, frame0=Q0, sort=False, state=state, method="formed", chunk=8)
    np.testing.assert_allclose(res.numpy(), lam_ref, rtol=1e-9, atol=1e-9)


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


def test_result_statistics_and_units():
    m = make("lstm", H=3, seed=2, scale=0.5)
    X = torch.randn(30, 4, 3, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    res = R.lyapunov_spectrum(m, X)
    lam = res.numpy()
    np.testing.assert_allclose(res.mean, lam.mean(0))
    np.testing.assert_allclose(res.stderr, lam.std(0, ddof=1) / 2.0)
    np.testing.assert_allclose(res.features()["max"], lam.max(1))
    np.testing.assert_allclose(res.features()["variance"], lam.var(1))
    bits = R.lyapunov_spectrum(m, X, units="bits")
    np.testing.assert_allclose(bits.numpy(), lam / math.log(2), rtol=1e-12)
    np.testing.assert_allclose(res.to("bits").numpy(), bits.numpy(), rtol=1e-12)


def test_generic_step_path_matches_module():
    m = make("gru", L=2, seed=6, scale=0.8)
    X = torch.randn(30, 2, 3, generator=torch.Generator().manual_seed(6), dtype=torch.float64)
    Q0 = _frame(8, 8)
    lam_ref, _ = reference_spectrum(m, X, Q0)

    def step(s, x):  # the module's own forward as a step function
        return module_step(m, x, s, False)
    res = R.lyapunov_spectrum_step(step, torch.zeros(2, 8, dtype=torch.float64), X,
                                   frame0=Q0, sort=False)
    np.testing.assert_allclose(res.numpy(), lam_ref, rtol=1e-8, atol=1e-9)
    res2 = R.lyapunov_spectrum_step(R.make_step(m), torch.zeros(2, 8, dtype=torch.float64), X,
                                    frame0=Q0[:, :3], k=3, reortho_every=4, sort=False)
    np.testing.assert_allclose(res2.numpy()[:, 0], lam_ref[:, 0], atol=1e-6)


def test_monitor_records_and_times():
    m = make("lstm", H=4, seed=1, dtype=torch.float32)
    X = torch.randn(10, 2, 3)
    mon = R.SpectrumMonitor(m, X, every=2, k=3)
    opt = torch.optim.SGD(m.parameters(), lr=0.1)
    for _ in range(5):
        out, _ = m(X)
        out.pow(2).mean().backward()
        opt.step()
        opt.zero_grad()
        mon.step()
    assert [c for c, _ in mon.records] == [0, 2, 4]
    assert mon.exponents().shape == (3, 3)
    assert mon.spectrum_seconds > 0 and mon.training_seconds > 0
    assert mon.overhead == mon.spectrum_seconds / mon.training_seconds


def test_monitor_does_nothing_on_the_calls_that_are_not_due(monkeypatch):
    # on a GPU every host read (.numpy(), .item(), bool()) is a synchronisation: the calls
    # that compute no spectrum must not make any, and recorded results stay unread tensors
    m = make("gru", H=4, seed=1, dtype=torch.float32)
    X = torch.randn(10, 2, 3)
    mon = R.SpectrumMonitor(m, X, every=3)
    calls = []
    real = R.lyapunov_spectrum
    monkeypatch.setattr(_monitor, "lyapunov_spectrum", lambda *a, **k: calls.append(1) or real(*a, **k))

    def no_read(self):
        raise AssertionError("the monitor read a result inside the step loop")

    monkeypatch.setattr(R.SpectrumResult, "numpy", no_read)
    for i in range(7):
        res = mon.step()
        assert (res is not None) == (i % 3 == 0)
    assert len(calls) == 3 and all(isinstance(r.exponents, torch.Tensor) for _, r in mon.records)
    monkeypatch.undo()
    assert mon.exponents().shape == (3, 4)
    clock = _monitor._Clock(torch.device("cpu"))
    clock.add("train", 1.0, 3.5)
    assert clock.read("train") == 2.5 and not clock.cuda


def test_init_uniform_draws_every_parameter_from_u_minus_p_p():
    # A bound alone passes for weights all equal to p/2, or drawn from U(0, p): compare each
    # tensor's values with the law U(-p, p) itself. Kolmogorov-Smirnov: for n uniform draws,
    # sup |F_n - F| exceeds 1.63 / sqrt(n) with probability 1% (seeds fixed: no flakiness);
    # all p/2 gives 0.75, U(0, p) 0.5, U(-p/2, p/2) 0.25.
    p = 0.1
    m = make("gru", I=8, H=32, seed=0)
    before = [w.detach().clone() for w in m.parameters()]
    assert R.init_uniform(m, p, seed=3) is m                    # in place
    for w0, w in zip(before, m.parameters()):
        v = np.sort(w.detach().numpy().ravel())
        n = v.size                                              # 768 to 3072 values
        assert np.all(np.abs(v) <= p)
        F = (v + p) / (2 * p)                                   # the uniform CDF at each value
        ks = max(np.max(np.arange(1, n + 1) / n - F), np.max(F - np.arange(n) / n))
        assert ks < 1.63 / math.sqrt(n), (tuple(w.shape), ks)
        assert not torch.equal(w, w0)                           # torch's own init replaced
    # the seed decides the draw
    again = R.init_uniform(make("gru", I=8, H=32, seed=1), p, seed=3)
    other = R.init_uniform(make("gru", I=8, H=32, seed=0), p, seed=4)
    for w, w2, w3 in zip(m.parameters(), again.parameters(), other.parameters()):
        assert torch.equal(w, w2) and not torch.equal(w, w3)


# --- helpers and figures -----------------------------------------------------------------------

def test_flatten_state_order_and_roundtrip():
    g = torch.Generator().manual_seed(0)
    h, c = torch.randn(2, 3, 4, generator=g), torch.randn(2, 3, 4, generator=g)
    flat = R.flatten_state((h, c))
    torch.testing.assert_close(flat, ref_flatten((h, c), True))
    h2, c2 = R.unflatten_state(flat, 2, lstm=True)
    assert torch.equal(h2, h) and torch.equal(c2, c)
    torch.testing.assert_close(R.flatten_state(h), ref_flatten(h, False))
    assert torch.equal(R.unflatten_state(R.flatten_state(h), 2, lstm=False), h)
    assert R.state_dim(nn.LSTM(3, 4, 2)) == 16 and R.state_dim(nn.LSTM(3, 4, 2), "hidden") == 8


def test_make_rnn_inputs_and_sweep():
    m = R.make_rnn("lstm", 5, 6, 0.3, seed=1)
    assert isinstance(m, nn.LSTM) and all(p.abs().max() <= 0.3 for p in m.parameters())
    X = R.one_hot_inputs(7, 2, 5, seed=0)
    assert X.shape == (7, 2, 5) and torch.all(X.sum(-1) == 1)
    sw = R.init_sweep("gru", [0.5, 3.0], hidden=6, n_symbols=4, batch=2, steps=60,
                      warmup=10, frame_warmup=10)
    assert sw[3.0].mean[0] > sw[0.5].mean[0]     # stronger weights, larger lambda_1
    with pytest.raises(ValueError, match="arch must be one of"):
        R.make_rnn("transformer", 3, 4, 0.1)
    with pytest.raises(ValueError, match="steps must be a positive integer, got 0"):
        R.one_hot_inputs(0, 2, 3)


def test_train_with_monitor():
    m = R.make_rnn("lstm", 4, 6, 0.5, seed=0)
    X = R.one_hot_inputs(12, 3, 4, seed=0)
    mon, losses = R.train_with_monitor(m, X, epochs=4, every=2, k=2)
    assert len(losses) == 4 and [c for c, _ in mon.records] == [0, 2]
    assert 0 < mon.overhead < math.inf


def test_plots_are_labelled_figures():
    m = make("lstm", H=3, seed=0, scale=0.5)
    X = torch.randn(20, 2, 3, dtype=torch.float64)
    full = R.lyapunov_spectrum(m, X, history=True)
    hid = R.lyapunov_spectrum(m, X, state="hidden")
    figs = [R.plot_spectra({"a": full}), R.plot_convergence(full),
            R.plot_full_vs_hidden(full, hid), R.plot_init_sweep({0.5: full, 1.0: full})]
    for fig in figs:
        for ax in fig.axes:
            assert ax.get_xlabel() and ax.get_ylabel()
    assert "nats per step" in figs[0].axes[0].get_ylabel()
    with pytest.raises(ValueError, match="history=True"):
        R.plot_convergence(hid)
    with pytest.raises(ValueError, match="results must map"):
        R.plot_spectra({})


def test_generic_path_same_schedule_as_engine():
    """Warm-ups, QR interval and partial last interval follow the same schedule in both paths."""
    m = make("lstm", L=2, seed=8, scale=0.7)
    X = torch.randn(40, 2, 3, generator=torch.Generator().manual_seed(8), dtype=torch.float64)
    Q0 = _frame(16, 3)
    kw = dict(k=3, warmup=5, frame_warmup=7, reortho_every=3, frame0=Q0, sort=False,
              history=True)
    a = R.lyapunov_spectrum(m, X, **kw)
    b = R.lyapunov_spectrum_step(R.make_step(m), torch.zeros(2, 16, dtype=torch.float64), X, **kw)
    assert a.steps == b.steps == 28
    np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(a.history_steps, b.history_steps)
    assert int(a.history_steps[-1]) == 28 and len(a.history_steps) == 10   # 9 full + 1 partial


def test_progress_bar_runs(capsys):
    m = make("gru", H=3)
    X = torch.randn(6, 1, 3, dtype=torch.float64)
    res = R.lyapunov_spectrum(m, X, progress=True)
    assert res.steps == 6
    assert "Lyapunov spectrum" in capsys.readouterr().err
