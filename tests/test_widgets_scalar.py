"""Headless tests for the chapter-1 explorers."""

from __future__ import annotations

import re

import numpy as np
import pytest

from lyaplearn.widgets import FigureExplorer
from lyaplearn.widgets import scalar as ws

pytestmark = pytest.mark.fp_insensitive

PNG = b"\x89PNG\r\n\x1a\n"


def test_gd_explorer_follows_the_sliders():
    ex = ws.gd_explorer(eta=0.5, a=1.0)
    assert isinstance(ex, FigureExplorer)
    assert set(ex.controls) == {"eta", "a"}
    png0 = ex.image.value
    assert png0[:8] == PNG
    assert ex.last["r"] == pytest.approx(0.5)
    np.testing.assert_allclose(ex.last["trajectory"], 0.5 ** np.arange(31), rtol=1e-12)
    assert ex.last["regime"] == "monotone shrinking" and ex.last["stable"]

    ex.controls["eta"].value = 2.2
    assert ex.image.value != png0
    assert ex.last["r"] == pytest.approx(-1.2)
    assert ex.last["regime"] == "oscillating growing" and not ex.last["stable"]
    np.testing.assert_allclose(ex.last["trajectory"], (-1.2) ** np.arange(31), rtol=1e-12)

    png1 = ex.image.value
    ex.controls["a"].value = 0.5  # same eta, 2/a = 4: stable again
    assert ex.image.value != png1
    assert ex.last["r"] == pytest.approx(1 - 2.2 * 0.5)
    assert ex.last["stable"] and ex.last["regime"] == "oscillating shrinking"


def test_tower_explorer_follows_the_controls():
    ex = ws.tower_explorer(depth=10, activation="sigmoid")
    assert set(ex.controls) == {"depth", "activation", "slope"}
    assert ex.last["factors"].shape == (10,)
    assert 0 < abs(ex.last["gradient"]) <= 0.25 ** 10
    png0 = ex.image.value

    ex.controls["activation"].value = "linear"  # slope 1.5 by default
    assert ex.image.value != png0
    assert ex.last["gradient"] == pytest.approx(1.5 ** 10, rel=1e-12)

    ex.controls["depth"].value = 20
    assert ex.last["gradient"] == pytest.approx(3325.256730079651, rel=1e-12)
    np.testing.assert_allclose(ex.last["gradients"], 1.5 ** np.arange(21), rtol=1e-12)

    ex.controls["slope"].value = 0.5
    assert ex.last["gradient"] == pytest.approx(0.5 ** 20, rel=1e-12)

    ex.controls["activation"].value = "tanh"  # the slope no longer matters
    assert 0 < ex.last["gradient"] <= 1.0


def test_tower_explorer_tanh_factors_against_closed_form():
    ex = ws.tower_explorer(depth=4, activation="tanh")
    z = [0.5]  # z_0 = w x with the explorer's x = 1, w = 0.5
    for _ in range(3):
        z.append(np.tanh(z[-1]))
    np.testing.assert_allclose(ex.last["factors"], 1 / np.cosh(z) ** 2, rtol=1e-12)
    assert ex.last["gradient"] == pytest.approx(np.prod(1 / np.cosh(z) ** 2), rel=1e-12)


def test_animations_return_html_frames():
    html = ws.gd_animation(a=2.0, etas=[0.1, 0.5, 1.1])
    assert "<script" in html and html.count("data:image/png") == 3
    html = ws.tower_animation("linear", slope=1.5, depths=[1, 5])
    assert html.count("data:image/png") == 2
    for html in (ws.gd_animation(etas=[0.5]), ws.tower_animation(depths=[1])):
        assert re.search(r'<img id="_anim_img[0-9a-f]+" alt="Animation [^"<>]+">', html)


def test_default_gd_sweep_visits_every_behaviour():
    from lyaplearn import scalar
    a = 3.0
    seen = [scalar.gd_regime(ea / a, a) for ea in ws.GD_SWEEP]
    assert sorted(seen) == sorted(scalar.REGIMES)  # each behaviour exactly once


def test_aliases():
    assert ws.explorer is ws.gd_explorer and ws.animation is ws.gd_animation


def test_bad_input():
    with pytest.raises(ValueError, match="a must be a positive curvature"):
        ws.gd_animation(a=-1.0)
    with pytest.raises(ValueError, match="activation must be one of"):
        ws.tower_explorer(activation="relu")
    with pytest.raises(ValueError, match="activation must be one of"):
        ws.tower_animation(activation="softplus")
    with pytest.raises(ValueError, match="depth must be an integer >= 0"):
        ws.tower_explorer(depth=2.5)
