"""Reference solutions to chapter 8's coding exercises (remedies, each measured)."""

from __future__ import annotations

import math

import numpy as np
import torch

from .. import remedies

__all__ = ["layer_norm_affine_jacobian", "cayley", "measured_horizon"]


def layer_norm_affine_jacobian(z, gamma, eps: float = 0.0) -> np.ndarray:
    """Jacobian of ``y = gamma * LN(z) + beta``: ``nn.LayerNorm`` with its affine part.

    ``beta`` adds a constant and drops out; ``gamma`` scales the rows:
    ``dy/dz = diag(gamma) dLN/dz``, with :func:`lyaplearn.remedies.layer_norm_jacobian`.
    """
    z = np.asarray(z, dtype=float)
    gamma = np.asarray(gamma, dtype=float)
    if gamma.shape != z.shape:
        raise ValueError(f"gamma must have the shape of z {z.shape}, got {gamma.shape}")
    return gamma[:, None] * remedies.layer_norm_jacobian(z, eps)


def cayley(A: torch.Tensor) -> torch.Tensor:
    """Cayley map ``Q = (I - S)^{-1} (I + S)`` of the skew part ``S = A - A^T``.

    ``I - S`` is invertible for every skew ``S`` (its eigenvalues are ``1 - i w``),
    and ``Q^T Q = (I - S)^{-1} (I + S)^T ... = I`` because ``(I + S)`` and
    ``(I - S)^{-1}`` commute; ``det Q = 1``. For ``S = [[0, -t], [t, 0]]`` it is
    the rotation by ``2 arctan t``. No matrix exponential needed: one solve.
    """
    if not isinstance(A, torch.Tensor) or A.ndim != 2 or A.shape[0] != A.shape[1]:
        got = getattr(A, "shape", type(A))
        raise ValueError(f"A must be a square torch matrix, got {got}")
    S = A - A.T
    eye = torch.eye(A.shape[0], dtype=A.dtype)
    return torch.linalg.solve(eye - S, eye + S)


def measured_horizon(eps: float, tolerance: float = 0.1, *, r: float = 4.0,
                     n: int = 400, steps: int = 200, seed: int = 0) -> float:
    """Median number of steps until logistic-map trajectories ``eps`` apart diverge.

    Starts ``n`` pairs at ``x`` (uniform in ``[0.1, 0.9]``) and ``x + eps``, iterates
    ``x -> r x (1 - x)`` and returns the median first time their distance exceeds
    ``tolerance`` (``steps`` if never). Compare with ``log(tolerance / eps) / ln 2``
    (:func:`lyaplearn.remedies.horizon`) at ``r = 4``.
    """
    if not 0 < eps < tolerance:
        raise ValueError(f"eps must lie in (0, tolerance={tolerance}), got {eps!r}")
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.1, 0.9, n)
    y = x + eps
    first = np.full(n, steps, dtype=float)
    for t in range(1, steps + 1):
        x, y = r * x * (1 - x), r * y * (1 - y)
        hit = (np.abs(x - y) > tolerance) & (first == steps)
        first[hit] = t
    return float(np.median(first))


if __name__ == "__main__":  # pragma: no cover
    for e in (1e-4, 1e-8, 1e-12):
        print(e, measured_horizon(e), math.log(0.1 / e) / math.log(2))
