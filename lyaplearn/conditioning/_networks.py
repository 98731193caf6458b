"""Initialisers and deep networks' input-output Jacobians (chapter 3)."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .._checks import _check_float, _check_int
from ._checks import (
    _as_matrices,
    _check_activation,
    _check_init,
    _rng,
)
from ._products import _LN10, product_log_singular_values

# ---------------------------------------------------------------------------
# initialisers
# ---------------------------------------------------------------------------

def weight_variance(kind: str, fan_in: int, fan_out: int | None = None,
                    gain: float = 1.0) -> float:
    """Variance of each entry of a Gaussian initialiser.

    ``"lecun"``: ``gain**2 / fan_in``; ``"xavier"``: ``gain**2 * 2 / (fan_in + fan_out)``;
    ``"he"``: ``gain**2 * 2 / fan_in``; ``"orthogonal"``: ``gain**2 / fan_out`` (the
    entry variance of ``gain`` times a Haar-random matrix with orthonormal
    columns, ``fan_out >= fan_in``, or rows, ``fan_out <= fan_in``, equals
    ``gain**2 / max(fan_in, fan_out)``).
    """
    kind = _check_init(kind)
    fan_in = _check_int(fan_in, "fan_in", 1)
    fan_out = fan_in if fan_out is None else _check_int(fan_out, "fan_out", 1)
    g2 = _check_float(gain, "gain", positive=True) ** 2
    if kind == "lecun":
        return g2 / fan_in
    if kind == "xavier":
        return g2 * 2.0 / (fan_in + fan_out)
    if kind == "he":
        return g2 * 2.0 / fan_in
    return g2 / max(fan_in, fan_out)


def _haar_orthogonal(n_out: int, n_in: int, rng: np.random.Generator) -> np.ndarray:
    big, small = max(n_out, n_in), min(n_out, n_in)
    Z = rng.standard_normal((big, small))
    Q, R = np.linalg.qr(Z)
    d = np.sign(np.diag(R))
    d[d == 0] = 1.0
    Q = Q * d  # without this sign fix the distribution is not Haar
    return Q if n_out >= n_in else Q.T


def init_weights(n: int, kind: str = "orthogonal", gain: float = 1.0, *,
                 n_in: int | None = None, rng=None) -> np.ndarray:
    """A random weight matrix of shape ``(n, n_in)`` from a standard initialiser.

    Parameters
    ----------
    n : int
        Number of rows (fan-out).
    kind : {"lecun", "xavier", "he", "orthogonal"}
        Gaussian with entry variance :func:`weight_variance` (LeCun
        ``1/fan_in``, Xavier/Glorot ``2/(fan_in+fan_out)``, He ``2/fan_in``),
        or ``gain`` times a Haar-random orthogonal matrix (QR of a Gaussian
        matrix with the signs of ``diag(R)`` fixed); for a rectangular shape,
        orthonormal columns or rows.
    gain : float
        Positive multiplier of the standard deviation.
    n_in : int, optional
        Number of columns (fan-in); defaults to ``n``.
    rng : numpy.random.Generator or int or None
        Source of randomness (an int is a seed).
    """
    n = _check_int(n, "n", 1)
    n_in = n if n_in is None else _check_int(n_in, "n_in", 1)
    kind = _check_init(kind)
    gain = _check_float(gain, "gain", positive=True)
    gen = _rng(rng)
    if kind == "orthogonal":
        return gain * _haar_orthogonal(n, n_in, gen)
    std = np.sqrt(weight_variance(kind, n_in, n, gain))
    return std * gen.standard_normal((n, n_in))


# ---------------------------------------------------------------------------
# deep networks
# ---------------------------------------------------------------------------

def critical_tanh(q_star: float, *, n_nodes: int = 400) -> tuple[float, float]:
    """Weight gain and bias scale that put a tanh network at criticality.

    For ``h_l = tanh(W_l h_{l-1} + b_l)`` with ``W`` entries of variance
    ``gain**2 / n`` (or ``gain`` times an orthogonal matrix) and biases
    ``N(0, bias_std**2)``, the pre-activation variance of a wide network obeys
    ``q_{l+1} = gain**2 E[tanh(sqrt(q_l) z)**2] + bias_std**2`` (``z`` standard
    normal). Criticality (Pennington et al. 2017) asks that ``q_star`` be a
    fixed point *and* that the mean squared singular value of each layer
    Jacobian be one there, ``gain**2 E[tanh'(sqrt(q_star) z)**2] = 1``.
    Solving both gives the pair returned. Gaussian expectations use
    ``n_nodes``-point Gauss-Legendre quadrature on ``[-12, 12]``.

    Parameters
    ----------
    q_star : float
        Target pre-activation variance, ``0 < q_star``; small values keep the
        network near tanh's linear regime.

    Returns
    -------
    (gain, bias_std) : tuple of float
    """
    q = _check_float(q_star, "q_star", positive=True)
    n_nodes = _check_int(n_nodes, "n_nodes", 2)
    z, w = np.polynomial.legendre.leggauss(n_nodes)
    z = 12.0 * z
    w = 12.0 * w * np.exp(-0.5 * z ** 2) / np.sqrt(2.0 * np.pi)
    t = np.tanh(np.sqrt(q) * z)
    gain2 = 1.0 / float(np.sum(w * (1.0 - t ** 2) ** 2))
    bias2 = q - gain2 * float(np.sum(w * t ** 2))
    if bias2 < 0:  # cannot happen for tanh (E tanh^2 <= q E tanh'^2); guard rounding
        bias2 = 0.0
    return float(np.sqrt(gain2)), float(np.sqrt(bias2))


def random_network(depth: int, width: int, kind: str = "orthogonal", gain: float = 1.0,
                   *, bias_std: float = 0.0, rng=None
                   ) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Weights and biases of a deep square network ``h_l = phi(W_l h_{l-1} + b_l)``.

    Returns ``(weights, biases)``: ``depth`` matrices of shape ``(width, width)``
    from :func:`init_weights` and ``depth`` bias vectors with entries
    ``N(0, bias_std**2)``.
    """
    depth = _check_int(depth, "depth", 1)
    width = _check_int(width, "width", 1)
    kind = _check_init(kind)
    bias_std = _check_float(bias_std, "bias_std", nonneg=True)
    gen = _rng(rng)
    weights = [init_weights(width, kind, gain, rng=gen) for _ in range(depth)]
    biases = [bias_std * gen.standard_normal(width) for _ in range(depth)]
    return weights, biases


def network_jacobians(weights, x, activation: str = "tanh", biases=None
                      ) -> list[np.ndarray]:
    """Layer Jacobians ``J_l = diag(phi'(z_l)) W_l`` of ``h_l = phi(W_l h_{l-1} + b_l)``.

    Parameters
    ----------
    weights : sequence of array_like, each (n_l, n_{l-1})
    x : array_like, shape (n_0,)
        The input ``h_0``.
    activation : {"linear", "tanh"}
    biases : sequence of array_like (n_l,), optional
        Zero if omitted.

    Returns
    -------
    list of numpy.ndarray
        ``[J_1, ..., J_L]``; their product ``J_L ... J_1`` is the input-output
        Jacobian ``d h_L / d h_0``.
    """
    activation = _check_activation(activation)
    Ws = _as_matrices(weights, "weights")
    h = np.asarray(x, dtype=float)
    if h.ndim != 1 or h.shape[0] != Ws[0].shape[1]:
        raise ValueError(f"x must be a vector of length {Ws[0].shape[1]} to match "
                         f"weights[0] of shape {Ws[0].shape}, got shape {h.shape}")
    if biases is None:
        bs = [np.zeros(W.shape[0]) for W in Ws]
    else:
        bs = [np.asarray(b, dtype=float) for b in biases]
        if len(bs) != len(Ws):
            raise ValueError(f"biases must have one vector per layer ({len(Ws)}), "
                             f"got {len(bs)}")
    jacobians = []
    for i, (W, b) in enumerate(zip(Ws, bs)):
        if W.shape[1] != h.shape[0]:
            raise ValueError(f"weights[{i}] must have {h.shape[0]} columns to follow "
                             f"the previous layer, got shape {W.shape}")
        if b.shape != (W.shape[0],):
            raise ValueError(f"biases[{i}] must have shape ({W.shape[0]},) to match "
                             f"weights[{i}] of shape {W.shape}, got shape {b.shape}")
        z = W @ h + b
        if activation == "tanh":
            h = np.tanh(z)
            d = 1.0 - h ** 2
        else:
            h = z
            d = np.ones_like(z)
        jacobians.append(d[:, None] * W)
    return jacobians


def input_output_jacobian(weights, x, activation: str = "tanh", biases=None) -> np.ndarray:
    """The input-output Jacobian ``d h_L / d h_0 = J_L ... J_1``, formed explicitly."""
    Js = network_jacobians(weights, x, activation, biases)
    P = Js[0]
    for J in Js[1:]:
        P = J @ P
    return P


def jacobian_log_singular_values(depth: int, width: int, kind: str = "orthogonal",
                                 gain: float = 1.0, activation: str = "tanh", *,
                                 input_std: float = 1.0, bias_std: float = 0.0,
                                 rng=None) -> np.ndarray:
    """Log singular values of the input-output Jacobian of a random deep network.

    Draws a network with :func:`random_network` and an input with entries
    ``N(0, input_std**2)``, and returns :func:`product_log_singular_values` of
    its layer Jacobians (natural logs, largest first).
    """
    gen = _rng(rng)
    weights, biases = random_network(depth, width, kind, gain, bias_std=bias_std, rng=gen)
    input_std = _check_float(input_std, "input_std", positive=True)
    x = input_std * gen.standard_normal(width)
    return product_log_singular_values(network_jacobians(weights, x, activation, biases))


def backward_norms(jacobians, delta) -> np.ndarray:
    """Norms of an error signal propagated backwards through layer Jacobians.

    With ``delta_L = delta`` and ``delta_{l-1} = J_l^T delta_l``, returns
    ``[||delta_0||, ||delta_1||, ..., ||delta_L||]`` (index = layer).
    """
    Js = _as_matrices(jacobians, "jacobians")
    d = np.asarray(delta, dtype=float)
    if d.ndim != 1 or d.shape[0] != Js[-1].shape[0]:
        raise ValueError(f"delta must be a vector of length {Js[-1].shape[0]} to match "
                         f"jacobians[-1] of shape {Js[-1].shape}, got shape {d.shape}")
    norms = [np.linalg.norm(d)]
    for i in range(len(Js) - 1, -1, -1):
        if Js[i].shape[0] != d.shape[0]:
            raise ValueError(f"jacobians[{i}] must have {d.shape[0]} rows to precede "
                             f"the next layer, got shape {Js[i].shape}")
        d = Js[i].T @ d
        norms.append(np.linalg.norm(d))
    return np.array(norms[::-1])


def condition_vs_depth(max_depth: int = 64, kinds: Sequence[str] = ("lecun", "orthogonal"),
                       activation: str = "tanh", *, gain: float = 1.0, width: int = 64,
                       input_std: float = 1.0, bias_std: float = 0.0,
                       seed: int = 0) -> dict[str, np.ndarray]:
    """``log10`` condition number of the first ``L`` layers' Jacobian, ``L = 1..max_depth``.

    For each initialiser one network of depth ``max_depth`` is drawn (seed ``seed``, the
    same for every initialiser) and the condition number of the product of its first
    ``L`` layer Jacobians is computed with :func:`product_log_singular_values` for every
    ``L``.

    Returns
    -------
    dict
        initialiser -> array of shape ``(max_depth,)``, entry ``L - 1`` for depth ``L``.
    """
    max_depth = _check_int(max_depth, "max_depth", 1)
    activation = _check_activation(activation)
    out = {}
    for kind in kinds:
        kind = _check_init(kind)
        gen = np.random.default_rng(seed)
        weights, biases = random_network(max_depth, width, kind, gain,
                                         bias_std=bias_std, rng=gen)
        x = input_std * gen.standard_normal(width)
        Js = network_jacobians(weights, x, activation, biases)
        logk = []
        for L in range(1, max_depth + 1):
            ls = product_log_singular_values(Js[:L])
            logk.append((ls[0] - ls[-1]) / _LN10)
        out[kind] = np.array(logk)
    return out


def log_singular_values_vs_depth(max_depth: int = 50, kind: str = "lecun",
                                 activation: str = "linear", *, gain: float = 1.0,
                                 width: int = 16, seed: int = 0) -> np.ndarray:
    """Every ``ln sigma_i`` of the depth-``L`` product, for ``L = 1..max_depth``.

    One network of depth ``max_depth`` (weights from seed ``seed``, input from
    ``seed + 1``); row ``L - 1`` holds the natural logs of the singular values of
    ``J_L ... J_1``, largest first. Returns an array of shape ``(max_depth, width)``.
    """
    max_depth = _check_int(max_depth, "max_depth", 1)
    weights, biases = random_network(max_depth, width, kind, gain, rng=seed)
    gen = np.random.default_rng(seed + 1)
    Js = network_jacobians(weights, gen.standard_normal(width), activation, biases)
    return np.array([product_log_singular_values(Js[:L]) for L in range(1, max_depth + 1)])
