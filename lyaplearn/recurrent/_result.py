"""The result object of every spectrum computation (chapter 6)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
import torch

from ..lyapunov import kaplan_yorke_dimension, spectrum_features
from ._checks import _check_choice

LN2 = math.log(2.0)
_UNITS = ("nats", "bits")


@dataclass
class SpectrumResult:
    """Lyapunov spectra of a batch of driven trajectories.

    Attributes
    ----------
    exponents
        Tensor (B, k): one spectrum per input sequence, in :attr:`units` per
        step, sorted descending (unless computed with ``sort=False``).
    units
        ``"nats"`` or ``"bits"``.
    steps
        Number of time steps averaged over (after the warm-ups).
    convention
        ``"full"`` or ``"hidden"``: which state (see the module docstring).
    history
        ``None`` or a tensor (n, B, k): the running estimate after each
        reorthonormalisation, in the same units, unsorted.
    history_steps
        ``None`` or a tensor (n,): the step count of each history entry.
    qr
        The QR method used, ``"householder"`` or ``"cholesky"``.
    qr_fallbacks
        With ``qr="cholesky"``: how many frames (one per sequence and QR)
        were redone with Householder because CholeskyQR2 broke down or lost
        orthogonality.
    frame
        ``"forward"`` (the frame was updated as ``J Q``, the exponents of
        the state map) or ``"transpose"`` (``J^T Q``, the convention of the
        paper's public code; see the module docstring).
    unresolved
        ``None`` or a tensor (B,) of integers: how many exponents of each
        sequence sat below the resolution of the arithmetic in most QRs
        (``r_ii`` smaller than about ``k * eps`` times the largest). They are
        rounding noise, not rates: the product of Jacobians is numerically
        rank-deficient (dead ReLU units, zero weight rows) or stretched too far
        between re-orthonormalisations. When sorted, they are the last ones.
    """

    exponents: torch.Tensor
    units: str = "nats"
    steps: int = 0
    convention: str = "full"
    history: torch.Tensor | None = None
    history_steps: torch.Tensor | None = None
    seconds: float = field(default=0.0, repr=False)
    qr: str = field(default="householder", repr=False)
    qr_fallbacks: int = field(default=0, repr=False)
    frame: str = "forward"
    unresolved: torch.Tensor | None = field(default=None, repr=False)

    def numpy(self) -> np.ndarray:
        """The exponents as a float64 numpy array (B, k)."""
        return self.exponents.detach().to("cpu", torch.float64).numpy()

    @property
    def mean(self) -> np.ndarray:
        """Batch mean of the spectra, shape (k,)."""
        return self.numpy().mean(axis=0)

    @property
    def stderr(self) -> np.ndarray:
        """Standard error of the batch mean, shape (k,) (NaN for one sequence)."""
        lam = self.numpy()
        if lam.shape[0] < 2:
            return np.full(lam.shape[1], np.nan)
        with np.errstate(invalid="ignore"):
            return lam.std(axis=0, ddof=1) / math.sqrt(lam.shape[0])

    @property
    def features(self) -> dict:
        """Per-sequence max, mean and variance of the spectrum (arrays (B,))."""
        return spectrum_features(self.numpy())

    @property
    def kaplan_yorke(self) -> np.ndarray:
        """Per-sequence Kaplan–Yorke dimension (array (B,)); meaningful for full spectra."""
        return np.asarray(kaplan_yorke_dimension(self.numpy()))

    def to(self, units: str) -> "SpectrumResult":
        """The same result in other units (``"nats"`` or ``"bits"``)."""
        _check_choice(units, _UNITS, "units")
        if units == self.units:
            return self
        f = 1.0 / LN2 if units == "bits" else LN2
        hist = None if self.history is None else self.history * f
        return replace(self, exponents=self.exponents * f, units=units, history=hist)
