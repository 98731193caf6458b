"""Tests for lyaplearn.maps: every Jacobian against central finite differences,
the maps against their defining formulas, and every bad input (a non-finite one named with its
first bad index)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from lyaplearn import maps as M
from _helpers.nonfinite import nan_at as _nan_at

pytestmark = pytest.mark.fp_sensitive


def fd_jacobian(f, x, eps=1e-6):
    """Central finite-difference Jacobian of f at a single state x (independent reference)."""
    x = np.asarray(x, dtype=float)
    cols = []
    for j in range(x.size):
        e = np.zeros_like(x)
        e[j] = eps
        cols.append((f(x + e) - f(x - e)) / (2 * eps))
    return np.stack(cols, axis=-1)


@pytest.mark.parametrize("x", [0.1, 0.37, 0.5, 0.93])
@pytest.mark.parametrize("r", [2.5, 3.7, 4.0])
def test_logistic_step_and_jacobian(r, x):
    m = M.LogisticMap(r)
    assert np.allclose(m.step([x]), r * x * (1 - x))
    assert np.allclose(m.jacobian([x]), fd_jacobian(m.step, [x]), atol=1e-8)
    assert m.jacobian([x]).shape == (1, 1)


def test_henon_step_jacobian_and_determinant():
    """The Hénon map (Hénon 1976) has constant Jacobian determinant -b."""
    m = M.HenonMap(1.4, 0.3)
    rng = np.random.default_rng(0)
    for x in rng.uniform(-1.5, 1.5, size=(5, 2)):
        assert np.allclose(m.step(x), [1 - 1.4 * x[0] ** 2 + x[1], 0.3 * x[0]])
        jac = m.jacobian(x)
        assert np.allclose(jac, fd_jacobian(m.step, x), atol=1e-8)
        assert np.isclose(np.linalg.det(jac), -0.3)


def test_maps_are_vectorised_over_a_batch():
    rng = np.random.default_rng(1)
    m = M.HenonMap()
    xb = rng.uniform(-1, 1, size=(4, 2))
    jb = m.jacobian(xb)
    assert jb.shape == (4, 2, 2)
    for i in range(4):
        assert np.allclose(jb[i], m.jacobian(xb[i]))
        assert np.allclose(m.step(xb)[i], m.step(xb[i]))


def test_linear_map_and_its_exact_exponents():
    A = np.array([[0.5, 1.0], [0.0, -2.0]])
    m = M.LinearMap(A)
    x = np.array([1.0, 2.0])
    assert np.allclose(m.step(x), A @ x)
    assert np.allclose(m.jacobian(x), fd_jacobian(m.step, x))
    assert np.allclose(m.exponents(), [np.log(2.0), np.log(0.5)])
    assert m.jacobian(np.zeros((3, 2))).shape == (3, 2, 2)


def test_tanh_rnn_against_formula_and_finite_differences():
    rng = np.random.default_rng(2)
    n, m_in = 5, 3
    W = rng.standard_normal((n, n)) / np.sqrt(n)
    U = rng.standard_normal((n, m_in))
    b = rng.standard_normal(n)
    net = M.TanhRNN(W, gain=1.7, U=U, b=b, input_std=0.5)
    h = rng.standard_normal(n)
    x = rng.standard_normal(m_in)
    assert np.allclose(net.step(h, x), np.tanh(1.7 * W @ h + U @ x + b))
    assert np.allclose(net.jacobian(h, x), fd_jacobian(lambda v: net.step(v, x), h), atol=1e-8)
    # autonomous: no input
    assert np.allclose(net.step(h), np.tanh(1.7 * W @ h + b))
    assert np.allclose(net.jacobian(h), fd_jacobian(net.step, h), atol=1e-8)
    # run == explicit loop
    xs = net.inputs(7, seed=3)
    hh, ref = h, []
    for t in range(7):
        hh = np.tanh(1.7 * W @ hh + U @ xs[t] + b)
        ref.append(hh)
    assert np.allclose(net.run(h, xs), np.array(ref))


def test_tanh_rnn_jacobians_along_a_trajectory():
    """J_t = diag(1 - h_t^2) g W with h_t from an explicit loop; batched layout (B, T, N, N)."""
    net = M.random_tanh_rnn(4, gain=1.3, input_std=0.6, seed=0)
    h0 = np.random.default_rng(1).standard_normal(4)
    x = net.inputs(6, seed=2)
    J = net.jacobians(h0, x)
    assert J.shape == (6, 4, 4)
    h = h0
    for t in range(6):
        h_next = np.tanh(1.3 * net.W @ h + x[t])
        assert np.allclose(J[t], fd_jacobian(lambda v: np.tanh(1.3 * net.W @ v + x[t]), h), atol=1e-8)
        h = h_next
    hb = np.random.default_rng(3).standard_normal((2, 4))
    xb = net.inputs(6, 2, seed=4)
    Jb = net.jacobians(hb, xb)
    assert Jb.shape == (2, 6, 4, 4)
    assert np.allclose(Jb[1], net.jacobians(hb[1], xb[:, 1]))


def test_tanh_rnn_inputs_are_gaussian_with_the_requested_std():
    net = M.random_tanh_rnn(4, input_std=0.7, seed=0)
    x = net.inputs(20000, seed=1)
    assert x.shape == (20000, 4)
    assert abs(x.std() - 0.7) < 0.01 and abs(x.mean()) < 0.01
    assert net.inputs(3, 2, seed=1).shape == (3, 2, 4)
    assert not M.random_tanh_rnn(4, seed=0).inputs(5, seed=0).any()   # input_std = 0


def test_random_weights():
    Q = M.random_orthogonal(6, seed=0)
    assert np.allclose(Q.T @ Q, np.eye(6), atol=1e-12)
    assert np.allclose(Q, M.random_orthogonal(6, seed=0))
    G = M.random_gaussian(400, seed=0)
    assert abs(G.std() * np.sqrt(400) - 1) < 0.01
    net = M.random_tanh_rnn(6, gain=2.0, weights="gaussian", bias_std=0.1, seed=0)
    assert net.gain == 2.0 and net.U.shape == (6, 6) and np.allclose(net.U, np.eye(6))
    assert np.abs(net.b).max() > 0
    rng = np.random.default_rng(5)
    assert M.random_orthogonal(3, rng=rng).shape == (3, 3)


def test_bad_inputs():
    with pytest.raises(ValueError, match="r must lie"):
        M.LogisticMap(4.5)
    with pytest.raises(ValueError, match="b must be nonzero"):
        M.HenonMap(1.4, 0.0)
    with pytest.raises(ValueError, match=r"x must have shape \(2,\) or \(B, 2\), got shape \(3,\)"):
        M.HenonMap().step(np.zeros(3))
    with pytest.raises(ValueError, match=r"A must be a non-empty square matrix, got shape \(2, 3\)"):
        M.LinearMap(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="A must contain only finite"):
        M.LinearMap([[np.inf]])
    with pytest.raises(ValueError, match=r"W must be a non-empty square matrix, got shape \(3, 4\)"):
        M.TanhRNN(np.zeros((3, 4)))
    with pytest.raises(ValueError, match="gain must be"):
        M.TanhRNN(np.eye(2), gain=-1.0)
    with pytest.raises(ValueError, match="input_std must be"):
        M.TanhRNN(np.eye(2), input_std=np.nan)
    with pytest.raises(ValueError, match=r"U must have shape \(2, M\), got shape \(3, 1\)"):
        M.TanhRNN(np.eye(2), U=np.zeros((3, 1)))
    with pytest.raises(ValueError, match=r"b must have shape \(2,\), got shape \(3,\)"):
        M.TanhRNN(np.eye(2), b=np.zeros(3))
    net = M.TanhRNN(np.eye(2))
    with pytest.raises(ValueError, match=r"x must have shape \(2,\) or \(B, 2\), got shape \(3,\)"):
        net.step(np.zeros(2), np.zeros(3))
    with pytest.raises(ValueError, match=r"h must have shape"):
        net.step(np.zeros(5))
    with pytest.raises(ValueError, match="inputs must have shape"):
        net.run(np.zeros(2), np.zeros((4, 3)))
    with pytest.raises(ValueError, match="steps must be a positive integer"):
        net.inputs(0)
    with pytest.raises(ValueError, match="batch must be a positive integer"):
        net.inputs(3, 0)
    with pytest.raises(ValueError, match="n must be a positive integer"):
        M.random_orthogonal(0)
    with pytest.raises(ValueError, match="n must be a positive integer"):
        M.random_gaussian(2.5)
    with pytest.raises(ValueError, match="weights must be 'orthogonal' or 'gaussian'"):
        M.random_tanh_rnn(3, weights="uniform")
    with pytest.raises(ValueError, match="bias_std must be"):
        M.random_tanh_rnn(3, bias_std=-1.0)
    with pytest.raises(ValueError, match="either seed or rng"):
        M.random_orthogonal(3, seed=0, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="rng must be a numpy.random.Generator"):
        M.random_gaussian(3, rng=0)


def test_maps_refuse_non_finite_arguments():
    with pytest.raises(ValueError, match=re.escape("x[1, 0] = nan")):
        M.LogisticMap(3.0).step(_nan_at((2, 1), (1, 0)))
    with pytest.raises(ValueError, match=re.escape("x[1] = inf")):
        M.HenonMap().jacobian(_nan_at((2,), (1,), np.inf))
    with pytest.raises(ValueError, match=re.escape("A[0, 1] = nan")):
        M.LinearMap(_nan_at((2, 2), (0, 1)))
    with pytest.raises(ValueError, match=re.escape("W[2, 0] = nan")):
        M.TanhRNN(_nan_at((3, 3), (2, 0)))
    with pytest.raises(ValueError, match=re.escape("U[1, 1] = inf")):
        M.TanhRNN(np.eye(2), U=_nan_at((2, 2), (1, 1), np.inf))
    with pytest.raises(ValueError, match=re.escape("b[0] = nan")):
        M.TanhRNN(np.eye(2), b=_nan_at((2,), (0,)))
    net = M.TanhRNN(np.eye(2))
    with pytest.raises(ValueError, match=re.escape("h0[1] = nan")):
        net.run(_nan_at((2,), (1,)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match=re.escape("inputs[2, 0] = nan")):
        net.jacobians(np.zeros(2), _nan_at((3, 2), (2, 0)))
