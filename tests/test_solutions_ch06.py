"""The chapter-6 coding exercise against torch autograd of the module itself."""

from __future__ import annotations

import pytest
import torch
from torch import nn

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
