"""Spectra of ``nn.RNN``, ``GRU`` and ``LSTM`` modules: the engine's main entry point (chapter 6)."""

from __future__ import annotations

import time
from typing import Any

import torch
from torch import nn

from lyaplearn.flossing import differentiable_spectrum

from ._benettin import _benettin
from ._checks import _FRAMES, _check_choice, _check_int, _check_k, _check_steps
from ._engine import _Engine
from ._qr import _QRS
from ._result import _UNITS, SpectrumResult
from ._states import _inputs_tbi, _state_list
from ._tangents import _ModuleTangent

_METHODS = ("auto", "direct", "formed")


def lyapunov_spectrum(rnn: nn.Module, inputs: Any, *, k: int | None = None, warmup: int = 0,
                      frame_warmup: int = 0, reortho_every: int = 1, state: str = "full",
                      h0: Any = None, units: str = "nats", dtype: torch.dtype | None = None,
                      history: bool = False, frame0: torch.Tensor | None = None, seed: int = 0,
                      sort: bool = True, method: str = "auto", chunk: int = 128,
                      qr: str = "auto", progress: bool = False,
                      frame: str = "forward", differentiable: bool = False,
                      window: int | None = None,
                      truncate: int | None = None) -> SpectrumResult:
    """Lyapunov spectra of a recurrent module driven by a batch of input sequences.

    The spectrum is that of the deterministic state map: dropout between
    layers (``rnn.dropout``) is ignored, whether the module is in training
    or evaluation mode.

    Parameters
    ----------
    rnn
        ``torch.nn.RNN`` (tanh or relu), ``GRU`` or ``LSTM``: any ``num_layers``,
        bias on or off, ``batch_first`` either way. Not bidirectional, no ``proj_size``.
        The module and its parameters are never modified.
    inputs
        As the module takes them: (T, B, input_size), or (B, T, input_size) if
        ``batch_first``; a 2-D (T, input_size) tensor is one sequence.
    k
        Number of exponents (default: all ``D``; see :func:`state_dim`).
    warmup
        Steps that evolve only the state (no frame, no QR) before anything else.
    frame_warmup
        Then steps that evolve the frame (with its QRs) without recording.
        The exponents are averaged over the remaining ``T - warmup - frame_warmup`` steps.
    reortho_every
        QR every this many steps; a final QR closes the last, possibly partial, interval.
    state
        ``"full"`` (true dynamical system, default) or ``"hidden"`` (the paper's
        ``dh_t/dh_{t-1}`` with the LSTM cell state held fixed).
    h0
        Initial state as the module takes it (default zeros).
    units
        ``"nats"`` (default) or ``"bits"`` per step.
    dtype
        Compute in this dtype, e.g. ``torch.float64`` (default: the module's).
        Parameters are cast as copies; the module is untouched.
    history
        Record the running estimate after every QR (``result.history``).
    frame0
        Initial orthonormal frame (D, k) or (B, D, k). Default: a random
        orthonormal frame drawn with ``seed``, except for the full spectrum
        with ``frame="forward"``, which starts from the identity (as the
        paper's Algorithm 1; kept so that results do not change). A column
        ``e_i`` of the identity is lost in the first QR when ``J_1 e_i = 0``:
        in the forward update only when unit ``i`` feeds no unit that is
        alive at the first step (a stacked ReLU layer that is dead then), but
        in the transposed one, ``J_1^T e_i = 0``, whenever unit ``i`` itself
        is dead or saturated, as ReLU units often are; a random frame has no
        column in a fixed subspace. A frame that loses a column ahead of live
        ones gives wrong exponents, and a ``RuntimeWarning`` says so. A frame orthonormal to the accuracy of a
        coarser dtype than the computation's (a float32 frame with
        ``dtype=torch.float64``) is accepted and orthonormalised again, by QR,
        in the compute dtype.
    seed
        Seed of the default random initial frame.
    sort
        Sort each spectrum in descending order.
    method
        ``"direct"`` applies the Jacobian to the frame through the stacked
        weight blocks and scales rows afterwards (cost ~ gates*hidden^2*k per
        layer, best for small ``k``); ``"formed"`` first builds the dense
        Jacobian blocks by row-scaling the weights (an O(gates*hidden^2) build,
        then ~ hidden^2*k for a GRU or hidden-only LSTM and 2*hidden^2*k for a
        full-state LSTM, half of a dense (2H x 2H)(2H x k) product; GRU and LSTM
        only); ``"auto"`` picks ``"formed"`` for those when k >= 32.
    chunk
        Time steps whose trajectory is computed ahead of the frame updates.
    qr
        How the frame is re-orthonormalised: ``"householder"`` (LAPACK/cuSOLVER,
        stable for any frame), ``"cholesky"`` (CholeskyQR2 from matrix
        products, computed in float64 even for a float32 model; every frame
        where it breaks down or loses orthogonality is redone with
        Householder, so the exponents are as accurate as Householder's) or
        ``"auto"`` (``"cholesky"`` on a CUDA GPU with fast float64, such as
        an A100 or H100, where it is many times faster, ``"householder"``
        elsewhere). ``result.qr_fallbacks``
        counts the redone frames. CholeskyQR2 reads its breakdown flag on the
        host once per chunk, not once per QR: a chunk runs optimistically and,
        if a frame broke down in it, is rolled back and redone with the
        per-frame check, giving exactly the checked result.
    progress
        Show a tqdm progress bar.
    frame
        ``"forward"`` (default): the frame is updated as ``Q <- J_t Q``, the
        exponents of the product ``J_T ... J_1``, i.e. of the state map.
        ``"transpose"``: ``Q <- J_t^T Q``, the convention of Vogt et al.'s
        public code, whose exponents are those of ``J_1 ... J_T``. They differ
        from the forward ones for structured (e.g. periodic) inputs, and can
        differ for i.i.d. inputs too, since the Jacobians depend on the state:
        not as a finite-``T`` effect but by a gap that need not close as ``T``
        grows (module docstring, "Two frame conventions", and the test that
        measures one; :data:`lyaplearn.recurrent.PAPER_CONVENTION` sets it
        with the paper's other choices). It builds the dense Jacobian at
        every step, so it costs a full spectrum's work whatever ``k``, and
        ``method`` does not apply.
    differentiable
        ``True``: ``result.exponents`` carries an autograd graph to the module's
        parameters (and to ``inputs`` or ``h0`` if they require a gradient), for
        gradient flossing (chapter 10); computed by
        :func:`lyaplearn.flossing.differentiable_spectrum`, which follows the same
        conventions and agrees with the default path to rounding error. Forward
        frame only; ``history``, ``progress`` and ``qr="cholesky"`` do not apply
        (``method`` and ``chunk`` only set the default path's speed). The default,
        ``False``, runs without a graph, as fast as before.
    window, truncate
        With ``differentiable=True`` only: how far back the graph reaches (see
        :func:`lyaplearn.flossing.differentiable_spectrum`: ``window`` keeps a
        graph over the last steps only, ``truncate`` cuts it every that many steps).

    Returns
    -------
    SpectrumResult
        ``.exponents`` (B, k) and the batch statistics.

    Raises
    ------
    ValueError
        For invalid arguments (including complex tensors, a ``frame0`` whose
        columns are not orthonormal, and a ``dtype`` other than float32 or
        float64); for a NaN or infinity in ``inputs``, ``h0``,
        ``frame0`` or a parameter of ``rnn`` (naming it and the first bad
        index); and when the trajectory or the tangent frame becomes
        non-finite on the way (naming the time step and the sequence), at
        the latest at the next reorthonormalisation on the CPU and at the end
        of the chunk on an accelerator, without a host synchronisation per step.

    Examples
    --------
    With no input and no bias the zero state is a fixed point of a tanh RNN,
    where the Jacobian is ``W_hh`` itself (``tanh'(0) = 1``). For a diagonal
    ``W_hh`` the exponents are the logarithms of its entries' moduli:

    >>> import numpy as np, torch
    >>> from lyaplearn.recurrent import lyapunov_spectrum
    >>> rnn = torch.nn.RNN(input_size=1, hidden_size=2, dtype=torch.float64)
    >>> with torch.no_grad():
    ...     for p in rnn.parameters():
    ...         _ = p.zero_()
    ...     _ = rnn.weight_hh_l0.copy_(torch.diag(torch.tensor([0.5, -0.25])))
    >>> res = lyapunov_spectrum(rnn, torch.zeros(20, 1, 1, dtype=torch.float64))
    >>> np.round(res.numpy(), 6).tolist()             # ln 0.5, ln 0.25
    [[-0.693147, -1.386294]]
    """
    t0 = time.perf_counter()
    eng = _Engine(rnn, state, dtype)
    _check_choice(units, _UNITS, "units")
    _check_choice(method, _METHODS, "method")
    _check_choice(frame, _FRAMES, "frame")
    if frame == "transpose" and method == "formed":
        raise ValueError("method='formed' applies to frame='forward' only; frame='transpose' "
                         "builds the dense Jacobian at every step (use method='auto')")
    X, unbatched = _inputs_tbi(eng, inputs)
    T, B = X.shape[0], X.shape[1]
    k = _check_k(k, eng.D)
    warmup, frame_warmup, reortho_every = _check_steps(warmup, frame_warmup, reortho_every, T)
    if method == "formed" and not eng.formable:
        raise ValueError(f"method='formed' needs a GRU or an LSTM, got {eng.arch}")
    chunk = _check_int(chunk, "chunk", 1)
    _check_choice(qr, _QRS, "qr")
    if not isinstance(differentiable, bool):
        raise ValueError(f"differentiable must be True or False, got {differentiable!r}")
    if differentiable:
        if frame != "forward" or history or progress or qr == "cholesky":
            raise ValueError("differentiable=True takes frame='forward', history=False, "
                             "progress=False and qr='auto' or 'householder'")
        lam = differentiable_spectrum(rnn, inputs, k, warmup, h0, frame_warmup=frame_warmup,
                                      reortho_every=reortho_every, state=state, units=units,
                                      dtype=dtype, frame0=frame0, seed=seed, sort=sort,
                                      window=window, truncate=truncate)
        return SpectrumResult(lam, units, T - warmup - frame_warmup, state,
                              seconds=time.perf_counter() - t0, frame=frame)
    if window is not None or truncate is not None:
        raise ValueError("window and truncate apply to differentiable=True only")
    with torch.no_grad():
        st = _state_list(eng, h0, B, unbatched)
    if frame == "transpose":
        how = "transpose"
    elif method == "formed" or (method == "auto" and eng.formable and k >= 32):
        how = "formed"
    else:
        how = "direct"
    return _benettin(_ModuleTangent(eng, X, st, how), k=k, warmup=warmup,
                     frame_warmup=frame_warmup, reortho_every=reortho_every, chunk=chunk,
                     frame=frame, frame0=frame0, seed=seed, qr=qr, history=history,
                     units=units, state=state, sort=sort, progress=progress, t0=t0)
