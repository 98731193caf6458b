"""Argument checks shared by the chapter modules and the engine: one rule per kind of argument.

An integer argument accepts Python and numpy integers alike (``3`` and ``np.int64(3)``) and
refuses a bool, a float and anything else with an error that names the argument and what
was expected (:func:`_check_int`). The chapter modules (:mod:`lyaplearn.scalar`,
:mod:`lyaplearn.conditioning`, :mod:`lyaplearn.rnn`, :mod:`lyaplearn.lyapunov`,
:mod:`lyaplearn.maps`) and the engine (:mod:`lyaplearn.recurrent`) all check their integers
here.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def _is_int(value: Any) -> bool:
    """A Python or numpy integer, not a bool.

    >>> _is_int(3), _is_int(np.int64(3)), _is_int(True), _is_int(3.0)
    (True, True, False, False)
    """
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _check_int(value: Any, name: str, minimum: int) -> int:
    """``value`` as an ``int`` if it is an integer (Python or numpy) ``>= minimum``.

    Raises
    ------
    ValueError
        Naming ``name`` and what was expected: "a positive integer" (``minimum == 1``) or
        "an integer >= minimum".

    Examples
    --------
    >>> _check_int(np.int64(5), "every", 1)
    5
    >>> _check_int(True, "every", 1)
    Traceback (most recent call last):
    ...
    ValueError: every must be a positive integer, got True
    """
    if not _is_int(value) or value < minimum:
        what = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise ValueError(f"{name} must be {what}, got {value!r}")
    return int(value)
