"""Chapter 1, *The tyranny of the product*: long products of scalars.

Two scalar models show the whole phenomenon before any matrix appears.

Gradient descent on a parabola
    On :math:`L(\\theta) = \\tfrac12 a\\theta^2` with curvature :math:`a > 0`, one
    step of gradient descent with learning rate :math:`\\eta` multiplies
    :math:`\\theta` by :math:`r = 1 - \\eta a`, so
    :math:`\\theta_t = r^t \\theta_0`. The iterates shrink exactly when
    :math:`0 < \\eta < 2/a`. See :func:`gd_trajectory`,
    :func:`contraction_factor`, :func:`stable_learning_rates` and
    :func:`gd_regime`.

The scalar tower
    :math:`f_L(x; w) = \\sigma(\\sigma(\\cdots\\sigma(w x)\\cdots))` with
    :math:`L` applications of :math:`\\sigma`. With :math:`z_0 = w x` and
    :math:`z_k = \\sigma(z_{k-1})` the output is :math:`f_L = z_L` and the chain
    rule gives exactly :math:`L` factors,

    .. math:: \\frac{\\partial f_L}{\\partial w} = x \\prod_{k=0}^{L-1} \\sigma'(z_k).

    See :func:`tower_forward`, :func:`tower_factors` and
    :func:`tower_gradient`.

Every figure of the chapter is drawn by a ``plot_*`` function of this module.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from matplotlib.figure import Figure

from . import style
from ._activations import supported
from ._checks import _check_float, _check_int
from ._deprecated import _deprecated_alias

__all__ = [
    "ACTIVATIONS",
    "REGIMES",
    "MONOTONE_SHRINKING",
    "OSCILLATING_SHRINKING",
    "MONOTONE_GROWING",
    "OSCILLATING_GROWING",
    "ONE_STEP",
    "CONSTANT",
    "PERIOD_TWO",
    "loss",
    "loss_gradient",
    "contraction_factor",
    "stable_learning_rates",
    "gd_trajectory",
    "gd_regime",
    "tower_activation",
    "tower_derivative",
    "max_derivative",
    "tower_forward",
    "tower_factors",
    "tower_gradient",
    "gradient_bound",
    "plot_gd_regimes",
    "plot_stability_band",
    "plot_tower_gradients",
    "draw_trajectory",
    "draw_stability_band",
    "draw_tower_gradients",
]

#: Activation functions of the scalar tower.
ACTIVATIONS: tuple[str, ...] = supported("sigmoid", "tanh", "linear")

#: ``0 < r < 1``: every step shrinks theta and keeps its sign.
MONOTONE_SHRINKING = "monotone shrinking"
#: ``-1 < r < 0``: theta shrinks and flips sign every step.
OSCILLATING_SHRINKING = "oscillating shrinking"
#: ``r > 1``: theta grows and keeps its sign.
MONOTONE_GROWING = "monotone growing"
#: ``r < -1``: theta grows and flips sign every step.
OSCILLATING_GROWING = "oscillating growing"
#: ``r = 0``: theta is exactly zero after one step.
ONE_STEP = "one step"
#: ``r = 1``: theta never changes.
CONSTANT = "constant"
#: ``r = -1``: theta jumps between theta_0 and -theta_0 for ever.
PERIOD_TWO = "period two"

#: Every value :func:`gd_regime` can return: the four generic behaviours, then the
#: three boundary cases.
REGIMES: tuple[str, ...] = (
    MONOTONE_SHRINKING,
    OSCILLATING_SHRINKING,
    MONOTONE_GROWING,
    OSCILLATING_GROWING,
    ONE_STEP,
    CONSTANT,
    PERIOD_TWO,
)


# ---------------------------------------------------------------------------
# argument checks
# ---------------------------------------------------------------------------

def _curvature(a: object) -> float:
    v = _check_float(a, "a")
    if v <= 0:
        raise ValueError(f"a must be a positive curvature (a > 0), got {v}")
    return v



def _activation(activation: object, slope: object) -> tuple[str, float]:
    if not isinstance(activation, str) or activation not in ACTIVATIONS:
        allowed = ", ".join(repr(a) for a in ACTIVATIONS)
        raise ValueError(f"activation must be one of {allowed}, got {activation!r}")
    s = _check_float(slope, "slope")
    if activation != "linear" and s != 1.0:
        raise ValueError(
            f"slope only applies to activation='linear' (sigma(z) = slope * z); "
            f"for {activation!r} it must be 1.0, got {s}")
    return activation, s


# ---------------------------------------------------------------------------
# gradient descent on L(theta) = a theta^2 / 2
# ---------------------------------------------------------------------------

def loss(theta: float, a: float) -> float:
    """The quadratic loss :math:`L(\\theta) = \\tfrac12 a \\theta^2`."""
    a = _curvature(a)
    return 0.5 * a * _check_float(theta, "theta") ** 2


def loss_gradient(theta: float, a: float) -> float:
    """Its derivative :math:`L'(\\theta) = a\\theta`."""
    a = _curvature(a)
    return a * _check_float(theta, "theta")


def contraction_factor(eta: float, a: float) -> float:
    """The factor :math:`r = 1 - \\eta a` that one gradient step multiplies theta by.

    Parameters
    ----------
    eta
        Learning rate (any finite real; a negative one walks uphill).
    a
        Curvature of the parabola, ``a > 0``.
    """
    eta = _check_float(eta, "eta")
    a = _curvature(a)
    return 1.0 - eta * a


def stable_learning_rates(a: float) -> tuple[float, float]:
    """The open interval of learning rates for which gradient descent converges.

    ``|1 - eta a| < 1`` holds exactly for ``0 < eta < 2 / a``.

    Returns
    -------
    (low, high)
        ``(0.0, 2 / a)``; both ends are excluded.
    """
    a = _curvature(a)
    return 0.0, 2.0 / a


def gd_trajectory(eta: float, a: float, theta0: float, steps: int) -> np.ndarray:
    """Run gradient descent on :math:`\\tfrac12 a\\theta^2` and keep every iterate.

    Each step is :math:`\\theta_{t+1} = \\theta_t - \\eta\\, a\\theta_t`, computed in
    its factored form :math:`(1 - \\eta a)\\,\\theta_t` (the same number, and a
    growing run overflows to ``±inf`` instead of ``nan``).

    Parameters
    ----------
    eta
        Learning rate, a finite real.
    a
        Curvature, ``a > 0``.
    theta0
        Starting point, a finite real.
    steps
        Number of gradient steps, a non-negative integer.

    Returns
    -------
    numpy.ndarray
        Shape ``(steps + 1,)``: :math:`\\theta_0, \\theta_1, \\dots, \\theta_{\\text{steps}}`.

    Examples
    --------
    With ``eta * a = 0.5`` every step halves theta (``r = 0.5``); with
    ``eta * a = 1.5`` it halves theta and flips its sign (``r = -0.5``):

    >>> from lyaplearn.scalar import gd_regime, gd_trajectory
    >>> gd_trajectory(eta=0.5, a=1.0, theta0=1.0, steps=3).tolist()
    [1.0, 0.5, 0.25, 0.125]
    >>> gd_trajectory(eta=1.5, a=1.0, theta0=1.0, steps=3).tolist()
    [1.0, -0.5, 0.25, -0.125]
    >>> gd_regime(1.5, 1.0)
    'oscillating shrinking'
    """
    r = contraction_factor(eta, a)
    theta = _check_float(theta0, "theta0")
    steps = _check_int(steps, "steps", 0)
    out = np.empty(steps + 1)
    out[0] = theta
    with np.errstate(over="ignore"):
        for t in range(steps):
            out[t + 1] = r * out[t]
    return out


def gd_regime(eta: float, a: float, *, atol: float = 1e-12) -> str:
    """Name the behaviour of :math:`\\theta_t = r^t\\theta_0` with :math:`r = 1 - \\eta a`.

    Parameters
    ----------
    eta, a
        Learning rate (finite) and curvature (``a > 0``).
    atol
        ``r`` within ``atol`` of 0, 1 or -1 counts as that boundary case, so that
        ``eta = 2 / a`` computed in floating point is recognised.

    Returns
    -------
    str
        One of :data:`REGIMES`: :data:`MONOTONE_SHRINKING` (``0 < r < 1``),
        :data:`OSCILLATING_SHRINKING` (``-1 < r < 0``), :data:`MONOTONE_GROWING`
        (``r > 1``, only for ``eta < 0``), :data:`OSCILLATING_GROWING` (``r < -1``),
        or a boundary case :data:`ONE_STEP` (``r = 0``), :data:`CONSTANT`
        (``r = 1``), :data:`PERIOD_TWO` (``r = -1``).
    """
    r = contraction_factor(eta, a)
    atol = _check_float(atol, "atol", nonneg=True)
    if abs(r) <= atol:
        return ONE_STEP
    if abs(r - 1.0) <= atol:
        return CONSTANT
    if abs(r + 1.0) <= atol:
        return PERIOD_TWO
    if abs(r) < 1.0:
        return MONOTONE_SHRINKING if r > 0 else OSCILLATING_SHRINKING
    return MONOTONE_GROWING if r > 0 else OSCILLATING_GROWING


# ---------------------------------------------------------------------------
# the scalar tower f_L = sigma(... sigma(w x))
# ---------------------------------------------------------------------------

def tower_activation(z, activation: str, slope: float = 1.0):
    """:math:`\\sigma(z)` for ``activation`` in :data:`ACTIVATIONS` (elementwise).

    ``"sigmoid"`` is :math:`1/(1+e^{-z})`, ``"tanh"`` is :math:`\\tanh z` and
    ``"linear"`` is :math:`\\text{slope}\\cdot z`.
    """
    activation, slope = _activation(activation, slope)
    z = np.asarray(z, dtype=float)
    if activation == "sigmoid":
        e = np.exp(-np.abs(z))  # never overflows
        out = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    elif activation == "tanh":
        out = np.tanh(z)
    else:
        out = slope * z
    return out[()] if out.ndim == 0 else out


def tower_derivative(z, activation: str, slope: float = 1.0):
    """:math:`\\sigma'(z)` for ``activation`` in :data:`ACTIVATIONS` (elementwise).

    Written in forms that stay accurate for large :math:`|z|`:
    :math:`\\sigma'(z) = e^{-|z|}/(1+e^{-|z|})^2` for the sigmoid and
    :math:`\\tanh'(z) = 4e^{-2|z|}/(1+e^{-2|z|})^2` for tanh.
    """
    activation, slope = _activation(activation, slope)
    z = np.asarray(z, dtype=float)
    if activation == "sigmoid":
        e = np.exp(-np.abs(z))
        out = e / (1.0 + e) ** 2
    elif activation == "tanh":
        e = np.exp(-2.0 * np.abs(z))
        out = 4.0 * e / (1.0 + e) ** 2
    else:
        out = np.full_like(z, slope)
    return out[()] if out.ndim == 0 else out


def max_derivative(activation: str, slope: float = 1.0) -> float:
    """:math:`\\sup_z |\\sigma'(z)|`: 1/4 for the sigmoid, 1 for tanh, ``|slope|`` for linear."""
    activation, slope = _activation(activation, slope)
    return {"sigmoid": 0.25, "tanh": 1.0, "linear": abs(slope)}[activation]


def tower_forward(x: float, w: float, depth: int, activation: str,
                  slope: float = 1.0) -> tuple[np.ndarray, float]:
    """Evaluate the tower :math:`f_L(x; w)` with ``depth`` = :math:`L` layers.

    Indexing: :math:`z_0 = w x` and :math:`z_k = \\sigma(z_{k-1})` for
    :math:`k = 1, \\dots, L`; the output is :math:`f_L = z_L`. A tower of depth
    0 is just :math:`w x`.

    Returns
    -------
    (pre, output)
        ``pre`` has shape ``(depth,)`` and holds the inputs of the
        :math:`L` activations, :math:`z_0, \\dots, z_{L-1}`; ``output`` is
        :math:`z_L = f_L(x; w)`.
    """
    x = _check_float(x, "x")
    w = _check_float(w, "w")
    depth = _check_int(depth, "depth", 0)
    activation, slope = _activation(activation, slope)
    pre = np.empty(depth)
    z = w * x
    with np.errstate(over="ignore"):
        for k in range(depth):
            pre[k] = z
            z = float(tower_activation(z, activation, slope))
    return pre, z


def tower_factors(x: float, w: float, depth: int, activation: str,
                  slope: float = 1.0) -> np.ndarray:
    """The :math:`L` chain-rule factors :math:`\\sigma'(z_0), \\dots, \\sigma'(z_{L-1})`."""
    pre, _ = tower_forward(x, w, depth, activation, slope)
    return np.asarray(tower_derivative(pre, activation, slope), dtype=float).reshape(-1)


def tower_gradient(x: float, w: float, depth: int, activation: str,
                   slope: float = 1.0) -> float:
    """:math:`\\partial f_L/\\partial w` by the product formula.

    .. math:: \\frac{\\partial f_L}{\\partial w} = x \\prod_{k=0}^{L-1} \\sigma'(z_k)

    The product has exactly ``depth`` factors; for the linear activation every
    factor is ``slope``, so the result is :math:`x\\cdot\\text{slope}^L`.

    Parameters
    ----------
    x, w
        Input and weight, finite reals.
    depth
        Number of layers :math:`L \\ge 0`.
    activation
        One of :data:`ACTIVATIONS`.
    slope
        Slope of the linear activation :math:`\\sigma(z) = \\text{slope}\\cdot z`;
        must stay 1.0 for ``"sigmoid"`` and ``"tanh"``.
    """
    factors = tower_factors(x, w, depth, activation, slope)
    x = float(x)
    with np.errstate(over="ignore", under="ignore"):
        return float(x * np.prod(factors))


def gradient_bound(x: float, depth: int, activation: str, slope: float = 1.0) -> float:
    """The bound :math:`|\\partial f_L/\\partial w| \\le |x|\\,(\\sup|\\sigma'|)^L`.

    For the sigmoid this is :math:`|x|\\,0.25^L`; for tanh :math:`|x|`; for the
    linear activation it holds with equality, :math:`|x|\\,|\\text{slope}|^L`.
    """
    x = _check_float(x, "x")
    depth = _check_int(depth, "depth", 0)
    m = max_derivative(activation, slope)
    with np.errstate(over="ignore", under="ignore"):
        return float(abs(x) * np.float64(m) ** depth)


# ---------------------------------------------------------------------------
# figures
# ---------------------------------------------------------------------------

_REGIME_ETAS = (0.2, 1.6, -0.12, 2.2)  # times 1/a: r = 0.8, -0.6, 1.12, -1.2


def draw_trajectory(ax, eta: float, a: float, theta0: float = 1.0, steps: int = 30, *,
                    color: str | None = None, label: str | None = None) -> np.ndarray:
    """Draw :math:`|\\theta_t|` on a log axis, filled markers for
    :math:`\\theta_t > 0` and open ones for :math:`\\theta_t < 0`.

    Zeros (after one step at :math:`\\eta = 1/a`) cannot sit on a log axis and are
    left out. Returns the trajectory.
    """
    theta = gd_trajectory(eta, a, theta0, steps)
    t = np.arange(theta.size)
    mag = np.abs(theta)
    keep = (mag > 0) & np.isfinite(mag)
    line, = ax.plot(t[keep], mag[keep], "-", color=color, alpha=0.6, lw=1.2, label=label)
    c = line.get_color()
    pos = keep & (theta > 0)
    neg = keep & (theta < 0)
    ax.plot(t[pos], mag[pos], "o", ms=4.5, color=c)
    ax.plot(t[neg], mag[neg], "o", ms=4.5, mfc="white", mec=c)
    ax.set_yscale("log")
    ax.set_xlabel(r"step $t$")
    ax.set_ylabel(r"$|\theta_t|$ (log scale)")
    return theta


@style.styled
def plot_gd_regimes(a: float = 1.0, etas: Sequence[float] | None = None,
                    theta0: float = 1.0, steps: int = 30) -> Figure:
    """The four behaviours of :math:`\\theta_t = (1-\\eta a)^t\\theta_0` on a log scale.

    Parameters
    ----------
    a
        Curvature, ``a > 0``.
    etas
        Learning rates to show; default ``(0.2, 1.6, -0.12, 2.2) / a``, i.e.
        ``r = 0.8, -0.6, 1.12, -1.2``: one of each behaviour.
    theta0, steps
        Starting point and number of steps.
    """
    a = _curvature(a)
    if etas is None:
        etas = [e / a for e in _REGIME_ETAS]
    etas = [_check_float(e, "etas[i]") for e in etas]
    if not etas:
        raise ValueError("etas must contain at least one learning rate")
    fig, ax = style.figure(figsize=(7.2, 4.6))
    for eta in etas:
        r = contraction_factor(eta, a)
        draw_trajectory(ax, eta, a, theta0, steps,
                        label=fr"$\eta a={eta * a:.2f}$, $r={r:+.2f}$: {gd_regime(eta, a)}")
    ax.axhline(abs(theta0), color="0.5", lw=0.8, ls=":")
    ax.set_title(r"Gradient descent on $\frac{1}{2}a\theta^2$: "
                 r"filled $\theta_t>0$, open $\theta_t<0$")
    fig.legend(loc="outside lower center", ncols=2, fontsize=9)
    return fig


def draw_stability_band(ax, a: float, eta: float | None = None) -> None:
    """Draw :math:`|1-\\eta a|` against :math:`\\eta` with the stable band shaded."""
    a = _curvature(a)
    lo, hi = stable_learning_rates(a)
    etas = np.linspace(-0.4 / a, 2.6 / a, 400)
    ax.axvspan(lo, hi, color=style.PALETTE[2], alpha=0.15,
               label=fr"stable: $0<\eta<2/a={hi:.3g}$")
    ax.plot(etas, np.abs(1.0 - etas * a), color=style.PALETTE[0], label=r"$|r|=|1-\eta a|$")
    ax.axhline(1.0, color="0.4", lw=0.9, ls="--")
    ax.plot([1.0 / a], [0.0], "v", color=style.PALETTE[1], ms=7,
            label=fr"one step: $\eta=1/a={1 / a:.3g}$")
    if eta is not None:
        eta = _check_float(eta, "eta")
        r = abs(contraction_factor(eta, a))
        ax.plot([eta], [r], "o", color=style.PALETTE[6], ms=7, label=fr"$\eta={eta:.3g}$")
    ax.set_xlabel(r"learning rate $\eta$")
    ax.set_ylabel(r"factor per step $|r|$")
    ax.set_ylim(0, 1.8)
    ax.legend(loc="upper center", fontsize=8.5)


@style.styled
def plot_stability_band(a: float = 1.0, eta: float | None = None) -> Figure:
    """:math:`|r| = |1-\\eta a|` against the learning rate, ``0 < eta < 2/a`` shaded.

    Parameters
    ----------
    a
        Curvature, ``a > 0``.
    eta
        Optional learning rate to mark on the curve.
    """
    fig, ax = style.figure(figsize=(6.4, 3.8))
    draw_stability_band(ax, a, eta)
    ax.set_title(fr"Where gradient descent converges ($a={float(a):.3g}$)")
    return fig


_TOWER_CASES = (("sigmoid", 1.0), ("tanh", 1.0), ("linear", 1.5))


def draw_tower_gradients(ax, x: float, w: float, max_depth: int,
               cases: Sequence[tuple[str, float]] = _TOWER_CASES, *,
               bounds: bool = True) -> dict[str, np.ndarray]:
    """Draw :math:`|\\partial f_L/\\partial w|` against :math:`L = 0..\\text{max\\_depth}`.

    Returns ``{label: gradients}`` with one array of length ``max_depth + 1`` per case.
    """
    max_depth = _check_int(max_depth, "max_depth", 0)
    depths = np.arange(max_depth + 1)
    out: dict[str, np.ndarray] = {}
    for i, (act, slope) in enumerate(cases):
        label = f"linear, slope {slope:g}" if act == "linear" else act
        # one forward pass gives every depth: the gradient of depth L is x times
        # the first L factors
        factors = tower_factors(x, w, max_depth, act, slope)
        with np.errstate(over="ignore", under="ignore"):
            grads = float(x) * np.concatenate([[1.0], np.cumprod(factors)])
        out[label] = grads
        mag = np.abs(grads)
        keep = mag > 0
        color = style.PALETTE[i % len(style.PALETTE)]
        ax.plot(depths[keep], mag[keep], "o-", ms=3.5, color=color, label=label)
        if bounds and act == "sigmoid":
            with np.errstate(under="ignore"):
                ax.plot(depths, abs(float(x)) * 0.25 ** depths, "--", color=color, lw=1.2,
                        label=r"bound $|x|\,0.25^L$")
    ax.set_yscale("log")
    ax.set_xlabel(r"depth $L$ (layers)")
    ax.set_ylabel(r"$|\partial f_L/\partial w|$ (log scale)")
    return out


@style.styled
def plot_tower_gradients(x: float = 1.0, w: float = 0.5, max_depth: int = 30,
                         cases: Sequence[tuple[str, float]] = _TOWER_CASES) -> Figure:
    """Gradient of the scalar tower against its depth, one curve per activation.

    Parameters
    ----------
    x, w
        Input and weight.
    max_depth
        Largest depth shown.
    cases
        ``(activation, slope)`` pairs; default sigmoid, tanh and linear with
        slope 1.5. The sigmoid bound :math:`|x|\\,0.25^L` is drawn dashed.
    """
    fig, ax = style.figure(figsize=(7.0, 4.0))
    draw_tower_gradients(ax, x, w, max_depth, cases)
    ax.axhline(abs(float(x)), color="0.5", lw=0.8, ls=":")
    ax.set_title(fr"Scalar tower, $x={float(x):g}$, $w={float(w):g}$")
    ax.legend(loc="lower left")
    return fig


# old names, kept for one release (lyaplearn/_deprecated.py)
regime = _deprecated_alias(gd_regime, "regime", "lyaplearn.scalar")
activation_value = _deprecated_alias(tower_activation, "activation_value", "lyaplearn.scalar")
activation_derivative = _deprecated_alias(tower_derivative, "activation_derivative",
                                          "lyaplearn.scalar")
