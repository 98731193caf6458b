"""Explorer for chapter 8: how much of the skip a deep network needs.

Controls: the scale ``alpha`` of the residual branch in
``h_l = h_{l-1} + alpha * tanh(W_l h_{l-1})``, the gain of the Gaussian
(LeCun) weights and the depth. Left panel: the norm of a unit error signal
sent back through the plain network ``h_l = tanh(W_l h_{l-1})`` and through
the residual one with the same weights (:func:`lyaplearn.remedies.depth_profile`).
Right panel: the log singular values of both input-output Jacobians
(:func:`lyaplearn.conditioning.product_log_singular_values`). ``alpha = 0`` is
the identity network; ``alpha`` near ``1/sqrt(depth)`` keeps every singular
value of the product within a factor of a few of one.
"""

from __future__ import annotations

import functools
from typing import Any, Sequence

import ipywidgets as W
from matplotlib.figure import Figure
from matplotlib.ticker import NullLocator

from .. import remedies
from ..remedies._plots import _depth_axes, _sv_axes
from . import FigureExplorer, sweep_animation

__all__ = ["WIDTH", "draw", "explorer", "animation"]

#: Width of the random networks.
WIDTH = 32


@functools.lru_cache(maxsize=32)
def _plain(depth: int, width: int, gain: float, seed: int) -> remedies.DepthProfile:
    """The plain network does not depend on ``alpha``: compute it once per setting."""
    return remedies.depth_profile(depth, width, gain, seed=seed)


def draw(fig: Figure, alpha: float = 0.1, gain: float = 1.0, depth: int = 100, *,
         width: int = WIDTH, seed: int = 0) -> dict[str, Any]:
    """Draw plain against residual (branch scale ``alpha``) into ``fig``.

    Returns
    -------
    dict
        ``alpha``, ``gain``, ``depth`` and, for ``"plain"`` and ``"residual"``,
        the ``DepthProfile`` drawn (see :func:`lyaplearn.remedies.depth_profile`).
    """
    alpha = float(alpha)
    if not 0.0 <= alpha <= 10.0:
        raise ValueError(f"alpha must lie in [0, 10], got {alpha!r}")
    plain = _plain(int(depth), int(width), float(gain), int(seed))
    res = remedies.depth_profile(depth, width, gain, alpha=alpha, seed=seed)
    ax1, ax2 = fig.subplots(1, 2)
    profiles = {"plain": plain, f"residual, alpha = {alpha:.2f}": res}
    _depth_axes(ax1, profiles)
    ax1.set_ylim(1e-12, 1e12)
    ax1.yaxis.set_minor_locator(NullLocator())
    ax1.set_title(f"gradient through depth, gain {gain:.2f}", fontsize=10.5)
    ax1.legend(loc="lower left", fontsize=8.5)
    _sv_axes(ax2, profiles)
    ax2.set_ylim(-42.0, 22.0)
    ax2.set_title(f"log singular values, depth {depth}", fontsize=10.5)
    return {"alpha": alpha, "gain": float(gain), "depth": int(depth),
            "plain": plain, "residual": res}


def explorer(alpha: float = 0.1, gain: float = 1.0, depth: int = 100) -> FigureExplorer:
    """Sliders for the branch scale, the weight gain and the depth."""
    controls = {
        "alpha": W.FloatSlider(value=alpha, min=0.0, max=1.0, step=0.02, description="alpha",
                               continuous_update=False),
        "gain": W.FloatSlider(value=gain, min=0.5, max=2.0, step=0.05, description="gain",
                              continuous_update=False),
        "depth": W.IntSlider(value=depth, min=5, max=200, step=5, description="depth L",
                             continuous_update=False),
    }
    return FigureExplorer(draw, controls, figsize=(10.0, 3.8))


def animation(alphas: Sequence[float] | None = None, gain: float = 1.0,
              depth: int = 100, *, alt: str | None = None) -> str:
    """Static fallback: the explorer's figure swept over ``alpha`` (HTML string).

    ``alt`` is the text alternative of the animation's image (read by screen
    readers); the default describes this animation.
    """
    if alphas is None:
        alphas = [0.0, 0.05, 0.13, 0.3, 1.0]
    alphas = [float(a) for a in alphas]
    if not 1 <= len(alphas) <= 15:
        raise ValueError(f"alphas must hold between 1 and 15 values, got {len(alphas)}")
    if alt is None:
        alt = ("Animation comparing a plain deep network with a residual one, one frame per "
               "branch scale alpha: the gradient norm against depth on a logarithmic "
               "vertical axis, and the log singular values of the input-output Jacobian.")
    return sweep_animation(draw, "alpha", alphas, fixed={"gain": gain, "depth": depth},
                           figsize=(10.0, 3.8), alt=alt)
