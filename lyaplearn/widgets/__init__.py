"""Interactive explorers for the book, one submodule per chapter module.

``lyaplearn.widgets.scalar`` drives figures of :mod:`lyaplearn.scalar`,
``lyaplearn.widgets.rnn`` those of :mod:`lyaplearn.rnn`, and so on.

All explorers are built from two pieces defined here:

:class:`FigureExplorer`
    ipywidgets controls plus an ``Image`` widget. Moving a control re-runs a
    ``draw(fig, **values)`` function and replaces the PNG. It needs no kernel
    tricks (no ``Output`` capture), so it works in Jupyter, Colab and Binder,
    and it can be driven headlessly in tests: set ``explorer.controls[name].value``
    and read ``explorer.image.value`` or ``explorer.last``.

:func:`sweep_animation`
    The static-site fallback: the same ``draw`` function swept over one
    control's range and saved as a self-contained JavaScript animation
    (``Animation.to_jshtml``), which the website can show without a kernel.
"""

from __future__ import annotations

import re
from html import escape as html_escape
from typing import Any, Callable, Mapping, Sequence

import ipywidgets as W
import matplotlib as mpl
from matplotlib.animation import FuncAnimation

from .. import style

__all__ = ["FigureExplorer", "sweep_animation", "LAUNCH_HINT", "TEXT_LABEL_CLASS"]

#: Sentence the book prints under each widget.
LAUNCH_HINT = (
    "The sliders need a running Python kernel: open this page in Colab or Binder "
    "with the rocket button at the top, or download the notebook."
)

DrawFn = Callable[..., Any]


class FigureExplorer:
    """Controls that redraw a matplotlib figure.

    Parameters
    ----------
    draw
        ``draw(fig, **values)``: clears nothing itself, draws into the (already
        cleared) figure ``fig`` and may return any data (kept in ``last``).
    controls
        Mapping from keyword name to an ipywidgets value widget.
    figsize
        Figure size in inches.
    dpi
        Resolution of the PNG shown.

    Attributes
    ----------
    controls
        The control widgets by keyword name; set ``controls[name].value`` to redraw.
    image
        The ``ipywidgets.Image`` holding the current PNG.
    widget
        The whole explorer (controls above the image), for embedding in a layout.
    last
        What the last call of ``draw`` returned.
    fig
        The figure ``draw`` draws into.

    Examples
    --------
    Moving a control redraws the figure; ``last`` holds what ``draw`` returned:

    >>> import ipywidgets as W
    >>> from lyaplearn.widgets import FigureExplorer
    >>> def draw(fig, slope):
    ...     fig.add_subplot().plot([0, 1], [0, slope])
    ...     return slope
    >>> explorer = FigureExplorer(draw, {"slope": W.FloatSlider(value=1.0, max=2.0)})
    >>> explorer.controls["slope"].value = 2.0
    >>> explorer.last
    2.0
    >>> explorer.image.value[:4] == b"\\x89PNG"
    True
    """

    def __init__(self, draw: DrawFn, controls: Mapping[str, W.ValueWidget], *,
                 figsize: tuple[float, float] = (8.0, 3.8), dpi: int = 90):
        if not callable(draw):
            raise ValueError(f"draw must be callable, got {type(draw).__name__}")
        if not controls:
            raise ValueError("controls must name at least one widget")
        self.draw = draw
        self.controls = dict(controls)
        self.dpi = dpi
        self.fig, _ = style.figure(figsize=figsize)
        self.image = W.Image(format="png")
        self.last: Any = None
        self.widget = W.VBox([W.HBox(list(self.controls.values())), self.image])
        for c in self.controls.values():
            c.observe(self._on_change, names="value")
        self.update()

    def values(self) -> dict[str, Any]:
        """Current value of every control."""
        return {k: c.value for k, c in self.controls.items()}

    def update(self) -> None:
        """Redraw the figure from the current control values."""
        with mpl.rc_context(style.RC):
            self.fig.clear()
            self.last = self.draw(self.fig, **self.values())
        self.image.value = style.to_png(self.fig, dpi=self.dpi)

    def _on_change(self, change: dict) -> None:
        self.update()

    def _repr_mimebundle_(self, **kwargs: Any):
        return self.widget._repr_mimebundle_(**kwargs)


def sweep_animation(draw: DrawFn, name: str, values: Sequence[Any], *,
                    fixed: Mapping[str, Any] | None = None,
                    figsize: tuple[float, float] = (8.0, 3.8), dpi: int = 72,
                    interval_ms: int = 400, alt: str | None = None) -> str:
    """Sweep one argument of ``draw`` and return a self-contained HTML animation.

    The result is a string of HTML (``Animation.to_jshtml``) with every frame
    embedded, so it plays on the static website. Wrap it in
    ``IPython.display.HTML`` to show it in a notebook.

    ``alt`` is the text alternative of the animation's image (its ``alt``
    attribute, read by screen readers): say what is plotted and what changes
    from frame to frame. The default only names the swept argument; the
    chapters' animations pass their own.

    Examples
    --------
    >>> from lyaplearn.widgets import sweep_animation
    >>> def draw(fig, slope):
    ...     fig.add_subplot().plot([0, 1], [0, slope])
    >>> html = sweep_animation(draw, "slope", [0.5, 1.0, 2.0])
    >>> html.count("data:image/png;base64,")         # one embedded frame per value
    3
    """
    values = list(values)
    if not values:
        raise ValueError("values must contain at least one frame value")
    if alt is None:
        alt = f"Animated figure, redrawn for each value of {name}."
    if not isinstance(alt, str) or not alt.strip():
        raise ValueError(f"alt must be a non-empty string describing the animation, got {alt!r}")
    fixed = dict(fixed or {})
    if name in fixed:
        raise ValueError(f"name {name!r} is swept, so it cannot also be in fixed")
    fig, _ = style.figure(figsize=figsize)
    fig.set_dpi(dpi)

    def frame(i: int):
        with mpl.rc_context(style.RC):
            fig.clear()
            draw(fig, **{name: values[i]}, **fixed)
        return []

    # to_jshtml saves frames at rcParams["savefig.dpi"], not the figure's dpi.
    with mpl.rc_context(style.RC | {"animation.embed_limit": 40.0, "savefig.dpi": dpi}):
        anim = FuncAnimation(fig, frame, frames=len(values), interval=interval_ms,
                             blit=False, repeat=True)
        html = anim.to_jshtml(default_mode="once")
    return _with_alt(_offline_controls(html), alt)


# matplotlib's animation template shows the frames in an <img id="_anim_img..."> with no
# alt attribute at all; the text alternative goes there, escaped for an attribute value.
_ANIM_IMG = re.compile(r'<img id="(_anim_img[0-9A-Za-z_]+)">')


def _with_alt(html: str, alt: str) -> str:
    tags = _ANIM_IMG.findall(html)
    if len(tags) != 1:
        raise RuntimeError("matplotlib's animation template changed: expected one "
                           f'<img id="_anim_img..."> without attributes, found {len(tags)}')
    return _ANIM_IMG.sub(lambda m: f'<img id="{m.group(1)}" alt="{html_escape(alt, quote=True)}">',
                         html)


# matplotlib's animation template draws its buttons with Font Awesome 4 icons
# from a CDN stylesheet. The book must work offline, and the media symbols
# U+23EE-U+23F5 are missing from common default fonts (Debian's Chromium drew
# empty boxes), so the link is dropped and every icon becomes
#
# * the same icon of Font Awesome 6, the version that the book's theme
#   (pydata-sphinx-theme) serves from the website itself, and
# * a short ASCII label, which every font has. It shows wherever Font Awesome is
#   not loaded (a notebook in Jupyter or Colab); the website hides it
#   (book/_static/lyaplearn.css), so there the buttons show the icons alone.
#
# Font Awesome 4 class -> (Font Awesome 6 icon name, ASCII label)
_ICONS = {
    "fa fa-minus": ("minus", "-"),
    "fa fa-fast-backward": ("backward-fast", "|<<"),
    "fa fa-step-backward": ("backward-step", "|<"),
    "fa fa-play fa-flip-horizontal": ("play fa-flip-horizontal", "<"),
    "fa fa-pause": ("pause", "||"),
    "fa fa-play": ("play", ">"),
    "fa fa-step-forward": ("forward-step", ">|"),
    "fa fa-fast-forward": ("forward-fast", ">>|"),
    "fa fa-plus": ("plus", "+"),
}

#: Class of the ASCII label inside each control button of an animation.
TEXT_LABEL_CLASS = "lyaplearn-anim-text"


def _button_content(icon: str, text: str) -> str:
    return (f'<i class="fa-solid fa-{icon}" aria-hidden="true"></i>'
            f'<span class="{TEXT_LABEL_CLASS}">{html_escape(text)}</span>')


def _offline_controls(html: str) -> str:
    html = re.sub(r"<link[^>]*font-awesome[^>]*>", "", html)
    for cls, (icon, text) in _ICONS.items():
        old = f'<i class="{cls}"></i>'
        if old not in html:
            raise RuntimeError(f"matplotlib's animation template changed: no {old} button")
        html = html.replace(old, _button_content(icon, text))
    # Buttons are 36 px wide in the template; let a wider label widen them.
    html = html.replace(".anim-buttons button {\n    padding: 0;\n    width: 36px;",
                        ".anim-buttons button {\n    padding: 0;\n    min-width: 36px;")
    if "font-awesome" in html or 'class="fa ' in html:
        raise RuntimeError("matplotlib's animation template changed: icons left in the HTML")
    return html
