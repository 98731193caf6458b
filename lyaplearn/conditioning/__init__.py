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

Files (one concept each; import everything from ``lyaplearn.conditioning``):
``_checks.py`` what the functions accept; ``_products.py`` singular values and
long products; ``_networks.py`` initialisers and deep networks' Jacobians;
``_plots.py`` the chapter's figures.

Example: ``diag(4, 1)`` stretches one axis four times more than the other.

>>> from lyaplearn.conditioning import condition_number
>>> condition_number([[4.0, 0.0], [0.0, 1.0]])
4.0
"""

from __future__ import annotations

from ._checks import (  # noqa: F401
    ACTIVATIONS,
    INITIALISERS,
)
from ._networks import (  # noqa: F401
    backward_norms,
    condition_vs_depth,
    critical_tanh,
    init_weights,
    input_output_jacobian,
    jacobian_log_singular_values,
    log_singular_values_vs_depth,
    network_jacobians,
    random_network,
    weight_variance,
)
from ._plots import (  # noqa: F401
    plot_condition_vs_depth,
    plot_directional_gain,
    plot_log_singular_values_vs_depth,
    plot_singular_value_histograms,
    plot_unit_circle,
)
from ._products import (  # noqa: F401
    condition_number,
    explicit_product,
    product_log_singular_values,
    singular_values,
)

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
