"""The QR methods of the engine: CholeskyQR2 with a per-sequence Householder fallback.

References: numpy's Householder QR (LAPACK, independent of torch's call path) for single
frames, and the plain float64 autograd QR loop (tests/_helpers/recurrent_reference.py) for
whole spectra. Only well-posed quantities are compared tightly: log|r_ii| of directions well
above the rounding floor eps*||V|| and the leading exponents. The trailing exponents of an
ill-conditioned run move under any 1e-13 perturbation, so two correct QRs differ there too.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lyaplearn import recurrent as R
from lyaplearn.recurrent import _benettin, _qr  # private files, for white-box tests
from _helpers.recurrent_reference import make, random_frame as _frame, reference_spectrum

pytestmark = pytest.mark.fp_sensitive

torch.set_num_threads(1)


def _frames(conds, D=12, k=6, seed=0):
    """QT (B, k, D): frames V = U diag(s) W^T with condition numbers ``conds``, and their
    singular values (B, k); the columns of V are graded, as in a Benettin run."""
    rng = np.random.default_rng(seed)
    V, S = [], []
    for c in conds:
        U = np.linalg.qr(rng.standard_normal((D, k)))[0]
        W = np.linalg.qr(rng.standard_normal((k, k)))[0]
        s = np.geomspace(1.0, 1.0 / c, k)
        V.append(U @ np.diag(s) @ W.T)
        S.append(s)
    QT = torch.tensor(np.stack(V)).transpose(1, 2).contiguous()
    return QT, np.array(S)


def _numpy_logs(QT):
    return np.stack([np.log(np.abs(np.diag(np.linalg.qr(v.T)[1]))) for v in QT.numpy()])


def test_cholesky_qr_on_well_conditioned_frames_equals_householder():
    QT, _ = _frames([1.0, 10.0, 1e3, 1e5])
    qr = _qr._CholeskyQR()
    Q, logs = qr(QT)
    assert qr.fallbacks == 0
    np.testing.assert_allclose(logs.numpy(), _numpy_logs(QT), rtol=0, atol=1e-11)
    # an orthonormal frame spanning the same nested subspaces: V = Q R, R upper triangular
    eye = torch.eye(6, dtype=torch.float64)
    torch.testing.assert_close(Q @ Q.transpose(1, 2), eye.expand(4, 6, 6), rtol=0, atol=1e-14)
    Rm = Q @ QT.transpose(1, 2)                      # (Q^T V) = R
    assert torch.tril(Rm, -1).abs().max() < 1e-12
    torch.testing.assert_close(torch.diagonal(Rm, dim1=-2, dim2=-1).abs().log(), logs,
                               rtol=0, atol=1e-11)


def test_fallback_engages_per_sequence_up_to_condition_1e14():
    conds = [1e2, 1e10, 1e4, 1e14, 1e6, 1e12]
    QT, S = _frames(conds, seed=1)
    qr = _qr._CholeskyQR()
    Q, logs = qr(QT)
    # CholeskyQR2 is safe below cond ~ eps**-1/2 ~ 7e7 and breaks down far above it
    assert qr.fallbacks == 3
    ref = _numpy_logs(QT)
    # well-posed: directions whose size is far above the rounding floor eps * ||V|| = 2e-16
    well = S > 1e-6
    np.testing.assert_allclose(logs.numpy()[well], ref[well], rtol=0, atol=1e-9)
    # every returned frame is orthonormal, the redone ones included
    eye = torch.eye(6, dtype=torch.float64)
    torch.testing.assert_close(Q @ Q.transpose(1, 2), eye.expand(6, 6, 6), rtol=0, atol=1e-13)
    # the redone frames are exactly Householder's
    hq, hl = _qr._qr_logs(QT[[1, 3, 5]])
    torch.testing.assert_close(logs[[1, 3, 5]], hl, rtol=0, atol=0)
    torch.testing.assert_close(Q[[1, 3, 5]], hq, rtol=0, atol=0)


def test_float32_frames_are_factored_in_float64_without_breakdown():
    # float32 CholeskyQR2 breaks down beyond condition ~3e3; one step of a full-state LSTM
    # has frames of 1e6-3e7. Computed in float64 (limit ~7e7) none of these falls back, and
    # log|r_ii| is that of the float32 data itself, to float32's resolution of the logs.
    for D, k in [(12, 6), (64, 64)]:
        QT, _ = _frames([1e2, 1e4, 1e5, 1e6, 1e7], D=D, k=k, seed=2)
        V = QT.float()
        qr = _qr._CholeskyQR()
        Q, logs = qr(V)
        assert qr.fallbacks == 0 and Q.dtype == logs.dtype == torch.float32
        np.testing.assert_allclose(logs.double().numpy(), _numpy_logs(V.double()), rtol=0,
                                   atol=5e-6)
        orth = (Q @ Q.transpose(1, 2) - torch.eye(k)).norm(dim=(-2, -1))
        assert orth.max() < 1e-5


def test_float32_full_state_lstm_runs_without_fallback():
    # a saturated 2-layer LSTM, full state, k = D: 79% of its frames have condition numbers
    # above float32 CholeskyQR2's limit (~3e3), and the largest, 2.6e6, is 27 times below the
    # float64 limit (~7e7), so no other CPU's rounding brings a frame near it. The leading
    # exponents match the float64 engine.
    m = make("lstm", L=2, H=16, seed=7, scale=0.8, dtype=torch.float32)
    X = torch.randn(300, 4, 3, generator=torch.Generator().manual_seed(4))
    Q0 = _frame(64, 64)
    ref = R.lyapunov_spectrum(m, X.double(), dtype=torch.float64, frame0=Q0, sort=False)
    res = R.lyapunov_spectrum(m, X, qr="cholesky", frame0=Q0.float(), sort=False)
    assert res.qr_fallbacks == 0 and res.exponents.dtype == torch.float32
    np.testing.assert_allclose(res.numpy()[:, :4], ref.numpy()[:, :4], rtol=0, atol=2e-5)


def test_singular_frame_falls_back_and_gives_minus_infinity():
    QT, _ = _frames([1.0, 1.0])
    QT[1, 3] = 0.0                                   # a zero column: r_44 = 0 exactly
    qr = _qr._CholeskyQR()
    _, logs = qr(QT)
    assert qr.fallbacks == 1
    assert torch.isneginf(logs[1, 3]) and torch.isfinite(logs[0]).all()


@pytest.mark.parametrize("arch,L,bias,bf", [("rnn_tanh", 2, True, False),
                                            ("rnn_relu", 1, True, True),
                                            ("gru", 2, False, True),
                                            ("lstm", 2, True, False)])
def test_spectrum_with_cholesky_matches_reference(arch, L, bias, bf):
    m = make(arch, L=L, bias=bias, batch_first=bf, seed=7, scale=1.0)
    D = (2 if arch == "lstm" else 1) * L * 4
    g = torch.Generator().manual_seed(4)
    X = torch.randn(25, 2, 3, generator=g, dtype=torch.float64)
    Q0 = _frame(D, D)
    lam_ref, _ = reference_spectrum(m, X, Q0)
    inp = X.transpose(0, 1) if bf else X
    res = R.lyapunov_spectrum(m, inp, frame0=Q0, sort=False, qr="cholesky")
    assert res.qr == "cholesky"
    np.testing.assert_allclose(res.numpy(), lam_ref, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("arch,L", [("gru", 2), ("lstm", 1), ("rnn_tanh", 1)])
def test_ill_conditioned_runs_fall_back_and_keep_the_leading_exponents(arch, L):
    # a QR only every 25 steps: the frames' condition numbers reach exp(25 * spread) >> 1e8
    m = make(arch, L=L, H=8, seed=7, scale=1.0)
    X = torch.randn(200, 3, 3, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    h = R.lyapunov_spectrum(m, X, reortho_every=25, qr="householder")
    c = R.lyapunov_spectrum(m, X, reortho_every=25, qr="cholesky")
    assert h.qr_fallbacks == 0 and c.qr_fallbacks > 0
    torch.testing.assert_close(c.exponents[:, :4], h.exponents[:, :4], rtol=0, atol=1e-12)


def test_dead_relu_units_fall_back():
    m = make("rnn_relu", H=8, seed=7, scale=1.0)
    X = torch.randn(60, 3, 3, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    h = R.lyapunov_spectrum(m, X, qr="householder")
    c = R.lyapunov_spectrum(m, X, qr="cholesky")
    assert torch.isneginf(h.exponents).any() and c.qr_fallbacks > 0
    torch.testing.assert_close(c.exponents, h.exponents, rtol=0, atol=1e-12)


def test_generic_path_accepts_qr():
    m = make("gru", seed=3, scale=0.9)
    step = R.make_step(m)
    X = torch.randn(30, 2, 3, generator=torch.Generator().manual_seed(5), dtype=torch.float64)
    s0 = torch.zeros(2, 4, dtype=torch.float64)
    h = R.lyapunov_spectrum_step(step, s0, X, qr="householder")
    c = R.lyapunov_spectrum_step(step, s0, X, qr="cholesky")
    torch.testing.assert_close(c.exponents, h.exponents, rtol=0, atol=1e-12)
    ref = R.lyapunov_spectrum(m, X)
    torch.testing.assert_close(c.exponents, ref.exponents, rtol=0, atol=1e-10)


def test_auto_is_householder_on_cpu_and_bad_choices_are_refused(monkeypatch):
    m = make("lstm", seed=1)
    X = torch.zeros(5, 1, 3, dtype=torch.float64)
    assert R.lyapunov_spectrum(m, X).qr == "householder"
    assert _qr._pick_qr("auto", torch.device("cpu")) == "householder"
    # on CUDA, CholeskyQR2 (computed in float64) only where float64 runs at speed
    for cap, want in [((9, 0), "cholesky"), ((8, 0), "cholesky"), ((8, 6), "householder"),
                      ((8, 9), "householder"), ((7, 5), "householder"), ((10, 3), "householder")]:
        monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None, c=cap: c)
        assert _qr._pick_qr("auto", torch.device("cuda")) == want, cap
    assert _qr._pick_qr("cholesky", torch.device("cpu")) == "cholesky"
    with pytest.raises(ValueError, match="qr must be one of 'auto', 'householder', 'cholesky'"):
        R.lyapunov_spectrum(m, X, qr="givens")
    with pytest.raises(ValueError, match="chunk must be a positive integer"):
        R.lyapunov_spectrum(m, X, chunk=0)


# --- the deferred check: one host read per chunk, the chunk redone on breakdown ----------

def _spy(monkeypatch):
    """Record every CholeskyQR call (deferred or checked) and every read of the flag."""
    calls = {"deferred": 0, "checked": 0, "reads": [], "chunks": 0}
    call, take, chunk = _qr._CholeskyQR.__call__, _qr._CholeskyQR.take_broken, _benettin._Benettin.chunk

    def spy_call(self, QT):
        calls["deferred" if self.defer else "checked"] += 1
        return call(self, QT)

    def spy_take(self):
        calls["reads"].append(take(self))
        return calls["reads"][-1]

    def spy_chunk(self, QT, advance, *restartable):
        calls["chunks"] += 1
        return chunk(self, QT, advance, *restartable)

    monkeypatch.setattr(_qr._CholeskyQR, "__call__", spy_call)
    monkeypatch.setattr(_qr._CholeskyQR, "take_broken", spy_take)
    monkeypatch.setattr(_benettin._Benettin, "chunk", spy_chunk)
    return calls


def _eager(monkeypatch, m, X, **kw):
    """The same spectrum with every chunk checked QR by QR (no optimism)."""
    with monkeypatch.context() as mp:
        mp.setattr(_benettin._Benettin, "chunk", lambda self, QT, advance, *r: advance(QT))
        return R.lyapunov_spectrum(m, X, qr="cholesky", history=True, **kw)


def test_well_conditioned_run_reads_the_host_once_per_chunk(monkeypatch):
    m = make("lstm", L=2, seed=7, scale=1.0)
    X = torch.randn(50, 3, 3, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    ref = _eager(monkeypatch, m, X, frame_warmup=5, chunk=8)
    calls = _spy(monkeypatch)
    res = R.lyapunov_spectrum(m, X, qr="cholesky", history=True, frame_warmup=5, chunk=8)
    # chunks: the frame warm-up [0, 5), then [5, 13), ..., [37, 45), [45, 50): 1 + 5 + 1
    assert calls["chunks"] == 7 and calls["reads"] == [False] * 7
    assert calls["deferred"] == 50 and calls["checked"] == 0   # one QR per step, none checked
    assert res.qr_fallbacks == 0
    torch.testing.assert_close(res.exponents, ref.exponents, rtol=0, atol=0)
    torch.testing.assert_close(res.history, ref.history, rtol=0, atol=0)
    assert res.history_steps.tolist() == ref.history_steps.tolist() == list(range(1, 46))


@pytest.mark.parametrize("case", ["reortho25", "dead_relu", "burst_gru", "burst_tanh"])
def test_breakdown_redoes_the_chunk_and_matches_the_checked_run(monkeypatch, case):
    X = torch.randn(200, 3, 3, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    if case == "reortho25":    # every frame breaks down, from the first QR on
        m, kw = make("gru", L=2, H=8, seed=7, scale=1.0), dict(reortho_every=25, chunk=40)
    elif case == "dead_relu":
        m, kw = make("rnn_relu", H=8, seed=7, scale=1.0), dict(chunk=16)
    else:                      # a saturating burst in sequence 0 at steps 100-102 only
        m = make("gru" if case == "burst_gru" else "rnn_tanh", H=8, seed=7, scale=1.0)
        kw = dict(chunk=16)
        X[100:103, 0] = 20.0 * torch.tensor([1.0, -1.0, 1.0], dtype=torch.float64)
    ref = _eager(monkeypatch, m, X, **kw)
    calls = _spy(monkeypatch)
    res = R.lyapunov_spectrum(m, X, qr="cholesky", history=True, **kw)
    # the first chunk that breaks down is read once and redone checked; every later
    # chunk is checked at once, without a deferred pass
    first_bad = 6 if case.startswith("burst") else 0   # [96, 112) holds step 100
    assert calls["reads"] == [False] * first_bad + [True]
    assert calls["checked"] > 0 and res.qr_fallbacks == ref.qr_fallbacks > 0
    if case.startswith("burst"):
        assert ref.qr_fallbacks == 3 and calls["deferred"] == 112
    # bit for bit the checked run: the rollback restored the sums, counters and history
    torch.testing.assert_close(res.exponents, ref.exponents, rtol=0, atol=0, equal_nan=True)
    torch.testing.assert_close(res.history, ref.history, rtol=0, atol=0, equal_nan=True)
    assert res.history_steps.tolist() == ref.history_steps.tolist()
    assert res.steps == ref.steps == 200
    if case.startswith("burst"):
        # independently: sequences 1 and 2 never broke down, and their (well-conditioned)
        # spectra equal the plain float64 autograd + numpy QR reference
        D = m.hidden_size
        Q0 = _frame(D, D)
        lam_ref, _ = reference_spectrum(m, X[:, 1:], Q0)
        got = R.lyapunov_spectrum(m, X, qr="cholesky", frame0=Q0, sort=False, **kw)
        np.testing.assert_allclose(got.numpy()[1:], lam_ref, rtol=1e-9, atol=1e-9)
