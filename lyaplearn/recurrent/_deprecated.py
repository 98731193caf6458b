"""The engine's old names, kept for one release: each works and warns (chapter 6).

Since the engine gave each idea one word (issue 26):

==============================================  ============================================
old                                             new
==============================================  ============================================
``jacobian(..., convention="hidden")``           ``jacobian(..., state="hidden")``, as in
                                                ``lyapunov_spectrum(state=...)``
``jacobian(rnn, x_t, state=(h, c))``             ``jacobian(rnn, x_t, h0=(h, c))``: the
                                                initial state is ``h0`` everywhere
``lyapunov_spectrum_step(step, state0=s, ...)``  ``lyapunov_spectrum_step(step, h0=s, ...)``
``SpectrumResult.convention``                   ``SpectrumResult.state``
``SpectrumResult.features["max"]`` (property)   ``SpectrumResult.features()["max"]``, a
                                                method as on ``SpectrumEnsemble``
``SpectrumResult.kaplan_yorke``, per sequence   next release: the dimension of the
                                                batch-mean spectrum, a float as on
                                                ``SpectrumEnsemble``; per sequence:
                                                ``kaplan_yorke_dimension(res.numpy())``
==============================================  ============================================

Renamed arguments and attributes raise a ``DeprecationWarning``; the two results whose
behaviour changes, ``features`` as a mapping and ``kaplan_yorke``, a ``FutureWarning``,
which Python shows by default.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any, Callable, Iterator

_UNSET: Any = type("_Unset", (), {"__repr__": lambda self: "<unset>", "__bool__":
                                  lambda self: False})()
"""Default of a deprecated keyword: tells 'not given' from any value, ``None`` included."""


def _renamed(old: str, new: str, where: str, stacklevel: int = 3) -> None:
    warnings.warn(f"{where}: {old} is deprecated and will be removed in the next release; "
                  f"use {new}", DeprecationWarning, stacklevel=stacklevel)


def _alias(new_value: Any, old_value: Any, old: str, new: str, where: str,
           default: Any = None) -> Any:
    """The value of a renamed argument given under either name (the old one warns)."""
    if old_value is _UNSET:
        return new_value
    _renamed(f"{old}=", f"{new}=", where, stacklevel=4)
    if new_value is not default and new_value is not _UNSET:
        raise TypeError(f"{where}: pass {new}= only ({old}= is its deprecated name), not both")
    return old_value


class _FeaturesAccess(Mapping):
    """``SpectrumResult.features``: call it (the new method), or read it as the old dict.

    ``result.features()`` returns the dict; reading ``result.features`` as a mapping
    (``result.features["max"]``, ``dict(result.features)``, printing it) gives the same
    dict with a ``FutureWarning``: it is a method now, as on
    :class:`lyaplearn.lyapunov.SpectrumEnsemble`.
    """

    def __init__(self, compute: Callable[[], dict]):
        self._compute = compute

    def __call__(self) -> dict:
        return self._compute()

    def _old(self) -> dict:
        warnings.warn("SpectrumResult.features is a method now, as on SpectrumEnsemble: "
                      "call result.features(); reading it as a dict will stop working in the "
                      "next release", FutureWarning, stacklevel=3)
        return self._compute()

    def __getitem__(self, key: str) -> Any:
        return self._old()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._old())

    def __len__(self) -> int:
        return len(self._old())

    def __repr__(self) -> str:
        return repr(self._old())
