"""Where the library reads its committed results and writes its caches: never into the package.

The library must work the same from its git checkout and from a wheel installed anywhere:

* **Committed results** (``lyaplearn/results/*.json``, chapters 7 and 9) are package data, read
  through :mod:`importlib.resources` (:func:`results_file`), so they are found wherever the
  package is.
* **Caches** (chapter 7's data sets, training checkpoints) live in the user's cache folder, the
  platform's convention (:func:`platformdirs.user_cache_dir`): ``~/.cache/lyaplearn`` on Linux
  (``$XDG_CACHE_HOME/lyaplearn`` when that is set), ``~/Library/Caches/lyaplearn`` on macOS,
  ``%LOCALAPPDATA%\\lyaplearn\\Cache`` on Windows (:func:`cache_dir`). ``$LYAPLEARN_DATA`` still
  chooses the data folder (:func:`lyaplearn.data.data_root`).
* **New results files** (``python -m lyaplearn.experiments``, ``python -m lyaplearn.edge``) go by
  default next to the committed ones when the library runs from its source checkout (how the
  book's results are regenerated), and otherwise into the user's data folder
  (:func:`platformdirs.user_data_dir`, ``~/.local/share/lyaplearn/results`` on Linux), never into
  ``site-packages`` (:func:`results_out_dir`).
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

import platformdirs

if TYPE_CHECKING:   # importlib.resources.abc from Python 3.11 on, importlib.abc before
    from importlib.resources.abc import Traversable

APP = "lyaplearn"


def cache_dir(*parts: str) -> Path:
    """``<user cache folder>/lyaplearn/<parts...>`` (not created here)."""
    return Path(platformdirs.user_cache_dir(APP, appauthor=False)).joinpath(*parts)


def results_dir() -> Traversable:
    """The committed results shipped inside the package (read-only)."""
    return files(__package__) / "results"


def results_file(name: str) -> Traversable:
    """One committed results file, e.g. ``results_file("ch07_full.json")``."""
    return results_dir() / name


def source_checkout() -> Path | None:
    """The root of the git checkout the library is imported from, or ``None`` when installed.

    A checkout is recognised by its ``pyproject.toml`` naming this project next to the package
    folder (an editable install counts as a checkout: the files are the checkout's).
    """
    root = Path(__file__).resolve().parents[1]
    pyproject = root / "pyproject.toml"
    try:
        text = pyproject.read_text(encoding="utf-8")
    except OSError:
        return None
    return root if f'name = "{APP}"' in text else None


def results_out_dir() -> Path:
    """Default folder for a newly written results file (see the module docstring)."""
    root = source_checkout()
    if root is not None:
        return root / APP / "results"
    return Path(platformdirs.user_data_dir(APP, appauthor=False)) / "results"
