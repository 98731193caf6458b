"""Reference solutions to chapter 9's coding exercises."""

from __future__ import annotations

import math

import numpy as np


def erf_chi1(sigma_w: float, sigma_b: float = 0.0) -> float:
    """``chi_1`` of a deep erf network, from the closed-form Gaussian integrals.

    ``E[erf(sqrt(q) z)^2] = (2/pi) arcsin(2q / (1 + 2q))`` and
    ``E[erf'(sqrt(q) z)^2] = 4 / (pi sqrt(1 + 4q))``. ``q*`` by bisection on
    ``map(q) - q`` (iterating the map converges only like 1/l near the line);
    ``q* = 0`` without bias when the map's slope at 0, ``4 sigma_w^2 / pi``, is at
    most 1.
    """
    if not (math.isfinite(sigma_w) and sigma_w >= 0):
        raise ValueError(f"sigma_w must be a finite number >= 0, got {sigma_w!r}")
    if not (math.isfinite(sigma_b) and sigma_b >= 0):
        raise ValueError(f"sigma_b must be a finite number >= 0, got {sigma_b!r}")

    def qmap(q):
        return (sigma_w ** 2 * (2 / math.pi) * math.asin(2 * q / (1 + 2 * q))
                + sigma_b ** 2)

    if sigma_b == 0 and 4 * sigma_w ** 2 / math.pi <= 1:
        q = 0.0
    else:
        lo, hi = 1e-300, sigma_w ** 2 + sigma_b ** 2
        for _ in range(2000):
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if qmap(mid) > mid else (lo, mid)
            if hi - lo <= 1e-15 * hi:
                break
        q = 0.5 * (lo + hi)
    return sigma_w ** 2 * 4 / (math.pi * math.sqrt(1 + 4 * q))


def erf_critical_sigma_w(sigma_b: float = 0.0) -> float:
    """The ``sigma_w`` where :func:`erf_chi1` equals one, by bisection."""
    lo, hi = 0.1, 10.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if erf_chi1(mid, sigma_b) < 1.0:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def ordered_lambda(W, g: float) -> float:
    """Exponent of ``h -> tanh(g W h)`` decaying to 0: ``ln(g rho(W))``."""
    W = np.asarray(W, dtype=float)
    if W.ndim != 2 or W.shape[0] != W.shape[1]:
        raise ValueError(f"W must be a square matrix, got shape {W.shape}")
    return math.log(g * float(np.max(np.abs(np.linalg.eigvals(W)))))


def large_input_critical_gain(sigma: float) -> float:
    """The edge for strong input, asymptotically ``(9 pi / 8)^(1/4) sqrt(sigma)``."""
    if not (math.isfinite(sigma) and sigma > 0):
        raise ValueError(f"sigma must be a finite number > 0, got {sigma!r}")
    return (9 * math.pi / 8) ** 0.25 * math.sqrt(sigma)
