"""Activation functions and their derivatives: the one source the chapter modules draw on.

``ACTIVATIONS`` names every activation the library knows; each chapter module exposes the
subset it supports with :func:`supported` (chapter 1's scalar tower, chapter 2's networks,
chapter 3's conditioning, chapter 4's RNNs). :func:`activate` and
:func:`activation_derivative` compute them elementwise for chapters 2 and 4; chapter 1
(:mod:`lyaplearn.scalar`) keeps forms written to stay accurate far in the tails.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

#: Every activation the library knows.
ACTIVATIONS: tuple[str, ...] = ("tanh", "sigmoid", "relu", "linear")


# ---------------------------------------------------------------------------
# activations
# ---------------------------------------------------------------------------

def _check_activation_name(name: object, where: str = "activation") -> str:
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise ValueError(f"{where} must be one of {ACTIVATIONS}, got {name!r}")
    return name


def activate(z: ArrayLike, name: str) -> np.ndarray:
    """Apply the activation ``name`` elementwise.

    Parameters
    ----------
    z
        Pre-activations.
    name
        One of ``ACTIVATIONS``.
    """
    name = _check_activation_name(name, "name")
    z = np.asarray(z, dtype=float)
    if name == "tanh":
        return np.tanh(z)
    if name == "sigmoid":
        # numerically stable logistic function
        return 0.5 * (1.0 + np.tanh(0.5 * z))
    if name == "relu":
        return np.maximum(z, 0.0)
    return z.copy()


def activation_derivative(z: ArrayLike, name: str) -> np.ndarray:
    """Elementwise derivative :math:`\\sigma'(z)` of the activation ``name``.

    For ``"relu"`` the derivative at exactly ``0`` is taken as ``0``, as in
    torch.
    """
    name = _check_activation_name(name, "name")
    z = np.asarray(z, dtype=float)
    if name == "tanh":
        return 1.0 - np.tanh(z) ** 2
    if name == "sigmoid":
        s = 0.5 * (1.0 + np.tanh(0.5 * z))
        return s * (1.0 - s)
    if name == "relu":
        return (z > 0).astype(float)
    return np.ones_like(z)


def supported(*names: str) -> tuple[str, ...]:
    """The activations ``names``, in that order, each checked to be one of ``ACTIVATIONS``.

    >>> supported("linear", "tanh")
    ('linear', 'tanh')
    """
    unknown = [n for n in names if n not in ACTIVATIONS]
    if unknown:
        raise ValueError(f"unknown activations {unknown}; the library knows {ACTIVATIONS}")
    return tuple(names)
