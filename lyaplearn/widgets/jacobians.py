"""Explorer for chapter 2: per-layer gradient norms of a random MLP.

Controls: depth, weight gain and activation. The figure shows
:math:`\\lVert\\delta^{(\\ell)}\\rVert` layer by layer on a log axis for a random
Gaussian MLP (weights :math:`\\mathcal{N}(0, g^2/n)`, no biases), next to the
reference :math:`g^{L-\\ell}`, the typical growth of a *linear* network with
the same gain.
"""

from __future__ import annotations

from typing import Any, Sequence

import ipywidgets as W
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import LogLocator, NullLocator

from .. import jacobians as jac
from .. import style
from . import FigureExplorer, sweep_animation

__all__ = ["profile", "draw", "explorer", "animation"]

WIDTH = 64


def profile(depth: int = 20, gain: float = 1.0, activation: str = "tanh",
            width: int = WIDTH, seed: int = 0) -> dict[str, Any]:
    """The numbers behind :func:`draw` (see there), without drawing."""
    if isinstance(depth, bool) or not isinstance(depth, (int, np.integer)) or depth < 1:
        raise ValueError(f"depth must be a positive integer, got {depth!r}")
    rng = np.random.default_rng(seed)
    ws, _ = jac.random_mlp([width] * (depth + 1), gain, seed=rng)
    x = rng.standard_normal(width)
    d = rng.standard_normal(width)
    d /= np.linalg.norm(d)
    js = jac.mlp_jacobians(ws, None, x, activation)
    reference = gain ** (depth - np.arange(depth + 1)).astype(float)
    return {"depth": depth, "gain": gain, "activation": activation,
            "norms": jac.delta_norms(js, d), "jacobian_norms": jac.spectral_norms(js),
            "reference": reference}


def draw(fig: Figure, depth: int = 20, gain: float = 1.0, activation: str = "tanh",
         width: int = WIDTH, seed: int = 0,
         ylim: tuple[float, float] | None = None) -> dict[str, Any]:
    """Draw per-layer gradient norms into ``fig``; return the numbers drawn.

    ``ylim`` fixes the y-range (the animation uses one range for all frames).

    Returns
    -------
    dict
        ``depth``, ``gain``, ``activation``, ``norms`` (:math:`\\lVert\\delta^{(\\ell)}\\rVert`,
        ``l = 0..L``, with :math:`\\lVert\\delta^{(L)}\\rVert = 1`),
        ``jacobian_norms`` (:math:`\\lVert J_\\ell\\rVert_2`) and ``reference``
        (:math:`g^{L-\\ell}`).
    """
    data = profile(depth, gain, activation, width, seed)
    norms, reference = data["norms"], data["reference"]
    layers = np.arange(depth + 1)
    ax = fig.subplots()
    ax.semilogy(layers, np.maximum(norms, np.finfo(float).tiny), "o-", ms=3.5,
                color=style.PALETTE[0], label=f"{activation}, measured")
    ax.semilogy(layers, reference, "--", color=style.PALETTE[1],
                label=rf"linear reference $g^{{L-\ell}}$, $g={gain:.2f}$")
    ax.axhline(1.0, color="0.5", ls=":", lw=1.0)
    ax.set_xlabel(r"layer $\ell$ (0 = input)")
    ax.set_ylabel(jac.DELTA_LABEL)
    ax.set_title(f"random MLP, width {width}, depth {depth}, gain {gain:.2f}, {activation}")
    if ylim is None:
        ylim = _ylim([norms, reference])
    ax.set_ylim(*ylim)
    # few ticks: a log axis over many decades is otherwise slow to lay out
    ax.yaxis.set_major_locator(LogLocator(base=10, numticks=7))
    ax.yaxis.set_minor_locator(NullLocator())
    ax.legend(loc="best")
    return data


def _ylim(curves) -> tuple[float, float]:
    values = np.concatenate([np.asarray(c, dtype=float).ravel() for c in curves])
    values = values[np.isfinite(values) & (values > 0)]
    lo = max(values.min(), 1e-30) if values.size else 1e-3
    hi = values.max() if values.size else 1e3
    return lo / 3, hi * 3


def explorer(depth: int = 20, gain: float = 1.0, activation: str = "tanh") -> FigureExplorer:
    """Sliders for depth and weight gain and a menu of activations."""
    controls = {
        "depth": W.IntSlider(value=depth, min=2, max=60, step=1, description="depth L",
                             continuous_update=False),
        "gain": W.FloatSlider(value=gain, min=0.25, max=4.0, step=0.05, description="gain g",
                              continuous_update=False),
        "activation": W.Dropdown(options=list(jac.ACTIVATIONS), value=activation,
                                 description="activation"),
    }
    return FigureExplorer(draw, controls, figsize=(7.5, 4.0))


def animation(gains: Sequence[float] | None = None, depth: int = 20,
              activation: str = "tanh", *, alt: str | None = None) -> str:
    """Static fallback: the explorer's figure swept over the weight gain (HTML string).

    ``alt`` is the text alternative of the animation's image (read by screen
    readers); the default describes this animation.
    """
    if gains is None:
        gains = np.round(np.geomspace(0.5, 4.0, 8), 2)
    gains = [float(g) for g in gains]
    if not 1 <= len(gains) <= 15:
        raise ValueError(f"gains must hold between 1 and 15 values, got {len(gains)}")
    # one y-range for every frame, so that the frames can be compared by eye
    ylim = _ylim([c for g in gains for c in profile(depth, g, activation).values()
                  if isinstance(c, np.ndarray) and c.size == depth + 1])
    if alt is None:
        alt = (f"Animation of a random {activation} MLP, one frame per weight gain: the "
               "gradient norm at each layer on a logarithmic vertical axis with the same "
               "range in every frame, next to the linear reference.")
    return sweep_animation(draw, "gain", gains,
                           fixed={"depth": depth, "activation": activation, "ylim": ylim},
                           figsize=(7.5, 4.0), alt=alt)
