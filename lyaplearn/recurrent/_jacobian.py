"""The analytic one-step Jacobian of a module's state map (chapter 6)."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ._checks import _require_finite, _shape
from ._deprecated import _UNSET, _alias, _renamed
from ._engine import _Engine
from ._states import _state_list


def jacobian(rnn: nn.Module, x_t: Any, h0: Any = None, *, state: Any = "full",
             dtype: torch.dtype | None = None, convention: str = _UNSET) -> torch.Tensor:
    """Analytic one-step Jacobian of the state map, shape (B, D, D).

    Parameters
    ----------
    rnn
        ``nn.RNN`` (tanh or relu), ``nn.GRU`` or ``nn.LSTM`` (not bidirectional,
        no ``proj_size``).
    x_t
        Input at this step, (B, input_size).
    h0
        The state the step starts from, as the module takes it: ``h`` or
        ``(h, c)`` with shapes (num_layers, B, hidden); ``None`` means zeros.
        (The keyword was ``state`` before; passing a state as ``state=`` still
        works and warns.)
    state
        ``"full"``: state ``(h^1, c^1, ..., h^L, c^L)`` for an LSTM;
        ``"hidden"``: ``dh_t/dh_{t-1}`` with the cell states held fixed, as in
        :func:`lyapunov_spectrum`. RNN and GRU have only ``h``, so both are the
        same. (``convention`` is its deprecated name.)
    dtype
        Compute in this dtype (default: the module's).

    Returns
    -------
    torch.Tensor
        (B, D, D), block lower-triangular by layer; ``J[b, i, j]`` is
        ``d state'_i / d state_j`` in the order of :func:`flatten_state`.

    Examples
    --------
    A tanh RNN without bias at the zero state with zero input: ``tanh'(0) = 1``, so
    the Jacobian is ``W_hh`` itself.

    >>> import torch
    >>> rnn = torch.nn.RNN(2, 2, bias=False, dtype=torch.float64)
    >>> J = jacobian(rnn, torch.zeros(1, 2, dtype=torch.float64))
    >>> torch.equal(J[0], rnn.weight_hh_l0.detach())
    True
    """
    if not isinstance(state, str):       # the old keyword: state= was the initial state
        _renamed("state= for the initial state", "h0=", "jacobian")
        if h0 is not None:
            raise TypeError("jacobian: pass the initial state as h0= only")
        h0, state = state, "full"
    state = _alias(state, convention, "convention", "state", "jacobian", default="full")
    eng = _Engine(rnn, state, dtype)
    if not isinstance(x_t, torch.Tensor) or x_t.ndim != 2 or x_t.shape[1] != eng.I:
        raise ValueError(f"x_t must be a tensor (batch, input_size={eng.I}), got {_shape(x_t)}")
    _require_finite([("x_t", x_t.detach())], dtype=eng.dtype)
    B = x_t.shape[0]
    with torch.no_grad():
        st = _state_list(eng, h0, B, False, name="h0")
        X = x_t.detach().to(dtype=eng.dtype, device=eng.device).unsqueeze(0)
        _, co = eng.run(X, st)
        I = torch.eye(eng.D, dtype=eng.dtype, device=eng.device).expand(B, -1, -1)
        JT = eng.tangent(co, 0, I.contiguous())
    return JT.transpose(1, 2).contiguous()
