"""Residual blocks ``h -> h + alpha * phi(W h + b)`` and what the skip does to depth (chapter 8,
"Residual blocks: add the identity")."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import conditioning
from .._checks import _check_float, _check_int
from ._checks import _biases, _check_activation, _square_stack, _vector


def residual_jacobians(weights, x, activation: str = "tanh", *, alpha: float = 1.0,
                       biases=None) -> list[np.ndarray]:
    """Layer Jacobians of the residual network ``h_l = h_{l-1} + alpha * phi(W_l h_{l-1} + b_l)``.

    Each is ``J_l = I + alpha * diag(phi'(z_l)) W_l``: the identity from the skip
    plus the (scaled) Jacobian of the branch, the plain layer Jacobian of
    :func:`lyaplearn.conditioning.network_jacobians` evaluated at the residual
    trajectory.

    Parameters
    ----------
    weights : sequence of array_like, each (n, n)
    x : array_like, shape (n,)
        The input ``h_0``.
    activation : {"tanh", "linear"}
    alpha : float
        Scale of the residual branch (``alpha = 0`` is the identity network).
    biases : sequence of array_like (n,), optional

    Returns
    -------
    list of numpy.ndarray
        ``[J_1, ..., J_L]`` in the order they act on a perturbation of ``h_0``.
    """
    activation = _check_activation(activation)
    alpha = _check_float(alpha, "alpha")
    Ws = _square_stack(weights)
    n = Ws[0].shape[0]
    h = _vector(x, n)
    bs = _biases(biases, n, len(Ws))
    eye = np.eye(n)
    out = []
    for W, b in zip(Ws, bs):
        Jf = conditioning.network_jacobians([W], h, activation, [b])[0]
        z = W @ h + b
        out.append(eye + alpha * Jf)
        h = h + alpha * (np.tanh(z) if activation == "tanh" else z)
    return out


@dataclass
class DepthProfile:
    """What :func:`depth_profile` measures for one network.

    Attributes
    ----------
    grad_norms
        ``||delta_l||`` for ``l = 0..L`` (index = layer), a unit error signal
        sent back from layer ``L``.
    log_sv
        Natural logs of the singular values of the input-output Jacobian,
        largest first.
    """

    grad_norms: np.ndarray
    log_sv: np.ndarray


def depth_profile(depth: int = 100, width: int = 64, gain: float = 1.0, *,
                  alpha: float | None = None, kind: str = "lecun", seed: int = 0) -> DepthProfile:
    """Gradient norms through depth and the Jacobian's singular values, plain or residual.

    Draws a tanh network with :func:`lyaplearn.conditioning.random_network`
    (weights of the given ``kind`` and ``gain``), an input ``N(0, I)`` and a
    random unit error signal at the output, all from ``seed``. ``alpha=None``
    is the plain network ``h_l = tanh(W_l h_{l-1})``; a number gives the residual
    network of :func:`residual_jacobians` with the same weights.
    """
    depth = _check_int(depth, "depth", 1)
    width = _check_int(width, "width", 1)
    rng = np.random.default_rng(seed)
    Ws, _ = conditioning.random_network(depth, width, kind, gain, rng=rng)
    x = rng.standard_normal(width)
    delta = rng.standard_normal(width)
    delta /= np.linalg.norm(delta)
    if alpha is None:
        Js = conditioning.network_jacobians(Ws, x, "tanh")
    else:
        Js = residual_jacobians(Ws, x, "tanh", alpha=alpha)
    return DepthProfile(conditioning.backward_norms(Js, delta),
                        conditioning.product_log_singular_values(Js))


def gradient_loss_depth(grad_norms, threshold: float = 1e-2) -> int | None:
    """How many layers back a gradient first falls below ``threshold`` times its start.

    ``grad_norms`` is indexed by layer (``[||delta_0||, ..., ||delta_L||]``, as
    returned by :func:`lyaplearn.conditioning.backward_norms`); the answer is the
    smallest ``k`` with ``||delta_{L-k}|| < threshold * ||delta_L||``, or ``None``
    if that never happens.
    """
    g = np.asarray(grad_norms, dtype=float)
    if g.ndim != 1 or g.size < 2 or not np.all(g >= 0) or g[-1] <= 0:
        raise ValueError("grad_norms must be a vector of >= 2 non-negative norms, the last "
                         f"positive, got shape {g.shape}")
    threshold = _check_float(threshold, "threshold", positive=True)
    back = g[::-1] / g[-1]
    hit = np.nonzero(back < threshold)[0]
    return int(hit[0]) if hit.size else None
