"""Backpropagation as a product of layer Jacobians (chapter 2).

A multilayer perceptron (MLP) with layers

.. math::

    z_\\ell = W_\\ell h_{\\ell-1} + b_\\ell, \\qquad h_\\ell = \\sigma_\\ell(z_\\ell),
    \\qquad h_0 = x, \\qquad \\ell = 1, \\dots, L,

has layer Jacobians :math:`J_\\ell = \\partial h_\\ell / \\partial h_{\\ell-1}
= \\operatorname{diag}(\\sigma_\\ell'(z_\\ell)) W_\\ell` of shape
:math:`(n_\\ell, n_{\\ell-1})`. The error signals
:math:`\\delta^{(\\ell)} = \\partial \\mathcal{L} / \\partial h_\\ell` obey
:math:`\\delta^{(\\ell)} = J_{\\ell+1}^\\top \\delta^{(\\ell+1)}`, so

.. math::

    \\lVert \\delta^{(\\ell)} \\rVert \\le
    \\Bigl(\\prod_{k=\\ell+1}^{L} \\lVert J_k \\rVert_2\\Bigr) \\lVert \\delta^{(L)} \\rVert .

Everything here is plain numpy on a single input vector ``x``; the helpers at
the end move the same network into and out of ``torch.nn.Sequential`` so that
the numbers can be checked against autograd.

Conventions
-----------
``weights`` is a sequence ``[W_1, ..., W_L]`` with ``W_l`` of shape
``(n_l, n_{l-1})``; ``biases`` is ``None`` (no biases) or ``[b_1, ..., b_L]``
with ``b_l`` of shape ``(n_l,)``; ``activation`` is one name for every layer
or a sequence of ``L`` names (e.g. ``["tanh", "tanh", "linear"]`` for a linear
read-out). Python list position ``i`` holds layer ``l = i + 1``; error
messages give both.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
from numpy.typing import ArrayLike

from . import style

__all__ = [
    "ACTIVATIONS",
    "activate",
    "activation_derivative",
    "random_mlp",
    "mlp_forward",
    "mlp_jacobians",
    "backprop_deltas",
    "delta_norms",
    "spectral_norms",
    "product_bound",
    "end_to_end_jacobian",
    "deep_linear_product",
    "weight_gradients",
    "weight_gradient_norms",
    "torch_mlp",
    "sequential_parameters",
    "torch_gradient_norms",
    "saturation_example",
    "gain_sweep",
    "plot_layer_gradient_norms",
    "plot_bound_vs_actual",
    "plot_saturation_example",
    "plot_gain_sweep",
]

#: Activation names understood by every function in this module.
ACTIVATIONS: tuple[str, ...] = ("tanh", "sigmoid", "relu", "linear")

#: y-axis label used for error-signal norms.
DELTA_LABEL = r"$\|\delta^{(\ell)}\| = \|\partial \mathcal{L}/\partial h_\ell\|$"


# ---------------------------------------------------------------------------
# activations
# ---------------------------------------------------------------------------

def _check_activation_name(name: object, where: str = "activation") -> str:
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise ValueError(f"{where} must be one of {ACTIVATIONS}, got {name!r}")
    return name


def activate(z: ArrayLike, name: str) -> np.ndarray:
    """Apply the activation ``name`` elementwise.

    Parameters
    ----------
    z
        Pre-activations.
    name
        One of :data:`ACTIVATIONS`.
    """
    name = _check_activation_name(name, "name")
    z = np.asarray(z, dtype=float)
    if name == "tanh":
        return np.tanh(z)
    if name == "sigmoid":
        # numerically stable logistic function
        return 0.5 * (1.0 + np.tanh(0.5 * z))
    if name == "relu":
        return np.maximum(z, 0.0)
    return z.copy()


def activation_derivative(z: ArrayLike, name: str) -> np.ndarray:
    """Elementwise derivative :math:`\\sigma'(z)` of the activation ``name``.

    For ``"relu"`` the derivative at exactly ``0`` is taken as ``0``, as in
    torch.
    """
    name = _check_activation_name(name, "name")
    z = np.asarray(z, dtype=float)
    if name == "tanh":
        return 1.0 - np.tanh(z) ** 2
    if name == "sigmoid":
        s = 0.5 * (1.0 + np.tanh(0.5 * z))
        return s * (1.0 - s)
    if name == "relu":
        return (z > 0).astype(float)
    return np.ones_like(z)


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
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"widths[{i}] must be a positive integer, got {n!r}")
    if not np.isfinite(gain) or gain <= 0:
        raise ValueError(f"gain must be a positive finite number, got {gain!r}")
    if init not in ("gaussian", "orthogonal"):
        raise ValueError(f"init must be 'gaussian' or 'orthogonal', got {init!r}")
    if not np.isfinite(bias_std) or bias_std < 0:
        raise ValueError(f"bias_std must be a non-negative number, got {bias_std!r}")
    if not np.isfinite(bias_mean):
        raise ValueError(f"bias_mean must be finite, got {bias_mean!r}")
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
        A name in :data:`ACTIVATIONS` or one name per layer.

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
    if not np.isfinite(delta_norm) or delta_norm < 0:
        raise ValueError(f"delta_norm must be a non-negative number, got {delta_norm!r}")
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


# ---------------------------------------------------------------------------
# torch bridge
# ---------------------------------------------------------------------------

def _torch_modules():
    import torch.nn as nn
    return nn, {"tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "relu": nn.ReLU}


def torch_mlp(weights: Sequence[ArrayLike], biases: Sequence[ArrayLike] | None,
              activation: str | Sequence[str]):
    """The same MLP as a float64 ``torch.nn.Sequential`` of ``Linear`` and activation modules.

    A ``"linear"`` layer is a ``Linear`` module with no activation module after it.
    """
    import torch

    ws = _check_weights(weights)
    ws, bs, _, acts = _check_network(ws, biases, np.zeros(ws[0].shape[1]), activation)
    nn, mods = _torch_modules()
    layers = []
    for w, b, a in zip(ws, bs, acts):
        lin = nn.Linear(w.shape[1], w.shape[0], bias=biases is not None, dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(w))
            if biases is not None:
                lin.bias.copy_(torch.from_numpy(b))
        layers.append(lin)
        if a != "linear":
            layers.append(mods[a]())
    return nn.Sequential(*layers)


def _layer_groups(model) -> list[tuple[object, str]]:
    """Split a Sequential into (Linear, activation name) pairs."""
    nn, mods = _torch_modules()
    names = {cls: name for name, cls in mods.items()}
    if not isinstance(model, nn.Sequential):
        raise ValueError(f"model must be a torch.nn.Sequential, got {type(model).__name__}")
    groups: list[tuple[object, str]] = []
    for i, m in enumerate(model):
        if isinstance(m, nn.Linear):
            groups.append((m, "linear"))
        elif type(m) in names or isinstance(m, nn.Identity):
            if not groups or groups[-1][1] != "linear":
                raise ValueError(f"model[{i}] ({type(m).__name__}) must follow a Linear "
                                 f"module directly")
            if not isinstance(m, nn.Identity):
                groups[-1] = (groups[-1][0], names[type(m)])
        else:
            raise ValueError(f"model[{i}] must be Linear, Tanh, Sigmoid, ReLU or Identity, "
                             f"got {type(m).__name__}")
    if not groups:
        raise ValueError("model must contain at least one Linear module")
    return groups


def sequential_parameters(model) -> tuple[list[np.ndarray], list[np.ndarray] | None, list[str]]:
    """Weights, biases and activation names of a Linear/activation ``nn.Sequential``.

    Returns ``(weights, biases, activations)`` ready for :func:`mlp_jacobians`;
    ``biases`` is ``None`` when no ``Linear`` has a bias.
    """
    groups = _layer_groups(model)
    weights = [lin.weight.detach().double().cpu().numpy().copy() for lin, _ in groups]
    has_bias = [lin.bias is not None for lin, _ in groups]
    if any(has_bias):
        biases = [lin.bias.detach().double().cpu().numpy().copy() if lin.bias is not None
                  else np.zeros(lin.out_features) for lin, _ in groups]
    else:
        biases = None
    _check_weights(weights)
    return weights, biases, [a for _, a in groups]


def torch_gradient_norms(model, x: ArrayLike, delta_L: ArrayLike
                         ) -> tuple[np.ndarray, np.ndarray]:
    """Measure gradient norms of a real torch MLP with autograd.

    The loss is :math:`\\mathcal{L} = \\langle \\delta^{(L)}, h_L\\rangle`, whose
    gradient with respect to the output is exactly ``delta_L``. Every layer
    output :math:`h_\\ell` (after its activation) is kept with ``retain_grad``.

    Returns
    -------
    deltas
        :math:`\\lVert\\partial\\mathcal{L}/\\partial h_\\ell\\rVert`, ``l = 0, ..., L``.
    weight_grads
        :math:`\\lVert\\partial\\mathcal{L}/\\partial W_\\ell\\rVert_F`, ``l = 1, ..., L``.
    """
    import torch

    groups = _layer_groups(model)
    dtype = groups[0][0].weight.dtype
    x = np.asarray(x, dtype=float)
    if x.shape != (groups[0][0].in_features,):
        raise ValueError(f"x must have shape ({groups[0][0].in_features},) to match the "
                         f"first Linear layer, got shape {x.shape}")
    d = _check_delta(delta_L, groups[-1][0].out_features)
    for p in model.parameters():
        p.grad = None
    h = torch.tensor(x, dtype=dtype, requires_grad=True)
    hs = [h]
    for i, m in enumerate(model):
        h = m(h)
        is_last_of_layer = (i + 1 == len(model)) or isinstance(model[i + 1], torch.nn.Linear)
        if is_last_of_layer:
            h.retain_grad()
            hs.append(h)
    loss = (h * torch.tensor(d, dtype=dtype)).sum()
    loss.backward()
    deltas = np.array([float(t.grad.norm()) for t in hs])
    wg = np.array([float(lin.weight.grad.norm()) for lin, _ in groups])
    return deltas, wg


# ---------------------------------------------------------------------------
# experiments behind the figures
# ---------------------------------------------------------------------------

def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def saturation_example(depth: int = 30, width: int = 64, weight_norm: float = 2.0,
                       shift: float = 3.0, seed: int = 0) -> dict[str, dict[str, np.ndarray]]:
    """Expansive weights, four activations: who wins, the weights or the saturation?

    One set of weights ``W_l = weight_norm * Q_l`` (``Q_l`` random orthogonal,
    so :math:`\\lVert W_l\\rVert_2 = \\text{weight\\_norm}` and a linear network
    multiplies every gradient norm by exactly ``weight_norm`` per layer) is run
    with four choices: ``"linear"``, ``"tanh"`` (no bias), ``"tanh, shifted"``
    (every bias equal to ``shift``, which pushes units into tanh's flat tails)
    and ``"sigmoid"`` (:math:`\\sigma' \\le 1/4`).

    Returns
    -------
    dict
        label -> ``{"delta_norms": (depth+1,), "jacobian_norms": (depth,),
        "weight_norms": (depth,), "max_derivative": (depth,),
        "saturated_fraction": (depth,)}`` with
        :math:`\\lVert\\delta^{(L)}\\rVert = 1`; ``saturated_fraction`` is the share of
        each layer's units whose slope :math:`\\sigma'(z)` is below a tenth of the
        activation's largest slope (0 for the linear network).
    """
    if isinstance(depth, bool) or not isinstance(depth, (int, np.integer)) or depth < 1:
        raise ValueError(f"depth must be a positive integer, got {depth!r}")
    if isinstance(width, bool) or not isinstance(width, (int, np.integer)) or width < 1:
        raise ValueError(f"width must be a positive integer, got {width!r}")
    if not np.isfinite(shift):
        raise ValueError(f"shift must be finite, got {shift!r}")
    rng = np.random.default_rng(seed)
    ws, _ = random_mlp([width] * (depth + 1), weight_norm, init="orthogonal", seed=rng)
    x = rng.standard_normal(width)
    delta_L = _unit(rng.standard_normal(width))
    cases = {"linear": ("linear", 0.0), "tanh": ("tanh", 0.0),
             "tanh, shifted": ("tanh", shift), "sigmoid": ("sigmoid", 0.0)}
    out = {}
    for label, (act, b) in cases.items():
        top = float(activation_derivative(np.zeros(1), act)[0])     # sigma'(0), the largest
        bs = [np.full(width, b) for _ in ws]
        zs, _ = mlp_forward(ws, bs, x, act)
        js = mlp_jacobians(ws, bs, x, act)
        out[label] = {
            "delta_norms": delta_norms(js, delta_L),
            "jacobian_norms": spectral_norms(js),
            "weight_norms": spectral_norms(ws),
            "max_derivative": np.array([activation_derivative(z, act).max() for z in zs]),
            "saturated_fraction": np.array([np.mean(activation_derivative(z, act) < 0.1 * top)
                                            for z in zs]),
        }
    return out


def gain_sweep(gains: Sequence[float], activations: Sequence[str] = ACTIVATIONS,
               depth: int = 20, width: int = 64, seed: int = 0, trials: int = 3,
               ) -> dict[str, np.ndarray]:
    """Gradient growth per layer of random Gaussian MLPs as a function of the gain.

    For each activation and gain, ``trials`` networks (weights
    :math:`\\mathcal{N}(0,\\text{gain}^2/n)`, no biases, standard normal input)
    are built; the return value is the mean over trials of
    :math:`\\frac{1}{L}\\log(\\lVert\\delta^{(0)}\\rVert/\\lVert\\delta^{(L)}\\rVert)`
    in nats per layer (0 means the norm is preserved on average).

    Returns
    -------
    dict
        activation -> array of the same length as ``gains``.
    """
    gains = np.asarray(gains, dtype=float)
    if gains.ndim != 1 or gains.size == 0 or np.any(~np.isfinite(gains)) or np.any(gains <= 0):
        raise ValueError(f"gains must be a non-empty 1-D sequence of positive numbers, "
                         f"got {gains!r}")
    acts = [_check_activation_name(a, "activations") for a in activations]
    if isinstance(trials, bool) or not isinstance(trials, (int, np.integer)) or trials < 1:
        raise ValueError(f"trials must be a positive integer, got {trials!r}")
    rng = np.random.default_rng(seed)
    seeds = rng.integers(0, 2**32, size=(len(gains), trials))
    out = {a: np.zeros(len(gains)) for a in acts}
    for gi, g in enumerate(gains):
        for t in range(trials):
            r = np.random.default_rng(seeds[gi, t])
            ws, _ = random_mlp([width] * (depth + 1), g, seed=r)
            x = r.standard_normal(width)
            d = _unit(r.standard_normal(width))
            for a in acts:
                n = delta_norms(mlp_jacobians(ws, None, x, a), d)
                out[a][gi] += np.log(max(n[0], 1e-300)) / depth / trials
    return out


# ---------------------------------------------------------------------------
# figures
# ---------------------------------------------------------------------------

def _plain_log_ticks(axis) -> None:
    """Label a log axis spanning less than two decades with plain numbers."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 3.0, 5.0)))
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    axis.set_minor_formatter(NullFormatter())


@style.styled
def plot_layer_gradient_norms(norms: Mapping[str, ArrayLike] | ArrayLike, *,
                              title: str | None = None,
                              ylabel: str = DELTA_LABEL,
                              figsize: tuple[float, float] = (6.4, 3.8)):
    """Per-layer gradient norms on a log axis.

    Parameters
    ----------
    norms
        One array of norms indexed by layer ``l = 0, ..., L`` (or ``1, ..., L``
        for weight gradients: pass them with length ``L``, they are plotted at
        ``l = 1..L``), or a mapping label -> such array.
    """
    if not isinstance(norms, Mapping):
        norms = {"": norms}
    if len(norms) == 0:
        raise ValueError("norms must contain at least one curve")
    fig, ax = style.figure(figsize=figsize)
    lengths = set()
    for i, (label, n) in enumerate(norms.items()):
        n = np.asarray(n, dtype=float)
        if n.ndim != 1 or n.size == 0:
            raise ValueError(f"norms[{label!r}] must be a non-empty 1-D array, got shape {n.shape}")
        lengths.add(n.size)
        layers = np.arange(n.size)
        # distinct markers and dashes, so that curves that coincide stay visible
        ax.semilogy(layers, np.maximum(n, np.finfo(float).tiny), label=label or None,
                    marker="osD^v"[i % 5], ms=max(8.0 - 2.5 * i, 3.0),
                    mfc="none" if i == 0 else None, ls=["-", "--", ":", "-."][i % 4],
                    color=style.PALETTE[i % len(style.PALETTE)])
    ax.set_xlabel(r"layer $\ell$ (0 = input)")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if any(label for label in norms):
        ax.legend()
    return fig


@style.styled
def plot_bound_vs_actual(jacobians: Sequence[ArrayLike], delta_L: ArrayLike, *,
                         title: str | None = None):
    """Left: per-layer spectral norms :math:`\\lVert J_\\ell\\rVert_2`. Right: the
    measured :math:`\\lVert\\delta^{(\\ell)}\\rVert` against the product bound."""
    js = _check_jacobians(jacobians)
    d = _check_delta(delta_L, js[-1].shape[0])
    s = spectral_norms(js)
    actual = delta_norms(js, d)
    bound = product_bound(js, float(np.linalg.norm(d)))
    fig, (ax1, ax2) = style.figure(1, 2, figsize=(style.PAGE_WIDTH, 3.6))
    layers = np.arange(1, len(js) + 1)
    ax1.plot(layers, s, "o-", ms=4, label=r"$\|J_\ell\|_2$")
    ax1.axhline(1.0, color="0.4", ls=":", lw=1.2)
    ax1.set_xlabel(r"layer $\ell$")
    ax1.set_ylabel(r"spectral norm $\|J_\ell\|_2$")
    ax1.set_ylim(bottom=0)
    ax1.set_title("per-layer Jacobian norms")
    ell = np.arange(len(js) + 1)
    ax2.semilogy(ell, bound, "s--", ms=3.5, color=style.PALETTE[1],
                 label=r"bound $\prod_{k>\ell}\|J_k\|_2\,\|\delta^{(L)}\|$")
    ax2.semilogy(ell, actual, "o-", ms=3.5, color=style.PALETTE[0],
                 label=r"actual $\|\delta^{(\ell)}\|$")
    ax2.set_xlabel(r"layer $\ell$ (0 = input)")
    ax2.set_ylabel("gradient norm")
    ax2.set_title("bound vs actual")
    ax2.legend(loc="upper right", fontsize=8.5)
    if title:
        fig.suptitle(title)
    return fig


@style.styled
def plot_saturation_example(depth: int = 30, width: int = 64, weight_norm: float = 2.0,
                            shift: float = 3.0, seed: int = 0):
    """The figure of :func:`saturation_example`.

    Left: :math:`\\lVert\\delta^{(\\ell)}\\rVert` per layer (log axis). Right: the
    per-layer factor actually realised, :math:`\\lVert\\delta^{(\\ell-1)}\\rVert /
    \\lVert\\delta^{(\\ell)}\\rVert`, next to :math:`\\lVert W_\\ell\\rVert_2`.
    """
    data = saturation_example(depth, width, weight_norm, shift, seed)
    fig, (ax1, ax2) = style.figure(1, 2, figsize=(style.PAGE_WIDTH, 3.8))
    layers = np.arange(depth + 1)
    for i, (label, d) in enumerate(data.items()):
        name = f"tanh, bias {shift:g}" if label == "tanh, shifted" else label
        c = style.PALETTE[i]
        ax1.semilogy(layers, d["delta_norms"], "o-", ms=3, color=c, label=name)
        ratio = d["delta_norms"][:-1] / d["delta_norms"][1:]
        ax2.semilogy(np.arange(1, depth + 1), ratio, "o-", ms=3, color=c)
    ax2.axhline(weight_norm, color="0.3", ls="--", lw=1.2,
                label=rf"$\|W_\ell\|_2 = {weight_norm:g}$ (colours as on the left)")
    ax2.axhline(1.0, color="0.5", ls=":", lw=1.0)
    _plain_log_ticks(ax2.yaxis)
    ax1.set_xlabel(r"layer $\ell$ (0 = input)")
    ax1.set_ylabel(DELTA_LABEL)
    ax1.set_title(rf"same weights, $\|W_\ell\|_2 = {weight_norm:g}$")
    ax1.legend()
    ax2.set_xlabel(r"layer $\ell$")
    ax2.set_ylabel(r"factor $\|\delta^{(\ell-1)}\| / \|\delta^{(\ell)}\|$")
    ax2.set_title("realised factor per layer")
    ax2.legend(fontsize=8.5, loc="lower right")
    return fig


@style.styled
def plot_gain_sweep(gains: Sequence[float] = tuple(np.geomspace(0.5, 4.0, 15)),
                    activations: Sequence[str] = ACTIVATIONS, depth: int = 20,
                    width: int = 64, seed: int = 0, trials: int = 3):
    """Growth rate per layer (nats per layer) of :math:`\\lVert\\delta\\rVert` against
    the weight gain, one curve per activation (see :func:`gain_sweep`)."""
    rates = gain_sweep(gains, activations, depth, width, seed, trials)
    fig, ax = style.figure(figsize=(6.6, 3.9))
    for i, (a, r) in enumerate(rates.items()):
        ax.semilogx(gains, r, "o-", ms=3.5, color=style.PALETTE[i], label=a)
    ax.axhline(0.0, color="0.4", ls=":", lw=1.2)
    _plain_log_ticks(ax.xaxis)
    ax.set_xlabel("weight gain $g$ (entries $\\sim\\mathcal{N}(0, g^2/n)$)")
    ax.set_ylabel(r"$\frac{1}{L}\log\frac{\|\delta^{(0)}\|}{\|\delta^{(L)}\|}$ (nats per layer)")
    ax.set_title(f"gradient growth rate, depth {depth}, width {width}")
    ax.legend()
    return fig
