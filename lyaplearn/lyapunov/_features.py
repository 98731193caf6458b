"""What a Lyapunov spectrum tells: Kaplan-Yorke dimension, entropy, features (chapter 5).

The summaries of a batch of spectra (its mean, standard error, largest exponent, ...) are
defined once, at the end of this file: chapter 5's :class:`~lyaplearn.lyapunov.SpectrumEnsemble`
and the engine's :class:`~lyaplearn.recurrent.SpectrumResult` both read theirs from here.
"""

from __future__ import annotations

import math

import matplotlib.patches  # noqa: F401  (mpl.patches.Rectangle)
import numpy as np

from .._constants import LN2


def _as_spectrum(exponents, name: str = "exponents") -> np.ndarray:
    """Validate a spectrum (or a stack of spectra) and return a float array."""
    arr = np.asarray(exponents, dtype=float)
    if arr.ndim == 0 or arr.shape[-1] == 0:
        raise ValueError(
            f"{name} must have at least one exponent along its last axis, got shape {arr.shape}")
    bad = np.isnan(arr) | np.isposinf(arr)
    if bad.any():
        idx = tuple(int(i) for i in np.unravel_index(int(np.argmax(bad)), arr.shape))
        raise ValueError(f"{name} must not contain NaN or +inf (-inf is allowed), but "
                         f"{name}[{', '.join(map(str, idx))}] = {arr[idx]}")
    return arr


def to_bits(x):
    """Convert rates from nats to bits (divide by ln 2).

    The paper's code reports exponents with ``log2``; the book uses natural
    logarithms. Works on scalars and arrays.
    """
    return np.asarray(x, dtype=float) / LN2 if np.ndim(x) else float(x) / LN2


def kaplan_yorke_dimension(exponents):
    """Kaplan–Yorke (Lyapunov) dimension of a spectrum.

    With the exponents sorted descending, :math:`\\lambda_1 \\ge \\lambda_2 \\ge \\dots`,
    let :math:`j` be the largest index whose partial sum
    :math:`S_j = \\sum_{i \\le j} \\lambda_i` is non-negative. Then

    .. math:: D_{KY} = j + \\frac{S_j}{|\\lambda_{j+1}|}.

    By convention :math:`D_{KY} = 0` if :math:`\\lambda_1 < 0`, and
    :math:`D_{KY} = N` if the whole sum is non-negative (the formula has no
    :math:`\\lambda_{N+1}`). Entries equal to ``-inf`` are allowed (e.g. a
    singular Jacobian); if :math:`\\lambda_{j+1} = -\\infty` the fraction is 0.

    Parameters
    ----------
    exponents
        Array-like of shape ``(k,)`` or ``(..., k)``. The exponents are sorted
        descending along the last axis before use.

    Returns
    -------
    float or numpy.ndarray
        A float for one spectrum, an array over the leading axes otherwise.
    """
    lam = -np.sort(-_as_spectrum(exponents), axis=-1)  # descending, whatever came in
    n = lam.shape[-1]
    with np.errstate(invalid="ignore"):
        csum = np.cumsum(lam, axis=-1)
    nonneg = csum >= 0
    # j = number of leading partial sums that are >= 0 (the partial sums of a
    # descending sequence are unimodal, so the non-negative ones come first).
    j = np.where(nonneg.any(axis=-1),
                 n - np.argmax(nonneg[..., ::-1], axis=-1), 0)
    j = np.asarray(j)
    full = j >= n
    jc = np.clip(j, 1, n - 1) if n > 1 else np.zeros_like(j)
    s_j = np.take_along_axis(csum, (jc - 1)[..., None], axis=-1)[..., 0] if n > 1 else csum[..., 0]
    nxt = np.take_along_axis(lam, jc[..., None], axis=-1)[..., 0] if n > 1 else lam[..., 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(np.isinf(nxt), 0.0, s_j / np.abs(nxt))
    dim = np.where(j == 0, 0.0, np.where(full, float(n), j + frac))
    return float(dim) if dim.ndim == 0 else dim


def entropy(exponents):
    """Sum of the positive exponents (nats per step).

    Pesin's formula: for a smooth ergodic system with an absolutely continuous
    invariant measure this sum *is* the Kolmogorov–Sinai entropy; in general it
    is an upper bound (Ruelle's inequality). Shape ``(k,)`` gives a float,
    ``(..., k)`` an array over the leading axes.
    """
    lam = _as_spectrum(exponents)
    out = np.where(lam > 0, lam, 0.0).sum(axis=-1)
    return float(out) if out.ndim == 0 else out


def spectrum_features(exponents) -> dict:
    """The three summary features of a spectrum used by the paper.

    Returns a dict with ``"max"`` (largest exponent: the fastest growth rate,
    i.e. exploding or vanishing of the dominant direction), ``"mean"`` (average
    exponent: the rate at which phase-space volume contracts per dimension) and
    ``"variance"`` (spread of the spectrum: how unevenly directions are
    stretched, a measure of conditioning). Each value is a float for one
    spectrum and an array over the leading axes for a batch. Entries equal to
    ``-inf`` propagate into ``mean`` and ``variance``.
    """
    lam = _as_spectrum(exponents)
    with np.errstate(invalid="ignore"):
        out = {
            "max": lam.max(axis=-1),
            "mean": lam.mean(axis=-1),
            "variance": lam.var(axis=-1),
        }
    return {key: (float(v) if np.ndim(v) == 0 else v) for key, v in out.items()}


# ---------------------------------------------------------------------------
# summaries of a batch of spectra (B, k): the one definition behind the members of
# SpectrumEnsemble (chapter 5) and of the engine's SpectrumResult (chapter 6)
# ---------------------------------------------------------------------------

def _batch_mean(spectra: np.ndarray) -> np.ndarray:
    """The batch-mean spectrum ``(k,)`` of spectra ``(B, k)``, entry by entry (unsorted)."""
    return spectra.mean(axis=0)


def _batch_stderr(spectra: np.ndarray) -> np.ndarray:
    """``std(ddof=1) / sqrt(B)`` over the batch, ``(k,)``; NaN for a batch of one."""
    b = spectra.shape[0]
    if b < 2:
        return np.full(spectra.shape[1], np.nan)
    with np.errstate(invalid="ignore"):         # a column with -inf has no spread
        return spectra.std(axis=0, ddof=1) / math.sqrt(b)


def _largest(mean: np.ndarray) -> float:
    """The largest entry of a mean spectrum, sorted or not.

    >>> _largest(np.array([-1.0, 0.5, -2.0]))
    0.5
    """
    return float(mean.max())


def _mean_exponent(mean: np.ndarray) -> float:
    """The average entry of a mean spectrum (volume contraction rate per dimension)."""
    return float(mean.mean())


def _variance(mean: np.ndarray) -> float:
    """The variance of a mean spectrum over its indices."""
    return float(mean.var())
