"""What chapter 3's functions accept, and their argument checks."""

from __future__ import annotations

import numpy as np

from .._activations import supported

#: Names accepted by :func:`init_weights`.
INITIALISERS = ("lecun", "xavier", "he", "orthogonal")

#: Names accepted by :func:`network_jacobians`.
ACTIVATIONS = supported("linear", "tanh")


# ---------------------------------------------------------------------------
# input checking
# ---------------------------------------------------------------------------

def _as_matrices(Ms, name: str) -> list[np.ndarray]:
    """A list of matrices, or one (L, m, n) stack, as checked 2-D float arrays."""
    items = list(Ms) if not isinstance(Ms, np.ndarray) or Ms.ndim == 3 else [Ms]
    if not items:
        raise ValueError(f"{name} must contain at least one matrix, got none")
    return [_as_matrix(M, f"{name}[{i}]") for i, M in enumerate(items)]


def _as_matrix(M, name: str = "M") -> np.ndarray:
    """Return ``M`` as a finite, non-empty 2-D float array, or raise ValueError."""
    try:
        A = np.asarray(M, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a 2-D array of real numbers ({exc})") from None
    if A.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array, got shape {A.shape}")
    if A.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {A.shape}")
    if not np.all(np.isfinite(A)):
        raise ValueError(f"{name} must contain only finite numbers, got shape {A.shape} "
                         "with inf or nan entries")
    return A


def _as_square_stack(matrices, name: str = "matrices") -> list[np.ndarray]:
    """Check a non-empty sequence of square matrices of one size."""
    if isinstance(matrices, np.ndarray) and matrices.ndim == 3:
        mats = [matrices[i] for i in range(matrices.shape[0])]
    else:
        try:
            mats = list(matrices)
        except TypeError:
            raise ValueError(f"{name} must be a sequence of square matrices, "
                             f"got {type(matrices).__name__}") from None
    if not mats:
        raise ValueError(f"{name} must contain at least one matrix, got none")
    out = []
    for i, M in enumerate(mats):
        A = _as_matrix(M, f"{name}[{i}]")
        if A.shape[0] != A.shape[1]:
            raise ValueError(f"{name}[{i}] must be a square matrix, got shape {A.shape}")
        if out and A.shape != out[0].shape:
            raise ValueError(f"{name}[{i}] must have the shape of {name}[0], "
                             f"{out[0].shape}, got shape {A.shape}")
        out.append(A)
    return out


def _check_init(kind: str) -> str:
    if kind not in INITIALISERS:
        raise ValueError(f"kind must be one of {INITIALISERS}, got {kind!r}")
    return kind


def _check_activation(activation: str) -> str:
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
    return activation


def _rng(rng) -> np.random.Generator:
    if rng is None or isinstance(rng, (int, np.integer)):
        return np.random.default_rng(rng)
    if isinstance(rng, np.random.Generator):
        return rng
    raise ValueError(f"rng must be a numpy Generator, an integer seed or None, "
                     f"got {type(rng).__name__}")
