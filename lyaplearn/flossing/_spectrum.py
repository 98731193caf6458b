"""The Lyapunov spectrum with an autograd graph to the module's parameters (chapter 10).

The QR (Benettin) algorithm of chapters 5 and 6, written in differentiable torch: the tangent
frame is pushed through each step's Jacobian (:mod:`._cells`) and re-orthonormalised by
``torch.linalg.qr``, whose backward pass autograd knows, so the exponents
``lambda_i = (1/n) sum log|r_ii|`` can be differentiated with respect to the weights
(Engelken, 2023).

References
----------
.. [1] Engelken, R. (2023). Gradient flossing: improving gradient descent through dynamic
   control of Jacobians. NeurIPS 36. arXiv:2312.17306.
.. [2] Benettin, G., Galgani, L., Giorgilli, A., Strelcyn, J.-M. (1980). Lyapunov
   characteristic exponents for smooth dynamical systems and for Hamiltonian systems.
   Meccanica 15.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import torch
from torch import nn

from ._cells import _make_layers
from .._checks import _check_int
from ._checks import (
    STATES,
    arch_of,
    check_choice,
    compute_dtype,
    initial_frame,
    initial_states,
    inputs_tbi,
    require_finite,
)

_TIES = ("warn", "raise", "ignore")


class RankDeficientError(ValueError):
    """The product of Jacobians has numerical rank below ``k``: some ``r_ii`` vanish.

    Their logarithms are ``-inf`` or rounding noise and the QR's backward pass divides by
    them, so the gradient would be infinite or NaN. Raised instead.
    """


class IllDefinedGradientWarning(RuntimeWarning):
    """The gradient is not well defined or not accurate.

    Two computed exponents coincide (the spectrum has a kink there, see ``ties``), or a QR
    inside the graph was so ill-conditioned (some ``r_ii`` below ``10 k eps`` of the
    largest) that its backward pass, which divides by ``r_ii``, loses accuracy.
    """


class ExplodingGradientWarning(RuntimeWarning):
    """The graph follows a chaotic trajectory far enough for its gradient to explode.

    The trajectory's sensitivity to the weights grows like ``exp(lambda_1 t)`` over the
    ``t`` steps the graph reaches back; above ``AMPLIFICATION_LIMIT`` the gradient,
    though exact for this finite sequence, changes direction from one input batch to
    the next (see ``truncate`` in :func:`differentiable_spectrum`).
    """


#: ``exp(lambda_1 * reach)`` above which :class:`ExplodingGradientWarning` is issued.
AMPLIFICATION_LIMIT = 1e4


def _detach(x):
    if isinstance(x, (tuple, list)):
        return type(x)(_detach(v) for v in x)
    return x.detach()


def differentiable_spectrum(rnn: nn.Module, inputs: Any, k: int | None = None,
                            warmup: int = 0, h0: Any = None, *, frame_warmup: int = 0,
                            reortho_every: int = 1, state: str = "full", units: str = "nats",
                            dtype: torch.dtype | None = None, frame0: torch.Tensor | None = None,
                            seed: int = 0, sort: bool = True, window: int | None = None,
                            truncate: int | None = None, ties: str = "warn") -> torch.Tensor:
    r"""Lyapunov exponents of a recurrent module that autograd can differentiate.

    The same algorithm, conventions and defaults as
    :func:`lyaplearn.recurrent.lyapunov_spectrum` (forward frame ``Q <- J_t Q``, nats per
    step, the same default initial frame), returned as a tensor whose graph reaches the
    module's parameters (and ``inputs`` or ``h0`` if they require a gradient). Under
    ``torch.no_grad()``, or with no parameter requiring a gradient, it computes the same
    exponents without a graph.

    Parameters
    ----------
    rnn
        ``torch.nn.RNN`` (tanh or relu), ``GRU`` or ``LSTM``; any ``num_layers``, bias on or
        off, ``batch_first`` either way; not bidirectional, no ``proj_size``. Dropout between
        layers is ignored (the spectrum is that of the deterministic map).
    inputs
        As the module takes them: (B, T, I) if ``batch_first``, else (T, B, I); a 2-D
        (T, I) tensor is one sequence.
    k
        Number of exponents, the largest ones (default all ``D``).
    warmup
        Steps that evolve only the state before the frame starts.
    h0
        Initial state as the module takes it (default zeros); an LSTM takes ``(h, c)``.
    frame_warmup
        Then steps that evolve the frame, with its QRs, without recording. The exponents
        average the remaining ``T - warmup - frame_warmup`` steps.
    reortho_every
        QR every this many steps (and one closing the frame warm-up and the last interval).
        Fewer QRs cost less (each QR and its backward pass is O(D k^2) per sequence), but
        between two QRs the frame's columns are stretched by up to
        ``exp((lambda_1 - lambda_k) * reortho_every)``, and the QR's backward pass divides
        by the small ``r_ii``: keep that factor far below ``1/eps``.
    state
        LSTM only: ``"full"`` (default), the tangent space of the whole state
        ``(h^1, c^1, ..., h^L, c^L)``, ``D = 2 L H``, the network's true dynamical system,
        as :func:`~lyaplearn.recurrent.lyapunov_spectrum` by default; ``"hidden"``:
        ``(h^1, ..., h^L)`` with the cell states held fixed in the tangent map,
        ``D = L H`` (Vogt et al.'s convention).
    units
        ``"nats"`` (default) or ``"bits"`` per step.
    dtype
        Compute in this dtype (float32 or float64); the parameters are cast
        differentiably, so gradients reach them in their own dtype.
    frame0, seed
        Initial orthonormal frame (D, k) or (B, D, k) (treated as a constant), or the seed
        of the default random one for a partial spectrum.
    sort
        Sort each spectrum in descending order (a permutation: differentiable).
    window
        Only the last ``window`` time steps carry a graph: the steps before run under
        ``torch.no_grad()`` and the state and frame enter the window as constants. The
        *value* is unchanged (all recorded steps are averaged); the gradient is that of
        the recorded steps inside the window, so it is about ``window / n`` of the full
        one's size and ignores how the weights shaped the state and the frame before.
        Memory for the graph falls from O(T) steps to O(window); the steps before the
        window cost a plain forward pass. ``None`` (default): the whole sequence.
    truncate
        Detach the state and the frame every ``truncate`` steps (counted from the first
        input), as in truncated backpropagation through time: each ``log|r_ii|`` is then
        differentiated through at most the last ``truncate`` steps of the trajectory and of
        the frame. This bounds how far back the gradient reaches, and with it the
        growth of the gradient through a chaotic trajectory (the trajectory's sensitivity
        to the weights grows like ``exp(lambda_1 t)``); the price is a biased gradient. It
        does not save memory by itself (every segment's graph is kept until
        ``backward``); combine with ``window`` for that. A QR closes every segment (this
        leaves the exponents unchanged but for rounding), so that each step's stretching
        is differentiated within its own segment. ``None`` (default): no truncation.
    ties
        What to do, when the result carries a graph, if two computed exponents coincide
        (to ``0.01 sqrt(eps)`` times ``max(1, max|lambda|)``): ``"warn"`` (default,
        :class:`IllDefinedGradientWarning`), ``"raise"`` (``ValueError``) or ``"ignore"``.
        At a crossing the exponents, like eigenvalues, are not differentiable functions
        of the weights: the gradient returned is that of the finite-time QR estimate,
        finite, but it depends on the initial frame. A function symmetric in the tied
        exponents (their sum, or :func:`flossing_loss` when all of a tied group are
        among the ``k``) has a well-defined gradient; a single one of them has not, nor
        has a partial sum that splits a group at ``k`` (``lambda_k = lambda_{k+1}``,
        which this check cannot see).

    Returns
    -------
    torch.Tensor
        (B, k) exponents in ``units`` per step, in the compute dtype.

    Raises
    ------
    ValueError
        For invalid arguments, NaN or infinite inputs, ``h0`` or parameters, and when the
        trajectory becomes non-finite.
    RankDeficientError
        (a ``ValueError``) when the result carries a graph and a QR inside the graph met a
        frame of numerical rank below ``k`` (some ``r_ii`` at most ``eps`` times the
        largest): dead ReLU units, zero weight rows, ``k`` above the rank of the product,
        or too many steps between QRs. Without a graph the exponents are returned (``-inf``
        for an exact zero) with a ``RuntimeWarning``, as
        :func:`~lyaplearn.recurrent.lyapunov_spectrum` does.

    Warns
    -----
    IllDefinedGradientWarning
        For tied exponents (see ``ties``), and when a QR inside the graph had some
        ``r_ii`` between ``eps`` and ``10 k eps`` times the largest: the gradient is then
        accurate only to about ``eps * max r_jj / r_ii`` (e.g. the full spectrum of a
        float32 LSTM, whose smallest exponents contract by 1e-5 to 1e-6 a step).
    ExplodingGradientWarning
        When the graph follows a chaotic trajectory far back (see ``truncate``).

    Notes
    -----
    Cost, measured on one CPU thread (``nn.RNN``/``GRU``/``LSTM``, 64 units, ``k = 8``
    and 64, 16 sequences of 100 steps): the forward pass with a graph took 1.5-1.9 times
    :func:`~lyaplearn.recurrent.lyapunov_spectrum`'s time, without a graph 1.0-1.3
    times, and the backward pass 0.8-1.5 times the forward. The graph holds the frame
    and the gates of every step, O(T (D k + gates H)) numbers per sequence (see
    ``window`` and :func:`graph_bytes`).

    References
    ----------
    Engelken, R. (2023). Gradient flossing: improving gradient descent through dynamic
    control of Jacobians. NeurIPS 36. arXiv:2312.17306.

    Examples
    --------
    A one-unit tanh RNN without bias or input stays at 0, where the Jacobian is its weight
    ``a``: the exponent is ``ln|a|`` and its derivative ``1/a``.

    >>> import math, torch
    >>> rnn = torch.nn.RNN(1, 1, bias=False, dtype=torch.float64)
    >>> with torch.no_grad():
    ...     _ = rnn.weight_hh_l0.fill_(0.5)
    >>> lam = differentiable_spectrum(rnn, torch.zeros(10, 1, 1, dtype=torch.float64))
    >>> lam.backward()
    >>> math.isclose(lam.item(), math.log(0.5)), math.isclose(rnn.weight_hh_l0.grad.item(), 2.0)
    (True, True)
    """
    arch = arch_of(rnn)
    check_choice(state, STATES, "state")
    check_choice(units, ("nats", "bits"), "units")
    check_choice(ties, _TIES, "ties")
    dtype = compute_dtype(dtype, rnn)
    require_finite([(f"rnn.{n}", p) for n, p in rnn.named_parameters()])
    lstm = arch == "lstm"
    layers = _make_layers(rnn, arch, dtype, state == "full")
    if torch.is_grad_enabled():
        for layer in layers:
            layer.guard(_finite_gradient)
    L, H = rnn.num_layers, rnn.hidden_size
    D = (2 if lstm and state == "full" else 1) * L * H
    X, unbatched = inputs_tbi(rnn, inputs, dtype)
    T, B = X.shape[0], X.shape[1]
    k = D if k is None else _check_int(k, "k", 1)
    if k > D:
        raise ValueError(f"k must be an integer in [1, D={D}] (number of exponents), got {k}")
    warmup = _check_int(warmup, "warmup", 0)
    frame_warmup = _check_int(frame_warmup, "frame_warmup", 0)
    every = _check_int(reortho_every, "reortho_every", 1)
    window = _check_int(window, "window", 1, none_ok=True)
    truncate = _check_int(truncate, "truncate", 1, none_ok=True)
    if warmup + frame_warmup >= T:
        raise ValueError(f"warmup + frame_warmup must be smaller than the number of time "
                         f"steps T={T}, got warmup={warmup}, frame_warmup={frame_warmup}")
    like = X.new_empty(())
    st = initial_states(rnn, h0, B, unbatched, lstm, like)
    want_graph = torch.is_grad_enabled()
    g0 = max(0, T - window) if window is not None else 0
    rec0 = warmup + frame_warmup
    n_rec = T - rec0
    floor = math.log(10 * k * torch.finfo(dtype).eps)
    logsum = X.new_zeros(B, k)
    worst = X.new_zeros(B)          # min over QRs in the graph of log(min r_ii / max r_ii)
    below_count = torch.zeros(B, k, dtype=torch.int64, device=X.device)
    qrs, since, blocks = 0, 0, None
    sizes = [H] * (D // H)

    for t in range(T):
        graph = want_graph and t >= g0
        with torch.set_grad_enabled(graph):
            if truncate is not None and t and t % truncate == 0:
                st = _detach(st)
                blocks = None if blocks is None else _detach(blocks)
            x_l = X[t]
            if t < warmup:                                   # the state alone
                new = []
                for l, layer in enumerate(layers):
                    s, x_l = layer.state_step(layer.project(x_l), st[l])
                    new.append(s)
                st = new
                continue
            if blocks is None and t == warmup:
                QT = initial_frame(frame0, B, D, k, seed, like)
                blocks = _split(QT, sizes, layers)
            new, new_blocks, dx = [], [], None
            for l, layer in enumerate(layers):
                s, x_l, ds, dx = layer.step(layer.project(x_l), st[l], dx, blocks[l])
                new.append(s)
                new_blocks.append(ds)
            st, blocks = new, new_blocks
            since += 1
            recording = t >= rec0
            cut = truncate is not None and (t + 1) % truncate == 0     # closes a segment
            if since == every or cut or t == rec0 - 1 or t == T - 1:
                QT = torch.cat([b for bl in blocks for b in bl], dim=-1)
                Q, R = torch.linalg.qr(QT.transpose(1, 2))
                logs = torch.diagonal(R, dim1=-2, dim2=-1).abs().log()
                blocks = _split(Q.transpose(1, 2), sizes, layers)
                since = 0
                lg = logs.detach()
                top = lg.max(-1, keepdim=True).values
                below = lg < top + floor
                if graph:
                    gap = torch.nan_to_num(lg - top, nan=-math.inf)   # all r_ii = 0: -inf
                    worst = torch.minimum(worst, gap.min(-1).values)
                if recording:
                    logsum = logsum + logs
                    below_count += below
                    qrs += 1

    lam = logsum / n_rec
    _check_result(lam, worst, below_count, qrs, k, dtype, every)
    if lam.requires_grad:
        reach = min(T - g0, truncate or T)
        _check_reach(float(lam.detach().max()), reach)
    if units == "bits":
        lam = lam / math.log(2.0)
    if sort:
        lam = torch.sort(lam, dim=-1, descending=True).values
    if lam.requires_grad and ties != "ignore" and k > 1:
        _check_ties(lam.detach(), dtype, ties)
    return lam


def _split(QT: torch.Tensor, sizes: list[int], layers) -> list[tuple]:
    """Frame rows (B, k, D) -> per layer a tuple of its (B, k, H) blocks."""
    parts = QT.split(sizes, dim=-1)
    out, i = [], 0
    for layer in layers:
        out.append(tuple(parts[i:i + layer.blocks]))
        i += layer.blocks
    return out


def _check_result(lam, worst, below_count, qrs, k, dtype, every) -> None:
    if bool(torch.isnan(lam).any()) or bool((lam == math.inf).any()):
        b = int(torch.nonzero(~torch.isfinite(lam))[0, 0])
        raise ValueError(f"the trajectory or the tangent frame of sequence {b} became "
                         "non-finite (overflow): the exponents are undefined; check the "
                         "weights' scale and the inputs, or compute in float64")
    eps = torch.finfo(dtype).eps
    name = str(dtype).replace("torch.", "")
    if lam.requires_grad:
        w = float(worst.min())                  # log of the smallest r_ii / r_max
        if w <= math.log(eps):
            seqs = torch.nonzero(worst <= math.log(eps)).flatten().tolist()
            raise RankDeficientError(
                f"k={k} exceeds the numerical rank of the product of Jacobians: in sequences "
                f"{seqs[:5]}{'...' if len(seqs) > 5 else ''} a QR inside the graph had "
                f"r_ii / max r_jj = {math.exp(w):.2g}, below the resolution of {name} "
                f"({eps:.2g}): dead ReLU units, zero weight rows, k above the rank, or "
                f"reortho_every={every} steps stretching the frame too far. Such a log|r_ii| "
                "is -inf or rounding noise and the QR's gradient divides by r_ii, so the "
                "gradient would be infinite, NaN or noise. Lower k below the rank, revive "
                "the units, QR more often, or compute in float64")
        if w < math.log(10 * k * eps):
            warnings.warn(
                f"a QR inside the graph had r_ii / max r_jj = {math.exp(w):.2g}: the QR's "
                f"gradient divides by r_ii, so the gradient may be off by up to "
                f"{eps / math.exp(w):.1g} relative in {name}; compute in float64 "
                "(dtype=torch.float64), lower k or QR more often",
                IllDefinedGradientWarning, stacklevel=3)
    if qrs and bool((2 * below_count > qrs).any()):
        n = int((2 * below_count > qrs).sum(-1).max())
        warnings.warn(f"up to {n} of the k={k} exponents sat below the resolution of "
                      f"{name} in most QRs (numerically rank-deficient product of "
                      "Jacobians): those, the last ones, are rounding noise or -inf, not rates",
                      RuntimeWarning, stacklevel=3)


def _finite_gradient(grad: torch.Tensor) -> torch.Tensor:
    if not bool(torch.isfinite(grad).all()):
        raise FloatingPointError(
            "the gradient of the Lyapunov exponents is not finite (overflow in the backward "
            "pass): on a chaotic trajectory the sensitivity of the state to the weights grows "
            "like exp(lambda_1 t) over the t steps the graph reaches back; pass truncate= "
            "(e.g. 1 to 10) or a shorter window=")
    return grad


def _check_reach(lam_max: float, reach: int) -> None:
    if lam_max <= 0 or lam_max * reach <= math.log(AMPLIFICATION_LIMIT):
        return
    warnings.warn(
        f"the leading exponent is {lam_max:.3g} > 0 nats/step and the graph reaches {reach} "
        f"steps back: the gradient through the trajectory is amplified by up to "
        f"exp({lam_max:.3g} * {reach}) = {math.exp(min(lam_max * reach, 700)):.2g}. It is the "
        "exact gradient of this finite-time estimate, but it points in a different direction "
        "for every batch of inputs; truncate= (e.g. 1 to 10) keeps exp(lambda_1 * truncate) "
        "small", ExplodingGradientWarning, stacklevel=3)


def _check_ties(lam: torch.Tensor, dtype: torch.dtype, mode: str) -> None:
    lam = torch.sort(lam, dim=-1, descending=True).values
    gaps = lam[:, :-1] - lam[:, 1:]
    tol = 0.01 * math.sqrt(torch.finfo(dtype).eps) * max(1.0, float(lam.abs().max()))
    tied = gaps.abs() <= tol
    if not bool(tied.any()):
        return
    b, i = torch.nonzero(tied)[0].tolist()
    msg = (f"exponents {i + 1} and {i + 2} of sequence {b} coincide ({float(lam[b, i]):.6g}, "
           f"within {tol:.1g}): the spectrum is not differentiable at a crossing. The "
           "gradient of the finite-time estimate is finite but depends on the initial frame; "
           "only functions symmetric in the tied exponents (their sum, or the flossing loss "
           "with the whole tied group among the k) have a well-defined gradient. "
           "ties='ignore' silences this")
    if mode == "raise":
        raise ValueError(msg)
    warnings.warn(msg, IllDefinedGradientWarning, stacklevel=3)
