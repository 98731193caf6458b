"""Tests for lyaplearn.conditioning._networks: the initialisers' variances and orthogonality,
the network Jacobians against torch autograd, their spectra against closed forms, the critical
tanh against an independent quadrature, backward norms against direct products, the refusals
of their arguments, and chapter 3's claims about deep networks (named in
tests/claims/ch03.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lyaplearn import conditioning as C
from _helpers.conditioning_inputs import gaussian_stack as _gaussian_stack

pytestmark = pytest.mark.fp_insensitive


N_VAR = 200  # 200 x 200 = 40000 entries per sample


@pytest.mark.parametrize("kind, expected", [
    ("lecun", 1.0 / N_VAR), ("xavier", 2.0 / (2 * N_VAR)), ("he", 2.0 / N_VAR),
    ("orthogonal", 1.0 / N_VAR),
])
@pytest.mark.parametrize("gain", [1.0, 1.7])
def test_initialiser_variance(kind, expected, gain):
    W = C.init_weights(N_VAR, kind, gain, rng=123)
    v = gain ** 2 * expected
    m = W.size
    # standard error of the sample variance of m Gaussian entries: v sqrt(2/(m-1))
    assert W.var() == pytest.approx(v, abs=5 * v * np.sqrt(2 / (m - 1)))
    assert abs(W.mean()) < 5 * np.sqrt(v / m)
    assert C.weight_variance(kind, N_VAR, N_VAR, gain) == pytest.approx(v, rel=1e-14)


def test_weight_variance_rectangular_closed_forms():
    assert C.weight_variance("lecun", 100, 300) == pytest.approx(1 / 100)
    assert C.weight_variance("xavier", 100, 300) == pytest.approx(2 / 400)
    assert C.weight_variance("he", 100, 300, gain=2.0) == pytest.approx(4 * 2 / 100)
    assert C.weight_variance("orthogonal", 100, 300) == pytest.approx(1 / 300)


def test_xavier_rectangular_variance():
    W = C.init_weights(300, "xavier", n_in=100, rng=7)
    assert W.shape == (300, 100)
    v = 2 / 400
    assert W.var() == pytest.approx(v, abs=5 * v * np.sqrt(2 / (W.size - 1)))


@pytest.mark.parametrize("n, n_in", [(10, 10), (12, 5), (5, 12)])
def test_orthogonal_is_orthogonal(n, n_in):
    Q = C.init_weights(n, "orthogonal", 2.5, n_in=n_in, rng=8) / 2.5
    assert Q.shape == (n, n_in)
    if n >= n_in:
        np.testing.assert_allclose(Q.T @ Q, np.eye(n_in), atol=1e-12)
    else:
        np.testing.assert_allclose(Q @ Q.T, np.eye(n), atol=1e-12)
    np.testing.assert_allclose(np.linalg.svd(2.5 * Q, compute_uv=False), 2.5, rtol=1e-12)


def test_orthogonal_is_haar_distributed():
    # For Haar-random Q in O(n), n >= 4: E tr Q = 0 and E (tr Q)^2 = 1,
    # Var (tr Q)^2 = 3 - 1 = 2 (the first four moments of tr Q are Gaussian).
    rng = np.random.default_rng(9)
    m = 4000
    tr = np.array([np.trace(C.init_weights(5, "orthogonal", rng=rng)) for _ in range(m)])
    assert abs(tr.mean()) < 5 / np.sqrt(m)
    assert (tr ** 2).mean() == pytest.approx(1.0, abs=5 * np.sqrt(2 / m))


def test_init_is_seeded():
    np.testing.assert_array_equal(C.init_weights(4, "he", rng=1), C.init_weights(4, "he", rng=1))
    assert not np.array_equal(C.init_weights(4, "he", rng=1), C.init_weights(4, "he", rng=2))


@pytest.mark.parametrize("kwargs, match", [
    (dict(n=4, kind="glorot"), r"kind must be one of .*'orthogonal'.*got 'glorot'"),
    (dict(n=0, kind="he"), r"n must be a positive integer, got 0"),
    (dict(n=2.5, kind="he"), r"n must be a positive integer, got 2.5"),
    (dict(n=3, kind="he", n_in=-1), r"n_in must be a positive integer, got -1"),
    (dict(n=3, kind="he", gain=0.0), r"gain must be a finite real number > 0, got 0.0"),
    (dict(n=3, kind="he", gain="big"), r"gain must be a finite real number > 0, got 'big' \(str\)"),
    (dict(n=3, kind="he", rng="seed"), r"rng must be a numpy Generator.*got str"),
])
def test_init_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        C.init_weights(**kwargs)


def test_weight_variance_bad_input():
    with pytest.raises(ValueError, match=r"kind must be one of"):
        C.weight_variance("kaiming", 10)
    with pytest.raises(ValueError, match=r"fan_in must be a positive integer, got 0"):
        C.weight_variance("he", 0)


@pytest.mark.parametrize("activation", ["tanh", "linear"])
def test_jacobian_matches_torch_autograd(activation):
    rng = np.random.default_rng(11)
    widths = [5, 7, 6, 6, 4]
    Ws = [rng.standard_normal((widths[i + 1], widths[i])) / np.sqrt(widths[i]) * 1.5
          for i in range(len(widths) - 1)]
    bs = [0.3 * rng.standard_normal(w) for w in widths[1:]]
    x = rng.standard_normal(widths[0])

    def f(h):
        for W, b in zip(Ws, bs):
            z = torch.as_tensor(W) @ h + torch.as_tensor(b)
            h = torch.tanh(z) if activation == "tanh" else z
        return h

    ref = torch.autograd.functional.jacobian(f, torch.as_tensor(x)).numpy()
    got = C.input_output_jacobian(Ws, x, activation, bs)
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-14)
    Js = C.network_jacobians(Ws, x, activation, bs)
    assert [J.shape for J in Js] == [(7, 5), (6, 7), (6, 6), (4, 6)]


def test_deep_tanh_jacobian_spectrum_matches_autograd():
    depth, width = 24, 10
    weights, biases = C.random_network(depth, width, "lecun", 1.2, bias_std=0.1, rng=12)
    x = np.random.default_rng(13).standard_normal(width)

    def f(h):
        for W, b in zip(weights, biases):
            h = torch.tanh(torch.as_tensor(W) @ h + torch.as_tensor(b))
        return h

    ref = torch.autograd.functional.jacobian(f, torch.as_tensor(x)).numpy()
    s = np.linalg.svd(ref, compute_uv=False)
    ls = C.product_log_singular_values(C.network_jacobians(weights, x, "tanh", biases))
    keep = s > 1e-9 * s[0]  # where the explicit SVD of autograd's matrix is reliable
    np.testing.assert_allclose(ls[keep], np.log(s[keep]), atol=1e-6)


def test_linear_orthogonal_network_is_exact_isometry():
    ls = C.jacobian_log_singular_values(200, 16, "orthogonal", 1.0, "linear", rng=14)
    np.testing.assert_allclose(ls, 0.0, atol=1e-10)
    ls = C.jacobian_log_singular_values(50, 16, "orthogonal", 1.1, "linear", rng=14)
    np.testing.assert_allclose(ls, 50 * np.log(1.1), atol=1e-10)


def test_gaussian_linear_network_spreads_with_depth():
    # Lyapunov exponents of products of Gaussian matrices with variance 1/n:
    # lambda_i = (psi((n - i + 1) / 2) + log(2 / n)) / 2; for n = 2 they are
    # (psi(1) + 0)/2 = -gamma/2 and (psi(1/2))/2 = (-gamma - 2 log 2)/2.
    # The spread lambda_1 - lambda_2 = log 2 per layer.
    L = 4000
    ls = C.jacobian_log_singular_values(L, 2, "lecun", 1.0, "linear", rng=15)
    spread = (ls[0] - ls[1]) / L
    # log sigma_i / L fluctuates by O(1/sqrt(L)) around lambda_i
    assert spread == pytest.approx(np.log(2.0), abs=4 / np.sqrt(L))


@pytest.mark.parametrize("q", [1 / 64, 0.25, 1.0, 3.0, 10.0])
def test_critical_tanh_solves_both_conditions(q):
    gain, bias_std = C.critical_tanh(q)
    # independent quadrature: trapezoid rule on a dense grid against the normal density
    z = np.linspace(-12, 12, 200001)
    p = np.exp(-z ** 2 / 2) / np.sqrt(2 * np.pi)
    t = np.tanh(np.sqrt(q) * z)
    e_phi2 = np.trapezoid(p * t ** 2, z)
    e_dphi2 = np.trapezoid(p * (1 - t ** 2) ** 2, z)
    assert gain ** 2 * e_dphi2 == pytest.approx(1.0, rel=1e-10)  # chi = 1
    assert gain ** 2 * e_phi2 + bias_std ** 2 == pytest.approx(q, rel=1e-9)  # fixed point


def test_critical_tanh_limits_and_bad_input():
    gain, bias_std = C.critical_tanh(1e-6)
    assert gain == pytest.approx(1.0, abs=1e-5) and bias_std < 1e-6
    with pytest.raises(ValueError, match=r"q_star must be a finite real number > 0, got -1"):
        C.critical_tanh(-1)


def test_orthogonal_tanh_at_criticality_stays_near_isometry():
    # Pennington et al. 2017: at q* small, orthogonal weights keep the spectrum
    # concentrated around 1 at depth 64, Gaussian weights do not
    q = 1 / 64
    gain, bias_std = C.critical_tanh(q)
    kw = dict(input_std=np.sqrt(q), bias_std=bias_std, rng=0)
    orth = C.jacobian_log_singular_values(64, 32, "orthogonal", gain, "tanh", **kw)
    gauss = C.jacobian_log_singular_values(64, 32, "lecun", gain, "tanh", **kw)
    assert np.all(np.abs(orth) < np.log(10.0))
    assert gauss[0] - gauss[-1] > 50 * np.log(10.0)


def test_backward_norms_matches_direct_products():
    rng = np.random.default_rng(16)
    Js = _gaussian_stack(rng, 5, 6)
    d = rng.standard_normal(5)
    norms = C.backward_norms(Js, d)
    assert norms.shape == (7,)
    assert norms[-1] == pytest.approx(np.linalg.norm(d))
    for ell in range(7):
        direct = d.copy()
        for J in Js[ell:][::-1]:
            direct = J.T @ direct
        assert norms[ell] == pytest.approx(np.linalg.norm(direct), rel=1e-12)
    # along the left singular vectors the full product gives sigma_1 and sigma_n
    U, s, _ = np.linalg.svd(np.linalg.multi_dot(Js[::-1]))
    assert C.backward_norms(Js, U[:, 0])[0] == pytest.approx(s[0], rel=1e-10)
    assert C.backward_norms(Js, U[:, -1])[0] == pytest.approx(s[-1], rel=1e-8)


def test_network_bad_input():
    Ws = [np.eye(3), np.eye(3)]
    with pytest.raises(ValueError, match=r"activation must be one of \('linear', 'tanh'\), "
                                         r"got 'relu'"):
        C.network_jacobians(Ws, np.ones(3), "relu")
    with pytest.raises(ValueError, match=r"x must be a vector of length 3 .*\(3, 3\).*"
                                         r"got shape \(4,\)"):
        C.network_jacobians(Ws, np.ones(4))
    with pytest.raises(ValueError, match=r"weights\[1\] must have 3 columns .*"
                                         r"got shape \(3, 2\)"):
        C.network_jacobians([np.eye(3), np.ones((3, 2))], np.ones(3))
    with pytest.raises(ValueError, match=r"biases\[0\] must have shape \(3,\) .*"
                                         r"got shape \(2,\)"):
        C.network_jacobians(Ws, np.ones(3), biases=[np.ones(2), np.ones(3)])
    with pytest.raises(ValueError, match=r"biases must have one vector per layer \(2\), got 1"):
        C.network_jacobians(Ws, np.ones(3), biases=[np.ones(3)])
    with pytest.raises(ValueError, match=r"weights must contain at least one matrix"):
        C.network_jacobians([], np.ones(3))
    with pytest.raises(ValueError, match=r"delta must be a vector of length 3 .*"
                                         r"got shape \(2,\)"):
        C.backward_norms(Ws, np.ones(2))
    with pytest.raises(ValueError, match=r"jacobians\[0\] must have 3 rows .*\(2, 3\)"):
        C.backward_norms([np.ones((2, 3)), np.eye(3)], np.ones(3))
    with pytest.raises(ValueError, match=r"depth must be a positive integer, got 0"):
        C.random_network(0, 3)
    with pytest.raises(ValueError, match=r"bias_std must be a finite real number >= 0, got -1"):
        C.random_network(2, 3, bias_std=-1)
    with pytest.raises(ValueError, match=r"kind must be one of"):
        C.jacobian_log_singular_values(2, 3, "uniform")
    with pytest.raises(ValueError, match=r"input_std must be a finite real number > 0"):
        C.jacobian_log_singular_values(2, 3, input_std=0.0)


def test_deep_gaussian_spectrum_is_carried_by_a_few_values():
    """Chapter 3, "Linear networks": five draws at width 64, depths 1, 4, 16 and 64."""
    for seed in range(5):
        logs = {L: C.jacobian_log_singular_values(L, 64, "lecun", 1.0, "linear", rng=seed)
                for L in (1, 4, 16, 64)}
        log_cond = [logs[L][0] - logs[L][-1] for L in (1, 4, 16, 64)]
        assert np.all(np.diff(log_cond) > 0), seed
        s2 = np.exp(2 * logs[64])
        assert logs[64][0] > 0                                # the largest stays above one
        assert s2[:3].sum() > 0.9 * s2.sum()                  # three values carry the mean
        assert np.mean(logs[64] < 0) > 0.9                    # almost all are squeezed


def test_gaussian_tanh_at_criticality_spreads_like_linear():
    """Chapter 3: at q* = 1/64, Gaussian tanh and linear networks have log condition numbers
    within 10% of each other at depth 64 (five seeds), orthogonal tanh stays within 10x."""
    q = 1 / 64
    gain, bias_std = C.critical_tanh(q)
    for seed in range(5):
        kw = dict(input_std=np.sqrt(q), bias_std=bias_std, rng=seed)
        tanh = C.jacobian_log_singular_values(64, 64, "lecun", gain, "tanh", **kw)
        lin = C.jacobian_log_singular_values(64, 64, "lecun", 1.0, "linear", rng=seed)
        assert abs((tanh[0] - tanh[-1]) - (lin[0] - lin[-1])) < 0.1 * (lin[0] - lin[-1])
        orth = C.jacobian_log_singular_values(64, 64, "orthogonal", gain, "tanh", **kw)
        assert np.all(np.abs(orth) < np.log(10.0))


def test_condition_vs_depth_against_direct_products():
    q = 1 / 64
    gain, bias_std = C.critical_tanh(q)
    curves = C.condition_vs_depth(6, ("lecun", "orthogonal"), "tanh", gain=gain,
                                  bias_std=bias_std, input_std=np.sqrt(q), width=8, seed=3)
    for kind in ("lecun", "orthogonal"):
        gen = np.random.default_rng(3)
        ws, bs = C.random_network(6, 8, kind, gain, bias_std=bias_std, rng=gen)
        Js = C.network_jacobians(ws, np.sqrt(q) * gen.standard_normal(8), "tanh", bs)
        direct = [np.log10(np.linalg.cond(np.linalg.multi_dot(Js[:L][::-1]) if L > 1
                                          else Js[0])) for L in range(1, 7)]
        np.testing.assert_allclose(curves[kind], direct, rtol=1e-8)
    # the chapter's claim: the gap between Gaussian and orthogonal widens with depth
    wide = C.condition_vs_depth(48, ("lecun", "orthogonal"), "tanh", gain=gain,
                                bias_std=bias_std, input_std=np.sqrt(q), width=32)
    assert np.all(np.diff(wide["lecun"] - wide["orthogonal"]) > 0)


def test_log_singular_values_vs_depth_against_explicit_svd():
    curves = C.log_singular_values_vs_depth(8, "lecun", "linear", width=5, seed=4)
    ws, _ = C.random_network(8, 5, "lecun", 1.0, rng=4)
    for L in range(1, 9):
        P = np.linalg.multi_dot(ws[:L][::-1]) if L > 1 else ws[0]
        np.testing.assert_allclose(curves[L - 1], np.log(np.linalg.svd(P, compute_uv=False)),
                                   rtol=1e-9, atol=1e-9)


def test_linear_gaussian_spread_does_not_depend_on_gain():
    """Chapter 3's explorer: for the linear activation a gain g shifts every log singular value
    by L log g and leaves the condition number unchanged."""
    base = C.jacobian_log_singular_values(20, 12, "lecun", 1.0, "linear", rng=6)
    for g in (0.5, 1.3, 2.0):
        ls = C.jacobian_log_singular_values(20, 12, "lecun", g, "linear", rng=6)
        np.testing.assert_allclose(ls, base + 20 * np.log(g), rtol=1e-9, atol=1e-9)
