"""A random MLP and input shared by the tests of lyaplearn.jacobians (tests/test_jacobians*.py)."""

from __future__ import annotations

import numpy as np


def random_network(widths, seed, bias=True, scale=1.2):
    rng = np.random.default_rng(seed)
    ws = [scale * rng.standard_normal((m, n)) / np.sqrt(n) for n, m in zip(widths[:-1], widths[1:])]
    bs = [0.5 * rng.standard_normal(m) for m in widths[1:]] if bias else None
    x = rng.standard_normal(widths[0])
    return ws, bs, x
