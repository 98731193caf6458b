"""Argument checks shared by the remedies of chapter 8 (numbers, activations, weight stacks)."""

from __future__ import annotations

import numpy as np

from .._activations import supported


_ACTIVATIONS = supported("tanh", "linear")


# ---------------------------------------------------------------------------
# input checking
# ---------------------------------------------------------------------------

def _check_activation(activation) -> str:
    if activation not in _ACTIVATIONS:
        raise ValueError(f"activation must be one of {_ACTIVATIONS}, got {activation!r}")
    return activation


def _square_stack(weights, name: str = "weights") -> list[np.ndarray]:
    Ws = [np.asarray(W, dtype=float) for W in weights]
    if not Ws:
        raise ValueError(f"{name} must contain at least one matrix, got none")
    n = Ws[0].shape[0] if Ws[0].ndim == 2 else -1
    for i, W in enumerate(Ws):
        if W.ndim != 2 or W.shape != (n, n) or n == 0:
            raise ValueError(f"{name} must be square matrices of one shape; {name}[0] has "
                             f"shape {Ws[0].shape}, {name}[{i}] has shape {W.shape}")
        if not np.isfinite(W).all():
            raise ValueError(f"{name}[{i}] must contain only finite numbers")
    return Ws


def _vector(x, n: int, name: str = "x") -> np.ndarray:
    v = np.asarray(x, dtype=float)
    if v.shape != (n,) or not np.isfinite(v).all():
        raise ValueError(f"{name} must be a finite vector of length {n}, got shape {v.shape}")
    return v


def _biases(biases, n: int, depth: int) -> list[np.ndarray]:
    if biases is None:
        return [np.zeros(n)] * depth
    bs = list(biases)
    if len(bs) != depth:
        raise ValueError(f"biases must have one vector per layer ({depth}), got {len(bs)}")
    return [_vector(b, n, f"biases[{i}]") for i, b in enumerate(bs)]
