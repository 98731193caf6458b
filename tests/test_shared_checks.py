"""Tests for the shared argument checks, constants and activation table (``lyaplearn/_checks.py``,
``_constants.py``, ``_activations.py``): every module that takes an integer applies the same rule
(Python and numpy integers accepted, bools and floats refused), every module that takes a real
number applies the same rule (Python and numpy numbers accepted, bools, nan, infinities and
non-numbers refused), and there is one LN2 and one activation table."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from lyaplearn import (_activations, _constants, conditioning, jacobians, lyapunov, maps, meanfield,
                       remedies, rnn, scalar)
from lyaplearn import flossing, longdelay, training
from lyaplearn._checks import _check_float, _check_int
from lyaplearn.recurrent import SpectrumMonitor
from lyaplearn.teacher.sandbox import Limits
from lyaplearn.recurrent import _result as recurrent_result

pytestmark = pytest.mark.fp_insensitive

# One call per module that checks an integer argument ``n``; each returns something whose
# shape or length shows the integer was read (n = 3).
CALLS = {
    "lyapunov.random_frame": (lambda n: lyapunov.random_frame(n, seed=0).shape, (3, 3)),
    "conditioning.init_weights": (lambda n: conditioning.init_weights(n, "he", rng=0).shape,
                                  (3, 3)),
    "rnn.power_norms": (lambda n: rnn.power_norms(np.eye(2), n).shape, (4,)),
    "scalar.gd_trajectory": (lambda n: scalar.gd_trajectory(0.5, 1.0, 1.0, n).shape, (4,)),
    "maps.random_orthogonal": (lambda n: maps.random_orthogonal(n, seed=0).shape, (3, 3)),
    "training.RunConfig": (lambda n: training.RunConfig(hidden=n).hidden, 3),
    "longdelay.delayed_copy": (lambda n: tuple(longdelay.delayed_copy(n, 2).inputs.shape[1:2]),
                               (3,)),
    "longdelay.wilson_interval": (lambda n: round(longdelay.wilson_interval(n, n)[1], 6), 1.0),
    "teacher.sandbox.Limits": (lambda n: Limits(processes=n).processes, 3),
    "longdelay.TrainConfig": (lambda n: longdelay.TrainConfig(hidden=n).hidden, 3),
    "flossing.Flosser": (lambda n: flossing.Flosser(torch.nn.RNN(1, 4), None, every=n).every, 3),
}


@pytest.mark.parametrize("where", sorted(CALLS))
def test_numpy_integers_are_integers_everywhere(where):
    call, expected = CALLS[where]
    assert call(3) == expected
    assert call(np.int64(3)) == expected and call(np.int32(3)) == expected


@pytest.mark.parametrize("where", sorted(CALLS))
@pytest.mark.parametrize("bad", [True, np.bool_(True), 3.0, "3", None])
def test_bools_floats_and_strings_are_refused_everywhere(where, bad):
    call, _ = CALLS[where]
    with pytest.raises(ValueError, match="must be"):
        call(bad)


def test_the_engine_reads_numpy_integers_too():
    assert SpectrumMonitor(torch.nn.RNN(2, 3), torch.zeros(1, 4, 2), every=np.int64(5)).every == 5
    with pytest.raises(ValueError, match="every must be a positive integer, got True"):
        SpectrumMonitor(torch.nn.RNN(2, 3), torch.zeros(1, 4, 2), every=True)


@pytest.mark.parametrize("minimum, wording", [(1, "a positive integer"),
                                              (0, "an integer >= 0"), (2, "an integer >= 2")])
def test_one_wording_names_argument_and_bound(minimum, wording):
    with pytest.raises(ValueError, match=f"^k must be {wording}, got -1$"):
        _check_int(-1, "k", minimum)
    assert _check_int(np.int16(minimum), "k", minimum) == minimum
    assert type(_check_int(np.int16(minimum), "k", minimum)) is int


# One call per module that checks a real argument, given 0.5 (exact in float32 too); each
# returns a closed form of it.
FLOAT_CALLS = {
    # sigma_b = 0, sigma_w < 1: the fixed point is q* = 0, where tanh' = 1, so chi1 = sigma_w^2
    "meanfield.chi1": (lambda v: meanfield.chi1(v, 0.0), 0.25),
    # r = 1 - eta a
    "scalar.contraction_factor": (lambda v: scalar.contraction_factor(v, 1.0), 0.5),
    # LeCun: gain^2 / fan_in
    "conditioning.weight_variance": (lambda v: conditioning.weight_variance("lecun", 4, gain=v),
                                     0.0625),
    # log(tolerance / eps) / lambda_max
    "remedies.horizon": (lambda v: remedies.horizon(v, 1e-3, 1.0), math.log(1e3) / 0.5),
    # |lambda_max| <= tol
    "lyapunov.regime": (lambda v: lyapunov.regime(-0.4, tol=v), "marginal"),
    "teacher.sandbox.Limits": (lambda v: Limits(call_seconds=v).call_seconds, 0.5),
    "longdelay.TrainConfig": (lambda v: longdelay.TrainConfig(lr=v).lr, 0.5),
}


@pytest.mark.parametrize("where", sorted(FLOAT_CALLS))
@pytest.mark.parametrize("value", [0.5, np.float64(0.5), np.float32(0.5), np.float16(0.5)])
def test_numpy_floats_are_numbers_everywhere(where, value):
    call, expected = FLOAT_CALLS[where]
    got = call(value)
    assert got == (pytest.approx(expected, rel=1e-12) if isinstance(expected, float) else expected)


@pytest.mark.parametrize("where", sorted(FLOAT_CALLS))
@pytest.mark.parametrize("bad", [True, np.bool_(False), math.nan, np.float64(np.nan), math.inf,
                                 -np.inf, "0.5", None, [0.5], 1j])
def test_bools_nans_infinities_and_non_numbers_are_refused_everywhere(where, bad):
    call, _ = FLOAT_CALLS[where]
    with pytest.raises(ValueError, match="must be a finite real number"):
        call(bad)


@pytest.mark.parametrize("value", [2, np.int64(2), np.int8(2), 2.0, np.float32(2.0), np.float64(2)])
def test_integers_and_floats_of_either_kind_become_a_float(value):
    for kw in ({}, {"positive": True}, {"nonneg": True}):
        got = _check_float(value, "x", **kw)
        assert got == 2.0 and type(got) is float


@pytest.mark.parametrize("options, wording, bad", [
    ({}, "a finite real number", math.inf),
    ({"positive": True}, "a finite real number > 0", 0.0),
    ({"nonneg": True}, "a finite real number >= 0", -1e-300),
    ({"positive": True, "none_ok": True}, "a finite real number > 0 or None", -1.0),
])
def test_one_float_wording_names_argument_and_bound(options, wording, bad):
    with pytest.raises(ValueError, match=f"^x must be {wording}, got {bad!r}$"):
        _check_float(bad, "x", **options)
    assert _check_float(0.0, "x", nonneg=True) == 0.0
    assert _check_float(-3.5, "x") == -3.5


def test_a_refused_non_number_is_named_with_its_type():
    bool_message = r"^lr must be a finite real number > 0, got True \(bool\)$"
    with pytest.raises(ValueError, match=bool_message):
        _check_float(True, "lr", positive=True)
    with pytest.raises(ValueError, match=r"^lr must be a finite real number, got '1' \(str\)$"):
        _check_float("1", "lr")
    assert _check_float(None, "lr", none_ok=True) is None
    with pytest.raises(ValueError, match=r"^lr must be a finite real number, got None"):
        _check_float(None, "lr")


def test_one_ln2():
    assert _constants.LN2 == math.log(2.0) and math.exp(_constants.LN2) == pytest.approx(2.0)
    assert lyapunov.LN2 is _constants.LN2 and recurrent_result.LN2 is _constants.LN2


def test_each_module_supports_a_subset_of_the_one_table():
    for subset in (scalar.ACTIVATIONS, jacobians.ACTIVATIONS, conditioning.ACTIVATIONS,
                   rnn.ACTIVATIONS):
        assert set(subset) <= set(_activations.ACTIVATIONS) and len(set(subset)) == len(subset)
    assert jacobians.ACTIVATIONS == _activations.ACTIVATIONS
    with pytest.raises(ValueError, match="unknown activations"):
        _activations.supported("tanh", "gelu")


@pytest.mark.parametrize("name", rnn.ACTIVATIONS)
def test_rnn_and_chapter_2_share_the_formulas(name):
    """A one-unit RNN with W = 1, no input, h0 = z: its Jacobian is sigma'(z), from the table."""
    for z in (-1.3, 0.0, 0.7):
        J = rnn.hidden_jacobians(np.eye(1), np.zeros((1, 1)), np.zeros(1), np.zeros((1, 1)),
                                 np.array([z]), name)[0]
        torch_z = torch.tensor(z, dtype=torch.float64, requires_grad=True)
        f = {"tanh": torch.tanh, "relu": torch.relu, "linear": lambda t: t}[name]
        (g,) = torch.autograd.grad(f(torch_z), torch_z)
        assert J[0, 0] == pytest.approx(g.item(), rel=1e-12, abs=0.0)
        assert J[0, 0] == jacobians.activation_derivative(np.array([z]), name)[0]
