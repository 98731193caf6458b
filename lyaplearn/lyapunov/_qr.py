"""The QR (Benettin) algorithm for a sequence of Jacobians or a map (chapter 5)."""

from __future__ import annotations

import matplotlib.patches  # noqa: F401  (mpl.patches.Rectangle)
import numpy as np

from .._checks import _check_int
from ..maps import (  # one seed-or-rng rule, one finiteness check
    _bad_entry,
    _finite,
    _rng,
)
from ._features import LN2

# ----------------------------------------------------------------------------
# The QR (Benettin) algorithm
# ----------------------------------------------------------------------------

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
