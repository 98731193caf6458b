"""Chapter 3: singular values, conditioning and dynamical isometry.

A matrix maps the unit sphere to an ellipsoid whose semi-axes are its singular
values. Backpropagation multiplies the error signal by a long product of layer
Jacobians, so what matters for deep networks is the *spread* of the singular
values of that product: large ones make gradients explode along some
directions while small ones make them vanish along others, at the same time.

This module provides

* :func:`singular_values` and :func:`condition_number` of one matrix;
* :func:`product_log_singular_values`: the logarithms of all singular values of
  a product ``M_L ... M_1`` computed without forming the product, so that deep
  products neither overflow nor lose their small singular values;
* initialisers (:func:`init_weights`, :func:`weight_variance`): LeCun, Xavier
  (Glorot) and He Gaussians and Haar-orthogonal matrices;
* deep networks: :func:`critical_tanh`, :func:`random_network`, :func:`network_jacobians`,
  :func:`input_output_jacobian`, :func:`jacobian_log_singular_values`;
* :func:`backward_norms`: the norm of an error signal layer by layer;
* the numbers behind two figures, :func:`condition_vs_depth` and
  :func:`log_singular_values_vs_depth`;
* the chapter's figures (``plot_*``).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from . import style

__all__ = [
    "INITIALISERS",
    "ACTIVATIONS",
    "singular_values",
    "condition_number",
    "explicit_product",
    "product_log_singular_values",
    "weight_variance",
    "init_weights",
    "critical_tanh",
    "random_network",
    "network_jacobians",
    "input_output_jacobian",
    "jacobian_log_singular_values",
    "backward_norms",
    "condition_vs_depth",
    "log_singular_values_vs_depth",
    "plot_unit_circle",
    "plot_directional_gain",
    "plot_singular_value_histograms",
    "plot_condition_vs_depth",
    "plot_log_singular_values_vs_depth",
]

#: Names accepted by :func:`init_weights`.
INITIALISERS = ("lecun", "xavier", "he", "orthogonal")

#: Names accepted by :func:`network_jacobians`.
ACTIVATIONS = ("linear", "tanh")

# Singular values below this fraction of the largest are taken from the
# triangular (QR) step instead of the SVD of the explicit product.
_REL_THRESHOLD = 1e-6

_LN10 = np.log(10.0)


# ---------------------------------------------------------------------------
# input checking
# ---------------------------------------------------------------------------

def _as_matrices(Ms, name: str) -> list[np.ndarray]:
    """A list of matrices, or one (L, m, n) stack, as checked 2-D float arrays."""
    items = list(Ms) if not isinstance(Ms, np.ndarray) or Ms.ndim == 3 else [Ms]
    if not items:
        raise ValueError(f"{name} must contain at least one matrix, got none")
    return [_as_matrix(M, f"{name}[{i}]") for i, M in enumerate(items)]


def _as_matrix(M, name: str = "M") -> np.ndarray:
    """Return ``M`` as a finite, non-empty 2-D float array, or raise ValueError."""
    try:
        A = np.asarray(M, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a 2-D array of real numbers ({exc})") from None
    if A.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array, got shape {A.shape}")
    if A.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {A.shape}")
    if not np.all(np.isfinite(A)):
        raise ValueError(f"{name} must contain only finite numbers, got shape {A.shape} "
                         "with inf or nan entries")
    return A


def _as_square_stack(matrices, name: str = "matrices") -> list[np.ndarray]:
    """Check a non-empty sequence of square matrices of one size."""
    if isinstance(matrices, np.ndarray) and matrices.ndim == 3:
        mats = [matrices[i] for i in range(matrices.shape[0])]
    else:
        try:
            mats = list(matrices)
        except TypeError:
            raise ValueError(f"{name} must be a sequence of square matrices, "
                             f"got {type(matrices).__name__}") from None
    if not mats:
        raise ValueError(f"{name} must contain at least one matrix, got none")
    out = []
    for i, M in enumerate(mats):
        A = _as_matrix(M, f"{name}[{i}]")
        if A.shape[0] != A.shape[1]:
            raise ValueError(f"{name}[{i}] must be a square matrix, got shape {A.shape}")
        if out and A.shape != out[0].shape:
            raise ValueError(f"{name}[{i}] must have the shape of {name}[0], "
                             f"{out[0].shape}, got shape {A.shape}")
        out.append(A)
    return out


def _check_int(value, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}")
    return int(value)


def _check_positive(value, name: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a positive number, got {value!r}") from None
    if not np.isfinite(v) or v <= 0:
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return v


def _check_init(kind: str) -> str:
    if kind not in INITIALISERS:
        raise ValueError(f"kind must be one of {INITIALISERS}, got {kind!r}")
    return kind


def _check_activation(activation: str) -> str:
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
    return activation


def _rng(rng) -> np.random.Generator:
    if rng is None or isinstance(rng, (int, np.integer)):
        return np.random.default_rng(rng)
    if isinstance(rng, np.random.Generator):
        return rng
    raise ValueError(f"rng must be a numpy Generator, an integer seed or None, "
                     f"got {type(rng).__name__}")


# ---------------------------------------------------------------------------
# one matrix
# ---------------------------------------------------------------------------

def singular_values(M) -> np.ndarray:
    """Singular values of a matrix, largest first.

    Parameters
    ----------
    M : array_like, shape (m, n)
        A finite, non-empty real matrix.

    Returns
    -------
    numpy.ndarray, shape (min(m, n),)
    """
    A = _as_matrix(M)
    return np.linalg.svd(A, compute_uv=False)


def condition_number(M) -> float:
    """Condition number ``sigma_max / sigma_min`` in the spectral norm.

    For a rectangular matrix the smallest of its ``min(m, n)`` singular values
    is used. A matrix with ``sigma_min == 0`` (singular, or the zero matrix) has
    condition number ``inf``.

    Parameters
    ----------
    M : array_like, shape (m, n)

    Returns
    -------
    float

    Examples
    --------
    The singular values of a diagonal matrix are the moduli of its entries,
    and an orthogonal matrix (here a rotation) is perfectly conditioned:

    >>> import numpy as np
    >>> from lyaplearn.conditioning import condition_number, singular_values
    >>> np.round(singular_values(np.diag([3.0, -2.0])), 12).tolist()
    [3.0, 2.0]
    >>> round(condition_number(np.diag([3.0, -2.0])), 12)
    1.5
    >>> c, s = np.cos(0.3), np.sin(0.3)
    >>> round(condition_number([[c, -s], [s, c]]), 12)
    1.0
    """
    s = singular_values(M)
    if s[-1] == 0.0:
        return float("inf")
    return float(s[0] / s[-1])


# ---------------------------------------------------------------------------
# products of matrices
# ---------------------------------------------------------------------------

def explicit_product(matrices) -> np.ndarray:
    """The product ``matrices[-1] @ ... @ matrices[0]`` formed explicitly.

    ``matrices`` are listed in the order they act on a vector (layer 1 first).
    Fine for shallow products; for deep ones it overflows or underflows and its
    small singular values drown in rounding error -- use
    :func:`product_log_singular_values` instead.
    """
    mats = _as_square_stack(matrices)
    P = mats[0].copy()
    for A in mats[1:]:
        P = A @ P
    return P


def _scaled_product(mats: Sequence[np.ndarray]) -> tuple[np.ndarray, float]:
    """Return ``(P, log_scale)`` with ``product = P * exp(log_scale)``.

    After every multiplication the running product is rescaled by a power of
    two (exact in floating point) so that its largest entry lies in [0.5, 1).
    ``P`` is all zeros (and ``log_scale`` 0) if the product is exactly zero.
    """
    P = mats[0].copy()
    log_scale = 0.0
    for k in range(len(mats)):
        if k > 0:
            P = mats[k] @ P
        m = np.max(np.abs(P))
        if m == 0.0:
            return np.zeros_like(P), 0.0
        e = int(np.frexp(m)[1])
        P = np.ldexp(P, -e)
        log_scale += e * np.log(2.0)
    return P, log_scale


def _log_sv_peel(mats: list[np.ndarray]) -> np.ndarray:
    """Log singular values of ``mats[-1] @ ... @ mats[0]``, peeled off from the top."""
    n = mats[0].shape[0]
    out: list[np.ndarray] = []
    while mats:
        m = mats[0].shape[0]
        P, log_scale = _scaled_product(mats)
        if not np.any(P):
            out.append(np.full(m, -np.inf))
            break
        U, s, Vt = np.linalg.svd(P)
        # singular values above _REL_THRESHOLD * s[0] carry a relative error of
        # about eps / _REL_THRESHOLD from the SVD of the explicit product: keep them
        h = int(np.sum(s >= _REL_THRESHOLD * s[0]))
        out.append(np.log(s[:h]) + log_scale)
        if h == m:
            break
        # The rest: change basis with the right singular vectors V and push it
        # through the factors with QR, M_k Q_{k-1} = Q_k R_k. Then
        # M_L ... M_1 V = Q_L R_L ... R_1, a product of upper-triangular
        # matrices, whose trailing diagonal block is the product of the
        # trailing blocks of the R_k. Because V already separates the large
        # singular values (the off-diagonal block is ~eps * s[0] while the
        # leading block is >= 1e-6 * s[0]), the small singular values of the
        # product are those of that block, to a relative error of about
        # eps / _REL_THRESHOLD. Repeat on it.
        Q = Vt.T
        tail = []
        for A in mats:
            Q, R = np.linalg.qr(A @ Q)
            tail.append(R[h:, h:])
        mats = tail
    result = np.concatenate(out)
    assert result.shape == (n,)
    return result


def product_log_singular_values(matrices) -> np.ndarray:
    """Natural logarithms of the singular values of a product of square matrices.

    Computes ``log sigma_i(M_L ... M_1)``, largest first, where
    ``matrices = [M_1, ..., M_L]`` in the order they act on a vector, without
    overflow and without losing the small singular values:

    1. the product is accumulated with exact power-of-two rescaling and its SVD
       gives every singular value within a factor ``1e6`` of the largest
       (relative error about ``1e-16 / 1e-6``);
    2. the remaining ones are the singular values of a smaller product of
       triangular blocks, obtained by pushing the right singular vectors
       through the factors with QR decompositions; step 1 is applied to that
       product again, until every singular value has been found.

    This works however deep the product: products of orthogonal matrices give
    zeros (to rounding); ``log sigma_n`` agrees with ``-log sigma_1`` of the
    product of inverses and the sum with the sum of ``log |det M_k|``, even
    when ``exp`` of the answer is far outside the floating-point range. Like
    any computation with rounded factors it answers for factors perturbed by
    relative errors near machine precision; that matters only where the
    product itself is sensitive to such perturbations, e.g. a diagonal
    product whose running products cross over (a coordinate that is tiny for
    hundreds of layers and then overtakes another). An exactly zero singular
    value is returned as ``-inf``.

    Parameters
    ----------
    matrices : sequence of array_like, each (n, n), or array of shape (L, n, n)

    Returns
    -------
    numpy.ndarray, shape (n,)
        ``log sigma_1 >= ... >= log sigma_n``.
    """
    mats = _as_square_stack(matrices)
    return np.sort(_log_sv_peel(mats))[::-1]


# ---------------------------------------------------------------------------
# initialisers
# ---------------------------------------------------------------------------

def weight_variance(kind: str, fan_in: int, fan_out: int | None = None,
                    gain: float = 1.0) -> float:
    """Variance of each entry of a Gaussian initialiser.

    ``"lecun"``: ``gain**2 / fan_in``; ``"xavier"``: ``gain**2 * 2 / (fan_in + fan_out)``;
    ``"he"``: ``gain**2 * 2 / fan_in``; ``"orthogonal"``: ``gain**2 / fan_out`` (the
    entry variance of ``gain`` times a Haar-random matrix with orthonormal
    columns, ``fan_out >= fan_in``, or rows, ``fan_out <= fan_in``, equals
    ``gain**2 / max(fan_in, fan_out)``).
    """
    kind = _check_init(kind)
    fan_in = _check_int(fan_in, "fan_in", 1)
    fan_out = fan_in if fan_out is None else _check_int(fan_out, "fan_out", 1)
    g2 = _check_positive(gain, "gain") ** 2
    if kind == "lecun":
        return g2 / fan_in
    if kind == "xavier":
        return g2 * 2.0 / (fan_in + fan_out)
    if kind == "he":
        return g2 * 2.0 / fan_in
    return g2 / max(fan_in, fan_out)


def _haar_orthogonal(n_out: int, n_in: int, rng: np.random.Generator) -> np.ndarray:
    big, small = max(n_out, n_in), min(n_out, n_in)
    Z = rng.standard_normal((big, small))
    Q, R = np.linalg.qr(Z)
    d = np.sign(np.diag(R))
    d[d == 0] = 1.0
    Q = Q * d  # without this sign fix the distribution is not Haar
    return Q if n_out >= n_in else Q.T


def init_weights(n: int, kind: str = "orthogonal", gain: float = 1.0, *,
                 n_in: int | None = None, rng=None) -> np.ndarray:
    """A random weight matrix of shape ``(n, n_in)`` from a standard initialiser.

    Parameters
    ----------
    n : int
        Number of rows (fan-out).
    kind : {"lecun", "xavier", "he", "orthogonal"}
        Gaussian with entry variance :func:`weight_variance` (LeCun
        ``1/fan_in``, Xavier/Glorot ``2/(fan_in+fan_out)``, He ``2/fan_in``),
        or ``gain`` times a Haar-random orthogonal matrix (QR of a Gaussian
        matrix with the signs of ``diag(R)`` fixed); for a rectangular shape,
        orthonormal columns or rows.
    gain : float
        Positive multiplier of the standard deviation.
    n_in : int, optional
        Number of columns (fan-in); defaults to ``n``.
    rng : numpy.random.Generator or int or None
        Source of randomness (an int is a seed).
    """
    n = _check_int(n, "n", 1)
    n_in = n if n_in is None else _check_int(n_in, "n_in", 1)
    kind = _check_init(kind)
    gain = _check_positive(gain, "gain")
    gen = _rng(rng)
    if kind == "orthogonal":
        return gain * _haar_orthogonal(n, n_in, gen)
    std = np.sqrt(weight_variance(kind, n_in, n, gain))
    return std * gen.standard_normal((n, n_in))


# ---------------------------------------------------------------------------
# deep networks
# ---------------------------------------------------------------------------

def critical_tanh(q_star: float, *, n_nodes: int = 400) -> tuple[float, float]:
    """Weight gain and bias scale that put a tanh network at criticality.

    For ``h_l = tanh(W_l h_{l-1} + b_l)`` with ``W`` entries of variance
    ``gain**2 / n`` (or ``gain`` times an orthogonal matrix) and biases
    ``N(0, bias_std**2)``, the pre-activation variance of a wide network obeys
    ``q_{l+1} = gain**2 E[tanh(sqrt(q_l) z)**2] + bias_std**2`` (``z`` standard
    normal). Criticality (Pennington et al. 2017) asks that ``q_star`` be a
    fixed point *and* that the mean squared singular value of each layer
    Jacobian be one there, ``gain**2 E[tanh'(sqrt(q_star) z)**2] = 1``.
    Solving both gives the pair returned. Gaussian expectations use
    ``n_nodes``-point Gauss-Legendre quadrature on ``[-12, 12]``.

    Parameters
    ----------
    q_star : float
        Target pre-activation variance, ``0 < q_star``; small values keep the
        network near tanh's linear regime.

    Returns
    -------
    (gain, bias_std) : tuple of float
    """
    q = _check_positive(q_star, "q_star")
    n_nodes = _check_int(n_nodes, "n_nodes", 2)
    z, w = np.polynomial.legendre.leggauss(n_nodes)
    z = 12.0 * z
    w = 12.0 * w * np.exp(-0.5 * z ** 2) / np.sqrt(2.0 * np.pi)
    t = np.tanh(np.sqrt(q) * z)
    gain2 = 1.0 / float(np.sum(w * (1.0 - t ** 2) ** 2))
    bias2 = q - gain2 * float(np.sum(w * t ** 2))
    if bias2 < 0:  # cannot happen for tanh (E tanh^2 <= q E tanh'^2); guard rounding
        bias2 = 0.0
    return float(np.sqrt(gain2)), float(np.sqrt(bias2))


def random_network(depth: int, width: int, kind: str = "orthogonal", gain: float = 1.0,
                   *, bias_std: float = 0.0, rng=None
                   ) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Weights and biases of a deep square network ``h_l = phi(W_l h_{l-1} + b_l)``.

    Returns ``(weights, biases)``: ``depth`` matrices of shape ``(width, width)``
    from :func:`init_weights` and ``depth`` bias vectors with entries
    ``N(0, bias_std**2)``.
    """
    depth = _check_int(depth, "depth", 1)
    width = _check_int(width, "width", 1)
    kind = _check_init(kind)
    if not np.isfinite(bias_std) or bias_std < 0:
        raise ValueError(f"bias_std must be a finite number >= 0, got {bias_std!r}")
    gen = _rng(rng)
    weights = [init_weights(width, kind, gain, rng=gen) for _ in range(depth)]
    biases = [bias_std * gen.standard_normal(width) for _ in range(depth)]
    return weights, biases


def network_jacobians(weights, x, activation: str = "tanh", biases=None
                      ) -> list[np.ndarray]:
    """Layer Jacobians ``J_l = diag(phi'(z_l)) W_l`` of ``h_l = phi(W_l h_{l-1} + b_l)``.

    Parameters
    ----------
    weights : sequence of array_like, each (n_l, n_{l-1})
    x : array_like, shape (n_0,)
        The input ``h_0``.
    activation : {"linear", "tanh"}
    biases : sequence of array_like (n_l,), optional
        Zero if omitted.

    Returns
    -------
    list of numpy.ndarray
        ``[J_1, ..., J_L]``; their product ``J_L ... J_1`` is the input-output
        Jacobian ``d h_L / d h_0``.
    """
    activation = _check_activation(activation)
    Ws = _as_matrices(weights, "weights")
    h = np.asarray(x, dtype=float)
    if h.ndim != 1 or h.shape[0] != Ws[0].shape[1]:
        raise ValueError(f"x must be a vector of length {Ws[0].shape[1]} to match "
                         f"weights[0] of shape {Ws[0].shape}, got shape {h.shape}")
    if biases is None:
        bs = [np.zeros(W.shape[0]) for W in Ws]
    else:
        bs = [np.asarray(b, dtype=float) for b in biases]
        if len(bs) != len(Ws):
            raise ValueError(f"biases must have one vector per layer ({len(Ws)}), "
                             f"got {len(bs)}")
    jacobians = []
    for i, (W, b) in enumerate(zip(Ws, bs)):
        if W.shape[1] != h.shape[0]:
            raise ValueError(f"weights[{i}] must have {h.shape[0]} columns to follow "
                             f"the previous layer, got shape {W.shape}")
        if b.shape != (W.shape[0],):
            raise ValueError(f"biases[{i}] must have shape ({W.shape[0]},) to match "
                             f"weights[{i}] of shape {W.shape}, got shape {b.shape}")
        z = W @ h + b
        if activation == "tanh":
            h = np.tanh(z)
            d = 1.0 - h ** 2
        else:
            h = z
            d = np.ones_like(z)
        jacobians.append(d[:, None] * W)
    return jacobians


def input_output_jacobian(weights, x, activation: str = "tanh", biases=None) -> np.ndarray:
    """The input-output Jacobian ``d h_L / d h_0 = J_L ... J_1``, formed explicitly."""
    Js = network_jacobians(weights, x, activation, biases)
    P = Js[0]
    for J in Js[1:]:
        P = J @ P
    return P


def jacobian_log_singular_values(depth: int, width: int, kind: str = "orthogonal",
                                 gain: float = 1.0, activation: str = "tanh", *,
                                 input_std: float = 1.0, bias_std: float = 0.0,
                                 rng=None) -> np.ndarray:
    """Log singular values of the input-output Jacobian of a random deep network.

    Draws a network with :func:`random_network` and an input with entries
    ``N(0, input_std**2)``, and returns :func:`product_log_singular_values` of
    its layer Jacobians (natural logs, largest first).
    """
    gen = _rng(rng)
    weights, biases = random_network(depth, width, kind, gain, bias_std=bias_std, rng=gen)
    input_std = _check_positive(input_std, "input_std")
    x = input_std * gen.standard_normal(width)
    return product_log_singular_values(network_jacobians(weights, x, activation, biases))


def backward_norms(jacobians, delta) -> np.ndarray:
    """Norms of an error signal propagated backwards through layer Jacobians.

    With ``delta_L = delta`` and ``delta_{l-1} = J_l^T delta_l``, returns
    ``[||delta_0||, ||delta_1||, ..., ||delta_L||]`` (index = layer).
    """
    Js = _as_matrices(jacobians, "jacobians")
    d = np.asarray(delta, dtype=float)
    if d.ndim != 1 or d.shape[0] != Js[-1].shape[0]:
        raise ValueError(f"delta must be a vector of length {Js[-1].shape[0]} to match "
                         f"jacobians[-1] of shape {Js[-1].shape}, got shape {d.shape}")
    norms = [np.linalg.norm(d)]
    for i in range(len(Js) - 1, -1, -1):
        if Js[i].shape[0] != d.shape[0]:
            raise ValueError(f"jacobians[{i}] must have {d.shape[0]} rows to precede "
                             f"the next layer, got shape {Js[i].shape}")
        d = Js[i].T @ d
        norms.append(np.linalg.norm(d))
    return np.array(norms[::-1])


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


def condition_vs_depth(max_depth: int = 64, kinds: Sequence[str] = ("lecun", "orthogonal"),
                       activation: str = "tanh", *, gain: float = 1.0, width: int = 64,
                       input_std: float = 1.0, bias_std: float = 0.0,
                       seed: int = 0) -> dict[str, np.ndarray]:
    """``log10`` condition number of the first ``L`` layers' Jacobian, ``L = 1..max_depth``.

    For each initialiser one network of depth ``max_depth`` is drawn (seed ``seed``, the
    same for every initialiser) and the condition number of the product of its first
    ``L`` layer Jacobians is computed with :func:`product_log_singular_values` for every
    ``L``.

    Returns
    -------
    dict
        initialiser -> array of shape ``(max_depth,)``, entry ``L - 1`` for depth ``L``.
    """
    max_depth = _check_int(max_depth, "max_depth", 1)
    activation = _check_activation(activation)
    out = {}
    for kind in kinds:
        kind = _check_init(kind)
        gen = np.random.default_rng(seed)
        weights, biases = random_network(max_depth, width, kind, gain,
                                         bias_std=bias_std, rng=gen)
        x = input_std * gen.standard_normal(width)
        Js = network_jacobians(weights, x, activation, biases)
        logk = []
        for L in range(1, max_depth + 1):
            ls = product_log_singular_values(Js[:L])
            logk.append((ls[0] - ls[-1]) / _LN10)
        out[kind] = np.array(logk)
    return out


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


def log_singular_values_vs_depth(max_depth: int = 50, kind: str = "lecun",
                                 activation: str = "linear", *, gain: float = 1.0,
                                 width: int = 16, seed: int = 0) -> np.ndarray:
    """Every ``ln sigma_i`` of the depth-``L`` product, for ``L = 1..max_depth``.

    One network of depth ``max_depth`` (weights from seed ``seed``, input from
    ``seed + 1``); row ``L - 1`` holds the natural logs of the singular values of
    ``J_L ... J_1``, largest first. Returns an array of shape ``(max_depth, width)``.
    """
    max_depth = _check_int(max_depth, "max_depth", 1)
    weights, biases = random_network(max_depth, width, kind, gain, rng=seed)
    gen = np.random.default_rng(seed + 1)
    Js = network_jacobians(weights, gen.standard_normal(width), activation, biases)
    return np.array([product_log_singular_values(Js[:L]) for L in range(1, max_depth + 1)])


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
