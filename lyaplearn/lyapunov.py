"""Lyapunov exponents: the QR (Benettin) algorithm in numpy, and what it tells us.

This module is the book's reference implementation (chapter 5). All exponents
are natural-log rates, *nats per step*, sorted in descending order, unless a
function is asked for ``units="bits"``.

Algorithm
    :func:`spectrum_from_jacobians` (stored Jacobians, ``(T, N, N)`` or
    ``(B, T, N, N)``), :func:`map_spectrum` (an explicit map, with warm-up:
    the paper's Algorithm 2), :class:`QRAccumulator` (the shared core, for your
    own loops), :func:`random_frame`, :func:`product_svd_exponents` (the naive
    definition, to show why it fails).
Ensembles and summaries
    :class:`SpectrumEnsemble` (mean, standard error, history, derived
    quantities), :func:`rnn_spectrum`, :func:`regime`,
    :func:`logistic_exponents`, :func:`gradient_norms_vs_lag` (torch autograd).
Spectrum helpers (last axis: one spectrum ``(k,)`` or a batch ``(..., k)``)
    :func:`kaplan_yorke_dimension`, :func:`entropy`, :func:`spectrum_features`,
    :func:`to_bits`.
Figures
    :func:`plot_convergence` (paper's Fig. 2), :func:`plot_warmup_effect`
    (Fig. 5), :func:`plot_reortho_effect` (Fig. 6), :func:`plot_regimes`
    (Fig. 1), :func:`plot_logistic_exponent`, :func:`plot_product_svd_vs_qr`,
    :func:`plot_gradient_vs_lag`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import matplotlib as mpl
import matplotlib.patches  # noqa: F401  (mpl.patches.Rectangle)
import numpy as np

from . import style
from .maps import _bad_entry, _finite, _rng  # one seed-or-rng rule, one finiteness check

__all__ = [
    "kaplan_yorke_dimension",
    "entropy",
    "spectrum_features",
    "to_bits",
    "random_frame",
    "QRAccumulator",
    "spectrum_from_jacobians",
    "map_spectrum",
    "SpectrumEnsemble",
    "regime",
    "rnn_spectrum",
    "product_svd_exponents",
    "logistic_exponents",
    "gradient_norms_vs_lag",
    "regime_runs",
    "plot_convergence",
    "plot_warmup_effect",
    "plot_reortho_effect",
    "plot_regimes",
    "plot_logistic_exponent",
    "plot_product_svd_vs_qr",
    "plot_gradient_vs_lag",
    "REGIME_COLORS",
]

LN2 = math.log(2.0)


def _as_spectrum(exponents, name: str = "exponents") -> np.ndarray:
    """Validate a spectrum (or a stack of spectra) and return a float array."""
    arr = np.asarray(exponents, dtype=float)
    if arr.ndim == 0 or arr.shape[-1] == 0:
        raise ValueError(
            f"{name} must have at least one exponent along its last axis, got shape {arr.shape}")
    bad = np.isnan(arr) | np.isposinf(arr)
    if bad.any():
        idx = tuple(int(i) for i in np.unravel_index(int(np.argmax(bad)), arr.shape))
        raise ValueError(f"{name} must not contain NaN or +inf (-inf is allowed), but "
                         f"{name}[{', '.join(map(str, idx))}] = {arr[idx]}")
    return arr


def to_bits(x):
    """Convert rates from nats to bits (divide by ln 2).

    The paper's code reports exponents with ``log2``; the book uses natural
    logarithms. Works on scalars and arrays.
    """
    return np.asarray(x, dtype=float) / LN2 if np.ndim(x) else float(x) / LN2


def kaplan_yorke_dimension(exponents):
    """Kaplan–Yorke (Lyapunov) dimension of a spectrum.

    With the exponents sorted descending, :math:`\\lambda_1 \\ge \\lambda_2 \\ge \\dots`,
    let :math:`j` be the largest index whose partial sum
    :math:`S_j = \\sum_{i \\le j} \\lambda_i` is non-negative. Then

    .. math:: D_{KY} = j + \\frac{S_j}{|\\lambda_{j+1}|}.

    By convention :math:`D_{KY} = 0` if :math:`\\lambda_1 < 0`, and
    :math:`D_{KY} = N` if the whole sum is non-negative (the formula has no
    :math:`\\lambda_{N+1}`). Entries equal to ``-inf`` are allowed (e.g. a
    singular Jacobian); if :math:`\\lambda_{j+1} = -\\infty` the fraction is 0.

    Parameters
    ----------
    exponents
        Array-like of shape ``(k,)`` or ``(..., k)``. The exponents are sorted
        descending along the last axis before use.

    Returns
    -------
    float or numpy.ndarray
        A float for one spectrum, an array over the leading axes otherwise.
    """
    lam = -np.sort(-_as_spectrum(exponents), axis=-1)  # descending, whatever came in
    n = lam.shape[-1]
    with np.errstate(invalid="ignore"):
        csum = np.cumsum(lam, axis=-1)
    nonneg = csum >= 0
    # j = number of leading partial sums that are >= 0 (the partial sums of a
    # descending sequence are unimodal, so the non-negative ones come first).
    j = np.where(nonneg.any(axis=-1),
                 n - np.argmax(nonneg[..., ::-1], axis=-1), 0)
    j = np.asarray(j)
    full = j >= n
    jc = np.clip(j, 1, n - 1) if n > 1 else np.zeros_like(j)
    s_j = np.take_along_axis(csum, (jc - 1)[..., None], axis=-1)[..., 0] if n > 1 else csum[..., 0]
    nxt = np.take_along_axis(lam, jc[..., None], axis=-1)[..., 0] if n > 1 else lam[..., 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(np.isinf(nxt), 0.0, s_j / np.abs(nxt))
    dim = np.where(j == 0, 0.0, np.where(full, float(n), j + frac))
    return float(dim) if dim.ndim == 0 else dim


def entropy(exponents):
    """Sum of the positive exponents (nats per step).

    Pesin's formula: for a smooth ergodic system with an absolutely continuous
    invariant measure this sum *is* the Kolmogorov–Sinai entropy; in general it
    is an upper bound (Ruelle's inequality). Shape ``(k,)`` gives a float,
    ``(..., k)`` an array over the leading axes.
    """
    lam = _as_spectrum(exponents)
    out = np.where(lam > 0, lam, 0.0).sum(axis=-1)
    return float(out) if out.ndim == 0 else out


def spectrum_features(exponents) -> dict:
    """The three summary features of a spectrum used by the paper.

    Returns a dict with ``"max"`` (largest exponent: the fastest growth rate,
    i.e. exploding or vanishing of the dominant direction), ``"mean"`` (average
    exponent: the rate at which phase-space volume contracts per dimension) and
    ``"variance"`` (spread of the spectrum: how unevenly directions are
    stretched, a measure of conditioning). Each value is a float for one
    spectrum and an array over the leading axes for a batch. Entries equal to
    ``-inf`` propagate into ``mean`` and ``variance``.
    """
    lam = _as_spectrum(exponents)
    with np.errstate(invalid="ignore"):
        out = {
            "max": lam.max(axis=-1),
            "mean": lam.mean(axis=-1),
            "variance": lam.var(axis=-1),
        }
    return {key: (float(v) if np.ndim(v) == 0 else v) for key, v in out.items()}


# ----------------------------------------------------------------------------
# The QR (Benettin) algorithm
# ----------------------------------------------------------------------------

def _check_int(value, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _check_units(units: str) -> float:
    if units == "nats":
        return 1.0
    if units == "bits":
        return 1.0 / LN2
    raise ValueError(f"units must be 'nats' or 'bits', got {units!r}")


def random_frame(n: int, k: int | None = None, *, seed=None, rng=None) -> np.ndarray:
    """A random ``n x k`` matrix with orthonormal columns (Haar-distributed).

    The QR algorithm starts from such a frame: the identity can sit inside an
    invariant subspace of the dynamics (e.g. ``e_1`` for an upper-triangular
    Jacobian) and then never sees the fastest direction.
    """
    n = _check_int(n, "n", 1)
    k = n if k is None else _check_int(k, "k", 1)
    if k > n:
        raise ValueError(f"k must be at most n = {n}, got {k}")
    q, r = np.linalg.qr(_rng(seed, rng).standard_normal((n, k)))
    return q * np.sign(np.diag(r))


class QRAccumulator:
    """The state of the QR algorithm: a frame ``Q`` and the summed log-stretches.

    Feed it one Jacobian (or a batch of Jacobians) per step with :meth:`push`.
    Every ``reortho_every`` pushes the frame is re-orthonormalised,
    ``J_t ... J_s Q = Q' R``, and ``log |diag R|`` is added to the running
    sums ``gamma``; :meth:`finish` closes the last, possibly partial, interval
    and returns ``gamma / t``.

    This class is what :func:`spectrum_from_jacobians` and :func:`map_spectrum`
    share; use it directly when the Jacobians come from your own loop.

    Parameters
    ----------
    q0
        Starting frame, ``(N, k)`` with orthonormal columns (shared by a batch)
        or ``(B, N, k)``.
    reortho_every
        Steps between re-orthonormalisations (the paper's ``T_ON``).
    history
        If true, keep the running estimate after every step (see
        :attr:`history`).
    """

    def __init__(self, q0, *, reortho_every: int = 1, history: bool = False):
        self.q = np.array(_finite(q0, "q0"), dtype=float)
        self.reortho_every = _check_int(reortho_every, "reortho_every", 1)
        self.gamma = np.zeros(self.q.shape[:-2] + self.q.shape[-1:])
        self.t = 0              # steps pushed
        self.t_closed = 0       # steps covered by gamma
        self.keep_history = history
        self._history: list[np.ndarray] = []

    def _close(self) -> None:
        q, r = np.linalg.qr(self.q)
        with np.errstate(divide="ignore"):
            self.gamma = self.gamma + np.log(np.abs(np.diagonal(r, axis1=-2, axis2=-1)))
        self.q = q
        self.t_closed = self.t

    def push(self, jac) -> None:
        """Advance the frame by one Jacobian, ``(N, N)`` or ``(B, N, N)``."""
        jac = np.asarray(jac, dtype=float)
        n = self.q.shape[-2]
        if jac.shape[-2:] != (n, n) or jac.ndim > self.q.ndim:
            raise ValueError(f"jacobian must have shape ({n}, {n}) or (B, {n}, {n}) matching the "
                             f"frame {self.q.shape}, got shape {jac.shape}")
        bad = _bad_entry(jac, "jacobian")
        if bad is not None:
            raise ValueError(f"jacobian must contain only finite numbers, but the one pushed at "
                             f"step {self.t + 1} has {bad}")
        self.q = np.matmul(jac, self.q)
        self.t += 1
        if self.t % self.reortho_every == 0:
            self._close()
        if self.keep_history:
            with np.errstate(invalid="ignore", divide="ignore"):
                est = self.gamma / self.t_closed if self.t_closed else np.full_like(self.gamma, np.nan)
            self._history.append(est)

    def finish(self) -> np.ndarray:
        """Close the last partial interval and return the exponents, ``gamma / t``.

        The columns are in frame order (not sorted).
        """
        if self.t == 0:
            raise ValueError("no Jacobian was pushed: need at least one step")
        if self.t_closed != self.t:
            self._close()
            if self.keep_history:
                self._history[-1] = self.gamma / self.t
        return self.gamma / self.t

    @property
    def history(self) -> np.ndarray:
        """Running estimates, shape ``(T, k)`` or ``(B, T, k)`` (frame order).

        Between re-orthonormalisations the last estimate is held; entries before
        the first one are NaN.
        """
        if not self._history:
            return np.empty((0,) + self.gamma.shape)
        h = np.stack(self._history, axis=-2)
        return h


def _sort_desc(x: np.ndarray) -> np.ndarray:
    return -np.sort(-x, axis=-1)


def _initial_frame(n: int, k: int, q0, seed, rng) -> np.ndarray:
    if q0 is None:
        return random_frame(n, k, seed=seed, rng=rng)
    if seed is not None or rng is not None:
        raise ValueError("give q0 or seed/rng, not both")
    q0 = _finite(q0, "q0")
    if q0.shape != (n, k):
        raise ValueError(f"q0 must have shape ({n}, {k}), got shape {q0.shape}")
    if not np.allclose(q0.T @ q0, np.eye(k), atol=1e-8):
        raise ValueError("q0 must have orthonormal columns")
    return q0


def spectrum_from_jacobians(jacobians, *, k: int | None = None, reortho_every: int = 1,
                            history: bool = False, units: str = "nats", q0=None,
                            seed=None, rng=None):
    """Lyapunov spectrum of a sequence of Jacobians by the QR method.

    The frame ``Q`` (``N x k`` orthonormal columns) is pushed through
    ``J_1, J_2, ...``; every ``reortho_every`` steps it is re-orthonormalised,
    ``J Q = Q' R``, and ``log |R_ii|`` is accumulated (Benettin et al. 1980).
    The last interval is closed even if shorter than ``reortho_every``, so the
    product of all ``T`` Jacobians is always counted. Exponent ``i`` is the sum
    divided by ``T``.

    Parameters
    ----------
    jacobians
        Array-like of shape ``(T, N, N)``, or ``(B, T, N, N)`` for ``B``
        independent trajectories (processed together, vectorised).
    k
        Number of exponents (the leading ``k``: a partial spectrum); default ``N``.
    reortho_every
        Steps between re-orthonormalisations (``T_ON`` of the paper).
    history
        If true, also return the running estimate after every step.
    units
        ``"nats"`` (default, natural log per step) or ``"bits"`` (log2).
    q0
        Starting frame ``(N, k)`` with orthonormal columns. Default: a random
        frame from ``seed``/``rng``, the same for every trajectory of a batch.
        (The identity is a poor default: it can lie in an invariant subspace.)
    seed, rng
        Randomness of the starting frame.

    Returns
    -------
    numpy.ndarray or tuple
        Exponents, shape ``(k,)`` or ``(B, k)``, sorted descending. With
        ``history=True``: ``(exponents, hist)``, ``hist`` of shape ``(T, k)``
        or ``(B, T, k)`` in frame order (columns are not re-sorted per step, so
        each line is continuous).

    Examples
    --------
    A constant diagonal Jacobian stretches by 2 along one axis and squeezes by 2
    along the other, so the exponents are ``ln 2`` and ``-ln 2``. (Starting from
    the identity frame is exact here: its columns are the invariant axes.)

    >>> import numpy as np
    >>> from lyaplearn.lyapunov import kaplan_yorke_dimension, spectrum_from_jacobians
    >>> J = np.tile(np.diag([2.0, 0.5]), (10, 1, 1))     # T = 10 steps
    >>> exponents = spectrum_from_jacobians(J, q0=np.eye(2))
    >>> np.allclose(exponents, [np.log(2.0), -np.log(2.0)])
    True
    >>> float(kaplan_yorke_dimension([0.5, -1.0]))        # 1 + 0.5 / 1
    1.5
    """
    scale = _check_units(units)
    J = np.asarray(jacobians, dtype=float)
    if J.ndim not in (3, 4) or J.shape[-1] != J.shape[-2] or J.shape[-1] == 0 or J.shape[-3] == 0:
        raise ValueError("jacobians must have shape (T, N, N) or (B, T, N, N) with T, N >= 1, "
                         f"got shape {J.shape}")
    _finite(J, "jacobians")
    n = J.shape[-1]
    k = n if k is None else _check_int(k, "k", 1)
    if k > n:
        raise ValueError(f"k must be at most N = {n}, got {k}")
    acc = QRAccumulator(_initial_frame(n, k, q0, seed, rng), reortho_every=reortho_every,
                        history=history)
    if J.ndim == 4:
        acc.q = np.broadcast_to(acc.q, (J.shape[0], n, k)).copy()
    for t in range(J.shape[-3]):
        acc.push(J[..., t, :, :])
    lam = _sort_desc(acc.finish()) * scale
    if history:
        return lam, acc.history * scale
    return lam


def map_spectrum(step, jacobian, x0, steps: int, *, inputs=None, warmup: int = 0,
                 frame_warmup: int = 0, k: int | None = None, reortho_every: int = 1,
                 history: bool = False, units: str = "nats", q0=None, seed=None, rng=None):
    """Lyapunov spectrum of an explicit map ``x_{t+1} = step(x_t)`` (Algorithm 2).

    1. *State warm-up*: ``warmup`` iterates of the map, nothing accumulated, so
       that the state is on the attractor.
    2. *Frame warm-up*: ``frame_warmup`` further iterates during which the frame
       is also pushed and re-orthonormalised but the stretches are thrown away,
       so that the frame aligns with the Oseledets directions.
    3. ``steps`` iterates with the QR algorithm, re-orthonormalising every
       ``reortho_every`` steps (last partial interval counted).

    Parameters
    ----------
    step, jacobian
        ``step(x)`` and ``jacobian(x)`` (or ``step(x, u)``, ``jacobian(x, u)``
        when ``inputs`` is given), vectorised over a leading batch axis; the
        Jacobian is that of ``step`` at the same arguments, i.e. ``J_t`` maps a
        perturbation of ``x_{t-1}`` to one of ``x_t``. The objects in
        :mod:`lyaplearn.maps` provide both.
    x0
        Initial state, ``(n,)`` or ``(B, n)`` for a batch of trajectories.
    steps
        Number of iterates used for the estimate (``T``).
    inputs
        Optional driving sequence with time on the first axis and length
        ``warmup + frame_warmup + steps``; ``inputs[t]`` is passed to ``step``.
    k, reortho_every, history, units, q0, seed, rng
        As in :func:`spectrum_from_jacobians`.

    Returns
    -------
    numpy.ndarray or tuple
        Exponents ``(k,)`` or ``(B, k)`` sorted descending; with ``history``,
        ``(exponents, hist)`` as in :func:`spectrum_from_jacobians`.
    """
    if not callable(step) or not callable(jacobian):
        raise ValueError("step and jacobian must be callable")
    scale = _check_units(units)
    steps = _check_int(steps, "steps", 1)
    warmup = _check_int(warmup, "warmup", 0)
    frame_warmup = _check_int(frame_warmup, "frame_warmup", 0)
    x = np.array(x0, dtype=float)
    if x.ndim not in (1, 2) or x.shape[-1] == 0:
        raise ValueError(f"x0 must have shape (n,) or (B, n), got shape {x.shape}")
    _finite(x, "x0")
    n = x.shape[-1]
    k = n if k is None else _check_int(k, "k", 1)
    if k > n:
        raise ValueError(f"k must be at most n = {n}, got {k}")
    total = warmup + frame_warmup + steps
    if inputs is not None:
        inputs = np.asarray(inputs, dtype=float)
        if inputs.ndim == 0 or inputs.shape[0] != total:
            raise ValueError(f"inputs must have warmup + frame_warmup + steps = {total} entries "
                             f"on its first axis, got shape {inputs.shape}")
        _finite(inputs, "inputs")

    def args(t):
        return (x,) if inputs is None else (x, inputs[t])

    def advance(t):
        with np.errstate(over="ignore", invalid="ignore"):
            new = np.asarray(step(*args(t)), dtype=float)
        if new.shape != x.shape:
            raise ValueError(f"step must return states of shape {x.shape}; at step {t + 1} it "
                             f"returned shape {new.shape}")
        bad = _bad_entry(new, "state")
        if bad is not None:
            raise ValueError(f"step must return finite states, but the state became non-finite at "
                             f"step {t + 1}: {bad} (x0 is probably outside the basin of the "
                             "attractor)")
        return new

    def jac(t):
        with np.errstate(over="ignore", invalid="ignore"):
            out = np.asarray(jacobian(*args(t)), dtype=float)
        bad = _bad_entry(out, "jacobian")
        if bad is not None:
            raise ValueError(f"jacobian must return finite matrices, but at step {t + 1} {bad}")
        return out

    for t in range(warmup):
        x = advance(t)
    frame = _initial_frame(n, k, q0, seed, rng)
    if x.ndim == 2:
        frame = np.broadcast_to(frame, (x.shape[0], n, k)).copy()
    if frame_warmup:
        pre = QRAccumulator(frame, reortho_every=reortho_every)
        for t in range(warmup, warmup + frame_warmup):
            pre.push(jac(t))
            x = advance(t)
        pre.finish()
        frame = pre.q
    acc = QRAccumulator(frame, reortho_every=reortho_every, history=history)
    for t in range(warmup + frame_warmup, total):
        acc.push(jac(t))
        x = advance(t)
    lam = _sort_desc(acc.finish()) * scale
    if history:
        return lam, acc.history * scale
    return lam


# ----------------------------------------------------------------------------
# Ensembles, summaries and the naive (SVD) estimate
# ----------------------------------------------------------------------------

@dataclass
class SpectrumEnsemble:
    """Spectra of ``B`` trajectories (input realisations and/or initial conditions).

    Attributes
    ----------
    exponents
        ``(B, k)``, each row sorted descending.
    history
        ``(B, T, k)`` running estimates (frame order) or ``None``.
    units
        ``"nats"`` or ``"bits"`` (per step).
    """

    exponents: np.ndarray
    history: np.ndarray | None = None
    units: str = "nats"

    def __post_init__(self):
        _check_units(self.units)
        ex = np.asarray(self.exponents, dtype=float)
        if ex.ndim != 2 or ex.shape[0] == 0 or ex.shape[1] == 0:
            raise ValueError(f"exponents must have shape (B, k) with B, k >= 1, got shape {ex.shape}")
        _as_spectrum(ex, "exponents")
        self.exponents = _sort_desc(ex)

    @property
    def mean(self) -> np.ndarray:
        """Mean spectrum over the ensemble, ``(k,)`` (the paper's reported spectrum)."""
        return self.exponents.mean(axis=0)

    @property
    def stderr(self) -> np.ndarray:
        """Standard error of :attr:`mean`, ``(k,)``: ``std(ddof=1) / sqrt(B)`` (NaN if B = 1)."""
        b = self.exponents.shape[0]
        if b < 2:
            return np.full(self.exponents.shape[1], np.nan)
        return self.exponents.std(axis=0, ddof=1) / np.sqrt(b)

    @property
    def largest(self) -> float:
        """Largest exponent of the mean spectrum."""
        return float(self.mean[0])

    @property
    def mean_exponent(self) -> float:
        """Average of the mean spectrum (volume contraction rate per dimension)."""
        return float(self.mean.mean())

    @property
    def variance(self) -> float:
        """Variance of the mean spectrum over its indices."""
        return float(self.mean.var())

    @property
    def kaplan_yorke(self) -> float:
        """Kaplan–Yorke dimension of the mean spectrum."""
        return kaplan_yorke_dimension(self.mean)

    @property
    def entropy(self) -> float:
        """Sum of positive exponents of the mean spectrum (KS-entropy bound)."""
        return entropy(self.mean)

    def features(self) -> dict:
        """:func:`spectrum_features` of every member: arrays of length ``B``."""
        return spectrum_features(self.exponents)

    def to(self, units: str) -> "SpectrumEnsemble":
        """The same ensemble in other units."""
        factor = _check_units(units) / _check_units(self.units)
        hist = None if self.history is None else self.history * factor
        return SpectrumEnsemble(self.exponents * factor, hist, units)


def regime(lambda_max: float, *, tol: float = 0.02) -> str:
    """``"stable"`` (``λ_max < -tol``), ``"marginal"`` (``|λ_max| <= tol``) or ``"chaotic"``."""
    if not np.isfinite(tol) or tol < 0:
        raise ValueError(f"tol must be a finite number >= 0, got {tol!r}")
    lam = float(lambda_max)
    if np.isnan(lam):
        raise ValueError("lambda_max must not be NaN (a spectrum of a diverged trajectory?)")
    if lam < -tol:
        return "stable"
    if lam > tol:
        return "chaotic"
    return "marginal"


def rnn_spectrum(rnn, *, steps: int = 200, trajectories: int = 8, warmup: int = 100,
                 frame_warmup: int = 0, k: int | None = None, reortho_every: int = 1,
                 history: bool = False, h0_std: float = 1.0, units: str = "nats",
                 seed=None, rng=None) -> SpectrumEnsemble:
    """Ensemble spectrum of a :class:`lyaplearn.maps.TanhRNN` driven by its Gaussian input.

    Each of the ``trajectories`` members gets its own input realisation and a
    Gaussian initial state with standard deviation ``h0_std``; all are run in
    one vectorised batch (the paper's Algorithm 2 with an ensemble average).
    """
    g = _rng(seed, rng)
    b = _check_int(trajectories, "trajectories", 1)
    steps = _check_int(steps, "steps", 1)
    warmup = _check_int(warmup, "warmup", 0)
    frame_warmup = _check_int(frame_warmup, "frame_warmup", 0)
    if not np.isfinite(h0_std) or h0_std < 0:
        raise ValueError(f"h0_std must be a finite number >= 0, got {h0_std!r}")
    h0 = h0_std * g.standard_normal((b, rnn.dim))
    x = rnn.inputs(warmup + frame_warmup + steps, b, rng=g)
    out = map_spectrum(rnn.step, rnn.jacobian, h0, steps, inputs=x, warmup=warmup,
                       frame_warmup=frame_warmup, k=k, reortho_every=reortho_every,
                       history=history, units=units, rng=g)
    if history:
        return SpectrumEnsemble(out[0], out[1], units)
    return SpectrumEnsemble(out, None, units)


def product_svd_exponents(jacobians, times) -> np.ndarray:
    """The *naive* estimate: ``log sigma_i(J_t ... J_1) / t`` from the explicit product.

    This is the definition taken literally. It is here to show why nobody
    computes it this way: the product overflows (entries ``~ e^{lambda_1 t}``)
    and, long before that, its singular values below ``eps * sigma_1`` are
    lost to rounding, so the small exponents come out wrong.

    Parameters
    ----------
    jacobians
        ``(T, N, N)``.
    times
        Increasing step counts ``1 <= t <= T`` at which to report.

    Returns
    -------
    numpy.ndarray
        ``(len(times), N)``, each row sorted descending; ``inf``/``nan`` where
        the product overflowed.
    """
    J = np.asarray(jacobians, dtype=float)
    if J.ndim != 3 or J.shape[1] != J.shape[2] or J.shape[0] == 0:
        raise ValueError(f"jacobians must have shape (T, N, N), got shape {J.shape}")
    _finite(J, "jacobians")
    times = np.asarray(times)
    if times.ndim != 1 or times.size == 0 or not np.issubdtype(times.dtype, np.integer) \
            or times.min() < 1 or times.max() > J.shape[0] or np.any(np.diff(times) <= 0):
        raise ValueError(f"times must be increasing integers in [1, {J.shape[0]}], got {times!r}")
    out = np.empty((times.size, J.shape[1]))
    prod = np.eye(J.shape[1])
    t_done = 0
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for i, t in enumerate(times):
            for s in range(t_done, t):
                prod = J[s] @ prod
            t_done = t
            if np.isfinite(prod).all():
                out[i] = np.log(np.linalg.svd(prod, compute_uv=False)) / t
            else:
                out[i] = np.nan
    return out


# ----------------------------------------------------------------------------
# Closing the loop: gradients measured with autograd
# ----------------------------------------------------------------------------

def gradient_norms_vs_lag(rnn, *, steps: int = 60, trajectories: int = 8, warmup: int = 100,
                          h0_std: float = 1.0, seed=None, rng=None):
    """``||dL/dh_t||`` against the lag ``T - t``, measured with torch autograd.

    The network is first run ``warmup`` steps (numpy) to reach its attractor,
    then ``steps`` more in torch (float64). The loss is ``L = c . h_T`` with a
    fixed random unit vector ``c``, so ``dL/dh_t = (J_T ... J_{t+1})^T c``
    grows or decays like ``exp(lambda_max * lag)``.

    Returns
    -------
    lags : numpy.ndarray
        ``0, 1, ..., steps``.
    norms : numpy.ndarray
        ``(trajectories, steps + 1)``, ``norms[b, l]`` = ``||dL/dh_{T-l}||``.
    """
    import torch

    g = _rng(seed, rng)
    b = _check_int(trajectories, "trajectories", 1)
    steps = _check_int(steps, "steps", 1)
    warmup = _check_int(warmup, "warmup", 0)
    h = h0_std * g.standard_normal((b, rnn.dim))
    x = rnn.inputs(warmup + steps, b, rng=g)
    for t in range(warmup):
        h = rnn.step(h, x[t])
    c = g.standard_normal(rnn.dim)
    c /= np.linalg.norm(c)
    W = torch.as_tensor(rnn.gain * rnn.W)
    U = torch.as_tensor(rnn.U)
    bias = torch.as_tensor(rnn.b)
    xs = torch.as_tensor(x[warmup:])
    states = [torch.tensor(h, requires_grad=True)]
    for t in range(steps):
        states.append(torch.tanh(states[-1] @ W.T + xs[t] @ U.T + bias))
    for s in states[1:]:
        s.retain_grad()
    loss = (states[-1] @ torch.as_tensor(c)).sum()
    loss.backward()
    grads = torch.stack([s.grad for s in states])            # (steps+1, B, N), h_0 ... h_T
    norms = grads.norm(dim=-1).T.numpy()[:, ::-1].copy()      # lag 0 first
    return np.arange(steps + 1), norms


# ----------------------------------------------------------------------------
# Figures
# ----------------------------------------------------------------------------

@style.styled
def plot_convergence(ensemble: SpectrumEnsemble, *, every: int = 1, title: str | None = None):
    """Running estimates per step and the final mean spectrum (the paper's Fig. 2).

    Left: the running estimate of every ``every``-th exponent, averaged over the
    ensemble, against the number of steps ``T``. Right: the mean spectrum with
    standard-error bars.
    """
    if not isinstance(ensemble, SpectrumEnsemble) or ensemble.history is None:
        raise ValueError("ensemble must be a SpectrumEnsemble computed with history=True")
    every = _check_int(every, "every", 1)
    unit = style.unit_label(ensemble.units)
    fig, (ax1, ax2) = style.figure(1, 2, figsize=(style.PAGE_WIDTH, 3.4))
    hist = np.nanmean(ensemble.history, axis=0)          # (T, k)
    t = np.arange(1, hist.shape[0] + 1)
    cmap = mpl.colormaps["viridis"]
    k = hist.shape[1]
    for i in range(0, k, every):
        ax1.plot(t, hist[:, i], color=cmap(i / max(k - 1, 1)), lw=1.0)
    ax1.set_xlabel("steps T")
    ax1.set_ylabel(f"running estimate ({unit})")
    ax1.set_title("(a) convergence of each exponent")
    idx = np.arange(1, k + 1)
    ax2.errorbar(idx, ensemble.mean, yerr=ensemble.stderr, fmt="o", ms=3, color=style.PALETTE[0],
                 ecolor=style.PALETTE[1], elinewidth=1.2, capsize=0)
    ax2.axhline(0, color="0.4", lw=0.8)
    ax2.set_xlabel("index i")
    ax2.set_ylabel(f"$\\lambda_i$ ({unit})")
    ax2.set_title(f"(b) mean spectrum ± s.e., B = {ensemble.exponents.shape[0]}")
    if title:
        fig.suptitle(title)
    return fig


@style.styled
def plot_warmup_effect(rnn, *, warmups=(0, 100, 250), steps: int = 200, trajectories: int = 4,
                       k: int | None = None, every: int = 1, seed=0):
    """Running estimates with different warm-up lengths (the paper's Fig. 5).

    Each panel starts the estimate after ``warmup`` un-accumulated steps of the
    state *and* the frame (Algorithm 2), for the same network and seed.
    """
    warmups = list(warmups)
    if not warmups:
        raise ValueError("warmups must contain at least one warm-up length")
    for w in warmups:
        _check_int(w, "warmups entries", 0)
    every = _check_int(every, "every", 1)
    fig, axes = style.figure(1, len(warmups), figsize=(style.PAGE_WIDTH, 3.3), squeeze=False,
                             sharey=True)
    axes = axes[0]
    cmap = mpl.colormaps["viridis"]
    for ax, w in zip(axes, warmups):
        # half of the warm-up relaxes the state, half also aligns the frame
        ens = rnn_spectrum(rnn, steps=steps, trajectories=trajectories, warmup=w - w // 2,
                           frame_warmup=w // 2, k=k, history=True, seed=seed)
        hist = ens.history.mean(axis=0)
        kk = hist.shape[1]
        for i in range(0, kk, every):
            ax.plot(np.arange(1, steps + 1), hist[:, i], color=cmap(i / max(kk - 1, 1)), lw=1.0)
        ax.set_xlabel("steps after warm-up")
        ax.set_title(f"warm-up {w} steps")
    axes[0].set_ylabel(f"running estimate ({style.NATS_PER_STEP})")   # the y axis is shared
    lo = min(a.get_ylim()[0] for a in axes)
    hi = max(a.get_ylim()[1] for a in axes)
    for a in axes:
        a.set_ylim(lo, hi)
    return fig


@style.styled
def plot_reortho_effect(rnn, *, intervals=(1, 5, 10, 20), steps: int = 200, trajectories: int = 4,
                        warmup: int = 100, seed=0):
    """Spectra for several re-orthonormalisation intervals ``T_ON`` (the paper's Fig. 6).

    Left: the full spectrum; right: its first half. Long intervals let the
    frame's columns collapse onto the leading directions between QR steps, so
    the tail of the spectrum is lost to rounding and flattens into a spurious
    plateau, while the leading exponents do not move.
    """
    intervals = list(intervals)
    if not intervals:
        raise ValueError("intervals must contain at least one T_ON")
    for v in intervals:
        _check_int(v, "intervals entries", 1)
    fig, (ax1, ax2) = style.figure(1, 2, figsize=(style.PAGE_WIDTH, 3.4))
    n = rnn.dim
    idx = np.arange(1, n + 1)
    for j, ton in enumerate(intervals):
        ens = rnn_spectrum(rnn, steps=steps, trajectories=trajectories, warmup=warmup,
                           reortho_every=ton, seed=seed)
        color = mpl.colormaps["plasma"](j / max(len(intervals), 1))
        ax1.plot(idx, ens.mean, color=color, label=f"$T_{{ON}}$ = {ton}")
        ax2.plot(idx[: n // 2], ens.mean[: n // 2], "o-", ms=2.5, color=color)
    lo, hi = ax2.get_ylim()
    ax1.add_patch(mpl.patches.Rectangle((0.5, lo), n // 2, hi - lo, color="0.85", zorder=0))
    for ax, t in ((ax1, "(a) full spectrum"), (ax2, "(b) first half")):
        ax.set_xlabel("index i")
        ax.set_ylabel(f"$\\lambda_i$ ({style.NATS_PER_STEP})")
        ax.set_title(t)
    ax1.legend()
    return fig


REGIME_COLORS = {"stable": style.PALETTE[0], "marginal": "0.45", "chaotic": style.PALETTE[2]}


def regime_runs(gains=(0.8, 1.8, 3.5), *, n: int = 64, input_std: float = math.sqrt(0.6),
                initial_conditions: int = 10, steps: int = 60, spectrum_steps: int = 200,
                warmup: int = 100, seed=0) -> list[dict]:
    """The numbers behind :func:`plot_regimes` (the paper's Fig. 1), without drawing.

    One orthogonal ``W`` (from ``seed``) with ``U = I`` and Gaussian input; for each gain,
    ``initial_conditions`` random initial states are run under two input realisations.

    Returns
    -------
    list of dict
        One per gain: ``gain``, ``regime`` (from :func:`regime`), ``ensemble`` (the
        :class:`SpectrumEnsemble` of four trajectories), ``trajectories`` (one array of
        shape ``(steps, initial_conditions, n)`` per input realisation) and ``spreads``
        (per realisation, the standard deviation across initial states averaged over the
        units, shape ``(steps,)``).
    """
    gains = list(gains)
    if not gains:
        raise ValueError("gains must contain at least one gain")
    n = _check_int(n, "n", 2)
    ic = _check_int(initial_conditions, "initial_conditions", 2)
    steps = _check_int(steps, "steps", 1)
    from . import maps

    g = _rng(seed)
    W = maps.random_orthogonal(n, rng=g)
    h0 = g.standard_normal((ic, n))
    inputs = [input_std * g.standard_normal((steps, n)) for _ in range(2)]
    runs = []
    for gain in gains:
        rnn = maps.TanhRNN(W, gain=gain, input_std=input_std)
        ens = rnn_spectrum(rnn, steps=spectrum_steps, trajectories=4, warmup=warmup, seed=seed)
        trajs = [rnn.run(h0, np.broadcast_to(x[:, None, :], (steps, ic, n))) for x in inputs]
        runs.append({"gain": gain, "regime": regime(ens.largest), "ensemble": ens,
                     "trajectories": trajs,
                     "spreads": [t.std(axis=1).mean(axis=-1) for t in trajs]})
    return runs


@style.styled
def plot_regimes(gains=(0.8, 1.8, 3.5), *, n: int = 64, input_std: float = math.sqrt(0.6),
                 initial_conditions: int = 10, steps: int = 60, units_shown: int = 1,
                 spectrum_steps: int = 200, warmup: int = 100, first: int = 20, seed=0):
    """The three regimes of a driven tanh RNN (the paper's Fig. 1).

    For each gain (same orthogonal ``W``, ``U = I``, Gaussian input): the
    activity of ``units_shown`` unit(s) from ``initial_conditions`` random
    initial states under two input realisations (light and dark); below, the
    spectra, their first ``first`` exponents, and the spread of the states
    across initial conditions against time (it vanishes on a random sink).
    The numbers come from :func:`regime_runs`.
    """
    runs = regime_runs(gains, n=n, input_std=input_std, initial_conditions=initial_conditions,
                       steps=steps, spectrum_steps=spectrum_steps, warmup=warmup, seed=seed)
    n = runs[0]["trajectories"][0].shape[-1]
    rows = max(len(runs), 3)
    # left column: one network per row; right column: the spectra and the spreads
    fig, axes = style.figure(rows, 2, figsize=(style.PAGE_WIDTH, 2.5 * rows), squeeze=False)
    spectra, first_exps, forgetting = axes[0, 1], axes[1, 1], axes[2, 1]
    for j, run in enumerate(runs):
        gain, name, ens = run["gain"], run["regime"], run["ensemble"]
        color = REGIME_COLORS[name]
        ax = axes[j, 0]
        for traj, alpha in zip(run["trajectories"], (0.35, 1.0)):
            for u in range(units_shown):
                ax.plot(np.arange(1, steps + 1), traj[:, :, u], color=color, alpha=alpha, lw=0.9)
        ax.set_ylim(-1.05, 1.05)
        ax.set_xlabel("step t")
        ax.set_ylabel("activation $h_{t,1}$")
        ax.set_title(f"g = {gain}: {name}, $\\lambda_{{max}}$ = {ens.largest:.2f}")
        idx = np.arange(1, n + 1)
        spectra.plot(idx, ens.mean, color=color, label=f"g = {gain} ({name})")
        m = min(first, n)
        first_exps.errorbar(idx[:m], ens.mean[:m], yerr=ens.stderr[:m], fmt="o-", ms=3,
                            color=color)
        forgetting.semilogy(np.arange(1, steps + 1), np.maximum(run["spreads"][1], 1e-300),
                            color=color)
    for ax in (spectra, first_exps):
        ax.axhline(0, color="0.3", lw=0.8)
        ax.set_xlabel("index i")
        ax.set_ylabel(f"$\\lambda_i$ ({style.NATS_PER_STEP})")
    spectra.set_title("Lyapunov spectra")
    spectra.legend(fontsize=8.5)
    first_exps.set_title(f"first {min(first, n)} exponents ± s.e.")
    forgetting.set_xlabel("step t")
    forgetting.set_ylabel("std across initial states")
    forgetting.set_title("forgetting the initial state")
    forgetting.set_ylim(bottom=1e-12)
    for j in range(len(runs), rows):
        axes[j, 0].remove()
    for j in range(3, rows):
        axes[j, 1].remove()
    return fig


def logistic_exponents(r_values, *, steps: int = 1000, warmup: int = 500, seed=0) -> np.ndarray:
    """Lyapunov exponent of the logistic map for every ``r`` (vectorised, QR on 1x1)."""
    r = _finite(r_values, "r_values")
    if r.ndim != 1 or r.size == 0 or not np.all((r > 0) & (r <= 4)):
        raise ValueError(f"r_values must be a non-empty 1-D array in (0, 4], got shape {r.shape}")
    x0 = _rng(seed).uniform(0.1, 0.9, size=(r.size, 1))
    rr = r[:, None]
    return map_spectrum(lambda x: rr * x * (1 - x), lambda x: (rr * (1 - 2 * x))[..., None],
                        x0, steps, warmup=warmup, seed=seed)[:, 0]


@style.styled
def plot_logistic_exponent(r_min: float = 2.8, r_max: float = 4.0, *, num: int = 600,
                           steps: int = 1000, warmup: int = 500, points: int = 100, seed=0):
    """Bifurcation diagram of the logistic map and its Lyapunov exponent against ``r``.

    The exponent is negative on periodic windows, touches 0 at every
    period-doubling, is positive in the chaotic bands, and reaches ``ln 2`` at
    ``r = 4``.
    """
    if not 0 < r_min < r_max <= 4:
        raise ValueError(f"need 0 < r_min < r_max <= 4, got r_min={r_min!r}, r_max={r_max!r}")
    num = _check_int(num, "num", 2)
    points = _check_int(points, "points", 1)
    r = np.linspace(r_min, r_max, num)
    lam = logistic_exponents(r, steps=steps, warmup=warmup, seed=seed)
    x = _rng(seed).uniform(0.1, 0.9, size=r.size)
    for _ in range(warmup):
        x = r * x * (1 - x)
    orbit = np.empty((points, r.size))
    for i in range(points):
        x = r * x * (1 - x)
        orbit[i] = x
    fig, (ax1, ax2) = style.figure(2, 1, figsize=(style.PAGE_WIDTH, 5.6))
    ax1.plot(np.broadcast_to(r, orbit.shape).ravel(), orbit.ravel(), ",", color="black", alpha=0.5)
    ax1.set_xlabel("r")
    ax1.set_ylabel("$x_t$ on the attractor")
    ax1.set_title("logistic map $x_{t+1} = r x_t (1 - x_t)$")
    ax2.plot(r, np.maximum(lam, -3), color=style.PALETTE[0], lw=1.0)
    ax2.axhline(0, color="0.3", lw=0.8)
    ax2.axhline(math.log(2), color=style.PALETTE[1], ls="--", lw=1.0, label="ln 2 (r = 4)")
    ax2.set_ylim(-3, 1)
    ax2.set_xlabel("r")
    ax2.set_ylabel(f"$\\lambda$ ({style.NATS_PER_STEP})")
    ax2.legend(loc="lower left")
    return fig


@style.styled
def plot_product_svd_vs_qr(jacobians, *, times=None, show: int = 6, seed=0):
    """Naive SVD of the explicit product against the QR running estimate.

    The naive tail exponents are rounding noise, near ``lambda_1 + log(eps) / t``, and
    the whole estimate disappears once the product overflows; QR is unaffected.
    """
    J = np.asarray(jacobians, dtype=float)
    if J.ndim != 3:
        raise ValueError(f"jacobians must have shape (T, N, N), got shape {J.shape}")
    T = J.shape[0]
    if times is None:   # log-spaced, plus a fine grid at the end to locate the overflow
        times = np.unique(np.concatenate([np.geomspace(1, T, 40), np.linspace(T / 10, T, 60)])
                          .astype(int))
    times = np.asarray(times)
    naive = product_svd_exponents(J, times)
    lam, hist = spectrum_from_jacobians(J, history=True, seed=seed)
    hist = _sort_desc(hist)
    n = J.shape[1]
    sel = np.unique(np.linspace(0, n - 1, min(show, n)).astype(int))
    fig, ax = style.figure(figsize=(style.PAGE_WIDTH, 3.8))
    cmap = mpl.colormaps["viridis"]
    for c, i in enumerate(sel):
        color = cmap(c / max(len(sel) - 1, 1))
        ax.plot(np.arange(1, T + 1), hist[:, i], color=color, lw=1.2,
                label=f"QR, $\\lambda_{{{i + 1}}}$")
        ax.plot(times, naive[:, i], "x", color=color, ms=4)
    ax.plot([], [], "x", color="0.3", label="SVD of the product")
    finite = np.isfinite(naive).all(axis=1)
    if not finite.all():
        ax.axvline(times[~finite][0], color=style.PALETTE[1], ls=":", lw=1.2,
                   label="product overflows")
    ax.set_xscale("log")
    ax.set_xlabel("steps t")
    ax.set_ylabel(f"estimate ({style.NATS_PER_STEP})")
    ax.set_title("naive SVD of $J_t \\cdots J_1$ (crosses) against the QR algorithm (lines)")
    ax.legend(fontsize=8, ncols=2, loc="lower left")
    return fig


@style.styled
def plot_gradient_vs_lag(curves):
    """Measured ``||dL/dh_{T-lag}||`` against lag with ``exp(lambda_max * lag)`` overlaid.

    Parameters
    ----------
    curves
        Sequence of ``(label, lags, norms, lambda_max)`` with ``norms`` of shape
        ``(B, len(lags))`` from :func:`gradient_norms_vs_lag`. Thin lines: the
        individual trajectories; thick: their geometric mean; dashed: the
        prediction anchored at lag 0.
    """
    curves = list(curves)
    if not curves:
        raise ValueError("curves must contain at least one (label, lags, norms, lambda_max)")
    fig, ax = style.figure(figsize=(style.PAGE_WIDTH, 4))
    for j, (label, lags, norms, lam) in enumerate(curves):
        color = style.PALETTE[j % len(style.PALETTE)]
        norms = np.atleast_2d(norms)
        for row in norms:
            ax.semilogy(lags, row, color=color, alpha=0.2, lw=0.7)
        geo = np.exp(np.log(norms).mean(axis=0))
        ax.semilogy(lags, geo, color=color, lw=2, label=f"{label}: measured (autograd)")
        ax.semilogy(lags, geo[0] * np.exp(lam * np.asarray(lags)), "--", color="black", lw=1)
    ax.plot([], [], "--", color="black", lw=1, label=r"$e^{\lambda_{max}\,\mathrm{lag}}$ (QR)")
    ax.set_xlabel("lag T − t (steps)")
    ax.set_ylabel(r"$\|\partial L / \partial h_t\|$")
    ax.legend(fontsize=8.5)
    return fig
