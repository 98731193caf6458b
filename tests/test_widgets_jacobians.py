"""Headless tests for the chapter-2 explorer."""

from __future__ import annotations

import re

import numpy as np
import pytest

from lyaplearn.widgets import FigureExplorer
from lyaplearn.widgets import jacobians as wj

pytestmark = pytest.mark.fp_insensitive


def test_explorer_redraws_when_controls_change():
    ex = wj.explorer(depth=10, gain=1.0, activation="linear")
    assert isinstance(ex, FigureExplorer)
    assert set(ex.controls) == {"depth", "gain", "activation"}
    png0 = ex.image.value
    assert png0[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(ex.last["norms"]) == 11

    ex.controls["depth"].value = 25
    assert ex.last["depth"] == 25 and len(ex.last["norms"]) == 26
    png1 = ex.image.value
    assert png1 != png0

    ex.controls["gain"].value = 2.0
    assert ex.image.value != png1
    np.testing.assert_allclose(ex.last["reference"], 2.0 ** np.arange(25, -1, -1))

    ex.controls["activation"].value = "sigmoid"
    assert ex.last["activation"] == "sigmoid"
    # sigmoid caps every Jacobian norm at ||W||/4; with it the gradient shrinks
    assert ex.last["norms"][0] < 1e-6


def test_linear_network_gradient_scales_exactly_with_gain():
    # same seed and weights up to the factor g: ||delta_0|| is proportional to g^L
    ex = wj.explorer(depth=12, gain=1.0, activation="linear")
    n1 = ex.last["norms"][0]
    ex.controls["gain"].value = 1.5
    n2 = ex.last["norms"][0]
    assert n2 / n1 == pytest.approx(1.5 ** 12, rel=1e-10)


def test_animation_returns_html_frames():
    html = wj.animation(gains=[0.5, 1.0, 2.0], depth=6)
    assert re.search(r'<img id="_anim_img[0-9a-f]+" alt="Animation [^"<>]+">', html)
    assert "<script" in html
    assert html.count("data:image/png") == 3


def test_animation_bad_input():
    with pytest.raises(ValueError, match="gains must hold between 1 and 15 values, got 16"):
        wj.animation(gains=np.linspace(0.5, 2, 16))
    with pytest.raises(ValueError, match="depth must be a positive integer"):
        wj.animation(gains=[1.0], depth=0)


def test_profile_reference_and_bad_input():
    # the reference curve is the linear-network growth g^(L - l); delta_L is a unit vector
    p = wj.profile(depth=5, gain=2.0, activation="linear", width=8, seed=3)
    np.testing.assert_allclose(p["reference"], 2.0 ** np.arange(5, -1, -1))
    assert p["norms"][-1] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="depth must be a positive integer, got 2.5"):
        wj.profile(depth=2.5)
    with pytest.raises(ValueError, match="activation must be one of"):
        wj.profile(activation="gelu")


def test_animation_frames_share_one_y_range():
    html_a = wj.animation(gains=[0.5], depth=6)
    html_b = wj.animation(gains=[0.5, 3.0], depth=6)
    # the 0.5 frame is drawn on a wider y-range when 3.0 is in the sweep
    assert html_a.count("data:image/png") == 1 and html_b.count("data:image/png") == 2
    frame_a = html_a.split("data:image/png")[1][:2000]
    frame_b = html_b.split("data:image/png")[1][:2000]
    assert frame_a != frame_b
