"""Time is depth: the linear algebra and training dynamics of recurrent networks.

The library behind chapter 4. A vanilla recurrent network

.. math:: h_t = \\varphi(W h_{t-1} + U x_t + b), \\qquad t = 1, \\dots, T,

is a deep network whose layers all share the matrix ``W``. Backpropagation
through time multiplies the error signal by the transposed step Jacobians
``J_t = diag(phi'(a_t)) W`` (with ``a_t`` the pre-activation), so the powers
of ``W`` and the products of the ``J_t`` decide whether gradients vanish or
explode.

Contents

* the activations the functions take (``activation=``, as everywhere in the
  library): ``ACTIVATIONS``;
* spectra and powers: :func:`spectral_radius`, :func:`power_norms`,
  :func:`gelfand_estimates`, :func:`init_recurrent`;
* the vanilla RNN: :func:`hidden_trajectory`, :func:`hidden_jacobians`,
  :func:`bptt_gradients`, :func:`bptt_gradient_norms`,
  :func:`jacobian_product_norms`, :func:`lag_profile`;
* training with and without gradient-norm clipping: :func:`recall_task`,
  :func:`clip_gradient_norm`, :func:`clipped_sgd_step`,
  :func:`train_recall`, :class:`TrainingRun`, and the same comparison over
  an ensemble of seeds, :func:`clipping_ensemble`, :class:`ClippingEnsemble`;
* figures: :func:`plot_power_norms`, :func:`plot_gelfand`,
  :func:`plot_gradient_vs_lag`, :func:`plot_clipping_curves`,
  :func:`plot_clipping_ensemble`.

A single training run of an expansive RNN is chaotic: another CPU, BLAS or
kernel path changes the last digits, and a few hundred SGD steps amplify them
until the step at which a run diverges, or whether it diverges at all, is a
matter of chance. Claims about clipping are therefore made over an ensemble of
seeds (:func:`clipping_ensemble`), never about one trajectory.

Files (one concept each; import everything from ``lyaplearn.rnn``):
``_matrices.py`` spectra, powers and initialisations of ``W``; ``_bptt.py`` the
vanilla RNN and backpropagation through time; ``_clipping.py`` training with and
without clipping; ``_plots.py`` the chapter's figures.

Example: with no input and a linear unit, BPTT multiplies by ``W^T`` at each
step, so for ``W = 0.5 I`` the gradient halves per step of lag.

>>> import numpy as np
>>> from lyaplearn.rnn import bptt_gradient_norms
>>> bptt_gradient_norms([0.5 * np.eye(2)] * 3, np.array([1.0, 0.0]))
array([1.   , 0.5  , 0.25 , 0.125])
"""

from __future__ import annotations

from ._bptt import (  # noqa: F401
    ACTIVATIONS,
    bptt_gradients,
    bptt_gradient_norms,
    hidden_jacobians,
    hidden_trajectory,
    jacobian_product_norms,
    lag_profile,
)
from ._clipping import (  # noqa: F401
    ClippingEnsemble,
    TrainingRun,
    clip_gradient_norm,
    clipped_sgd_step,
    clipping_ensemble,
    recall_task,
    train_recall,
)
from ._matrices import (  # noqa: F401
    KINDS,
    gelfand_estimates,
    init_recurrent,
    power_norms,
    spectral_radius,
)
from ._plots import (  # noqa: F401
    plot_clipping_curves,
    plot_clipping_ensemble,
    plot_gelfand,
    plot_gradient_vs_lag,
    plot_power_norms,
)
from .._deprecated import _deprecated_alias, _deprecated_constants

# the old names, kept for one release (lyaplearn/_deprecated.py); the functions' old keyword
# nonlinearity= (now activation=) is handled where they are defined
gradient_norms_vs_lag = _deprecated_alias(bptt_gradient_norms, "gradient_norms_vs_lag",
                                          "lyaplearn.rnn")
__getattr__ = _deprecated_constants("lyaplearn.rnn", {"NONLINEARITIES": ("ACTIVATIONS",
                                                                         ACTIVATIONS)})

__all__ = [
    "ACTIVATIONS",
    "KINDS",
    "spectral_radius",
    "init_recurrent",
    "power_norms",
    "gelfand_estimates",
    "hidden_trajectory",
    "hidden_jacobians",
    "bptt_gradients",
    "bptt_gradient_norms",
    "jacobian_product_norms",
    "lag_profile",
    "recall_task",
    "clip_gradient_norm",
    "clipped_sgd_step",
    "TrainingRun",
    "train_recall",
    "ClippingEnsemble",
    "clipping_ensemble",
    "plot_power_norms",
    "plot_gelfand",
    "plot_gradient_vs_lag",
    "plot_clipping_curves",
    "plot_clipping_ensemble",
]
