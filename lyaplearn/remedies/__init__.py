"""Chapter 8: keeping the product near one -- remedies, each measured.

Every remedy for vanishing and exploding gradients changes one thing: the
one-step (or one-layer) Jacobian whose product backpropagation computes. This
module builds the Jacobian of each remedy in closed form and hands it to the
instruments of the earlier chapters, which measure what the change does:
singular values of deep products (:func:`lyaplearn.conditioning.product_log_singular_values`),
gradient norms through depth (:func:`lyaplearn.conditioning.backward_norms`) and
Lyapunov spectra (:func:`lyaplearn.recurrent.lyapunov_spectrum`,
:func:`lyaplearn.recurrent.lyapunov_spectrum_step`, :func:`lyaplearn.lyapunov.map_spectrum`).

Residual blocks, ``h -> h + alpha * phi(W h + b)``
    :func:`residual_jacobians`, :func:`depth_profile` (a :class:`DepthProfile`),
    :func:`gradient_loss_depth`,
    :func:`plot_residual`.
Layer normalisation
    :func:`layer_norm`, :func:`layer_norm_jacobian`, :func:`ln_network_jacobians`,
    :func:`gain_profiles`, :func:`rnn_cell_step`, :class:`TanhCell`, :func:`cell_lambda_max`,
    :func:`plot_layer_norm`, :func:`plot_cell_lambda`.
Orthogonal, unitary and spectrally normalised recurrences
    :func:`skew_orthogonal`, :func:`orthogonal_matrix`, :func:`spectral_normalised`,
    :func:`procrustes_distance`, :func:`fit_orthogonal`, :func:`recurrence_spectra`,
    :func:`plot_recurrences`.
Gating
    :func:`gated_rnn`, :func:`gating_spectra`, :func:`slow_modes`, :func:`plot_gating`.
Compounding error of autoregressive rollouts
    :func:`rollout_divergence`, :func:`growth_rate`, :func:`horizon`,
    :func:`henon_sequences`, :func:`train_one_step`, :func:`rollout_errors`,
    :func:`model_lambda_max`, :func:`plot_compounding`, :func:`plot_forcing`.

Exponents are natural-log rates, nats per step (or per layer).

Files (one remedy each; import everything from ``lyaplearn.remedies``)
    ``_residual.py`` residual blocks (section "Residual blocks: add the
    identity"); ``_layer_norm.py`` layer normalisation in an MLP and in a
    recurrent cell ("Layer normalisation: divide by the spread");
    ``_recurrences.py`` orthogonal and spectrally normalised recurrent matrices
    (the same section, after the recurrent cell); ``_gating.py`` gate biases and
    slow modes ("Gating: a diagonal path with gain near one"); ``_rollouts.py``
    compounding error, teacher forcing and scheduled sampling ("Compounding
    error in autoregressive rollouts"); ``_checks.py`` the argument checks they
    share; ``_plots.py`` the chapter's figures. Chapter 8 reads them in this
    order.

Example: an error of 0.001 that doubles every step (``lambda_max = ln 2``)
reaches 1 after ``log(1000) / ln 2 = log2(1000)`` steps, about ten:

>>> import math
>>> from lyaplearn.remedies import horizon
>>> round(horizon(math.log(2), 1e-3, 1.0), 4)
9.9658
"""

from __future__ import annotations

from ._gating import gated_rnn, gating_spectra, slow_modes  # noqa: F401
from ._layer_norm import (  # noqa: F401
    TanhCell,
    cell_lambda_max,
    gain_profiles,
    layer_norm,
    layer_norm_jacobian,
    ln_network_jacobians,
    rnn_cell_step,
)
from ._plots import (  # noqa: F401
    plot_cell_lambda,
    plot_compounding,
    plot_forcing,
    plot_gating,
    plot_layer_norm,
    plot_recurrences,
    plot_residual,
)
from ._recurrences import (  # noqa: F401
    fit_orthogonal,
    orthogonal_matrix,
    procrustes_distance,
    recurrence_spectra,
    skew_orthogonal,
    spectral_normalised,
)
from ._residual import (  # noqa: F401
    DepthProfile,
    depth_profile,
    gradient_loss_depth,
    residual_jacobians,
)
from ._rollouts import (  # noqa: F401
    ForcingRun,
    growth_rate,
    henon_sequences,
    horizon,
    model_lambda_max,
    rollout_divergence,
    rollout_errors,
    train_one_step,
)

__all__ = [
    "residual_jacobians",
    "DepthProfile",
    "depth_profile",
    "gradient_loss_depth",
    "layer_norm",
    "layer_norm_jacobian",
    "ln_network_jacobians",
    "gain_profiles",
    "rnn_cell_step",
    "TanhCell",
    "cell_lambda_max",
    "skew_orthogonal",
    "orthogonal_matrix",
    "spectral_normalised",
    "procrustes_distance",
    "fit_orthogonal",
    "recurrence_spectra",
    "gated_rnn",
    "gating_spectra",
    "slow_modes",
    "rollout_divergence",
    "growth_rate",
    "horizon",
    "henon_sequences",
    "train_one_step",
    "rollout_errors",
    "model_lambda_max",
    "ForcingRun",
    "plot_residual",
    "plot_layer_norm",
    "plot_cell_lambda",
    "plot_recurrences",
    "plot_gating",
    "plot_compounding",
    "plot_forcing",
]
