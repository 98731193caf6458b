"""The figures of chapter 8, one per remedy."""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from .. import recurrent, style
from .._checks import _check_float
from ._gating import slow_modes
from ._residual import DepthProfile


def _depth_axes(ax, profiles: Mapping[str, DepthProfile]) -> None:
    for name, pr in profiles.items():
        L = pr.grad_norms.size - 1
        ax.semilogy(L - np.arange(L + 1), np.maximum(pr.grad_norms, 1e-300), label=name)
    ax.axhline(1.0, color="0.5", ls=":", lw=1.0)
    ax.set_xlabel("layers back from the output")
    ax.set_ylabel(r"$\|\delta_l\|$ (dimensionless)")


def _sv_axes(ax, profiles: Mapping[str, DepthProfile], floor: float = -40.0) -> None:
    for name, pr in profiles.items():
        ls = pr.log_sv
        ax.plot(np.arange(1, ls.size + 1), np.maximum(ls, floor), ".-", ms=3, label=name)
    ax.axhline(0.0, color="0.5", ls=":", lw=1.0)
    ax.set_xlabel("singular value index $i$")
    ax.set_ylabel(r"$\log \sigma_i$ of $\partial h_L/\partial h_0$ (nats)")


@style.styled
def plot_residual(profiles: Mapping[str, DepthProfile], *, title: str | None = None):
    """Gradient norm through depth (left) and log singular values of the product (right).

    ``profiles`` maps a label to a :func:`depth_profile` result. Log singular
    values below -40 are drawn at -40.
    """
    if not profiles:
        raise ValueError("profiles must map at least one label to a DepthProfile")
    fig, (ax1, ax2) = style.figure(1, 2, figsize=(10.0, 3.8))
    _depth_axes(ax1, profiles)
    ax1.set_title("gradient through depth")
    ax1.legend()
    _sv_axes(ax2, profiles)
    ax2.set_title("singular values of the product (floor at -40)")
    if title:
        fig.suptitle(title)
    return fig


@style.styled
def plot_layer_norm(profiles: Mapping[str, Mapping[float, DepthProfile]]):
    """Gradient norms through depth at several weight gains, without and with layer norm.

    ``profiles`` is the result of :func:`gain_profiles`.
    """
    if not profiles:
        raise ValueError("profiles must be the non-empty result of gain_profiles")
    fig, axes = style.figure(1, len(profiles), figsize=(5.0 * len(profiles), 3.8), squeeze=False)
    for ax, (name, by_gain) in zip(axes[0], profiles.items()):
        _depth_axes(ax, {f"gain {g:g}": pr for g, pr in by_gain.items()})
        ax.set_title(name)
        ax.set_ylim(1e-12, 1e8)
        ax.legend(fontsize=8.5)
    return fig


@style.styled
def plot_cell_lambda(gains: Sequence[float], curves: Mapping[str, np.ndarray]):
    """Largest Lyapunov exponent of a recurrent cell against the weight gain.

    ``curves`` maps a label to the ``(len(gains), k)`` result of :func:`cell_lambda_max`
    (its first column is drawn).
    """
    if not curves:
        raise ValueError("curves must map at least one label to an array of exponents")
    g = np.asarray(gains, dtype=float)
    fig, ax = style.figure(figsize=(6.5, 3.8))
    for name, lam in curves.items():
        lam = np.asarray(lam, dtype=float).reshape(g.size, -1)
        ax.plot(g, lam[:, 0], "o-", label=name)
    ax.axhline(0.0, color="0.4", lw=0.8)
    ax.set_xscale("log", base=2)
    ax.set_xlabel("gain $g$ of the recurrent weights (log scale)")
    ax.set_ylabel(f"$\\lambda_1$ ({style.NATS_PER_STEP})")
    ax.set_title("tanh cell, with and without layer norm")
    ax.legend()
    return fig


@style.styled
def plot_recurrences(spectra: Mapping[str, tuple[np.ndarray, recurrent.SpectrumResult]]):
    """Eigenvalues of each recurrent matrix (left) and the RNN's Lyapunov spectrum (right).

    ``spectra`` is the result of :func:`recurrence_spectra`.
    """
    if not spectra:
        raise ValueError("spectra must map at least one label to (W, SpectrumResult)")
    fig, (ax1, ax2) = style.figure(1, 2, figsize=(10.0, 4.0))
    th = np.linspace(0, 2 * np.pi, 200)
    ax1.plot(np.cos(th), np.sin(th), color="0.5", lw=1.0, ls=":")
    for i, (name, (W, res)) in enumerate(spectra.items()):
        ev = np.linalg.eigvals(W)
        c = style.PALETTE[i % len(style.PALETTE)]
        ax1.plot(ev.real, ev.imag, "o", ms=3.5, color=c, label=name)
        recurrent.draw_spectrum(ax2, res, label=f"{name}: $\\lambda_1$ = {res.mean[0]:+.2f}")
    ax1.set_aspect("equal")
    ax1.set_xlabel("Re (eigenvalue of $W$)")
    ax1.set_ylabel("Im (eigenvalue of $W$)")
    ax1.set_title("where the matrix puts its eigenvalues")
    ax1.legend(fontsize=8.5, loc="upper right")
    ax2.set_title("Lyapunov spectrum of the driven tanh RNN")
    ax2.legend(fontsize=8.5)
    return fig


@style.styled
def plot_gating(spectra: Mapping[str, recurrent.SpectrumResult], *, tol: float = 0.1):
    """Spectra of :func:`gating_spectra` by normalised index, with the band ``|lambda| <= tol``."""
    if not spectra:
        raise ValueError("spectra must map at least one label to a SpectrumResult")
    fig, ax = style.figure(figsize=(7.5, 4.0))
    ax.axhspan(-tol, tol, color="0.85", zorder=0, label=f"slow band $|\\lambda| \\leq {tol:g}$")
    for name, res in spectra.items():
        m = res.mean
        ax.plot(np.arange(1, m.size + 1) / m.size, m, ".-", ms=3,
                label=f"{name} ({slow_modes(m, tol)} slow)")
    ax.axhline(0.0, color="0.4", lw=0.8)
    ax.set_xlabel("normalised index $i / D$")
    ax.set_ylabel(f"$\\lambda_i$ ({style.NATS_PER_STEP})")
    ax.legend(fontsize=8.5, loc="lower left")
    return fig


@style.styled
def plot_compounding(errors: Mapping[str, np.ndarray], lambda_max: float, *,
                     tolerance: float | None = None):
    """Median rollout error against time (log scale) beside the line ``e^{lambda_max t}``.

    ``errors`` maps a label to a ``(T + 1, B)`` array of :func:`rollout_divergence`.
    """
    if not errors:
        raise ValueError("errors must map at least one label to an error array")
    lam = _check_float(lambda_max, "lambda_max", positive=True)
    fig, ax = style.figure(figsize=(7.5, 4.0))
    lows = []
    for name, e in errors.items():
        e = np.asarray(e, dtype=float)
        med = np.median(e, axis=1) if e.ndim == 2 else e
        if med.size < 2:
            raise ValueError(f"errors[{name!r}] must hold at least two time steps")
        t = np.arange(med.size)
        ax.semilogy(t[1:], np.maximum(med[1:], 1e-300), label=f"{name} (median)")
        if e.ndim == 2:
            q = np.percentile(e, [25, 75], axis=1)
            ax.fill_between(t[1:], np.maximum(q[0, 1:], 1e-300), q[1, 1:], alpha=0.2)
        start = med[1] if med[1] > 0 else 1e-300     # t = 0 is often an exact match
        ax.semilogy(t[1:], start * np.exp(lam * (t[1:] - 1)), ":", color="0.3", lw=1.0)
        lows.append(start)
    if tolerance is not None:
        ax.axhline(tolerance, color=style.PALETTE[1], ls="--", lw=1.0, label="tolerance")
    ax.set_ylim(max(min(lows) / 10, 1e-300), 10.0)
    ax.set_xlabel("time step $t$ of the rollout")
    ax.set_ylabel(r"$\|x_t - \hat x_t\|$ (state units)")
    ax.set_title(f"dotted: $\\varepsilon\\, e^{{\\lambda_{{\\max}} t}}$, "
                 f"$\\lambda_{{\\max}}$ = {lam:.2f} nats per step")
    ax.legend(fontsize=8.5, loc="lower right")
    return fig


@style.styled
def plot_forcing(errors: Mapping[str, Sequence[np.ndarray]]):
    """Mean rollout error against horizon for each training mode, one line per seed.

    ``errors`` maps a mode to a list of :func:`rollout_errors` arrays ``(steps, N)``.
    """
    if not errors:
        raise ValueError("errors must map at least one mode to a list of error arrays")
    fig, ax = style.figure(figsize=(7.5, 4.0))
    for i, (mode, runs) in enumerate(errors.items()):
        c = style.PALETTE[i % len(style.PALETTE)]
        for j, e in enumerate(runs):
            e = np.asarray(e, dtype=float)
            ax.plot(np.arange(1, e.shape[0] + 1), e.mean(axis=1), color=c, alpha=0.8,
                    label=mode if j == 0 else None)
    ax.set_xlabel("rollout horizon $t$ (steps)")
    ax.set_ylabel(r"mean $\|\hat x_t - x_t\|$ (state units)")
    ax.set_title("free rollouts of the learned one-step model, one line per seed")
    ax.legend()
    return fig
