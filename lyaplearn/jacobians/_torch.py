"""The same quantities read from a torch model, as a check by autograd (chapter 2)."""

from __future__ import annotations

from typing import Sequence

import numpy as np
from numpy.typing import ArrayLike

from ._network import _check_delta, _check_network, _check_weights

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
