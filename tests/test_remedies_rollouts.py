"""Tests for lyaplearn.remedies._rollouts: compounding error against the closed form of a linear
map, the predictability horizon, and teacher forcing against scheduled sampling."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from lyaplearn import maps, remedies as R

pytestmark = pytest.mark.fp_sensitive

torch.set_num_threads(1)


def test_rollout_divergence_and_growth_rate_closed_form():
    x0 = np.array([[1e-12, 0.0]])
    e = R.rollout_divergence(maps.LinearMap(np.diag([2.0, 0.5])), maps.LinearMap(np.zeros((2, 2))),
                             x0, 20)
    # true x_t = 2^t x0, model is 0 after one step: error = 2^t * 1e-12 for t >= 1
    np.testing.assert_allclose(e[1:, 0], 1e-12 * 2.0 ** np.arange(1, 21), rtol=1e-12)
    assert R.growth_rate(e[1:], lo=1e-15, hi=1.0) == pytest.approx(math.log(2.0))
    with pytest.raises(ValueError, match="errors must spend at least 3 steps"):
        R.growth_rate(np.ones(5))


def test_horizon_formula():
    assert R.horizon(math.log(2), 1e-10, 1e-1) == pytest.approx(9 * math.log(10) / math.log(2))
    with pytest.raises(ValueError, match="lambda_max must be"):
        R.horizon(0.0, 1e-3, 1.0)


def test_henon_sequences_follow_the_map():
    X = R.henon_sequences(3, 10, seed=1).numpy()
    H = maps.HenonMap()
    np.testing.assert_allclose(X[:, 1:], H.step(X[:, :-1]), atol=1e-14)


def test_model_lambda_max_of_a_linear_map():
    A = torch.tensor([[1.2, 0.0], [0.0, 0.5]], dtype=torch.float64)
    lam = R.model_lambda_max(lambda x: x @ A.T, torch.randn(2, 2, dtype=torch.float64),
                             steps=50, warmup=5, frame_warmup=60)
    assert lam == pytest.approx(math.log(1.2), abs=1e-9)


def test_train_one_step_learns_and_checks_mode():
    data = R.henon_sequences(32, 30, seed=0)
    run = R.train_one_step(data, "teacher", epochs=60, seed=0)
    assert run.losses[-10:].mean() < 0.2 * run.losses[:5].mean()
    e = R.rollout_errors(run, data, 5)
    assert e.shape == (5, 32) and np.all(np.isfinite(e))
    with pytest.raises(ValueError, match="mode must be"):
        R.train_one_step(data, "professor")
    with pytest.raises(ValueError, match="data must have more than"):
        R.train_one_step(data[:, :5], unroll=6)


def test_teacher_forcing_fast_path_equals_the_step_by_step_loss():
    # scheduled sampling with eps = 0 (epochs=1) feeds the data: same first loss as teacher
    data = R.henon_sequences(8, 20, seed=2)
    a = R.train_one_step(data, "teacher", epochs=1, seed=3).losses[0]
    b = R.train_one_step(data, "scheduled", epochs=1, seed=3).losses[0]
    assert a == pytest.approx(b, rel=1e-12)
