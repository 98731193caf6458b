"""Argument checks of the engine, all in one place (chapter 6).

Every check raises a ``ValueError`` that names the argument and what was expected. An
integer argument accepts Python and numpy integers alike (:func:`_check_int`), never a
``bool``; the choices of a string argument are listed in the message.
"""

from __future__ import annotations

from typing import Any, Sequence

import torch
from torch import nn

from .._checks import _check_int, _is_int  # noqa: F401  (one integer rule, lyaplearn/_checks.py)

_FRAMES = ("forward", "transpose")
"""The two frame conventions: ``Q <- J Q`` and ``Q <- J^T Q`` (package docstring)."""


def _check_choice(value: Any, choices: Sequence[str], name: str) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}")


def _fmt_index(idx: Sequence[int]) -> str:
    return "[" + ", ".join(str(int(i)) for i in idx) + "]"


def _require_finite(named: Sequence[tuple[str, torch.Tensor]],
                    dtype: torch.dtype | None = None) -> None:
    """Raise a ValueError naming the first argument with a NaN/inf and its first bad index.

    Complex tensors are refused (casting them to a real dtype would silently
    drop the imaginary part), and so are tensors on the ``meta`` device, which
    have no values. With ``dtype``, a value that is finite as given
    but overflows when cast to the compute dtype (a float64 1e39 for a float32
    model) is reported too, with the value the caller gave. All tensors are
    checked on their device with one host synchronisation in the common (all
    finite) case.
    """
    for name, t in named:
        if t.is_meta:
            raise ValueError(
                f"{name} is on the meta device: it has a shape but no values. Materialise it "
                "first (for a module: rnn.to_empty(device='cpu') and load its weights, e.g. "
                "with load_state_dict)")
        if t.is_complex():
            raise ValueError(f"{name} must be real, got a complex tensor ({t.dtype}); the "
                             "engine would drop the imaginary part, so pass .real if you mean it")
    named = [(n, t) for n, t in named if t.is_floating_point()]
    if not named:
        return
    cast = [t if dtype is None else t.to(dtype) for _, t in named]
    oks = torch.stack([torch.isfinite(t).all() for _, t in named] +
                      [torch.isfinite(c).all() for c in cast])
    if bool(oks.all()):
        return
    n = len(named)
    for (name, t), c, ok, ok_cast in zip(named, cast, oks[:n].tolist(), oks[n:].tolist()):
        if ok and ok_cast:
            continue
        idx = tuple(torch.nonzero(~torch.isfinite(c if ok else t))[0].tolist())
        val = t[idx].item() if idx else t.item()
        where = name + _fmt_index(idx) if idx else name
        if not ok:
            raise ValueError(f"{name} must contain only finite numbers, but {where} = {val}")
        raise ValueError(
            f"{name} must be representable in the compute dtype "
            f"{str(dtype).replace('torch.', '')}, but {where} = {val} overflows it; "
            "pass dtype=torch.float64 or scale the values")


_DTYPES = (torch.float32, torch.float64)


def _check_dtype(dtype: Any, own: torch.dtype, owner: str = "rnn's parameters") -> torch.dtype:
    """The compute dtype: ``dtype``, else ``own`` (the module's), either float32 or float64."""
    if dtype is None:
        if own not in _DTYPES:
            raise ValueError(
                f"{owner} must be float32 or float64 to compute a spectrum (the QR "
                f"re-orthonormalisation needs them), got {str(own).replace('torch.', '')}; "
                "pass dtype=torch.float32 or torch.float64 (the module itself is not changed)"
                if owner.startswith("rnn") else
                f"{owner} must be float32 or float64, got {str(own).replace('torch.', '')}")
        return own
    if dtype not in _DTYPES:
        raise ValueError(f"dtype must be torch.float32 or torch.float64, got {dtype!r}")
    return dtype


def _arch(rnn: Any) -> str:
    """``"lstm"``, ``"gru"``, ``"rnn_tanh"`` or ``"rnn_relu"``; refuses what the engine cannot read.

    The engine never calls the module's ``forward``: it reads the weights and applies
    torch's equations for the class. A subclass that overrides ``forward`` computes
    something else, so it is refused rather than silently read with its parent's equations.
    """
    for base, arch in ((nn.LSTM, "lstm"), (nn.GRU, "gru"), (nn.RNN, "rnn")):
        if isinstance(rnn, base):
            break
    else:
        raise ValueError(
            f"rnn must be a torch.nn.RNN, GRU or LSTM module, got {type(rnn).__name__}; "
            "use lyapunov_spectrum_step for other cells")
    if type(rnn).forward is not base.forward:
        name = type(rnn).__name__
        raise ValueError(
            f"rnn is a {name}, a subclass of torch.nn.{base.__name__} that overrides forward; "
            f"the engine computes torch's {base.__name__} equations from the weights and would "
            f"ignore {name}.forward. Write your cell as step(state, x) -> state and use "
            "lyapunov_spectrum_step")
    if arch == "rnn":
        arch = "rnn_" + rnn.nonlinearity
    if rnn.bidirectional:
        raise ValueError("rnn must not be bidirectional: a bidirectional layer reads the "
                         "future of the sequence, so it is not a dynamical system in time")
    if getattr(rnn, "proj_size", 0):
        raise ValueError(f"rnn must have proj_size=0 (LSTM projections are not supported), "
                         f"got proj_size={rnn.proj_size}")
    return arch




def _check_k(k: Any, D: int) -> int:
    if k is None:
        return D
    if not _is_int(k) or not 1 <= int(k) <= D:
        raise ValueError(f"k must be an integer in [1, D={D}] (number of exponents), got {k!r}")
    return int(k)


def _check_steps(warmup, frame_warmup, reortho_every, T) -> tuple[int, int, int]:
    """The warm-ups and the QR interval as ``int`` values; they must leave a step to record."""
    warmup = _check_int(warmup, "warmup", 0)
    frame_warmup = _check_int(frame_warmup, "frame_warmup", 0)
    reortho_every = _check_int(reortho_every, "reortho_every", 1)
    if warmup + frame_warmup >= T:
        raise ValueError(f"warmup + frame_warmup must be smaller than the number of time steps "
                         f"T={T}, got warmup={warmup}, frame_warmup={frame_warmup}")
    return warmup, frame_warmup, reortho_every


def _shape(x: Any) -> Any:
    """What to print for an argument of the wrong kind: a tensor's shape, else its type."""
    return tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__


def _check_step_arguments(step: Any, h0: Any, inputs: Any) -> tuple[int, int, int]:
    """``B, D, T`` of :func:`lyapunov_spectrum_step`'s map, initial state and inputs."""
    if not callable(step):
        raise ValueError(f"step must be callable step(state, x) -> state, got "
                         f"{type(step).__name__}")
    if not isinstance(h0, torch.Tensor) or h0.ndim != 2:
        raise ValueError(f"h0 must be a tensor (batch, state_dim), got {_shape(h0)}")
    B, D = h0.shape
    if not isinstance(inputs, torch.Tensor) or inputs.ndim < 2 or inputs.shape[1] != B:
        raise ValueError(f"inputs must be a time-major tensor (T, batch={B}, ...), got "
                         f"{_shape(inputs)}")
    return B, D, inputs.shape[0]
