"""Tests for lyaplearn.rnn._plots: the chapter's figures are labelled, on log axes."""

from __future__ import annotations


import pytest

from lyaplearn import rnn

pytestmark = pytest.mark.fp_sensitive


def test_plots_return_figures_with_labelled_log_axes():
    W1 = rnn.init_recurrent(8, 0.9, "normal", 0)
    W2 = rnn.init_recurrent(8, 0.9, "nonnormal", 0)
    fig = rnn.plot_power_norms({"normal": W1, "non-normal": W2}, 20)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log" and ax.get_xlabel() and ax.get_ylabel()
    fig = rnn.plot_gelfand({"a": W1}, 50)
    assert fig.axes[0].get_ylabel()
    fig = rnn.plot_gradient_vs_lag({"tanh": rnn.lag_profile(W2, 20)})
    assert fig.axes[0].get_yscale() == "log"
    runs = [rnn.train_recall(hidden=8, length=5, steps=5),
            rnn.train_recall(max_norm=1.0, hidden=8, length=5, steps=5)]
    fig = rnn.plot_clipping_curves(runs)
    assert len(fig.axes) == 2 and all(a.get_yscale() == "log" for a in fig.axes)
    ens = rnn.clipping_ensemble(seeds=[0, 1], hidden=8, length=5, steps=5)
    fig = rnn.plot_clipping_ensemble(ens)
    assert len(fig.axes) == 2 and all(a.get_yscale() == "log" for a in fig.axes)
    assert all(a.get_xlabel() or a.get_xticklabels() for a in fig.axes)
    assert all(a.get_ylabel() for a in fig.axes)
