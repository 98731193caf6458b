"""Tests for lyaplearn.remedies._plots: every figure of chapter 8 has labelled axes."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lyaplearn import remedies as R

pytestmark = pytest.mark.fp_sensitive

torch.set_num_threads(1)


def test_plots_are_labelled_figures():
    prof = {"plain": R.depth_profile(10, 8, 1.0), "res": R.depth_profile(10, 8, 1.0, alpha=0.3)}
    X = np.abs(np.random.default_rng(0).standard_normal((11, 3))) * 1e-6
    figs = [R.plot_residual(prof), R.plot_layer_norm(R.gain_profiles([1.0, 2.0], depth=5, width=6)),
            R.plot_recurrences(R.recurrence_spectra(hidden=6, steps=20, warmup=5, batch=2)),
            R.plot_gating(R.gating_spectra(hidden=4, n_symbols=3, steps=20, warmup=5, batch=2)),
            R.plot_compounding({"model": X}, 0.4, tolerance=0.1),
            R.plot_forcing({"teacher": [np.ones((5, 3))], "scheduled": [np.ones((5, 3))]})]
    for fig in figs:
        for ax in fig.axes:
            assert ax.get_xlabel() and ax.get_ylabel()
    assert "nats per step" in figs[3].axes[0].get_ylabel()
    with pytest.raises(ValueError, match="profiles must"):
        R.plot_residual({})
