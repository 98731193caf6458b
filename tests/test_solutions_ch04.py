"""The chapter-4 coding exercise's reference solution against torch autograd."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lyaplearn.solutions.ch04 import tanh_rnn_bptt

pytestmark = pytest.mark.fp_sensitive


def _problem(n=5, n_in=2, T=9, seed=0):
    rng = np.random.default_rng(seed)
    return (1.3 * rng.standard_normal((n, n)) / np.sqrt(n), rng.standard_normal((n, n_in)),
            0.2 * rng.standard_normal(n), rng.standard_normal((T, n_in)),
            0.5 * rng.standard_normal(n), rng.standard_normal(n))


@pytest.mark.parametrize("shape", [(5, 2, 9), (3, 1, 1), (8, 4, 20)])
def test_tanh_rnn_bptt_matches_autograd(shape):
    W, U, b, xs, h0, y = _problem(*shape, seed=sum(shape))
    T = xs.shape[0]
    # one copy of W per step, so autograd reports each step's contribution separately
    Ws = [torch.tensor(W, requires_grad=True) for _ in range(T)]
    Ut, bt = torch.tensor(U, requires_grad=True), torch.tensor(b, requires_grad=True)
    h = torch.tensor(h0, requires_grad=True)
    hs = [h]
    for t in range(T):
        h = torch.tanh(Ws[t] @ h + Ut @ torch.tensor(xs[t]) + bt)
        h.retain_grad()
        hs.append(h)
    loss = 0.5 * ((h - torch.tensor(y)) ** 2).sum()
    loss.backward()

    out = tanh_rnn_bptt(W, U, b, xs, h0, y)
    tol = dict(rtol=1e-11, atol=1e-14)
    np.testing.assert_allclose(out["deltas"], np.array([v.grad.numpy() for v in hs]), **tol)
    np.testing.assert_allclose(out["dW_steps"], np.array([w.grad.numpy() for w in Ws]), **tol)
    np.testing.assert_allclose(out["dW"], sum(w.grad for w in Ws).numpy(), **tol)
    np.testing.assert_allclose(out["dU"], Ut.grad.numpy(), **tol)
    np.testing.assert_allclose(out["db"], bt.grad.numpy(), **tol)


def test_tanh_rnn_bptt_shared_W_gradient_equals_autograd_of_single_W():
    W, U, b, xs, h0, y = _problem(seed=3)
    Wt = torch.tensor(W, requires_grad=True)
    h = torch.tensor(h0)
    for x in xs:
        h = torch.tanh(Wt @ h + torch.tensor(U) @ torch.tensor(x) + torch.tensor(b))
    (0.5 * ((h - torch.tensor(y)) ** 2).sum()).backward()
    np.testing.assert_allclose(tanh_rnn_bptt(W, U, b, xs, h0, y)["dW"], Wt.grad.numpy(),
                               rtol=1e-11, atol=1e-14)


def test_tanh_rnn_bptt_bad_input():
    W, U, b, xs, h0, y = _problem()
    with pytest.raises(ValueError, match=r"W must be a square matrix, got shape \(5, 4\)"):
        tanh_rnn_bptt(W[:, :4], U, b, xs, h0, y)
    with pytest.raises(ValueError, match=r"got U \(5, 3\) and xs \(9, 2\)"):
        tanh_rnn_bptt(W, np.ones((5, 3)), b, xs, h0, y)
    with pytest.raises(ValueError, match=r"y must have shape \(5,\), got shape \(2,\)"):
        tanh_rnn_bptt(W, U, b, xs, h0, y[:2])
