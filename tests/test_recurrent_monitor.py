"""Tests for lyaplearn.recurrent._monitor: the spectrum monitor records on its schedule, times
itself, and reads nothing back on the calls that compute no spectrum."""

from __future__ import annotations

import pytest
import torch

from lyaplearn import recurrent as R
from lyaplearn.recurrent import _monitor  # private files, for white-box tests
from _helpers.recurrent_reference import make

pytestmark = pytest.mark.fp_sensitive

torch.set_num_threads(1)


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
