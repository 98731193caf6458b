"""Reference solution for the coding exercise of chapter 4 (backpropagation through
time by hand)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["tanh_rnn_bptt"]


def tanh_rnn_bptt(W: ArrayLike, U: ArrayLike, b: ArrayLike, xs: ArrayLike,
                  h0: ArrayLike, y: ArrayLike) -> dict[str, np.ndarray]:
    """Backpropagation through time for ``h_t = tanh(W h_{t-1} + U x_t + b)``, by hand.

    The loss reads only the last state: ``L = 0.5 * ||h_T - y||^2``.

    Returns
    -------
    dict
        ``"deltas"``: rows ``dL/dh_t`` for ``t = 0..T``, shape ``(T + 1, n)``;
        ``"dW_steps"``: the contribution of each step ``t = 1..T`` to ``dL/dW``,
        shape ``(T, n, n)``; ``"dW"``, ``"dU"``, ``"db"``: the gradients. Because
        every step uses the same ``W``, ``dW`` is the sum of ``dW_steps``.
    """
    W, U = np.asarray(W, dtype=float), np.asarray(U, dtype=float)
    b, xs = np.asarray(b, dtype=float), np.asarray(xs, dtype=float)
    h0, y = np.asarray(h0, dtype=float), np.asarray(y, dtype=float)
    n = W.shape[0] if W.ndim == 2 else -1
    if W.ndim != 2 or W.shape != (n, n):
        raise ValueError(f"W must be a square matrix, got shape {W.shape}")
    if xs.ndim != 2 or U.shape != (n, xs.shape[1]):
        raise ValueError(f"U must have shape (n, n_in) and xs shape (T, n_in); "
                         f"got U {U.shape} and xs {xs.shape} with n = {n}")
    for name, v in (("b", b), ("h0", h0), ("y", y)):
        if v.shape != (n,):
            raise ValueError(f"{name} must have shape ({n},), got shape {v.shape}")
    # forward: keep every state
    hs = [h0]
    for x in xs:
        hs.append(np.tanh(W @ hs[-1] + U @ x + b))
    T = len(xs)
    deltas = np.empty((T + 1, n))
    deltas[T] = hs[T] - y
    dW_steps = np.empty((T, n, n))
    dU, db = np.zeros_like(U), np.zeros(n)
    for t in range(T, 0, -1):
        g = (1.0 - hs[t] ** 2) * deltas[t]     # dL/da_t
        dW_steps[t - 1] = np.outer(g, hs[t - 1])
        dU += np.outer(g, xs[t - 1])
        db += g
        deltas[t - 1] = W.T @ g                # = J_t^T dL/dh_t
    return {"deltas": deltas, "dW_steps": dW_steps, "dW": dW_steps.sum(axis=0),
            "dU": dU, "db": db}
