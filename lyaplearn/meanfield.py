"""Chapter 9: the edge of chaos, predicted by mean-field theory and measured.

A wide random network forgets the details of its weights: at every layer (or time
step) the pre-activations are approximately independent Gaussians whose variance
obeys a one-dimensional map. From that variance follows the mean squared gain of
one Jacobian, and with it the growth rate of gradients and the largest Lyapunov
exponent. This module computes those predictions and puts them beside
measurements made with the book's own engines.

Theory (Gaussian expectations by the trapezoid rule, accurate to rounding)
    :func:`gaussian_expectation`; deep networks (Poole et al. 2016,
    Schoenholz et al. 2017): :func:`variance_map`, :func:`fixed_point`,
    :func:`chi1`, :func:`depth_scale`, :func:`critical_sigma_w`; random
    recurrent networks ``h_{t+1} = tanh(g W h_t + sigma xi_t)`` (Molgedey et al.
    1992): :func:`rnn_field_variance`, :func:`rnn_lambda_max`,
    :func:`critical_gain`, :func:`finite_size_coefficient`; chapter 6's
    U(-p, p) networks: :func:`uniform_init_meanfield`, :func:`uniform_init_lambda`,
    :func:`critical_p`.
Measurements
    :func:`mlp_growth` (chapter 3's instruments on random tanh MLPs),
    :func:`rnn_lambda_measured` and :func:`rnn_spectra` (chapter 5's engine),
    :func:`annealed_spectrum` (a random-matrix surrogate), :func:`gated_lambda_max`
    (chapter 6's engine on GRU and LSTM), :func:`zero_crossing`.
Larger networks
    :func:`run_sizes` writes ``lyaplearn/results/ch09_full.json`` (``python -m
    lyaplearn.meanfield``; ``--quick`` for a check of a few seconds), read back by
    :func:`load_results`.
Figures
    :func:`plot_phase_diagram`, :func:`plot_rnn_lambda`, :func:`plot_finite_size`,
    :func:`plot_spectrum_collapse`, :func:`plot_gated_edge`.

All exponents and growth rates are natural-log rates: nats per step (or per layer).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import matplotlib as mpl
import numpy as np

from . import conditioning, lyapunov, maps, style

__all__ = [
    "gaussian_expectation",
    "variance_map",
    "fixed_point",
    "chi1",
    "depth_scale",
    "critical_sigma_w",
    "rnn_field_variance",
    "rnn_lambda_max",
    "critical_gain",
    "finite_size_coefficient",
    "uniform_init_meanfield",
    "critical_p",
    "uniform_init_lambda",
    "MLPGrowth",
    "mlp_growth",
    "rnn_lambda_measured",
    "rnn_spectra",
    "annealed_spectrum",
    "gated_lambda_max",
    "zero_crossing",
    "run_sizes",
    "load_results",
    "plot_phase_diagram",
    "plot_rnn_lambda",
    "plot_finite_size",
    "plot_spectrum_collapse",
    "plot_gated_edge",
    "main",
]

RESULTS = Path(__file__).resolve().parent / "results"



def _tanh(a):
    return np.tanh(a)


def _dtanh(a):
    return 1.0 - np.tanh(a) ** 2


def _check_nonneg(value, name: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}") from None
    if not np.isfinite(v) or v < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return v


def _check_pos(value, name: str) -> float:
    v = _check_nonneg(value, name)
    if v == 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return v


def _check_int(value, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


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
    q = _check_nonneg(q, "q")
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
    sw = _check_nonneg(sigma_w, "sigma_w")
    sb = _check_nonneg(sigma_b, "sigma_b")
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
    sw = _check_nonneg(sigma_w, "sigma_w")
    sb = _check_nonneg(sigma_b, "sigma_b")
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
    sw = _check_nonneg(sigma_w, "sigma_w")
    q = fixed_point(sw, sigma_b)
    return sw ** 2 * gaussian_expectation(lambda a: _dtanh(a) ** 2, q)


def depth_scale(sigma_w, sigma_b=0.0) -> float:
    """``xi = -1 / ln chi_1``: layers over which gradients shrink (or grow) by a factor ``e``.

    Infinite on the critical line. The sign of ``ln chi_1`` is dropped: in the
    chaotic phase ``xi`` is the depth over which they *grow* by ``e``.
    """
    c = chi1(sigma_w, sigma_b)
    lc = math.log(c)
    return math.inf if lc == 0 else 1.0 / abs(lc)


def critical_sigma_w(sigma_b=0.0, *, tol: float = 1e-11) -> float:
    """The ``sigma_w`` at which ``chi_1 = 1`` for a given ``sigma_b`` (the order–chaos line).

    Bisection on ``ln chi_1``, which increases with ``sigma_w`` along the line's
    neighbourhood. ``critical_sigma_w(0) = 1``.
    """
    sb = _check_nonneg(sigma_b, "sigma_b")
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
    mean squared gain is ``g^2 E[tanh'^2]``. It is exact as ``N -> infinity``
    where the exponent is positive, and equals ``ln g`` in the ordered phase
    without input (``Delta = 0``).

    Examples
    --------
    >>> round(rnn_lambda_max(0.5), 12) == round(math.log(0.5), 12)
    True
    >>> rnn_lambda_max(1.0)
    0.0
    """
    g = _check_nonneg(g, "g")
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
    p = _check_pos(p, "p")
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


# ----------------------------------------------------------------------------
# Measurements
# ----------------------------------------------------------------------------

@dataclass
class MLPGrowth:
    """Measured growth rates of random tanh MLPs on a ``(sigma_w, sigma_b)`` grid.

    Attributes
    ----------
    sigma_w, sigma_b
        The grid axes.
    grad_rate
        ``(len(sigma_b), len(sigma_w), seeds)``: growth of the backpropagated
        error's norm per layer, nats per layer (``ln |delta_l| - ln |delta_{l+1}|``
        averaged over the layers after the transient).
    top_sv_rate
        Same shape: the top log singular value of the product of those layer
        Jacobians divided by the number of layers.
    theory
        ``(len(sigma_b), len(sigma_w))``: ``1/2 ln chi_1``, nats per layer.
    depth, width, skip
        The network size and the number of early layers left out.
    """

    sigma_w: np.ndarray
    sigma_b: np.ndarray
    grad_rate: np.ndarray
    top_sv_rate: np.ndarray
    theory: np.ndarray
    depth: int
    width: int
    skip: int


def mlp_growth(sigma_w: Sequence[float], sigma_b: Sequence[float] = (0.0,), *, depth: int = 40,
               width: int = 64, skip: int = 10, seeds: int = 2, seed: int = 0) -> MLPGrowth:
    """Measure how gradients grow through random tanh MLPs, beside ``1/2 ln chi_1``.

    For each ``(sigma_w, sigma_b)`` and seed: a network ``h_l = tanh(W_l h_{l-1} + b_l)``
    with ``W`` entries ``N(0, sigma_w^2 / width)`` (chapter 3's LeCun initialiser
    times a gain) and biases ``N(0, sigma_b^2)``, a standard normal input, layer
    Jacobians from :func:`lyaplearn.conditioning.network_jacobians`, a random unit
    error sent back through them (:func:`~lyaplearn.conditioning.backward_norms`)
    and the log singular values of their product
    (:func:`~lyaplearn.conditioning.product_log_singular_values`). The first
    ``skip`` layers, where the variance is still settling to ``q*``, are left out.
    """
    sw = np.array([_check_pos(s, "sigma_w") for s in np.atleast_1d(sigma_w)])
    sb = np.array([_check_nonneg(s, "sigma_b") for s in np.atleast_1d(sigma_b)])
    depth = _check_int(depth, "depth", 2)
    width = _check_int(width, "width", 1)
    skip = _check_int(skip, "skip", 0)
    if skip >= depth:
        raise ValueError(f"skip must be smaller than depth = {depth}, got {skip}")
    seeds = _check_int(seeds, "seeds", 1)
    rng = np.random.default_rng(seed)
    L = depth - skip
    grad = np.empty((sb.size, sw.size, seeds))
    top = np.empty_like(grad)
    theory = np.empty((sb.size, sw.size))
    for i, b in enumerate(sb):
        for j, w in enumerate(sw):
            theory[i, j] = 0.5 * math.log(chi1(w, b))
            for s in range(seeds):
                Ws, bs = conditioning.random_network(depth, width, "lecun", w, bias_std=b, rng=rng)
                x = rng.standard_normal(width)
                Js = conditioning.network_jacobians(Ws, x, "tanh", bs)[skip:]
                d = rng.standard_normal(width)
                norms = conditioning.backward_norms(Js, d / np.linalg.norm(d))
                grad[i, j, s] = (math.log(norms[0]) - math.log(norms[-1])) / L
                top[i, j, s] = conditioning.product_log_singular_values(Js)[0] / L
    return MLPGrowth(sw, sb, grad, top, theory, depth, width, skip)


def rnn_lambda_measured(g, sigma=0.0, n: int = 64, *, seeds: int = 4, steps: int = 400,
                        warmup: int = 200, trajectories: int = 1, seed: int = 0) -> np.ndarray:
    """Largest Lyapunov exponent of random tanh RNNs, one per weight draw, nats per step.

    Each of ``seeds`` networks ``h_{t+1} = tanh(g W h_t + sigma xi_t)`` has its
    own ``W`` with entries ``N(0, 1/n)`` (:func:`lyaplearn.maps.random_tanh_rnn`)
    and its own input; the exponent is chapter 5's QR algorithm
    (:func:`lyaplearn.lyapunov.rnn_spectrum`, ``k = 1``) averaged over
    ``trajectories`` input realisations. Returns an array of length ``seeds``.
    """
    g = _check_nonneg(g, "g")
    sigma = _check_nonneg(sigma, "sigma")
    n = _check_int(n, "n", 1)
    seeds = _check_int(seeds, "seeds", 1)
    out = np.empty(seeds)
    for s in range(seeds):
        rng = np.random.default_rng([seed, s, n])
        rnn = maps.random_tanh_rnn(n, gain=g, input_std=sigma, weights="gaussian", rng=rng)
        ens = lyapunov.rnn_spectrum(rnn, steps=steps, trajectories=trajectories, warmup=warmup,
                                    k=1, rng=rng)
        out[s] = ens.largest
    return out


def rnn_spectra(g, sigma=0.0, sizes: Sequence[int] = (32, 64, 128), *, steps: int = 300,
                warmup: int = 200, trajectories: int = 2, seed: int = 0) -> dict:
    """Full Lyapunov spectra of one random tanh RNN per size: ``{n: mean spectrum (n,)}``."""
    g = _check_nonneg(g, "g")
    sigma = _check_nonneg(sigma, "sigma")
    out = {}
    for n in sizes:
        n = _check_int(n, "sizes", 2)
        rng = np.random.default_rng([seed, n])
        rnn = maps.random_tanh_rnn(n, gain=g, input_std=sigma, weights="gaussian", rng=rng)
        ens = lyapunov.rnn_spectrum(rnn, steps=steps, trajectories=trajectories, warmup=warmup,
                                    rng=rng)
        out[n] = ens.mean
    return out


def annealed_spectrum(g, sigma=0.0, n: int = 64, *, steps: int = 300, seed: int = 0) -> np.ndarray:
    """Spectrum of the *annealed* random-matrix model of the tanh RNN, nats per step.

    The tangent dynamics with every correlation removed: ``J_t = diag(tanh'(a_t)) g W_t``
    with a fresh ``W_t`` (entries ``N(0, 1/n)``) and fresh ``a_t ~ N(0, Delta)``
    at every step, ``Delta`` from :func:`rnn_field_variance`. Its largest exponent
    tends to :func:`rnn_lambda_max` as ``n`` grows; its whole spectrum is what
    mean-field theory predicts when the network's memory of its own weights is
    ignored. Computed with :func:`lyaplearn.lyapunov.spectrum_from_jacobians`.
    """
    g = _check_nonneg(g, "g")
    n = _check_int(n, "n", 1)
    steps = _check_int(steps, "steps", 1)
    delta = rnn_field_variance(g, sigma)
    rng = np.random.default_rng(seed)
    Js = rng.standard_normal((steps, n, n)) * (g / math.sqrt(n))
    a = math.sqrt(delta) * rng.standard_normal((steps, n))
    Js *= _dtanh(a)[:, :, None]
    return lyapunov.spectrum_from_jacobians(Js)


def _set_gate_bias(rnn, arch: str, gate_bias: float) -> None:
    """Set the bias of the gate that keeps the old state (LSTM forget, GRU update)."""
    import torch

    H = rnn.hidden_size
    idx = {"lstm": 1, "gru": 1}[arch]   # torch's order: LSTM (i, f, g, o); GRU (r, z, n)
    with torch.no_grad():
        for name, prm in rnn.named_parameters():
            if name.startswith("bias_ih"):
                prm[idx * H:(idx + 1) * H] = gate_bias
            elif name.startswith("bias_hh"):
                prm[idx * H:(idx + 1) * H] = 0.0


def gated_lambda_max(arch: str, ps: Sequence[float], *, gate_bias: float | None = None,
                     hidden: int = 32, n_symbols: int = 16, batch: int = 4, steps: int = 200,
                     warmup: int = 100, seeds: int = 2, seed: int = 0) -> np.ndarray:
    """``lambda_max`` of freshly initialised ``nn.GRU``/``LSTM``/``RNN`` against ``p``.

    Every weight is drawn from U(-p, p) (chapter 6's
    :func:`lyaplearn.recurrent.make_rnn`), the network is driven by random
    one-hot sequences (:func:`~lyaplearn.recurrent.one_hot_inputs`) and
    ``lambda_max`` is computed by :func:`~lyaplearn.recurrent.lyapunov_spectrum`
    (``k = 1``, full state). With ``gate_bias`` the bias of the gate that keeps
    the old state (LSTM forget gate, GRU update gate) is set to that value.

    Returns ``(len(ps), seeds)``: the mean over the ``batch`` input sequences for
    each network seed, nats per step.
    """
    from .recurrent import lyapunov_spectrum, make_rnn, one_hot_inputs

    if arch not in ("lstm", "gru", "rnn_tanh"):
        raise ValueError(f"arch must be 'lstm', 'gru' or 'rnn_tanh', got {arch!r}")
    if gate_bias is not None and arch == "rnn_tanh":
        raise ValueError("gate_bias needs a gated arch ('lstm' or 'gru'), got arch='rnn_tanh'")
    ps = [_check_pos(p, "ps") for p in np.atleast_1d(ps)]
    seeds = _check_int(seeds, "seeds", 1)
    out = np.empty((len(ps), seeds))
    for s in range(seeds):
        X = one_hot_inputs(warmup + steps, batch, n_symbols, seed=seed + 1000 + s)
        for i, p in enumerate(ps):
            m = make_rnn(arch, n_symbols, hidden, p, seed=seed + s)
            if gate_bias is not None:
                _set_gate_bias(m, arch, float(gate_bias))
            res = lyapunov_spectrum(m, X, k=1, warmup=warmup)
            out[i, s] = float(res.exponents[:, 0].mean())
    return out


def zero_crossing(x: Sequence[float], y: Sequence[float]) -> float:
    """The first ``x`` where ``y`` crosses zero upwards, by linear interpolation (NaN if none).

    Examples
    --------
    >>> zero_crossing([1, 2, 3], [-1.0, -0.5, 0.5])
    2.5
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.shape != y.shape or x.ndim != 1 or x.size < 2:
        raise ValueError(f"x and y must be 1-D of equal length >= 2, got shapes {x.shape} and {y.shape}")
    for i in range(x.size - 1):
        if y[i] < 0 <= y[i + 1]:
            return float(x[i] + (x[i + 1] - x[i]) * (-y[i]) / (y[i + 1] - y[i]))
    return math.nan


# ----------------------------------------------------------------------------
# Larger networks: a results file
# ----------------------------------------------------------------------------

SIZES = {
    "quick": dict(sizes=[32, 64], gains=[1.5, 2.5], sigmas=[0.0], seeds=2, steps=200,
                  warmup=100, spectrum_sizes=[32, 64], spectrum_steps=150),
    "full": dict(sizes=[32, 64, 128, 256, 512], gains=[0.5, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0],
                 sigmas=[0.0, 0.5, 1.0], seeds=6, steps=1000, warmup=500,
                 spectrum_sizes=[64, 128, 256], spectrum_steps=500),
}


def run_sizes(size: str = "full", out: str | os.PathLike | None = None, *, g_spectrum: float = 2.5,
              seed: int = 0) -> dict:
    """Measure ``lambda_max`` against theory for several ``N``, and full spectra; write JSON.

    ``size="full"`` is what ``lyaplearn/results/ch09_full.json`` holds
    (``python -m lyaplearn.meanfield``); ``"quick"`` is a check of a few seconds.
    """
    if size not in SIZES:
        raise ValueError(f"size must be one of {tuple(SIZES)}, got {size!r}")
    s = SIZES[size]
    t0 = time.perf_counter()
    lam = {}
    for sigma in s["sigmas"]:
        for n in s["sizes"]:
            for g in s["gains"]:
                v = rnn_lambda_measured(g, sigma, n, seeds=s["seeds"], steps=s["steps"],
                                        warmup=s["warmup"], seed=seed)
                lam[f"{sigma:g}/{n}/{g:g}"] = [round(float(x), 6) for x in v]
    spectra = rnn_spectra(g_spectrum, 0.0, s["spectrum_sizes"], steps=s["spectrum_steps"],
                          warmup=s["warmup"], trajectories=2, seed=seed)
    res = {
        "size": size,
        "settings": dict(s, g_spectrum=g_spectrum, seed=seed),
        "lambda_max": lam,
        "spectra": {str(n): [round(float(x), 6) for x in v] for n, v in spectra.items()},
        "meta": {"wall_seconds": round(time.perf_counter() - t0, 1),
                 "python": sys.version.split()[0], "numpy": np.__version__},
    }
    path = Path(out) if out is not None else RESULTS / f"ch09_{size}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(res, indent=1) + "\n", encoding="utf-8")
    return res


def load_results(path: str | os.PathLike | None = None, size: str = "full") -> dict:
    """Read a results file of :func:`run_sizes` (the committed full-size one by default).

    Returns the JSON dictionary with ``lambda_max`` turned into
    ``{(sigma, n, g): array of per-seed exponents}`` and ``spectra`` into
    ``{n: array}``.
    """
    p = Path(path) if path is not None else RESULTS / f"ch09_{size}.json"
    if not p.is_file():
        raise ValueError(f"path must be a results file of run_sizes, got {str(p)!r} (run "
                         "`python -m lyaplearn.meanfield` to make it)")
    res = json.loads(p.read_text(encoding="utf-8"))
    lam = {}
    for key, v in res["lambda_max"].items():
        sg, n, g = key.split("/")
        lam[(float(sg), int(n), float(g))] = np.array(v)
    res["lambda_max"] = lam
    res["spectra"] = {int(n): np.array(v) for n, v in res["spectra"].items()}
    return res


# ----------------------------------------------------------------------------
# Figures
# ----------------------------------------------------------------------------

@style.styled
def plot_phase_diagram(growth: MLPGrowth, *, sigma_b_line=None, figsize=(11.0, 3.8)):
    """Measured gradient growth per layer on the ``(sigma_w, sigma_b)`` plane, with ``chi_1 = 1``.

    Left: the measured rate as colour with the theory's order–chaos line. Right:
    measured rates (gradient norm and top singular value) against ``1/2 ln chi_1``.
    """
    fig, axes = style.figure(1, 2, figsize=figsize)
    rate = growth.grad_rate.mean(axis=-1)
    ax = axes[0]
    if growth.sigma_b.size > 1:
        norm = mpl.colors.TwoSlopeNorm(0.0, vmin=min(float(rate.min()), -1e-3),
                                       vmax=max(float(rate.max()), 1e-3))
        mesh = ax.pcolormesh(growth.sigma_w, growth.sigma_b, rate, cmap="RdBu_r", norm=norm,
                             shading="nearest")
        fig.colorbar(mesh, ax=ax, label="measured growth (nats per layer)")
        sb = np.linspace(growth.sigma_b.min(), growth.sigma_b.max(), 40) if sigma_b_line is None \
            else np.asarray(sigma_b_line)
        ax.plot([critical_sigma_w(b) for b in sb], sb, color="black", lw=2,
                label=r"theory: $\chi_1 = 1$")
        ax.set_ylabel(r"bias scale $\sigma_b$")
        ax.legend(loc="upper left")
    else:
        ax.plot(growth.sigma_w, rate, "o", label="measured")
        ax.plot(growth.sigma_w, growth.theory[0], label="theory")
        ax.set_ylabel("growth (nats per layer)")
    ax.set_xlabel(r"weight scale $\sigma_w$")
    ax.set_title("order (blue) and chaos (red)")
    ax = axes[1]
    th = np.broadcast_to(growth.theory[..., None], growth.grad_rate.shape).ravel()
    ax.plot(th, growth.grad_rate.ravel(), "o", ms=3.5, alpha=0.7, label="gradient norm")
    ax.plot(th, growth.top_sv_rate.ravel(), "s", ms=3.0, alpha=0.6, label="top singular value")
    lo, hi = float(th.min()), float(th.max())
    ax.plot([lo, hi], [lo, hi], color="0.3", lw=1, label="measured = theory")
    ax.set_xlabel(r"theory $\frac{1}{2}\ln\chi_1$ (nats per layer)")
    ax.set_ylabel("measured (nats per layer)")
    ax.set_title(f"width {growth.width}, layers {growth.skip + 1}-{growth.depth}")
    ax.legend()
    return fig


@style.styled
def plot_rnn_lambda(gains, measured: dict, *, sigmas=None, figsize=(6.4, 4.0)):
    """Mean-field ``lambda_max(g)`` for each input strength, with measured points.

    ``measured`` maps ``sigma`` to an array ``(len(gains), seeds)`` of measured
    exponents; the curves are :func:`rnn_lambda_max` and the dotted verticals
    :func:`critical_gain`.
    """
    fig, ax = style.figure(figsize=figsize)
    gains = np.asarray(gains, dtype=float)
    sigmas = list(measured) if sigmas is None else list(sigmas)
    grid = np.linspace(max(gains.min(), 0.05), gains.max(), 120)
    for i, s in enumerate(sigmas):
        c = style.PALETTE[i % len(style.PALETTE)]
        ax.plot(grid, [rnn_lambda_max(g, s) for g in grid], color=c,
                label=fr"theory, $\sigma$ = {s:g}")
        if s in measured:
            m = np.asarray(measured[s])
            ax.errorbar(gains, m.mean(axis=1), yerr=m.std(axis=1), fmt="o", color=c, ms=4,
                        capsize=2, label=fr"measured, $\sigma$ = {s:g}")
        ax.axvline(critical_gain(s), color=c, ls=":", lw=1)
    ax.axhline(0.0, color="0.4", lw=0.8)
    ax.set_xlabel("gain $g$")
    ax.set_ylabel(rf"$\lambda_{{\max}}$ ({style.NATS_PER_STEP})")
    ax.legend(ncol=2)
    return fig


@style.styled
def plot_finite_size(results: dict, *, sigma: float = 0.0, figsize=(11.0, 3.8)):
    """From a :func:`load_results` dictionary: ``lambda_max(g)`` per ``N`` and the gap to theory.

    Left: measured ``lambda_max`` (mean over seeds) against ``g`` for each ``N``
    with the mean-field curve. Right: ``|measured - theory|`` against ``N`` for
    the chaotic gains, on log axes, with a ``1/N`` guide.
    """
    lam = results["lambda_max"]
    ns = sorted({n for (s, n, g) in lam if s == sigma})
    gains = sorted({g for (s, n, g) in lam if s == sigma})
    if not ns:
        raise ValueError(f"sigma must be one of the input strengths in results, got {sigma!r}")
    fig, axes = style.figure(1, 2, figsize=figsize)
    grid = np.linspace(min(gains), max(gains), 120)
    axes[0].plot(grid, [rnn_lambda_max(g, sigma) for g in grid], color="black", lw=2,
                 label="mean-field theory")
    for i, n in enumerate(ns):
        m = [lam[(sigma, n, g)].mean() for g in gains]
        axes[0].plot(gains, m, "o-", ms=4, lw=1, color=style.PALETTE[i % 7], label=f"N = {n}")
    axes[0].axhline(0.0, color="0.4", lw=0.8)
    axes[0].set_xlabel("gain $g$")
    axes[0].set_ylabel(rf"$\lambda_{{\max}}$ ({style.NATS_PER_STEP})")
    axes[0].set_title(fr"input $\sigma$ = {sigma:g}")
    axes[0].legend()
    chaotic = [g for g in gains if rnn_lambda_max(g, sigma) > 0.05]
    for i, g in enumerate(chaotic):
        gap = [abs(lam[(sigma, n, g)].mean() - rnn_lambda_max(g, sigma)) for n in ns]
        axes[1].loglog(ns, gap, "o-", ms=4, color=style.PALETTE[i % 7], label=f"g = {g:g}")
    ref = np.array(ns, dtype=float)
    axes[1].loglog(ref, 4.0 / ref, color="0.3", ls="--", lw=1, label="4 / N")
    axes[1].set_xticks(ns, [str(n) for n in ns])
    axes[1].xaxis.set_minor_formatter(mpl.ticker.NullFormatter())
    axes[1].set_xlabel("network size $N$")
    axes[1].set_ylabel(f"|measured − theory| ({style.NATS_PER_STEP})")
    axes[1].legend()
    return fig


@style.styled
def plot_spectrum_collapse(spectra: dict, *, annealed: dict | None = None, figsize=(11.0, 3.8)):
    """Spectra of several sizes against ``i / N`` (left) and Kaplan–Yorke dimension against ``N``.

    ``spectra`` maps ``N`` to a spectrum ``(N,)``; ``annealed`` (optional) maps
    ``N`` to the spectrum of :func:`annealed_spectrum`, drawn dashed.
    """
    fig, axes = style.figure(1, 2, figsize=figsize)
    ns = sorted(spectra)
    for i, n in enumerate(ns):
        lam = np.asarray(spectra[n])
        x = np.arange(1, lam.size + 1) / lam.size
        c = style.PALETTE[i % 7]
        axes[0].plot(x, lam, color=c, label=f"N = {n}")
        if annealed and n in annealed:
            axes[0].plot(x, annealed[n], color=c, ls="--", lw=1.2, label=f"annealed, N = {n}")
    axes[0].axhline(0.0, color="0.4", lw=0.8)
    axes[0].set_xlabel("normalised index $i / N$")
    axes[0].set_ylabel(rf"$\lambda_i$ ({style.NATS_PER_STEP})")
    axes[0].legend()
    dky = [lyapunov.kaplan_yorke_dimension(spectra[n]) for n in ns]
    axes[1].plot(ns, dky, "o-", label="Kaplan–Yorke dimension")
    axes[1].plot(ns, ns, color="0.4", ls="--", lw=1, label="N (every direction)")
    axes[1].set_xlabel("network size $N$")
    axes[1].set_ylabel("dimension")
    axes[1].legend()
    return fig


@style.styled
def plot_gated_edge(ps, lam: dict, *, marks: dict | None = None, curves: dict | None = None,
                    figsize=(6.4, 4.0)):
    """``lambda_max`` against the init scale ``p`` for several architectures.

    ``lam`` maps a label to an array ``(len(ps), seeds)``; ``marks`` optionally
    maps a label to ``(p values, y values)`` drawn as crosses (e.g. where
    chapter 7's runs started); ``curves`` maps a label to ``(p values, y values)``
    drawn as dashed lines (e.g. :func:`uniform_init_lambda`).
    """
    fig, ax = style.figure(figsize=figsize)
    for i, (name, (x, y)) in enumerate((curves or {}).items()):
        ax.plot(x, y, color=["black", "0.5"][i % 2], lw=1, ls="--", label=name)
    for i, (name, v) in enumerate(lam.items()):
        v = np.asarray(v)
        ax.errorbar(ps, v.mean(axis=1), yerr=v.std(axis=1), marker="o", ms=4, capsize=2,
                    color=style.PALETTE[i % 7], label=name)
    for name, (x, y) in (marks or {}).items():
        ax.plot(x, y, "x", color="black", ms=6, label=name)
    ax.axhline(0.0, color="0.4", lw=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("initialisation scale $p$ (weights ~ U(−p, p))")
    ax.set_ylabel(rf"$\lambda_{{\max}}$ ({style.NATS_PER_STEP})")
    ax.legend()
    return fig


def main(argv=None) -> int:
    """``python -m lyaplearn.meanfield [--quick] [--out PATH]``."""
    ap = argparse.ArgumentParser(prog="python -m lyaplearn.meanfield",
                                 description="Chapter 9: lambda_max and spectra of random tanh "
                                             "RNNs for several sizes, written as JSON.")
    ap.add_argument("--quick", action="store_true", help="a check of a few seconds")
    ap.add_argument("--out", default=None, help="output path (default lyaplearn/results/ch09_<size>.json)")
    args = ap.parse_args(argv)
    size = "quick" if args.quick else "full"
    res = run_sizes(size, args.out)
    print(f"wrote {args.out or RESULTS / f'ch09_{size}.json'} in {res['meta']['wall_seconds']} s")
    return 0


if __name__ == "__main__":   # pragma: no cover
    sys.exit(main())
