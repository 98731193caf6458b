"""Random inputs shared by the tests of lyaplearn.rnn (tests/test_rnn*.py)."""

from __future__ import annotations

import math

import numpy as np
import torch


def random_rnn(n=5, n_in=3, T=7, seed=0, scale=1.2):
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((n, n)) * scale / math.sqrt(n)
    U = rng.standard_normal((n, n_in))
    b = rng.standard_normal(n) * 0.3
    xs = rng.standard_normal((T, n_in))
    h0 = rng.standard_normal(n) * 0.5
    return W, U, b, xs, h0


def params_with_grads(scale, seed=0):
    g = torch.Generator().manual_seed(seed)
    ps = [torch.nn.Parameter(torch.randn(4, 3, generator=g, dtype=torch.float64)),
          torch.nn.Parameter(torch.randn(5, generator=g, dtype=torch.float64))]
    for p in ps:
        p.grad = scale * torch.randn(p.shape, generator=g, dtype=torch.float64)
    return ps
