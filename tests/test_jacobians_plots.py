"""Tests for lyaplearn.jacobians._plots: chapter 2's figures are labelled, on log axes."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from lyaplearn import jacobians as jac
from _helpers.mlp_inputs import random_network as _network

pytestmark = pytest.mark.fp_insensitive


def _labelled(ax):
    return ax.get_xlabel() and ax.get_ylabel()


def test_plots_return_labelled_figures():
    ws, bs, x = _network([5, 5, 5, 5], seed=1)
    js = jac.mlp_jacobians(ws, bs, x, "tanh")
    d = np.ones(5)
    figs = [
        jac.plot_layer_gradient_norms({"a": jac.delta_norms(js, d), "b": np.ones(4)}, title="t"),
        jac.plot_layer_gradient_norms(jac.delta_norms(js, d)),
        jac.plot_bound_vs_actual(js, d, title="t"),
        jac.plot_saturation_example(depth=5, width=8),
        jac.plot_gain_sweep([0.5, 1.0, 2.0], ["tanh"], depth=4, width=8, trials=1),
    ]
    for f in figs:
        assert isinstance(f, Figure)
        for ax in f.axes:
            assert _labelled(ax)
    assert figs[0].axes[0].get_yscale() == "log"
    assert figs[2].axes[1].get_yscale() == "log"
