"""Householder and CholeskyQR2 re-orthonormalisation, and the rule that picks one (chapter 6).

One small object per QR method; :class:`_Benettin` calls whichever it was given.

References
----------
.. [1] Yamazaki, I., Tomov, S., Dongarra, J. (2015). Mixed-precision Cholesky QR factorization
   and its case studies on multicore CPU with multiple GPUs. SIAM J. Sci. Comput. 37(3).
"""

from __future__ import annotations

import torch

from ._checks import _check_choice


def _qr_logs(QT: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Householder QR of the frame; returns the new QT and log|diag R| (B, k).

    ``QT`` (B, k, D) row-major is the frame (B, D, k) in the column-major
    layout LAPACK works in, so ``geqrf`` needs no copy; ``diag R`` is read off
    its output (no triangular R is built) and ``householder_product`` forms
    the new frame. ``log|r_ii|`` is sign-safe and gives ``-inf`` for a zero.
    """
    a, tau = torch.geqrf(QT.transpose(1, 2))
    logs = torch.diagonal(a, dim1=-2, dim2=-1).abs().log()
    Q = torch.linalg.householder_product(a, tau)
    return Q.transpose(1, 2), logs


class _HouseholderQR:
    """Householder QR (LAPACK/cuSOLVER ``geqrf``): backward stable for any frame.

    Called on a frame ``QT`` (B, k, D), returns the orthonormal frame and
    ``log|diag R|`` (B, k). It never synchronises with the host.
    """

    name = "householder"
    syncs = False
    can_defer = False

    def __init__(self):
        self.fallbacks = 0
        self.defer = False

    def __call__(self, QT: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return _qr_logs(QT)


class _CholeskyQR:
    """CholeskyQR2 from matrix products, in float64, with a per-sequence Householder fallback.

    For a frame ``V`` (D x k): ``G = V^T V = L L^T``, ``Q1 = V L^{-T}``, and the
    same again on ``Q1``, so ``V = Q2 R`` with ``R = L2^T L1^T`` and
    ``log r_ii = log l1_ii + log l2_ii``. Two Gram matrices, two small
    Cholesky factorisations and two triangular solves: matrix products that a
    GPU runs far faster than Householder reflections.

    CholeskyQR2 is accurate while the frame's condition number stays below
    about ``eps**-1/2`` of the arithmetic: 7e7 in float64 but 3e3 in float32,
    and one step of a full-state LSTM has frames of condition 1e6-3e7 (the
    ``LSTM full`` cases of the GPU benchmark, measured). So it always computes
    in float64, and a float32 frame is cast up and its ``Q`` cast back
    (mixed-precision CholeskyQR, Yamazaki, Tomov and Dongarra, SIAM J. Sci.
    Comput. 37, 2015). On those frames float32 CholeskyQR2 broke down on every
    frame, while in float64 none did and ``log r_ii`` matched a float64
    Householder QR of the same float32 data to 1e-11, closer than a float32
    Householder QR (2e-3). ``"auto"`` picks it only on GPUs whose float64
    products have the float32 peak rate (see :func:`_pick_qr`).

    Beyond that the first Cholesky factor is wrong or the factorisation breaks
    down. Both are detected per sequence: ``cholesky_ex``'s ``info``
    (breakdown), non-finite factors, and the orthogonality of the first pass,
    ``||Q1^T Q1 - I||_F``, which is read off the second Gram matrix at no
    extra cost (above ``tol`` the second pass is no longer guaranteed to
    restore orthogonality). Exactly those frames are redone with Householder,
    so the result is never less accurate than Householder's; ``fallbacks``
    counts them. Deciding which frames to redo reads one boolean per sequence
    on the host: one synchronisation per QR.

    With ``defer = True`` (set by :meth:`_Benettin.chunk`) it reads nothing:
    the breakdown flags are or-ed into one device flag, ``broken``, that the
    caller reads once per chunk of time steps and, if set, redoes the chunk
    with ``defer = False``. While deferred, ``log|r_ii|`` of a broken frame is
    reported as 0 so that nothing downstream mistakes the throw-away values
    for an overflow.
    """

    name = "cholesky"
    syncs = True
    can_defer = True

    def __init__(self, tol: float = 0.5):
        self.tol = tol
        self.fallbacks = 0
        self.defer = False
        self.broken: torch.Tensor | None = None

    @staticmethod
    def _pass(QT: torch.Tensor):
        G = torch.matmul(QT, QT.transpose(1, 2))                     # (B, k, k)
        L, info = torch.linalg.cholesky_ex(G)
        Qn = torch.linalg.solve_triangular(L, QT, upper=False, left=True)
        return Qn, torch.diagonal(L, dim1=-2, dim2=-1), info, G

    def __call__(self, QT: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        wide = torch.promote_types(QT.dtype, torch.float64)
        Q1, d1, info1, _ = self._pass(QT.to(wide))
        Q2, d2, info2, G2 = self._pass(Q1)
        logs = d1.log() + d2.log()
        eye = torch.eye(G2.shape[-1], dtype=G2.dtype, device=G2.device)
        orth = (G2 - eye).norm(dim=(-2, -1))
        ok = (info1 == 0) & (info2 == 0) & (orth <= self.tol) & torch.isfinite(logs).all(-1)
        Q2, logs = Q2.to(QT.dtype), logs.to(QT.dtype)
        if self.defer:                                                # no host sync
            bad = ~ok.all()
            self.broken = bad if self.broken is None else self.broken | bad
            return Q2, torch.where(ok.unsqueeze(-1), logs, torch.zeros_like(logs))
        bad = torch.nonzero(~ok).flatten()                            # the one host sync
        if bad.numel():
            self.fallbacks += bad.numel()
            Qh, lh = _qr_logs(QT.index_select(0, bad))
            Q2 = Q2.index_copy(0, bad, Qh)
            logs = logs.index_copy(0, bad, lh)
        return Q2, logs

    def take_broken(self) -> bool:
        """Whether a deferred QR broke down since the last call (one host read); resets."""
        broken, self.broken = self.broken, None
        return broken is not None and bool(broken)


_QR_METHODS = {"householder": _HouseholderQR, "cholesky": _CholeskyQR}
_QRS = ("auto", "householder", "cholesky")


_FULL_RATE_FLOAT64 = {(6, 0), (7, 0), (8, 0), (9, 0), (10, 0)}
"""CUDA compute capabilities whose float64 matrix products run at half the float32 rate or
better: P100, V100, A100, H100/H200, B200. The others (T4, A10, L4, L40, the RTX cards)
run float64 at 1/32-1/64 of float32, where the float64 CholeskyQR2 would lose to
Householder."""


def _full_rate_float64(device: torch.device) -> bool:
    return torch.cuda.get_device_capability(device) in _FULL_RATE_FLOAT64


def _pick_qr(qr: str, device: torch.device) -> str:
    """``"auto"``: CholeskyQR2 on a CUDA device with fast float64, Householder elsewhere.

    On CPU LAPACK's blocked Householder costs about as much as CholeskyQR2's
    products (see ``python -m lyaplearn.maintainer.bench``), so the always-stable one is
    kept. On a GPU cuSOLVER's batched Householder is many times slower than
    the products, but :class:`_CholeskyQR` computes in float64, which only
    data-centre GPUs run at speed (:data:`_FULL_RATE_FLOAT64`).
    """
    _check_choice(qr, _QRS, "qr")
    if qr == "auto":
        fast = device.type == "cuda" and _full_rate_float64(device)
        return "cholesky" if fast else "householder"
    return qr
