"""Spectra of any recurrent map ``state' = step(state, x)`` through ``torch.func`` (chapter 6)."""

from __future__ import annotations

import time
from typing import Callable

import torch
from torch import nn

from ._benettin import _Benettin, _finish, _initial_frame, _progress
from ._checks import _check_choice, _check_dtype, _check_k, _check_steps, _require_finite
from ._engine import _Engine
from ._qr import _pick_qr
from ._result import _UNITS, SpectrumResult


def lyapunov_spectrum_step(step: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
                           state0: torch.Tensor, inputs: torch.Tensor, *, k: int | None = None,
                           warmup: int = 0, frame_warmup: int = 0, reortho_every: int = 1,
                           units: str = "nats", history: bool = False,
                           frame0: torch.Tensor | None = None, seed: int = 0, sort: bool = True,
                           qr: str = "auto", progress: bool = False,
                           frame: str = "forward") -> SpectrumResult:
    """Lyapunov spectra of any recurrent map ``state' = step(state, x)``.

    The frame is pushed forward with forward-mode derivatives
    (``torch.func.jvp`` vectorised over the frame's columns with ``vmap``),
    so no Jacobian matrix is built and a partial spectrum costs ``k`` JVPs.
    With ``frame="transpose"`` it is pulled back with vector-Jacobian
    products (``torch.func.vjp``) instead: ``Q <- J^T Q``.

    Parameters
    ----------
    step
        ``step(state, x) -> state`` on a batch: ``state`` (B, D), ``x`` (B, ...);
        row ``b`` of the output may depend only on row ``b`` of the inputs.
        Must be written in torch operations (no in-place updates of inputs).
    state0
        Initial state (B, D).
    inputs
        Time-major inputs (T, B, ...).
    k, warmup, frame_warmup, reortho_every, units, history, frame0, seed, sort, qr, progress, frame
        As in :func:`lyapunov_spectrum`.

    Raises
    ------
    ValueError
        For a NaN or infinity in ``state0``, ``inputs`` or ``frame0`` (naming
        it and the first bad index), and when ``step`` returns a non-finite
        state or the frame overflows, with the time step and the sequence:
        at once on the CPU; on an accelerator when a QR reads its result or
        every 128 steps, never once per step.
    """
    from torch.func import jvp, vjp, vmap

    t0 = time.perf_counter()
    if not callable(step):
        raise ValueError(f"step must be callable step(state, x) -> state, got {type(step).__name__}")
    if not isinstance(state0, torch.Tensor) or state0.ndim != 2:
        shape = tuple(state0.shape) if isinstance(state0, torch.Tensor) else type(state0).__name__
        raise ValueError(f"state0 must be a tensor (batch, state_dim), got {shape}")
    B, D = state0.shape
    if not isinstance(inputs, torch.Tensor) or inputs.ndim < 2 or inputs.shape[1] != B:
        shape = tuple(inputs.shape) if isinstance(inputs, torch.Tensor) else type(inputs).__name__
        raise ValueError(f"inputs must be a time-major tensor (T, batch={B}, ...), got {shape}")
    _check_choice(units, _UNITS, "units")
    _check_choice(frame, ("forward", "transpose"), "frame")
    T = inputs.shape[0]
    k = _check_k(k, D)
    _check_steps(warmup, frame_warmup, reortho_every, T)
    _require_finite([("state0", state0.detach()), ("inputs", inputs.detach())])
    dtype, device = _check_dtype(None, state0.dtype, "state0"), state0.device
    qr = _pick_qr(qr, device)
    s = state0.detach()
    book = _Benettin(B, k, reortho_every, history, dtype, device, qr, t0=warmup)
    every_check = 128
    with torch.no_grad():
        for t in range(warmup):
            s = step(s, inputs[t])
            book.watch.state(t, s)
            if (t + 1) % every_check == 0:
                book.watch.check()
        book.watch.check()
        QT = _initial_frame(frame0, B, D, k, seed, dtype, device, frame)
    bar = _progress(T - warmup, progress)
    for t in range(warmup, T):
        x = inputs[t]

        def push(v, s=s, x=x):
            return jvp(lambda z: step(z, x), (s,), (v,))

        if frame == "forward":
            s_new, V = vmap(push, in_dims=1, out_dims=(None, 1), randomness="error")(QT)
        else:
            s_new, pull = vjp(lambda z, x=x: step(z, x), s)
            V = vmap(lambda v: pull(v)[0], in_dims=1, out_dims=1, randomness="error")(QT)
        s, QT = s_new.detach(), V.detach()
        with torch.no_grad():
            book.watch.state(t, s)
            QT = book.step(QT, recording=t >= warmup + frame_warmup)
            if t == warmup + frame_warmup - 1:
                QT = book.end_warmup(QT)
            if (t + 1 - warmup) % every_check == 0:
                book.watch.check()
        if bar is not None:
            bar.update(1)
    with torch.no_grad():
        QT = book.finish(QT)
    if bar is not None:
        bar.close()
    return _finish(book, units, "full", sort, t0, frame)


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
