"""Inputs and states: the module's formats to the engine's, and the flat state vector."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence

from ._checks import _arch, _check_choice, _require_finite
from ._engine import _STATES, _Engine


def _inputs_tbi(eng: _Engine, inputs: Any, name: str = "inputs") -> tuple[torch.Tensor, bool]:
    """Inputs as (T, B, I) in the engine's dtype/device; second value: unbatched."""
    if isinstance(inputs, PackedSequence):
        raise ValueError(
            f"{name} must be a padded tensor, got a PackedSequence: the spectrum averages over "
            "the same number of steps in every sequence. Unpack it "
            "(torch.nn.utils.rnn.pad_packed_sequence) and pass sequences of one length "
            "together, e.g. each length group, or each sequence on its own")
    if not isinstance(inputs, torch.Tensor):
        try:
            inputs = torch.as_tensor(np.asarray(inputs))
        except (TypeError, ValueError, RuntimeError) as exc:
            raise ValueError(f"{name} must be a tensor or an array of numbers, got "
                             f"{type(inputs).__name__} that numpy cannot read as one "
                             f"({exc})") from None
    shape = tuple(inputs.shape)
    if inputs.ndim == 2:
        if shape[1] != eng.I:
            raise ValueError(f"{name} must be (seq_len, input_size={eng.I}) when unbatched, "
                             f"got shape {shape}")
        X = inputs.unsqueeze(1)
        unbatched = True
    elif inputs.ndim == 3:
        layout = "(batch, seq_len, input_size)" if eng.batch_first else \
            "(seq_len, batch, input_size)"
        if shape[2] != eng.I:
            raise ValueError(f"{name} must be {layout} with input_size={eng.I}, "
                             f"got shape {shape}")
        X = inputs.transpose(0, 1) if eng.batch_first else inputs
        unbatched = False
    else:
        raise ValueError(f"{name} must have 2 (unbatched) or 3 dimensions, got shape {shape}")
    if X.shape[0] < 1 or X.shape[1] < 1:
        raise ValueError(f"{name} must have at least one time step and one sequence, "
                         f"got shape {shape}")
    # checked in the caller's layout, so the reported index is the caller's
    _require_finite([(name, inputs)], dtype=eng.dtype)
    return X.to(dtype=eng.dtype, device=eng.device), unbatched


def _state_list(eng: _Engine, h0: Any, B: int, unbatched: bool, name: str = "h0") -> list:
    """The module's state format -> list over layers of h or (h, c), each (B, H)."""
    L, H = eng.L, eng.H
    cast = dict(dtype=eng.dtype, device=eng.device)
    want = (L, H) if unbatched else (L, B, H)

    def one(x, what, label):
        if not isinstance(x, torch.Tensor):
            raise ValueError(f"{name} must be a tensor {what} of shape {want}, "
                             f"got {type(x).__name__}")
        if tuple(x.shape) != want:
            raise ValueError(f"{name} must have shape {want} (num_layers, batch, hidden) for "
                             f"{what}, got shape {tuple(x.shape)}")
        _require_finite([(label, x.detach())], dtype=eng.dtype)
        x = x.detach().to(**cast)
        return x.unsqueeze(1) if unbatched else x

    if h0 is None:
        z = torch.zeros(L, B, H, **cast)
        return [(z[l], z[l].clone()) for l in range(L)] if eng.lstm else [z[l] for l in range(L)]
    if eng.lstm:
        if not (isinstance(h0, (tuple, list)) and len(h0) == 2):
            raise ValueError(f"{name} must be a tuple (h, c) for an LSTM, got {type(h0).__name__}")
        h, c = one(h0[0], "h", f"{name}[0]"), one(h0[1], "c", f"{name}[1]")
        return [(h[l], c[l]) for l in range(L)]
    h = one(h0, "h", name)
    return [h[l] for l in range(L)]


def state_dim(rnn: nn.Module, state: str = "full") -> int:
    """Dimension ``D`` of the state whose spectrum is computed (see module docstring)."""
    arch = _arch(rnn)
    _check_choice(state, _STATES, "state")
    blocks = 2 if (arch == "lstm" and state == "full") else 1
    return blocks * rnn.num_layers * rnn.hidden_size


def flatten_state(state: Any) -> torch.Tensor:
    """Module state ``h`` or ``(h, c)`` of shape (L, B, H) -> flat (B, D).

    The order is layer by layer, ``(h^1, c^1, h^2, c^2, ...)`` for an LSTM.
    """
    if isinstance(state, (tuple, list)):
        h, c = state
        L, B, H = h.shape
        return torch.stack([h, c], 1).permute(2, 0, 1, 3).reshape(B, 2 * L * H)
    L, B, H = state.shape
    return state.permute(1, 0, 2).reshape(B, L * H)


def unflatten_state(flat: torch.Tensor, num_layers: int, lstm: bool) -> Any:
    """Inverse of :func:`flatten_state`."""
    B, D = flat.shape
    if lstm:
        H = D // (2 * num_layers)
        x = flat.view(B, num_layers, 2, H).permute(2, 1, 0, 3)
        return x[0].contiguous(), x[1].contiguous()
    H = D // num_layers
    return flat.view(B, num_layers, H).permute(1, 0, 2).contiguous()
