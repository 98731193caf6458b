"""Tests for lyaplearn.recurrent._models: the paper's U(-p, p) initialisation and the random
one-hot inputs (with the sweep over p that chapter 6 draws from them)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from lyaplearn import recurrent as R
from _helpers.recurrent_reference import make

pytestmark = pytest.mark.fp_sensitive

torch.set_num_threads(1)


def test_init_uniform_draws_every_parameter_from_u_minus_p_p():
    # A bound alone passes for weights all equal to p/2, or drawn from U(0, p): compare each
    # tensor's values with the law U(-p, p) itself. Kolmogorov-Smirnov: for n uniform draws,
    # sup |F_n - F| exceeds 1.63 / sqrt(n) with probability 1% (seeds fixed: no flakiness);
    # all p/2 gives 0.75, U(0, p) 0.5, U(-p/2, p/2) 0.25.
    p = 0.1
    m = make("gru", I=8, H=32, seed=0)
    before = [w.detach().clone() for w in m.parameters()]
    assert R.init_uniform(m, p, seed=3) is m                    # in place
    for w0, w in zip(before, m.parameters()):
        v = np.sort(w.detach().numpy().ravel())
        n = v.size                                              # 768 to 3072 values
        assert np.all(np.abs(v) <= p)
        F = (v + p) / (2 * p)                                   # the uniform CDF at each value
        ks = max(np.max(np.arange(1, n + 1) / n - F), np.max(F - np.arange(n) / n))
        assert ks < 1.63 / math.sqrt(n), (tuple(w.shape), ks)
        assert not torch.equal(w, w0)                           # torch's own init replaced
    # the seed decides the draw
    again = R.init_uniform(make("gru", I=8, H=32, seed=1), p, seed=3)
    other = R.init_uniform(make("gru", I=8, H=32, seed=0), p, seed=4)
    for w, w2, w3 in zip(m.parameters(), again.parameters(), other.parameters()):
        assert torch.equal(w, w2) and not torch.equal(w, w3)


def test_make_rnn_inputs_and_sweep():
    m = R.make_rnn("lstm", 5, 6, 0.3, seed=1)
    assert isinstance(m, nn.LSTM) and all(p.abs().max() <= 0.3 for p in m.parameters())
    X = R.one_hot_inputs(7, 2, 5, seed=0)
    assert X.shape == (7, 2, 5) and torch.all(X.sum(-1) == 1)
    sw = R.init_sweep("gru", [0.5, 3.0], hidden=6, n_symbols=4, batch=2, steps=60,
                      warmup=10, frame_warmup=10)
    assert sw[3.0].mean[0] > sw[0.5].mean[0]     # stronger weights, larger lambda_1
    with pytest.raises(ValueError, match="arch must be one of"):
        R.make_rnn("transformer", 3, 4, 0.1)
    with pytest.raises(ValueError, match="steps must be a positive integer, got 0"):
        R.one_hot_inputs(0, 2, 3)
