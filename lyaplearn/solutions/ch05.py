"""Reference solutions for the coding exercises of chapter 5 (Lyapunov exponents)."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["qr_lyapunov", "lyapunov_1d", "max_reortho_interval"]


def qr_lyapunov(jacobians, seed: int = 0) -> np.ndarray:
    """The QR algorithm from scratch: all exponents of ``J_T ... J_1``, nats per step.

    Start from a random orthonormal frame, push it through each Jacobian,
    re-orthonormalise with a QR factorisation and add up ``log |R_ii|``.
    """
    J = np.asarray(jacobians, dtype=float)
    if J.ndim != 3 or J.shape[1] != J.shape[2] or J.shape[0] == 0:
        raise ValueError("jacobians must have shape (T, N, N) with T >= 1, "
                         f"got shape {J.shape}")
    T, n, _ = J.shape
    rng = np.random.default_rng(seed)
    # a random start: no invariant-subspace trap
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    total = np.zeros(n)
    for Jt in J:
        Q, R = np.linalg.qr(Jt @ Q)
        total += np.log(np.abs(np.diag(R)))   # |.|: the sign of R_ii is a convention
    return np.sort(total / T)[::-1]


def lyapunov_1d(derivative, orbit) -> float:
    """Exponent of a 1-D map from an orbit: the time average of ``log |f'(x_t)|``."""
    x = np.asarray(orbit, dtype=float)
    if x.ndim != 1 or x.size == 0:
        raise ValueError(f"orbit must be a non-empty 1-D array, got shape {x.shape}")
    if not callable(derivative):
        raise ValueError("derivative must be callable")
    return float(np.mean(np.log(np.abs(derivative(x)))))


# 1 / eps for float64 is 2**52 = 10**15.65 (2**53 = 10**15.95 is 1 / unit roundoff)
FLOAT64_DIGITS = 52 * math.log10(2)


def max_reortho_interval(lambda_1: float, lambda_k: float,
                         digits: float = FLOAT64_DIGITS) -> int:
    """Largest ``T_ON`` that keeps exponent ``k`` above rounding between QR steps.

    Between two QR steps column ``k`` shrinks relative to column 1 by
    ``exp((lambda_1 - lambda_k) T_ON)``; once that ratio passes ``10**digits``
    (by default ``1 / eps = 2**52``, double precision) column ``k`` is lost. So
    ``T_ON < digits * ln 10 / (lambda_1 - lambda_k)``.
    """
    if not lambda_1 > lambda_k:
        raise ValueError(f"need lambda_1 > lambda_k, got {lambda_1!r} and {lambda_k!r}")
    if not digits > 0:
        raise ValueError(f"digits must be positive, got {digits!r}")
    return max(1, math.floor(digits * math.log(10) / (lambda_1 - lambda_k)))
