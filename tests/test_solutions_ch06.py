"""The chapter-6 coding exercise against torch autograd of the module itself."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from lyaplearn import recurrent
from lyaplearn.solutions import ch06

pytestmark = pytest.mark.fp_sensitive


@pytest.mark.parametrize("bias", [True, False])
def test_gru_jacobian_matches_autograd(bias):
    torch.manual_seed(0)
    gru = nn.GRU(3, 5, bias=bias).double()
    x = torch.randn(4, 3, dtype=torch.float64)
    h = 0.7 * torch.randn(4, 5, dtype=torch.float64)
    J = ch06.gru_jacobian(gru, x, h)

    def f(hh):
        return gru(x.unsqueeze(0), hh.unsqueeze(0))[1][0]
    Ja = torch.autograd.functional.jacobian(f, h)          # (B, H, B, H)
    Ja = torch.stack([Ja[b, :, b] for b in range(4)])
    torch.testing.assert_close(J, Ja, rtol=1e-12, atol=1e-12)


def test_gru_jacobian_rejects_stacked():
    with pytest.raises(ValueError, match="gru must be one-layer"):
        ch06.gru_jacobian(nn.GRU(3, 5, num_layers=2), torch.zeros(1, 3), torch.zeros(1, 5))


def test_period_two_agrees_on_a_generic_orbit_where_period_three_does_not():
    """Exercise ex-ch6-period (b): on a generic orbit the check can fail.

    The network's period-2 exponents are distinct (their closed form, the eigenvalues of the
    period's product, says so), so the agreement of the two conventions is not the trivial
    one of equal exponents; the same network under period-3 input disagrees.
    """
    rnn = recurrent.convention_gap_rnn(n=3, g=1.5, sigma=1.5, seed=2)
    X2 = torch.eye(3, dtype=torch.float64)[:2].repeat(150, 1).unsqueeze(1)
    closed = recurrent.period_exponents(rnn, X2, period=2, warmup=60)
    assert np.all(np.diff(closed["forward"]) < -0.3)           # three distinct exponents
    two = ch06.period_conventions(rnn, 2)
    assert two["gap"] < 1e-6
    np.testing.assert_allclose(two["forward"], closed["forward"], atol=1e-3)
    assert ch06.period_conventions(rnn, 3)["gap"] > 0.03
    # the chapter's period3_rnn cannot tell: its period-2 products are monomial matrices,
    # all three exponents are equal, and any order of the factors agrees
    rnn3, _ = recurrent.period3_rnn()
    assert np.ptp(recurrent.period_exponents(rnn3, X2, period=2, warmup=60)["forward"]) < 1e-12
    with pytest.raises(ValueError, match="period must be at most the input size"):
        ch06.period_conventions(rnn, 4)
