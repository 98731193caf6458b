"""Layer normalisation, its closed-form Jacobian, in deep MLPs and in a recurrent cell (chapter 8,
"Layer normalisation: divide by the spread")."""

from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np
import torch
from torch import nn

from .. import conditioning, lyapunov
from .._checks import _check_float, _check_int
from ._checks import _biases, _square_stack, _vector
from ._residual import DepthProfile


def _as_float_vector(z, name: str = "z") -> np.ndarray:
    v = np.asarray(z, dtype=float)
    if v.ndim != 1 or v.size < 2 or not np.isfinite(v).all():
        raise ValueError(f"{name} must be a finite vector of length >= 2, got shape {v.shape}")
    return v


def layer_norm(z, eps: float = 0.0) -> np.ndarray:
    """``LN(z) = (z - mean(z)) / sqrt(var(z) + eps)`` (no learned gain or bias).

    ``var`` is the biased (population) variance, as in ``torch.nn.LayerNorm``.
    """
    z = _as_float_vector(z)
    eps = _check_float(eps, "eps", nonneg=True)
    c = z - z.mean()
    s = math.sqrt(float(np.mean(c ** 2)) + eps)
    if s == 0.0:
        raise ValueError("z must not be constant when eps = 0 (its layer norm is undefined)")
    return c / s


def layer_norm_jacobian(z, eps: float = 0.0) -> np.ndarray:
    """Closed-form Jacobian of :func:`layer_norm`.

    With ``n`` entries, ``c = z - mean(z)``, ``s = sqrt(mean(c^2) + eps)`` and
    ``u = c / s``:

    .. math:: \\frac{\\partial\\,\\mathrm{LN}}{\\partial z}
              = \\frac{1}{s}\\Big(I - \\tfrac{1}{n}\\mathbf{1}\\mathbf{1}^\\top
                - \\tfrac{1}{n} u u^\\top\\Big).

    For ``eps = 0`` it is symmetric, annihilates ``1`` and ``z`` (shifting or
    rescaling ``z`` does not change ``LN(z)``) and has ``n - 2`` singular values
    equal to ``1/s``: a projection scaled by the inverse spread of ``z``.

    Examples
    --------
    >>> import numpy as np
    >>> from lyaplearn.remedies import layer_norm, layer_norm_jacobian
    >>> z = np.array([1.0, 2.0, 4.0, 7.0])
    >>> np.allclose(layer_norm(3.0 * z + 5.0), layer_norm(z))   # shift and scale drop out
    True
    >>> J = layer_norm_jacobian(z)
    >>> np.allclose(J @ np.ones(4), 0.0), np.allclose(J @ z, 0.0)
    (True, True)
    >>> s = np.std(z)
    >>> np.allclose(np.linalg.svd(J, compute_uv=False)[:2], 1.0 / s)   # n - 2 of them
    True
    """
    z = _as_float_vector(z)
    u = layer_norm(z, eps)
    n = z.size
    s = math.sqrt(float(np.mean((z - z.mean()) ** 2)) + eps)
    return (np.eye(n) - 1.0 / n - np.outer(u, u) / n) / s


def ln_network_jacobians(weights, x, *, biases=None, eps: float = 0.0) -> list[np.ndarray]:
    """Layer Jacobians of ``h_l = tanh(LN(W_l h_{l-1} + b_l))``.

    ``J_l = diag(tanh'(LN(z_l))) (dLN/dz)(z_l) W_l`` with ``z_l = W_l h_{l-1} + b_l``.
    Because ``LN(c z) = LN(z)`` for ``c > 0`` (``eps = 0``), multiplying every
    ``W_l`` by a gain leaves the trajectory and every ``J_l`` unchanged.
    """
    Ws = _square_stack(weights)
    n = Ws[0].shape[0]
    h = _vector(x, n)
    bs = _biases(biases, n, len(Ws))
    out = []
    for W, b in zip(Ws, bs):
        z = W @ h + b
        u = layer_norm(z, eps)
        h = np.tanh(u)
        out.append((1.0 - h ** 2)[:, None] * (layer_norm_jacobian(z, eps) @ W))
    return out


def gain_profiles(gains: Sequence[float], *, depth: int = 50, width: int = 64,
                  seed: int = 0) -> dict[str, dict[float, DepthProfile]]:
    """Plain and layer-normalised tanh networks with the same weights at several gains.

    Returns ``{"plain": {gain: DepthProfile}, "layer norm": {gain: DepthProfile}}``:
    Gaussian (LeCun) weights times ``gain``, input ``N(0, I)``, unit error signal,
    all from ``seed`` (the same draw for every gain).
    """
    gains = [_check_float(g, "gains", positive=True) for g in gains]
    if not gains:
        raise ValueError("gains must contain at least one value")
    depth = _check_int(depth, "depth", 1)
    width = _check_int(width, "width", 2)
    rng = np.random.default_rng(seed)
    Ws, _ = conditioning.random_network(depth, width, "lecun", 1.0, rng=rng)
    x = rng.standard_normal(width)
    delta = rng.standard_normal(width)
    delta /= np.linalg.norm(delta)
    out: dict[str, dict[float, DepthProfile]] = {"plain": {}, "layer norm": {}}
    for g in gains:
        scaled = [g * W for W in Ws]
        for name, Js in (("plain", conditioning.network_jacobians(scaled, x, "tanh")),
                         ("layer norm", ln_network_jacobians(scaled, x))):
            out[name][g] = DepthProfile(conditioning.backward_norms(Js, delta),
                                        conditioning.product_log_singular_values(Js))
    return out


def rnn_cell_step(W: torch.Tensor, U: torch.Tensor, *, norm: bool = False,
                  eps: float = 1e-5) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """``step(h, x) = tanh(N(h W^T + x U^T))`` with ``N`` the layer norm or the identity.

    Written in torch operations, ready for
    :func:`lyaplearn.recurrent.lyapunov_spectrum_step`.
    """
    if not isinstance(W, torch.Tensor) or W.ndim != 2 or W.shape[0] != W.shape[1]:
        raise ValueError(f"W must be a square torch matrix, got {getattr(W, 'shape', type(W))}")
    if not isinstance(U, torch.Tensor) or U.ndim != 2 or U.shape[0] != W.shape[0]:
        raise ValueError(f"U must be a torch matrix with {W.shape[0]} rows, "
                         f"got {getattr(U, 'shape', type(U))}")
    n = W.shape[0]

    def step(h: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        a = h @ W.T + x @ U.T
        if norm:
            a = nn.functional.layer_norm(a, (n,), eps=eps)
        return torch.tanh(a)

    return step


class TanhCell:
    """The cell ``h_t = tanh(N(W h_{t-1} + U x_t))`` in numpy, ``N`` the layer norm or the identity.

    ``step(h, x)`` and ``jacobian(h, x)`` are vectorised over a leading batch
    axis, as :func:`lyaplearn.lyapunov.map_spectrum` expects; the Jacobian is
    ``diag(1 - h_t^2) (dN/da) W`` with ``dN/da`` from :func:`layer_norm_jacobian`
    (the same formula, batched). :func:`rnn_cell_step` is the torch twin.
    """

    def __init__(self, W, U, *, norm: bool = False, eps: float = 1e-5):
        W = np.asarray(W, dtype=float)
        U = np.asarray(U, dtype=float)
        if W.ndim != 2 or W.shape[0] != W.shape[1] or W.shape[0] < 2:
            raise ValueError(f"W must be a square matrix of size >= 2, got shape {W.shape}")
        if U.ndim != 2 or U.shape[0] != W.shape[0]:
            raise ValueError(f"U must have {W.shape[0]} rows, got shape {U.shape}")
        self.W, self.U, self.norm = W, U, bool(norm)
        self.eps = _check_float(eps, "eps", nonneg=True)
        self.dim = W.shape[0]

    def _normalised(self, h, x):
        a = np.asarray(h, dtype=float) @ self.W.T + np.asarray(x, dtype=float) @ self.U.T
        if not self.norm:
            return a, None
        c = a - a.mean(axis=-1, keepdims=True)
        s = np.sqrt(np.mean(c ** 2, axis=-1, keepdims=True) + self.eps)
        return c / s, s

    def step(self, h, x):
        """``h_t`` from ``h_{t-1}`` (B, n) and ``x_t`` (B, m)."""
        return np.tanh(self._normalised(h, x)[0])

    def jacobian(self, h, x):
        """``dh_t/dh_{t-1}``, shape (B, n, n)."""
        u, s = self._normalised(h, x)
        d = 1.0 - np.tanh(u) ** 2
        if not self.norm:
            return d[..., :, None] * self.W
        n = self.dim
        P = np.eye(n) - 1.0 / n - u[..., :, None] * u[..., None, :] / n
        return d[..., :, None] * ((P / s[..., None]) @ self.W)


def cell_lambda_max(gains: Sequence[float], *, norm: bool, hidden: int = 32, n_in: int = 4,
                    input_std: float = 0.5, steps: int = 300, warmup: int = 100,
                    batch: int = 8, k: int = 1, seed: int = 0) -> np.ndarray:
    """Top ``k`` Lyapunov exponents (batch mean) of a tanh cell with or without layer norm.

    For each gain ``g`` the cell is :class:`TanhCell` with ``W = g * W0`` (``W0``
    Gaussian ``N(0, 1/hidden)``), ``U`` Gaussian ``N(0, 1/n_in)``, inputs
    ``N(0, input_std^2)`` and initial states ``N(0, 0.01)``, all from ``seed``; the
    spectrum comes from :func:`lyaplearn.lyapunov.map_spectrum` (``warmup`` state
    steps, then ``steps`` steps with the frame, which first aligns during
    ``warmup // 2`` of them). Returns shape ``(len(gains), k)``.
    """
    hidden = _check_int(hidden, "hidden", 2)
    n_in = _check_int(n_in, "n_in", 1)
    steps = _check_int(steps, "steps", 2)
    warmup = _check_int(warmup, "warmup", 0)
    batch = _check_int(batch, "batch", 1)
    input_std = _check_float(input_std, "input_std", nonneg=True)
    gains = [_check_float(g, "gains", positive=True) for g in gains]
    if not gains:
        raise ValueError("gains must contain at least one value")
    rng = np.random.default_rng(seed)
    W0 = rng.standard_normal((hidden, hidden)) / math.sqrt(hidden)
    U = rng.standard_normal((hidden, n_in)) / math.sqrt(n_in)
    fw = warmup // 2
    X = input_std * rng.standard_normal((warmup + steps, batch, n_in))
    h0 = 0.1 * rng.standard_normal((batch, hidden))
    out = []
    for gain in gains:
        cell = TanhCell(gain * W0, U, norm=norm)
        lam = lyapunov.map_spectrum(cell.step, cell.jacobian, h0, steps - fw, inputs=X,
                                    warmup=warmup, frame_warmup=fw, k=k, seed=seed)
        out.append(lam.mean(axis=0))
    return np.array(out)
