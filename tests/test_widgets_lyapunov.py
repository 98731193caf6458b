"""Headless tests of the chapter-5 explorer."""

from __future__ import annotations

import re
import math

import pytest

from lyaplearn import style
from lyaplearn.widgets import lyapunov as wl

pytestmark = pytest.mark.fp_sensitive


def test_explorer_responds_to_gain_and_input():
    ex = wl.explorer(gain=0.6, input_std=0.77)
    png0 = ex.image.value
    assert png0[:8] == b"\x89PNG\r\n\x1a\n"
    assert ex.last["regime"] == "stable"
    # orthogonal W, g = 0.6 < 1: contraction at least as fast as log g
    assert ex.last["lambda_max"] < math.log(0.6) + 1e-9
    ex.controls["gain"].value = 3.5
    assert ex.image.value != png0
    assert ex.last["regime"] == "chaotic" and ex.last["lambda_max"] > 0.1
    lam_chaos = ex.last["lambda_max"]
    # strong input stabilises (Molgedey et al. 1992): λ_max drops
    ex.controls["input_std"].value = 1.5
    assert ex.last["lambda_max"] < lam_chaos - 0.05
    assert len(ex.last["spectrum"]) == 32


def test_no_input_below_unit_gain_is_exactly_log_gain():
    """Autonomous, g < 1: h -> 0 and J -> g W (orthogonal), so every λ_i = log g."""
    fig, _ = style.figure()
    fig.clear()
    out = wl.draw(fig, gain=0.5, input_std=0.0, warmup=200)
    assert out["lambda_max"] == pytest.approx(math.log(0.5), abs=1e-6)
    assert out["mean_exponent"] == pytest.approx(math.log(0.5), abs=1e-6)


def test_animation_has_frames():
    html = wl.animation(gains=[0.5, 2.0, 3.5])
    assert re.search(r'<img id="_anim_img[0-9a-f]+" alt="Animation [^"<>]+">', html)
    assert "<img" in html or "frames" in html
    assert html.count("data:image/png;base64") >= 3


def test_bad_inputs():
    fig, _ = style.figure()
    with pytest.raises(ValueError, match="gain must be"):
        wl.draw(fig, gain=-1.0)
    with pytest.raises(ValueError, match="input_std must be"):
        wl.draw(fig, input_std=float("nan"))
