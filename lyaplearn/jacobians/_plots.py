"""Chapter 2's figures: gradient norms by layer, the product bound, saturation, gains."""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
from numpy.typing import ArrayLike

from .. import style
from ._experiments import gain_sweep, saturation_example
from ._network import (
    ACTIVATIONS,
    _check_delta,
    _check_jacobians,
    delta_norms,
    product_bound,
    spectral_norms,
)

#: y-axis label used for error-signal norms.
DELTA_LABEL = r"$\|\delta^{(\ell)}\| = \|\partial \mathcal{L}/\partial h_\ell\|$"


# ---------------------------------------------------------------------------
# figures
# ---------------------------------------------------------------------------

def _plain_log_ticks(axis) -> None:
    """Label a log axis spanning less than two decades with plain numbers."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 3.0, 5.0)))
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    axis.set_minor_formatter(NullFormatter())


@style.styled
def plot_layer_gradient_norms(norms: Mapping[str, ArrayLike] | ArrayLike, *,
                              title: str | None = None,
                              ylabel: str = DELTA_LABEL,
                              figsize: tuple[float, float] = (6.4, 3.8)):
    """Per-layer gradient norms on a log axis.

    Parameters
    ----------
    norms
        One array of norms indexed by layer ``l = 0, ..., L`` (or ``1, ..., L``
        for weight gradients: pass them with length ``L``, they are plotted at
        ``l = 1..L``), or a mapping label -> such array.
    """
    if not isinstance(norms, Mapping):
        norms = {"": norms}
    if len(norms) == 0:
        raise ValueError("norms must contain at least one curve")
    fig, ax = style.figure(figsize=figsize)
    lengths = set()
    for i, (label, n) in enumerate(norms.items()):
        n = np.asarray(n, dtype=float)
        if n.ndim != 1 or n.size == 0:
            raise ValueError(f"norms[{label!r}] must be a non-empty 1-D array, got shape {n.shape}")
        lengths.add(n.size)
        layers = np.arange(n.size)
        # distinct markers and dashes, so that curves that coincide stay visible
        ax.semilogy(layers, np.maximum(n, np.finfo(float).tiny), label=label or None,
                    marker="osD^v"[i % 5], ms=max(8.0 - 2.5 * i, 3.0),
                    mfc="none" if i == 0 else None, ls=["-", "--", ":", "-."][i % 4],
                    color=style.PALETTE[i % len(style.PALETTE)])
    ax.set_xlabel(r"layer $\ell$ (0 = input)")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if any(label for label in norms):
        ax.legend()
    return fig


@style.styled
def plot_bound_vs_actual(jacobians: Sequence[ArrayLike], delta_L: ArrayLike, *,
                         title: str | None = None):
    """Left: per-layer spectral norms :math:`\\lVert J_\\ell\\rVert_2`. Right: the
    measured :math:`\\lVert\\delta^{(\\ell)}\\rVert` against the product bound."""
    js = _check_jacobians(jacobians)
    d = _check_delta(delta_L, js[-1].shape[0])
    s = spectral_norms(js)
    actual = delta_norms(js, d)
    bound = product_bound(js, float(np.linalg.norm(d)))
    fig, (ax1, ax2) = style.figure(1, 2, figsize=(style.PAGE_WIDTH, 3.6))
    layers = np.arange(1, len(js) + 1)
    ax1.plot(layers, s, "o-", ms=4, label=r"$\|J_\ell\|_2$")
    ax1.axhline(1.0, color="0.4", ls=":", lw=1.2)
    ax1.set_xlabel(r"layer $\ell$")
    ax1.set_ylabel(r"spectral norm $\|J_\ell\|_2$")
    ax1.set_ylim(bottom=0)
    ax1.set_title("per-layer Jacobian norms")
    ell = np.arange(len(js) + 1)
    ax2.semilogy(ell, bound, "s--", ms=3.5, color=style.PALETTE[1],
                 label=r"bound $\prod_{k>\ell}\|J_k\|_2\,\|\delta^{(L)}\|$")
    ax2.semilogy(ell, actual, "o-", ms=3.5, color=style.PALETTE[0],
                 label=r"actual $\|\delta^{(\ell)}\|$")
    ax2.set_xlabel(r"layer $\ell$ (0 = input)")
    ax2.set_ylabel("gradient norm")
    ax2.set_title("bound vs actual")
    ax2.legend(loc="upper right", fontsize=8.5)
    if title:
        fig.suptitle(title)
    return fig


@style.styled
def plot_saturation_example(depth: int = 30, width: int = 64, weight_norm: float = 2.0,
                            shift: float = 3.0, seed: int = 0):
    """The figure of :func:`saturation_example`.

    Left: :math:`\\lVert\\delta^{(\\ell)}\\rVert` per layer (log axis). Right: the
    per-layer factor actually realised, :math:`\\lVert\\delta^{(\\ell-1)}\\rVert /
    \\lVert\\delta^{(\\ell)}\\rVert`, next to :math:`\\lVert W_\\ell\\rVert_2`.
    """
    data = saturation_example(depth, width, weight_norm, shift, seed)
    fig, (ax1, ax2) = style.figure(1, 2, figsize=(style.PAGE_WIDTH, 3.8))
    layers = np.arange(depth + 1)
    for i, (label, d) in enumerate(data.items()):
        name = f"tanh, bias {shift:g}" if label == "tanh, shifted" else label
        c = style.PALETTE[i]
        ax1.semilogy(layers, d["delta_norms"], "o-", ms=3, color=c, label=name)
        ratio = d["delta_norms"][:-1] / d["delta_norms"][1:]
        ax2.semilogy(np.arange(1, depth + 1), ratio, "o-", ms=3, color=c)
    ax2.axhline(weight_norm, color="0.3", ls="--", lw=1.2,
                label=rf"$\|W_\ell\|_2 = {weight_norm:g}$ (colours as on the left)")
    ax2.axhline(1.0, color="0.5", ls=":", lw=1.0)
    _plain_log_ticks(ax2.yaxis)
    ax1.set_xlabel(r"layer $\ell$ (0 = input)")
    ax1.set_ylabel(DELTA_LABEL)
    ax1.set_title(rf"same weights, $\|W_\ell\|_2 = {weight_norm:g}$")
    ax1.legend()
    ax2.set_xlabel(r"layer $\ell$")
    ax2.set_ylabel(r"factor $\|\delta^{(\ell-1)}\| / \|\delta^{(\ell)}\|$")
    ax2.set_title("realised factor per layer")
    ax2.legend(fontsize=8.5, loc="lower right")
    return fig


@style.styled
def plot_gain_sweep(gains: Sequence[float] = tuple(np.geomspace(0.5, 4.0, 15)),
                    activations: Sequence[str] = ACTIVATIONS, depth: int = 20,
                    width: int = 64, seed: int = 0, trials: int = 3):
    """Growth rate per layer (nats per layer) of :math:`\\lVert\\delta\\rVert` against
    the weight gain, one curve per activation (see :func:`gain_sweep`)."""
    rates = gain_sweep(gains, activations, depth, width, seed, trials)
    fig, ax = style.figure(figsize=(6.6, 3.9))
    for i, (a, r) in enumerate(rates.items()):
        ax.semilogx(gains, r, "o-", ms=3.5, color=style.PALETTE[i], label=a)
    ax.axhline(0.0, color="0.4", ls=":", lw=1.2)
    _plain_log_ticks(ax.xaxis)
    ax.set_xlabel("weight gain $g$ (entries $\\sim\\mathcal{N}(0, g^2/n)$)")
    ax.set_ylabel(r"$\frac{1}{L}\log\frac{\|\delta^{(0)}\|}{\|\delta^{(L)}\|}$ (nats per layer)")
    ax.set_title(f"gradient growth rate, depth {depth}, width {width}")
    ax.legend()
    return fig
