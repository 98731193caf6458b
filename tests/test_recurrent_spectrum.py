"""Tests for lyaplearn.recurrent._spectrum: the spectrum is that of the module's deterministic map
(dropout in training mode is ignored)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from lyaplearn import recurrent as R
from _helpers.engine_inputs import X

pytestmark = pytest.mark.fp_sensitive

torch.set_num_threads(1)


def test_dropout_is_ignored_the_spectrum_is_of_the_deterministic_map():
    torch.manual_seed(0)
    m = nn.LSTM(3, 4, num_layers=2, dropout=0.5, dtype=torch.float64)
    plain = nn.LSTM(3, 4, num_layers=2, dtype=torch.float64)
    plain.load_state_dict(m.state_dict())
    m.train()
    a = R.lyapunov_spectrum(m, X(T=30), warmup=5)
    b = R.lyapunov_spectrum(plain.eval(), X(T=30), warmup=5)
    assert torch.equal(a.exponents, b.exponents)
