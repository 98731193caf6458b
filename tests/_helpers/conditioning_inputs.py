"""Random layers shared by the tests of lyaplearn.conditioning (tests/test_conditioning*.py)."""

from __future__ import annotations

import numpy as np


def gaussian_stack(rng, n, L, scale=1.0):
    return [scale * rng.standard_normal((n, n)) / np.sqrt(n) for _ in range(L)]
