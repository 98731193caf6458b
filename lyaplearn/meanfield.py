"""Chapter 9: mean-field theory of the edge of chaos.

A wide random network forgets the details of its weights: at every layer (or time
step) the pre-activations are approximately independent Gaussians whose variance
obeys a one-dimensional map. From that variance follows the mean squared gain of
one Jacobian, and with it the growth rate of gradients and the largest Lyapunov
exponent. This module computes those predictions; :mod:`lyaplearn.edge` measures
the same quantities with the book's engines and draws the two side by side.

Gaussian expectations
    :func:`gaussian_expectation` (the trapezoid rule, accurate to rounding).
Deep networks (Poole et al. 2016, Schoenholz et al. 2017)
    :func:`variance_map`, :func:`fixed_point`, :func:`chi1`, :func:`depth_scale`,
    :func:`critical_sigma_w`; :func:`product_top_rate` (the top singular value of a
    product of Gaussian matrices, the reference for a finite depth).
Random recurrent networks ``h_{t+1} = tanh(g W h_t + sigma xi_t)`` (Molgedey et al. 1992)
    :func:`rnn_field_variance`, :func:`rnn_lambda_max`, :func:`critical_gain`,
    :func:`finite_size_coefficient` (the 1/N correction of a finite network).
Chapter 6's U(-p, p) networks
    :func:`uniform_init_meanfield`, :func:`uniform_init_lambda`, :func:`critical_p`.

All exponents and growth rates are natural-log rates: nats per step (or per layer).
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np

from ._checks import _check_float, _check_int

__all__ = [
    "gaussian_expectation",
    "variance_map",
    "fixed_point",
    "chi1",
    "depth_scale",
    "product_top_rate",
    "critical_sigma_w",
    "rnn_field_variance",
    "rnn_lambda_max",
    "critical_gain",
    "finite_size_coefficient",
    "uniform_init_meanfield",
    "uniform_init_lambda",
    "critical_p",
]


def _tanh(a):
    return np.tanh(a)


def _dtanh(a):
    return 1.0 - np.tanh(a) ** 2


# ----------------------------------------------------------------------------
# Theory
# ----------------------------------------------------------------------------

def gaussian_expectation(f: Callable, q) -> float:
    """``E[f(sqrt(q) z)]`` for a standard normal ``z``: ``f`` averaged over ``N(0, q)``.

    The trapezoid rule in ``x = sqrt(q) z`` on ``|x| <= 10 sqrt(q)`` with step
    ``h = min(0.2, sqrt(q) / 8)``. For an integrand analytic in a strip
    ``|Im x| < d`` that decays like a Gaussian, the trapezoid rule's error falls
    like ``exp(-2 pi d / h)``: tanh has its poles at ``x = +-i pi / 2``, so the
    error is below double precision for every ``q``, including the large ``q`` of
    a saturated network where Gauss–Hermite quadrature with a fixed number of
    nodes loses digits (the tests check both regimes). ``q = 0`` gives ``f(0)``.

    Examples
    --------
    >>> round(gaussian_expectation(lambda a: a ** 4, 2.0), 12)      # 3 q^2
    12.0
    >>> round(gaussian_expectation(np.cos, 1.0), 12) == round(math.exp(-0.5), 12)
    True
    """
    if not callable(f):
        raise ValueError(f"f must be callable, got {type(f).__name__}")
    q = _check_float(q, "q", nonneg=True)
    if q == 0:
        return float(f(np.zeros(1))[0])
    s = math.sqrt(q)
    h = min(0.2, s / 8.0)
    m = int(math.ceil(10.0 * s / h))
    x = h * np.arange(-m, m + 1)
    w = np.exp(-0.5 * (x / s) ** 2) * (h / (s * math.sqrt(2.0 * math.pi)))
    return float(np.sum(w * f(x)))


def variance_map(q, sigma_w, sigma_b=0.0) -> float:
    """One layer of the deep-network variance map, ``sigma_w^2 E[tanh(sqrt(q) z)^2] + sigma_b^2``.

    ``q`` is the variance of a pre-activation ``z_l = W_l h_{l-1} + b_l`` with
    ``W`` entries ``N(0, sigma_w^2 / N)`` and ``b`` entries ``N(0, sigma_b^2)``;
    the result is the variance at the next layer (Poole et al. 2016).
    """
    sw = _check_float(sigma_w, "sigma_w", nonneg=True)
    sb = _check_float(sigma_b, "sigma_b", nonneg=True)
    return sw ** 2 * gaussian_expectation(lambda a: _tanh(a) ** 2, q) + sb ** 2


def fixed_point(sigma_w, sigma_b=0.0, *, tol: float = 1e-13, max_iter: int = 100_000) -> float:
    """The stable fixed point ``q*`` of :func:`variance_map`.

    Found by bisection on ``F(q) = variance_map(q) - q``, which is positive below
    ``q*`` and negative above (``E[tanh(sqrt(q) z)^2]`` is concave in ``q``). For
    ``sigma_b = 0`` and ``sigma_w <= 1`` the answer is 0.

    Examples
    --------
    >>> fixed_point(0.9)
    0.0
    >>> q = fixed_point(2.0, 0.3)
    >>> abs(variance_map(q, 2.0, 0.3) - q) < 1e-10
    True
    """
    sw = _check_float(sigma_w, "sigma_w", nonneg=True)
    sb = _check_float(sigma_b, "sigma_b", nonneg=True)
    _check_int(max_iter, "max_iter", 1)
    if sb == 0 and sw <= 1.0:
        return 0.0
    # F(q) <= sw^2 + sb^2 - q, so q* lies in (0, sw^2 + sb^2]
    lo, hi = 0.0, sw ** 2 + sb ** 2
    if sb == 0:   # F(q) ~ (sw^2 - 1) q near 0: start the bracket away from the unstable root 0
        lo = 1e-300
    for _ in range(max_iter):
        mid = 0.5 * (lo + hi)
        if variance_map(mid, sw, sb) > mid:
            lo = mid
        else:
            hi = mid
        if hi - lo <= tol * max(hi, 1e-300):
            break
    return 0.5 * (lo + hi)


def chi1(sigma_w, sigma_b=0.0) -> float:
    """``chi_1 = sigma_w^2 E[tanh'(sqrt(q*) z)^2]``: mean squared gain of one layer Jacobian.

    A backpropagated error's squared norm is multiplied by ``chi_1`` per layer on
    average; ``chi_1 = 1`` is the order–chaos boundary (Poole et al. 2016;
    Schoenholz et al. 2017).

    Examples
    --------
    >>> chi1(1.0)                        # q* = 0 and tanh'(0) = 1
    1.0
    """
    sw = _check_float(sigma_w, "sigma_w", nonneg=True)
    q = fixed_point(sw, sigma_b)
    return sw ** 2 * gaussian_expectation(lambda a: _dtanh(a) ** 2, q)


def depth_scale(sigma_w, sigma_b=0.0) -> float:
    """``xi = 1 / |ln chi_1|``: layers over which the squared gradient norm changes by ``e``.

    This is the *gradient* depth scale of Schoenholz et al. (2017), their
    ``xi_nabla = -1 / ln chi_1`` (not their correlation depth scale ``xi_c``,
    which is set by the slope of the correlation map, not by ``chi_1``).
    Infinite on the critical line. The sign of ``ln chi_1`` is dropped: in the
    chaotic phase ``xi`` is the depth over which the squared norm *grows* by ``e``.

    Examples
    --------
    >>> round(depth_scale(0.8), 4)      # no bias, sigma_w < 1: chi_1 = sigma_w^2
    2.2407
    """
    c = chi1(sigma_w, sigma_b)
    lc = math.log(c)
    return math.inf if lc == 0 else 1.0 / abs(lc)


def product_top_rate(depth: int) -> float:
    """Growth per layer of the top singular value of a product of ``depth`` Gaussian matrices.

    For ``depth`` independent ``N x N`` matrices with entries ``N(0, 1/N)``, the
    squared singular values of their product have, as ``N -> infinity``, the
    Fuss–Catalan distribution, whose upper edge is
    ``(depth + 1)^(depth + 1) / depth^depth`` (Penson and Życzkowski 2011). The
    largest singular value thus grows by
    ``((L + 1) ln(L + 1) - L ln L) / (2 L)`` nats per layer with ``L = depth``,
    while a typical direction grows by 0: the excess of the *most* stretched of
    infinitely many directions over a finite depth. It vanishes, like
    ``ln(L) / (2 L)``, only as the depth grows.

    Examples
    --------
    >>> round(product_top_rate(1), 6)    # one matrix: the edge of Marchenko-Pastur, sigma = 2
    0.693147
    >>> round(product_top_rate(30), 4)
    0.0736
    """
    L = _check_int(depth, "depth", 1)
    return ((L + 1) * math.log(L + 1) - L * math.log(L)) / (2 * L)


def critical_sigma_w(sigma_b=0.0, *, tol: float = 1e-11) -> float:
    """The ``sigma_w`` at which ``chi_1 = 1`` for a given ``sigma_b`` (the order–chaos line).

    Bisection on ``ln chi_1``, which increases with ``sigma_w`` along the line's
    neighbourhood. ``critical_sigma_w(0) = 1``.
    """
    sb = _check_float(sigma_b, "sigma_b", nonneg=True)
    lo, hi = 1.0, 2.0
    while chi1(hi, sb) < 1.0:
        hi *= 2.0
        if hi > 1e6:   # pragma: no cover - does not happen for tanh
            raise ValueError(f"no critical sigma_w found for sigma_b = {sb}")
    if sb == 0:
        return 1.0
    while hi - lo > tol:
        mid = 0.5 * (lo + hi)
        if chi1(mid, sb) < 1.0:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def rnn_field_variance(g, sigma=0.0) -> float:
    """Variance ``Delta`` of the pre-activation of ``h_{t+1} = tanh(g W h_t + sigma xi_t)``.

    ``W_ij ~ N(0, 1/N)``, ``xi_t`` standard normal, independent at each step. In
    the stationary state of a wide network the pre-activation ``a = g W h + sigma xi``
    is Gaussian with ``Delta = g^2 q_h + sigma^2`` and ``q_h = E[tanh(sqrt(Delta) z)^2]``:
    the deep-network fixed point with ``sigma_w = g`` and ``sigma_b = sigma``.
    """
    return fixed_point(g, sigma)


def rnn_lambda_max(g, sigma=0.0) -> float:
    """Mean-field largest Lyapunov exponent ``1/2 ln(g^2 E[tanh'(sqrt(Delta) z)^2])``, nats per step.

    The discrete-time annealed approximation (Molgedey, Schuchhardt & Schuster
    1992): a tangent vector ``v`` is multiplied by ``diag(tanh'(a_t)) g W``, whose
    mean squared gain is ``g^2 E[tanh'^2]``. In the chaotic phase the measured
    exponent of a network of ``N`` units approaches it like ``1/N`` (chapter 9,
    :func:`finite_size_coefficient`); without input and ``g < 1`` it is ``ln g``
    (``Delta = 0``).

    Examples
    --------
    >>> round(rnn_lambda_max(0.5), 12) == round(math.log(0.5), 12)
    True
    >>> rnn_lambda_max(1.0)
    0.0
    """
    g = _check_float(g, "g", nonneg=True)
    if g == 0:
        return -math.inf
    return 0.5 * math.log(chi1(g, sigma))


def finite_size_coefficient(g, sigma=0.0) -> float:
    """``c`` in ``lambda_max(N) ~ rnn_lambda_max(g, sigma) - c / N``: the Jensen gap of a finite sum.

    A unit tangent vector's squared stretch in one step is
    ``(g^2 / N) sum_i tanh'(a_i)^2 zeta_i^2`` with ``zeta_i = sqrt(N) (W v)_i``
    standard normal: a mean of ``N`` independent terms with mean
    ``m = g^2 E[tanh'^2]`` and relative variance ``r / N``, ``r = 3 E[tanh'^4] /
    E[tanh'^2]^2 - 1``. The exponent averages *half the logarithm* of it, and
    ``E ln X = ln E X - Var X / (2 (E X)^2) + ...``, so ``lambda_max`` falls short of the
    mean-field value by ``r / (4 N)``. Returns ``c = r / 4``.
    """
    delta = rnn_field_variance(g, sigma)
    e2 = gaussian_expectation(lambda a: _dtanh(a) ** 2, delta)
    e4 = gaussian_expectation(lambda a: _dtanh(a) ** 4, delta)
    return (3.0 * e4 / e2 ** 2 - 1.0) / 4.0


def critical_gain(sigma=0.0) -> float:
    """The gain ``g_c(sigma)`` where :func:`rnn_lambda_max` crosses zero (1 without input).

    Input suppresses chaos: ``g_c`` grows with ``sigma``.
    """
    return critical_sigma_w(sigma)


def uniform_init_meanfield(p, hidden: int) -> tuple[float, float]:
    """Gain ``g`` and input strength ``sigma`` of an ``nn.RNN`` with every weight U(-p, p).

    Chapter 6's networks (:func:`lyaplearn.recurrent.make_rnn`) draw every
    parameter from U(-p, p), whose variance is ``p^2 / 3``. So ``W_hh`` has
    entries of variance ``g^2 / hidden`` with ``g = p sqrt(hidden / 3)``, and the
    rest of the pre-activation, one column of ``W_ih`` picked by a one-hot input
    plus the two biases ``b_ih + b_hh``, has variance ``3 p^2 / 3``: ``sigma = p``.

    Examples
    --------
    >>> uniform_init_meanfield(0.5, 12)
    (1.0, 0.5)
    """
    p = _check_float(p, "p", positive=True)
    hidden = _check_int(hidden, "hidden", 1)
    return p * math.sqrt(hidden / 3.0), p


def uniform_init_lambda(ps: Sequence[float], hidden: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean-field ``lambda_max`` of an ``nn.RNN`` with U(-p, p) weights, without and with the 1/N gap.

    Returns ``(wide, finite)``: :func:`rnn_lambda_max` at :func:`uniform_init_meanfield`
    for each ``p``, and the same minus ``finite_size_coefficient / hidden``.
    """
    hidden = _check_int(hidden, "hidden", 1)
    pairs = [uniform_init_meanfield(p, hidden) for p in np.atleast_1d(ps)]
    wide = np.array([rnn_lambda_max(g, s) for g, s in pairs])
    gap = np.array([finite_size_coefficient(g, s) / hidden for g, s in pairs])
    return wide, wide - gap


def critical_p(hidden: int, *, tol: float = 1e-10) -> float:
    """The ``p`` of :func:`uniform_init_meanfield` where :func:`rnn_lambda_max` crosses zero."""
    hidden = _check_int(hidden, "hidden", 1)

    def lam(p):
        return rnn_lambda_max(*uniform_init_meanfield(p, hidden))

    lo, hi = 1e-6, 1.0
    while lam(hi) < 0:
        hi *= 2.0
    while hi - lo > tol:
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if lam(mid) < 0 else (lo, mid)
    return 0.5 * (lo + hi)
