"""Spectra over an ensemble of trajectories, the regimes, and gradients against lag (chapter 5)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import matplotlib.patches  # noqa: F401  (mpl.patches.Rectangle)
import numpy as np

from .._checks import _check_float, _check_int
from ..maps import (  # one seed-or-rng rule, one finiteness check
    _finite,
    _rng,
)
from ._features import (_as_spectrum, _batch_mean, _batch_stderr, _largest, _mean_exponent,
                        _variance, entropy, kaplan_yorke_dimension, spectrum_features)
from ._qr import _check_units, _sort_desc, map_spectrum

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

    # each member is defined once, in _features.py, shared with the engine's SpectrumResult

    @property
    def mean(self) -> np.ndarray:
        """Mean spectrum over the ensemble, ``(k,)`` (the paper's reported spectrum)."""
        return _batch_mean(self.exponents)

    @property
    def stderr(self) -> np.ndarray:
        """Standard error of :attr:`mean`, ``(k,)``: ``std(ddof=1) / sqrt(B)`` (NaN if B = 1)."""
        return _batch_stderr(self.exponents)

    @property
    def largest(self) -> float:
        """Largest exponent of the mean spectrum (its maximum)."""
        return _largest(self.mean)

    @property
    def mean_exponent(self) -> float:
        """Average of the mean spectrum (volume contraction rate per dimension)."""
        return _mean_exponent(self.mean)

    @property
    def variance(self) -> float:
        """Variance of the mean spectrum over its indices."""
        return _variance(self.mean)

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
    tol = _check_float(tol, "tol", nonneg=True)
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
    h0_std = _check_float(h0_std, "h0_std", nonneg=True)
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
    from .. import maps

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


def logistic_exponents(r_values, *, steps: int = 1000, warmup: int = 500, seed=0) -> np.ndarray:
    """Lyapunov exponent of the logistic map for every ``r`` (vectorised, QR on 1x1)."""
    r = _finite(r_values, "r_values")
    if r.ndim != 1 or r.size == 0 or not np.all((r > 0) & (r <= 4)):
        raise ValueError(f"r_values must be a non-empty 1-D array in (0, 4], got shape {r.shape}")
    x0 = _rng(seed).uniform(0.1, 0.9, size=(r.size, 1))
    rr = r[:, None]
    return map_spectrum(lambda x: rr * x * (1 - x), lambda x: (rr * (1 - 2 * x))[..., None],
                        x0, steps, warmup=warmup, seed=seed)[:, 0]
