"""Headless tests of the chapter-6 explorer."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from lyaplearn import recurrent
from lyaplearn.widgets import recurrent as wr

pytestmark = pytest.mark.fp_sensitive

torch.set_num_threads(1)


def test_explorer_reacts_to_controls():
    ex = wr.explorer(p=0.5)
    png0, last0 = ex.image.value, ex.last
    assert png0[:8] == b"\x89PNG\r\n\x1a\n"
    assert last0["p"] == 0.5 and last0["exponents"].shape == (32,)   # LSTM full: 2 * 16
    ex.controls["p"].value = 3.0
    assert ex.image.value != png0
    assert ex.last["p"] == 3.0
    # stronger weights -> larger leading exponent (same seed, same inputs)
    assert ex.last["lambda_max"] > last0["lambda_max"]
    ex.controls["architecture"].value = "GRU"
    assert ex.last["architecture"] == "GRU" and ex.last["exponents"].shape == (16,)
    # what the figure shows is what the library computes
    m = recurrent.make_rnn("gru", 8, 16, 3.0, seed=0)
    X = recurrent.one_hot_inputs(120, 4, 8, seed=1)
    ref = recurrent.lyapunov_spectrum(m, X, warmup=30, frame_warmup=30).mean
    np.testing.assert_allclose(ex.last["exponents"], ref)


def test_animation_has_frames():
    html = wr.animation(ps=(0.5, 2.0))
    assert re.search(r'<img id="_anim_img[0-9a-f]+" alt="Animation [^"<>]+">', html)
    assert "<script" in html and html.count("data:image/png;base64") >= 2


def test_draw_rejects_unknown_architecture():
    from lyaplearn import style
    fig, _ = style.figure()
    fig.clear()
    with pytest.raises(ValueError, match="architecture must be one of"):
        wr.draw(fig, 1.0, "Transformer")
