"""Explorer for chapter 3: the singular values of a deep network's Jacobian.

Controls: depth, initialiser, weight gain and activation. The figure is a
histogram of the singular values of the input-output Jacobian
``J_L ... J_1`` of a random square network (one fixed seed), on a logarithmic
axis, computed with :func:`lyaplearn.conditioning.product_log_singular_values`
so deep products neither overflow nor lose their small singular values.
Dynamical isometry is the histogram collapsing onto the line at 1.
"""

from __future__ import annotations

from typing import Any, Sequence

import ipywidgets as W
import numpy as np
from matplotlib.figure import Figure

from .. import conditioning as cond
from .. import style
from . import FigureExplorer, sweep_animation

__all__ = ["draw", "explorer", "animation", "WIDTH", "LOG10_RANGE"]

#: Width of the random networks.
WIDTH = 48

#: Range of log10(singular value) shown; values outside are counted in the title.
LOG10_RANGE = (-4.0, 4.0)


_SUP = str.maketrans("-0123456789", "\u207b\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079")


def _pow10(t: int) -> str:
    """``10`` with a Unicode superscript exponent (cheaper to render than mathtext)."""
    return "10" + str(int(t)).translate(_SUP)


def draw(fig: Figure, depth: int = 16, kind: str = "orthogonal", gain: float = 1.0,
         activation: str = "tanh", width: int = WIDTH, input_std: float = 1.0,
         seed: int = 0) -> dict[str, Any]:
    """Draw the singular-value histogram into ``fig``; return the numbers drawn.

    Returns
    -------
    dict
        ``depth``, ``kind``, ``gain``, ``activation``, ``log_sv`` (natural logs
        of the singular values, largest first), ``log10_condition``
        (``log10 sigma_1/sigma_n``) and ``outside`` (how many values fall
        outside :data:`LOG10_RANGE`).
    """
    log_sv = cond.jacobian_log_singular_values(depth, width, kind, gain, activation,
                                               input_std=input_std, rng=seed)
    l10 = log_sv / np.log(10.0)
    lo, hi = LOG10_RANGE
    finite = l10[np.isfinite(l10)]
    inside = finite[(finite >= lo) & (finite <= hi)]
    outside = int(l10.size - inside.size)
    ax = fig.subplots()
    ax.hist(inside, bins=np.linspace(lo, hi, 65), color=style.PALETTE[0],
            weights=np.full(inside.size, 1.0 / l10.size))
    ax.axvline(0.0, color=style.PALETTE[1], ls="--", lw=1.2, label="σ = 1 (isometry)")
    ax.set_xlim(lo, hi)
    ticks = np.arange(int(lo), int(hi) + 1)
    ax.set_xticks(ticks)
    ax.set_xticklabels([_pow10(t) for t in ticks])
    ax.set_xlabel("singular value σ of the Jacobian J_L ⋯ J_1 (log scale)")
    ax.set_ylabel("fraction of singular values")
    log10_kappa = float((log_sv[0] - log_sv[-1]) / np.log(10.0))
    extra = f", {outside} off the axis" if outside else ""
    ax.set_title(f"{kind}, gain {gain:.2f}, {activation}, depth {depth}: "
                 f"log₁₀ κ = {log10_kappa:.1f}{extra}", fontsize=10.5)
    ax.legend(loc="upper left")
    return {"depth": depth, "kind": kind, "gain": gain, "activation": activation,
            "log_sv": log_sv, "log10_condition": log10_kappa, "outside": outside}


def explorer(depth: int = 16, kind: str = "orthogonal", gain: float = 1.0,
             activation: str = "tanh") -> FigureExplorer:
    """Sliders for depth and gain, menus for initialiser and activation."""
    controls = {
        "depth": W.IntSlider(value=depth, min=1, max=64, step=1, description="depth L",
                             continuous_update=False),
        "kind": W.Dropdown(options=list(cond.INITIALISERS), value=kind,
                           description="init"),
        "gain": W.FloatSlider(value=gain, min=0.5, max=2.0, step=0.05, description="gain",
                              continuous_update=False),
        "activation": W.Dropdown(options=list(cond.ACTIVATIONS), value=activation,
                                 description="activation"),
    }
    return FigureExplorer(draw, controls, figsize=(7.5, 4.0))


def animation(depths: Sequence[int] | None = None, kind: str = "lecun", gain: float = 1.0,
              activation: str = "tanh", *, alt: str | None = None) -> str:
    """Static fallback: the explorer's histogram swept over depth (HTML string).

    ``alt`` is the text alternative of the animation's image (read by screen
    readers); the default describes this animation.
    """
    if depths is None:
        depths = [1, 3, 8, 16, 32, 64]
    depths = list(depths)
    if not 1 <= len(depths) <= 15:
        raise ValueError(f"depths must hold between 1 and 15 values, got {len(depths)}")
    if alt is None:
        alt = (f"Animation of the histogram of the singular values of a random {activation} "
               "network's input-output Jacobian on a logarithmic axis, one frame per "
               "depth, showing how the singular values spread as the network gets deeper.")
    return sweep_animation(draw, "depth", depths,
                           fixed={"kind": kind, "gain": gain, "activation": activation},
                           figsize=(7.5, 4.0), alt=alt)
