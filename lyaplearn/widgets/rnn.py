"""Explorer for chapter 4: spectral radius, non-normality and gradients through time.

Controls: the spectral radius :math:`\\rho`, the kind of recurrent matrix
(normal, non-normal, Gaussian; see :func:`lyaplearn.rnn.init_recurrent`) and
the activation. Left panel: :math:`\\lVert W^t\\rVert_2` against
:math:`\\rho^t`. Right panel: the largest factor by which a gradient can grow
when it is sent :math:`k` steps back through an RNN with that :math:`W`,
driven by random inputs (:func:`lyaplearn.rnn.lag_profile`).
"""

from __future__ import annotations

from typing import Any, Sequence

import ipywidgets as W
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import NullLocator

from .. import rnn
from .. import style
from .._deprecated import _renamed_keyword
from . import FigureExplorer, sweep_animation

__all__ = ["draw", "explorer", "animation"]

HIDDEN = 32
STEPS = 60

# nonlinearity= is the old name of activation=, as in lyaplearn.rnn (lyaplearn/_deprecated.py)
_renamed_activation = _renamed_keyword("nonlinearity", "activation", "lyaplearn.widgets.rnn")


@_renamed_activation
def draw(fig: Figure, rho: float = 0.9, kind: str = "nonnormal", activation: str = "tanh",
         steps: int = STEPS, hidden: int = HIDDEN, seed: int = 0) -> dict[str, Any]:
    """Draw ``||W^t||`` and the gradient-through-time curve into ``fig``.

    Returns
    -------
    dict
        ``rho``, ``kind``, ``activation``, ``spectral_radius`` (of the matrix
        drawn), ``power_norms`` (``||W^t||_2``, ``t = 0..steps``),
        ``rho_powers`` (``rho^t``) and ``gradient`` (the worst-case gradient
        growth ``||dh_T/dh_{T-k}||_2``, ``k = 0..steps``).
    """
    Wm = rnn.init_recurrent(hidden, rho, kind, np.random.default_rng(seed))
    pn = rnn.power_norms(Wm, steps)
    t = np.arange(steps + 1)
    rho_powers = float(rho) ** t
    grad = rnn.lag_profile(Wm, steps, activation=activation, seed=seed)
    ax1, ax2 = fig.subplots(1, 2)
    ax1.semilogy(t, pn, color=style.PALETTE[0], label=r"$\|W^t\|_2$")
    ax1.semilogy(t, rho_powers, "--", color=style.PALETTE[1], label=r"$\rho^t$")
    ax1.axhline(1.0, color="0.5", ls=":", lw=1.0)
    ax1.set_xlabel("power t (time steps)")
    ax1.set_ylabel("norm (dimensionless)")
    ax1.set_title(f"{kind} W, n = {hidden}, " + r"$\rho$" + f" = {rho:.2f}")
    ax1.legend(loc="best")
    tiny = np.finfo(float).tiny
    ax2.semilogy(t, np.maximum(grad, tiny), color=style.PALETTE[2],
                 label=f"{activation} RNN, random inputs")
    ax2.semilogy(t, pn, ":", color=style.PALETTE[0], lw=1.2, label=r"linear RNN: $\|W^k\|_2$")
    ax2.axhline(1.0, color="0.5", ls=":", lw=1.0)
    ax2.set_xlabel("time lag k (steps back from the loss)")
    ax2.set_ylabel(r"$\|\partial h_T/\partial h_{T-k}\|_2$ (dimensionless)")
    ax2.set_title("gradient growth through time")
    ax2.legend(loc="best")
    for ax in (ax1, ax2):
        lo, hi = ax.get_ylim()
        ax.set_ylim(max(lo, 1e-12), min(hi, 1e12))
        # minor ticks on log axes spanning many decades triple the rendering time
        ax.yaxis.set_minor_locator(NullLocator())
    return {"rho": float(rho), "kind": kind, "activation": activation,
            "spectral_radius": rnn.spectral_radius(Wm), "power_norms": pn,
            "rho_powers": rho_powers, "gradient": grad}


@_renamed_activation
def explorer(rho: float = 0.9, kind: str = "nonnormal",
             activation: str = "tanh") -> FigureExplorer:
    """A slider for the spectral radius and menus for the kind of matrix and activation."""
    controls = {
        "rho": W.FloatSlider(value=rho, min=0.5, max=1.5, step=0.02, description="rho",
                             continuous_update=False),
        "kind": W.Dropdown(options=list(rnn.KINDS), value=kind, description="W"),
        "activation": W.Dropdown(options=list(rnn.ACTIVATIONS), value=activation,
                                 description="phi"),
    }
    return FigureExplorer(draw, controls, figsize=(10.0, 4.0))


@_renamed_activation
def animation(rhos: Sequence[float] | None = None, kind: str = "nonnormal",
              activation: str = "tanh", *, alt: str | None = None) -> str:
    """Static fallback: the explorer's figure swept over the spectral radius (HTML string).

    ``alt`` is the text alternative of the animation's image (read by screen
    readers); the default describes this animation.
    """
    if rhos is None:
        rhos = [0.6, 0.8, 0.9, 0.95, 1.0, 1.1, 1.2]
    rhos = [float(r) for r in rhos]
    if not 1 <= len(rhos) <= 15:
        raise ValueError(f"rhos must hold between 1 and 15 values, got {len(rhos)}")
    if alt is None:
        alt = (f"Animation for a {kind} recurrent matrix, one frame per spectral radius: the "
               "norm of its powers against the power t, and the worst-case gradient through a "
               f"{activation} RNN against the time lag on a logarithmic vertical axis.")
    return sweep_animation(draw, "rho", rhos, fixed={"kind": kind, "activation": activation},
                           figsize=(10.0, 4.0), alt=alt)
