"""Argument checks and the module's formats, for the differentiable spectrum (chapter 10).

Written against torch alone, so that the engine's internals (:mod:`lyaplearn.recurrent`) can
change without breaking this package. Every check raises a ``ValueError`` that names the
argument and what was expected.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from torch import nn

_DTYPES = (torch.float32, torch.float64)
STATES = ("full", "hidden")


def check_choice(value: Any, choices, name: str) -> str:
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}")
    return value


def arch_of(rnn: Any) -> str:
    """``"lstm"``, ``"gru"``, ``"rnn_tanh"`` or ``"rnn_relu"``; refuses anything else."""
    if isinstance(rnn, nn.LSTM):
        arch = "lstm"
    elif isinstance(rnn, nn.GRU):
        arch = "gru"
    elif isinstance(rnn, nn.RNN):
        arch = "rnn_" + rnn.nonlinearity
    else:
        raise ValueError(f"rnn must be a torch.nn.RNN, GRU or LSTM module, got "
                         f"{type(rnn).__name__} (lyaplearn.flossing.find_rnn finds one inside "
                         "a larger model)")
    if rnn.bidirectional:
        raise ValueError("rnn must not be bidirectional: a bidirectional layer reads the "
                         "future of the sequence, so it is not a dynamical system in time")
    if getattr(rnn, "proj_size", 0):
        raise ValueError(f"rnn must have proj_size=0, got proj_size={rnn.proj_size}")
    return arch


def find_rnn(model: nn.Module, rnn: Any = None) -> nn.Module:
    """The ``nn.RNN``/``GRU``/``LSTM`` inside ``model`` to floss.

    ``rnn`` is ``None`` (``model`` itself if it is one, else its first such submodule in
    ``named_modules`` order), an attribute path such as ``"encoder.rnn"``, or the module.

    Examples
    --------
    >>> from torch import nn
    >>> net = nn.Sequential(nn.GRU(2, 4), nn.Linear(4, 1))
    >>> find_rnn(net) is net[0]
    True
    """
    if isinstance(rnn, str):
        found = model
        for part in rnn.split("."):
            if not hasattr(found, part):
                raise ValueError(f"rnn={rnn!r}: {type(model).__name__} has no submodule {rnn!r}")
            found = getattr(found, part)
    elif isinstance(rnn, nn.Module):
        found = rnn
    elif rnn is None:
        if not isinstance(model, nn.Module):
            raise ValueError(f"model must be a torch.nn.Module, got {type(model).__name__}")
        found = next((m for m in model.modules()
                      if isinstance(m, (nn.RNN, nn.GRU, nn.LSTM))), None)
        if found is None:
            raise ValueError(f"{type(model).__name__} contains no torch.nn.RNN, GRU or LSTM; "
                             "pass rnn= to name the recurrent module")
    else:
        raise ValueError(f"rnn must be None, an attribute path or a module, got "
                         f"{type(rnn).__name__}")
    arch_of(found)
    return found


def require_finite(named) -> None:
    """Raise naming the first tensor with a NaN/inf (or a complex one) and its first bad index."""
    for name, t in named:
        t = t.detach()
        if t.is_complex():
            raise ValueError(f"{name} must be real, got a complex tensor ({t.dtype})")
        if t.is_floating_point() and not bool(torch.isfinite(t).all()):
            idx = tuple(torch.nonzero(~torch.isfinite(t))[0].tolist())
            where = f"{name}[{', '.join(map(str, idx))}]" if idx else name
            raise ValueError(f"{name} must contain only finite numbers, but {where} = "
                             f"{t[idx].item() if idx else t.item()}")


def compute_dtype(dtype: Any, rnn: nn.Module) -> torch.dtype:
    if dtype is None:
        own = rnn.weight_hh_l0.dtype
        if own not in _DTYPES:
            raise ValueError(f"rnn's parameters must be float32 or float64, got {own}; "
                             "pass dtype=torch.float32 or torch.float64")
        return own
    if dtype not in _DTYPES:
        raise ValueError(f"dtype must be torch.float32 or torch.float64, got {dtype!r}")
    return dtype


def inputs_tbi(rnn: nn.Module, inputs: Any, dtype: torch.dtype) -> tuple[torch.Tensor, bool]:
    """Inputs as the module takes them -> (T, B, I) in ``dtype`` (graph kept), and unbatched."""
    if not isinstance(inputs, torch.Tensor):
        inputs = torch.as_tensor(np.asarray(inputs))
    shape, I = tuple(inputs.shape), rnn.input_size
    if inputs.ndim == 2:
        if shape[1] != I:
            raise ValueError(f"inputs must be (seq_len, input_size={I}) when unbatched, "
                             f"got shape {shape}")
        X = inputs.unsqueeze(1)
    elif inputs.ndim == 3:
        if shape[2] != I:
            layout = "(batch, seq_len, input_size)" if rnn.batch_first else \
                "(seq_len, batch, input_size)"
            raise ValueError(f"inputs must be {layout} with input_size={I}, got shape {shape}")
        X = inputs.transpose(0, 1) if rnn.batch_first else inputs
    else:
        raise ValueError(f"inputs must have 2 (unbatched) or 3 dimensions, got shape {shape}")
    if X.shape[0] < 1 or X.shape[1] < 1:
        raise ValueError(f"inputs must have at least one time step and one sequence, "
                         f"got shape {shape}")
    require_finite([("inputs", inputs)])
    return X.to(dtype=dtype, device=rnn.weight_hh_l0.device), inputs.ndim == 2


def initial_states(rnn: nn.Module, h0: Any, B: int, unbatched: bool, lstm: bool,
                   like: torch.Tensor) -> list:
    """``h0`` in the module's format -> list over layers of ``h`` or ``(h, c)``, each (B, H).

    The graph of ``h0`` is kept: a gradient reaches it if it requires one.
    """
    L, H = rnn.num_layers, rnn.hidden_size
    want = (L, H) if unbatched else (L, B, H)
    if h0 is None:
        z = like.new_zeros(B, H)
        return [(z, z) if lstm else z for _ in range(L)]

    def one(x, label):
        if not isinstance(x, torch.Tensor) or tuple(x.shape) != want:
            got = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"{label} must be a tensor of shape {want} (num_layers, batch, "
                             f"hidden), got {got}")
        require_finite([(label, x)])
        x = x.to(like)
        return x.unsqueeze(1) if unbatched else x

    if lstm:
        if not (isinstance(h0, (tuple, list)) and len(h0) == 2):
            raise ValueError(f"h0 must be a tuple (h, c) for an LSTM, got {type(h0).__name__}")
        h, c = one(h0[0], "h0[0]"), one(h0[1], "h0[1]")
        return [(h[l], c[l]) for l in range(L)]
    h = one(h0, "h0")
    return [h[l] for l in range(L)]


def initial_frame(frame0: Any, B: int, D: int, k: int, seed: int,
                  like: torch.Tensor) -> torch.Tensor:
    """Orthonormal starting frame as (B, k, D) rows, never carrying a graph.

    The default follows :func:`lyaplearn.recurrent.lyapunov_spectrum`'s, so that both give
    the same exponents: the identity for the full spectrum, else the Q factor of a
    ``(D, k)`` Gaussian matrix drawn on the CPU with ``seed``.
    """
    dtype, device = like.dtype, like.device
    if frame0 is None:
        if k == D:
            return torch.eye(D, dtype=dtype, device=device).expand(B, D, D)
        g = torch.Generator().manual_seed(int(seed))
        A = torch.randn(k, D, generator=g, dtype=dtype)
        Q = torch.linalg.qr(A.t())[0].to(device)
        return Q.t().expand(B, k, D)
    if not isinstance(frame0, torch.Tensor) or frame0.shape[-2:] != (D, k) or \
            frame0.ndim not in (2, 3) or (frame0.ndim == 3 and frame0.shape[0] != B):
        got = tuple(frame0.shape) if isinstance(frame0, torch.Tensor) else type(frame0).__name__
        raise ValueError(f"frame0 must be a tensor ({D}, {k}) or ({B}, {D}, {k}) "
                         f"(state dim, k), got {got}")
    require_finite([("frame0", frame0)])
    Q = frame0.detach().to(dtype=dtype, device=device)
    err = float((Q.transpose(-2, -1) @ Q - torch.eye(k, dtype=dtype, device=device)).abs().max())
    if not err <= math.sqrt(torch.finfo(dtype).eps):
        raise ValueError(f"frame0 must have orthonormal columns (Q^T Q = I), but max "
                         f"|Q^T Q - I| = {err:.3g}; orthonormalise it first, e.g. "
                         "torch.linalg.qr(frame0).Q")
    return Q.transpose(-2, -1).expand(B, k, D)
