"""Tests for lyaplearn.remedies._gating: the gate bias lands on the gate that keeps the state, and
a saturated update gate is the identity map (exponents exactly 0)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lyaplearn import remedies as R

pytestmark = pytest.mark.fp_sensitive

torch.set_num_threads(1)


def test_gated_rnn_bias_goes_to_the_state_keeping_gate():
    lstm0 = R.gated_rnn("lstm", 3, 4, 0.5)
    lstm = R.gated_rnn("lstm", 3, 4, 0.5, gate_bias=2.0)
    d = (lstm.bias_hh_l0 - lstm0.bias_hh_l0).detach()
    assert torch.all(d[4:8] == 2.0) and torch.all(d[:4] == 0) and torch.all(d[8:] == 0)
    with pytest.raises(ValueError, match="gate_bias must be 0"):
        R.gated_rnn("rnn_tanh", 3, 4, 0.5, gate_bias=1.0)


def test_gru_with_saturated_update_gate_is_the_identity_map():
    sp = R.gating_spectra(hidden=6, n_symbols=4, gate_bias=40.0, steps=30, warmup=10, batch=2)
    assert set(sp) == {"RNN (tanh)", "GRU, gate bias 0", "GRU, gate bias 40",
                       "LSTM, gate bias 0", "LSTM, gate bias 40"}
    np.testing.assert_allclose(sp["GRU, gate bias 40"].numpy(), 0.0, atol=1e-9)   # z = 1: h' = h
    assert R.slow_modes(sp["GRU, gate bias 40"].mean) == 6
    assert sp["LSTM, gate bias 0"].exponents.shape == (2, 12)


def test_slow_modes():
    assert R.slow_modes([0.05, -0.05, -0.2, 0.3]) == 2
    with pytest.raises(ValueError, match="tol must be"):
        R.slow_modes([0.0], tol=-1)
