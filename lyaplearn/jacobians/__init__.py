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

Files (one concept each; import everything from ``lyaplearn.jacobians``):
``_network.py`` the MLP, its Jacobians and deltas (activations come from
``lyaplearn/_activations.py``); ``_torch.py`` the same read from a torch model;
``_experiments.py`` saturation and the sweep over gains; ``_plots.py`` the
chapter's figures.

Example: a linear network's end-to-end Jacobian is the product of its weights.

>>> import numpy as np
>>> from lyaplearn.jacobians import end_to_end_jacobian, mlp_jacobians
>>> Ws = [2.0 * np.eye(2), 3.0 * np.eye(2)]
>>> end_to_end_jacobian(mlp_jacobians(Ws, None, np.ones(2), "linear"))
array([[6., 0.],
       [0., 6.]])
"""

from __future__ import annotations

from ._experiments import (  # noqa: F401
    gain_sweep,
    saturation_example,
)
from ._network import (  # noqa: F401
    ACTIVATIONS,
    activate,
    activation_derivative,
    backprop_deltas,
    deep_linear_product,
    delta_norms,
    end_to_end_jacobian,
    mlp_forward,
    mlp_jacobians,
    product_bound,
    random_mlp,
    spectral_norms,
    weight_gradient_norms,
    weight_gradients,
)
from ._plots import (  # noqa: F401
    DELTA_LABEL,
    plot_bound_vs_actual,
    plot_gain_sweep,
    plot_layer_gradient_norms,
    plot_saturation_example,
)
from ._torch import (  # noqa: F401
    sequential_parameters,
    torch_gradient_norms,
    torch_mlp,
)

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
