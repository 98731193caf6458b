"""Headless tests for the chapter-4 explorer."""

from __future__ import annotations

import re

import numpy as np
import pytest

from lyaplearn.widgets import FigureExplorer
from lyaplearn.widgets import rnn as wr

pytestmark = pytest.mark.fp_sensitive


def test_explorer_redraws_when_controls_change():
    ex = wr.explorer(rho=0.9, kind="normal", activation="linear")
    assert isinstance(ex, FigureExplorer)
    assert set(ex.controls) == {"rho", "kind", "activation"}
    png0 = ex.image.value
    assert png0[:8] == b"\x89PNG\r\n\x1a\n"
    # a normal matrix: ||W^t|| = rho^t exactly, and a linear RNN's gradient equals it
    np.testing.assert_allclose(ex.last["power_norms"], 0.9 ** np.arange(wr.STEPS + 1), rtol=1e-9)
    np.testing.assert_allclose(ex.last["gradient"], ex.last["power_norms"], rtol=1e-9)

    ex.controls["kind"].value = "nonnormal"
    png1 = ex.image.value
    assert png1 != png0
    assert ex.last["kind"] == "nonnormal"
    assert ex.last["spectral_radius"] == pytest.approx(0.9, rel=1e-10)
    # transient growth above 1 although rho < 1
    assert ex.last["power_norms"].max() > 1.0

    ex.controls["rho"].value = 1.2
    assert ex.image.value != png1
    assert ex.last["spectral_radius"] == pytest.approx(1.2, rel=1e-10)
    np.testing.assert_allclose(ex.last["rho_powers"], 1.2 ** np.arange(wr.STEPS + 1), rtol=1e-12)

    ex.controls["activation"].value = "tanh"
    assert ex.last["activation"] == "tanh"
    # |tanh'| <= 1, so the tanh RNN never amplifies more than ||W||^k
    g, p = ex.last["gradient"], ex.last["power_norms"]
    assert np.all(g[1:] <= p[1] ** np.arange(1, g.size) * (1 + 1e-9))


def test_animation_returns_html_frames():
    html = wr.animation(rhos=[0.7, 1.0, 1.3], kind="normal")
    assert re.search(r'<img id="_anim_img[0-9a-f]+" alt="Animation [^"<>]+">', html)
    assert "<script" in html
    assert html.count("data:image/png") == 3


def test_animation_bad_input():
    with pytest.raises(ValueError, match="rhos must hold between 1 and 15 values, got 16"):
        wr.animation(rhos=np.linspace(0.5, 1.5, 16))
    with pytest.raises(ValueError, match="kind must be one of"):
        wr.animation(rhos=[1.0], kind="unitary")
    with pytest.raises(ValueError, match="activation must be one of"):
        wr.animation(rhos=[1.0], activation="gelu")
