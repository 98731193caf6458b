"""A multilayer perceptron's activations, Jacobians and backpropagated deltas (chapter 2)."""

from __future__ import annotations

from typing import Sequence

import numpy as np
from numpy.typing import ArrayLike

from .._activations import (  # noqa: F401  (re-exported by the package)
    ACTIVATIONS,
    _check_activation_name,
    activate,
    activation_derivative,
)
from .._checks import _check_float, _check_int

# ---------------------------------------------------------------------------
# input checking
# ---------------------------------------------------------------------------

def _as_activations(activation: str | Sequence[str], n_layers: int) -> list[str]:
    if isinstance(activation, str):
        return [_check_activation_name(activation)] * n_layers
    try:
        acts = list(activation)
    except TypeError:
        raise ValueError(
            f"activation must be a name in {ACTIVATIONS} or a sequence of names, "
            f"got {activation!r}") from None
    if len(acts) != n_layers:
        raise ValueError(
            f"activation must name one activation per layer: got {len(acts)} names "
            f"for {n_layers} weight matrices")
    return [_check_activation_name(a, f"activation[{i}]") for i, a in enumerate(acts)]


def _check_weights(weights: Sequence[ArrayLike], n_in: int | None = None,
                   name: str = "weights") -> list[np.ndarray]:
    if isinstance(weights, np.ndarray) and weights.ndim == 2:
        raise ValueError(f"{name} must be a sequence of 2-D arrays (one per layer), "
                         f"got a single array of shape {weights.shape}")
    try:
        ws = [np.asarray(w, dtype=float) for w in weights]
    except TypeError:
        raise ValueError(f"{name} must be a sequence of 2-D arrays, "
                         f"got {type(weights).__name__}") from None
    if len(ws) == 0:
        raise ValueError(f"{name} must contain at least one matrix, got an empty sequence")
    for i, w in enumerate(ws):
        if w.ndim != 2:
            raise ValueError(f"{name}[{i}] (layer {i + 1}) must be a 2-D array, "
                             f"got shape {w.shape}")
        if not np.all(np.isfinite(w)):
            raise ValueError(f"{name}[{i}] (layer {i + 1}) must be finite")
    if n_in is not None and ws[0].shape[1] != n_in:
        raise ValueError(f"{name}[0] (layer 1) has shape {ws[0].shape}, so it expects an "
                         f"input of size {ws[0].shape[1]}, but x has size {n_in}")
    for i in range(1, len(ws)):
        if ws[i].shape[1] != ws[i - 1].shape[0]:
            raise ValueError(
                f"{name}[{i}] (layer {i + 1}) has shape {ws[i].shape}, so it expects an "
                f"input of size {ws[i].shape[1]}, but {name}[{i - 1}] (layer {i}) has "
                f"shape {ws[i - 1].shape} and outputs size {ws[i - 1].shape[0]}")
    return ws


def _check_network(weights, biases, x, activation):
    x = np.asarray(x, dtype=float)
    if x.ndim != 1:
        raise ValueError(f"x must be a 1-D input vector, got shape {x.shape}")
    ws = _check_weights(weights, n_in=x.shape[0])
    if biases is None:
        bs = [np.zeros(w.shape[0]) for w in ws]
    else:
        try:
            bs = [np.asarray(b, dtype=float) for b in biases]
        except TypeError:
            raise ValueError(f"biases must be None or a sequence of 1-D arrays, "
                             f"got {type(biases).__name__}") from None
        if len(bs) != len(ws):
            raise ValueError(f"biases must have one vector per layer: got {len(bs)} "
                             f"biases for {len(ws)} weight matrices")
        for i, (b, w) in enumerate(zip(bs, ws)):
            if b.shape != (w.shape[0],):
                raise ValueError(f"biases[{i}] (layer {i + 1}) must have shape "
                                 f"({w.shape[0]},) to match weights[{i}] with shape "
                                 f"{w.shape}, got shape {b.shape}")
    acts = _as_activations(activation, len(ws))
    return ws, bs, x, acts


def _check_jacobians(jacobians: Sequence[ArrayLike]) -> list[np.ndarray]:
    return _check_weights(jacobians, name="jacobians")


def _check_delta(delta_L: ArrayLike, n_out: int, name: str = "delta_L") -> np.ndarray:
    d = np.asarray(delta_L, dtype=float)
    if d.shape != (n_out,):
        raise ValueError(f"{name} must have shape ({n_out},) to match the network's "
                         f"output, got shape {d.shape}")
    return d


# ---------------------------------------------------------------------------
# networks
# ---------------------------------------------------------------------------

def random_mlp(widths: Sequence[int], gain: float = 1.0, *, init: str = "gaussian",
               bias_mean: float = 0.0, bias_std: float = 0.0,
               seed: int | np.random.Generator | None = None,
               ) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Random weights and biases for an MLP with layer sizes ``widths``.

    Parameters
    ----------
    widths
        ``[n_0, n_1, ..., n_L]``, at least two positive integers.
    gain
        ``init="gaussian"``: entries of ``W_l`` are i.i.d.
        :math:`\\mathcal{N}(0, \\text{gain}^2 / n_{l-1})`, so that
        :math:`\\mathbb{E}\\lVert W_l^\\top v\\rVert^2 = \\text{gain}^2 \\lVert v\\rVert^2`
        for every fixed vector ``v``. ``init="orthogonal"``: ``W_l`` is
        ``gain`` times a random (semi-)orthogonal matrix, so every nonzero
        singular value equals ``gain`` and :math:`\\lVert W_l\\rVert_2 = \\text{gain}`.
    bias_mean, bias_std
        Biases are i.i.d. :math:`\\mathcal{N}(\\text{bias\\_mean}, \\text{bias\\_std}^2)`.
    seed
        Seed or numpy Generator.

    Returns
    -------
    weights, biases
        Lists of length ``L``.
    """
    widths = list(widths)
    if len(widths) < 2:
        raise ValueError(f"widths must list at least an input and an output size, got {widths}")
    for i, n in enumerate(widths):
        _check_int(n, f"widths[{i}]", 1)
    gain = _check_float(gain, "gain", positive=True)
    if init not in ("gaussian", "orthogonal"):
        raise ValueError(f"init must be 'gaussian' or 'orthogonal', got {init!r}")
    bias_std = _check_float(bias_std, "bias_std", nonneg=True)
    bias_mean = _check_float(bias_mean, "bias_mean")
    rng = np.random.default_rng(seed)
    weights, biases = [], []
    for n_in, n_out in zip(widths[:-1], widths[1:]):
        a = rng.standard_normal((n_out, n_in))
        if init == "gaussian":
            w = gain * a / np.sqrt(n_in)
        else:
            tall = a if n_out >= n_in else a.T
            q, r = np.linalg.qr(tall)
            q = q * np.where(np.diag(r) < 0, -1.0, 1.0)  # Haar-distributed
            w = gain * (q if n_out >= n_in else q.T)
        weights.append(w)
        biases.append(bias_mean + bias_std * rng.standard_normal(n_out))
    return weights, biases


def mlp_forward(weights: Sequence[ArrayLike], biases: Sequence[ArrayLike] | None,
                x: ArrayLike, activation: str | Sequence[str],
                ) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Forward pass, keeping every layer.

    Returns
    -------
    zs
        Pre-activations ``[z_1, ..., z_L]``.
    hs
        Activations ``[h_0 = x, h_1, ..., h_L]``.
    """
    ws, bs, x, acts = _check_network(weights, biases, x, activation)
    zs, hs = [], [x]
    for w, b, a in zip(ws, bs, acts):
        z = w @ hs[-1] + b
        zs.append(z)
        hs.append(activate(z, a))
    return zs, hs


def mlp_jacobians(weights: Sequence[ArrayLike], biases: Sequence[ArrayLike] | None,
                  x: ArrayLike, activation: str | Sequence[str]) -> list[np.ndarray]:
    """Layer Jacobians :math:`J_\\ell = \\operatorname{diag}(\\sigma'(z_\\ell)) W_\\ell`.

    Parameters
    ----------
    weights
        ``[W_1, ..., W_L]``, ``W_l`` of shape ``(n_l, n_{l-1})``.
    biases
        ``None`` or ``[b_1, ..., b_L]``, ``b_l`` of shape ``(n_l,)``.
    x
        Input vector of shape ``(n_0,)``.
    activation
        A name in ``ACTIVATIONS`` or one name per layer.

    Returns
    -------
    list of numpy.ndarray
        ``[J_1, ..., J_L]``, ``J_l = dh_l/dh_{l-1}`` of shape ``(n_l, n_{l-1})``.
    """
    ws, bs, x, acts = _check_network(weights, biases, x, activation)
    zs, _ = mlp_forward(ws, bs, x, acts)
    return [activation_derivative(z, a)[:, None] * w for z, a, w in zip(zs, acts, ws)]


def backprop_deltas(jacobians: Sequence[ArrayLike], delta_L: ArrayLike) -> list[np.ndarray]:
    """Error signals :math:`\\delta^{(\\ell)} = J_{\\ell+1}^\\top \\delta^{(\\ell+1)}`.

    Parameters
    ----------
    jacobians
        ``[J_1, ..., J_L]`` as returned by :func:`mlp_jacobians`.
    delta_L
        :math:`\\delta^{(L)} = \\partial \\mathcal{L}/\\partial h_L`, shape ``(n_L,)``.

    Returns
    -------
    list of numpy.ndarray
        ``[delta_0, ..., delta_L]``; ``delta_0`` is the gradient with respect to
        the input ``x``.
    """
    js = _check_jacobians(jacobians)
    d = _check_delta(delta_L, js[-1].shape[0])
    deltas = [d]
    for j in reversed(js):
        deltas.append(j.T @ deltas[-1])
    return deltas[::-1]


def delta_norms(jacobians: Sequence[ArrayLike], delta_L: ArrayLike) -> np.ndarray:
    """Euclidean norms :math:`\\lVert\\delta^{(\\ell)}\\rVert` for ``l = 0, ..., L``."""
    return np.array([np.linalg.norm(d) for d in backprop_deltas(jacobians, delta_L)])


def spectral_norms(matrices: Sequence[ArrayLike]) -> np.ndarray:
    """Spectral norms :math:`\\lVert M\\rVert_2` (largest singular values) of each matrix.

    Works for Jacobians and for weight matrices alike.
    """
    ms = _check_weights(matrices, name="matrices")
    return np.array([np.linalg.norm(m, 2) for m in ms])


def product_bound(jacobians: Sequence[ArrayLike], delta_norm: float = 1.0) -> np.ndarray:
    """Upper bounds :math:`\\bigl(\\prod_{k=\\ell+1}^{L}\\lVert J_k\\rVert_2\\bigr)\\,\\lVert\\delta^{(L)}\\rVert`.

    Parameters
    ----------
    jacobians
        ``[J_1, ..., J_L]``.
    delta_norm
        :math:`\\lVert\\delta^{(L)}\\rVert`.

    Returns
    -------
    numpy.ndarray
        Length ``L + 1``; entry ``l`` bounds :math:`\\lVert\\delta^{(\\ell)}\\rVert`
        (entry ``L`` is ``delta_norm`` itself).
    """
    delta_norm = _check_float(delta_norm, "delta_norm", nonneg=True)
    s = spectral_norms(_check_jacobians(jacobians))
    # suffix products: bound[l] = prod_{k > l} ||J_k||
    suffix = np.concatenate([np.cumprod(s[::-1])[::-1], [1.0]])
    return delta_norm * suffix


def end_to_end_jacobian(jacobians: Sequence[ArrayLike]) -> np.ndarray:
    """The input–output Jacobian :math:`J_L \\cdots J_2 J_1` of shape ``(n_L, n_0)``.

    Examples
    --------
    At ``x = 0`` with no biases every ``tanh'`` is 1, so the layer Jacobians are
    the weights and the product is ``W_2 W_1``:

    >>> import numpy as np
    >>> from lyaplearn.jacobians import end_to_end_jacobian, mlp_jacobians
    >>> W1, W2 = np.array([[2.0, 0.0], [0.0, 0.5]]), np.array([[1.0, 1.0]])
    >>> jacobians = mlp_jacobians([W1, W2], None, np.zeros(2), "tanh")
    >>> end_to_end_jacobian(jacobians).tolist()
    [[2.0, 0.5]]
    """
    js = _check_jacobians(jacobians)
    out = js[0]
    for j in js[1:]:
        out = j @ out
    return out


def deep_linear_product(weights: Sequence[ArrayLike]) -> np.ndarray:
    """The map :math:`W_L \\cdots W_1` of the deep linear network :math:`y = W_L\\cdots W_1 x`.

    It is also the network's input–output Jacobian, and
    :math:`\\delta^{(0)} = (W_L\\cdots W_1)^\\top \\delta^{(L)}`.
    """
    ws = _check_weights(weights)
    out = ws[0]
    for w in ws[1:]:
        out = w @ out
    return out


def weight_gradients(weights: Sequence[ArrayLike], biases: Sequence[ArrayLike] | None,
                     x: ArrayLike, activation: str | Sequence[str],
                     delta_L: ArrayLike) -> list[np.ndarray]:
    """Gradients :math:`\\partial\\mathcal{L}/\\partial W_\\ell = (\\sigma'(z_\\ell)\\odot\\delta^{(\\ell)})\\, h_{\\ell-1}^\\top`.

    ``delta_L`` is :math:`\\partial\\mathcal{L}/\\partial h_L`; the result has one
    array per layer, shaped like ``weights``.
    """
    ws, bs, x, acts = _check_network(weights, biases, x, activation)
    zs, hs = mlp_forward(ws, bs, x, acts)
    ds = [activation_derivative(z, a) for z, a in zip(zs, acts)]
    jacs = [d[:, None] * w for d, w in zip(ds, ws)]
    deltas = backprop_deltas(jacs, delta_L)
    return [np.outer(ds[i] * deltas[i + 1], hs[i]) for i in range(len(ws))]


def weight_gradient_norms(weights: Sequence[ArrayLike], biases: Sequence[ArrayLike] | None,
                          x: ArrayLike, activation: str | Sequence[str],
                          delta_L: ArrayLike) -> np.ndarray:
    """Frobenius norms :math:`\\lVert\\partial\\mathcal{L}/\\partial W_\\ell\\rVert_F`, ``l = 1..L``."""
    return np.array([np.linalg.norm(g) for g in
                     weight_gradients(weights, biases, x, activation, delta_L)])
