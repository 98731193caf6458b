"""Statistics over a handful of runs: rank and partial correlations, bootstrap intervals, power laws.

Chapter 7 asks its questions of a few dozen training runs, so every coefficient here comes
with an interval: a bootstrap (percentile) interval over runs for the correlations
(:func:`correlation`, :func:`partial_correlation`), the ordinary least-squares interval for
a power law's exponent (:func:`power_law_fit`, with Student's t quantile from
:func:`t_quantile`). Nothing here knows about networks or results files; reading those is
:mod:`lyaplearn.readout`'s job. numpy only, no scipy.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["spearman", "correlation", "partial_correlation", "power_law_fit", "t_quantile"]


def _ranks(x: np.ndarray) -> np.ndarray:
    order = np.argsort(x, kind="stable")
    r = np.empty(len(x))
    r[order] = np.arange(len(x))
    # average ranks of ties
    for v in np.unique(x):
        m = x == v
        if m.sum() > 1:
            r[m] = r[m].mean()
    return r


def spearman(x, y) -> float:
    """Spearman's rank correlation (Pearson correlation of the ranks, ties averaged).

    Examples
    --------
    >>> round(spearman([1, 2, 3, 4], [10, 20, 40, 30]), 6)
    0.8
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    if x.shape != y.shape or x.ndim != 1 or len(x) < 3:
        raise ValueError("x and y must be 1-D arrays of the same length >= 3")
    return float(np.corrcoef(_ranks(x), _ranks(y))[0, 1])


def correlation(x, y, *, method: str = "pearson", n_boot: int = 2000, level: float = 0.95,
                seed: int = 0) -> dict:
    """A correlation coefficient with a bootstrap (percentile) confidence interval over runs.

    ``method`` is ``"pearson"`` or ``"spearman"`` (:func:`spearman`). The interval resamples
    the pairs (x_i, y_i) with replacement ``n_boot`` times and takes the middle ``level`` of
    the coefficients; resamples in which x or y is constant have no coefficient and are
    skipped. Returns ``{"r", "low", "high", "n"}``; with ``n_boot=0`` the ends are NaN.

    Examples
    --------
    >>> out = correlation([1, 2, 3, 4, 5], [2, 4, 6, 8, 10], n_boot=200)
    >>> round(out["r"], 12), round(out["low"], 12), round(out["high"], 12), out["n"]
    (1.0, 1.0, 1.0, 5)
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    if method not in ("pearson", "spearman"):
        raise ValueError(f"method must be 'pearson' or 'spearman', got {method!r}")
    if x.shape != y.shape or x.ndim != 1 or len(x) < 3:
        raise ValueError(f"x and y must be 1-D arrays of the same length >= 3, got shapes "
                         f"{x.shape} and {y.shape}")
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 0:
        raise ValueError(f"n_boot must be an integer >= 0, got {n_boot!r}")
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level!r}")
    f = spearman if method == "spearman" else (lambda a, b: float(np.corrcoef(a, b)[0, 1]))
    r = f(x, y)
    rng = np.random.default_rng(seed)
    boots = []
    for _ in range(n_boot):
        i = rng.integers(0, len(x), len(x))
        if np.ptp(x[i]) > 0 and np.ptp(y[i]) > 0:
            boots.append(f(x[i], y[i]))
    lo, hi = np.quantile(boots, [(1 - level) / 2, (1 + level) / 2]) if boots else (math.nan,) * 2
    return {"r": r, "low": float(lo), "high": float(hi), "n": len(x)}


def _partial(x: np.ndarray, y: np.ndarray, z: np.ndarray, degree: int = 1,
             ranks: bool = False) -> float:
    """Pearson correlation of the residuals of x and y after least squares on a polynomial in z.

    ``z`` is (n, k): the polynomial has a constant, every column's powers 1 to ``degree`` and,
    for ``degree >= 2`` and ``k > 1``, the products of pairs of columns (a full quadratic).
    With ``ranks`` x, y and every column of z are first replaced by their ranks (a rank-based
    partial correlation). Each column is centred and scaled first, which changes only the fit's
    conditioning.
    """
    if ranks:
        x, y = _ranks(x), _ranks(y)
        z = np.column_stack([_ranks(c) for c in z.T])
    u = (z - z.mean(axis=0)) / z.std(axis=0)
    cols = [np.ones(len(x))] + [u[:, j] ** d for j in range(u.shape[1])
                                for d in range(1, degree + 1)]
    if degree >= 2:
        cols += [u[:, a] * u[:, b] for a in range(u.shape[1]) for b in range(a + 1, u.shape[1])]
    A = np.column_stack(cols)
    rx = x - A @ np.linalg.lstsq(A, x, rcond=None)[0]
    ry = y - A @ np.linalg.lstsq(A, y, rcond=None)[0]
    return float(rx @ ry / math.sqrt((rx @ rx) * (ry @ ry)))


def partial_correlation(x, y, z, *, degree: int = 1, ranks: bool = False, n_boot: int = 2000,
                        level: float = 0.95, seed: int = 0) -> dict:
    """The correlation of ``x`` and ``y`` with ``z`` held fixed, with a bootstrap interval.

    The correlation of what is left of ``x`` and of ``y`` after a least-squares polynomial of
    degree ``degree`` in ``z`` (for ``degree=1`` and one variable, a line: equal to
    ``(r_xy - r_xz r_yz) / sqrt((1 - r_xz^2)(1 - r_yz^2))``). ``z`` is one variable (1-D) or
    several, as the columns of an (n, k) array: then the polynomial holds each column's
    powers and, from degree 2, the products of pairs of columns. With ``ranks=True`` all are
    replaced by their ranks first (recomputed in every bootstrap sample), a rank-based partial
    correlation; otherwise the residuals' Pearson correlation. Resamples in which x or y is
    constant, or too few distinct runs or values of a column of z remain for the polynomial,
    are skipped; with none left (or ``n_boot=0``) the ends are NaN. Chapter 7 uses it to
    ask whether a spectrum feature says more about the loss than the hyperparameters
    (``z`` = log learning rate and log dropout rate) that move both, and how the answer
    depends on how ``z`` is removed. Returns ``{"r", "low", "high", "n"}`` like
    :func:`correlation` (runs resampled with replacement).

    Examples
    --------
    z, e1 and e2 orthogonal with equal norms; x = z + e1 and y = z + e1 + e2 leave the
    residuals e1 and e1 + e2, whose correlation is 1/sqrt(2):

    >>> z, e1, e2 = np.array([[1., 1, -1, -1], [1, -1, 1, -1], [1, -1, -1, 1]])
    >>> round(partial_correlation(z + e1, z + e1 + e2, z, n_boot=0)["r"] ** 2, 12)
    0.5
    """
    x, y, z = (np.asarray(v, float) for v in (x, y, z))
    if not isinstance(degree, (int, np.integer)) or isinstance(degree, bool) or degree < 1:
        raise ValueError(f"degree must be an integer >= 1, got {degree!r}")
    z2 = z[:, None] if z.ndim == 1 else z
    k = z2.shape[1] if z2.ndim == 2 else 0
    n_terms = 1 + k * degree + (k * (k - 1) // 2 if degree >= 2 else 0)
    if not (x.ndim == y.ndim == 1 and z2.ndim == 2 and k >= 1
            and len(x) == len(y) == len(z2) >= n_terms + 2):
        raise ValueError(f"x and y must be 1-D and z 1-D or (n, k), all of the same length n "
                         f">= {n_terms + 2} (the polynomial's {n_terms} terms + 2), got shapes "
                         f"{x.shape}, {y.shape}, {z.shape}")
    r = _partial(x, y, z2, degree, ranks)
    out = {"r": r, "low": math.nan, "high": math.nan, "n": len(x)}
    rng = np.random.default_rng(seed)
    boots = []
    for _ in range(n_boot):
        i = rng.integers(0, len(x), len(x))
        if (min(np.ptp(x[i]), np.ptp(y[i])) > 0 and len(np.unique(i)) >= n_terms + 2
                and all(len(np.unique(c)) > degree + 1 for c in z2[i].T)):
            boots.append(_partial(x[i], y[i], z2[i], degree, ranks))
    if boots:
        lo, hi = np.quantile(boots, [(1 - level) / 2, (1 + level) / 2])
        out.update(low=float(lo), high=float(hi))
    return out


def t_quantile(q: float, df: int) -> float:
    """The q-quantile of Student's t with ``df`` degrees of freedom, for 0.5 < q < 1.

    With x = sqrt(df) tan(theta) the distribution function is
    1/2 + c sqrt(df) times the integral of cos(phi)^(df-1) from 0 to theta, a smooth integrand
    on a bounded interval (Simpson's rule, 4,000 panels); theta is found by bisection. Far in
    the tail (q = 0.99999 at df = 1, x near 31831) this keeps the closed forms' digits, where
    integrating the density in x would not.

    Examples
    --------
    >>> round(t_quantile(0.975, 10), 3)      # the tables' 2.228
    2.228
    >>> round(t_quantile(0.75, 1), 12)       # Cauchy: tan(pi / 4)
    1.0
    """
    if isinstance(df, bool) or not isinstance(df, (int, np.integer)) or df < 1:
        raise ValueError(f"df must be an integer >= 1, got {df!r}")
    if not 0.5 < q < 1:
        raise ValueError(f"q must be in (0.5, 1), got {q!r}")
    c = math.exp(math.lgamma((df + 1) / 2) - math.lgamma(df / 2)) / math.sqrt(math.pi)

    def cdf(theta: float) -> float:
        f = np.cos(np.linspace(0.0, theta, 4001)) ** (df - 1)
        h = theta / 4000
        return 0.5 + c * h / 3 * (f[0] + f[-1] + 4 * f[1:-1:2].sum() + 2 * f[2:-1:2].sum())

    lo, hi = 0.0, math.pi / 2
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if cdf(mid) < q else (lo, mid)
    return math.sqrt(df) * math.tan((lo + hi) / 2)


def power_law_fit(t, y, *, level: float = 0.95) -> dict:
    """Exponent ``a`` of a least-squares fit y ~ C t^(-a) on log-log axes, with its interval.

    The interval is the ordinary least-squares one, ``a`` ± t_(n-2) times its standard
    error: it treats the points' scatter about the line as independent noise. Returns
    ``{"a", "se", "low", "high", "n"}``.

    Examples
    --------
    >>> out = power_law_fit([1, 2, 4, 8], [1.0, 0.5, 0.25, 0.125])   # exactly 1/t
    >>> round(out["a"], 12), round(out["se"], 12)
    (1.0, 0.0)
    """
    t, y = np.asarray(t, float), np.asarray(y, float)
    if t.shape != y.shape or t.ndim != 1 or len(t) < 3 or (t <= 0).any() or (y <= 0).any():
        raise ValueError("t and y must be positive 1-D arrays of the same length >= 3, got "
                         f"shapes {t.shape} and {y.shape}")
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level!r}")
    u, v = np.log(t), np.log(y)
    A = np.column_stack([np.ones(len(u)), u])
    coef, *_ = np.linalg.lstsq(A, v, rcond=None)
    resid = v - A @ coef
    n = len(u)
    se = math.sqrt(float(resid @ resid) / (n - 2) / float(((u - u.mean()) ** 2).sum()))
    half = t_quantile((1 + level) / 2, n - 2) * se
    a = -float(coef[1])
    return {"a": a, "se": se, "low": a - half, "high": a + half, "n": n}
