"""Recurrent matrices: spectral radius, initialisations, norms of powers (chapter 4)."""

from __future__ import annotations

import math

import numpy as np

from .._checks import _check_float, _check_int

#: Kinds of recurrent matrix made by :func:`init_recurrent`.
KINDS = ("normal", "nonnormal", "gaussian")


# ---------------------------------------------------------------------------
# validation helpers
# ---------------------------------------------------------------------------

def _square(W, name: str = "W") -> np.ndarray:
    W = np.asarray(W, dtype=float)
    if W.ndim != 2 or W.shape[0] != W.shape[1] or W.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty square matrix, got shape {W.shape}")
    if not np.all(np.isfinite(W)):
        raise ValueError(f"{name} must contain only finite numbers")
    return W



# ---------------------------------------------------------------------------
# spectra and powers
# ---------------------------------------------------------------------------

def spectral_radius(W) -> float:
    """Largest modulus of an eigenvalue of a square matrix, ``rho(W) = max |lambda_i|``.

    Raises
    ------
    ValueError
        If ``W`` is not a non-empty square matrix of finite numbers.

    Examples
    --------
    A diagonal matrix has its entries as eigenvalues; ``2`` times a rotation
    has eigenvalues of modulus 2 although none of its entries exceeds 2:

    >>> import numpy as np
    >>> from lyaplearn.rnn import spectral_radius
    >>> round(spectral_radius(np.diag([0.5, -3.0, 1.0])), 12)
    3.0
    >>> round(spectral_radius([[0.0, -2.0], [2.0, 0.0]]), 12)
    2.0
    """
    W = _square(W)
    return float(np.max(np.abs(np.linalg.eigvals(W))))


def _random_orthogonal(n: int, rng: np.random.Generator) -> np.ndarray:
    """Haar-distributed orthogonal matrix (QR of a Gaussian matrix, signs fixed)."""
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


def _block_eigen_form(n: int, rho: float, rng: np.random.Generator):
    """Block-diagonal real matrix with 2x2 rotation-scaling blocks.

    The blocks have eigenvalues r_k exp(+-i theta_k); the moduli r_k lie in
    [0, rho] with the first equal to rho, so the spectral radius is exactly rho.
    Returns the matrix and a mask of the entries strictly above the blocks.
    """
    D = np.zeros((n, n))
    above = np.triu(np.ones((n, n), dtype=bool), 1)
    i = 0
    first = True
    while i < n:
        r = rho if first else rho * math.sqrt(rng.uniform())
        first = False
        if i + 1 < n:
            theta = rng.uniform(0.0, math.pi)
            c, s = math.cos(theta), math.sin(theta)
            D[i:i + 2, i:i + 2] = r * np.array([[c, -s], [s, c]])
            above[i, i + 1] = False
            i += 2
        else:
            D[i, i] = r if rng.uniform() < 0.5 else -r
            i += 1
    return D, above


def init_recurrent(n: int, rho: float, kind: str = "normal",
                   rng: np.random.Generator | int | None = None, *,
                   coupling: float = 2.0) -> np.ndarray:
    """A random n x n recurrent matrix whose spectral radius is exactly ``rho``.

    Parameters
    ----------
    n
        Size of the hidden state.
    rho
        Spectral radius, ``rho >= 0``.
    kind
        ``"normal"``: ``W = Q D Q^T`` with ``Q`` a random orthogonal matrix and
        ``D`` block diagonal (2x2 rotation-scaling blocks with moduli in
        ``[0, rho]``, the largest equal to ``rho``). ``W`` is a normal matrix, so
        ``||W^t|| = rho^t`` for every ``t``.

        ``"nonnormal"``: ``W = Q (D + N) Q^T`` (a real Schur form) with the same
        kind of ``D`` and a strictly block-upper-triangular coupling ``N`` with
        Gaussian entries of standard deviation ``coupling / sqrt(n)``. ``N`` does
        not change the eigenvalues, but it makes ``||W^t||`` grow transiently
        before the decay at rate ``rho`` takes over.

        ``"gaussian"``: an i.i.d. Gaussian matrix rescaled by ``rho / rho(G)``,
        the common initialisation (mildly non-normal).
    rng
        A :class:`numpy.random.Generator` or an integer seed.
    coupling
        Strength of the non-normal coupling (``kind="nonnormal"`` only), ``>= 0``.

    Returns
    -------
    numpy.ndarray
        The matrix, shape ``(n, n)``.
    """
    n = _check_int(n, "n", 1)
    rho = _check_float(rho, "rho", nonneg=True)
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    coupling = _check_float(coupling, "coupling", nonneg=True)
    rng = np.random.default_rng(rng)
    rho = float(rho)
    if kind == "gaussian":
        G = rng.standard_normal((n, n)) / math.sqrt(n)
        return G * (rho / spectral_radius(G))
    D, above = _block_eigen_form(n, rho, rng)
    if kind == "nonnormal":
        D = D + above * rng.standard_normal((n, n)) * (coupling / math.sqrt(n))
    Q = _random_orthogonal(n, rng)
    return Q @ D @ Q.T


def _log_power_norms(W: np.ndarray, steps: int) -> np.ndarray:
    """log ||W^t||_2 for t = 0..steps, renormalising to avoid over/underflow."""
    out = np.zeros(steps + 1)
    P = np.eye(W.shape[0])
    log_scale = 0.0
    for t in range(1, steps + 1):
        P = W @ P
        s = np.linalg.norm(P, 2)
        if s == 0.0:
            out[t:] = -np.inf
            break
        log_scale += math.log(s)
        P = P / s
        out[t] = log_scale
    return out


def power_norms(W, steps: int) -> np.ndarray:
    """Spectral norms ``||W^t||_2`` for ``t = 0, 1, ..., steps`` (``||W^0|| = 1``)."""
    W = _square(W)
    steps = _check_int(steps, "steps", 0)
    return np.exp(_log_power_norms(W, steps))


def gelfand_estimates(W, steps: int) -> np.ndarray:
    """Gelfand's estimates ``||W^t||_2^(1/t)`` for ``t = 1, ..., steps``.

    They converge to the spectral radius as ``t`` grows (Gelfand's formula).
    """
    W = _square(W)
    steps = _check_int(steps, "steps", 1)
    logs = _log_power_norms(W, steps)[1:]
    return np.exp(logs / np.arange(1, steps + 1))
