"""Bad input to the engine is refused with a message naming the argument (issue 18, part 3).

Each case once went through silently or failed deep inside torch: complex
tensors lost their imaginary part, a non-orthonormal ``frame0`` gave a
meaningless exponent (or ``-inf``), unsupported dtypes truncated the weights,
a value that overflows only after the cast was reported as ``inf``, and dead
ReLU units made trailing exponents rounding noise without a word.
"""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pytest
import torch
from torch import nn

from lyaplearn import recurrent as R

pytestmark = pytest.mark.fp_sensitive

torch.set_num_threads(1)


def lstm(dtype=torch.float64, **kw):
    torch.manual_seed(0)
    return nn.LSTM(3, 4, dtype=dtype, **kw)


def X(T=12, B=2, dtype=torch.float64):
    return torch.randn(T, B, 3, generator=torch.Generator().manual_seed(1), dtype=dtype)


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


@pytest.mark.parametrize("frame0, what", [
    (torch.ones(8, 2, dtype=torch.float64), "ones"),
    (torch.zeros(8, 2, dtype=torch.float64), "zeros"),
    (2 * torch.eye(8, 2, dtype=torch.float64), "scaled"),
])
def test_a_frame_that_is_not_orthonormal_is_refused(frame0, what):
    with pytest.raises(ValueError, match=r"frame0 must have orthonormal columns \(Q\^T Q = I\)"):
        R.lyapunov_spectrum(lstm(), X(), k=2, frame0=frame0)


def test_an_orthonormal_frame_within_float32_rounding_is_accepted():
    Q = torch.linalg.qr(torch.randn(8, 3, dtype=torch.float64))[0].to(torch.float32)
    res = R.lyapunov_spectrum(lstm(torch.float32), X(dtype=torch.float32), k=3, frame0=Q)
    assert res.exponents.shape == (2, 3)


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


def dead_relu_rnn():
    """A ReLU RNN whose units 0-2 are always active and units 3, 4 always dead.

    With positive inputs into units 0-2, a positive recurrent block ``A`` among
    them and a bias of -100 on units 3 and 4, the Jacobian is the constant
    ``diag(1, 1, 1, 0, 0) W_hh``: exponents ``log|eig(A)|`` and two that are
    not rates at all.
    """
    m = nn.RNN(3, 5, nonlinearity="relu", dtype=torch.float64)
    A = torch.diag(torch.tensor([0.5, 0.4, 0.3], dtype=torch.float64)) + 0.05 * (1 - torch.eye(3))
    with torch.no_grad():
        for prm in m.parameters():
            prm.zero_()
        m.weight_hh_l0[:3, :3] = A
        m.weight_hh_l0[3:] = 0.7                      # would matter if the units were alive
        m.weight_ih_l0[:3] = torch.eye(3)
        m.bias_ih_l0[3:] = -100.0
    return m, A


def test_dead_relu_units_are_flagged_as_unresolved():
    m, A = dead_relu_rnn()
    x = X(T=200, B=3).abs() + 0.1
    with pytest.warns(RuntimeWarning, match="rounding noise, not rates"):
        res = R.lyapunov_spectrum(m, x, warmup=5, frame_warmup=60)   # aligned with A's eigenvectors
    assert res.unresolved.tolist() == [2, 2, 2]
    want = np.sort(np.log(np.abs(np.linalg.eigvals(A.numpy()))))[::-1]
    np.testing.assert_allclose(res.numpy()[:, :3], np.tile(want, (3, 1)), atol=1e-9)
    assert np.all(res.numpy()[:, 3:] < math.log(1e-10))


def test_a_healthy_network_has_no_unresolved_exponents_and_no_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = R.lyapunov_spectrum(lstm(), X(T=40), warmup=5)
    assert res.unresolved.tolist() == [0, 0]


def test_dropout_is_ignored_the_spectrum_is_of_the_deterministic_map():
    torch.manual_seed(0)
    m = nn.LSTM(3, 4, num_layers=2, dropout=0.5, dtype=torch.float64)
    plain = nn.LSTM(3, 4, num_layers=2, dtype=torch.float64)
    plain.load_state_dict(m.state_dict())
    m.train()
    a = R.lyapunov_spectrum(m, X(T=30), warmup=5)
    b = R.lyapunov_spectrum(plain.eval(), X(T=30), warmup=5)
    assert torch.equal(a.exponents, b.exponents)


def test_frame_choices_are_checked():
    with pytest.raises(ValueError, match="frame must be one of 'forward', 'transpose'"):
        R.lyapunov_spectrum(lstm(), X(), frame="backward")
    with pytest.raises(ValueError, match="method='formed' applies to frame='forward' only"):
        R.lyapunov_spectrum(lstm(), X(), frame="transpose", method="formed")
    with pytest.raises(ValueError, match="frame must be one of"):
        R.lyapunov_spectrum_step(R.make_step(lstm()), torch.zeros(2, 8, dtype=torch.float64),
                                 X(), frame="T")


# --- issue 27: inputs and modules the engine cannot read, and frames it can ----------------

def test_a_packed_sequence_is_refused_with_what_to_do_instead():
    from torch.nn.utils.rnn import pack_padded_sequence
    packed = pack_padded_sequence(X(T=6, B=2), [6, 4])
    with pytest.raises(ValueError, match="inputs must be a padded tensor, got a PackedSequence"
                                         ".*pad_packed_sequence"):
        R.lyapunov_spectrum(lstm(), packed)
    with pytest.raises(ValueError, match="inputs must be a tensor or an array of numbers, got "
                                         "list"):
        R.lyapunov_spectrum(lstm(), [[0.0, 1.0, 2.0], [0.0, 1.0]])


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


def test_a_float32_orthonormal_frame_is_accepted_under_float64_and_orthonormalised():
    # orthonormal to float32's accuracy (|Q^T Q - I| ~ 1e-7, far above float64's 1e-8 check):
    # accepted and orthonormalised again in float64, which is what the user would do
    Q64 = torch.linalg.qr(torch.randn(8, 3, generator=torch.Generator().manual_seed(2),
                                      dtype=torch.float64))[0]
    Q32 = Q64.to(torch.float32)
    assert (Q32.double().T @ Q32.double() - torch.eye(3, dtype=torch.float64)).abs().max() > 1e-8
    m = lstm()
    got = R.lyapunov_spectrum(m, X(T=30), k=3, frame0=Q32, sort=False)
    Q, Rm = torch.linalg.qr(Q32.double())               # what the user would do by hand
    Q = Q * torch.sign(torch.diagonal(Rm))
    want = R.lyapunov_spectrum(m, X(T=30), k=3, frame0=Q, sort=False)
    torch.testing.assert_close(got.exponents, want.exponents, rtol=0, atol=1e-13)
    # the float64 frame it was rounded from spans a subspace 1e-7 away: exponents within 1e-6
    same = R.lyapunov_spectrum(m, X(T=30), k=3, frame0=Q64, sort=False)
    torch.testing.assert_close(got.exponents, same.exponents, rtol=0, atol=1e-6)
    # a float32 frame that is not orthonormal even for float32 is still refused
    with pytest.raises(ValueError, match="frame0 must have orthonormal columns"):
        R.lyapunov_spectrum(m, X(), k=3, frame0=1.01 * Q32)
