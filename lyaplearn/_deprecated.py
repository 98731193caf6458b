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
``lyapunov.plot_gradient_vs_lag``      ``lyapunov.plot_gradient_vs_lyapunov_prediction``
                                       (``rnn.plot_gradient_vs_lag`` draws curves
                                       against lag, without a prediction)
``rnn.<function>(nonlinearity=...)``   ``rnn.<function>(activation=...)``, as in every
                                       other module (torch's own ``nn.RNN`` keeps
                                       ``nonlinearity=``); also in ``widgets.rnn``
``rnn.NONLINEARITIES``                 ``rnn.ACTIVATIONS``
=====================================  ============================================
"""

from __future__ import annotations

import functools
import warnings
from typing import Any, Callable


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


def _renamed_keyword(old: str, new: str, module: str) -> Callable[[Callable], Callable]:
    """A decorator: the keyword ``old=`` still works, warns (``DeprecationWarning``) and is
    passed on as ``new=``; giving both is a ``TypeError``. The signature shown is the new one.

    >>> import warnings
    >>> @_renamed_keyword("colour", "color", "demo")
    ... def paint(*, color="red"):
    ...     return color
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     paint(colour="blue"), caught[0].category.__name__
    ('blue', 'DeprecationWarning')
    """
    def decorate(f: Callable) -> Callable:
        where = f"{module}.{f.__name__}"

        @functools.wraps(f)
        def wrapper(*args, **kwargs):
            if old in kwargs:
                warnings.warn(f"{where}: {old}= is deprecated and will be removed in the next "
                              f"release; use {new}=", DeprecationWarning, stacklevel=2)
                if new in kwargs:
                    raise TypeError(f"{where}: pass {new}= only ({old}= is its deprecated "
                                    "name), not both")
                kwargs[new] = kwargs.pop(old)
            return f(*args, **kwargs)

        return wrapper

    return decorate


def _deprecated_constants(module: str, renamed: dict[str, tuple[str, Any]]) -> Callable:
    """A module ``__getattr__`` serving each old constant name ``{old: (new, value)}`` with a
    ``DeprecationWarning``.

    >>> import warnings
    >>> getattr_ = _deprecated_constants("demo", {"OLD": ("NEW", 3)})
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     getattr_("OLD"), caught[0].category.__name__
    (3, 'DeprecationWarning')
    """
    def __getattr__(name: str) -> Any:
        if name in renamed:
            new, value = renamed[name]
            warnings.warn(f"{module}.{name} is deprecated and will be removed in the next "
                          f"release; use {module}.{new}", DeprecationWarning, stacklevel=2)
            return value
        raise AttributeError(f"module {module!r} has no attribute {name!r}")

    return __getattr__
