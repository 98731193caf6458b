"""Lyapunov exponents: the QR (Benettin) algorithm in numpy, and what it tells us.

This module is the book's reference implementation (chapter 5). All exponents
are natural-log rates, *nats per step*, sorted in descending order, unless a
function is asked for ``units="bits"``.

Algorithm
    :func:`spectrum_from_jacobians` (stored Jacobians, ``(T, N, N)`` or
    ``(B, T, N, N)``), :func:`map_spectrum` (an explicit map, with warm-up:
    the paper's Algorithm 2), :class:`QRAccumulator` (the shared core, for your
    own loops), :func:`random_frame`, :func:`product_svd_exponents` (the naive
    definition, to show why it fails).
Ensembles and summaries
    :class:`SpectrumEnsemble` (mean, standard error, history, derived
    quantities), :func:`rnn_spectrum`, :func:`regime`,
    :func:`logistic_exponents`, :func:`gradient_norms_vs_lag` (torch autograd).
Spectrum helpers (last axis: one spectrum ``(k,)`` or a batch ``(..., k)``)
    :func:`kaplan_yorke_dimension`, :func:`entropy`, :func:`spectrum_features`,
    :func:`to_bits`.
Figures
    :func:`plot_convergence` (paper's Fig. 2), :func:`plot_warmup_effect`
    (Fig. 5), :func:`plot_reortho_effect` (Fig. 6), :func:`plot_regimes`
    (Fig. 1), :func:`plot_logistic_exponent`, :func:`plot_product_svd_vs_qr`,
    :func:`plot_gradient_vs_lyapunov_prediction` (measured gradients against
    :math:`e^{\\lambda_{\\max}\\,\\mathrm{lag}}`).

Files (one concept each; import everything from ``lyaplearn.lyapunov``)
    ``_features.py`` what a spectrum tells (Kaplan-Yorke dimension, entropy,
    features, bits); ``_qr.py`` the QR (Benettin) algorithm; ``_ensemble.py``
    ensembles over trajectories, regimes, the logistic map and gradients against
    lag; ``_plots.py`` the chapter's figures. Chapter 5 reads them in this order.

Example: exponents 0.5 and -1 nats per step: one direction grows, and half of
the contracting one offsets it, so the Kaplan-Yorke dimension is 1 + 0.5/1.

>>> from lyaplearn.lyapunov import kaplan_yorke_dimension
>>> kaplan_yorke_dimension([0.5, -1.0])
1.5
"""

from __future__ import annotations

from ._ensemble import (  # noqa: F401
    SpectrumEnsemble,
    gradient_norms_vs_lag,
    logistic_exponents,
    product_svd_exponents,
    regime,
    regime_runs,
    rnn_spectrum,
)
from ._features import (  # noqa: F401
    LN2,
    entropy,
    kaplan_yorke_dimension,
    spectrum_features,
    to_bits,
)
from ._plots import (  # noqa: F401
    REGIME_COLORS,
    plot_convergence,
    plot_gradient_vs_lyapunov_prediction,
    plot_logistic_exponent,
    plot_product_svd_vs_qr,
    plot_regimes,
    plot_reortho_effect,
    plot_warmup_effect,
)
from ._qr import (  # noqa: F401
    QRAccumulator,
    map_spectrum,
    random_frame,
    spectrum_from_jacobians,
)
from .._deprecated import _deprecated_alias

# the old name, kept for one release (lyaplearn/_deprecated.py)
plot_gradient_vs_lag = _deprecated_alias(plot_gradient_vs_lyapunov_prediction,
                                         "plot_gradient_vs_lag", "lyaplearn.lyapunov")

__all__ = [
    "kaplan_yorke_dimension",
    "entropy",
    "spectrum_features",
    "to_bits",
    "random_frame",
    "QRAccumulator",
    "spectrum_from_jacobians",
    "map_spectrum",
    "SpectrumEnsemble",
    "regime",
    "rnn_spectrum",
    "product_svd_exponents",
    "logistic_exponents",
    "gradient_norms_vs_lag",
    "regime_runs",
    "plot_convergence",
    "plot_warmup_effect",
    "plot_reortho_effect",
    "plot_regimes",
    "plot_logistic_exponent",
    "plot_product_svd_vs_qr",
    "plot_gradient_vs_lyapunov_prediction",
    "REGIME_COLORS",
]
