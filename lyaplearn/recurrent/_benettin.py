"""The QR (Benettin) loop: one loop for every tangent map the engine pushes a frame with.

Chapters 5 and 6. :func:`_benettin` is the algorithm: evolve the state alone for the
warm-up, then push an orthonormal frame with the tangent map step by step, re-orthonormalise
it every ``reortho_every`` steps and, after the frame warm-up, sum ``log|diag R|``. It
knows nothing of what the tangent map is: a module's analytic Jacobians, applied directly,
through formed blocks or transposed, or a function's ``jvp``/``vjp``
(:mod:`._tangents`), as ChaosTools' ``lyapunovspectrum`` runs one loop over any tangent
integrator. :class:`_Benettin` keeps the books of that loop (the QRs, the sums, the
history, the optimistic chunks of CholeskyQR2) and turns them into the result.

References
----------
.. [1] Benettin, G., Galgani, L., Giorgilli, A., Strelcyn, J.-M. (1980). Lyapunov characteristic
   exponents for smooth dynamical systems and for Hamiltonian systems. Meccanica 15.
.. [2] Vogt, R., Puelma Touzel, M., Shlizerman, E., Lajoie, G. (2022). On Lyapunov exponents for
   RNNs. Front. Appl. Math. Stat. 8:818799, Algorithm 1.
"""

from __future__ import annotations

import math
import time
import warnings
from typing import Callable

import torch

from ._checks import _require_finite
from ._nonfinite import _NonFinite
from ._qr import _QR_METHODS, _pick_qr
from ._result import LN2, SpectrumResult


def _initial_frame(frame0, B, D, k, seed, dtype, device, frame="forward") -> torch.Tensor:
    """Orthonormal starting frame as QT (B, k, D).

    The default is a random orthonormal frame drawn with ``seed``, except for the full
    spectrum in the forward convention, which starts from the identity as Algorithm 1 of
    the paper does (see :func:`lyapunov_spectrum`, ``frame0``, for why that one is safe and
    the transposed one is not).
    """
    if frame0 is None:
        if k == D and frame == "forward":
            # any orthonormal basis spans the whole space: the identity, as in the paper
            return torch.eye(D, dtype=dtype, device=device).expand(B, D, D).contiguous()
        g = torch.Generator().manual_seed(int(seed))
        A = torch.randn(k, D, generator=g, dtype=dtype)
        Q = torch.linalg.qr(A.t())[0].to(device=device)
        return Q.t().unsqueeze(0).expand(B, k, D).contiguous()
    if not isinstance(frame0, torch.Tensor) or frame0.shape[-2:] != (D, k) or \
            frame0.ndim not in (2, 3) or (frame0.ndim == 3 and frame0.shape[0] != B):
        shape = tuple(frame0.shape) if isinstance(frame0, torch.Tensor) else type(frame0).__name__
        raise ValueError(f"frame0 must be a tensor ({D}, {k}) or ({B}, {D}, {k}) "
                         f"(state dim, k), got {shape}")
    _require_finite([("frame0", frame0.detach())], dtype=dtype)
    Q = frame0.detach().to(dtype=dtype, device=device)
    # orthonormal columns, to the accuracy of the arithmetic it was made in: the exponents
    # are the growth rates of the volumes the columns span, so a skewed or scaled frame
    # gives wrong ones. A frame made in a coarser dtype than the computation's (a float32
    # frame for dtype=float64) is accepted to its own accuracy and orthonormalised again in
    # the compute dtype, keeping the span of its leading columns.
    given = frame0.dtype if frame0.is_floating_point() else dtype
    coarse = given if torch.finfo(given).eps > torch.finfo(dtype).eps else dtype
    err = (Q.transpose(-2, -1) @ Q - torch.eye(k, dtype=dtype, device=device)).abs().amax()
    tol = math.sqrt(torch.finfo(coarse).eps)
    if not bool(err <= tol):
        raise ValueError(
            f"frame0 must have orthonormal columns (Q^T Q = I), but max |Q^T Q - I| = "
            f"{float(err):.3g} > {tol:.1g}; orthonormalise it first, e.g. "
            "torch.linalg.qr(frame0).Q")
    if not bool(err <= math.sqrt(torch.finfo(dtype).eps)):
        Q, Rm = torch.linalg.qr(Q)
        Q = Q * torch.sign(torch.diagonal(Rm, dim1=-2, dim2=-1)).unsqueeze(-2)
    if Q.ndim == 2:
        Q = Q.unsqueeze(0).expand(B, D, k)
    return Q.transpose(1, 2).contiguous()


class _Benettin:
    """Bookkeeping of the QR method shared by the analytic and generic paths.

    Counts steps since the last QR, re-orthonormalises every ``every`` steps
    with the QR object ``qr`` (one small object per QR method), and, while
    recording, sums ``log|diag R|`` and keeps the running estimate for the
    convergence history. ``steps`` is the number of recorded steps. ``t`` is
    the time step (index into the inputs) of the last tangent step, so that
    a non-finite frame is reported with its time step (see :class:`_NonFinite`).

    ``below`` counts, per sequence and column, the recorded QRs in which
    ``r_ii`` was below the resolution of the arithmetic: smaller than
    ``10 * k * eps`` times the largest ``r_jj`` of that QR, where a
    Householder QR (or CholeskyQR2) returns rounding noise, not a stretch
    factor. It is updated on the device, without a host read.
    """

    def __init__(self, B: int, k: int, every: int, history: bool, dtype, device,
                 qr: str = "householder", t0: int = 0):
        """``qr`` is a choice of :data:`_QRS` (``"auto"`` is resolved here, once)."""
        device = torch.device(device)
        self.gamma = torch.zeros(B, k, dtype=dtype, device=device)
        self.every = every
        self.since = 0
        self.steps = 0
        self.t = t0 - 1
        self.hist: list[torch.Tensor] | None = [] if history else None
        self.hist_steps: list[int] = []
        self.qr = _QR_METHODS[_pick_qr(qr, device)]()
        self.optimistic = True   # see chunk()
        self.watch = _NonFinite(B, device)
        self.watch.every = every
        self.below = torch.zeros(B, k, dtype=torch.int32, device=device)
        self.qrs = 0
        self.floor = math.log(10 * k * torch.finfo(dtype).eps)

    def _qr(self, QT: torch.Tensor, record: bool) -> torch.Tensor:
        QT, logs = self.qr(QT)
        self.watch.logs(self.t, logs)
        if self.qr.syncs and not self.qr.defer:   # the QR read its result on the host anyway
            self.watch.check()
        self.since = 0
        if record:
            self.gamma += logs
            self.qrs += 1
            self.below += logs < logs.max(-1, keepdim=True).values + self.floor
            if self.hist is not None:
                self.hist.append(self.gamma / self.steps)
                self.hist_steps.append(self.steps)
        return QT

    def step(self, QT: torch.Tensor, recording: bool) -> torch.Tensor:
        """Count one tangent step of the frame ``QT``; QR when the interval is full."""
        self.since += 1
        self.t += 1
        self.steps += recording
        return self._qr(QT, recording) if self.since == self.every else QT

    def end_warmup(self, QT: torch.Tensor) -> torch.Tensor:
        """Close the frame warm-up with a QR, so recording starts orthonormal."""
        return self._qr(QT, False) if self.since else QT

    def chunk(self, QT: torch.Tensor, advance: Callable[[torch.Tensor], torch.Tensor],
              restartable: bool = True) -> torch.Tensor:
        """Run ``advance(QT) -> QT``, the tangent steps of one chunk of time, optimistically.

        A QR that can defer its breakdown check (CholeskyQR2) runs the whole
        chunk without reading anything on the host; the breakdown flag is read
        once at the end. If some frame broke down, the bookkeeping is rolled
        back to the start of the chunk and the chunk is redone with the
        checked QR and its per-sequence Householder fallback, so the result is
        exactly what the checked QR gives. After one such redo the run is
        evidently ill-conditioned and every later chunk is checked at once.
        ``advance`` must not modify its argument in place: the rollback
        restarts from it. A chunk that cannot be redone (``restartable=False``:
        the tangent map evolves a state it does not keep) runs checked.
        """
        if not (self.optimistic and self.qr.can_defer and restartable):
            return advance(QT)
        saved = (QT, self.gamma.clone(), self.steps, self.since, self.t,
                 len(self.hist_steps), self.watch.frame_at.clone(), self.below.clone(), self.qrs)
        self.qr.defer = True
        try:
            QT = advance(QT)
        finally:
            self.qr.defer = False
        if not self.qr.take_broken():
            return QT
        QT, gamma, self.steps, self.since, self.t, n, self.watch.frame_at, below, self.qrs = saved
        self.below.copy_(below)
        self.gamma.copy_(gamma)
        del self.hist_steps[n:]
        if self.hist is not None:
            del self.hist[n:]
        self.optimistic = False
        return advance(QT)

    def finish(self, QT: torch.Tensor) -> torch.Tensor:
        """Count the last, possibly partial, interval, and check for non-finite values."""
        QT = self._qr(QT, True) if self.since else QT
        self.watch.check()
        return QT


    def result(self, units: str, state: str, sort: bool, seconds: float, frame: str
               ) -> SpectrumResult:
        """The exponents ``gamma / steps`` as a :class:`SpectrumResult`, with its warnings."""
        lam = self.gamma / self.steps
        if sort:
            lam = torch.sort(lam, dim=-1, descending=True).values
        f = 1.0 / LN2 if units == "bits" else 1.0
        history = history_steps = None
        if self.hist is not None:
            history = torch.stack(self.hist) * f if self.hist else None
            history_steps = torch.tensor(self.hist_steps)
        low = 2 * self.below > self.qrs
        unresolved = low.sum(-1)
        dead = torch.isneginf(self.gamma)
        most, any_dead = torch.stack([unresolved.max(), dead.any().long()]).tolist()  # one read
        if most:
            _warn_unresolved(unresolved, most, self.gamma.shape[-1], self.gamma.dtype)
        if any_dead:
            _warn_lost(dead, low)
        return SpectrumResult(lam * f, units, self.steps, state, history, history_steps,
                              seconds, self.qr.name, self.qr.fallbacks, frame, unresolved)


def _benettin(tangent, *, k: int, warmup: int, frame_warmup: int, reortho_every: int,
              chunk: int, frame: str, frame0, seed: int, qr: str, history: bool, units: str,
              state: str, sort: bool, progress: bool, t0: float) -> SpectrumResult:
    """The QR (Benettin) algorithm over the tangent map ``tangent``; returns the result.

    ``tangent`` (one of :mod:`._tangents`) holds the state and its inputs, with ``B``,
    ``D``, ``T``, ``dtype`` and ``device``; ``warm(t0, t1, watch)`` evolves the state alone
    over the time steps ``t0 .. t1-1``; ``span(t0, t1, watch)`` evolves it over them and
    returns ``push(i, QT)``, the tangent map of step ``t0 + i`` applied to the frame ``QT``
    (B, k, D) whose rows are the vectors. The steps go in chunks of ``chunk``: the state
    warm-up, the recording, and the frame warm-up too if ``tangent.chunked_warmup``
    (otherwise the frame warm-up is one chunk). Every chunk of the frame warm-up ends with
    a QR; the non-finite flags are read once per chunk; with CholeskyQR2 a chunk runs
    optimistically if ``tangent.restartable`` (its ``push`` can start the span again).
    The other arguments are those of :func:`lyapunov_spectrum`; ``t0`` is the start time
    for ``result.seconds``.
    """
    B, T = tangent.B, tangent.T
    book = _Benettin(B, k, reortho_every, history, tangent.dtype, tangent.device, qr,
                     t0=warmup)
    end = warmup + frame_warmup               # the first recorded step
    with torch.no_grad():
        for t in range(0, warmup, chunk):
            tangent.warm(t, min(warmup, t + chunk), book.watch)
        book.watch.check()
        QT = _initial_frame(frame0, B, tangent.D, k, seed, tangent.dtype, tangent.device, frame)
        bar = None
        if progress:
            from tqdm.auto import tqdm
            bar = tqdm(total=T - warmup, desc="Lyapunov spectrum", unit="step")
        t = warmup
        while t < T:
            recording = t >= end
            if recording:
                t1 = min(T, t + chunk)
            else:
                t1 = min(end, t + chunk) if tangent.chunked_warmup else end
            push = tangent.span(t, t1, book.watch)

            def advance(QT, push=push, n=t1 - t, recording=recording):
                for i in range(n):
                    QT = book.step(push(i, QT), recording)
                return QT if recording else book.end_warmup(QT)

            QT = book.chunk(QT, advance, tangent.restartable)   # CholeskyQR2: one read
            book.watch.check()                                    # once per chunk
            if bar is not None:
                bar.update(t1 - t)
            t = t1
        book.finish(QT)
        if bar is not None:
            bar.close()
    return book.result(units, state, sort, time.perf_counter() - t0, frame)


def _warn_unresolved(unresolved: torch.Tensor, n: int, k: int, dtype: torch.dtype) -> None:
    """Warn that up to ``n`` exponents are rounding noise; see :class:`SpectrumResult`."""
    if n:
        seqs = torch.nonzero(unresolved).flatten().tolist()
        warnings.warn(
            f"up to {n} of the k={k} exponents (sequences {seqs[:5]}{'...' if len(seqs) > 5 else ''})"
            f" sat below the resolution of {str(dtype).replace('torch.', '')} in most QRs: the "
            "product of Jacobians is numerically rank-deficient (dead ReLU units, zero weight "
            "rows) or stretched too far between QRs (reortho_every). Those exponents are "
            "rounding noise, not rates (very negative, so sorting usually puts them last); "
            "result.unresolved counts them per sequence",
            RuntimeWarning, stacklevel=5)


def _warn_lost(dead: torch.Tensor, low: torch.Tensor) -> None:
    """Warn when the frame lost a column out of order, which makes the spectrum wrong.

    ``dead`` (B, k) marks the columns with ``gamma_i = -inf``: ``r_ii = 0`` exactly in
    some recorded QR. A dead column that was resolved in most QRs (not ``low``), while a
    later column ``j > i`` survived every QR, means that the frame had a column in the kernel of a Jacobian ahead of live ones, such as the
    coordinate vector ``e_i`` of a unit that is dead at that step under
    ``frame="transpose"`` (``J^T e_i = 0``), or, in the forward update, of a unit that
    feeds only dead units (a stacked ReLU layer dead at the first step). The QR replaces
    the column by an arbitrary direction, which then takes the column's place in the
    order, so its exponent is lost (``-inf``) and the later columns are computed in its
    complement: the spectrum is not that of the product, and its largest exponent may be
    missing. When the product of Jacobians loses rank with a frame in general position,
    the trailing columns go (``-inf`` or rounding noise, see ``unresolved``), which is
    right and not warned about.
    """
    later_alive = torch.flip(torch.cummax(torch.flip((~dead).to(torch.int8), [-1]), -1).values,
                             [-1]).bool()
    later_alive = torch.cat([later_alive[..., 1:], torch.zeros_like(later_alive[..., :1])], -1)
    lost = dead & ~low & later_alive
    if bool(lost.any()):
        seqs = torch.nonzero(lost.any(-1)).flatten().tolist()
        warnings.warn(
            f"the frame lost a direction out of order in sequences "
            f"{seqs[:5]}{'...' if len(seqs) > 5 else ''}: a column was annihilated exactly "
            "(r_ii = 0) in a QR while later columns survived, so from that column on the "
            "exponents are not rates of the product of Jacobians, and its largest one may be "
            "missing. A column of the frame lay in the kernel of a Jacobian: a coordinate "
            "vector e_i of an identity frame with J e_i = 0 (unit i feeds only units dead at "
            "that step) or, with frame='transpose', J^T e_i = 0 (unit i dead), or a column the "
            "QR put in place of one lost earlier. Start from a random orthonormal frame0 (the "
            "default, except for the forward full spectrum, which starts from the identity); "
            "if it persists, the product has too few live directions for more than its "
            "leading exponents",
            RuntimeWarning, stacklevel=5)
