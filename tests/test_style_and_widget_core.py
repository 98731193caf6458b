"""The shared figure style and the widget machinery every chapter builds on."""

from __future__ import annotations

import io

import ipywidgets as W
import matplotlib.image as mpimg
import numpy as np
import pytest

from lyaplearn import style
from lyaplearn.widgets import FigureExplorer, sweep_animation


def _pixels(png: bytes) -> np.ndarray:
    return mpimg.imread(io.BytesIO(png), format="png")


@style.styled
def _line_plot():
    fig, ax = style.figure()
    ax.plot([0, 1], [0, 1])
    ax.set_xlabel("x")
    return fig


def test_figures_have_an_opaque_white_background():
    img = _pixels(style.to_png(_line_plot()))
    assert img.shape[2] == 4
    # Corners are outside the axes: pure, opaque white (readable in dark mode).
    for corner in (img[0, 0], img[0, -1], img[-1, 0], img[-1, -1]):
        np.testing.assert_allclose(corner, [1.0, 1.0, 1.0, 1.0])
    assert img[..., 3].min() == 1.0, "some pixels are transparent"


def test_styled_does_not_leak_rc_settings():
    import matplotlib as mpl

    before = mpl.rcParams["axes.prop_cycle"]
    _line_plot()
    assert mpl.rcParams["axes.prop_cycle"] == before


def _draw(fig, *, slope: float):
    ax = fig.subplots()
    x = np.linspace(0, 1, 5)
    ax.plot(x, slope * x)
    ax.set_xlabel("x")
    return {"last_y": slope * x[-1]}


def test_explorer_redraws_when_a_control_changes():
    ex = FigureExplorer(_draw, {"slope": W.FloatSlider(value=1.0, min=0, max=5)})
    png0, last0 = ex.image.value, ex.last
    assert last0 == {"last_y": 1.0}
    ex.controls["slope"].value = 3.0
    assert ex.last == {"last_y": 3.0}
    assert ex.image.value != png0
    assert _pixels(ex.image.value)[0, 0, 3] == 1.0


def test_explorer_rejects_bad_arguments():
    with pytest.raises(ValueError, match="draw must be callable"):
        FigureExplorer(42, {"slope": W.FloatSlider()})
    with pytest.raises(ValueError, match="controls"):
        FigureExplorer(_draw, {})


def test_sweep_animation_embeds_one_frame_per_value():
    html = sweep_animation(_draw, "slope", [0.5, 1.0, 2.0])
    assert html.count("data:image/png;base64") == 3
    # Works offline: no CDN stylesheet, no Font Awesome icons left.
    assert "http" not in html.split("data:image")[0]
    assert "font-awesome" not in html and 'class="fa ' not in html
    with pytest.raises(ValueError, match="values"):
        sweep_animation(_draw, "slope", [])
    with pytest.raises(ValueError, match="fixed"):
        sweep_animation(_draw, "slope", [1.0], fixed={"slope": 2.0})
