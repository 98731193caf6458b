"""Chapter 5's figures: convergence, warm-up, re-orthonormalisation, regimes, the logistic map."""

from __future__ import annotations

import math

import matplotlib as mpl
import matplotlib.patches  # noqa: F401  (mpl.patches.Rectangle)
import numpy as np

from .. import style
from .._checks import _check_int
from ..maps import (  # one seed-or-rng rule, one finiteness check
    _rng,
)
from ._ensemble import (
    SpectrumEnsemble,
    logistic_exponents,
    product_svd_exponents,
    regime_runs,
    rnn_spectrum,
)
from ._qr import _sort_desc, spectrum_from_jacobians

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
def plot_gradient_vs_lyapunov_prediction(curves):
    """Measured ``||dL/dh_{T-lag}||`` against lag with the prediction ``exp(lambda_max * lag)``.

    Its old name ``plot_gradient_vs_lag`` is deprecated (one release):
    :func:`lyaplearn.rnn.plot_gradient_vs_lag` draws curves against lag, with no prediction.

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
