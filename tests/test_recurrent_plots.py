"""Tests for lyaplearn.recurrent._plots: the engine's figures have labelled axes and refuse
results they cannot draw."""

from __future__ import annotations

import pytest
import torch

from lyaplearn import recurrent as R
from _helpers.recurrent_reference import make

pytestmark = pytest.mark.fp_sensitive

torch.set_num_threads(1)


def test_plots_are_labelled_figures():
    m = make("lstm", H=3, seed=0, scale=0.5)
    X = torch.randn(20, 2, 3, dtype=torch.float64)
    full = R.lyapunov_spectrum(m, X, history=True)
    hid = R.lyapunov_spectrum(m, X, state="hidden")
    figs = [R.plot_spectra({"a": full}), R.plot_convergence(full),
            R.plot_full_vs_hidden(full, hid), R.plot_init_sweep({0.5: full, 1.0: full})]
    for fig in figs:
        for ax in fig.axes:
            assert ax.get_xlabel() and ax.get_ylabel()
    assert "nats per step" in figs[0].axes[0].get_ylabel()
    with pytest.raises(ValueError, match="history=True"):
        R.plot_convergence(hid)
    with pytest.raises(ValueError, match="results must map"):
        R.plot_spectra({})
