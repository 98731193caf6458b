"""The result object of every spectrum computation (chapter 6).

:class:`SpectrumResult` has the members of :class:`lyaplearn.lyapunov.SpectrumEnsemble`,
chapter 5's result, with the same meanings (the exponents here are a tensor, kept on the
model's device until read), and the engine's record of how they were computed. Both classes
read their summaries (mean, standard error, largest, ...) from one set of functions in
``lyapunov/_features.py``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace

import numpy as np
import torch

from .._constants import LN2
from ..lyapunov import entropy, kaplan_yorke_dimension, spectrum_features
from ..lyapunov._features import _batch_mean, _batch_stderr, _largest, _mean_exponent, _variance
from ._checks import _check_choice
from ._deprecated import _FeaturesAccess, _renamed

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
    state
        ``"full"`` or ``"hidden"``: which state (see the package docstring;
        ``convention`` is its deprecated name).
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
        between re-orthonormalisations. They are very negative, so sorting
        usually puts them last.
    """

    exponents: torch.Tensor
    units: str = "nats"
    steps: int = 0
    state: str = "full"
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

    # each summary is defined once, in lyapunov/_features.py, shared with SpectrumEnsemble

    @property
    def mean(self) -> np.ndarray:
        """Batch mean of the spectra, shape (k,)."""
        return _batch_mean(self.numpy())

    @property
    def stderr(self) -> np.ndarray:
        """Standard error of the batch mean, shape (k,) (NaN for one sequence)."""
        return _batch_stderr(self.numpy())

    @property
    def largest(self) -> float:
        """Largest exponent of the batch-mean spectrum (its maximum, sorted or not)."""
        return _largest(self.mean)

    @property
    def mean_exponent(self) -> float:
        """Average of the batch-mean spectrum (volume contraction rate per dimension)."""
        return _mean_exponent(self.mean)

    @property
    def variance(self) -> float:
        """Variance of the batch-mean spectrum over its indices."""
        return _variance(self.mean)

    @property
    def entropy(self) -> float:
        """Sum of the positive exponents of the batch-mean spectrum (KS-entropy bound)."""
        return entropy(self.mean)

    @property
    def features(self) -> _FeaturesAccess:
        """``features()``: per-sequence max, mean and variance of the spectrum (arrays (B,)).

        A method, as on :class:`~lyaplearn.lyapunov.SpectrumEnsemble`. Read as a
        mapping (``result.features["max"]``, the old property) it gives the same dict
        with a ``FutureWarning``.
        """
        return _FeaturesAccess(lambda: spectrum_features(self.numpy()))

    @property
    def kaplan_yorke(self) -> np.ndarray:
        """Per-sequence Kaplan–Yorke dimension (array (B,)), with a ``FutureWarning``.

        In the next release this becomes the dimension of the batch-mean spectrum, a
        float, as :attr:`SpectrumEnsemble.kaplan_yorke
        <lyaplearn.lyapunov.SpectrumEnsemble.kaplan_yorke>` is (like :attr:`largest`,
        :attr:`variance` and :attr:`entropy`). For that value now:
        ``kaplan_yorke_dimension(result.mean)``; for the per-sequence values:
        ``kaplan_yorke_dimension(result.numpy())`` (from :mod:`lyaplearn.lyapunov`).
        Meaningful for full spectra.
        """
        warnings.warn(
            "SpectrumResult.kaplan_yorke will become the Kaplan-Yorke dimension of the "
            "batch-mean spectrum, a float, as on SpectrumEnsemble; for the per-sequence "
            "values it returns now use lyaplearn.lyapunov.kaplan_yorke_dimension("
            "result.numpy()), for the future value kaplan_yorke_dimension(result.mean)",
            FutureWarning, stacklevel=2)
        return np.asarray(kaplan_yorke_dimension(self.numpy()))

    @property
    def convention(self) -> str:
        """Deprecated name of :attr:`state`."""
        _renamed("SpectrumResult.convention", "SpectrumResult.state", "lyaplearn.recurrent")
        return self.state

    def to(self, units: str) -> "SpectrumResult":
        """The same result in other units (``"nats"`` or ``"bits"``)."""
        _check_choice(units, _UNITS, "units")
        if units == self.units:
            return self
        f = 1.0 / LN2 if units == "bits" else LN2
        hist = None if self.history is None else self.history * f
        return replace(self, exponents=self.exponents * f, units=units, history=hist)
