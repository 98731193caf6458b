"""The chapter-10 coding exercises against closed forms, the library's flosser and autograd."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from lyaplearn import longdelay as ld
from lyaplearn.flossing import floss
from lyaplearn.solutions import ch10

pytestmark = pytest.mark.fp_sensitive

torch.set_num_threads(1)


@pytest.mark.parametrize("a0", [2.0, 0.5, -3.0])
def test_floss_scalar_is_the_library_flosser_with_plain_gradient_descent(a0):
    rnn = torch.nn.RNN(1, 1, bias=False, dtype=torch.float64)
    with torch.no_grad():
        rnn.weight_hh_l0.fill_(a0)
    opt = torch.optim.SGD(rnn.parameters(), lr=0.05)
    hist = floss(rnn, torch.zeros(6, 1, 1, dtype=torch.float64), steps=30, optimizer=opt)
    a = ch10.floss_scalar(a0, 0.05, 30)
    assert a.shape == (31,)
    assert rnn.weight_hh_l0.item() == pytest.approx(a[-1], rel=1e-10)
    # the loss history is ln(|a_n|)^2 before each step
    assert np.allclose(hist.loss, np.log(np.abs(a[:-1])) ** 2, rtol=1e-10)
    # and the fixed point |a| = 1 is approached
    assert abs(abs(a[-1]) - 1) < abs(abs(a0) - 1)


def test_floss_scalar_bad_input():
    with pytest.raises(ValueError, match="a0"):
        ch10.floss_scalar(0.0, 0.1, 3)
    with pytest.raises(ValueError, match="steps"):
        ch10.floss_scalar(1.0, 0.1, -1)


def test_gradient_to_start_is_the_readout_through_the_long_term_jacobian():
    torch.manual_seed(0)
    model = ld.DelayNet(6).double()
    x = ld.delayed_copy(3, 9, seed=2, dtype=torch.float64).inputs
    g = ch10.gradient_to_start(model, x)
    P = ld.long_term_jacobian(model.rnn, x)               # dh_T/dh_0, analytic
    w = model.head.weight.detach()[0]
    expect = torch.stack([(w @ P[b]).norm() for b in range(3)])
    assert torch.allclose(g, expect, rtol=1e-10)


@pytest.mark.parametrize("m", [1, 2, 3, 5])
def test_delayed_parity_against_its_closed_form(m):
    b = ch10.delayed_parity(200, 4, m, seed=1)
    assert b.inputs.shape == (200, 4 + m, 2)
    bits = b.inputs[:, :m, 0]
    assert torch.all(b.inputs[:, m:, 0] == 0)
    odd_minus = ((bits == -1).sum(1) % 2 == 1)
    assert torch.equal(b.targets, torch.where(odd_minus, 1.0, -1.0))
    if m == 2:   # the XOR's rule: +1 exactly when the two bits differ
        assert torch.equal(b.targets, torch.where(bits[:, 0] != bits[:, 1], 1.0, -1.0))
    assert abs(float(b.targets.mean())) < 4 / math.sqrt(200)
