"""The long-term Jacobian of a trained or flossed RNN, and its spectrum (chapter 10).

Chapters 1-3 followed a gradient back through ``T`` steps as a product of one-step
Jacobians, ``P_T = J_T J_{T-1} ... J_1``; its singular values ``sigma_i`` decide which
directions the gradient keeps, and the condition number ``sigma_1 / sigma_k`` how unevenly
it keeps them. Chapter 5's exponents are the rates ``(1/T) ln sigma_i`` in the limit. Here
the product is formed from :func:`lyaplearn.recurrent.jacobian` along a real trajectory,
in float64, so that flossing's effect on it can be read off directly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .._checks import _check_int
from ..recurrent import jacobian


def long_term_jacobian(rnn: nn.Module, inputs: torch.Tensor) -> torch.Tensor:
    """``P_T = J_T ... J_1`` along each sequence, (B, H, H), in float64.

    ``inputs`` is (B, T, I) for a ``batch_first`` single-layer ``nn.RNN`` (T, B, I
    otherwise); the trajectory starts from the zero state, and ``J_t`` is the Jacobian of
    the step that reads ``x_t``, taken at the state before it.

    Examples
    --------
    Without bias and with zero input, every step's Jacobian at 0 is ``W_hh`` (``tanh'(0) =
    1``), so ``P_3 = W_hh^3``:

    >>> import torch
    >>> rnn = torch.nn.RNN(1, 2, bias=False, batch_first=True, dtype=torch.float64)
    >>> P = long_term_jacobian(rnn, torch.zeros(1, 3, 1, dtype=torch.float64))
    >>> W = rnn.weight_hh_l0.detach()
    >>> torch.allclose(P[0], W @ W @ W)
    True
    """
    if not isinstance(rnn, nn.RNN) or rnn.num_layers != 1 or rnn.bidirectional:
        raise ValueError(f"rnn must be a single-layer, unidirectional nn.RNN, got {rnn!r}")
    if not isinstance(inputs, torch.Tensor) or inputs.ndim != 3 \
            or inputs.shape[-1] != rnn.input_size:
        raise ValueError(f"inputs must be a 3-D tensor with {rnn.input_size} features, got "
                         f"{getattr(inputs, 'shape', type(inputs))}")
    x = inputs if rnn.batch_first else inputs.transpose(0, 1)
    with torch.no_grad():
        out, _ = rnn(inputs.to(rnn.weight_hh_l0.dtype))
    out = out if rnn.batch_first else out.transpose(0, 1)
    B, T, _ = x.shape
    H = rnn.hidden_size
    P = torch.eye(H, dtype=torch.float64).expand(B, H, H).clone()
    h = torch.zeros(1, B, H, dtype=rnn.weight_hh_l0.dtype)
    for t in range(T):
        J = jacobian(rnn, x[:, t].to(rnn.weight_hh_l0.dtype), h0=h, dtype=torch.float64)
        P = J @ P
        h = out[:, t].unsqueeze(0)
    return P


@dataclass
class JacobianSummary:
    """Singular values of ``P_T`` as rates, and two condition numbers (batch means).

    Attributes
    ----------
    horizon
        ``T``, the steps in the product.
    rates
        (H,) ``(1/T) ln sigma_i``, averaged over sequences (nats per step).
    log10_cond_k
        ``log10(sigma_1 / sigma_k)``, the condition number on the ``k`` leading directions.
    log10_cond
        ``log10(sigma_1 / sigma_H)``, the full condition number.
    k
        The ``k`` of ``log10_cond_k``.
    """

    horizon: int
    rates: np.ndarray
    log10_cond_k: float
    log10_cond: float
    k: int


def summarise(P: torch.Tensor, k: int) -> JacobianSummary:
    """Singular-value rates and condition numbers of a batch of products ``P`` (B, H, H)."""
    if not isinstance(P, torch.Tensor) or P.ndim != 3 or P.shape[1] != P.shape[2]:
        raise ValueError(f"P must be a (B, H, H) tensor, got {getattr(P, 'shape', type(P))}")
    if _check_int(k, "k", 1) > P.shape[1]:
        raise ValueError(f"k must be an integer in [1, {P.shape[1]}], got {k!r}")
    k = int(k)
    ls = torch.log(torch.linalg.svdvals(P.to(torch.float64))).numpy()   # (B, H), descending
    return JacobianSummary(horizon=0, rates=ls.mean(0), k=k,
                           log10_cond_k=float(((ls[:, 0] - ls[:, k - 1]) / np.log(10)).mean()),
                           log10_cond=float(((ls[:, 0] - ls[:, -1]) / np.log(10)).mean()))


def jacobian_summary(rnn: nn.Module, inputs: torch.Tensor, k: int) -> JacobianSummary:
    """:func:`long_term_jacobian` then :func:`summarise`, rates per step of the horizon."""
    P = long_term_jacobian(rnn, inputs)
    s = summarise(P, k)
    T = inputs.shape[1] if rnn.batch_first else inputs.shape[0]
    s.horizon = int(T)
    s.rates = s.rates / T
    return s
