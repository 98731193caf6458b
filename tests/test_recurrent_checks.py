"""Tests for lyaplearn.recurrent._checks: bad input to the engine is refused up front, with a
message naming the argument and what was expected (issues 18 and 27).

Each case once went through silently or failed deep inside torch: complex tensors lost their
imaginary part, unsupported dtypes truncated the weights, a value that overflows only after the
cast was reported as ``inf``, a subclass that overrides ``forward`` was read as its parent. The
integer checks, which do not depend on floating-point details, are in
tests/test_recurrent_checks_integers.py. A non-finite argument is named with its first bad
index, in the caller's layout (indices worked out by hand).
"""

from __future__ import annotations

import re

import pytest
import torch
from torch import nn

from lyaplearn import recurrent as R
from _helpers.engine_inputs import X, lstm
from _helpers.recurrent_reference import make

pytestmark = pytest.mark.fp_sensitive

torch.set_num_threads(1)


def test_complex_inputs_initial_state_and_frame_are_refused():
    m = lstm()
    with pytest.raises(ValueError, match="inputs must be real, got a complex tensor"):
        R.lyapunov_spectrum(m, X().to(torch.complex128))
    h = torch.zeros(1, 2, 4, dtype=torch.complex128)
    with pytest.raises(ValueError, match=re.escape("h0[0] must be real")):
        R.lyapunov_spectrum(m, X(), h0=(h, h.real))
    with pytest.raises(ValueError, match="frame0 must be real"):
        R.lyapunov_spectrum(m, X(), k=2, frame0=torch.eye(8, 2, dtype=torch.complex128))
    with pytest.raises(ValueError, match="x_t must be real"):
        R.jacobian(m, torch.zeros(2, 3, dtype=torch.complex128))
    step = R.make_step(m)
    with pytest.raises(ValueError, match="h0 must be real"):
        R.lyapunov_spectrum_step(step, torch.zeros(2, 8, dtype=torch.complex128), X())


@pytest.mark.parametrize("dtype", [torch.int64, torch.float16, torch.bfloat16, torch.complex64])
def test_unsupported_compute_dtypes_are_refused_up_front(dtype):
    m = lstm()
    before = m.weight_hh_l0.detach().clone()
    with pytest.raises(ValueError, match="dtype must be torch.float32 or torch.float64"):
        R.lyapunov_spectrum(m, X(), dtype=dtype)
    assert torch.equal(m.weight_hh_l0, before)           # nothing was truncated or cast


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_a_half_precision_module_is_asked_for_a_compute_dtype(dtype):
    m = lstm().to(dtype)
    with pytest.raises(ValueError, match=r"rnn's parameters must be float32 or float64 .* "
                                         r"pass dtype=torch.float32"):
        R.lyapunov_spectrum(m, X(dtype=dtype))
    res = R.lyapunov_spectrum(m, X(dtype=dtype), dtype=torch.float32)   # the way out works
    assert res.exponents.dtype == torch.float32


def test_a_value_that_overflows_only_after_the_cast_is_reported_as_given():
    m = lstm(torch.float32)
    x = X(dtype=torch.float64)
    x[3, 1, 2] = 1e39                                    # finite in float64, inf in float32
    with pytest.raises(ValueError, match=re.escape("inputs[3, 1, 2] = 1e+39 overflows it")):
        R.lyapunov_spectrum(m, x)
    h = torch.zeros(1, 2, 4, dtype=torch.float64)
    h[0, 1, 3] = -1e40
    with pytest.raises(ValueError, match=re.escape("h0[0][0, 1, 3] = -1e+40 overflows it")):
        R.lyapunov_spectrum(m, X(dtype=torch.float32), h0=(h, torch.zeros_like(h)))


def test_frame_choices_are_checked():
    with pytest.raises(ValueError, match="frame must be one of 'forward', 'transpose'"):
        R.lyapunov_spectrum(lstm(), X(), frame="backward")
    with pytest.raises(ValueError, match="method='formed' applies to frame='forward' only"):
        R.lyapunov_spectrum(lstm(), X(), frame="transpose", method="formed")
    with pytest.raises(ValueError, match="frame must be one of"):
        R.lyapunov_spectrum_step(R.make_step(lstm()), torch.zeros(2, 8, dtype=torch.float64),
                                 X(), frame="T")


def test_a_module_or_input_on_the_meta_device_is_refused_by_name():
    meta = nn.LSTM(3, 4, device="meta", dtype=torch.float64)
    with pytest.raises(ValueError, match=r"rnn\.weight_ih_l0 is on the meta device: it has a "
                                         r"shape but no values.*to_empty"):
        R.lyapunov_spectrum(meta, X())
    with pytest.raises(ValueError, match="rnn.weight_ih_l0 is on the meta device"):
        R.jacobian(meta, torch.zeros(2, 3, dtype=torch.float64))
    with pytest.raises(ValueError, match="inputs is on the meta device"):
        R.lyapunov_spectrum(lstm(), X().to("meta"))
    with pytest.raises(ValueError, match="h0 is on the meta device"):
        R.lyapunov_spectrum(nn.GRU(3, 4, dtype=torch.float64), X(),
                            h0=torch.zeros(1, 2, 4, device="meta", dtype=torch.float64))


class DoubledGRU(nn.GRU):
    """A GRU that reads twice its input: not what torch's GRU equations compute."""

    def forward(self, x, h=None):
        return super().forward(2 * x, h)


class NamedLSTM(nn.LSTM):
    """A subclass that only adds an attribute: torch's LSTM equations still hold."""

    label = "encoder"


@pytest.mark.parametrize("base", [nn.RNN, nn.GRU, nn.LSTM])
def test_a_subclass_that_overrides_forward_is_refused(base):
    cls = type("Custom" + base.__name__, (base,),
               {"forward": lambda self, x, h=None: base.forward(self, 2 * x, h)})
    m = cls(3, 4, dtype=torch.float64)
    for call in (lambda: R.lyapunov_spectrum(m, X()),
                 lambda: R.jacobian(m, torch.zeros(2, 3, dtype=torch.float64)),
                 lambda: R.make_step(m), lambda: R.SpectrumMonitor(m, X())):
        with pytest.raises(ValueError, match=f"rnn is a Custom{base.__name__}, a subclass of "
                                             f"torch.nn.{base.__name__} that overrides forward"):
            call()
    with pytest.raises(ValueError, match="overrides forward.*lyapunov_spectrum_step"):
        R.lyapunov_spectrum(DoubledGRU(3, 4, dtype=torch.float64), X())


def test_a_subclass_that_keeps_forward_is_read_as_its_parent():
    torch.manual_seed(0)
    m = NamedLSTM(3, 4, dtype=torch.float64)
    plain = nn.LSTM(3, 4, dtype=torch.float64)
    plain.load_state_dict(m.state_dict())
    a, b = R.lyapunov_spectrum(m, X(T=20)), R.lyapunov_spectrum(plain, X(T=20))
    assert torch.equal(a.exponents, b.exponents)


def test_bad_inputs():
    X = torch.randn(5, 2, 3, dtype=torch.float64)
    with pytest.raises(ValueError, match="bidirectional"):
        R.lyapunov_spectrum(nn.LSTM(3, 4, bidirectional=True), X.float())
    with pytest.raises(ValueError, match="proj_size"):
        R.lyapunov_spectrum(nn.LSTM(3, 4, proj_size=2), X.float())
    with pytest.raises(ValueError, match="rnn must be a torch.nn.RNN, GRU or LSTM"):
        R.lyapunov_spectrum(nn.Linear(3, 4), X)
    m = make("lstm", L=2)
    with pytest.raises(ValueError, match=r"inputs must have 2 .* got shape \(5,\)"):
        R.lyapunov_spectrum(m, torch.randn(5))
    with pytest.raises(ValueError, match=r"inputs must be \(seq_len, batch, input_size\) "
                                         r"with input_size=3, got shape \(5, 2, 7\)"):
        R.lyapunov_spectrum(m, torch.randn(5, 2, 7))
    with pytest.raises(ValueError, match=r"h0 must have shape \(2, 2, 4\).*got shape \(1, 2, 4\)"):
        R.lyapunov_spectrum(m, X, h0=(torch.zeros(1, 2, 4), torch.zeros(1, 2, 4)))
    with pytest.raises(ValueError, match="h0 must be a tuple"):
        R.lyapunov_spectrum(m, X, h0=torch.zeros(2, 2, 4))
    with pytest.raises(ValueError, match=r"k must be an integer in \[1, D=16\].*got 17"):
        R.lyapunov_spectrum(m, X, k=17)
    with pytest.raises(ValueError, match=r"k must be .* got 0"):
        R.lyapunov_spectrum(m, X, k=0)
    with pytest.raises(ValueError, match="state must be one of 'full', 'hidden', got 'cell'"):
        R.lyapunov_spectrum(m, X, state="cell")
    with pytest.raises(ValueError, match="units must be one of"):
        R.lyapunov_spectrum(m, X, units="decibels")
    with pytest.raises(ValueError, match="reortho_every must be a positive integer, got 0"):
        R.lyapunov_spectrum(m, X, reortho_every=0)
    with pytest.raises(ValueError, match="warmup \\+ frame_warmup must be smaller .* T=5"):
        R.lyapunov_spectrum(m, X, warmup=3, frame_warmup=2)
    with pytest.raises(ValueError, match="method='formed' needs"):
        R.lyapunov_spectrum(make("rnn_tanh"), X, method="formed")
    with pytest.raises(ValueError, match=r"frame0 must be a tensor \(16, 3\)"):
        R.lyapunov_spectrum(m, X, k=3, frame0=torch.zeros(16, 4))
    with pytest.raises(ValueError, match=r"x_t must be a tensor \(batch, input_size=3\), "
                                         r"got \(2, 5\)"):
        R.jacobian(m, torch.zeros(2, 5), None)
    with pytest.raises(ValueError, match=r"h0 must have shape \(2, 2, 4\).*got shape"):
        R.jacobian(make("gru", L=2), torch.zeros(2, 3), torch.zeros(2, 3, 4))
    with pytest.raises(ValueError, match="h0 must be a tensor"):
        R.lyapunov_spectrum_step(lambda s, x: s, torch.zeros(3), X)
    with pytest.raises(ValueError, match=r"inputs must be a time-major tensor \(T, batch=4"):
        R.lyapunov_spectrum_step(lambda s, x: s, torch.zeros(4, 2), X)
    with pytest.raises(ValueError, match="every must be a positive integer"):
        R.SpectrumMonitor(m, X, every=0)
    with pytest.raises(ValueError, match="p must be a finite real number > 0"):
        R.init_uniform(m, -1.0)


# --- a non-finite argument is named with its first bad index ---------------------------------

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
