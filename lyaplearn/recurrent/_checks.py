"""Argument checks shared by the engine's entry points (chapter 6).

Every check raises a ``ValueError`` that names the argument and what was expected.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import torch
from torch import nn


def _check_choice(value: Any, choices: Sequence[str], name: str) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}")


def _fmt_index(idx: Sequence[int]) -> str:
    return "[" + ", ".join(str(int(i)) for i in idx) + "]"


def _require_finite(named: Sequence[tuple[str, torch.Tensor]]) -> None:
    """Raise a ValueError naming the first argument with a NaN/inf and its first bad index.

    All tensors are checked on their device with one host synchronisation in
    the common (all finite) case.
    """
    named = [(n, t) for n, t in named if t.is_floating_point() or t.is_complex()]
    if not named:
        return
    oks = torch.stack([torch.isfinite(t).all() for _, t in named])
    if bool(oks.all()):
        return
    for (name, t), ok in zip(named, oks.tolist()):
        if not ok:
            idx = tuple(torch.nonzero(~torch.isfinite(t))[0].tolist())
            val = t[idx].item() if idx else t.item()
            where = name + _fmt_index(idx) if idx else name
            raise ValueError(f"{name} must contain only finite numbers, but {where} = {val}")


def _arch(rnn: Any) -> str:
    if isinstance(rnn, nn.LSTM):
        arch = "lstm"
    elif isinstance(rnn, nn.GRU):
        arch = "gru"
    elif isinstance(rnn, nn.RNN):
        arch = "rnn_" + rnn.nonlinearity
    else:
        raise ValueError(
            f"rnn must be a torch.nn.RNN, GRU or LSTM module, got {type(rnn).__name__}; "
            "use lyapunov_spectrum_step for other cells")
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
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= int(k) <= D:
        raise ValueError(f"k must be an integer in [1, D={D}] (number of exponents), got {k!r}")
    return int(k)


def _check_steps(warmup, frame_warmup, reortho_every, T):
    for name, v, lo in (("warmup", warmup, 0), ("frame_warmup", frame_warmup, 0),
                        ("reortho_every", reortho_every, 1)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
            raise ValueError(f"{name} must be an integer >= {lo}, got {v!r}")
    if warmup + frame_warmup >= T:
        raise ValueError(f"warmup + frame_warmup must be smaller than the number of time steps "
                         f"T={T}, got warmup={warmup}, frame_warmup={frame_warmup}")
