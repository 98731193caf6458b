"""Reference solutions to chapter 6's exercises (the Lyapunov spectrum of an LSTM)."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from lyaplearn import recurrent

__all__ = ["gru_jacobian", "period_conventions"]


def gru_jacobian(gru: nn.GRU, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
    """Analytic one-step Jacobian dh'/dh of a one-layer ``nn.GRU``, shape (B, H, H).

    PyTorch's GRU (gate order r, z, n):
    r = sigmoid(W_ir x + b_ir + W_hr h + b_hr), z likewise,
    n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), h' = (1 - z) * n + z * h.
    ``x`` is (B, input_size), ``h`` is (B, hidden_size).
    """
    if gru.num_layers != 1 or gru.bidirectional:
        raise ValueError(f"gru must be one-layer and unidirectional, got num_layers="
                         f"{gru.num_layers}, bidirectional={gru.bidirectional}")
    H = gru.hidden_size
    W_ir, W_iz, W_in = gru.weight_ih_l0.detach().split(H)
    W_hr, W_hz, W_hn = gru.weight_hh_l0.detach().split(H)
    if gru.bias:
        b_ir, b_iz, b_in = gru.bias_ih_l0.detach().split(H)
        b_hr, b_hz, b_hn = gru.bias_hh_l0.detach().split(H)
    else:
        b_ir = b_iz = b_in = b_hr = b_hz = b_hn = torch.zeros(H, dtype=h.dtype)
    r = torch.sigmoid(x @ W_ir.T + b_ir + h @ W_hr.T + b_hr)
    z = torch.sigmoid(x @ W_iz.T + b_iz + h @ W_hz.T + b_hz)
    hn = h @ W_hn.T + b_hn
    n = torch.tanh(x @ W_in.T + b_in + r * hn)
    col = lambda v: v.unsqueeze(-1)  # noqa: E731  (row scaling: v_i * M_ij)
    dr = col(r * (1 - r)) * W_hr                       # dr/dh
    dz = col(z * (1 - z)) * W_hz                       # dz/dh
    dn = col(1 - n * n) * (col(r) * W_hn + col(hn) * dr)   # dn/dh
    J = col(1 - z) * dn + col(h - n) * dz         # d/dh of (1 - z) n + z h - diag(z)
    J.diagonal(dim1=-2, dim2=-1).add_(z)               # + diag(z), without building it
    return J


def period_conventions(rnn: nn.Module, period: int, *, steps: int = 300,
                       warmup: int = 60) -> dict:
    """Both frame conventions for ``rnn`` driven by ``e_1, ..., e_period, e_1, ...``.

    The input repeats the first ``period`` unit vectors of the input space for
    ``warmup + steps`` steps (one sequence, float64); ``warmup`` steps settle the
    state and as many the frame. Returns the exponents of both conventions
    (``"forward"``, ``"transpose"``, nats per step) and ``"gap"``, the largest
    difference between matching exponents.
    """
    if isinstance(period, bool) or not isinstance(period, int) or period < 1:
        raise ValueError(f"period must be a positive integer, got {period!r}")
    if period > rnn.input_size:
        raise ValueError(f"period must be at most the input size {rnn.input_size}, "
                         f"got {period}")
    e = torch.eye(rnn.input_size, dtype=torch.float64)[:period]
    X = e.repeat((warmup + steps) // period + 1, 1)[: warmup + steps].unsqueeze(1)
    out = {}
    for frame in ("forward", "transpose"):
        res = recurrent.lyapunov_spectrum(rnn, X, warmup=warmup, frame_warmup=warmup,
                                          frame=frame)
        out[frame] = res.numpy()[0]
    out["gap"] = float(np.abs(out["forward"] - out["transpose"]).max())
    return out
