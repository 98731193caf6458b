"""Numbers for the book's prose: put a computed value into the text of its chapter.

Every number that a chapter's text quotes from a computation is inserted from the cell that
computed it, with myst-nb's *glue*: the cell calls ``glue("ch5_lam1", lam1)`` and the
markdown writes ``{glue:text}`ch5_lam1:.3f```, so the text cannot disagree with the code
(``tests/test_prose_numbers.py`` checks that every quoted number is glued, and the build
fails on a key that no cell glues).

:func:`glue` wraps ``myst_nb.glue`` for two reasons:

* myst-nb formats the *text representation* of the value, and numpy 2 writes a float64 as
  ``np.float64(0.27)``, which a format such as ``:.2f`` cannot read. :func:`plain` turns
  numpy scalars (and 0-d arrays) into Python numbers first.
* Outside the book build (Colab, Binder, a plain Jupyter or Python session) myst-nb may not
  be installed; there :func:`glue` checks its arguments and does nothing else, so every
  notebook runs everywhere.
"""

from __future__ import annotations

import numbers
import re

import numpy as np

__all__ = ["glue", "plain"]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def plain(value):
    """``value`` as a Python ``int``, ``float``, ``bool`` or ``str``, ready to be glued.

    Parameters
    ----------
    value
        A number (Python or numpy scalar, or a 0-d array) or a string.

    Raises
    ------
    TypeError
        If ``value`` is neither a number nor a string (an array of several values, say).

    Examples
    --------
    >>> import numpy as np
    >>> plain(np.float64(0.2704)), plain(np.int64(4)), plain(np.array(2.5)), plain("10^5")
    (0.2704, 4, 2.5, '10^5')
    >>> type(plain(np.float32(0.5))).__name__
    'float'
    """
    if isinstance(value, str):
        return value
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, numbers.Real) and not isinstance(value, np.ndarray):
        return value
    raise TypeError(f"value must be a real number or a string, got {type(value).__name__}: "
                    f"{value!r:.80}")


def glue(name: str, value) -> None:
    """Record ``value`` under ``name`` for ``{glue:text}`name``` in this notebook's text.

    In a kernel run by the book build (myst-nb installed, IPython running) this is
    ``myst_nb.glue(name, plain(value), display=False)``; anywhere else it only checks the
    arguments. Returns nothing, so a ``glue`` call at the end of a cell shows no output.

    Parameters
    ----------
    name
        The key the markdown refers to: letters, digits and underscores, not starting with a
        digit (the book prefixes it with the chapter, ``ch5_...``).
    value
        A number or a string (see :func:`plain`).

    Raises
    ------
    ValueError
        If ``name`` is not a valid key.
    TypeError
        If ``value`` is not a number or a string.

    Examples
    --------
    >>> import numpy as np
    >>> glue("ch5_lam1", np.float64(0.2704))          # outside the book build: a no-op
    >>> glue("ch5 lam1", 0.27)
    Traceback (most recent call last):
    ...
    ValueError: name must be letters, digits and underscores (not starting with a digit), got 'ch5 lam1'
    """
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValueError("name must be letters, digits and underscores (not starting with a "
                         f"digit), got {name!r}")
    value = plain(value)
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with Jupyter
        return None
    if get_ipython() is None:
        return None
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        return None
    myst_glue(name, value, display=False)
    return None
