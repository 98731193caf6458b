"""Chapter 9's figures: each measurement drawn beside its mean-field prediction.

Import them from :mod:`lyaplearn.edge`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import matplotlib as mpl
import numpy as np

from .. import lyapunov, style
from .._checks import _check_int
from ..meanfield import critical_gain, critical_sigma_w, rnn_lambda_max

if TYPE_CHECKING:
    from ._measure import MLPGrowth

@style.styled
def plot_phase_diagram(growth: MLPGrowth, *, sigma_b_line=None, figsize=(11.0, 3.8)):
    """Measured gradient growth per layer on the ``(sigma_w, sigma_b)`` plane, with ``chi_1 = 1``.

    Left: the measured rate as colour with the theory's order–chaos line. Right:
    measured rates (gradient norm and top singular value) against ``1/2 ln chi_1``.
    """
    fig, axes = style.figure(1, 2, figsize=figsize)
    rate = growth.grad_rate.mean(axis=-1)
    ax = axes[0]
    if growth.sigma_b.size > 1:
        norm = mpl.colors.TwoSlopeNorm(0.0, vmin=min(float(rate.min()), -1e-3),
                                       vmax=max(float(rate.max()), 1e-3))
        mesh = ax.pcolormesh(growth.sigma_w, growth.sigma_b, rate, cmap="RdBu_r", norm=norm,
                             shading="nearest")
        fig.colorbar(mesh, ax=ax, label="measured growth (nats per layer)")
        sb = np.linspace(growth.sigma_b.min(), growth.sigma_b.max(), 40) if sigma_b_line is None \
            else np.asarray(sigma_b_line)
        ax.plot([critical_sigma_w(b) for b in sb], sb, color="black", lw=2,
                label=r"theory: $\chi_1 = 1$")
        ax.set_ylabel(r"bias scale $\sigma_b$")
        ax.legend(loc="upper left")
    else:
        ax.plot(growth.sigma_w, rate, "o", label="measured")
        ax.plot(growth.sigma_w, growth.theory[0], label="theory")
        ax.set_ylabel("growth (nats per layer)")
    ax.set_xlabel(r"weight scale $\sigma_w$")
    ax.set_title("order (blue) and chaos (red)")
    ax = axes[1]
    th = np.broadcast_to(growth.theory[..., None], growth.grad_rate.shape).ravel()
    ax.plot(th, growth.grad_rate.ravel(), "o", ms=3.5, alpha=0.7, label="gradient norm")
    ax.plot(th, growth.top_sv_rate.ravel(), "s", ms=3.0, alpha=0.6, label="top singular value")
    lo, hi = float(th.min()), float(th.max())
    ax.plot([lo, hi], [lo, hi], color="0.3", lw=1, label="measured = theory")
    ax.set_xlabel(r"theory $\frac{1}{2}\ln\chi_1$ (nats per layer)")
    ax.set_ylabel("measured (nats per layer)")
    ax.set_title(f"width {growth.width}, layers {growth.skip + 1}-{growth.depth}")
    ax.legend()
    return fig


@style.styled
def plot_rnn_lambda(gains, measured: dict, *, sigmas=None, figsize=(6.4, 4.0)):
    """Mean-field ``lambda_max(g)`` for each input strength, with measured points.

    ``measured`` maps ``sigma`` to an array ``(len(gains), seeds)`` of measured
    exponents; the curves are :func:`~lyaplearn.meanfield.rnn_lambda_max` and the dotted verticals
    :func:`~lyaplearn.meanfield.critical_gain`.
    """
    fig, ax = style.figure(figsize=figsize)
    gains = np.asarray(gains, dtype=float)
    sigmas = list(measured) if sigmas is None else list(sigmas)
    grid = np.linspace(max(gains.min(), 0.05), gains.max(), 120)
    for i, s in enumerate(sigmas):
        c = style.PALETTE[i % len(style.PALETTE)]
        ax.plot(grid, [rnn_lambda_max(g, s) for g in grid], color=c,
                label=fr"theory, $\sigma$ = {s:g}")
        if s in measured:
            m = np.asarray(measured[s])
            ax.errorbar(gains, m.mean(axis=1), yerr=m.std(axis=1), fmt="o", color=c, ms=4,
                        capsize=2, label=fr"measured, $\sigma$ = {s:g}")
        ax.axvline(critical_gain(s), color=c, ls=":", lw=1)
    ax.axhline(0.0, color="0.4", lw=0.8)
    ax.set_xlabel("gain $g$")
    ax.set_ylabel(rf"$\lambda_{{\max}}$ ({style.NATS_PER_STEP})")
    ax.legend(ncol=2)
    return fig


@style.styled
def plot_finite_size(results: dict, *, sigma: float = 0.0, figsize=(11.0, 3.8)):
    """From a :func:`load_results` dictionary: ``lambda_max(g)`` per ``N`` and the gap to theory.

    Left: measured ``lambda_max`` (mean over seeds) against ``g`` for each ``N``
    with the mean-field curve. Right: ``|measured - theory|`` against ``N`` for
    the chaotic gains, on log axes, with a ``1/N`` guide.
    """
    lam = results["lambda_max"]
    ns = sorted({n for (s, n, g) in lam if s == sigma})
    gains = sorted({g for (s, n, g) in lam if s == sigma})
    if not ns:
        raise ValueError(f"sigma must be one of the input strengths in results, got {sigma!r}")
    fig, axes = style.figure(1, 2, figsize=figsize)
    grid = np.linspace(min(gains), max(gains), 120)
    axes[0].plot(grid, [rnn_lambda_max(g, sigma) for g in grid], color="black", lw=2,
                 label="mean-field theory")
    for i, n in enumerate(ns):
        m = [lam[(sigma, n, g)].mean() for g in gains]
        axes[0].plot(gains, m, "o-", ms=4, lw=1, color=style.PALETTE[i % 7], label=f"N = {n}")
    axes[0].axhline(0.0, color="0.4", lw=0.8)
    axes[0].set_xlabel("gain $g$")
    axes[0].set_ylabel(rf"$\lambda_{{\max}}$ ({style.NATS_PER_STEP})")
    axes[0].set_title(fr"input $\sigma$ = {sigma:g}")
    axes[0].legend()
    chaotic = [g for g in gains if rnn_lambda_max(g, sigma) > 0.05]
    for i, g in enumerate(chaotic):
        gap = [abs(lam[(sigma, n, g)].mean() - rnn_lambda_max(g, sigma)) for n in ns]
        axes[1].loglog(ns, gap, "o-", ms=4, color=style.PALETTE[i % 7], label=f"g = {g:g}")
    ref = np.array(ns, dtype=float)
    axes[1].loglog(ref, 4.0 / ref, color="0.3", ls="--", lw=1, label="4 / N")
    axes[1].set_xticks(ns, [str(n) for n in ns])
    axes[1].xaxis.set_minor_formatter(mpl.ticker.NullFormatter())
    axes[1].set_xlabel("network size $N$")
    axes[1].set_ylabel(f"|measured − theory| ({style.NATS_PER_STEP})")
    axes[1].legend()
    return fig


@style.styled
def plot_spectrum_collapse(spectra: dict, *, annealed: dict | None = None, figsize=(11.0, 3.8)):
    """Spectra of several sizes against ``i / N`` (left) and Kaplan–Yorke dimension against ``N``.

    ``spectra`` maps ``N`` to a spectrum ``(N,)``; ``annealed`` (optional) maps
    ``N`` to the spectrum of :func:`annealed_spectrum`, drawn dashed.
    """
    fig, axes = style.figure(1, 2, figsize=figsize)
    ns = sorted(spectra)
    for i, n in enumerate(ns):
        lam = np.asarray(spectra[n])
        x = np.arange(1, lam.size + 1) / lam.size
        c = style.PALETTE[i % 7]
        axes[0].plot(x, lam, color=c, label=f"N = {n}")
        if annealed and n in annealed:
            axes[0].plot(x, annealed[n], color=c, ls="--", lw=1.2, label=f"annealed, N = {n}")
    axes[0].axhline(0.0, color="0.4", lw=0.8)
    axes[0].set_xlabel("normalised index $i / N$")
    axes[0].set_ylabel(rf"$\lambda_i$ ({style.NATS_PER_STEP})")
    axes[0].legend()
    dky = [lyapunov.kaplan_yorke_dimension(spectra[n]) for n in ns]
    axes[1].plot(ns, dky, "o-", label="Kaplan–Yorke dimension")
    axes[1].plot(ns, ns, color="0.4", ls="--", lw=1, label="N (every direction)")
    axes[1].set_xlabel("network size $N$")
    axes[1].set_ylabel("dimension")
    axes[1].legend()
    return fig


_MARKERS = ("s", "^", "D", "v", "x")


@style.styled
def plot_gated_edge(ps, lam: dict, *, marks: dict | None = None, curves: dict | None = None,
                    figsize=(6.4, 4.0)):
    """``lambda_max`` against the init scale ``p`` for several architectures.

    ``lam`` maps a label to an array ``(len(ps), seeds)``; ``marks`` optionally
    maps a label to ``(p values, y values)`` drawn as unconnected markers, each
    group with its own marker and colour; ``curves`` maps a label to ``(p values,
    y values)`` drawn as dashed lines (e.g. :func:`~lyaplearn.meanfield.uniform_init_lambda`).
    """
    fig, ax = style.figure(figsize=figsize)
    for i, (name, (x, y)) in enumerate((curves or {}).items()):
        ax.plot(x, y, color=["black", "0.5"][i % 2], lw=1, ls="--", label=name)
    for i, (name, v) in enumerate(lam.items()):
        v = np.asarray(v)
        ax.errorbar(ps, v.mean(axis=1), yerr=v.std(axis=1), marker="o", ms=4, capsize=2,
                    color=style.PALETTE[i % 7], label=name)
    for i, (name, (x, y)) in enumerate((marks or {}).items()):
        ax.plot(x, y, ls="none", marker=_MARKERS[i % len(_MARKERS)], ms=7,
                color=style.PALETTE[(len(lam) + i) % 7], label=name)
    ax.axhline(0.0, color="0.4", lw=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("initialisation scale $p$ (weights ~ U(−p, p))")
    ax.set_ylabel(rf"$\lambda_{{\max}}$ ({style.NATS_PER_STEP})")
    ax.legend()
    return fig


@style.styled
def plot_run_starts(p, lambda_max, loss, *, n: int = 5, state: str = "full",
                    loss_label: str = "best validation loss", figsize=(6.4, 4.0)):
    """Where training runs started: ``lambda_max`` at initialisation against ``p``.

    Every run is a grey dot; the ``n`` runs with the lowest ``loss`` are blue
    circles and the ``n`` with the highest vermillion triangles (e.g. from
    :func:`initial_lambda_max`). ``state`` (``"full"`` or ``"hidden"``) names the
    exponent's convention on the y-axis, ``loss_label`` the loss in the legend. The
    line at zero is the edge; ``p`` is on a linear axis (as chapter 7 samples it).
    """
    p, lam, loss = (np.asarray(v, dtype=float) for v in (p, lambda_max, loss))
    if not p.shape == lam.shape == loss.shape or p.ndim != 1:
        raise ValueError(f"p, lambda_max and loss must be 1-D of equal length, got shapes "
                         f"{p.shape}, {lam.shape} and {loss.shape}")
    if state not in ("full", "hidden"):
        raise ValueError(f"state must be 'full' or 'hidden', got {state!r}")
    n = _check_int(n, "n", 1)
    if 2 * n > p.size:
        raise ValueError(f"n must be at most half the number of runs ({p.size}), got {n}")
    order = np.argsort(loss, kind="stable")
    best, worst = order[:n], order[-n:]
    fig, ax = style.figure(figsize=figsize)
    ax.plot(p, lam, "o", color="0.6", ms=4, label=f"all {p.size} runs")
    ax.plot(p[best], lam[best], "o", color=style.PALETTE[0], ms=8, mfc="none", mew=2,
            label=f"{n} lowest {loss_label}")
    ax.plot(p[worst], lam[worst], "^", color=style.PALETTE[1], ms=8, mfc="none", mew=2,
            label=f"{n} highest {loss_label}")
    ax.axhline(0.0, color="0.4", lw=0.8, label=r"edge, $\lambda_{\max} = 0$")
    ax.set_xlabel("initialisation scale $p$ (weights ~ U(−p, p))")
    ax.set_ylabel(rf"{state}-state $\lambda_{{\max}}$ at initialisation"
                  f"\n({style.NATS_PER_STEP})")
    ax.legend()
    return fig
