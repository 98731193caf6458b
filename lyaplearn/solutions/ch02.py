"""Reference solution for the coding exercise of chapter 2 (backpropagation by hand)."""

from __future__ import annotations

from typing import Sequence

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["tanh_mlp_backward"]


def tanh_mlp_backward(weights: Sequence[ArrayLike], biases: Sequence[ArrayLike],
                      x: ArrayLike, y: ArrayLike
                      ) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    """Backpropagation for a tanh MLP and the loss 0.5 * ||h_L - y||^2, by hand.

    Layers: ``z_l = W_l h_{l-1} + b_l``, ``h_l = tanh(z_l)``, ``h_0 = x``.

    Returns
    -------
    dW, db
        Gradients of the loss with respect to every ``W_l`` and ``b_l``.
    deltas
        ``[delta_0, ..., delta_L]`` with ``delta_l = dLoss/dh_l``.
    """
    ws = [np.asarray(w, dtype=float) for w in weights]
    bs = [np.asarray(b, dtype=float) for b in biases]
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(ws) != len(bs):
        raise ValueError(f"biases must have one vector per layer: got {len(bs)} biases "
                         f"for {len(ws)} weight matrices")
    # forward pass, keeping every h_l
    hs = [x]
    for i, (w, b) in enumerate(zip(ws, bs)):
        if w.ndim != 2 or w.shape[1] != hs[-1].shape[0] or b.shape != (w.shape[0],):
            raise ValueError(f"layer {i + 1}: weights[{i}] has shape {w.shape} and "
                             f"biases[{i}] shape {b.shape}, but the layer receives a "
                             f"vector of size {hs[-1].shape[0]}")
        hs.append(np.tanh(w @ hs[-1] + b))
    if y.shape != hs[-1].shape:
        raise ValueError(f"y must have shape {hs[-1].shape}, got shape {y.shape}")
    # backward pass: delta_{l-1} = J_l^T delta_l with J_l = diag(1 - h_l^2) W_l
    deltas = [hs[-1] - y]
    dW, db = [], []
    for w, h_out, h_in in zip(ws[::-1], hs[:0:-1], hs[-2::-1]):
        g = (1.0 - h_out ** 2) * deltas[-1]      # dLoss/dz_l
        dW.append(np.outer(g, h_in))
        db.append(g)
        deltas.append(w.T @ g)
    return dW[::-1], db[::-1], deltas[::-1]
