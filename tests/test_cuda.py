"""The engine on a CUDA device (issue 10's checks that need a GPU).

Skipped where torch sees no CUDA device, as in CI. On a GPU machine run
``bash scripts/gpu_check.sh``, which runs this file and the GPU benchmark in one go.
``LYAPLEARN_TEST_DEVICE=cpu pytest tests/test_cuda.py`` runs the same checks on the CPU
(all but the synchronisation count), to test the tests where there is no GPU.

References are independent of the device: the float64 autograd + numpy QR loop of
tests/_helpers/recurrent_reference.py, computed on the CPU.
"""

from __future__ import annotations

import copy
import math
import os
import warnings

import numpy as np
import pytest
import torch
from torch import nn

from lyaplearn import recurrent as R
from lyaplearn.recurrent import _qr  # private files, for white-box tests
from _helpers.recurrent_reference import make, random_frame as _frame, reference_spectrum

DEVICE = torch.device(os.environ.get("LYAPLEARN_TEST_DEVICE", "cuda"))
CUDA = DEVICE.type == "cuda"
pytestmark = [pytest.mark.fp_insensitive,
              pytest.mark.skipif(CUDA and not torch.cuda.is_available(),
                                 reason="needs a CUDA device (on a GPU machine: "
                                        "bash scripts/gpu_check.sh)")]


def on(m):
    return copy.deepcopy(m).to(DEVICE)


def _x(T, B, seed=4, dtype=torch.float64):
    return torch.randn(T, B, 3, generator=torch.Generator().manual_seed(seed), dtype=dtype)


@pytest.mark.parametrize("arch,state", [("lstm", "full"), ("lstm", "hidden"), ("gru", "full"),
                                        ("rnn_tanh", "full"), ("rnn_relu", "full")])
@pytest.mark.parametrize("qr", ["householder", "cholesky"])
@pytest.mark.parametrize("method", ["direct", "formed"])
def test_float64_on_the_device_matches_the_autograd_reference(arch, state, qr, method):
    if method == "formed" and arch.startswith("rnn"):
        pytest.skip("method='formed' needs a GRU or an LSTM")
    L = 1 if arch == "rnn_relu" else 2     # 2 ReLU layers kill units: -inf, then ill-posed
    m = make(arch, L=L, seed=7, scale=1.0)
    D = (2 if arch == "lstm" and state == "full" else 1) * L * 4
    X, Q0 = _x(40, 3), _frame(D, D)
    lam_ref, _ = reference_spectrum(m, X, Q0, hidden_only=state == "hidden")
    # chunk=16: the time-batched formed build (accelerators) splits chunks into spans
    res = R.lyapunov_spectrum(on(m), X.to(DEVICE), frame0=Q0.to(DEVICE), sort=False,
                              state=state, qr=qr, method=method, chunk=16)
    assert res.exponents.device.type == DEVICE.type and res.qr == qr
    np.testing.assert_allclose(res.numpy(), lam_ref, rtol=1e-9, atol=1e-9)


def test_auto_picks_cholesky_on_cuda_and_the_fallback_engages_there():
    fast = CUDA and _qr._full_rate_float64(DEVICE)          # an H100/H200: yes
    assert _qr._pick_qr("auto", DEVICE) == ("cholesky" if fast else "householder")
    # a QR every 25 steps: the frames reach condition numbers far beyond CholeskyQR2's reach
    m = on(make("gru", L=2, H=8, seed=7, scale=1.0))
    X = _x(200, 3).to(DEVICE)
    h = R.lyapunov_spectrum(m, X, reortho_every=25, qr="householder", chunk=40)
    c = R.lyapunov_spectrum(m, X, reortho_every=25, qr="cholesky", chunk=40)
    assert h.qr_fallbacks == 0 and c.qr_fallbacks > 0
    # leading exponents are well-posed; trailing ones of such a run are not (see test_qr)
    torch.testing.assert_close(c.exponents[:, :4], h.exponents[:, :4], rtol=0, atol=1e-12)
    # dead ReLU units: exact zeros in the frame, -inf exponents
    m = on(make("rnn_relu", H=8, seed=7, scale=1.0))
    X = _x(60, 3).to(DEVICE)
    h = R.lyapunov_spectrum(m, X, qr="householder")
    c = R.lyapunov_spectrum(m, X, qr="cholesky")
    assert torch.isneginf(h.exponents).any() and c.qr_fallbacks > 0
    torch.testing.assert_close(c.exponents, h.exponents, rtol=0, atol=1e-12)


def test_float32_leading_exponents_close_to_float64():
    # float32 on the device (what researchers run) against the float64 engine on the CPU.
    # The same start frame: a random one drawn in another dtype moves these finite-time
    # estimates by 1e-2. With it, float32 on the CPU is within 3e-7 (1 or 2 threads).
    torch.manual_seed(0)
    m = nn.LSTM(8, 64)
    X = torch.randn(200, 4, 8, generator=torch.Generator().manual_seed(1))
    Q0 = _frame(128, 16)
    ref = R.lyapunov_spectrum(m, X.double(), k=16, warmup=20, dtype=torch.float64,
                              frame0=Q0).numpy()
    for qr in ("householder", "cholesky"):
        got = R.lyapunov_spectrum(on(m), X.to(DEVICE), k=16, warmup=20, qr=qr,
                                  frame0=Q0.float().to(DEVICE)).numpy()
        np.testing.assert_allclose(got, ref, rtol=0, atol=2e-5)


def _syncs(fn):
    """Number of synchronising CUDA calls ``fn`` makes (torch's sync debug mode)."""
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        torch.cuda.synchronize()
        torch.cuda.set_sync_debug_mode("warn")
        try:
            fn()
        finally:
            torch.cuda.set_sync_debug_mode("default")
    return sum("called a synchronizing" in str(w.message) for w in seen)


@pytest.mark.skipif(not CUDA, reason="counts CUDA synchronisations")
def test_host_reads_scale_with_chunks_not_steps():
    # float64 and this model: no frame breaks down (its largest condition number, 2.6e6, is
    # far below CholeskyQR2's ~7e7; checked below), so no chunk is redone
    m = on(make("lstm", L=2, H=16, seed=7, scale=0.8))
    X = _x(400, 4).to(DEVICE)
    assert R.lyapunov_spectrum(m, X, qr="cholesky").qr_fallbacks == 0   # also warms up

    def run(T, chunk):
        return _syncs(lambda: R.lyapunov_spectrum(m, X[:T], qr="cholesky", chunk=chunk))

    short, long = run(200, 50), run(400, 100)           # 4 chunks each, 200 and 400 steps
    more = run(400, 50)                                 # 8 chunks
    assert short < 200 / 4, f"{short} synchronisations in 200 steps"
    assert long <= short + 2, f"{long} synchronisations in 400 steps, {short} in 200"
    assert short < more <= 2 * short + 2


def test_monitor_makes_no_synchronisation_on_the_calls_that_are_not_due():
    m = on(make("gru", H=8, seed=1, dtype=torch.float32))
    mon = R.SpectrumMonitor(m, _x(30, 2, dtype=torch.float32).to(DEVICE), every=4)
    mon.start()
    assert mon.step() is not None                     # due: computes (and may synchronise)
    if CUDA:
        torch.cuda.synchronize()
        torch.cuda.set_sync_debug_mode("error")       # any synchronisation raises
    try:
        for _ in range(3):                            # not due
            assert mon.step() is None
    finally:
        if CUDA:
            torch.cuda.set_sync_debug_mode("default")
    assert mon.step() is not None
    assert mon.exponents().shape == (2, 8)
    assert mon.spectrum_seconds > 0 and math.isfinite(mon.overhead)


def test_lightning_callback_on_the_device(tmp_path):
    pytest.importorskip("lightning.pytorch")
    from lyaplearn.lightning import LyapunovCallback
    from _helpers.lightning_model import TinyLM, pl, tiny_loader as _data

    probe = torch.randn(4, 30, 3, generator=torch.Generator().manual_seed(2))
    cb = LyapunovCallback(probe, every_n_epochs=1, warmup=5)
    model = TinyLM()
    trainer = pl.Trainer(max_epochs=2, accelerator="gpu" if CUDA else "cpu", devices=1,
                         callbacks=[cb], logger=pl.loggers.CSVLogger(tmp_path, name="run"),
                         enable_checkpointing=False, enable_progress_bar=False,
                         enable_model_summary=False, log_every_n_steps=1)
    trainer.fit(model, _data())
    assert [e for e, _ in cb.records] == [0, 1]
    assert cb.records[-1][1].exponents.device.type == DEVICE.type
    # the last record against the float64 spectrum of the trained weights, on the CPU
    cpu = copy.deepcopy(model.lstm).cpu()
    ref = R.lyapunov_spectrum(cpu, probe.double(), warmup=5, dtype=torch.float64).numpy()
    np.testing.assert_allclose(cb.records[-1][1].numpy().mean(0), ref.mean(0), rtol=0,
                               atol=1e-4)
