"""The shared figure style and the widget machinery every chapter builds on."""

from __future__ import annotations

import io
import re
from pathlib import Path

import ipywidgets as W
import matplotlib.image as mpimg
import numpy as np
import pytest

from lyaplearn import style
from lyaplearn.widgets import TEXT_LABEL_CLASS, FigureExplorer, sweep_animation

pytestmark = pytest.mark.fp_insensitive

ROOT = Path(__file__).resolve().parents[1]


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


def _buttons(html: str) -> list[str]:
    block = re.search(r'<div class="anim-buttons">(.*?)</div>', html, flags=re.S).group(1)
    return re.findall(r"<button[^>]*>(.*?)</button>", block, flags=re.S)


def test_animation_buttons_have_icons_of_the_theme_and_ascii_labels():
    """Each control shows a Font Awesome 6 icon where the page serves Font
    Awesome (the book's theme does) and an ASCII label everywhere else. No
    character outside ASCII is left: the media symbols U+23EE-U+23F5 used
    before rendered as empty boxes with Debian's default fonts."""
    buttons = _buttons(sweep_animation(_draw, "slope", [0.5, 1.0]))
    assert len(buttons) == 9
    theme = pytest.importorskip("pydata_sphinx_theme")
    css = (Path(theme.__file__).parent / "theme" / "pydata_sphinx_theme" / "static" / "styles"
           / "pydata-sphinx-theme.css").read_text(encoding="utf-8")
    labels = []
    for content in buttons:
        assert content.isascii(), content
        icons = re.findall(r'<i class="fa-solid ((?:fa-[a-z-]+ ?)+)" aria-hidden="true"></i>',
                           content)
        assert len(icons) == 1, content
        for cls in icons[0].split():
            # The theme's stylesheet defines the icon (or the transform).
            assert re.search(rf"\.{cls}[:{{,]", css), f"{cls} is not in the theme's Font Awesome"
        label = re.findall(rf'<span class="{TEXT_LABEL_CLASS}">([^<]+)</span>', content)
        assert len(label) == 1 and label[0].strip(), content
        labels.append(label[0])
    assert len(set(labels)) == 9, labels  # nine different controls, nine labels
    # The website shows the icons alone.
    site_css = (ROOT / "book" / "_static" / "lyaplearn.css").read_text(encoding="utf-8")
    assert re.search(rf"\.{TEXT_LABEL_CLASS}\s*{{\s*display:\s*none", site_css)


def test_animation_image_carries_the_alt_text_escaped():
    """The frames are shown in matplotlib's <img id="_anim_img...">, which has no alt
    attribute of its own: the text alternative is put there, escaped for an attribute."""
    html = sweep_animation(_draw, "slope", [0.5, 1.0], alt='Line "y = slope x" & <more>')
    tags = re.findall(r'<img id="_anim_img[0-9a-f]+"[^>]*>', html)
    assert tags == [re.search(r'<img id="_anim_img[0-9a-f]+"', html).group(0)
                    + ' alt="Line &quot;y = slope x&quot; &amp; &lt;more&gt;">'], tags
    default = sweep_animation(_draw, "slope", [0.5])
    assert re.search(r'<img id="_anim_img[0-9a-f]+" alt="[^"]*\bslope\b[^"]*">', default)
    for bad in ("", "   ", 3):
        with pytest.raises(ValueError, match="alt"):
            sweep_animation(_draw, "slope", [0.5], alt=bad)
