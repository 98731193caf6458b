"""A small seeded LSTM and its inputs, the engine's test subjects for bad input
(tests/test_recurrent_checks.py, _benettin.py, _spectrum.py, _states.py)."""

from __future__ import annotations

import torch
from torch import nn


def lstm(dtype=torch.float64, **kw):
    """``nn.LSTM(3, 4)`` drawn with seed 0."""
    torch.manual_seed(0)
    return nn.LSTM(3, 4, dtype=dtype, **kw)


def X(T=12, B=2, dtype=torch.float64):
    """Gaussian inputs (T, B, 3) drawn with seed 1."""
    return torch.randn(T, B, 3, generator=torch.Generator().manual_seed(1), dtype=dtype)
