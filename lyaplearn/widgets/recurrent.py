"""Explorer for chapter 6: initialisation scale and architecture -> Lyapunov spectrum.

The figure shows the batch-mean spectrum of a freshly initialised network
(weights U(-p, p), hidden size 16, random one-hot inputs), computed with
:func:`lyaplearn.recurrent.lyapunov_spectrum`.
"""

from __future__ import annotations

from typing import Any, Sequence

import ipywidgets as W
import numpy as np

from .. import recurrent
from . import FigureExplorer, sweep_animation

__all__ = ["ARCHITECTURES", "draw", "explorer", "animation"]

#: Dropdown label -> (arch, state convention).
ARCHITECTURES = {
    "LSTM, full state (h, c)": ("lstm", "full"),
    "LSTM, hidden only (c fixed)": ("lstm", "hidden"),
    "GRU": ("gru", "full"),
    "RNN (tanh)": ("rnn_tanh", "full"),
}


def draw(fig, p: float = 1.0, architecture: str = "LSTM, full state (h, c)", *,
         hidden: int = 16, n_symbols: int = 8, batch: int = 4, steps: int = 120,
         seed: int = 0) -> dict[str, Any]:
    """Draw the spectrum for init scale ``p`` and one of :data:`ARCHITECTURES`.

    Returns ``{"p", "architecture", "exponents", "lambda_max"}`` (batch mean).
    """
    if architecture not in ARCHITECTURES:
        raise ValueError(f"architecture must be one of {list(ARCHITECTURES)}, "
                         f"got {architecture!r}")
    arch, state = ARCHITECTURES[architecture]
    m = recurrent.make_rnn(arch, n_symbols, hidden, p, seed=seed)
    X = recurrent.one_hot_inputs(steps, batch, n_symbols, seed=seed + 1)
    res = recurrent.lyapunov_spectrum(m, X, warmup=30, frame_warmup=30, state=state)
    ax = fig.subplots()
    recurrent.draw_spectrum(ax, res)
    lam = res.mean
    ax.set_title(f"{architecture}, p = {p:.2f}: $\\lambda_1$ = {lam[0]:+.3f}, "
                 f"mean {lam.mean():+.3f}")
    ax.set_ylim(min(-3.0, float(np.min(lam)) - 0.1), max(0.6, float(lam[0]) + 0.1))
    return {"p": p, "architecture": architecture, "exponents": lam, "lambda_max": float(lam[0])}


def explorer(p: float = 1.0, architecture: str = "LSTM, full state (h, c)") -> FigureExplorer:
    """Sliders for the init scale ``p`` and a dropdown for the architecture."""
    controls = {
        "p": W.FloatSlider(value=p, min=0.25, max=4.0, step=0.25, description="p",
                           continuous_update=False),
        "architecture": W.Dropdown(options=list(ARCHITECTURES), value=architecture,
                                   description="network"),
    }
    return FigureExplorer(draw, controls, figsize=(7.5, 3.6))


def animation(ps: Sequence[float] = (0.25, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0),
              architecture: str = "LSTM, full state (h, c)", *,
              alt: str | None = None) -> str:
    """Static fallback: the spectrum swept over ``p`` (HTML with embedded frames).

    ``alt`` is the text alternative of the animation's image (read by screen
    readers); the default describes this animation.
    """
    if alt is None:
        alt = (f"Animation of the Lyapunov spectrum of a network ({architecture}) in nats per "
               "step against the exponent index, one frame per initialisation scale p.")
    return sweep_animation(draw, "p", list(ps), fixed={"architecture": architecture},
                           figsize=(7.5, 3.6), alt=alt)
