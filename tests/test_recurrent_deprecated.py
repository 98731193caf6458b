"""The engine's old names still work for one release, and warn (``recurrent/_deprecated.py``).

Each old spelling must give exactly what the new one gives, with a ``DeprecationWarning``
(a renamed argument or attribute) or a ``FutureWarning`` (a result whose behaviour
changes); passing both the old and the new name is an error.
"""

from __future__ import annotations

import warnings

import pytest
import torch
from torch import nn

from lyaplearn import recurrent as R

pytestmark = pytest.mark.fp_insensitive

torch.set_num_threads(1)


def lstm():
    torch.manual_seed(0)
    return nn.LSTM(3, 4, num_layers=2, dtype=torch.float64)


def state_and_input():
    g = torch.Generator().manual_seed(1)
    h, c = (0.5 * torch.randn(2, 2, 4, generator=g, dtype=torch.float64) for _ in range(2))
    return (h, c), torch.randn(2, 3, generator=g, dtype=torch.float64)


def test_jacobian_convention_is_now_state():
    m, (hc, x) = lstm(), state_and_input()
    with pytest.warns(DeprecationWarning, match="convention= is deprecated.*use state="):
        old = R.jacobian(m, x, hc, convention="hidden")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        new = R.jacobian(m, x, hc, state="hidden")
    assert old.shape == (2, 8, 8) and torch.equal(old, new)
    with pytest.raises(TypeError, match="not both"), pytest.warns(DeprecationWarning):
        R.jacobian(m, x, hc, state="hidden", convention="full")


def test_jacobian_initial_state_keyword_is_now_h0():
    m, (hc, x) = lstm(), state_and_input()
    with pytest.warns(DeprecationWarning, match="state= for the initial state.*use h0="):
        old = R.jacobian(m, x, state=hc)
    assert torch.equal(old, R.jacobian(m, x, h0=hc))
    assert old.shape == (2, 16, 16)              # the full state: state="full" is the default
    with pytest.warns(DeprecationWarning):
        zero = R.jacobian(m, x, state=None)
    assert torch.equal(zero, R.jacobian(m, x))
    with pytest.raises(TypeError, match="h0= only"), pytest.warns(DeprecationWarning):
        R.jacobian(m, x, hc, state=hc)


def test_step_state0_is_now_h0():
    m = lstm()
    step, X = R.make_step(m), torch.randn(12, 2, 3, dtype=torch.float64)
    s0 = torch.zeros(2, 16, dtype=torch.float64)
    with pytest.warns(DeprecationWarning, match="state0= is deprecated.*use h0="):
        old = R.lyapunov_spectrum_step(step, state0=s0, inputs=X, k=3)
    new = R.lyapunov_spectrum_step(step, h0=s0, inputs=X, k=3)
    assert torch.equal(old.exponents, new.exponents)
    assert torch.equal(R.lyapunov_spectrum_step(step, s0, X, k=3).exponents, new.exponents)
    with pytest.raises(TypeError, match="not both"), pytest.warns(DeprecationWarning):
        R.lyapunov_spectrum_step(step, s0, X, state0=s0)
    with pytest.raises(TypeError, match="missing required argument.*inputs"):
        R.lyapunov_spectrum_step(step, s0)


def test_result_convention_is_now_state():
    res = R.lyapunov_spectrum(lstm(), torch.zeros(6, 2, 3, dtype=torch.float64), state="hidden")
    assert res.state == "hidden"
    with pytest.warns(DeprecationWarning, match="SpectrumResult.convention is deprecated"):
        assert res.convention == "hidden"


def test_the_package_docstring_table_of_old_names_lists_every_alias():
    from lyaplearn.recurrent import _deprecated
    for old in ("convention=", "state=(h, c)", "state0=", "SpectrumResult.convention",
                'features["max"]', "kaplan_yorke"):
        assert old in _deprecated.__doc__, old
