"""Spectra of any recurrent map ``state' = step(state, x)`` through ``torch.func`` (chapter 6)."""

from __future__ import annotations

import time
from typing import Callable

import torch
from torch import nn

from ._benettin import _benettin
from ._checks import (_FRAMES, _check_choice, _check_dtype, _check_k, _check_step_arguments,
                      _check_steps, _require_finite)
from ._deprecated import _UNSET, _alias
from ._engine import _Engine
from ._qr import _QRS
from ._result import _UNITS, SpectrumResult
from ._tangents import _WATCH_EVERY, _FunctionTangent


def lyapunov_spectrum_step(step: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
                           h0: torch.Tensor = _UNSET, inputs: torch.Tensor = _UNSET, *,
                           k: int | None = None, warmup: int = 0, frame_warmup: int = 0,
                           reortho_every: int = 1, units: str = "nats", history: bool = False,
                           frame0: torch.Tensor | None = None, seed: int = 0, sort: bool = True,
                           qr: str = "auto", progress: bool = False, frame: str = "forward",
                           state0: torch.Tensor = _UNSET) -> SpectrumResult:
    """Lyapunov spectra of any recurrent map ``state' = step(state, x)``.

    The frame is pushed forward with forward-mode derivatives
    (``torch.func.jvp`` vectorised over the frame's columns with ``vmap``),
    so no Jacobian matrix is built and a partial spectrum costs ``k`` JVPs.
    With ``frame="transpose"`` it is pulled back with vector-Jacobian
    products (``torch.func.vjp``) instead: ``Q <- J^T Q``. The loop is the
    one of :func:`lyapunov_spectrum`, with the same schedule of warm-ups and
    QRs; the frame warm-up is one chunk.

    Parameters
    ----------
    step
        ``step(state, x) -> state`` on a batch: ``state`` (B, D), ``x`` (B, ...);
        row ``b`` of the output may depend only on row ``b`` of the inputs.
        Must be written in torch operations (no in-place updates of inputs).
    h0
        Initial state (B, D). (``state0`` is its deprecated name.)
    inputs
        Time-major inputs (T, B, ...).
    k, warmup, frame_warmup, reortho_every, units, history, frame0, seed, sort, qr, progress, frame
        As in :func:`lyapunov_spectrum`.

    Raises
    ------
    ValueError
        For a NaN or infinity in ``h0``, ``inputs`` or ``frame0`` (naming
        it and the first bad index), and when ``step`` returns a non-finite
        state or the frame overflows, with the time step and the sequence:
        at once on the CPU; on an accelerator when a QR reads its result or
        every 128 steps, never once per step.
    """
    t0 = time.perf_counter()
    h0 = _alias(h0, state0, "state0", "h0", "lyapunov_spectrum_step", default=_UNSET)
    if h0 is _UNSET or inputs is _UNSET:
        missing = [n for n, v in (("h0", h0), ("inputs", inputs)) if v is _UNSET]
        raise TypeError(f"lyapunov_spectrum_step() missing required argument(s): "
                        f"{', '.join(missing)}")
    B, D, T = _check_step_arguments(step, h0, inputs)
    _check_choice(units, _UNITS, "units")
    _check_choice(frame, _FRAMES, "frame")
    k = _check_k(k, D)
    warmup, frame_warmup, reortho_every = _check_steps(warmup, frame_warmup, reortho_every, T)
    _require_finite([("h0", h0.detach()), ("inputs", inputs.detach())])
    _check_dtype(None, h0.dtype, "h0")
    _check_choice(qr, _QRS, "qr")
    return _benettin(_FunctionTangent(step, h0, inputs, frame == "transpose"), k=k,
                     warmup=warmup, frame_warmup=frame_warmup, reortho_every=reortho_every,
                     chunk=_WATCH_EVERY, frame=frame, frame0=frame0, seed=seed, qr=qr,
                     history=history, units=units, state="full", sort=sort,
                     progress=progress, t0=t0)


def make_step(rnn: nn.Module, *, dtype: torch.dtype | None = None) -> Callable:
    """The full-state map of a module as ``step(state (B, D), x (B, I)) -> state``.

    Written in plain torch operations (usable with ``torch.func``), with
    parameters cast as copies; the state is ordered as in :func:`flatten_state`.
    """
    eng = _Engine(rnn, "full", dtype)
    w = eng.blocks * eng.H

    def step(state: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        parts = []
        inp = x
        for l, lay in enumerate(eng.layers):
            new, inp = lay.step(state[..., l * w:(l + 1) * w], inp)
            parts += new
        return torch.cat(parts, -1)

    return step
