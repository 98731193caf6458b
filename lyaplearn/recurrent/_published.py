"""The conventions of Vogt et al.'s public code, and its numbers reproduced (chapter 6).

:data:`PAPER_CONVENTION` holds the three conventions in which that code differs from the
engine's defaults; :func:`published_code_spectrum` adds the three features of its loop
that change its numbers, so that it returns what the code returns.

References
----------
.. [1] Vogt, R., Puelma Touzel, M., Shlizerman, E., Lajoie, G. (2022). On Lyapunov exponents
   for RNNs: understanding information propagation using dynamical systems tools. Front.
   Appl. Math. Stat. 8:818799. Code: github.com/shlizee/LyapunovAutoEncode, ``lyapunov.py``,
   function ``calc_LEs_an``.
"""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType
from typing import Any

import torch
from torch import nn

from ._checks import _check_int, _check_k
from ._engine import _Engine
from ._qr import _qr_logs
from ._result import SpectrumResult
from ._spectrum import lyapunov_spectrum
from ._states import _inputs_tbi, _state_list

# The three conventions of the published code; documented where Sphinx finds it, as
# lyaplearn.recurrent.PAPER_CONVENTION (autodoc reads a constant's #: comment only in the
# module that lists it).
PAPER_CONVENTION = MappingProxyType({"state": "hidden", "frame": "transpose", "units": "bits"})


def published_code_spectrum(rnn: nn.Module, inputs: torch.Tensor, *, warmup: int,
                            k: int | None = None, reortho_every: int = 1, h0: Any = None,
                            sort: bool = False) -> SpectrumResult:
    """The spectrum that Vogt et al.'s public code returns: its ``calc_LEs_an``.

    That function (``lyapunov.py`` of github.com/shlizee/LyapunovAutoEncode) takes inputs
    ``x`` of ``T`` steps, ``warmup = W``, ``k_LE = k`` and ``T_ons``, and

    1. starts from ``h0`` and the frame ``Q = I[:, :k]`` (the first ``k`` columns of the
       identity);
    2. warms up on ``x[:W]``: the state advances and the frame is multiplied by the
       transposed hidden-state Jacobian, ``Q <- J^T Q``, with one QR at the end;
    3. then runs over *all* of ``x`` again, ``x[0], ..., x[T-1]``, from the state the
       warm-up reached (the first ``W`` inputs are fed twice), with ``Q <- J^T Q`` and a QR
       after step 0 and then whenever ``T_ons`` steps have passed since the last one;
    4. returns the sum of ``log2 |r_ii|`` of those QRs divided by ``T``, in the frame's
       column order. Steps after the last QR, ``T - 1 - T_ons * floor((T - 1) / T_ons)`` of
       them (none for ``T_ons = 1``), stretch the frame but never reach the sum.

    This function does the same with the engine. It runs steps 1-2 as the code does (the
    warm-up's transposed Jacobians multiplied into ``I[:, :k]`` without a QR, then one
    Householder QR), then calls :func:`lyapunov_spectrum` on ``x[:W]`` followed by the
    first ``T' = 1 + T_ons * floor((T - 1) / T_ons)`` steps of ``x``, with ``warmup=W``
    (the state alone), that frame as ``frame0``, ``reortho_every=T_ons`` and
    :data:`PAPER_CONVENTION`, and multiplies the exponents by ``T' / T``. A QR does not
    change the span of the frame's leading columns, so the sum of ``log|r_ii|`` over
    intervals that all end in a QR does not depend on where the QRs fall: the code's
    intervals (one step, then ``T_ons`` each) and the engine's (``T_ons`` each, the last
    one closed) give the same sums. The result is the code's up to rounding:
    ``tests/test_recurrent_published.py`` transcribes the loop from this description and
    agrees to 1e-12 for ``T_ons`` 1 and 3. The column signs, which the code flips to
    make ``r_ii`` positive, do not change ``|r_ii|``.

    Where the code's numbers are themselves rounding, so are these, and two roundings
    need not agree: over a long warm-up, or a long ``T_ons``, an un-normalised product
    loses its trailing directions (its condition number grows like ``exp(steps x spread
    of the exponents)``), and the trailing exponents are then not rates. Note also that
    the code's identity frame does not suit its transposed update: the column ``e_i`` of
    a unit that is dead at the first step is annihilated (``J^T e_i = 0``) and the
    largest exponent can be lost; the engine warns when that happens (see ``frame0`` of
    :func:`lyapunov_spectrum`).

    Parameters
    ----------
    rnn
        ``nn.RNN``, ``GRU`` or ``LSTM``, as in :func:`lyapunov_spectrum` (the code's
        ``rnn_jac``, ``gru_jac`` and ``lstm_jac``; its LSTM Jacobian is the hidden-state
        one, ``state="hidden"``).
    inputs
        The code's ``x``, in the module's layout: (T, B, I), or (B, T, I) if
        ``batch_first`` (the code's own models are batch-first).
    warmup
        The code's ``warmup``, ``0 <= warmup <= T``.
    k
        The code's ``k_LE`` (default: all ``D`` exponents of the hidden state).
    reortho_every
        The code's ``T_ons`` (default 1, the code's default).
    h0
        The code's initial state, as the module takes it (default zeros).
    sort
        Sort each spectrum in descending order; default ``False``, the code's column order.

    Returns
    -------
    SpectrumResult
        In bits per step, ``frame="transpose"``, hidden state, ``steps = T`` (the
        code's divisor).
    """
    eng = _Engine(rnn, "hidden", None)
    X, unbatched = _inputs_tbi(eng, inputs)              # time-major (T, B, I)
    T, B = X.shape[0], X.shape[1]
    warmup = _check_int(warmup, "warmup", 0)
    if warmup > T:
        raise ValueError(f"warmup must be at most the number of time steps T={T}, "
                         f"got {warmup}")
    every = _check_int(reortho_every, "reortho_every", 1)
    k = _check_k(k, eng.D)
    with torch.no_grad():
        QT = torch.eye(eng.D, dtype=eng.dtype, device=eng.device)[:k].expand(B, k, eng.D)
        if warmup:
            _, co = eng.run(X[:warmup], _state_list(eng, h0, B, unbatched))
            for t in range(warmup):                        # Q <- J^T Q, no QR in between
                QT = eng.tangent_transpose(co, t, QT)
        if not bool(torch.isfinite(QT).all()):
            raise ValueError(
                f"the warm-up frame overflowed: like the published code, this multiplies "
                f"warmup={warmup} transposed Jacobians into the frame before its one QR, and "
                "their product left the floating-point range; use a shorter warmup")
        QT = _qr_logs(QT.contiguous())[0]
    used = 1 + every * ((T - 1) // every)                  # up to the code's last QR
    tdim = 1 if (rnn.batch_first and inputs.ndim == 3) else 0
    replay = torch.cat([inputs.narrow(tdim, 0, warmup), inputs.narrow(tdim, 0, used)], tdim)
    res = lyapunov_spectrum(rnn, replay, k=k, warmup=warmup, reortho_every=every, h0=h0,
                            frame0=QT.transpose(1, 2), sort=sort, **PAPER_CONVENTION)
    if used == T:
        return res
    return replace(res, exponents=res.exponents * (used / T), steps=T)
