"""Chapter 9: the edge of chaos measured, beside the mean-field predictions.

Each prediction of :mod:`lyaplearn.meanfield` is measured here with one of the
book's engines, and drawn beside its measurement.

Measurements
    :func:`mlp_growth` (chapter 3's instruments on random tanh MLPs),
    :func:`rnn_lambda_measured` and :func:`rnn_spectra` (chapter 5's engine),
    :func:`annealed_spectrum` (the annealed random-matrix model),
    :func:`gated_lambda_max` (chapter 6's engine on ``nn.RNN``, ``GRU`` and ``LSTM``),
    :func:`zero_crossing`.
Chapter 7's runs at their start
    :func:`initial_spectra`, :func:`rebuild_error`, :func:`initial_lambda_max` and
    :func:`run_starts` (chapter 7's own networks at initialisation, checked against what its
    training loop recorded).
Larger networks
    :func:`run_sizes` writes ``lyaplearn/results/ch09_full.json`` (``python -m
    lyaplearn.edge``; ``--quick`` for a check of a few seconds), read back by
    :func:`load_results`.
Figures
    :func:`plot_phase_diagram`, :func:`plot_rnn_lambda`, :func:`plot_finite_size`,
    :func:`plot_spectrum_collapse`, :func:`plot_gated_edge`, :func:`plot_run_starts`.

Files (one concept each; import everything from ``lyaplearn.edge``): ``_measure.py`` the
measurements; ``_run_starts.py`` chapter 7's networks rebuilt at initialisation;
``_sizes.py`` the results file of larger networks and the command line; ``_plots.py``
the figures.

All exponents and growth rates are natural-log rates: nats per step (or per layer).

Example: where a measured ``lambda_max`` crosses zero, by linear interpolation.

>>> from lyaplearn.edge import zero_crossing
>>> zero_crossing([1.0, 2.0, 3.0], [-1.0, -0.5, 0.5])
2.5
"""

from __future__ import annotations

from ._measure import (  # noqa: F401
    MLPGrowth,
    annealed_spectrum,
    gated_lambda_max,
    mlp_growth,
    positive_band,
    rnn_lambda_measured,
    rnn_spectra,
    zero_crossing,
)
from ._plots import (  # noqa: F401
    plot_finite_size,
    plot_gated_edge,
    plot_phase_diagram,
    plot_rnn_lambda,
    plot_run_starts,
    plot_spectrum_collapse,
)
from ._run_starts import (  # noqa: F401
    initial_lambda_max,
    initial_spectra,
    rebuild_error,
    run_starts,
)
from ._sizes import RESULTS, SIZES, load_results, main, run_sizes  # noqa: F401

__all__ = [
    "MLPGrowth",
    "mlp_growth",
    "rnn_lambda_measured",
    "rnn_spectra",
    "annealed_spectrum",
    "gated_lambda_max",
    "zero_crossing",
    "initial_lambda_max",
    "initial_spectra",
    "rebuild_error",
    "run_starts",
    "run_sizes",
    "load_results",
    "plot_phase_diagram",
    "plot_rnn_lambda",
    "plot_finite_size",
    "plot_spectrum_collapse",
    "plot_gated_edge",
    "plot_run_starts",
    "main",
]
