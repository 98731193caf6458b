"""Tests for lyaplearn.lyapunov._plots: chapter 5's figures draw, with labelled axes, and
refuse arguments they cannot draw."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from lyaplearn import lyapunov as L
from lyaplearn import maps as M

pytestmark = pytest.mark.fp_sensitive


def _labelled(fig):
    """Every panel with data has an x label and a y label, its own or that of a panel whose
    y axis it shares."""
    for ax in fig.axes:
        if ax.get_visible() and ax.has_data():
            shared = ax.get_shared_y_axes().get_siblings(ax)
            assert ax.get_xlabel() and any(a.get_ylabel() for a in shared), ax.get_title()


def test_figures_draw_with_labelled_axes():
    net = M.random_tanh_rnn(12, gain=2.5, input_std=0.7, seed=0)
    ens = L.rnn_spectrum(net, steps=30, trajectories=2, warmup=10, history=True, seed=0)
    J = np.stack([net.jacobian(np.zeros(12), x) for x in net.inputs(40, seed=1)])
    lags, norms = L.gradient_norms_vs_lag(net, steps=10, trajectories=2, warmup=5, seed=0)
    figs = [
        L.plot_convergence(ens, every=2, title="t"),
        L.plot_warmup_effect(net, warmups=(0, 10), steps=20, trajectories=2),
        L.plot_reortho_effect(net, intervals=(1, 8), steps=24, trajectories=2, warmup=5),
        L.plot_regimes((0.5, 3.0), n=8, initial_conditions=3, steps=10, spectrum_steps=20,
                       warmup=5),
        L.plot_logistic_exponent(3.5, 4.0, num=20, steps=50, warmup=50, points=10),
        L.plot_product_svd_vs_qr(J),
        L.plot_gradient_vs_lyapunov_prediction([("g = 2.5", lags, norms, ens.largest)]),
    ]
    for fig in figs:
        assert isinstance(fig, Figure)
        _labelled(fig)


def test_figure_bad_inputs():
    net = M.random_tanh_rnn(4, seed=0)
    with pytest.raises(ValueError, match="history=True"):
        L.plot_convergence(L.SpectrumEnsemble(np.zeros((2, 2))))
    with pytest.raises(ValueError, match="warmups must contain"):
        L.plot_warmup_effect(net, warmups=())
    with pytest.raises(ValueError, match="intervals must contain"):
        L.plot_reortho_effect(net, intervals=[])
    with pytest.raises(ValueError, match="intervals entries must be a positive integer"):
        L.plot_reortho_effect(net, intervals=[0])
    with pytest.raises(ValueError, match="gains must contain"):
        L.plot_regimes(())
    with pytest.raises(ValueError, match="need 0 < r_min < r_max <= 4"):
        L.plot_logistic_exponent(3.0, 2.0)
    with pytest.raises(ValueError, match="curves must contain"):
        L.plot_gradient_vs_lyapunov_prediction([])
    with pytest.raises(ValueError, match=r"jacobians must have shape \(T, N, N\)"):
        L.plot_product_svd_vs_qr(np.zeros((3, 3)))
