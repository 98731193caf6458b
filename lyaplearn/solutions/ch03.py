"""Reference solution for the coding exercise of chapter 3 (a Haar-random orthogonal
matrix)."""

from __future__ import annotations

import numpy as np

__all__ = ["haar_orthogonal"]


def haar_orthogonal(n: int, rng: np.random.Generator) -> np.ndarray:
    """A uniformly (Haar) distributed random orthogonal ``n x n`` matrix.

    QR-factorise a matrix of independent standard Gaussians, ``Z = Q R``, and
    flip the sign of every column ``j`` of ``Q`` for which ``R[j, j] < 0``.
    Without the flip, ``Q`` depends on the sign convention of the QR routine
    and is not uniformly distributed (LAPACK gives ``R[0, 0]`` the sign
    opposite to ``Z[0, 0]``, so ``Q[0, 0] = Z[0, 0] / R[0, 0] <= 0`` always).
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    Z = rng.standard_normal((n, n))
    Q, R = np.linalg.qr(Z)
    signs = np.where(np.diag(R) < 0, -1.0, 1.0)
    return Q * signs  # multiplies column j by signs[j]
