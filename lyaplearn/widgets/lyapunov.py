"""Explorer for chapter 5: gain and input strength of a random tanh RNN -> spectrum and regime.

The network is ``h_t = tanh(g W h_{t-1} + x_t)`` with a fixed Haar-orthogonal
``W`` and Gaussian input ``x_t`` of standard deviation ``input_std``. Moving a
slider recomputes the Lyapunov spectrum (QR algorithm,
:func:`lyaplearn.lyapunov.rnn_spectrum`) and redraws

* left: the activity of one unit from several initial states under one input
  sequence (do the trajectories merge or not?);
* right: the spectrum with standard-error bars, coloured by regime.
"""

from __future__ import annotations

import ipywidgets as W
import numpy as np

from .. import lyapunov, maps, style
from .._checks import _check_float
from . import FigureExplorer, sweep_animation

__all__ = ["draw", "explorer", "animation"]


def draw(fig, gain: float = 1.8, input_std: float = 0.77, *, n: int = 32, steps: int = 150,
         warmup: int = 100, seed: int = 0) -> dict:
    """Draw the regime panel into ``fig``; return the numbers shown.

    Returns
    -------
    dict
        ``lambda_max``, ``regime``, ``spectrum`` (mean, nats per step),
        ``stderr`` and ``mean_exponent``.
    """
    gain = _check_float(gain, "gain", nonneg=True)
    input_std = _check_float(input_std, "input_std", nonneg=True)
    rng = np.random.default_rng(seed)
    Wrec = maps.random_orthogonal(n, rng=rng)
    rnn = maps.TanhRNN(Wrec, gain=gain, input_std=input_std)
    ens = lyapunov.rnn_spectrum(rnn, steps=steps, trajectories=4, warmup=warmup, seed=seed + 1)
    name = lyapunov.regime(ens.largest)
    color = lyapunov.REGIME_COLORS[name]

    ax1, ax2 = fig.subplots(1, 2)
    h0 = rng.standard_normal((6, n))
    x = rnn.inputs(60, seed=seed + 2)
    traj = rnn.run(h0, np.broadcast_to(x[:, None, :], (60, 6, n)))
    ax1.plot(np.arange(1, 61), traj[:, :, 0], color=color, lw=1.0, alpha=0.8)
    ax1.set_ylim(-1.05, 1.05)
    ax1.set_xlabel("step t")
    ax1.set_ylabel("activation $h_{t,1}$")
    ax1.set_title("6 initial states, one input sequence")

    idx = np.arange(1, n + 1)
    ax2.errorbar(idx, ens.mean, yerr=ens.stderr, fmt="o-", ms=3, color=color)
    ax2.axhline(0, color="0.3", lw=0.8)
    ax2.set_ylim(min(-1.5, ens.mean[-1] - 0.2), max(0.6, ens.mean[0] + 0.1))
    ax2.set_xlabel("index i")
    ax2.set_ylabel(f"$\\lambda_i$ ({style.NATS_PER_STEP})")
    ax2.set_title(f"g = {gain:.2f}, $\\sigma_x$ = {input_std:.2f}: {name}, "
                  f"$\\lambda_{{max}}$ = {ens.largest:+.3f}")
    return {"lambda_max": ens.largest, "regime": name, "spectrum": ens.mean,
            "stderr": ens.stderr, "mean_exponent": ens.mean_exponent}


def explorer(gain: float = 1.8, input_std: float = 0.77) -> FigureExplorer:
    """Sliders for the gain ``g`` and the input standard deviation ``sigma_x``."""
    controls = {
        "gain": W.FloatSlider(value=gain, min=0.2, max=4.0, step=0.05, description="gain g",
                              continuous_update=False),
        "input_std": W.FloatSlider(value=input_std, min=0.0, max=1.5, step=0.05,
                                   description="input σ_x", continuous_update=False),
    }
    return FigureExplorer(draw, controls, figsize=(10, 3.8))


def animation(input_std: float = 0.77, gains=None, *, alt: str | None = None) -> str:
    """Static fallback: the gain swept from stable to chaotic (HTML with embedded frames).

    ``alt`` is the text alternative of the animation's image (read by screen
    readers); the default describes this animation.
    """
    if gains is None:
        gains = np.round(np.linspace(0.4, 4.0, 9), 2)
    if alt is None:
        alt = ("Animation of a driven tanh RNN, one frame per gain, from stable to chaotic: "
               "one unit's activation against the step from several initial states, and the "
               "Lyapunov spectrum in nats per step against the exponent index.")
    return sweep_animation(draw, "gain", list(gains),
                           fixed={"input_std": input_std, "steps": 100, "warmup": 60},
                           figsize=(10, 3.8), alt=alt)
