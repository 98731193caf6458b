"""Chapter 4's figures: norms of powers, Gelfand's formula, gradients against lag, clipping."""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
from matplotlib.ticker import NullLocator

from .. import style
from .._checks import _check_int
from ._clipping import ClippingEnsemble, TrainingRun
from ._matrices import _square, gelfand_estimates, power_norms, spectral_radius

# ---------------------------------------------------------------------------
# figures
# ---------------------------------------------------------------------------

def _matrices(mats) -> dict[str, np.ndarray]:
    if not isinstance(mats, Mapping) or not mats:
        raise ValueError("mats must be a non-empty mapping from label to square matrix")
    return {str(k): _square(v, f"mats[{k!r}]") for k, v in mats.items()}


@style.styled
def plot_power_norms(mats: Mapping[str, np.ndarray], steps: int = 60, *, ax=None):
    """``||W^t||_2`` (solid) against ``rho(W)^t`` (dashed) for each labelled matrix.

    Log y axis. Pass ``ax`` to draw into an existing axis (the figure of that
    axis is returned).
    """
    mats = _matrices(mats)
    steps = _check_int(steps, "steps", 1)
    if ax is None:
        fig, ax = style.figure(figsize=(6.4, 3.8))
    else:
        fig = ax.figure
    t = np.arange(steps + 1)
    for i, (label, W) in enumerate(mats.items()):
        color = style.PALETTE[i % len(style.PALETTE)]
        rho = spectral_radius(W)
        ax.semilogy(t, power_norms(W, steps), color=color, label=f"{label}: $\\|W^t\\|_2$")
        ax.semilogy(t, rho ** t, color=color, ls="--", lw=1.2,
                    label=f"{label}: $\\rho^t$, $\\rho$ = {rho:.2f}")
    ax.axhline(1.0, color="0.5", lw=0.8)
    ax.set_xlabel("power t (time steps)")
    ax.set_ylabel("norm (dimensionless)")
    ax.legend(loc="best")
    return fig


@style.styled
def plot_gelfand(mats: Mapping[str, np.ndarray], steps: int = 200):
    """Gelfand's estimates ``||W^t||^(1/t)`` approaching ``rho(W)`` (dotted lines)."""
    mats = _matrices(mats)
    steps = _check_int(steps, "steps", 1)
    fig, ax = style.figure(figsize=(6.4, 3.6))
    t = np.arange(1, steps + 1)
    for i, (label, W) in enumerate(mats.items()):
        color = style.PALETTE[i % len(style.PALETTE)]
        ax.semilogx(t, gelfand_estimates(W, steps), color=color, label=label)
        ax.axhline(spectral_radius(W), color=color, ls=":", lw=1.2)
    ax.set_xlabel("power t (time steps, log scale)")
    ax.set_ylabel("$\\|W^t\\|_2^{1/t}$ (per step)")
    ax.legend(loc="best", title="dotted: $\\rho(W)$")
    return fig


@style.styled
def plot_gradient_vs_lag(curves: Mapping[str, np.ndarray], *, ax=None,
                         ylabel: str = "$\\|\\partial L/\\partial h_{T-k}\\|$ (relative)"):
    """Gradient norm against the time lag ``k`` on a log axis, one line per curve.

    ``curves`` maps a label to an array whose entry ``k`` belongs to lag ``k``
    (as returned by :func:`bptt_gradient_norms` or
    :func:`jacobian_product_norms`).
    """
    if not isinstance(curves, Mapping) or not curves:
        raise ValueError("curves must be a non-empty mapping from label to a 1-D array")
    if ax is None:
        fig, ax = style.figure(figsize=(6.4, 3.8))
    else:
        fig = ax.figure
    for label, c in curves.items():
        c = np.asarray(c, dtype=float)
        if c.ndim != 1:
            raise ValueError(f"curves[{label!r}] must be a 1-D array, got shape {c.shape}")
        ax.semilogy(np.arange(c.size), c, label=str(label))
    ax.yaxis.set_minor_locator(NullLocator())
    ax.set_xlabel("time lag k (steps back from the loss)")
    ax.set_ylabel(ylabel)
    ax.legend(loc="best")
    return fig


@style.styled
def plot_clipping_curves(runs: Sequence[TrainingRun]):
    """Loss and gradient norm per SGD step for training runs, clipped or not.

    Left: loss relative to the no-memory error (log axis); a cross marks a run
    that diverged. Right: gradient norm before clipping (log axis) with each
    clipping threshold as a dotted line.
    """
    runs = list(runs)
    if not runs or not all(isinstance(r, TrainingRun) for r in runs):
        raise ValueError("runs must be a non-empty sequence of TrainingRun")
    fig, (ax1, ax2) = style.figure(1, 2, figsize=(style.PAGE_WIDTH, 3.6))
    for i, r in enumerate(runs):
        color = style.PALETTE[i % len(style.PALETTE)]
        k = np.arange(r.losses.size)
        ax1.semilogy(k, r.losses, color=color, lw=1.0, label=r.label)
        ax2.semilogy(k, r.grad_norms, color=color, lw=1.0, label=r.label)
        if r.diverged_at is not None and r.losses.size:
            ax1.plot(k[-1], r.losses[-1], "x", color=color, ms=10, mew=2)
        if r.max_norm is not None:
            ax2.axhline(r.max_norm, color=color, ls=":", lw=1.2)
    ax1.axhline(1.0, color="0.5", lw=0.8)
    ax1.set_xlabel("SGD step")
    ax1.set_ylabel("loss / no-memory loss")
    ax1.legend(loc="best")
    ax2.set_xlabel("SGD step")
    ax2.set_ylabel("gradient norm $\\|g\\|$ before clipping")
    return fig


@style.styled
def plot_clipping_ensemble(ens: ClippingEnsemble):
    """The clipping experiment over an ensemble of seeds.

    Left: the loss of every run against the SGD step (log axis), unclipped
    runs in one colour and clipped runs in another; a cross marks the step at
    which a run diverged. Right: each run's peak gradient norm (before
    clipping), one dot per seed, with the clipping threshold dotted; hollow
    dots are runs that diverged.
    """
    if not isinstance(ens, ClippingEnsemble):
        raise ValueError(f"ens must be a ClippingEnsemble, got {type(ens).__name__}")
    fig, (ax1, ax2) = style.figure(1, 2, figsize=(style.PAGE_WIDTH, 3.8),
                                   gridspec_kw={"width_ratios": [1.8, 1]})
    kinds = (("free", "no clipping", style.PALETTE[1]),
             ("clipped", f"clipped at {ens.max_norm:g}", style.PALETTE[0]))
    rng = np.random.default_rng(0)          # horizontal jitter of the dots only
    for x, (which, name, color) in enumerate(kinds):
        runs = ens._runs(which)
        for i, r in enumerate(runs):
            k = np.arange(r.losses.size)
            ax1.semilogy(k, r.losses, color=color, lw=0.8, alpha=0.6,
                         label=f"{name} ({ens.diverged(which)}/{len(runs)} diverged)" if i == 0 else None)
            if r.diverged_at is not None and r.losses.size:
                ax1.plot(k[-1], r.losses[-1], "x", color=color, ms=8, mew=2)
        peaks = ens.peak_gradient_norms(which)
        div = np.array([r.diverged_at is not None for r in runs])
        xs = x + rng.uniform(-0.15, 0.15, size=peaks.size)
        ax2.scatter(xs[~div], peaks[~div], color=color, s=28, zorder=3)
        ax2.scatter(xs[div], peaks[div], facecolors="white", edgecolors=color, s=28,
                    linewidths=1.5, zorder=3)
    ax1.axhline(1.0, color="0.5", lw=0.8)
    ax1.yaxis.set_minor_locator(NullLocator())
    ax1.set_xlabel("SGD step")
    ax1.set_ylabel("loss / no-memory loss")
    ax1.legend(loc="upper right")
    ax2.axhline(ens.max_norm, color=style.PALETTE[0], ls=":", lw=1.2)
    ax2.set_yscale("log")
    ax2.yaxis.set_minor_locator(NullLocator())
    ax2.set_xticks([0, 1], [name for _, name, _ in kinds])
    ax2.set_xlim(-0.5, 1.5)
    ax2.set_ylabel("peak gradient norm $\\|g\\|$ (before clipping)")
    ax2.set_title(f"{len(ens.seeds)} seeds; hollow: diverged", fontsize=10)
    return fig
