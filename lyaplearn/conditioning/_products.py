"""Singular values and condition numbers of long matrix products (chapter 3)."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ._checks import _as_matrix, _as_square_stack

# Singular values below this fraction of the largest are taken from the
# triangular (QR) step instead of the SVD of the explicit product.
_REL_THRESHOLD = 1e-6

_LN10 = np.log(10.0)


# ---------------------------------------------------------------------------
# one matrix
# ---------------------------------------------------------------------------

def singular_values(M) -> np.ndarray:
    """Singular values of a matrix, largest first.

    Parameters
    ----------
    M : array_like, shape (m, n)
        A finite, non-empty real matrix.

    Returns
    -------
    numpy.ndarray, shape (min(m, n),)
    """
    A = _as_matrix(M)
    return np.linalg.svd(A, compute_uv=False)


def condition_number(M) -> float:
    """Condition number ``sigma_max / sigma_min`` in the spectral norm.

    For a rectangular matrix the smallest of its ``min(m, n)`` singular values
    is used. A matrix with ``sigma_min == 0`` (singular, or the zero matrix) has
    condition number ``inf``.

    Parameters
    ----------
    M : array_like, shape (m, n)

    Returns
    -------
    float

    Examples
    --------
    The singular values of a diagonal matrix are the moduli of its entries,
    and an orthogonal matrix (here a rotation) is perfectly conditioned:

    >>> import numpy as np
    >>> from lyaplearn.conditioning import condition_number, singular_values
    >>> np.round(singular_values(np.diag([3.0, -2.0])), 12).tolist()
    [3.0, 2.0]
    >>> round(condition_number(np.diag([3.0, -2.0])), 12)
    1.5
    >>> c, s = np.cos(0.3), np.sin(0.3)
    >>> round(condition_number([[c, -s], [s, c]]), 12)
    1.0
    """
    s = singular_values(M)
    if s[-1] == 0.0:
        return float("inf")
    return float(s[0] / s[-1])


# ---------------------------------------------------------------------------
# products of matrices
# ---------------------------------------------------------------------------

def explicit_product(matrices) -> np.ndarray:
    """The product ``matrices[-1] @ ... @ matrices[0]`` formed explicitly.

    ``matrices`` are listed in the order they act on a vector (layer 1 first).
    Fine for shallow products; for deep ones it overflows or underflows and its
    small singular values drown in rounding error -- use
    :func:`product_log_singular_values` instead.
    """
    mats = _as_square_stack(matrices)
    P = mats[0].copy()
    for A in mats[1:]:
        P = A @ P
    return P


def _scaled_product(mats: Sequence[np.ndarray]) -> tuple[np.ndarray, float]:
    """Return ``(P, log_scale)`` with ``product = P * exp(log_scale)``.

    After every multiplication the running product is rescaled by a power of
    two (exact in floating point) so that its largest entry lies in [0.5, 1).
    ``P`` is all zeros (and ``log_scale`` 0) if the product is exactly zero.
    """
    P = mats[0].copy()
    log_scale = 0.0
    for k in range(len(mats)):
        if k > 0:
            P = mats[k] @ P
        m = np.max(np.abs(P))
        if m == 0.0:
            return np.zeros_like(P), 0.0
        e = int(np.frexp(m)[1])
        P = np.ldexp(P, -e)
        log_scale += e * np.log(2.0)
    return P, log_scale


def _log_sv_peel(mats: list[np.ndarray]) -> np.ndarray:
    """Log singular values of ``mats[-1] @ ... @ mats[0]``, peeled off from the top."""
    n = mats[0].shape[0]
    out: list[np.ndarray] = []
    while mats:
        m = mats[0].shape[0]
        P, log_scale = _scaled_product(mats)
        if not np.any(P):
            out.append(np.full(m, -np.inf))
            break
        U, s, Vt = np.linalg.svd(P)
        # singular values above _REL_THRESHOLD * s[0] carry a relative error of
        # about eps / _REL_THRESHOLD from the SVD of the explicit product: keep them
        h = int(np.sum(s >= _REL_THRESHOLD * s[0]))
        out.append(np.log(s[:h]) + log_scale)
        if h == m:
            break
        # The rest: change basis with the right singular vectors V and push it
        # through the factors with QR, M_k Q_{k-1} = Q_k R_k. Then
        # M_L ... M_1 V = Q_L R_L ... R_1, a product of upper-triangular
        # matrices, whose trailing diagonal block is the product of the
        # trailing blocks of the R_k. Because V already separates the large
        # singular values (the off-diagonal block is ~eps * s[0] while the
        # leading block is >= 1e-6 * s[0]), the small singular values of the
        # product are those of that block, to a relative error of about
        # eps / _REL_THRESHOLD. Repeat on it.
        Q = Vt.T
        tail = []
        for A in mats:
            Q, R = np.linalg.qr(A @ Q)
            tail.append(R[h:, h:])
        mats = tail
    result = np.concatenate(out)
    assert result.shape == (n,)
    return result


def product_log_singular_values(matrices) -> np.ndarray:
    """Natural logarithms of the singular values of a product of square matrices.

    Computes ``log sigma_i(M_L ... M_1)``, largest first, where
    ``matrices = [M_1, ..., M_L]`` in the order they act on a vector, without
    overflow and without losing the small singular values:

    1. the product is accumulated with exact power-of-two rescaling and its SVD
       gives every singular value within a factor ``1e6`` of the largest
       (relative error about ``1e-16 / 1e-6``);
    2. the remaining ones are the singular values of a smaller product of
       triangular blocks, obtained by pushing the right singular vectors
       through the factors with QR decompositions; step 1 is applied to that
       product again, until every singular value has been found.

    This works however deep the product: products of orthogonal matrices give
    zeros (to rounding); ``log sigma_n`` agrees with ``-log sigma_1`` of the
    product of inverses and the sum with the sum of ``log |det M_k|``, even
    when ``exp`` of the answer is far outside the floating-point range. Like
    any computation with rounded factors it answers for factors perturbed by
    relative errors near machine precision; that matters only where the
    product itself is sensitive to such perturbations, e.g. a diagonal
    product whose running products cross over (a coordinate that is tiny for
    hundreds of layers and then overtakes another). An exactly zero singular
    value is returned as ``-inf``.

    Parameters
    ----------
    matrices : sequence of array_like, each (n, n), or array of shape (L, n, n)

    Returns
    -------
    numpy.ndarray, shape (n,)
        ``log sigma_1 >= ... >= log sigma_n``.
    """
    mats = _as_square_stack(matrices)
    return np.sort(_log_sv_peel(mats))[::-1]
