"""Headless tests of the chapter-8 explorer."""

from __future__ import annotations

import re
import math

import numpy as np
import pytest

from lyaplearn import conditioning, style
from lyaplearn.widgets import remedies as wr

pytestmark = pytest.mark.fp_sensitive


def test_explorer_reacts_to_controls():
    ex = wr.explorer(alpha=0.0, depth=20)
    png0 = ex.image.value
    assert png0[:8] == b"\x89PNG\r\n\x1a\n"
    # alpha = 0: the residual network is the identity, its product has all log sigma = 0
    np.testing.assert_allclose(ex.last["residual"].log_sv, 0.0, atol=1e-12)
    np.testing.assert_allclose(ex.last["residual"].grad_norms, 1.0, rtol=1e-12)
    ex.controls["alpha"].value = 1 / math.sqrt(20)
    assert ex.image.value != png0 and ex.last["alpha"] == pytest.approx(1 / math.sqrt(20))
    assert np.all(np.abs(ex.last["residual"].log_sv) < 3.0)
    # the plain network does not depend on alpha; what is drawn is what the library computes
    rng = np.random.default_rng(0)
    Ws, _ = conditioning.random_network(20, wr.WIDTH, "lecun", 1.0, rng=rng)
    x = rng.standard_normal(wr.WIDTH)
    ref = conditioning.product_log_singular_values(conditioning.network_jacobians(Ws, x))
    np.testing.assert_allclose(ex.last["plain"].log_sv, ref)


def test_animation_has_frames():
    html = wr.animation(alphas=(0.0, 0.5), depth=10)
    assert re.search(r'<img id="_anim_img[0-9a-f]+" alt="Animation [^"<>]+">', html)
    assert "<script" in html and html.count("data:image/png;base64") >= 2


def test_bad_values_are_rejected():
    fig, _ = style.figure()
    fig.clear()
    with pytest.raises(ValueError, match="alpha must lie in"):
        wr.draw(fig, alpha=-1.0)
    with pytest.raises(ValueError, match="alphas must hold between 1 and 15"):
        wr.animation(alphas=[])
