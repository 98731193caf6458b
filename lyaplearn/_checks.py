"""Argument checks shared by the chapter modules and the engine: one rule per kind of argument.

An integer argument accepts Python and numpy integers alike (``3`` and ``np.int64(3)``) and
refuses a bool, a float and anything else with an error that names the argument and what
was expected (:func:`_check_int`). A real-number argument likewise accepts Python and numpy
integers and floats and refuses a bool, a nan, an infinity and anything else, optionally
also zero and the negatives (:func:`_check_float`). The chapter modules (:mod:`lyaplearn.scalar`,
:mod:`lyaplearn.conditioning`, :mod:`lyaplearn.rnn`, :mod:`lyaplearn.lyapunov`,
:mod:`lyaplearn.maps`) and the engine (:mod:`lyaplearn.recurrent`) all check their integers
here.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np


def _is_int(value: Any) -> bool:
    """A Python or numpy integer, not a bool.

    >>> _is_int(3), _is_int(np.int64(3)), _is_int(True), _is_int(3.0)
    (True, True, False, False)
    """
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _check_int(value: Any, name: str, minimum: int, *, none_ok: bool = False) -> int | None:
    """``value`` as an ``int`` if it is an integer (Python or numpy) ``>= minimum``.

    ``none_ok=True`` lets ``None`` through unchanged (an optional argument).

    Raises
    ------
    ValueError
        Naming ``name`` and what was expected: "a positive integer" (``minimum == 1``) or
        "an integer >= minimum" (followed by "or None" when ``none_ok``).

    Examples
    --------
    >>> _check_int(np.int64(5), "every", 1)
    5
    >>> _check_int(True, "every", 1)
    Traceback (most recent call last):
    ...
    ValueError: every must be a positive integer, got True
    """
    if value is None and none_ok:
        return None
    if not _is_int(value) or value < minimum:
        what = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise ValueError(f"{name} must be {what}{' or None' if none_ok else ''}, got {value!r}")
    return int(value)


def _check_float(value: Any, name: str, *, positive: bool = False, nonneg: bool = False,
                 none_ok: bool = False) -> float | None:
    """``value`` as a ``float`` if it is a finite real number (Python or numpy, not a bool).

    ``positive=True`` also refuses ``<= 0``, ``nonneg=True`` refuses ``< 0``; ``none_ok=True``
    lets ``None`` through unchanged (an optional argument).

    Raises
    ------
    ValueError
        Naming ``name`` and what was expected: "a finite real number", "a finite real number
        > 0" or "a finite real number >= 0" (each followed by "or None" when ``none_ok``),
        and what was given (with its type when it is not a number).

    Examples
    --------
    >>> _check_float(np.float32(0.5), "lr", positive=True), _check_float(2, "lr")
    (0.5, 2.0)
    >>> _check_float(0.0, "lr", positive=True)
    Traceback (most recent call last):
    ...
    ValueError: lr must be a finite real number > 0, got 0.0
    >>> _check_float(True, "gain")
    Traceback (most recent call last):
    ...
    ValueError: gain must be a finite real number, got True (bool)
    """
    if value is None and none_ok:
        return None
    what = ("a finite real number > 0" if positive else
            "a finite real number >= 0" if nonneg else "a finite real number")
    what += " or None" if none_ok else ""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be {what}, got {value!r} ({type(value).__name__})")
    v = float(value)
    if not math.isfinite(v) or (positive and v <= 0) or (nonneg and v < 0):
        raise ValueError(f"{name} must be {what}, got {value!r}")
    return v
