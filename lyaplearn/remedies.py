"""Chapter 8: keeping the product near one -- remedies, each measured.

Every remedy for vanishing and exploding gradients changes one thing: the
one-step (or one-layer) Jacobian whose product backpropagation computes. This
module builds the Jacobian of each remedy in closed form and hands it to the
instruments of the earlier chapters, which measure what the change does:
singular values of deep products (:func:`lyaplearn.conditioning.product_log_singular_values`),
gradient norms through depth (:func:`lyaplearn.conditioning.backward_norms`) and
Lyapunov spectra (:func:`lyaplearn.recurrent.lyapunov_spectrum`,
:func:`lyaplearn.recurrent.lyapunov_spectrum_step`, :func:`lyaplearn.lyapunov.map_spectrum`).

Residual blocks, ``h -> h + alpha * phi(W h + b)``
    :func:`residual_jacobians`, :func:`depth_profile` (a :class:`DepthProfile`),
    :func:`gradient_loss_depth`,
    :func:`plot_residual`.
Layer normalisation
    :func:`layer_norm`, :func:`layer_norm_jacobian`, :func:`ln_network_jacobians`,
    :func:`gain_profiles`, :func:`rnn_cell_step`, :class:`TanhCell`, :func:`cell_lambda_max`,
    :func:`plot_layer_norm`, :func:`plot_cell_lambda`.
Orthogonal, unitary and spectrally normalised recurrences
    :func:`skew_orthogonal`, :func:`orthogonal_matrix`, :func:`spectral_normalised`,
    :func:`procrustes_distance`, :func:`fit_orthogonal`, :func:`recurrence_spectra`,
    :func:`plot_recurrences`.
Gating
    :func:`gated_rnn`, :func:`gating_spectra`, :func:`slow_modes`, :func:`plot_gating`.
Compounding error of autoregressive rollouts
    :func:`rollout_divergence`, :func:`growth_rate`, :func:`horizon`,
    :func:`henon_sequences`, :func:`train_one_step`, :func:`rollout_errors`,
    :func:`model_lambda_max`, :func:`plot_compounding`, :func:`plot_forcing`.

Exponents are natural-log rates, nats per step (or per layer).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

import numpy as np
import torch
from torch import nn

from . import conditioning, lyapunov, recurrent, style
from ._activations import supported
from ._checks import _check_int

__all__ = [
    "residual_jacobians",
    "DepthProfile",
    "depth_profile",
    "gradient_loss_depth",
    "layer_norm",
    "layer_norm_jacobian",
    "ln_network_jacobians",
    "gain_profiles",
    "rnn_cell_step",
    "TanhCell",
    "cell_lambda_max",
    "skew_orthogonal",
    "orthogonal_matrix",
    "spectral_normalised",
    "procrustes_distance",
    "fit_orthogonal",
    "recurrence_spectra",
    "gated_rnn",
    "gating_spectra",
    "slow_modes",
    "rollout_divergence",
    "growth_rate",
    "horizon",
    "henon_sequences",
    "train_one_step",
    "rollout_errors",
    "model_lambda_max",
    "ForcingRun",
    "plot_residual",
    "plot_layer_norm",
    "plot_cell_lambda",
    "plot_recurrences",
    "plot_gating",
    "plot_compounding",
    "plot_forcing",
]

_ACTIVATIONS = supported("tanh", "linear")


# ---------------------------------------------------------------------------
# input checking
# ---------------------------------------------------------------------------

def _check_float(value, name: str, *, positive: bool = False, nonneg: bool = False) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a real number, got {value!r}") from None
    if not math.isfinite(v) or (positive and v <= 0) or (nonneg and v < 0):
        what = "a finite number > 0" if positive else ("a finite number >= 0" if nonneg
                                                        else "a finite number")
        raise ValueError(f"{name} must be {what}, got {value!r}")
    return v


def _check_activation(activation) -> str:
    if activation not in _ACTIVATIONS:
        raise ValueError(f"activation must be one of {_ACTIVATIONS}, got {activation!r}")
    return activation


def _square_stack(weights, name: str = "weights") -> list[np.ndarray]:
    Ws = [np.asarray(W, dtype=float) for W in weights]
    if not Ws:
        raise ValueError(f"{name} must contain at least one matrix, got none")
    n = Ws[0].shape[0] if Ws[0].ndim == 2 else -1
    for i, W in enumerate(Ws):
        if W.ndim != 2 or W.shape != (n, n) or n == 0:
            raise ValueError(f"{name} must be square matrices of one shape; {name}[0] has "
                             f"shape {Ws[0].shape}, {name}[{i}] has shape {W.shape}")
        if not np.isfinite(W).all():
            raise ValueError(f"{name}[{i}] must contain only finite numbers")
    return Ws


def _vector(x, n: int, name: str = "x") -> np.ndarray:
    v = np.asarray(x, dtype=float)
    if v.shape != (n,) or not np.isfinite(v).all():
        raise ValueError(f"{name} must be a finite vector of length {n}, got shape {v.shape}")
    return v


def _biases(biases, n: int, depth: int) -> list[np.ndarray]:
    if biases is None:
        return [np.zeros(n)] * depth
    bs = list(biases)
    if len(bs) != depth:
        raise ValueError(f"biases must have one vector per layer ({depth}), got {len(bs)}")
    return [_vector(b, n, f"biases[{i}]") for i, b in enumerate(bs)]


# ---------------------------------------------------------------------------
# residual blocks
# ---------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------
# layer normalisation
# ---------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------
# orthogonal, unitary and spectrally normalised recurrences
# ---------------------------------------------------------------------------

def skew_orthogonal(A: torch.Tensor) -> torch.Tensor:
    """``Q = exp(A - A^T)``: an orthogonal matrix from any square ``A``.

    ``S = A - A^T`` is skew-symmetric, so ``Q^T Q = exp(-S) exp(S) = I`` and
    ``det Q = exp(tr S) = 1``. Every rotation (det 1) is reached this way, and
    the map is differentiable, so ``A`` can be trained freely while ``Q`` stays
    orthogonal (Lezcano-Casado and Martínez-Rubio, 2019).
    """
    if not isinstance(A, torch.Tensor) or A.ndim != 2 or A.shape[0] != A.shape[1]:
        raise ValueError(f"A must be a square torch matrix, got {getattr(A, 'shape', type(A))}")
    return torch.linalg.matrix_exp(A - A.T)


def orthogonal_matrix(n: int, *, seed: int = 0, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """An orthogonal ``n x n`` matrix from ``torch.nn.utils.parametrizations.orthogonal``.

    A bias-free ``nn.Linear(n, n)`` is drawn with ``seed`` and parametrised; the
    returned tensor is its (detached) weight.
    """
    n = _check_int(n, "n", 1)
    torch.manual_seed(int(seed))
    lin = nn.utils.parametrizations.orthogonal(nn.Linear(n, n, bias=False).to(dtype))
    return lin.weight.detach().clone()


def spectral_normalised(W: torch.Tensor, *, n_power_iterations: int = 50,
                        seed: int = 0) -> torch.Tensor:
    """``W / sigma_1(W)`` as ``torch.nn.utils.parametrizations.spectral_norm`` computes it.

    The parametrisation estimates ``sigma_1`` by power iteration; with the
    default 50 iterations on a small matrix the estimate has converged. Returns
    the (detached) normalised weight of an ``nn.Linear`` holding ``W``.
    """
    if not isinstance(W, torch.Tensor) or W.ndim != 2:
        raise ValueError(f"W must be a torch matrix, got {getattr(W, 'shape', type(W))}")
    n_power_iterations = _check_int(n_power_iterations, "n_power_iterations", 1)
    torch.manual_seed(int(seed))
    lin = nn.Linear(W.shape[1], W.shape[0], bias=False).to(W.dtype)
    with torch.no_grad():
        lin.weight.copy_(W)
    lin = nn.utils.parametrizations.spectral_norm(lin, n_power_iterations=n_power_iterations)
    lin.train()  # each forward (and each access in training mode) runs the power iteration
    return lin.weight.detach().clone()


def procrustes_distance(M) -> float:
    """Frobenius distance from ``M`` to the orthogonal matrices: ``sqrt(sum (sigma_i - 1)^2)``.

    The nearest one is the polar factor ``U V^T`` of ``M = U S V^T`` (orthogonal
    Procrustes problem). It is the least error any orthogonal recurrence can
    make when it has to reproduce the linear map ``M``.
    """
    s = conditioning.singular_values(M)
    return float(np.sqrt(np.sum((s - 1.0) ** 2)))


def fit_orthogonal(target, *, steps: int = 300, lr: float = 0.05, seed: int = 0) -> np.ndarray:
    """Fit an orthogonally parametrised linear map to ``target`` by gradient descent.

    Minimises ``||Q - target||_F`` over ``Q = exp(A - A^T)`` (:func:`skew_orthogonal`)
    with Adam from a small random ``A``. Returns the loss ``||Q - target||_F``
    after every step, ``(steps,)``; it can never go below
    :func:`procrustes_distance` of ``target`` (and reaches it when ``det`` of the
    polar factor is +1).
    """
    M = torch.as_tensor(np.asarray(target, dtype=float))
    if M.ndim != 2 or M.shape[0] != M.shape[1] or not torch.isfinite(M).all():
        raise ValueError(f"target must be a finite square matrix, got shape {tuple(M.shape)}")
    steps = _check_int(steps, "steps", 1)
    lr = _check_float(lr, "lr", positive=True)
    g = torch.Generator().manual_seed(int(seed))
    A = (0.01 * torch.randn(M.shape, generator=g, dtype=torch.float64)).requires_grad_()
    opt = torch.optim.Adam([A], lr=lr)
    losses = np.empty(steps)
    for i in range(steps):
        loss = torch.linalg.matrix_norm(skew_orthogonal(A) - M)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses[i] = loss.item()
    return losses


def _rnn_with(W: torch.Tensor, U: torch.Tensor) -> nn.RNN:
    n, m = U.shape
    rnn = nn.RNN(m, n, bias=False).to(torch.float64)
    with torch.no_grad():
        rnn.weight_hh_l0.copy_(W)
        rnn.weight_ih_l0.copy_(U)
    return rnn


def recurrence_spectra(hidden: int = 32, gain: float = 2.0, *, n_in: int = 4,
                       input_std: float = 0.5, steps: int = 200, warmup: int = 50,
                       batch: int = 4, seed: int = 0
                       ) -> dict[str, tuple[np.ndarray, recurrent.SpectrumResult]]:
    """Three recurrent matrices for the same tanh RNN and their Lyapunov spectra.

    ``"Gaussian"``: ``W = gain * G`` with ``G`` entries ``N(0, 1/hidden)``;
    ``"orthogonal"``: from :func:`orthogonal_matrix`; ``"spectral norm"``:
    :func:`spectral_normalised` of the Gaussian ``W``. Each drives an
    ``nn.RNN`` (tanh, no bias) with the same input weights ``N(0, 1/n_in)`` and
    Gaussian inputs ``N(0, input_std^2)``; spectra from
    :func:`lyaplearn.recurrent.lyapunov_spectrum`.

    Returns ``{name: (W as numpy array, SpectrumResult)}``.
    """
    hidden = _check_int(hidden, "hidden", 2)
    gain = _check_float(gain, "gain", positive=True)
    n_in = _check_int(n_in, "n_in", 1)
    steps = _check_int(steps, "steps", 1)
    warmup = _check_int(warmup, "warmup", 0)
    batch = _check_int(batch, "batch", 1)
    input_std = _check_float(input_std, "input_std", nonneg=True)
    g = torch.Generator().manual_seed(int(seed))
    dt = torch.float64
    G = gain * torch.randn(hidden, hidden, generator=g, dtype=dt) / math.sqrt(hidden)
    U = torch.randn(hidden, n_in, generator=g, dtype=dt) / math.sqrt(n_in)
    X = input_std * torch.randn(warmup + steps, batch, n_in, generator=g, dtype=dt)
    mats = {"Gaussian": G, "orthogonal": orthogonal_matrix(hidden, seed=seed),
            "spectral norm": spectral_normalised(G, seed=seed)}
    return {name: (W.numpy(), recurrent.lyapunov_spectrum(_rnn_with(W, U), X, warmup=warmup))
            for name, W in mats.items()}


# ---------------------------------------------------------------------------
# gating
# ---------------------------------------------------------------------------

def gated_rnn(arch: str, input_size: int, hidden: int, p: float, *, gate_bias: float = 0.0,
              seed: int = 0) -> nn.Module:
    """:func:`lyaplearn.recurrent.make_rnn` plus a bias on the gate that keeps the state.

    For an LSTM ``gate_bias`` is added to the forget-gate biases (pushing ``f``
    towards 1); for a GRU to the update-gate biases (pushing ``z``, the weight of
    the old state in ``h' = (1 - z) n + z h``, towards 1). A vanilla RNN has no
    gate: ``gate_bias`` must be 0.
    """
    m = recurrent.make_rnn(arch, input_size, hidden, p, seed=seed)
    gate_bias = _check_float(gate_bias, "gate_bias")
    if gate_bias == 0.0:
        return m
    if arch.startswith("rnn"):
        raise ValueError(f"gate_bias must be 0 for arch={arch!r}, which has no gate")
    H = hidden
    block = slice(H, 2 * H)  # LSTM order i, f, g, o; GRU order r, z, n: both the second block
    with torch.no_grad():
        m.bias_hh_l0[block] += gate_bias
    return m


def gating_spectra(*, hidden: int = 32, n_symbols: int = 16, p: float = 0.5,
                   gate_bias: float = 3.0, steps: int = 200, warmup: int = 50, batch: int = 4,
                   seed: int = 0) -> dict[str, recurrent.SpectrumResult]:
    """Spectra of an RNN, a GRU and an LSTM of the same size on the same one-hot inputs.

    Weights U(-p, p) (:func:`lyaplearn.recurrent.make_rnn`); the gated networks
    are shown with ``gate_bias = 0`` and ``gate_bias`` (:func:`gated_rnn`).
    Returns ``{label: SpectrumResult}`` (full state: ``2 * hidden`` exponents
    for the LSTM).
    """
    X = recurrent.one_hot_inputs(warmup + steps, batch, n_symbols, seed=seed + 1)
    out = {"RNN (tanh)": gated_rnn("rnn_tanh", n_symbols, hidden, p, seed=seed)}
    for arch, name in (("gru", "GRU"), ("lstm", "LSTM")):
        out[f"{name}, gate bias 0"] = gated_rnn(arch, n_symbols, hidden, p, seed=seed)
        out[f"{name}, gate bias {gate_bias:g}"] = gated_rnn(arch, n_symbols, hidden, p,
                                                             gate_bias=gate_bias, seed=seed)
    return {k: recurrent.lyapunov_spectrum(m, X, warmup=warmup) for k, m in out.items()}


def slow_modes(exponents, tol: float = 0.1) -> int:
    """Number of exponents within ``tol`` of zero (``|lambda| <= tol``): the slow directions.

    A perturbation along such a direction decays by less than ``e^{-tol}`` per
    step, so it (and the gradient along it) survives about ``1/tol`` steps or more.
    """
    lam = np.asarray(exponents, dtype=float)
    if lam.ndim != 1 or lam.size == 0 or not np.isfinite(lam).all():
        raise ValueError(f"exponents must be a finite non-empty vector, got shape {lam.shape}")
    tol = _check_float(tol, "tol", positive=True)
    return int(np.sum(np.abs(lam) <= tol))


# ---------------------------------------------------------------------------
# compounding error
# ---------------------------------------------------------------------------

def rollout_divergence(true_map, model_map, x0, steps: int) -> np.ndarray:
    """Distance between a true trajectory and a model's rollout from the same start.

    Both maps are objects with a vectorised ``step`` (e.g.
    :class:`lyaplearn.maps.HenonMap`); ``x0`` is ``(n,)`` or ``(B, n)``.
    Returns ``||x_t - x_hat_t||`` for ``t = 0..steps``, shape ``(steps + 1,)``
    or ``(steps + 1, B)``.
    """
    steps = _check_int(steps, "steps", 1)
    x = np.asarray(x0, dtype=float)
    y = x.copy()
    out = [np.linalg.norm(x - y, axis=-1)]
    for _ in range(steps):
        x, y = true_map.step(x), model_map.step(y)
        out.append(np.linalg.norm(x - y, axis=-1))
    return np.array(out)


def growth_rate(errors, *, lo: float = 1e-9, hi: float = 1e-3) -> float:
    """Slope of ``log(median error)`` against time while it lies in ``(lo, hi)``.

    ``errors`` is ``(T,)`` or ``(T, B)`` (time first). While an error is small it
    obeys the linearised dynamics and grows like ``e^{lambda_max t}``; the median
    over ``B`` trajectories is robust to the few that are still aligning. Uses
    a least-squares line through the points in the window (at least three).
    """
    e = np.asarray(errors, dtype=float)
    if e.ndim == 2:
        e = np.median(e, axis=1)
    if e.ndim != 1:
        raise ValueError(f"errors must have shape (T,) or (T, B), got shape {np.shape(errors)}")
    lo = _check_float(lo, "lo", positive=True)
    hi = _check_float(hi, "hi", positive=True)
    if hi <= lo:
        raise ValueError(f"hi must exceed lo, got lo={lo}, hi={hi}")
    t = np.nonzero((e > lo) & (e < hi))[0]
    if t.size < 3:
        raise ValueError(f"errors must spend at least 3 steps inside ({lo}, {hi}), got {t.size}")
    return float(np.polyfit(t, np.log(e[t]), 1)[0])


def horizon(lambda_max: float, eps: float, tolerance: float) -> float:
    """Predictability horizon ``log(tolerance / eps) / lambda_max`` (steps).

    An initial error ``eps`` growing like ``eps * e^{lambda_max t}`` reaches
    ``tolerance`` after this many steps; in units of ``1/lambda_max`` it is only
    the logarithm of the accuracy ratio, so a thousand times better data buys
    ``log(1000) ≈ 6.9`` Lyapunov times more.
    """
    lam = _check_float(lambda_max, "lambda_max", positive=True)
    eps = _check_float(eps, "eps", positive=True)
    tolerance = _check_float(tolerance, "tolerance", positive=True)
    return math.log(tolerance / eps) / lam


def _henon_torch(x: torch.Tensor, a: float = 1.4, b: float = 0.3) -> torch.Tensor:
    return torch.stack([1 - a * x[..., 0] ** 2 + x[..., 1], b * x[..., 0]], -1)


def henon_sequences(n_seq: int, length: int, *, seed: int = 0, burn_in: int = 100) -> torch.Tensor:
    """Trajectories of the Hénon map on its attractor, shape ``(n_seq, length, 2)`` (float64)."""
    n_seq = _check_int(n_seq, "n_seq", 1)
    length = _check_int(length, "length", 2)
    burn_in = _check_int(burn_in, "burn_in", 0)
    g = torch.Generator().manual_seed(int(seed))
    x = 0.1 * torch.randn(n_seq, 2, generator=g, dtype=torch.float64)
    for _ in range(burn_in):
        x = _henon_torch(x)
    xs = [x]
    for _ in range(length - 1):
        x = _henon_torch(x)
        xs.append(x)
    return torch.stack(xs, 1)


def _predictor(hidden: int, seed: int) -> nn.Module:
    torch.manual_seed(int(seed))
    return nn.Sequential(nn.Linear(2, hidden), nn.Tanh(), nn.Linear(hidden, 2)).to(torch.float64)


@dataclass
class ForcingRun:
    """A one-step predictor ``x_{t+1} = x_t + f(x_t)`` trained by :func:`train_one_step`."""

    mode: str
    seed: int
    model: nn.Module
    losses: np.ndarray

    def step(self, x: torch.Tensor) -> torch.Tensor:
        """One step of the learned map (batched, differentiable)."""
        return x + self.model(x)


def train_one_step(data: torch.Tensor, mode: str = "teacher", *, hidden: int = 16,
                   epochs: int = 200, unroll: int = 4, lr: float = 0.03,
                   seed: int = 0) -> ForcingRun:
    """Train ``x_{t+1} = x_t + MLP(x_t)`` on windows of ``data`` (``(N, T, n)``).

    Every epoch takes one window of ``unroll + 1`` steps from each sequence and
    predicts ``unroll`` steps; the loss is the mean squared error against the
    data at every step. ``mode="teacher"`` (teacher forcing) always feeds the
    true state to the next step; ``mode="scheduled"`` (scheduled sampling,
    Bengio et al., 2015) feeds the model's own (detached) prediction instead
    with probability ``eps``, rising linearly from 0 to 1 over the first 60% of
    the epochs, per sequence and step.
    """
    if mode not in ("teacher", "scheduled"):
        raise ValueError(f"mode must be 'teacher' or 'scheduled', got {mode!r}")
    if not isinstance(data, torch.Tensor) or data.ndim != 3:
        raise ValueError("data must be a tensor (N, T, n), got "
                         f"{getattr(data, 'shape', type(data))}")
    unroll = _check_int(unroll, "unroll", 1)
    epochs = _check_int(epochs, "epochs", 1)
    N, T, n = data.shape
    if T < unroll + 2:
        raise ValueError(f"data must have more than unroll + 1 = {unroll + 1} steps, got {T}")
    model = _predictor(_check_int(hidden, "hidden", 1), seed)
    opt = torch.optim.Adam(model.parameters(), lr=_check_float(lr, "lr", positive=True))
    g = torch.Generator().manual_seed(int(seed) + 1000)
    rows = torch.arange(N)[:, None]
    losses = np.empty(epochs)
    for ep in range(epochs):
        eps = 0.0 if mode == "teacher" else min(1.0, ep / (0.6 * epochs))
        start = torch.randint(0, T - unroll - 1, (N,), generator=g)
        win = data[rows, start[:, None] + torch.arange(unroll + 1)]
        if mode == "teacher":   # every input is data: all steps of the window at once
            pred = win[:, :-1] + model(win[:, :-1])
            loss = ((pred - win[:, 1:]) ** 2).sum(-1).mean()
        else:
            inp, loss = win[:, 0], 0.0
            for k in range(unroll):
                pred = inp + model(inp)
                loss = loss + ((pred - win[:, k + 1]) ** 2).sum(-1).mean()
                own = (torch.rand(N, 1, generator=g) < eps).to(data.dtype)
                inp = own * pred.detach() + (1 - own) * win[:, k + 1]
            loss = loss / unroll
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses[ep] = loss.item()
    return ForcingRun(mode, int(seed), model, losses)


def rollout_errors(run: ForcingRun, data: torch.Tensor, steps: int) -> np.ndarray:
    """``||x_hat_t - x_t||`` of free rollouts from each sequence's first state.

    Returns ``(steps, N)`` for ``t = 1..steps``.
    """
    steps = _check_int(steps, "steps", 1)
    if not isinstance(data, torch.Tensor) or data.ndim != 3 or data.shape[1] <= steps:
        raise ValueError(f"data must be a tensor (N, T > steps={steps}, n), "
                         f"got {getattr(data, 'shape', type(data))}")
    with torch.no_grad():
        x, out = data[:, 0], []
        for t in range(1, steps + 1):
            x = run.step(x)
            out.append((x - data[:, t]).norm(dim=-1))
    return torch.stack(out).numpy()


def model_lambda_max(step: Callable[[torch.Tensor], torch.Tensor], x0: torch.Tensor, *,
                     steps: int = 300, warmup: int = 100, frame_warmup: int = 50) -> float:
    """Largest Lyapunov exponent (batch mean) of an autonomous map ``x -> step(x)``.

    Runs :func:`lyaplearn.recurrent.lyapunov_spectrum_step` on the map with no
    input, from the states ``x0`` (B, n): ``warmup`` steps of the state alone,
    ``frame_warmup`` steps that align the frame, then ``steps`` recorded steps.
    """
    if not callable(step):
        raise ValueError(f"step must be callable, got {type(step).__name__}")
    if not isinstance(x0, torch.Tensor) or x0.ndim != 2:
        raise ValueError(f"x0 must be a tensor (B, n), got {getattr(x0, 'shape', type(x0))}")
    steps = _check_int(steps, "steps", 1)
    warmup = _check_int(warmup, "warmup", 0)
    frame_warmup = _check_int(frame_warmup, "frame_warmup", 0)
    X = torch.zeros(warmup + frame_warmup + steps, x0.shape[0], 1, dtype=x0.dtype)
    with torch.no_grad():
        res = recurrent.lyapunov_spectrum_step(lambda s, _x: step(s), x0.detach(), X, k=1,
                                               warmup=warmup, frame_warmup=frame_warmup)
    return float(res.mean[0])


# ---------------------------------------------------------------------------
# figures
# ---------------------------------------------------------------------------

def _depth_axes(ax, profiles: Mapping[str, DepthProfile]) -> None:
    for name, pr in profiles.items():
        L = pr.grad_norms.size - 1
        ax.semilogy(L - np.arange(L + 1), np.maximum(pr.grad_norms, 1e-300), label=name)
    ax.axhline(1.0, color="0.5", ls=":", lw=1.0)
    ax.set_xlabel("layers back from the output")
    ax.set_ylabel(r"$\|\delta_l\|$ (dimensionless)")


def _sv_axes(ax, profiles: Mapping[str, DepthProfile], floor: float = -40.0) -> None:
    for name, pr in profiles.items():
        ls = pr.log_sv
        ax.plot(np.arange(1, ls.size + 1), np.maximum(ls, floor), ".-", ms=3, label=name)
    ax.axhline(0.0, color="0.5", ls=":", lw=1.0)
    ax.set_xlabel("singular value index $i$")
    ax.set_ylabel(r"$\log \sigma_i$ of $\partial h_L/\partial h_0$ (nats)")


@style.styled
def plot_residual(profiles: Mapping[str, DepthProfile], *, title: str | None = None):
    """Gradient norm through depth (left) and log singular values of the product (right).

    ``profiles`` maps a label to a :func:`depth_profile` result. Log singular
    values below -40 are drawn at -40.
    """
    if not profiles:
        raise ValueError("profiles must map at least one label to a DepthProfile")
    fig, (ax1, ax2) = style.figure(1, 2, figsize=(10.0, 3.8))
    _depth_axes(ax1, profiles)
    ax1.set_title("gradient through depth")
    ax1.legend()
    _sv_axes(ax2, profiles)
    ax2.set_title("singular values of the product (floor at -40)")
    if title:
        fig.suptitle(title)
    return fig


@style.styled
def plot_layer_norm(profiles: Mapping[str, Mapping[float, DepthProfile]]):
    """Gradient norms through depth at several weight gains, without and with layer norm.

    ``profiles`` is the result of :func:`gain_profiles`.
    """
    if not profiles:
        raise ValueError("profiles must be the non-empty result of gain_profiles")
    fig, axes = style.figure(1, len(profiles), figsize=(5.0 * len(profiles), 3.8), squeeze=False)
    for ax, (name, by_gain) in zip(axes[0], profiles.items()):
        _depth_axes(ax, {f"gain {g:g}": pr for g, pr in by_gain.items()})
        ax.set_title(name)
        ax.set_ylim(1e-12, 1e8)
        ax.legend(fontsize=8.5)
    return fig


@style.styled
def plot_cell_lambda(gains: Sequence[float], curves: Mapping[str, np.ndarray]):
    """Largest Lyapunov exponent of a recurrent cell against the weight gain.

    ``curves`` maps a label to the ``(len(gains), k)`` result of :func:`cell_lambda_max`
    (its first column is drawn).
    """
    if not curves:
        raise ValueError("curves must map at least one label to an array of exponents")
    g = np.asarray(gains, dtype=float)
    fig, ax = style.figure(figsize=(6.5, 3.8))
    for name, lam in curves.items():
        lam = np.asarray(lam, dtype=float).reshape(g.size, -1)
        ax.plot(g, lam[:, 0], "o-", label=name)
    ax.axhline(0.0, color="0.4", lw=0.8)
    ax.set_xscale("log", base=2)
    ax.set_xlabel("gain $g$ of the recurrent weights (log scale)")
    ax.set_ylabel(f"$\\lambda_1$ ({style.NATS_PER_STEP})")
    ax.set_title("tanh cell, with and without layer norm")
    ax.legend()
    return fig


@style.styled
def plot_recurrences(spectra: Mapping[str, tuple[np.ndarray, recurrent.SpectrumResult]]):
    """Eigenvalues of each recurrent matrix (left) and the RNN's Lyapunov spectrum (right).

    ``spectra`` is the result of :func:`recurrence_spectra`.
    """
    if not spectra:
        raise ValueError("spectra must map at least one label to (W, SpectrumResult)")
    fig, (ax1, ax2) = style.figure(1, 2, figsize=(10.0, 4.0))
    th = np.linspace(0, 2 * np.pi, 200)
    ax1.plot(np.cos(th), np.sin(th), color="0.5", lw=1.0, ls=":")
    for i, (name, (W, res)) in enumerate(spectra.items()):
        ev = np.linalg.eigvals(W)
        c = style.PALETTE[i % len(style.PALETTE)]
        ax1.plot(ev.real, ev.imag, "o", ms=3.5, color=c, label=name)
        recurrent.draw_spectrum(ax2, res, label=f"{name}: $\\lambda_1$ = {res.mean[0]:+.2f}")
    ax1.set_aspect("equal")
    ax1.set_xlabel("Re (eigenvalue of $W$)")
    ax1.set_ylabel("Im (eigenvalue of $W$)")
    ax1.set_title("where the matrix puts its eigenvalues")
    ax1.legend(fontsize=8.5, loc="upper right")
    ax2.set_title("Lyapunov spectrum of the driven tanh RNN")
    ax2.legend(fontsize=8.5)
    return fig


@style.styled
def plot_gating(spectra: Mapping[str, recurrent.SpectrumResult], *, tol: float = 0.1):
    """Spectra of :func:`gating_spectra` by normalised index, with the band ``|lambda| <= tol``."""
    if not spectra:
        raise ValueError("spectra must map at least one label to a SpectrumResult")
    fig, ax = style.figure(figsize=(7.5, 4.0))
    ax.axhspan(-tol, tol, color="0.85", zorder=0, label=f"slow band $|\\lambda| \\leq {tol:g}$")
    for name, res in spectra.items():
        m = res.mean
        ax.plot(np.arange(1, m.size + 1) / m.size, m, ".-", ms=3,
                label=f"{name} ({slow_modes(m, tol)} slow)")
    ax.axhline(0.0, color="0.4", lw=0.8)
    ax.set_xlabel("normalised index $i / D$")
    ax.set_ylabel(f"$\\lambda_i$ ({style.NATS_PER_STEP})")
    ax.legend(fontsize=8.5, loc="lower left")
    return fig


@style.styled
def plot_compounding(errors: Mapping[str, np.ndarray], lambda_max: float, *,
                     tolerance: float | None = None):
    """Median rollout error against time (log scale) beside the line ``e^{lambda_max t}``.

    ``errors`` maps a label to a ``(T + 1, B)`` array of :func:`rollout_divergence`.
    """
    if not errors:
        raise ValueError("errors must map at least one label to an error array")
    lam = _check_float(lambda_max, "lambda_max", positive=True)
    fig, ax = style.figure(figsize=(7.5, 4.0))
    lows = []
    for name, e in errors.items():
        e = np.asarray(e, dtype=float)
        med = np.median(e, axis=1) if e.ndim == 2 else e
        if med.size < 2:
            raise ValueError(f"errors[{name!r}] must hold at least two time steps")
        t = np.arange(med.size)
        ax.semilogy(t[1:], np.maximum(med[1:], 1e-300), label=f"{name} (median)")
        if e.ndim == 2:
            q = np.percentile(e, [25, 75], axis=1)
            ax.fill_between(t[1:], np.maximum(q[0, 1:], 1e-300), q[1, 1:], alpha=0.2)
        start = med[1] if med[1] > 0 else 1e-300     # t = 0 is often an exact match
        ax.semilogy(t[1:], start * np.exp(lam * (t[1:] - 1)), ":", color="0.3", lw=1.0)
        lows.append(start)
    if tolerance is not None:
        ax.axhline(tolerance, color=style.PALETTE[1], ls="--", lw=1.0, label="tolerance")
    ax.set_ylim(max(min(lows) / 10, 1e-300), 10.0)
    ax.set_xlabel("time step $t$ of the rollout")
    ax.set_ylabel(r"$\|x_t - \hat x_t\|$ (state units)")
    ax.set_title(f"dotted: $\\varepsilon\\, e^{{\\lambda_{{\\max}} t}}$, "
                 f"$\\lambda_{{\\max}}$ = {lam:.2f} nats per step")
    ax.legend(fontsize=8.5, loc="lower right")
    return fig


@style.styled
def plot_forcing(errors: Mapping[str, Sequence[np.ndarray]]):
    """Mean rollout error against horizon for each training mode, one line per seed.

    ``errors`` maps a mode to a list of :func:`rollout_errors` arrays ``(steps, N)``.
    """
    if not errors:
        raise ValueError("errors must map at least one mode to a list of error arrays")
    fig, ax = style.figure(figsize=(7.5, 4.0))
    for i, (mode, runs) in enumerate(errors.items()):
        c = style.PALETTE[i % len(style.PALETTE)]
        for j, e in enumerate(runs):
            e = np.asarray(e, dtype=float)
            ax.plot(np.arange(1, e.shape[0] + 1), e.mean(axis=1), color=c, alpha=0.8,
                    label=mode if j == 0 else None)
    ax.set_xlabel("rollout horizon $t$ (steps)")
    ax.set_ylabel(r"mean $\|\hat x_t - x_t\|$ (state units)")
    ax.set_title("free rollouts of the learned one-step model, one line per seed")
    ax.legend()
    return fig
