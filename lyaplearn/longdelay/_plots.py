"""The figures of chapter 10."""

from __future__ import annotations

import numpy as np
from matplotlib.ticker import NullLocator

from .. import style
from ._train import CONDITIONS

COLORS = {"plain": style.PALETTE[0], "floss_before": style.PALETTE[1],
          "floss_during": style.PALETTE[2], "orthogonal": style.PALETTE[3]}
NAME_COLORS = {"plain": COLORS["plain"], "flossed": COLORS["floss_before"],
               "orthogonal": COLORS["orthogonal"]}
LABELS = {"plain": "plain", "floss_before": "flossing before", "floss_during":
          "flossing during", "orthogonal": "orthogonal init"}


@style.styled
def plot_success(rates: dict, *, title: str | None = None, ax=None, legend: bool = True):
    """Success rate against delay with Wilson intervals, one curve per condition.

    ``rates`` is :func:`rates_by_delay`'s ``{condition: (delays, [Rate, ...])}``. The
    conditions are drawn side by side, each shifted by a factor ``1 + 0.09 (i - 1.5)`` in
    delay; the axis is ticked at the measured delays, and a dotted line marks a rate of 0.5.
    """
    if ax is None:
        fig, ax = style.figure(figsize=(style.PAGE_WIDTH / 2, 3.2))
    else:
        fig = ax.figure
    for i, cond in enumerate(c for c in CONDITIONS if c in rates):
        delays, rs = rates[cond]
        d = np.asarray(delays, float) * (1 + 0.09 * (i - 1.5))   # side by side
        p = np.array([r.rate for r in rs])
        err = np.array([[r.rate - r.lo for r in rs], [r.hi - r.rate for r in rs]])
        ax.errorbar(d, p, yerr=err, marker="o", ms=4, capsize=2, lw=1.2, elinewidth=0.8,
                    label=LABELS[cond], color=COLORS[cond])
    ax.set_xscale("log")
    ticks = sorted({d for ds, _ in rates.values() for d in ds})
    ax.set_xticks(ticks, [str(d) for d in ticks])
    ax.xaxis.set_minor_locator(NullLocator())
    ax.axhline(0.5, color="k", ls=":", lw=0.8)
    ax.set_xlabel("delay (steps; conditions shifted sideways)")
    ax.set_ylabel("success rate")
    ax.set_ylim(-0.05, 1.05)
    if title:
        ax.set_title(title)
    if legend:
        ax.legend(fontsize=7, loc="lower left")
    return fig


@style.styled
def plot_spectra(spectra: dict):
    """Lyapunov spectra (left) before and after flossing, and of the orthogonal network.

    ``spectra`` is the ``"spectra"`` part of the results file: ``{seed: {name: {...}}}``.
    """
    fig, ax = style.figure(figsize=(style.PAGE_WIDTH / 1.4, 3.2))
    names = {"plain": "default init", "flossed": "after flossing", "orthogonal":
             "orthogonal init"}
    for name in names:
        for j, rec in enumerate(spectra.values()):
            lam = np.asarray(rec[name]["spectrum"])
            ax.plot(np.arange(1, lam.size + 1), lam, color=NAME_COLORS[name], alpha=0.8,
                    label=names[name] if j == 0 else None)
    ax.axhline(0.0, color="k", lw=0.8)
    ax.set_xlabel("index $i$")
    ax.set_ylabel(rf"$\lambda_i$ ({style.NATS_PER_STEP})")
    ax.legend(fontsize=8)
    return fig


@style.styled
def plot_jacobian(spectra: dict, k: int):
    """Singular-value rates ``(1/T) ln sigma_i`` of the long-term Jacobian, before and after."""
    fig, ax = style.figure(figsize=(style.PAGE_WIDTH / 1.4, 3.2))
    names = {"plain": "default init", "flossed": "after flossing", "orthogonal":
             "orthogonal init"}
    for name in names:
        for j, rec in enumerate(spectra.values()):
            r = np.asarray(rec[name]["rates"])
            ax.plot(np.arange(1, r.size + 1), r, color=NAME_COLORS[name], alpha=0.8,
                    marker=".", label=names[name] if j == 0 else None)
    ax.axvline(k, color="k", ls=":", lw=0.8)
    ax.axhline(0.0, color="k", lw=0.8)
    T = next(iter(spectra.values()))["plain"]["horizon"]
    ax.set_xlabel("index $i$ (dotted: $k$ flossed)")
    ax.set_ylabel(rf"$\frac{{1}}{{{T}}}\ln\sigma_i(P_{{{T}}})$ ({style.NATS_PER_STEP})")
    ax.legend(fontsize=8)
    return fig


@style.styled
def plot_costs(costs: dict):
    """Milliseconds of a training step and a flossing step at each delay, side by side (left),
    and their ratio with whiskers from the smallest to the largest repetition (right)."""
    fig, (ax, ax_r) = style.figure(1, 2, figsize=(style.PAGE_WIDTH, 3.0))
    delays = sorted(costs, key=int)
    ratio = np.array([costs[d]["ratio"] for d in delays])
    lo = ratio - np.array([min(costs[d]["ratios"]) for d in delays])
    hi = np.array([max(costs[d]["ratios"]) for d in delays]) - ratio
    ax_r.errorbar(np.arange(len(delays)), ratio, yerr=[lo, hi], fmt="o", capsize=3,
                  color=style.PALETTE[1])
    ax_r.set_xticks(np.arange(len(delays)), [str(d) for d in delays])
    ax_r.set_xlim(-0.5, len(delays) - 0.5)
    ax_r.set_ylim(bottom=0)
    ax_r.set_xlabel("delay (steps)")
    ax_r.set_ylabel("flossing step / training step")
    x = np.arange(len(delays))
    ax.bar(x - 0.2, [1e3 * costs[d]["train"] for d in delays], 0.4, label="training step",
           color=style.PALETTE[0])
    ax.bar(x + 0.2, [1e3 * costs[d]["floss"] for d in delays], 0.4, label="flossing step",
           color=style.PALETTE[1])
    ax.set_xticks(x, [str(d) for d in delays])
    ax.set_xlabel("delay (steps)")
    ax.set_ylabel("milliseconds per step")
    ax.legend(fontsize=8)
    return fig


@style.styled
def plot_success_tasks(res: dict):
    """Success rate against delay for both tasks of a results file, side by side."""
    from ._experiment import rates_by_delay

    tasks = [t for t in ("copy", "xor") if any(r["task"] == t for r in res["runs"].values())]
    if not tasks:
        raise ValueError("res holds no runs")
    fig, axes = style.figure(1, len(tasks), figsize=(style.PAGE_WIDTH, 3.2), squeeze=False)
    for ax, task in zip(axes[0], tasks):
        plot_success(rates_by_delay(res, task), ax=ax, legend=False,
                     title="delayed copy" if task == "copy" else "delayed XOR")
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=len(labels), fontsize=8)
    return fig
