"""Tests for lyaplearn.recurrent._checks: numpy integers are integers.

Every argument that takes an ``int`` takes a numpy integer too, and gives exactly the same
result; ``bool`` (Python's or numpy's) is refused though it is an integer type. These checks do
not depend on floating-point details (fp_insensitive); the refusals that run the engine are in
tests/test_recurrent_checks.py (fp_sensitive).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from lyaplearn import recurrent as R

pytestmark = pytest.mark.fp_insensitive

torch.set_num_threads(1)


def gru():
    torch.manual_seed(0)
    return nn.GRU(3, 4, dtype=torch.float64)


X = torch.randn(20, 2, 3, generator=torch.Generator().manual_seed(1), dtype=torch.float64)


@pytest.mark.parametrize("cast", [np.int64, np.int32, np.uint8])
def test_numpy_integers_are_accepted_wherever_an_int_is(cast):
    m = gru()
    kw = dict(k=3, warmup=2, frame_warmup=3, reortho_every=2, chunk=5, seed=4)
    a = R.lyapunov_spectrum(m, X, **kw)
    b = R.lyapunov_spectrum(m, X, **{n: cast(v) for n, v in kw.items()})
    assert torch.equal(a.exponents, b.exponents) and type(b.steps) is int
    step = R.make_step(m)
    s0 = torch.zeros(2, 4, dtype=torch.float64)
    kw = dict(k=2, warmup=1, frame_warmup=2, reortho_every=3, seed=1)
    assert torch.equal(R.lyapunov_spectrum_step(step, s0, X, **kw).exponents,
                       R.lyapunov_spectrum_step(step, s0, X, **{n: cast(v) for n, v in
                                                                kw.items()}).exponents)
    mon = R.SpectrumMonitor(m, X, every=cast(2), k=cast(2))
    assert [mon.step() is not None for _ in range(3)] == [True, False, True]
    assert R.period3_rnn(cast(4))[1].shape == (12, 1, 3)
    assert R.one_hot_inputs(cast(5), cast(2), cast(3)).shape == (5, 2, 3)
    assert R.published_code_spectrum(m, X, warmup=cast(2), reortho_every=cast(2),
                                     k=cast(2)).steps == 20
    assert R.make_rnn("gru", cast(3), cast(4), 0.5, seed=cast(1)).hidden_size == 4


@pytest.mark.parametrize("bad", [True, np.bool_(True), 2.0, "2", None])
def test_bools_floats_and_strings_are_not_integers(bad):
    m = gru()
    with pytest.raises(ValueError, match="reortho_every must be a positive integer"):
        R.lyapunov_spectrum(m, X, reortho_every=bad)
    with pytest.raises(ValueError, match="every must be a positive integer"):
        R.SpectrumMonitor(m, X, every=bad)
    with pytest.raises(ValueError, match="chunk must be a positive integer"):
        R.lyapunov_spectrum(m, X, chunk=bad)
    if bad is not None:                          # k=None means all exponents
        with pytest.raises(ValueError, match=r"k must be an integer in \[1, D=4\]"):
            R.lyapunov_spectrum(m, X, k=bad)


@pytest.mark.parametrize("p", [0.0, -1.0, float("nan"), float("inf"), True, "0.5"])
def test_init_scale_must_be_a_positive_number(p):
    with pytest.raises(ValueError, match="p must be a finite real number > 0"):
        R.init_uniform(gru(), p)
    assert R.init_uniform(gru(), np.float32(0.5)).weight_hh_l0.abs().max() <= 0.5
