"""The chapter-2 coding exercise's reference solution against torch autograd."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lyaplearn.solutions.ch02 import tanh_mlp_backward

pytestmark = pytest.mark.fp_insensitive


@pytest.mark.parametrize("widths", [[3, 5, 2], [6, 8, 8, 8, 4], [1, 1]])
def test_tanh_mlp_backward_matches_autograd(widths):
    rng = np.random.default_rng(len(widths))
    ws = [1.5 * rng.standard_normal((m, n)) / np.sqrt(n) for n, m in zip(widths[:-1], widths[1:])]
    bs = [0.3 * rng.standard_normal(m) for m in widths[1:]]
    x, y = rng.standard_normal(widths[0]), rng.standard_normal(widths[-1])

    wt = [torch.tensor(w, requires_grad=True) for w in ws]
    bt = [torch.tensor(b, requires_grad=True) for b in bs]
    h = torch.tensor(x, requires_grad=True)
    hs = [h]
    for w, b in zip(wt, bt):
        h = torch.tanh(w @ h + b)
        h.retain_grad()
        hs.append(h)
    loss = 0.5 * ((h - torch.tensor(y)) ** 2).sum()
    loss.backward()

    dW, db, deltas = tanh_mlp_backward(ws, bs, x, y)
    assert len(dW) == len(db) == len(ws) and len(deltas) == len(ws) + 1
    for g, t in zip(dW, wt):
        np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-11, atol=1e-14)
    for g, t in zip(db, bt):
        np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-11, atol=1e-14)
    for d, t in zip(deltas, hs):
        np.testing.assert_allclose(d, t.grad.numpy(), rtol=1e-11, atol=1e-14)


def test_tanh_mlp_backward_bad_input():
    ws, bs = [np.ones((2, 3))], [np.zeros(2)]
    with pytest.raises(ValueError, match=r"layer 1: weights\[0\] has shape \(2, 3\).*size 4"):
        tanh_mlp_backward(ws, bs, np.ones(4), np.ones(2))
    with pytest.raises(ValueError, match=r"y must have shape \(2,\), got shape \(3,\)"):
        tanh_mlp_backward(ws, bs, np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match="one vector per layer: got 0 biases for 1"):
        tanh_mlp_backward(ws, [], np.ones(3), np.ones(2))
