"""Tests for lyaplearn.conditioning._plots: chapter 3's figures are labelled and draw the
singular values they claim to (checked against numpy.linalg.svd)."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from lyaplearn import conditioning as C
from _helpers.conditioning_inputs import gaussian_stack as _gaussian_stack

pytestmark = pytest.mark.fp_insensitive


def _labelled(fig):
    assert isinstance(fig, Figure)
    for ax in fig.axes:
        assert ax.get_xlabel()
    assert fig.axes[0].get_ylabel()  # panels in a row share the first one's y label


def test_plot_unit_circle_axes_are_singular_values():
    M = np.array([[2.0, 1.0], [0.0, 0.5]])
    fig = C.plot_unit_circle(M)
    _labelled(fig)
    img = max((ln.get_xydata() for ln in fig.axes[1].lines), key=len)
    r = np.linalg.norm(img, axis=1)
    s = np.linalg.svd(M, compute_uv=False)
    assert r.max() == pytest.approx(s[0], rel=1e-3)
    assert r.min() == pytest.approx(s[1], rel=1e-3)
    with pytest.raises(ValueError, match=r"M must be a 2x2 matrix, got shape \(3, 3\)"):
        C.plot_unit_circle(np.eye(3))


def test_plot_directional_gain_endpoints():
    Js = _gaussian_stack(np.random.default_rng(17), 6, 8)
    fig = C.plot_directional_gain(Js, n_random=1)
    _labelled(fig)
    s = np.linalg.svd(np.linalg.multi_dot(Js[::-1]), compute_uv=False)
    ends = sorted(line.get_ydata()[0] for line in fig.axes[0].lines[-2:])
    assert ends == pytest.approx([s[-1], s[0]], rel=1e-8)


def test_other_plots_build():
    fig = C.plot_singular_value_histograms([1, 4], "lecun", width=12)
    _labelled(fig)
    assert len(fig.axes) == 2
    fig = C.plot_condition_vs_depth(6, ("he", "orthogonal"), "linear", width=8)
    _labelled(fig)
    assert len(fig.axes[0].lines) == 2
    # orthogonal + linear: log10 condition number 0 at every depth
    np.testing.assert_allclose(fig.axes[0].lines[1].get_ydata(), 0.0, atol=1e-10)
    fig = C.plot_log_singular_values_vs_depth(5, width=4)
    _labelled(fig)
    assert len(fig.axes[0].lines) == 4 + 1
    with pytest.raises(ValueError, match=r"depths must contain at least one depth"):
        C.plot_singular_value_histograms([])
