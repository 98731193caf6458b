"""Orthogonal, unitary and spectrally normalised recurrent matrices and their spectra (chapter 8,
"Layer normalisation", after the recurrent cell)."""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from .. import conditioning, recurrent
from .._checks import _check_float, _check_int


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
