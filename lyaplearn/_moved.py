"""The old paths of the teacher's and the maintainer's tools, kept one release as aliases that warn.

The marker, its sandbox and publishing moved into :mod:`lyaplearn.teacher`, the benchmark into
:mod:`lyaplearn.maintainer` (issue 26). Each old module (``lyaplearn/coursework.py``, ...) is a
shim that calls :func:`alias`: importing it warns with a ``DeprecationWarning`` naming the new
path and gives the new module itself (so that what is patched or read through the old name is
the new module's), and ``python -m <old path>`` warns and runs the new module's ``main``.
"""

from __future__ import annotations

import importlib
import sys
import warnings

#: Old module -> new module. These aliases go in the release after 0.1.
MOVED = {
    "lyaplearn.coursework": "lyaplearn.teacher.coursework",
    "lyaplearn.sandbox": "lyaplearn.teacher.sandbox",
    "lyaplearn.publish": "lyaplearn.teacher.publish",
    "lyaplearn.bench": "lyaplearn.maintainer.bench",
}


def alias(spec_name: str, run_as_main: bool) -> None:
    """Called by the shim at ``spec_name``: warn, then replace it by the new module, or run the
    new module's command line (if it has one) when the shim was run with ``python -m``."""
    new = MOVED[spec_name]
    how = f"python -m {new}" if run_as_main else f"import {new}"
    # attributed to the line that imports the shim (the import machinery's frames are skipped),
    # or under `python -m` to the shim itself, which is __main__ then: shown by default either way
    warnings.warn(f"{spec_name} has moved to {new} and this old path goes in the next release; "
                  f"use {how}", DeprecationWarning, stacklevel=2 if run_as_main else 3)
    module = importlib.import_module(new)
    if not run_as_main:
        sys.modules[spec_name] = module
    elif hasattr(module, "main"):       # lyaplearn.sandbox has no command line: nothing to run
        sys.exit(module.main())
