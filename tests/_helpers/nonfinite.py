"""Arrays with one non-finite entry, shared by the tests that check non-finite input is named
with its index (tests/test_lyapunov*.py, tests/test_maps.py)."""

from __future__ import annotations

import numpy as np


def nan_at(shape, idx, value=np.nan):
    """Zeros of ``shape`` with ``value`` (NaN unless given) at index ``idx``."""
    a = np.zeros(shape)
    a[idx] = value
    return a
