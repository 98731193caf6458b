"""Headless tests for the chapter-3 explorer."""

from __future__ import annotations

import re

import numpy as np
import pytest

from lyaplearn import conditioning as C
from lyaplearn.widgets import FigureExplorer
from lyaplearn.widgets import conditioning as wc

pytestmark = pytest.mark.fp_insensitive


def test_explorer_redraws_when_controls_change():
    ex = wc.explorer(depth=8, kind="orthogonal", gain=1.0, activation="linear")
    assert isinstance(ex, FigureExplorer)
    assert set(ex.controls) == {"depth", "kind", "gain", "activation"}
    png0 = ex.image.value
    assert png0[:8] == b"\x89PNG\r\n\x1a\n"
    # orthogonal + linear: every singular value is exactly 1 (log 0)
    assert ex.last["log_sv"].shape == (wc.WIDTH,)
    np.testing.assert_allclose(ex.last["log_sv"], 0.0, atol=1e-12)

    ex.controls["gain"].value = 1.25
    # gain g on every orthogonal layer: all singular values g**L
    np.testing.assert_allclose(ex.last["log_sv"], 8 * np.log(1.25), atol=1e-12)
    png1 = ex.image.value
    assert png1 != png0

    ex.controls["kind"].value = "lecun"
    assert ex.last["kind"] == "lecun"
    assert ex.last["log10_condition"] > 3  # Gaussian layers spread the spectrum
    png2 = ex.image.value
    assert png2 != png1

    ex.controls["depth"].value = 40
    assert ex.last["depth"] == 40
    assert ex.last["log10_condition"] > 20
    assert ex.last["outside"] > 0  # the smallest singular values leave the axis
    assert ex.image.value != png2

    ex.controls["activation"].value = "tanh"
    assert ex.last["activation"] == "tanh"


def test_linear_gaussian_spectrum_matches_numpy_at_small_depth():
    ex = wc.explorer(depth=2, kind="he", gain=1.0, activation="linear")
    rng = np.random.default_rng(0)  # draw() uses seed 0: same weights as random_network
    ws, _ = C.random_network(2, wc.WIDTH, "he", 1.0, rng=rng)
    s = np.linalg.svd(ws[1] @ ws[0], compute_uv=False)
    np.testing.assert_allclose(ex.last["log_sv"], np.log(s), atol=1e-9)


def test_animation_returns_html_frames():
    html = wc.animation(depths=[1, 4, 16], kind="orthogonal", activation="tanh")
    assert re.search(r'<img id="_anim_img[0-9a-f]+" alt="Animation [^"<>]+">', html)
    assert "<script" in html
    assert html.count("data:image/png") == 3


def test_animation_bad_input():
    with pytest.raises(ValueError, match="depths must hold between 1 and 15 values, got 16"):
        wc.animation(depths=list(range(1, 17)))
    with pytest.raises(ValueError, match="depths must hold between 1 and 15 values, got 0"):
        wc.animation(depths=[])
    with pytest.raises(ValueError, match=r"kind must be one of .* got 'glorot'"):
        wc.animation(depths=[1], kind="glorot")
    with pytest.raises(ValueError, match="depth must be a positive integer, got 0"):
        wc.animation(depths=[0])
