"""Chapter 9's measurements: each mean-field prediction measured with one of the book's engines.

:func:`mlp_growth` (chapter 3's instruments on random tanh MLPs),
:func:`rnn_lambda_measured`, :func:`rnn_spectra` and :func:`positive_band` (chapter 5's
engine), :func:`annealed_spectrum` (the annealed random-matrix model),
:func:`gated_lambda_max` (chapter 6's engine on ``nn.RNN``, ``GRU`` and ``LSTM``) and
:func:`zero_crossing`. Import them from :mod:`lyaplearn.edge`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .. import conditioning, lyapunov, maps
from .._checks import _check_int
from .._checks import _check_float
from ..meanfield import _dtanh, chi1, rnn_field_variance

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
    sw = np.array([_check_float(s, "sigma_w", positive=True) for s in np.atleast_1d(sigma_w)])
    sb = np.array([_check_float(s, "sigma_b", nonneg=True) for s in np.atleast_1d(sigma_b)])
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
    g = _check_float(g, "g", nonneg=True)
    sigma = _check_float(sigma, "sigma", nonneg=True)
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
    g = _check_float(g, "g", nonneg=True)
    sigma = _check_float(sigma, "sigma", nonneg=True)
    out = {}
    for n in sizes:
        n = _check_int(n, "sizes", 2)
        rng = np.random.default_rng([seed, n])
        rnn = maps.random_tanh_rnn(n, gain=g, input_std=sigma, weights="gaussian", rng=rng)
        ens = lyapunov.rnn_spectrum(rnn, steps=steps, trajectories=trajectories, warmup=warmup,
                                    rng=rng)
        out[n] = ens.mean
    return out


def positive_band(gains: Sequence[float] = (1.1, 1.25, 1.5, 2.0, 2.5), n: int = 128, *,
                  networks: int = 3, steps: int = 300, warmup: int = 200) -> dict:
    """How many of the ``n`` exponents are positive, for ``networks`` random tanh RNNs at each gain.

    No input; one trajectory per network (:func:`rnn_spectra` with ``seed`` 0, 1, ...).
    Returns ``{gain: [count per network]}``; chapter 9 reads it from the results file.
    """
    networks = _check_int(networks, "networks", 1)
    return {float(g): [int(np.sum(rnn_spectra(g, 0.0, (n,), steps=steps, warmup=warmup,
                                              trajectories=1, seed=s)[n] > 0))
                       for s in range(networks)] for g in gains}


def annealed_spectrum(g, sigma=0.0, n: int = 64, *, steps: int = 300, seed: int = 0) -> np.ndarray:
    """Spectrum of the *annealed* random-matrix model of the tanh RNN, nats per step.

    The tangent dynamics with every correlation removed: ``J_t = diag(tanh'(a_t)) g W_t``
    with a fresh ``W_t`` (entries ``N(0, 1/n)``) and fresh ``a_t ~ N(0, Delta)``
    at every step, ``Delta`` from :func:`~lyaplearn.meanfield.rnn_field_variance`. Its
    largest exponent tends to :func:`~lyaplearn.meanfield.rnn_lambda_max` as ``n`` grows;
    its whole spectrum is what
    mean-field theory predicts when the network's memory of its own weights is
    ignored. Computed with :func:`lyaplearn.lyapunov.spectrum_from_jacobians`;
    ``seed`` fixes the matrices and the starting frame, so a seed gives one spectrum.
    """
    g = _check_float(g, "g", nonneg=True)
    n = _check_int(n, "n", 1)
    steps = _check_int(steps, "steps", 1)
    delta = rnn_field_variance(g, sigma)
    rng = np.random.default_rng(seed)
    Js = rng.standard_normal((steps, n, n)) * (g / math.sqrt(n))
    a = math.sqrt(delta) * rng.standard_normal((steps, n))
    Js *= _dtanh(a)[:, :, None]
    return lyapunov.spectrum_from_jacobians(Js, rng=rng)   # the starting frame too


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
    from ..recurrent import lyapunov_spectrum, make_rnn, one_hot_inputs

    if arch not in ("lstm", "gru", "rnn_tanh"):
        raise ValueError(f"arch must be 'lstm', 'gru' or 'rnn_tanh', got {arch!r}")
    if gate_bias is not None and arch == "rnn_tanh":
        raise ValueError("gate_bias needs a gated arch ('lstm' or 'gru'), got arch='rnn_tanh'")
    ps = [_check_float(p, "ps", positive=True) for p in np.atleast_1d(ps)]
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
