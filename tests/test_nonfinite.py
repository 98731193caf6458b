"""No silent NaN: non-finite inputs are refused, with the argument and the first bad index,
and a trajectory or frame that becomes non-finite is reported with its time step.

Every expected index and time step is worked out by hand in the test (for the overflows:
the step at which 2**(t+1) or 10**(2**t) first exceeds the largest float), never taken from
the code under test.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import torch
from torch import nn

from lyaplearn import lyapunov as L
from lyaplearn import maps as M
from lyaplearn import recurrent as R
from lyaplearn.recurrent import _nonfinite  # private files, for white-box tests

pytestmark = pytest.mark.fp_sensitive

torch.set_num_threads(1)


def _nan_at(shape, idx, value=np.nan):
    a = np.zeros(shape)
    a[idx] = value
    return a


# ----------------------------------------------------------------------------
# numpy: lyapunov and maps
# ----------------------------------------------------------------------------

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


def test_qr_accumulator_and_spectrum_helpers():
    with pytest.raises(ValueError, match=re.escape("q0[1, 1] = nan")):
        L.QRAccumulator(_nan_at((2, 2), (1, 1)))
    acc = L.QRAccumulator(np.eye(2))
    acc.push(np.eye(2))
    with pytest.raises(ValueError, match=re.escape("step 2 has jacobian[1, 0] = nan")):
        acc.push(_nan_at((2, 2), (1, 0)))
    lam = np.array([[0.1, -0.2, -np.inf], [0.3, np.nan, -1.0]])
    for fn in (L.kaplan_yorke_dimension, L.entropy, L.spectrum_features):
        with pytest.raises(ValueError, match=re.escape("exponents[1, 1] = nan")):
            fn(lam)
    with pytest.raises(ValueError, match=re.escape("exponents[0, 2] = inf")):
        L.SpectrumEnsemble(np.array([[0.1, -0.2, np.inf]]))
    # -inf stays allowed: a singular Jacobian gives it legitimately
    assert L.kaplan_yorke_dimension([0.5, -np.inf]) == 1.0
    with pytest.raises(ValueError, match=re.escape("r_values[2] = nan")):
        L.logistic_exponents([3.0, 3.5, np.nan])
    with pytest.raises(ValueError, match=re.escape("jacobians[0, 1, 1] = inf")):
        L.product_svd_exponents(_nan_at((3, 2, 2), (0, 1, 1), np.inf), [1, 2])
    with pytest.raises(ValueError, match="lambda_max must not be NaN"):
        L.regime(float("nan"))


def test_maps_refuse_non_finite_arguments():
    with pytest.raises(ValueError, match=re.escape("x[1, 0] = nan")):
        M.LogisticMap(3.0).step(_nan_at((2, 1), (1, 0)))
    with pytest.raises(ValueError, match=re.escape("x[1] = inf")):
        M.HenonMap().jacobian(_nan_at((2,), (1,), np.inf))
    with pytest.raises(ValueError, match=re.escape("A[0, 1] = nan")):
        M.LinearMap(_nan_at((2, 2), (0, 1)))
    with pytest.raises(ValueError, match=re.escape("W[2, 0] = nan")):
        M.TanhRNN(_nan_at((3, 3), (2, 0)))
    with pytest.raises(ValueError, match=re.escape("U[1, 1] = inf")):
        M.TanhRNN(np.eye(2), U=_nan_at((2, 2), (1, 1), np.inf))
    with pytest.raises(ValueError, match=re.escape("b[0] = nan")):
        M.TanhRNN(np.eye(2), b=_nan_at((2,), (0,)))
    net = M.TanhRNN(np.eye(2))
    with pytest.raises(ValueError, match=re.escape("h0[1] = nan")):
        net.run(_nan_at((2,), (1,)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match=re.escape("inputs[2, 0] = nan")):
        net.jacobians(np.zeros(2), _nan_at((3, 2), (2, 0)))


# ----------------------------------------------------------------------------
# torch engine: arguments
# ----------------------------------------------------------------------------

def _lstm(L=1, batch_first=False, dtype=torch.float64):
    torch.manual_seed(0)
    return nn.LSTM(3, 4, num_layers=L, batch_first=batch_first).to(dtype)


def test_lyapunov_spectrum_names_the_bad_input_in_the_callers_layout():
    m = _lstm(batch_first=True)
    x = torch.zeros(3, 6, 3, dtype=torch.float64)     # (batch, time, input)
    x[2, 5, 1] = float("nan")
    with pytest.raises(ValueError, match=re.escape("inputs[2, 5, 1] = nan")):
        R.lyapunov_spectrum(m, x)
    x1 = torch.zeros(6, 3, dtype=torch.float64)       # one unbatched sequence
    x1[4, 0] = float("inf")
    with pytest.raises(ValueError, match=re.escape("inputs[4, 0] = inf")):
        R.lyapunov_spectrum(m, x1)


def test_lyapunov_spectrum_names_bad_h0_parameter_and_frame0():
    m = _lstm(L=2)
    x = torch.zeros(6, 2, 3, dtype=torch.float64)
    h = torch.zeros(2, 2, 4, dtype=torch.float64)
    c = torch.zeros(2, 2, 4, dtype=torch.float64)
    c[1, 0, 2] = float("inf")
    with pytest.raises(ValueError, match=re.escape("h0[1][1, 0, 2] = inf")):
        R.lyapunov_spectrum(m, x, h0=(h, c))
    f0 = torch.eye(16, 2, dtype=torch.float64)
    f0[7, 1] = float("nan")
    with pytest.raises(ValueError, match=re.escape("frame0[7, 1] = nan")):
        R.lyapunov_spectrum(m, x, k=2, frame0=f0)
    with torch.no_grad():
        m.weight_hh_l1[9, 3] = float("nan")
    with pytest.raises(ValueError, match=re.escape("rnn.weight_hh_l1[9, 3] = nan")):
        R.lyapunov_spectrum(m, x)


def test_parameter_that_overflows_in_the_compute_dtype():
    torch.manual_seed(0)
    m = nn.GRU(2, 3).double()
    with torch.no_grad():
        m.bias_hh_l0[4] = 1e300                        # finite in float64, inf in float32
    x = torch.zeros(5, 1, 2, dtype=torch.float64)
    R.lyapunov_spectrum(m, x)                          # fine in float64
    # reported with the value the caller gave, not the inf it becomes after the cast
    with pytest.raises(ValueError, match=re.escape("rnn.bias_hh_l0[4] = 1e+300 overflows it")):
        R.lyapunov_spectrum(m, x, dtype=torch.float32)


def test_jacobian_refuses_non_finite_arguments():
    m = _lstm()
    x = torch.zeros(2, 3, dtype=torch.float64)
    x[1, 2] = float("nan")
    with pytest.raises(ValueError, match=re.escape("x_t[1, 2] = nan")):
        R.jacobian(m, x)
    h = torch.zeros(1, 2, 4, dtype=torch.float64)
    h[0, 1, 3] = float("-inf")
    with pytest.raises(ValueError, match=re.escape("h0[0][0, 1, 3] = -inf")):
        R.jacobian(m, torch.zeros(2, 3, dtype=torch.float64), (h, torch.zeros_like(h)))
    with torch.no_grad():
        m.weight_ih_l0[0, 0] = float("inf")
    with pytest.raises(ValueError, match=re.escape("rnn.weight_ih_l0[0, 0] = inf")):
        R.jacobian(m, torch.zeros(2, 3, dtype=torch.float64))


def test_lyapunov_spectrum_step_refuses_non_finite_arguments():
    step = lambda s, x: torch.tanh(s + x)             # noqa: E731
    s0 = torch.zeros(2, 3)
    s0[1, 1] = float("nan")
    with pytest.raises(ValueError, match=re.escape("h0[1, 1] = nan")):
        R.lyapunov_spectrum_step(step, s0, torch.zeros(4, 2, 3))
    x = torch.zeros(4, 2, 3)
    x[3, 0, 2] = float("inf")
    with pytest.raises(ValueError, match=re.escape("inputs[3, 0, 2] = inf")):
        R.lyapunov_spectrum_step(step, torch.zeros(2, 3), x)
    f0 = torch.eye(3, 1)
    f0[2, 0] = float("nan")
    with pytest.raises(ValueError, match=re.escape("frame0[2, 0] = nan")):
        R.lyapunov_spectrum_step(step, torch.zeros(2, 3), torch.zeros(4, 2, 3), k=1, frame0=f0)


# ----------------------------------------------------------------------------
# torch engine: trajectories that become non-finite
# ----------------------------------------------------------------------------

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
