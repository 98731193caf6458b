"""Tests for lyaplearn.recurrent._jacobian: the one-step Jacobian of the engine's cells against
``torch.autograd.functional.jacobian`` of the module's own forward pass (one step, whole state;
tests/_helpers/recurrent_reference.py)."""

from __future__ import annotations

import copy

import pytest
import torch

from lyaplearn import recurrent as R
from _helpers.recurrent_reference import autograd_jac, make, ref_unflatten

pytestmark = pytest.mark.fp_sensitive

torch.set_num_threads(1)


ARCHS = ["rnn_tanh", "rnn_relu", "gru", "lstm"]


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("L", [1, 2, 3])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("batch_first", [False, True])
def test_jacobian_matches_autograd(arch, L, bias, batch_first):
    m = make(arch, L=L, bias=bias, batch_first=batch_first, seed=L + 3 * bias, scale=0.8)
    lstm = arch == "lstm"
    B, H = 2, m.hidden_size
    g = torch.Generator().manual_seed(1)
    x = torch.randn(B, 3, generator=g, dtype=torch.float64)
    D = (2 if lstm else 1) * L * H
    flat = 0.5 * torch.randn(B, D, generator=g, dtype=torch.float64)
    if arch == "rnn_relu":
        flat = flat.abs()
    st = ref_unflatten(flat, L, H, lstm)
    J = R.jacobian(m, x, st)
    assert J.shape == (B, D, D)
    J_ref = autograd_jac(m, x, flat, lstm)
    torch.testing.assert_close(J, J_ref, rtol=1e-10, atol=1e-12)
    # block lower-triangular by layer
    nb = D // L
    for i in range(L):
        for j in range(i + 1, L):
            assert torch.all(J[:, i * nb:(i + 1) * nb, j * nb:(j + 1) * nb] == 0)


@pytest.mark.parametrize("L", [1, 2])
def test_hidden_only_jacobian_matches_autograd(L):
    m = make("lstm", L=L, seed=5, scale=0.9)
    g = torch.Generator().manual_seed(2)
    x = torch.randn(3, 3, generator=g, dtype=torch.float64)
    flat = 0.5 * torch.randn(3, 2 * L * 4, generator=g, dtype=torch.float64)
    J = R.jacobian(m, x, ref_unflatten(flat, L, 4, True), state="hidden")
    torch.testing.assert_close(J, autograd_jac(m, x, flat, True, hidden_only=True),
                               rtol=1e-10, atol=1e-12)


def test_jacobian_float32_module():
    m = make("gru", dtype=torch.float32, scale=0.7)
    x = torch.randn(2, 3)
    J = R.jacobian(m, x, None)
    assert J.dtype == torch.float32
    m64 = copy.deepcopy(m).double()
    J64 = autograd_jac(m64, x.double(), torch.zeros(2, 4, dtype=torch.float64), False)
    torch.testing.assert_close(J.double(), J64, rtol=1e-5, atol=1e-6)
