"""Tests for lyaplearn.jacobians._network: the MLP's activations, forward pass, layer Jacobians,
deltas and weight gradients against torch autograd, the product bound and deep linear
networks against numpy.linalg and closed forms, random_mlp's statistics, and the refusals of
bad activations, shapes, deltas and random_mlp arguments."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.autograd.functional import jacobian as autograd_jacobian

from lyaplearn import jacobians as jac
from _helpers.mlp_inputs import random_network as _network

pytestmark = pytest.mark.fp_insensitive


TORCH_ACT = {
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "relu": torch.relu,
    "linear": lambda z: z,
}


def _torch_forward(ws, bs, x, acts, retain=False):
    """Independent torch forward pass; returns the list [h_0, ..., h_L]."""
    h = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    hs = [h]
    for i, w in enumerate(ws):
        z = torch.from_numpy(w) @ hs[-1]
        if bs is not None:
            z = z + torch.from_numpy(bs[i])
        h = TORCH_ACT[acts[i]](z)
        if retain:
            h.retain_grad()
        hs.append(h)
    return hs


@pytest.mark.parametrize("name", jac.ACTIVATIONS)
def test_activation_and_derivative_match_torch(name):
    z = np.linspace(-6, 6, 61) + 0.013  # avoid relu's kink at exactly 0
    zt = torch.tensor(z, requires_grad=True)
    y = TORCH_ACT[name](zt)
    (g,) = torch.autograd.grad(y.sum(), zt)
    np.testing.assert_allclose(jac.activate(z, name), y.detach().numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(jac.activation_derivative(z, name), g.numpy(), rtol=1e-12, atol=1e-15)


def test_sigmoid_derivative_ceiling_is_a_quarter():
    z = np.linspace(-10, 10, 2001)
    d = jac.activation_derivative(z, "sigmoid")
    assert d.max() == pytest.approx(0.25, abs=1e-12)
    assert np.all(d <= 0.25)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("name", jac.ACTIVATIONS)
def test_mlp_jacobians_match_autograd(name, bias):
    widths = [5, 7, 4, 6, 3]
    ws, bs, x = _network(widths, seed=3, bias=bias)
    js = jac.mlp_jacobians(ws, bs, x, name)
    hs = _torch_forward(ws, bs, x, [name] * len(ws))
    assert len(js) == len(ws)
    for i, w in enumerate(ws):
        wt = torch.from_numpy(w)
        bt = torch.from_numpy(bs[i]) if bs is not None else torch.zeros(w.shape[0], dtype=torch.float64)
        layer = lambda h, wt=wt, bt=bt: TORCH_ACT[name](wt @ h + bt)  # noqa: E731
        ref = autograd_jacobian(layer, hs[i].detach()).numpy()
        assert js[i].shape == (widths[i + 1], widths[i])
        np.testing.assert_allclose(js[i], ref, rtol=1e-12, atol=1e-14)


def test_end_to_end_jacobian_matches_autograd_of_whole_network():
    acts = ["relu", "tanh", "sigmoid", "linear"]
    ws, bs, x = _network([4, 6, 6, 5, 2], seed=11)

    def net(xx):
        h = xx
        for w, b, a in zip(ws, bs, acts):
            h = TORCH_ACT[a](torch.from_numpy(w) @ h + torch.from_numpy(b))
        return h

    ref = autograd_jacobian(net, torch.tensor(x)).numpy()
    got = jac.end_to_end_jacobian(jac.mlp_jacobians(ws, bs, x, acts))
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-14)


def test_mlp_forward_matches_torch():
    acts = ["tanh", "relu", "linear"]
    ws, bs, x = _network([3, 5, 4, 2], seed=2)
    zs, hs = jac.mlp_forward(ws, bs, x, acts)
    ref = _torch_forward(ws, bs, x, acts)
    assert len(zs) == 3 and len(hs) == 4
    for h, r in zip(hs, ref):
        np.testing.assert_allclose(h, r.detach().numpy(), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(zs[0], ws[0] @ x + bs[0], rtol=1e-13)


@pytest.mark.parametrize("name", jac.ACTIVATIONS)
def test_backprop_deltas_match_autograd_for_each_hidden_layer(name):
    ws, bs, x = _network([6, 8, 8, 8, 4], seed=5)
    acts = [name] * len(ws)
    hs = _torch_forward(ws, bs, x, acts, retain=True)
    loss = torch.sin(hs[-1]).sum() + 0.5 * (hs[-1] ** 2).sum()
    loss.backward()
    delta_L = (torch.cos(hs[-1]) + hs[-1]).detach().numpy()
    deltas = jac.backprop_deltas(jac.mlp_jacobians(ws, bs, x, acts), delta_L)
    assert len(deltas) == len(ws) + 1
    for d, h in zip(deltas, hs):
        np.testing.assert_allclose(d, h.grad.numpy(), rtol=1e-11, atol=1e-14)
    np.testing.assert_allclose(jac.delta_norms(jac.mlp_jacobians(ws, bs, x, acts), delta_L),
                               [float(h.grad.norm()) for h in hs], rtol=1e-11)


@pytest.mark.parametrize("name", jac.ACTIVATIONS)
def test_weight_gradients_match_autograd(name):
    ws, bs, x = _network([4, 6, 5, 3], seed=8)
    wt = [torch.tensor(w, requires_grad=True) for w in ws]
    h = torch.tensor(x)
    for w, b in zip(wt, bs):
        h = TORCH_ACT[name](w @ h + torch.from_numpy(b))
    target = torch.tensor([0.3, -0.2, 0.9], dtype=torch.float64)
    loss = 0.5 * ((h - target) ** 2).sum()
    loss.backward()
    delta_L = (h - target).detach().numpy()
    grads = jac.weight_gradients(ws, bs, x, name, delta_L)
    for g, w in zip(grads, wt):
        np.testing.assert_allclose(g, w.grad.numpy(), rtol=1e-11, atol=1e-14)
    np.testing.assert_allclose(jac.weight_gradient_norms(ws, bs, x, name, delta_L),
                               [float(w.grad.norm()) for w in wt], rtol=1e-11)


def test_spectral_norms_are_largest_singular_values():
    ws, _, _ = _network([4, 7, 3, 5], seed=9)
    s = jac.spectral_norms(ws)
    np.testing.assert_allclose(s, [np.linalg.svd(w, compute_uv=False)[0] for w in ws], rtol=1e-12)


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("name", jac.ACTIVATIONS)
def test_product_bound_holds(name, seed):
    ws, bs, x = _network([6, 6, 6, 6, 6, 6, 6], seed=seed, scale=0.5 + seed * 0.3)
    js = jac.mlp_jacobians(ws, bs, x, name)
    d = np.random.default_rng(seed + 100).standard_normal(6)
    actual = jac.delta_norms(js, d)
    bound = jac.product_bound(js, float(np.linalg.norm(d)))
    sv = [np.linalg.svd(j, compute_uv=False)[0] for j in js]
    expected = [np.prod(sv[ell:]) * np.linalg.norm(d) for ell in range(len(js))] + [np.linalg.norm(d)]
    np.testing.assert_allclose(bound, expected, rtol=1e-12)
    assert np.all(actual <= bound * (1 + 1e-12))


def test_product_bound_is_tight_for_scaled_orthogonal_layers():
    g, L = 1.7, 6
    ws, _ = jac.random_mlp([5] * (L + 1), g, init="orthogonal", seed=0)
    d = np.random.default_rng(1).standard_normal(5)
    js = jac.mlp_jacobians(ws, None, np.ones(5), "linear")
    expected = np.linalg.norm(d) * g ** np.arange(L, -1, -1)
    np.testing.assert_allclose(jac.delta_norms(js, d), expected, rtol=1e-12)
    np.testing.assert_allclose(jac.product_bound(js, np.linalg.norm(d)), expected, rtol=1e-12)


def test_product_bound_can_be_loose():
    # each Jacobian has norm 1 but they annihilate each other
    j1 = np.array([[1.0, 0.0], [0.0, 0.0]])
    j2 = np.array([[0.0, 0.0], [0.0, 1.0]])
    d = np.array([1.0, 1.0])
    assert jac.delta_norms([j1, j2], d)[0] == 0.0
    assert jac.product_bound([j1, j2], np.linalg.norm(d))[0] == pytest.approx(np.sqrt(2))


def test_deep_linear_network_closed_form():
    rng = np.random.default_rng(7)
    ws = [rng.standard_normal((m, n)) for n, m in zip([3, 4, 5, 2], [4, 5, 2, 3])]
    x = rng.standard_normal(3)
    prod = np.linalg.multi_dot(ws[::-1])
    np.testing.assert_allclose(jac.deep_linear_product(ws), prod, rtol=1e-12)
    js = jac.mlp_jacobians(ws, None, x, "linear")
    for j, w in zip(js, ws):
        np.testing.assert_array_equal(j, w)
    d = rng.standard_normal(3)
    np.testing.assert_allclose(jac.backprop_deltas(js, d)[0], prod.T @ d, rtol=1e-12)
    # weight gradient: dL/dW_k = (W_L..W_{k+1})^T d (W_{k-1}..W_1 x)^T
    grads = jac.weight_gradients(ws, None, x, "linear", d)
    for k in range(len(ws)):
        left = np.linalg.multi_dot([np.eye(3)] + ws[:k:-1]) if k < len(ws) - 1 else np.eye(3)
        right = np.linalg.multi_dot(ws[:k][::-1] + [x]) if k > 0 else x
        np.testing.assert_allclose(grads[k], np.outer(left.T @ d, right), rtol=1e-11, atol=1e-13)


@pytest.mark.parametrize("w", [0.9, 1.0, 1.1, -1.5])
def test_deep_linear_scalar_multiple_of_identity_is_r_to_the_t(w):
    L, n = 20, 4
    ws = [w * np.eye(n)] * L
    d = np.array([1.0, -2.0, 0.5, 3.0])
    norms = jac.delta_norms(jac.mlp_jacobians(ws, None, np.ones(n), "linear"), d)
    np.testing.assert_allclose(norms, np.linalg.norm(d) * abs(w) ** np.arange(L, -1, -1), rtol=1e-12)


def test_random_mlp_gaussian_statistics_and_seed():
    ws, bs = jac.random_mlp([400, 300, 200], gain=2.0, seed=0)
    assert [w.shape for w in ws] == [(300, 400), (200, 300)]
    assert np.var(ws[0]) == pytest.approx(4.0 / 400, rel=0.02)
    assert np.var(ws[1]) == pytest.approx(4.0 / 300, rel=0.02)
    assert all(np.all(b == 0) for b in bs)
    ws2, _ = jac.random_mlp([400, 300, 200], gain=2.0, seed=0)
    np.testing.assert_array_equal(ws[0], ws2[0])
    ws3, _ = jac.random_mlp([400, 300, 200], gain=2.0, seed=1)
    assert not np.array_equal(ws[0], ws3[0])
    _, bs4 = jac.random_mlp([10, 2000], bias_mean=3.0, bias_std=0.5, seed=2)
    assert np.mean(bs4[0]) == pytest.approx(3.0, abs=0.05)
    assert np.std(bs4[0]) == pytest.approx(0.5, rel=0.05)


@pytest.mark.parametrize("widths", [[6, 6, 6], [4, 9, 3]])
def test_random_mlp_orthogonal_singular_values_equal_gain(widths):
    ws, _ = jac.random_mlp(widths, gain=1.5, init="orthogonal", seed=3)
    for w in ws:
        s = np.linalg.svd(w, compute_uv=False)
        np.testing.assert_allclose(s, 1.5, rtol=1e-12)


def test_sigmoid_networks_below_norm_four_shrink_whatever_the_input():
    """Chapter 2, exercise "The sigmoid ceiling": ||W_l||_2 <= c < 4 in every layer gives
    ||delta_0|| <= (c/4)^L ||delta_L||, for inputs and biases from tiny to huge."""
    rng = np.random.default_rng(5)
    c, L, n = 3.9, 10, 12
    for trial in range(40):
        ws = []
        for _ in range(L):
            W = rng.standard_normal((n, n))
            ws.append(c * W / np.linalg.norm(W, 2))
        scale = 10.0 ** rng.uniform(-3, 2)
        bs = [scale * rng.standard_normal(n) for _ in range(L)]
        x = scale * rng.standard_normal(n)
        delta_L = rng.standard_normal(n)
        norms = jac.delta_norms(jac.mlp_jacobians(ws, bs, x, "sigmoid"), delta_L)
        assert norms[0] <= (c / 4) ** L * norms[-1] * (1 + 1e-12), (trial, scale)


def test_bad_activation_names():
    ws, bs, x = _network([3, 4, 2], seed=0)
    with pytest.raises(ValueError, match=r"activation must be one of .*'softplus'"):
        jac.mlp_jacobians(ws, bs, x, "softplus")
    with pytest.raises(ValueError, match=r"activation\[1\] must be one of .*'elu'"):
        jac.mlp_jacobians(ws, bs, x, ["tanh", "elu"])
    with pytest.raises(ValueError, match="one activation per layer: got 3 names for 2"):
        jac.mlp_jacobians(ws, bs, x, ["tanh"] * 3)
    with pytest.raises(ValueError, match="activation must be a name"):
        jac.mlp_jacobians(ws, bs, x, 3)
    with pytest.raises(ValueError, match="name must be one of"):
        jac.activate(np.zeros(2), "gelu")
    with pytest.raises(ValueError, match="name must be one of"):
        jac.activation_derivative(np.zeros(2), "gelu")


def test_bad_shapes_name_argument_layer_and_shapes():
    ws, bs, x = _network([3, 4, 2], seed=0)
    with pytest.raises(ValueError, match=r"weights\[1\] \(layer 2\) has shape \(2, 5\).*"
                                         r"weights\[0\] \(layer 1\) has shape \(4, 3\)"):
        jac.mlp_jacobians([ws[0], np.zeros((2, 5))], None, x, "tanh")
    with pytest.raises(ValueError, match=r"weights\[0\] \(layer 1\) has shape \(4, 3\).*x has size 5"):
        jac.mlp_jacobians(ws, None, np.zeros(5), "tanh")
    with pytest.raises(ValueError, match=r"x must be a 1-D input vector, got shape \(3, 1\)"):
        jac.mlp_jacobians(ws, None, np.zeros((3, 1)), "tanh")
    with pytest.raises(ValueError, match=r"weights\[1\] \(layer 2\) must be a 2-D array, got shape \(4,\)"):
        jac.mlp_jacobians([ws[0], np.zeros(4)], None, x, "tanh")
    with pytest.raises(ValueError, match="weights must contain at least one matrix"):
        jac.mlp_jacobians([], None, x, "tanh")
    with pytest.raises(ValueError, match=r"single array of shape \(4, 3\)"):
        jac.mlp_jacobians(ws[0], None, x, "tanh")
    with pytest.raises(ValueError, match=r"weights\[0\] \(layer 1\) must be finite"):
        jac.mlp_jacobians([np.full((4, 3), np.nan), ws[1]], None, x, "tanh")
    with pytest.raises(ValueError, match=r"biases\[1\] \(layer 2\) must have shape \(2,\).*got shape \(3,\)"):
        jac.mlp_jacobians(ws, [bs[0], np.zeros(3)], x, "tanh")
    with pytest.raises(ValueError, match="one vector per layer: got 1 biases for 2"):
        jac.mlp_jacobians(ws, bs[:1], x, "tanh")
    with pytest.raises(ValueError, match="biases must be None or a sequence"):
        jac.mlp_jacobians(ws, 3.0, x, "tanh")
    with pytest.raises(ValueError, match="weights must be a sequence"):
        jac.mlp_forward(5, None, x, "tanh")


def test_bad_deltas_and_jacobians():
    js = [np.ones((4, 3)), np.ones((2, 4))]
    with pytest.raises(ValueError, match=r"delta_L must have shape \(2,\).*got shape \(3,\)"):
        jac.backprop_deltas(js, np.ones(3))
    with pytest.raises(ValueError, match=r"jacobians\[1\] \(layer 2\) has shape \(2, 5\)"):
        jac.backprop_deltas([np.ones((4, 3)), np.ones((2, 5))], np.ones(2))
    with pytest.raises(ValueError, match=r"delta_L must have shape \(2,\)"):
        jac.delta_norms(js, np.ones((2, 1)))
    with pytest.raises(ValueError, match="delta_norm must be a finite real number >= 0"):
        jac.product_bound(js, -1.0)
    with pytest.raises(ValueError, match=r"matrices\[0\] \(layer 1\) must be a 2-D array"):
        jac.spectral_norms([np.ones(3)])
    with pytest.raises(ValueError, match=r"jacobians\[1\] \(layer 2\) has shape \(3, 3\)"):
        jac.end_to_end_jacobian([np.ones((4, 3)), np.ones((3, 3))])
    with pytest.raises(ValueError, match=r"weights\[1\] \(layer 2\) has shape \(3, 3\)"):
        jac.deep_linear_product([np.ones((4, 3)), np.ones((3, 3))])
    ws, bs, x = _network([3, 4, 2], seed=0)
    with pytest.raises(ValueError, match=r"delta_L must have shape \(2,\)"):
        jac.weight_gradients(ws, bs, x, "tanh", np.ones(4))
    with pytest.raises(ValueError, match=r"delta_L must have shape \(2,\)"):
        jac.weight_gradient_norms(ws, bs, x, "tanh", np.ones(4))


def test_bad_random_mlp_arguments():
    with pytest.raises(ValueError, match="widths must list at least"):
        jac.random_mlp([3])
    with pytest.raises(ValueError, match=r"widths\[1\] must be a positive integer, got 0"):
        jac.random_mlp([3, 0])
    with pytest.raises(ValueError, match=r"widths\[0\] must be a positive integer, got 2.5"):
        jac.random_mlp([2.5, 3])
    with pytest.raises(ValueError, match="gain must be a finite real number > 0"):
        jac.random_mlp([3, 3], gain=0.0)
    with pytest.raises(ValueError, match="init must be 'gaussian' or 'orthogonal'"):
        jac.random_mlp([3, 3], init="xavier")
    with pytest.raises(ValueError, match="bias_std must be a finite real number >= 0"):
        jac.random_mlp([3, 3], bias_std=-1.0)
    with pytest.raises(ValueError, match="bias_mean must be a finite real number"):
        jac.random_mlp([3, 3], bias_mean=np.inf)
