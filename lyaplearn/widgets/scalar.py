"""Explorers for chapter 1 (:mod:`lyaplearn.scalar`).

:func:`gd_explorer`
    sliders for the learning rate ``eta`` and the curvature ``a``: the gradient
    descent trajectory on a log scale next to the stability band.
:func:`tower_explorer`
    depth, activation and slope of the scalar tower: the chain-rule factors
    and their running product, the gradient.

Each has a static fallback for the website, :func:`gd_animation` and
:func:`tower_animation`, which sweep one control and return HTML.
"""

from __future__ import annotations

from typing import Any, Sequence

import ipywidgets as W
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from .. import scalar, style
from . import FigureExplorer, sweep_animation

__all__ = [
    "GD_SWEEP",
    "TOWER_SWEEP",
    "draw_gd",
    "draw_tower",
    "gd_explorer",
    "tower_explorer",
    "gd_animation",
    "tower_animation",
    "explorer",
    "animation",
]

#: Default values of ``eta * a`` swept by :func:`gd_animation`: one frame in each
#: behaviour and on each boundary.
GD_SWEEP: tuple[float, ...] = (-0.2, 0.0, 0.5, 1.0, 1.5, 2.0, 2.2)

#: Default depths swept by :func:`tower_animation`.
TOWER_SWEEP: tuple[int, ...] = (1, 5, 10, 15, 20, 30)

_GD_FIGSIZE = (9.0, 3.8)
_TOWER_FIGSIZE = (9.0, 3.8)


def draw_gd(fig: Figure, eta: float, a: float, theta0: float = 1.0,
            steps: int = 30) -> dict[str, Any]:
    """Draw one gradient-descent run and where ``eta`` sits in the stability band.

    Returns ``{"trajectory", "r", "regime", "stable"}``.
    """
    ax_traj, ax_band = fig.subplots(1, 2, width_ratios=[1.25, 1.0])
    theta = scalar.draw_trajectory(ax_traj, eta, a, theta0, steps, color=style.PALETTE[0])
    r = scalar.contraction_factor(eta, a)
    name = scalar.gd_regime(eta, a)
    lo, hi = scalar.stable_learning_rates(a)
    stable = lo < eta < hi
    ax_traj.axhline(abs(theta0), color="0.5", lw=0.8, ls=":")
    finite = np.abs(theta[np.isfinite(theta) & (theta != 0)])
    if finite.size:
        ax_traj.set_ylim(min(1e-6, finite.min() / 3), max(1e3, finite.max() * 3))
    verdict = "converges" if stable else "does not converge"
    ax_traj.set_title(fr"$r=1-\eta a={r:+.3f}$: {name}, {verdict}", fontsize=10.5)
    scalar.draw_stability_band(ax_band, a, eta)
    ax_band.set_title(fr"stable iff $0<\eta<2/a={hi:.3g}$", fontsize=10.5)
    return {"trajectory": theta, "r": r, "regime": name, "stable": stable}


def draw_tower(fig: Figure, depth: int, activation: str, slope: float = 1.5,
               x: float = 1.0, w: float = 0.5) -> dict[str, Any]:
    """Draw the chain-rule factors of a tower and the gradient they multiply to.

    ``slope`` is used only by the linear activation (it is ignored otherwise).
    Returns ``{"factors", "gradients", "gradient"}`` where ``gradients[L]`` is
    the gradient of the tower of depth ``L`` for ``L = 0..depth``.
    """
    s = slope if activation == "linear" else 1.0
    factors = scalar.tower_factors(x, w, depth, activation, s)
    grads = float(x) * np.concatenate([[1.0], np.cumprod(factors)])
    ax_f, ax_g = fig.subplots(1, 2)
    k = np.arange(depth)
    ax_f.bar(k, factors, color=style.PALETTE[0], width=0.8)
    m = scalar.max_derivative(activation, s)
    ax_f.axhline(m, color=style.PALETTE[1], ls="--", lw=1.2,
                 label=fr"$\sup|\sigma'|={m:g}$")
    ax_f.axhline(1.0, color="0.4", ls=":", lw=1.0, label="1 (neither grows nor shrinks)")
    ax_f.set_ylim(0, max(1.6, m * 1.15))
    ax_f.set_xlabel(r"layer $k$")
    ax_f.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax_f.set_xlim(-0.6, max(depth, 2) - 0.4)
    ax_f.set_ylabel(r"factor $\sigma'(z_k)$")
    ax_f.set_title(f"{depth} factor{'' if depth == 1 else 's'}, {activation}"
                   + (f" (slope {s:g})" if activation == "linear" else ""), fontsize=10.5)
    ax_f.legend(loc="upper right", fontsize=8.5)
    depths = np.arange(depth + 1)
    mag = np.abs(grads)
    keep = mag > 0
    ax_g.plot(depths[keep], mag[keep], "o-", ms=3.5, color=style.PALETTE[0],
              label=r"$|x\prod_{k<L}\sigma'(z_k)|$")
    ax_g.plot(depths, abs(float(x)) * m ** depths.astype(float),
              "--", color=style.PALETTE[1], lw=1.2, label=r"bound $|x|\,(\sup|\sigma'|)^L$")
    ax_g.set_yscale("log")
    ax_g.set_xlabel(r"depth $L$ (layers)")
    ax_g.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax_g.set_ylabel(r"$|\partial f_L/\partial w|$ (log scale)")
    ax_g.set_title(fr"$\partial f_{{{depth}}}/\partial w={grads[-1]:.3g}$", fontsize=10.5)
    ax_g.legend(loc="best", fontsize=8.5)
    return {"factors": factors, "gradients": grads, "gradient": float(grads[-1])}


def gd_explorer(eta: float = 0.5, a: float = 1.0) -> FigureExplorer:
    """Sliders for the learning rate and the curvature of gradient descent on
    :math:`\\tfrac12 a\\theta^2`; ``explorer.last`` holds the trajectory, ``r``, the
    regime and whether ``0 < eta < 2/a``."""
    controls = {
        "eta": W.FloatSlider(value=eta, min=-0.3, max=3.0, step=0.01,
                             description="η", continuous_update=False),
        "a": W.FloatSlider(value=a, min=0.25, max=4.0, step=0.05,
                           description="a", continuous_update=False),
    }
    return FigureExplorer(draw_gd, controls, figsize=_GD_FIGSIZE)


def tower_explorer(depth: int = 10, activation: str = "sigmoid",
                   slope: float = 1.5) -> FigureExplorer:
    """Depth slider, activation dropdown and slope slider (linear only) for the
    scalar tower; ``explorer.last`` holds the factors and the gradient."""
    scalar.tower_gradient(1.0, 0.5, depth, activation,
                          slope if activation == "linear" else 1.0)  # validates
    controls = {
        "depth": W.IntSlider(value=depth, min=1, max=40, description="depth L",
                             continuous_update=False),
        "activation": W.Dropdown(options=list(scalar.ACTIVATIONS), value=activation,
                                 description="σ"),
        "slope": W.FloatSlider(value=slope, min=0.5, max=2.0, step=0.05,
                               description="slope", continuous_update=False),
    }
    return FigureExplorer(draw_tower, controls, figsize=_TOWER_FIGSIZE)


def gd_animation(a: float = 1.0, etas: Sequence[float] | None = None, *,
                 alt: str | None = None) -> str:
    """Static fallback for :func:`gd_explorer`: sweep the learning rate.

    By default ``eta * a`` runs over :data:`GD_SWEEP`,
    ``-0.2, 0, 0.5, 1, 1.5, 2, 2.2`` (7 frames, one per entry of
    :data:`lyaplearn.scalar.REGIMES`): growth for ``eta < 0``,
    frozen at 0, monotone shrinking, one step at ``1/a``, oscillating shrinking,
    period two at ``2/a`` and oscillating growth beyond. Returns HTML.
    """
    scalar.stable_learning_rates(a)  # raises ValueError unless a > 0
    a = float(a)
    if etas is None:
        etas = [ea / a for ea in GD_SWEEP]
    if alt is None:
        alt = ("Animation of gradient descent on a parabola, one frame per learning rate: "
               "the iterates of one run against the step on a logarithmic vertical axis, "
               "beside the stability band with the current learning rate marked, going from growth "
               "through shrinking and period two to oscillating growth.")
    return sweep_animation(draw_gd, "eta", list(etas), fixed={"a": a},
                           figsize=_GD_FIGSIZE, alt=alt)


def tower_animation(activation: str = "sigmoid", slope: float = 1.5,
                    depths: Sequence[int] | None = None, *, alt: str | None = None) -> str:
    """Static fallback for :func:`tower_explorer`: sweep the depth (default
    :data:`TOWER_SWEEP`, ``1, 5, 10, 15, 20, 30``) for one activation. Returns HTML."""
    scalar.max_derivative(activation, slope if activation == "linear" else 1.0)  # validates
    if depths is None:
        depths = list(TOWER_SWEEP)
    if alt is None:
        alt = (f"Animation of a scalar tower with the {activation} activation, one frame per "
               "depth: the chain-rule factor of each layer, and the gradient they multiply "
               "to against the depth on a logarithmic vertical axis.")
    return sweep_animation(draw_tower, "depth", list(depths),
                           fixed={"activation": activation, "slope": slope},
                           figsize=_TOWER_FIGSIZE, alt=alt)


#: The chapter's main explorer and its fallback under the names every chapter uses.
explorer = gd_explorer
animation = gd_animation
