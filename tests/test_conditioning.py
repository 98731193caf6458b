"""Tests for lyaplearn.conditioning against numpy.linalg, closed forms and torch autograd."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from lyaplearn import conditioning as C

pytestmark = pytest.mark.fp_insensitive


def _gaussian_stack(rng, n, L, scale=1.0):
    return [scale * rng.standard_normal((n, n)) / np.sqrt(n) for _ in range(L)]


# ---------------------------------------------------------------- one matrix

@pytest.mark.parametrize("shape", [(3, 3), (5, 2), (2, 7), (40, 40)])
def test_condition_number_matches_numpy(shape):
    M = np.random.default_rng(0).standard_normal(shape)
    assert C.condition_number(M) == pytest.approx(np.linalg.cond(M), rel=1e-10)


def test_condition_number_closed_forms():
    assert C.condition_number(np.diag([4.0, -0.5, 2.0])) == pytest.approx(8.0, rel=1e-14)
    assert C.condition_number(np.eye(6) * 3.0) == pytest.approx(1.0, rel=1e-14)
    Q = np.linalg.qr(np.random.default_rng(1).standard_normal((20, 20)))[0]
    assert C.condition_number(Q) == pytest.approx(1.0, abs=1e-12)
    # shear [[1, t], [0, 1]]: sigma_1 * sigma_2 = 1, sigma_1^2 + sigma_2^2 = 2 + t^2
    t = 3.0
    s1 = (t + np.sqrt(t * t + 4)) / 2
    assert C.condition_number([[1.0, t], [0.0, 1.0]]) == pytest.approx(s1 ** 2, rel=1e-12)


def test_condition_number_singular_is_inf():
    assert C.condition_number([[1.0, 2.0], [2.0, 4.0]]) > 1e15  # rank 1, up to rounding
    assert C.condition_number(np.diag([1.0, 0.0])) == np.inf
    assert C.condition_number(np.zeros((3, 3))) == np.inf


def test_singular_values_match_numpy():
    M = np.random.default_rng(2).standard_normal((7, 4))
    np.testing.assert_allclose(C.singular_values(M), np.linalg.svd(M, compute_uv=False),
                               rtol=1e-12)
    np.testing.assert_allclose(C.singular_values(np.diag([1.0, -5.0, 2.0])), [5, 2, 1])


@pytest.mark.parametrize("bad, match", [
    (np.ones(3), r"M must be a 2-D array, got shape \(3,\)"),
    (np.ones((2, 2, 2)), r"M must be a 2-D array, got shape \(2, 2, 2\)"),
    (np.ones((0, 3)), r"M must not be empty, got shape \(0, 3\)"),
    (np.array([[1.0, np.nan], [0.0, 1.0]]), r"M must contain only finite.*\(2, 2\)"),
    (np.array([[1.0, np.inf], [0.0, 1.0]]), r"M must contain only finite"),
    ([["a", "b"]], r"M must be a 2-D array of real numbers"),
])
def test_condition_number_bad_input(bad, match):
    with pytest.raises(ValueError, match=match):
        C.condition_number(bad)
    with pytest.raises(ValueError, match=match):
        C.singular_values(bad)


# ---------------------------------------------------------------- products

@pytest.mark.parametrize("n, L", [(6, 3), (12, 8), (25, 5), (40, 6)])
def test_product_spectrum_matches_explicit_svd(n, L):
    rng = np.random.default_rng(n + L)
    Ms = _gaussian_stack(rng, n, L)
    P = np.linalg.multi_dot(Ms[::-1])
    s = np.linalg.svd(P, compute_uv=False)
    assert s[0] / s[-1] < 1e10  # moderate: the explicit SVD still resolves every value
    # the SVD of the explicit product has absolute error ~ eps * s[0], so the
    # relative (log) error of s[i] is ~ eps * s[0] / s[i]
    tol = 1e-10 + 1e-13 * s[0] / s
    err = np.abs(C.product_log_singular_values(Ms) - np.log(s))
    assert np.all(err <= tol), (err, tol)
    np.testing.assert_allclose(C.explicit_product(Ms), P, rtol=1e-12, atol=1e-14)


def test_product_order_is_layer_order():
    A = np.array([[1.0, 5.0], [0.0, 1.0]])
    B = np.diag([3.0, 0.1])
    expect = np.log(np.linalg.svd(B @ A, compute_uv=False))  # [A, B] means B @ A
    np.testing.assert_allclose(C.product_log_singular_values([A, B]), expect, atol=1e-12)
    assert not np.allclose(expect, np.log(np.linalg.svd(A @ B, compute_uv=False)))


def test_product_of_orthogonal_is_isometry_at_any_depth():
    rng = np.random.default_rng(3)
    Qs = [np.linalg.qr(rng.standard_normal((30, 30)))[0] for _ in range(1500)]
    np.testing.assert_allclose(C.product_log_singular_values(Qs), 0.0, atol=1e-10)


def test_product_of_diagonals_beyond_float_range():
    # log-entries with a fixed ordering (no crossing): the closed form is the
    # sorted column sums of the logs. The product itself is ~1e900 .. 1e-1000.
    rng = np.random.default_rng(4)
    base = np.log(np.array([2.0, 1.5, 1.0, 0.5, 0.1]))
    logd = base + 0.1 * rng.uniform(-1, 1, (3000, 5))
    Ds = [np.diag(np.exp(row) * rng.choice([-1, 1], 5)) for row in logd]
    expect = np.sort(logd.sum(axis=0))[::-1]
    assert expect[0] > 709 and expect[-1] < -745  # would overflow / underflow
    np.testing.assert_allclose(C.product_log_singular_values(Ds), expect,
                               rtol=1e-12, atol=1e-8)


def test_many_peeling_levels():
    # singular values e^{-14 i}, i = 0..99: each SVD step resolves only one or
    # two of them, and the explicit product underflows below e^{-745}
    rng = np.random.default_rng(18)
    Q = np.linalg.qr(rng.standard_normal((100, 100)))[0]
    D = np.diag(np.exp(-7.0 * np.arange(100)))
    ls = C.product_log_singular_values([D @ Q, D])  # D D Q: same singular values as D^2
    np.testing.assert_allclose(ls, -14.0 * np.arange(100), rtol=1e-10, atol=1e-8)


def test_product_of_diagonal_in_rotated_basis():
    # M_k = Q D_k Q^T: the product is Q (prod D_k) Q^T, singular values closed form
    rng = np.random.default_rng(5)
    Q = np.linalg.qr(rng.standard_normal((6, 6)))[0]
    d = np.array([1.3, 1.1, 0.9, 0.7, 0.5, 0.3])
    L = 800
    Ms = [Q @ np.diag(d) @ Q.T for _ in range(L)]
    np.testing.assert_allclose(C.product_log_singular_values(Ms), L * np.log(d),
                               rtol=1e-9, atol=1e-8)


@pytest.mark.parametrize("n, L", [(8, 100), (20, 60)])
def test_deep_gaussian_product_against_independent_references(n, L):
    rng = np.random.default_rng(10 * n + L)
    Ms = _gaussian_stack(rng, n, L)
    ls = C.product_log_singular_values(Ms)
    # sum of log singular values = sum of log |det M_k|
    assert ls.sum() == pytest.approx(sum(np.linalg.slogdet(M)[1] for M in Ms), rel=1e-10)
    # largest: explicit product rescaled per layer (no overflow), then SVD
    P = np.eye(n)
    scale = 0.0
    for M in Ms:
        P = M @ P
        f = np.linalg.norm(P)
        P /= f
        scale += np.log(f)
    assert ls[0] == pytest.approx(np.log(np.linalg.norm(P, 2)) + scale, abs=1e-9)
    # smallest: 1 / largest singular value of the inverse product
    Pi = np.eye(n)
    scale = 0.0
    for M in Ms:
        Pi = Pi @ np.linalg.inv(M)
        f = np.linalg.norm(Pi)
        Pi /= f
        scale += np.log(f)
    assert ls[-1] == pytest.approx(-(np.log(np.linalg.norm(Pi, 2)) + scale), abs=1e-7)
    assert ls[0] - ls[-1] > 60  # condition number beyond 1e26: explicit SVD hopeless
    assert np.all(np.diff(ls) <= 0)


def test_singular_product_gives_minus_inf():
    A = np.diag([2.0, 1.0, 0.0])
    ls = C.product_log_singular_values([A, A])
    np.testing.assert_allclose(ls[:2], [np.log(4.0), 0.0], atol=1e-14)
    assert ls[2] == -np.inf
    assert np.all(C.product_log_singular_values([np.zeros((2, 2))]) == -np.inf)


def test_product_accepts_3d_array():
    Ms = np.stack(_gaussian_stack(np.random.default_rng(6), 4, 3))
    np.testing.assert_allclose(C.product_log_singular_values(Ms),
                               np.log(np.linalg.svd(Ms[2] @ Ms[1] @ Ms[0],
                                                    compute_uv=False)), atol=1e-12)


@pytest.mark.parametrize("bad, match", [
    ([], r"matrices must contain at least one matrix, got none"),
    ([np.ones((3, 4))], r"matrices\[0\] must be a square matrix, got shape \(3, 4\)"),
    ([np.eye(3), np.eye(4)],
     r"matrices\[1\] must have the shape of matrices\[0\], \(3, 3\), got shape \(4, 4\)"),
    ([np.eye(2), np.ones(2)], r"matrices\[1\] must be a 2-D array, got shape \(2,\)"),
    ([np.eye(2), np.full((2, 2), np.nan)], r"matrices\[1\] must contain only finite"),
    (5, r"matrices must be a sequence of square matrices, got int"),
])
def test_product_bad_input(bad, match):
    with pytest.raises(ValueError, match=match):
        C.product_log_singular_values(bad)
    with pytest.raises(ValueError, match=match):
        C.explicit_product(bad)


# ---------------------------------------------------------------- initialisers

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


# ---------------------------------------------------------------- networks

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


# ---------------------------------------------------------------- figures

def _labelled(fig):
    assert isinstance(fig, Figure)
    for ax in fig.axes:
        assert ax.get_xlabel()
    assert fig.axes[0].get_ylabel()  # panels in a row share the first one's y label


def test_plot_unit_circle_axes_are_singular_values():
    M = np.array([[2.0, 1.0], [0.0, 0.5]])
    fig = C.plot_unit_circle(M)
    _labelled(fig)
    img = max((ln.get_xydata() for ln in fig.axes[1].lines), key=len)
    r = np.linalg.norm(img, axis=1)
    s = np.linalg.svd(M, compute_uv=False)
    assert r.max() == pytest.approx(s[0], rel=1e-3)
    assert r.min() == pytest.approx(s[1], rel=1e-3)
    with pytest.raises(ValueError, match=r"M must be a 2x2 matrix, got shape \(3, 3\)"):
        C.plot_unit_circle(np.eye(3))


def test_plot_directional_gain_endpoints():
    Js = _gaussian_stack(np.random.default_rng(17), 6, 8)
    fig = C.plot_directional_gain(Js, n_random=1)
    _labelled(fig)
    s = np.linalg.svd(np.linalg.multi_dot(Js[::-1]), compute_uv=False)
    ends = sorted(line.get_ydata()[0] for line in fig.axes[0].lines[-2:])
    assert ends == pytest.approx([s[-1], s[0]], rel=1e-8)


def test_other_plots_build():
    fig = C.plot_singular_value_histograms([1, 4], "lecun", width=12)
    _labelled(fig)
    assert len(fig.axes) == 2
    fig = C.plot_condition_vs_depth(6, ("he", "orthogonal"), "linear", width=8)
    _labelled(fig)
    assert len(fig.axes[0].lines) == 2
    # orthogonal + linear: log10 condition number 0 at every depth
    np.testing.assert_allclose(fig.axes[0].lines[1].get_ydata(), 0.0, atol=1e-10)
    fig = C.plot_log_singular_values_vs_depth(5, width=4)
    _labelled(fig)
    assert len(fig.axes[0].lines) == 4 + 1
    with pytest.raises(ValueError, match=r"depths must contain at least one depth"):
        C.plot_singular_value_histograms([])


# ------------------------------------------- the chapter's generalising claims
# (each test is named in tests/claims_registry.py next to the sentence it checks)

def test_condition_number_properties_on_random_matrices():
    """kappa >= 1, kappa(cM) = kappa(M) for c != 0, kappa = 1 exactly for c Q (Q orthogonal)."""
    rng = np.random.default_rng(21)
    for n in (2, 5, 17):
        for _ in range(20):
            M = rng.standard_normal((n, n)) * 10.0 ** rng.uniform(-3, 3, size=n)
            k = C.condition_number(M)
            assert k >= 1
            for c in (-7.5, 1e-6, 3e4):
                assert C.condition_number(c * M) == pytest.approx(k, rel=1e-8)
            Q = np.linalg.qr(rng.standard_normal((n, n)))[0]
            assert C.condition_number(-2.5 * Q) == pytest.approx(1.0, abs=1e-12)
            # one singular value moved off the common value: kappa > 1
            U, _, Vt = np.linalg.svd(M)
            s = np.full(n, 2.0)
            s[-1] = 2.0 * (1 - 1e-6)
            assert C.condition_number(U @ np.diag(s) @ Vt) > 1 + 1e-7


def test_gaussian_condition_number_grows_like_n():
    """Chapter 3: for n x n Gaussian matrices, sigma_max ~ 2 x the rms singular value and
    kappa roughly proportional to n; medians over 100 draws for n = 25, 50, 100, 200."""
    rng = np.random.default_rng(22)
    ratios = []
    for n in (25, 50, 100, 200):
        s = np.array([np.linalg.svd(rng.standard_normal((n, n)), compute_uv=False)
                      for _ in range(100)])
        rms = np.sqrt(np.mean(s ** 2, axis=1))
        assert 1.8 < np.median(s[:, 0] / rms) < 2.1
        ratios.append(np.median(s[:, 0] / s[:, -1]) / n)
    assert 2 < min(ratios) and max(ratios) < 5, ratios


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


def test_relu_layers_are_singular_whatever_the_weights():
    """Chapter 3 and exercise "No isometry with ReLU": with zero biases about half the units
    of every layer are off, so every layer Jacobian D W is singular, for every initialiser
    and gain (ReLU is positively homogeneous: the gain cannot switch a unit on)."""
    from lyaplearn import jacobians as jac

    rng = np.random.default_rng(23)
    n, L = 32, 12
    for kind in C.INITIALISERS:
        for gain in (0.5, 1.0, 1.414, 2.0):
            ws = [C.init_weights(n, kind, gain=gain, rng=rng) for _ in range(L)]
            x = rng.standard_normal(n)
            zs, _ = jac.mlp_forward(ws, None, x, "relu")
            for z, J in zip(zs, jac.mlp_jacobians(ws, None, x, "relu")):
                active = int(np.sum(z > 0))
                assert 0.2 * n <= active <= 0.8 * n, (kind, gain, active)
                assert np.linalg.matrix_rank(J) <= active < n


def test_random_products_condition_grows_exponentially_but_slower_than_the_bound():
    """Exercise "Conditioning of products": for 16 x 16 Gaussian layers, log kappa of the
    product grows linearly in L (exponential growth of kappa) at a rate below the bound's
    per-layer log kappa_0 (mean over the layers)."""
    rng = np.random.default_rng(24)
    layers = _gaussian_stack(rng, 16, 400)
    log_k0 = np.mean([np.log(C.condition_number(W)) for W in layers])
    ls = {L: C.product_log_singular_values(layers[:L]) for L in (100, 200, 400)}
    rate = {L: (v[0] - v[-1]) / L for L, v in ls.items()}
    assert rate[400] < 0.8 * log_k0                       # slower than kappa_0 ** L
    assert rate[400] > 0.5                                # but exponential
    assert abs(rate[200] - rate[400]) < 0.1 * rate[400]   # a settled rate, not a transient


def test_linear_gaussian_spread_does_not_depend_on_gain():
    """Chapter 3's explorer: for the linear activation a gain g shifts every log singular value
    by L log g and leaves the condition number unchanged."""
    base = C.jacobian_log_singular_values(20, 12, "lecun", 1.0, "linear", rng=6)
    for g in (0.5, 1.3, 2.0):
        ls = C.jacobian_log_singular_values(20, 12, "lecun", g, "linear", rng=6)
        np.testing.assert_allclose(ls, base + 20 * np.log(g), rtol=1e-9, atol=1e-9)


def test_log_norm_of_gaussian_product_drifts_like_digamma():
    """Exercise "The mean is preserved, the typical value is not": with N(0, 1/n) entries,
    E log ||W_L ... W_1 x||^2 = L (psi(n/2) - log(n/2)) < 0 while E ||...||^2 = 1."""
    rng = np.random.default_rng(25)
    n, L, draws = 8, 20, 4000
    x = np.zeros(n)
    x[0] = 1.0
    h = np.tile(x, (draws, 1))
    for _ in range(L):
        W = rng.standard_normal((draws, n, n)) / np.sqrt(n)
        h = np.einsum("bij,bj->bi", W, h)
    logs = np.log(np.sum(h ** 2, axis=1))
    digamma = -np.euler_gamma + sum(1 / k for k in range(1, n // 2))   # psi(n/2), n/2 integer
    expected = L * (digamma - np.log(n / 2))
    assert abs(logs.mean() - expected) < 5 * logs.std() / np.sqrt(draws)
    assert expected < -1
