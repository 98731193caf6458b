"""Tests for lyaplearn.recurrent._nonfinite: a trajectory or frame that becomes non-finite is
reported with its time step and sequence (immediately on the CPU, deferred on an accelerator),
while -inf, a dead direction, is a valid exponent.

Every expected time step is worked out by hand in the test (the step at which 2**(t+1) or
10**(2**t) first exceeds the largest float), never taken from the code under test.
"""

from __future__ import annotations

import math
import re

import pytest
import torch
from torch import nn

from lyaplearn import recurrent as R
from lyaplearn.recurrent import _nonfinite  # private files, for white-box tests

pytestmark = pytest.mark.fp_sensitive

torch.set_num_threads(1)


@pytest.fixture(params=["eager", "deferred"])
def watch_mode(request, monkeypatch):
    """Run each test with immediate checks (CPU) and with the accelerator's deferred checks."""
    if request.param == "deferred":
        monkeypatch.setattr(_nonfinite._NonFinite, "EAGER_DEVICES", ())
    return request.param


def _doubling_relu(B=2):
    """ReLU RNN h' = relu(2 h + 0 x), float32. From h0 = 1 the state after step t is
    2**(t + 1): finite up to t = 126 (2**127), inf at t = 127 (2**128 > 3.4e38)."""
    m = nn.RNN(1, 1, nonlinearity="relu", bias=False)
    with torch.no_grad():
        m.weight_hh_l0.fill_(2.0)
        m.weight_ih_l0.zero_()
    h0 = torch.zeros(1, B, 1)
    h0[0, B - 1, 0] = 1.0
    return m, torch.zeros(200, B, 1), h0


@pytest.mark.parametrize("kw", [dict(), dict(chunk=50), dict(warmup=150),
                                dict(warmup=100, frame_warmup=10, reortho_every=25)])
def test_engine_reports_the_time_step_where_the_state_overflows(watch_mode, kw):
    m, x, h0 = _doubling_relu()
    with pytest.raises(ValueError, match="non-finite at time step 127 of sequence 1"):
        R.lyapunov_spectrum(m, x, h0=h0, **kw)
    # the first 120 steps are fine, and exact: log 2 per step
    res = R.lyapunov_spectrum(m, x[:120], h0=h0)
    assert torch.allclose(res.exponents[1], torch.tensor([math.log(2.0)]), atol=1e-6)


def test_deferred_checks_do_not_sync_every_step(monkeypatch):
    monkeypatch.setattr(_nonfinite._NonFinite, "EAGER_DEVICES", ())
    reads = []
    orig = _nonfinite._NonFinite.check
    monkeypatch.setattr(_nonfinite._NonFinite, "check", lambda self: reads.append(1) or orig(self))
    m, x, h0 = _doubling_relu()
    with pytest.raises(ValueError, match="time step 127 of sequence 1"):
        R.lyapunov_spectrum(m, x, h0=h0)
    assert len(reads) <= 3          # after the warm-up, after each chunk of 128 steps


def test_generic_path_reports_a_user_step_that_overflows(watch_mode):
    # s' = 2 s in float32 from s0 = 1: inf first at t = 127, component 1 of sequence 0
    step = lambda s, x: 2.0 * s + x                                   # noqa: E731
    s0 = torch.tensor([[0.0, 1.0], [0.0, 0.0]])
    x = torch.zeros(200, 2, 2)
    msg = "non-finite at time step 127 of sequence 0"
    if watch_mode == "eager":
        msg += re.escape(": state[0, 1] = inf")
    with pytest.raises(ValueError, match=msg):
        R.lyapunov_spectrum_step(step, s0, x, k=1)
    with pytest.raises(ValueError, match=msg):
        R.lyapunov_spectrum_step(step, s0, x, k=1, warmup=150)


def test_generic_path_reports_a_frame_that_overflows(watch_mode):
    # s' = sin(1e30 s): the state stays in [-1, 1], the tangent is stretched by up to 1e30
    # per step; from s0 = 0, x = 0 the state stays 0 and the stretch is exactly 1e30, so two
    # steps (1e60) overflow float32 before the first QR, which closes the interval at step 1
    step = lambda s, x: torch.sin(1e30 * s) + x                      # noqa: E731
    with pytest.raises(ValueError, match="tangent frame became non-finite for sequence 0 "
                                         "in the interval ending at time step 1"):
        R.lyapunov_spectrum_step(step, torch.zeros(1, 1), torch.zeros(6, 1, 1),
                                 reortho_every=2)
    # with a QR every step the same map is fine: exactly log(1e30) per step
    res = R.lyapunov_spectrum_step(step, torch.zeros(1, 1), torch.zeros(6, 1, 1))
    assert abs(res.exponents.item() - 30 * math.log(10.0)) < 1e-4


def test_minus_infinity_is_a_valid_exponent(watch_mode):
    # a ReLU network whose units are all dead: the Jacobian is 0, the exponents are -inf
    m = nn.RNN(2, 3, nonlinearity="relu").double()
    with torch.no_grad():
        for p in m.parameters():
            p.zero_()
        m.bias_hh_l0.fill_(-1.0)
    res = R.lyapunov_spectrum(m, torch.zeros(5, 2, 2, dtype=torch.float64))
    assert torch.isneginf(res.exponents).all()
