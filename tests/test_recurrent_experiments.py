"""Tests for lyaplearn.recurrent._experiments: training with the spectrum monitor attached."""

from __future__ import annotations

import math

import pytest
import torch

from lyaplearn import recurrent as R

pytestmark = pytest.mark.fp_sensitive

torch.set_num_threads(1)


def test_train_with_monitor():
    m = R.make_rnn("lstm", 4, 6, 0.5, seed=0)
    X = R.one_hot_inputs(12, 3, 4, seed=0)
    mon, losses = R.train_with_monitor(m, X, epochs=4, every=2, k=2)
    assert len(losses) == 4 and [c for c, _ in mon.records] == [0, 2]
    assert 0 < mon.overhead < math.inf
