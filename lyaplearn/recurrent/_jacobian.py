"""The analytic one-step Jacobian of a module's state map (chapter 6)."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ._checks import _require_finite
from ._engine import _Engine
from ._states import _state_list


def jacobian(rnn: nn.Module, x_t: Any, state: Any = None, *, convention: str = "full",
             dtype: torch.dtype | None = None) -> torch.Tensor:
    """Analytic one-step Jacobian of the state map, shape (B, D, D).

    Parameters
    ----------
    rnn
        ``nn.RNN`` (tanh or relu), ``nn.GRU`` or ``nn.LSTM`` (not bidirectional,
        no ``proj_size``).
    x_t
        Input at this step, (B, input_size).
    state
        The state the module takes, ``h`` or ``(h, c)`` with shapes
        (num_layers, B, hidden); ``None`` means zeros.
    convention
        ``"full"``: state ``(h^1, c^1, ..., h^L, c^L)`` for an LSTM;
        ``"hidden"``: ``dh_t/dh_{t-1}`` with the cell states held fixed.
        RNN and GRU have only ``h``, so both are the same.
    dtype
        Compute in this dtype (default: the module's).

    Returns
    -------
    torch.Tensor
        (B, D, D), block lower-triangular by layer; ``J[b, i, j]`` is
        ``d state'_i / d state_j`` in the order of :func:`flatten_state`.
    """
    eng = _Engine(rnn, convention, dtype)
    if not isinstance(x_t, torch.Tensor) or x_t.ndim != 2 or x_t.shape[1] != eng.I:
        shape = tuple(x_t.shape) if isinstance(x_t, torch.Tensor) else type(x_t).__name__
        raise ValueError(f"x_t must be a tensor (batch, input_size={eng.I}), got {shape}")
    _require_finite([("x_t", x_t.detach())], dtype=eng.dtype)
    B = x_t.shape[0]
    with torch.no_grad():
        st = _state_list(eng, state, B, False, name="state")
        X = x_t.detach().to(dtype=eng.dtype, device=eng.device).unsqueeze(0)
        _, co = eng.run(X, st)
        I = torch.eye(eng.D, dtype=eng.dtype, device=eng.device).expand(B, -1, -1)
        JT = eng.tangent(co, 0, I.contiguous())
    return JT.transpose(1, 2).contiguous()
