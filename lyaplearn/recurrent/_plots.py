"""Chapter 6's figures: spectra, convergence, full state against hidden only, the init sweep."""

from __future__ import annotations

import numpy as np
import torch

from .. import style
from ._result import SpectrumResult


@style.styled
def plot_spectra(results: dict, *, title: str | None = None, figsize=(6.0, 3.8)):
    """Batch-mean spectra (with standard-error bands) of several results, by index."""
    if not results:
        raise ValueError("results must map at least one label to a SpectrumResult")
    fig, ax = style.figure(figsize=figsize)
    units = "nats"
    for label, res in results.items():
        m, se = res.mean, res.stderr
        idx = np.arange(1, m.size + 1)
        ax.plot(idx, m, label=str(label))
        if np.isfinite(se).all():
            ax.fill_between(idx, m - se, m + se, alpha=0.25)
        units = res.units
    ax.axhline(0.0, color="0.4", lw=0.8)
    ax.set_xlabel("exponent index $i$")
    ax.set_ylabel(f"$\\lambda_i$ ({style.unit_label(units)})")
    ax.legend()
    if title:
        ax.set_title(title)
    return fig


def draw_spectrum(ax, result: SpectrumResult, *, label: str | None = None) -> None:
    """Draw the batch-mean spectrum of ``result`` (with its standard error) into ``ax``."""
    m, se = result.mean, result.stderr
    idx = np.arange(1, m.size + 1)
    ax.plot(idx, m, ".-", ms=3, label=label)
    if np.isfinite(se).all():
        ax.fill_between(idx, m - se, m + se, alpha=0.25)
    ax.axhline(0.0, color="0.4", lw=0.8)
    ax.set_xlabel("exponent index $i$")
    ax.set_ylabel(f"$\\lambda_i$ ({style.unit_label(result.units)})")


@style.styled
def plot_convergence(result: SpectrumResult, *, n_show: int = 8, figsize=(6.0, 3.6)):
    """Running estimates of the leading exponents (batch mean) against time."""
    if result.history is None:
        raise ValueError("result must be computed with history=True")
    fig, ax = style.figure(figsize=figsize)
    hist = result.history.detach().to("cpu", torch.float64).mean(1).numpy()
    order = np.argsort(-hist[-1])[:n_show]
    steps = result.history_steps.numpy()
    for j in order:
        ax.plot(steps, hist[:, j], lw=1.2)
    ax.set_xlabel("time step $T$ (after warm-up)")
    ax.set_ylabel(f"running estimate ({style.unit_label(result.units)})")
    ax.set_title(f"leading {len(order)} exponents, batch mean")
    return fig


@style.styled
def plot_full_vs_hidden(full: SpectrumResult, hidden: SpectrumResult, *, figsize=(9.0, 3.6)):
    """Full-state (h, c) spectrum next to the hidden-only (c fixed) one."""
    fig, axes = style.figure(1, 2, figsize=figsize)
    for ax, res, name in ((axes[0], full, "full state $(h, c)$"),
                          (axes[1], hidden, "hidden only ($c$ held fixed)")):
        m = res.mean
        idx = np.arange(1, m.size + 1)
        ax.plot(idx, m, ".-", ms=3)
        ax.axhline(0.0, color="0.4", lw=0.8)
        ax.set_xlabel("exponent index $i$")
        ax.set_ylabel(f"$\\lambda_i$ ({style.unit_label(res.units)})")
        ax.set_title(f"{name}: $\\lambda_1$ = {m[0]:+.3f}")
    return fig


@style.styled
def plot_init_sweep(results: dict, *, title: str | None = None, figsize=(9.0, 3.6)):
    """Spectra against normalised index for several init scales ``p`` (left) and lambda_1(p)."""
    fig, axes = style.figure(1, 2, figsize=figsize)
    if title:
        fig.suptitle(title)
    ps, lmax, se = [], [], []
    for p, res in results.items():
        m = res.mean
        x = np.arange(1, m.size + 1) / m.size
        axes[0].plot(x, m, label=f"p = {p:g}")
        ps.append(float(p))
        lmax.append(m[0])
        se.append(res.stderr[0])
    axes[0].axhline(0.0, color="0.4", lw=0.8)
    axes[0].set_xlabel("normalised index $i / D$")
    axes[0].set_ylabel(f"$\\lambda_i$ ({style.NATS_PER_STEP})")
    axes[0].legend()
    axes[1].errorbar(ps, lmax, yerr=np.nan_to_num(se), marker="o")
    axes[1].axhline(0.0, color="0.4", lw=0.8)
    axes[1].set_xlabel("initialisation scale $p$ (weights ~ U(-p, p))")
    axes[1].set_ylabel(f"$\\lambda_1$ ({style.NATS_PER_STEP})")
    return fig


@style.styled
def plot_frame_conventions(period: dict, closed: dict, gap: dict, *, figsize=(9.6, 3.7)):
    """The two frame conventions: a periodically driven RNN (left) and i.i.d. driving (right).

    ``period`` maps ``"forward"`` and ``"transpose"`` to results computed with
    ``history=True`` on :func:`period3_rnn`; ``closed`` is
    :func:`period_exponents` (dashed lines); ``gap`` is :func:`convention_gap`.
    """
    fig, axes = style.figure(1, 2, figsize=figsize)
    ax = axes[0]
    for (frame, res), colour in zip(period.items(), style.PALETTE):
        hist = res.history.detach().to("cpu", torch.float64)[:, 0].numpy()
        steps = res.history_steps.numpy()
        for j, lam in enumerate(np.sort(hist, axis=1)[:, ::-1].T):
            ax.plot(steps, lam, color=colour, lw=1.3,
                    label=(r"$Q \leftarrow J_t Q$" if frame == "forward"
                           else r"$Q \leftarrow J_t^\top Q$") if j == 0 else None)
        for v in closed[frame]:
            ax.axhline(v, color=colour, ls="--", lw=0.9)
    ax.set_xlabel("time step $T$ (after warm-up)")
    ax.set_ylabel(f"running estimate ({style.NATS_PER_STEP})")
    ax.set_title("period-3 input: dashed = eigenvalues of the period products", fontsize=9)
    ax.legend(fontsize=8)
    ax = axes[1]
    ax.errorbar(gap["T"], gap["gap"], yerr=2 * gap["se"], marker="o", capsize=3)
    ax.axhline(0.0, color="0.4", lw=0.8)
    ax.set_xscale("log")
    ax.set_xticks(gap["T"], [str(int(t)) for t in gap["T"]])
    ax.minorticks_off()
    ax.set_xlabel("time steps $T$ (after warm-up)")
    ax.set_ylabel(r"$\lambda_1^{\mathrm{fwd}} - \lambda_1^{\mathrm{transp}}$"
                  f" ({style.NATS_PER_STEP})")
    ax.set_title("i.i.d. input, random tanh RNN: gap ± 2 s.e.", fontsize=9)
    return fig
