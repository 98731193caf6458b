"""Chapter 3's figures: the unit circle, directional gains, singular values against depth."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .. import style
from .._checks import _check_int
from ._checks import _as_matrix, _check_activation, _check_init, _rng
from ._networks import (
    backward_norms,
    condition_vs_depth,
    jacobian_log_singular_values,
    log_singular_values_vs_depth,
)
from ._products import _LN10

# ---------------------------------------------------------------------------
# figures
# ---------------------------------------------------------------------------

_INIT_LABEL = {"lecun": "LeCun Gaussian", "xavier": "Xavier Gaussian",
               "he": "He Gaussian", "orthogonal": "orthogonal"}


@style.styled
def plot_unit_circle(M, *, n_points: int = 200):
    """What a 2x2 matrix does to the unit circle.

    Left: the unit circle with the right singular vectors ``v_1, v_2``. Right:
    its image, an ellipse with semi-axes ``sigma_1 u_1`` and ``sigma_2 u_2``.
    """
    A = _as_matrix(M)
    if A.shape != (2, 2):
        raise ValueError(f"M must be a 2x2 matrix, got shape {A.shape}")
    U, s, Vt = np.linalg.svd(A)
    t = np.linspace(0.0, 2.0 * np.pi, n_points)
    circle = np.stack([np.cos(t), np.sin(t)])
    image = A @ circle
    fig, axes = style.figure(1, 2, figsize=(style.PAGE_WIDTH, 3.6))
    lim = max(1.0, float(s[0])) * 1.5
    for ax in axes:
        ax.set_aspect("equal")
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-lim, lim)
        ax.axhline(0, color="0.6", lw=0.8)
        ax.axvline(0, color="0.6", lw=0.8)
    ax0, ax1 = axes
    ax0.plot(circle[0], circle[1], color=style.PALETTE[0])
    ax1.plot(image[0], image[1], color=style.PALETTE[0])
    for i, c in enumerate((style.PALETTE[1], style.PALETTE[2])):
        v = Vt[i]
        u = s[i] * U[:, i]
        ax0.annotate("", xy=v, xytext=(0, 0),
                     arrowprops=dict(arrowstyle="->", color=c, lw=2))
        ax0.text(*(1.2 * v), f"$v_{i + 1}$", color=c, ha="center", va="center")
        ax1.annotate("", xy=u, xytext=(0, 0),
                     arrowprops=dict(arrowstyle="->", color=c, lw=2))
        tip = u + 0.15 * lim * u / max(np.linalg.norm(u), 1e-12)
        ax1.text(*tip, rf"$\sigma_{i + 1} u_{i + 1}$", color=c, ha="center", va="center",
                 bbox=dict(facecolor="white", edgecolor="none", alpha=0.8, pad=1))
    ax0.set_title("unit circle (input)\n")
    ax1.set_title(rf"its image: $\sigma_1$ = {s[0]:.2g}, $\sigma_2$ = {s[1]:.2g}"
                  "\n" rf"condition number $\kappa$ = {s[0] / s[1]:.3g}"
                  if s[1] > 0 else "its image: singular matrix")
    for ax in axes:
        ax.set_xlabel("first coordinate (dimensionless)")
        ax.set_ylabel("second coordinate (dimensionless)")
    return fig


@style.styled
def plot_directional_gain(jacobians, *, n_random: int = 3, rng=0):
    """Backpropagated error norms along the top and bottom singular directions.

    The product ``P = J_L ... J_1`` (formed explicitly: keep the depth
    moderate) has left singular vectors ``u_1`` (largest) and ``u_n``
    (smallest). Sending ``delta_L = u_1`` backwards gives ``||delta_0|| =
    sigma_1``, sending ``u_n`` gives ``sigma_n``: the same layers make one
    gradient explode and another vanish. Random unit directions (grey) follow
    the top direction, since almost every vector has a component along it.
    """
    Js = [_as_matrix(J, f"jacobians[{i}]") for i, J in enumerate(jacobians)]
    P = Js[0]
    for J in Js[1:]:
        P = J @ P
    U, s, _ = np.linalg.svd(P)
    gen = _rng(rng)
    L = len(Js)
    layers = np.arange(L + 1)
    fig, ax = style.figure(figsize=(7.0, 4.0))
    for k in range(n_random):
        d = gen.standard_normal(P.shape[0])
        ax.plot(layers, backward_norms(Js, d / np.linalg.norm(d)), color="0.65", lw=1,
                label="random directions" if k == 0 else None)
    ax.plot(layers, backward_norms(Js, U[:, 0]), color=style.PALETTE[1],
            label=rf"top direction $u_1$ ($\sigma_1$ = {s[0]:.2g})")
    ax.plot(layers, backward_norms(Js, U[:, -1]), color=style.PALETTE[0],
            label=rf"bottom direction $u_n$ ($\sigma_n$ = {s[-1]:.2g})")
    ax.set_yscale("log")
    ax.invert_xaxis()
    ax.set_xlabel(r"layer $\ell$ (backpropagation runs right to left)")
    ax.set_ylabel(r"error norm $\|\delta_\ell\|$ (unit $\|\delta_L\| = 1$)")
    ax.legend()
    return fig


@style.styled
def plot_singular_value_histograms(depths: Sequence[int], kind: str = "orthogonal",
                                   gain: float = 1.0, activation: str = "linear", *,
                                   width: int = 100, input_std: float = 1.0,
                                   bias_std: float = 0.0, bins: int = 40, seed: int = 0):
    """Histograms of the Jacobian's singular values for several depths.

    One panel per depth; x axis logarithmic (powers of ten), y axis the
    fraction of singular values per bin. Every network is drawn with the same
    seed, so panels differ only in depth.
    """
    depths = [_check_int(d, f"depths[{i}]", 1) for i, d in enumerate(depths)]
    if not depths:
        raise ValueError("depths must contain at least one depth, got none")
    kind = _check_init(kind)
    activation = _check_activation(activation)
    logs = [jacobian_log_singular_values(d, width, kind, gain, activation,
                                         input_std=input_std, bias_std=bias_std,
                                         rng=seed) / _LN10
            for d in depths]
    finite = np.concatenate([v[np.isfinite(v)] for v in logs])
    lo, hi = float(finite.min()), float(finite.max())
    pad = max(0.25, 0.05 * (hi - lo))
    edges = np.linspace(lo - pad, hi + pad, bins + 1)
    ncols = min(len(depths), 2)                      # two panels a row fit the page
    nrows = -(-len(depths) // ncols)
    fig, axes = style.figure(nrows, ncols, figsize=(style.PAGE_WIDTH, 0.4 + 2.6 * nrows),
                             squeeze=False, sharey=True, sharex=True)
    for ax in axes.flat[len(depths):]:
        ax.remove()
    for ax, d, v in zip(axes.flat, depths, logs):
        ax.hist(v[np.isfinite(v)], bins=edges, weights=np.full(np.isfinite(v).sum(),
                1.0 / v.size), color=style.PALETTE[0])
        ax.axvline(0.0, color=style.PALETTE[1], lw=1, ls="--")
        ax.set_title(f"depth {d}")
        ax.set_xlabel(r"$\log_{10}\sigma$ (singular value)")
    for row in axes:
        row[0].set_ylabel("fraction of values")
    fig.suptitle(f"{_INIT_LABEL[kind]}, gain {gain:.3g}, {activation}, width {width}")
    return fig


@style.styled
def plot_condition_vs_depth(max_depth: int = 64,
                            kinds: Sequence[str] = ("lecun", "orthogonal"),
                            activation: str = "tanh", *, gain: float = 1.0,
                            width: int = 64, input_std: float = 1.0,
                            bias_std: float = 0.0, seed: int = 0):
    """Condition number of the input-output Jacobian against depth.

    The numbers of :func:`condition_vs_depth`, one curve per initialiser. The y axis
    shows ``log10`` of the condition number (it exceeds the floating-point range for
    deep Gaussian networks).
    """
    curves = condition_vs_depth(max_depth, kinds, activation, gain=gain, width=width,
                                input_std=input_std, bias_std=bias_std, seed=seed)
    fig, ax = style.figure(figsize=(6.4, 3.8))
    Ls = np.arange(1, max_depth + 1)
    for c, (kind, logk) in enumerate(curves.items()):
        ax.plot(Ls, logk, color=style.PALETTE[c], label=_INIT_LABEL[kind])
    ax.set_xlabel("depth $L$ (layers)")
    ax.set_ylabel(r"$\log_{10}$ condition number $\sigma_1/\sigma_n$")
    ax.set_title(f"{activation} network, width {width}, gain {gain:.3g}")
    ax.legend()
    return fig


@style.styled
def plot_log_singular_values_vs_depth(max_depth: int = 50, kind: str = "lecun",
                                      activation: str = "linear", *, gain: float = 1.0,
                                      width: int = 16, seed: int = 0):
    """Every log singular value of the depth-``L`` product against ``L``.

    The numbers of :func:`log_singular_values_vs_depth`. For a product of independent
    random layers the curves are close to straight lines: ``log sigma_i`` grows linearly
    in depth, up to fluctuations. The slopes are the Lyapunov exponents of chapter 5
    (natural log, nats per layer).
    """
    curves = log_singular_values_vs_depth(max_depth, kind, activation, gain=gain,
                                          width=width, seed=seed)
    Ls = np.arange(1, curves.shape[0] + 1)
    fig, ax = style.figure(figsize=(6.4, 3.8))
    ax.plot(Ls, curves, color=style.PALETTE[0], lw=1)
    ax.axhline(0.0, color="0.5", lw=0.8)
    ax.set_xlabel("depth $L$ (layers)")
    ax.set_ylabel(r"$\ln \sigma_i$ of $J_L \cdots J_1$ (nats)")
    ax.set_title(f"{_INIT_LABEL[_check_init(kind)]}, {activation}, width {width}")
    return fig
