"""Old names of the chapter modules, kept for one release: each still works and warns.

Since each idea got one name across the library (issue 26):

=====================================  ============================================
old                                    new
=====================================  ============================================
``scalar.regime``                      ``scalar.gd_regime`` (``lyapunov.regime`` names
                                       the regime of :math:`\\lambda_{\\max}`)
``scalar.activation_value``            ``scalar.tower_activation``
``scalar.activation_derivative``       ``scalar.tower_derivative`` (the tower's forms,
                                       accurate in the tails; chapter 2's
                                       ``jacobians.activation_derivative`` is the other)
``rnn.gradient_norms_vs_lag``          ``rnn.bptt_gradient_norms`` (``lyapunov.gradient_
                                       norms_vs_lag`` measures them by autograd)
=====================================  ============================================
"""

from __future__ import annotations

import functools
import warnings
from typing import Callable


def _deprecated_alias(new: Callable, old: str, module: str) -> Callable:
    """A function called ``old`` that warns (``DeprecationWarning``) and calls ``new``.

    >>> import warnings
    >>> twice = _deprecated_alias(lambda x: 2 * x, "double", "demo")
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     twice(3), caught[0].category.__name__
    (6, 'DeprecationWarning')
    """
    new_name = getattr(new, "__name__", "the new name")

    @functools.wraps(new)
    def alias(*args, **kwargs):
        warnings.warn(f"{module}.{old} is deprecated and will be removed in the next release; "
                      f"use {module}.{new_name}", DeprecationWarning, stacklevel=2)
        return new(*args, **kwargs)

    alias.__name__ = alias.__qualname__ = old
    alias.__doc__ = (f"Deprecated alias of :func:`{new_name}`: warns, then calls it; "
                     f"removed in the next release.")
    del alias.__wrapped__
    return alias
