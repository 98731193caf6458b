"""One figure style for the whole book.

Every plotting function in :mod:`lyaplearn` is wrapped in :func:`styled` and
creates its figure with :func:`figure`. The figures

* have an opaque white background, so they stay readable when the website is
  switched to dark mode;
* use readable font sizes and a colour-blind-safe palette;
* are plain :class:`matplotlib.figure.Figure` objects that are *not* registered
  with pyplot: returning one from a notebook cell displays it exactly once, and
  nothing leaks when many figures are made in a loop.
"""

from __future__ import annotations

import functools
import io
from typing import Any, Callable, TypeVar

import matplotlib as mpl
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = ["RC", "PALETTE", "PAGE_WIDTH", "styled", "figure", "to_png", "NATS_PER_STEP",
           "unit_label"]

#: Width in inches of a figure that fills the website's text column without being scaled
#: down (the column is 690 to 790 px wide on screens from 800 to 1600 px; at 100 dpi a
#: wider figure is shrunk, and its 10-point tick labels with it). Multi-panel figures use
#: this width and, for more than two panels, a grid.
PAGE_WIDTH = 7.0

#: Axis label for Lyapunov exponents (the book's default unit).
NATS_PER_STEP = "nats per step"


def unit_label(units: str) -> str:
    """Axis label of a Lyapunov exponent's units: ``"nats per step"`` or ``"bits per step"``."""
    return NATS_PER_STEP if units == "nats" else "bits per step"


#: Okabe–Ito colour-blind-safe palette.
PALETTE = [
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#009E73",  # green
    "#CC79A7",  # purple
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#000000",  # black
    "#F0E442",  # yellow
]

#: matplotlib rc settings applied inside every :func:`styled` function.
RC: dict[str, Any] = {
    "figure.facecolor": "white",
    "figure.edgecolor": "white",
    "axes.facecolor": "white",
    "savefig.facecolor": "white",
    "savefig.edgecolor": "white",
    "savefig.transparent": False,
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "font.size": 11,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "legend.fontsize": 9.5,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "lines.linewidth": 1.8,
    "axes.prop_cycle": mpl.cycler(color=PALETTE),
    "text.color": "black",
    "axes.labelcolor": "black",
    "xtick.color": "black",
    "ytick.color": "black",
}

F = TypeVar("F", bound=Callable[..., Any])


def styled(func: F) -> F:
    """Run a plotting function inside the book's rc settings."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with mpl.rc_context(RC):
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def figure(nrows: int = 1, ncols: int = 1, *, figsize: tuple[float, float] | None = None,
           squeeze: bool = True, **subplot_kw: Any):
    """Create a styled figure and its axes, like ``plt.subplots``.

    The figure has an Agg canvas but is not managed by pyplot.
    Returns ``(fig, axes)``.

    Examples
    --------
    >>> from lyaplearn.style import figure
    >>> fig, axes = figure(1, 2)
    >>> fig.get_facecolor()          # opaque white, readable in dark mode
    (1.0, 1.0, 1.0, 1.0)
    >>> len(axes)
    2
    """
    if figsize is None:
        figsize = (5.2 * ncols, 3.6 * nrows)
    with mpl.rc_context(RC):
        fig = Figure(figsize=figsize, facecolor="white", layout="constrained")
        FigureCanvasAgg(fig)
        axes = fig.subplots(nrows, ncols, squeeze=squeeze, **subplot_kw)
    return fig, axes


def _register_notebook_display() -> None:
    """Let IPython show a returned :class:`Figure` as a PNG.

    Our figures are not registered with pyplot, so without this a notebook
    shows them only as ``<Figure size ...>`` unless ``%matplotlib inline`` has
    run. Outside IPython this does nothing.
    """
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is optional
        return
    ip = get_ipython()
    if ip is None:
        return
    formatter = ip.display_formatter.formatters["image/png"]
    formatter.for_type(Figure, lambda fig: to_png(fig, dpi=100))


def to_png(fig: Figure, dpi: int = 90) -> bytes:
    """Render a figure to PNG bytes with an opaque white background."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, facecolor="white", transparent=False)
    return buf.getvalue()


_register_notebook_display()
