"""Success rates over an ensemble of seeds, with Wilson score intervals (chapter 10).

A success rate from ``n`` independent runs is a binomial proportion; with the handful of
seeds a chapter can afford, the normal-approximation interval ``p +- z sqrt(p(1-p)/n)``
collapses to a point at 0 or 1 successes out of ``n``. Wilson's interval (1927) does not:
it inverts the score test, and stays inside ``[0, 1]`` (Newcombe, 1998, compares it with
six others and recommends it).

References
----------
.. [1] Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
   inference. J. Am. Stat. Assoc. 22, 209-212.
.. [2] Newcombe, R. G. (1998). Two-sided confidence intervals for the single proportion:
   comparison of seven methods. Statistics in Medicine 17, 857-872.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .._checks import _check_float, _check_int

#: Two-sided 95 % normal quantile.
Z95 = 1.959963984540054


@dataclass(frozen=True)
class Rate:
    """``successes`` out of ``n`` runs, the rate and its Wilson interval ``[lo, hi]``."""

    successes: int
    n: int
    rate: float
    lo: float
    hi: float


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    r"""Wilson score interval of a binomial proportion.

    .. math::
        \frac{\hat p + \frac{z^2}{2n} \pm z\sqrt{\frac{\hat p(1-\hat p)}{n}
        + \frac{z^2}{4n^2}}}{1 + z^2/n}, \qquad \hat p = \mathrm{successes}/n.

    Examples
    --------
    Newcombe's (1998) first example, 81 of 263: 0.2553 to 0.3662.

    >>> [round(v, 4) for v in wilson_interval(81, 263)]
    [0.2553, 0.3662]
    """
    successes, n = _check_int(successes, "successes", 0), _check_int(n, "n", 1)
    if successes > n:
        raise ValueError(f"successes must be at most n={n}, got {successes}")
    z = _check_float(z, "z", positive=True)
    p = successes / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    lo = 0.0 if successes == 0 else max(0.0, centre - half)
    hi = 1.0 if successes == n else min(1.0, centre + half)
    return lo, hi


def success_rate(successes, z: float = Z95) -> Rate:
    """The rate and Wilson interval of a sequence of booleans (one per seed).

    Examples
    --------
    >>> r = success_rate([True, False, True, True])
    >>> r.successes, r.n, r.rate
    (3, 4, 0.75)
    """
    flags = list(successes)
    if not flags or not all(isinstance(f, bool) for f in flags):
        raise ValueError("successes must be a non-empty sequence of booleans")
    k, n = sum(flags), len(flags)
    lo, hi = wilson_interval(k, n, z)
    return Rate(k, n, k / n, lo, hi)
