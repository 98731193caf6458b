"""No silent NaN in chapter 5's numpy modules (lyaplearn.lyapunov, lyaplearn.maps): non-finite
inputs are refused, with the argument and the first bad index, and a trajectory that becomes
non-finite is reported with its time step. (The engine's: tests/test_recurrent_checks.py for its
arguments, tests/test_recurrent_nonfinite.py for its trajectories.)

Every expected index and time step is worked out by hand in the test (for the overflows:
the step at which 2**(t+1) or 10**(2**t) first exceeds the largest float), never taken from
the code under test.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from lyaplearn import lyapunov as L
from lyaplearn import maps as M

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
