"""Tests for lyaplearn.rnn against closed forms, numpy.linalg and torch autograd."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from lyaplearn import rnn

pytestmark = pytest.mark.fp_sensitive

TORCH_PHI = {"tanh": torch.tanh, "relu": torch.relu, "linear": lambda a: a}


def _random_rnn(n=5, n_in=3, T=7, seed=0, scale=1.2):
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((n, n)) * scale / math.sqrt(n)
    U = rng.standard_normal((n, n_in))
    b = rng.standard_normal(n) * 0.3
    xs = rng.standard_normal((T, n_in))
    h0 = rng.standard_normal(n) * 0.5
    return W, U, b, xs, h0


def _torch_states(W, U, b, xs, h0, activation):
    """Unroll the RNN in torch (float64), keeping every state's gradient."""
    Wt, Ut, bt = (torch.tensor(a, dtype=torch.float64) for a in (W, U, b))
    h = torch.tensor(h0, dtype=torch.float64, requires_grad=True)
    hs = [h]
    for x in torch.tensor(xs, dtype=torch.float64):
        h = TORCH_PHI[activation](Wt @ h + Ut @ x + bt)
        h.retain_grad()
        hs.append(h)
    return hs


# --- spectral radius ---------------------------------------------------------

@pytest.mark.parametrize("r,theta", [(0.7, 0.3), (1.3, 2.0), (1.0, math.pi / 2)])
def test_spectral_radius_rotation_times_scale(r, theta):
    # eigenvalues r exp(+-i theta): modulus r exactly
    W = r * np.array([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]])
    assert rnn.spectral_radius(W) == pytest.approx(r, rel=1e-12)
    assert rnn.spectral_radius(W) == pytest.approx(np.abs(np.linalg.eigvals(W)).max(), rel=1e-12)


def test_spectral_radius_triangular_is_largest_diagonal_entry():
    W = np.array([[0.5, 3.0, -2.0], [0.0, -0.8, 7.0], [0.0, 0.0, 0.2]])
    assert rnn.spectral_radius(W) == pytest.approx(0.8, rel=1e-12)
    # the norm can be much larger than the spectral radius
    assert np.linalg.norm(W, 2) > 5


def test_spectral_radius_random_matches_eigvals():
    W = np.random.default_rng(3).standard_normal((9, 9))
    assert rnn.spectral_radius(W) == pytest.approx(np.abs(np.linalg.eigvals(W)).max(), rel=1e-12)


# --- initialiser ---------------------------------------------------------------

@pytest.mark.parametrize("kind", rnn.KINDS)
@pytest.mark.parametrize("n,rho", [(32, 0.9), (7, 1.3), (1, 0.5), (16, 0.0)])
def test_init_recurrent_sets_rho_exactly(kind, n, rho):
    for seed in range(3):
        W = rnn.init_recurrent(n, rho, kind, np.random.default_rng(seed))
        assert W.shape == (n, n)
        r = np.abs(np.linalg.eigvals(W)).max()
        if rho == 0:
            # all eigenvalues zero: W is nilpotent (eigvals of a nilpotent matrix are
            # inaccurate, so check W^n = 0 instead)
            assert np.linalg.norm(np.linalg.matrix_power(W, n)) < 1e-12
        else:
            assert r == pytest.approx(rho, rel=1e-10)


def test_init_recurrent_normal_is_normal_with_norms_rho_to_the_t():
    W = rnn.init_recurrent(24, 0.9, "normal", 1)
    assert np.allclose(W @ W.T, W.T @ W, atol=1e-12)
    P = np.linalg.matrix_power
    for t in (1, 5, 20):
        assert np.linalg.norm(P(W, t), 2) == pytest.approx(0.9 ** t, rel=1e-9)


def test_init_recurrent_nonnormal_grows_transiently():
    W = rnn.init_recurrent(32, 0.9, "nonnormal", 0)
    assert np.abs(np.linalg.eigvals(W)).max() == pytest.approx(0.9, rel=1e-10)
    assert not np.allclose(W @ W.T, W.T @ W, atol=1e-3)
    norms = [np.linalg.norm(np.linalg.matrix_power(W, t), 2) for t in range(1, 80)]
    assert max(norms) > 1.0
    # ... yet it decays eventually, as rho < 1 demands
    assert np.linalg.norm(np.linalg.matrix_power(W, 400), 2) < 1e-3


def test_init_recurrent_reproducible():
    a = rnn.init_recurrent(10, 0.8, "nonnormal", 5)
    b = rnn.init_recurrent(10, 0.8, "nonnormal", np.random.default_rng(5))
    np.testing.assert_array_equal(a, b)


# --- powers and Gelfand ----------------------------------------------------------

def test_power_norms_jordan_block_closed_form():
    # W = [[a, c], [0, a]]: W^t = [[a^t, t c a^(t-1)], [0, a^t]]
    a, c, steps = 0.9, 1.0, 40
    W = np.array([[a, c], [0.0, a]])
    got = rnn.power_norms(W, steps)
    assert got[0] == 1.0
    for t in range(1, steps + 1):
        Wt = np.array([[a ** t, t * c * a ** (t - 1)], [0.0, a ** t]])
        assert got[t] == pytest.approx(np.linalg.norm(Wt, 2), rel=1e-10)


def test_power_norms_no_overflow():
    W = np.array([[3.0]])
    got = rnn.power_norms(W, 10)
    np.testing.assert_allclose(got, 3.0 ** np.arange(11), rtol=1e-12)


def test_gelfand_estimates_converge_to_rho():
    W = np.array([[0.5, 10.0], [0.0, 0.4]])
    est = rnn.gelfand_estimates(W, 2000)
    assert est.shape == (2000,)
    assert est[0] == pytest.approx(np.linalg.norm(W, 2))
    assert est[-1] == pytest.approx(0.5, rel=5e-3)
    assert abs(est[-1] - 0.5) < abs(est[99] - 0.5)


# --- RNN trajectory and Jacobians -------------------------------------------------

@pytest.mark.parametrize("activation", rnn.ACTIVATIONS)
def test_hidden_trajectory_matches_torch(activation):
    args = _random_rnn(seed=1)
    hs = rnn.hidden_trajectory(*args, activation)
    ref = torch.stack(_torch_states(*args, activation)).detach().numpy()
    np.testing.assert_allclose(hs, ref, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("activation", rnn.ACTIVATIONS)
def test_hidden_jacobians_match_autograd(activation):
    W, U, b, xs, h0 = _random_rnn(seed=2)
    Js = rnn.hidden_jacobians(W, U, b, xs, h0, activation)
    assert len(Js) == xs.shape[0]
    hs = rnn.hidden_trajectory(W, U, b, xs, h0, activation)
    Wt, Ut, bt = (torch.tensor(a, dtype=torch.float64) for a in (W, U, b))
    for t, J in enumerate(Js):
        x = torch.tensor(xs[t], dtype=torch.float64)
        step = lambda h: TORCH_PHI[activation](Wt @ h + Ut @ x + bt)  # noqa: E731
        ref = torch.autograd.functional.jacobian(step, torch.tensor(hs[t], dtype=torch.float64))
        np.testing.assert_allclose(J, ref.numpy(), rtol=1e-12, atol=1e-12)


def test_linear_jacobians_are_W_and_products_are_powers():
    W, U, b, xs, h0 = _random_rnn(seed=4, T=12)
    Js = rnn.hidden_jacobians(W, U, b, xs, h0, "linear")
    for J in Js:
        np.testing.assert_array_equal(J, W)
    prod = rnn.jacobian_product_norms(Js)
    for k in range(len(Js) + 1):
        assert prod[k] == pytest.approx(np.linalg.norm(np.linalg.matrix_power(W, k), 2), rel=1e-10)
    # BPTT in the linear case: dL/dh_{T-k} = (W^T)^k g
    g = np.arange(1.0, W.shape[0] + 1)
    grads = rnn.bptt_gradients(Js, g)
    T = len(Js)
    for k in range(T + 1):
        np.testing.assert_allclose(grads[T - k], np.linalg.matrix_power(W.T, k) @ g, rtol=1e-10)


@pytest.mark.parametrize("activation", rnn.ACTIVATIONS)
def test_gradient_vs_lag_matches_autograd(activation):
    W, U, b, xs, h0 = _random_rnn(seed=5, T=10, scale=1.5)
    y = np.linspace(-1, 1, W.shape[0])
    hs = _torch_states(W, U, b, xs, h0, activation)
    loss = 0.5 * ((hs[-1] - torch.tensor(y)) ** 2).sum()
    loss.backward()
    auto = np.array([h.grad.numpy() for h in hs])  # dL/dh_t, t = 0..T
    Js = rnn.hidden_jacobians(W, U, b, xs, h0, activation)
    grad_last = hs[-1].detach().numpy() - y
    np.testing.assert_allclose(rnn.bptt_gradients(Js, grad_last), auto, rtol=1e-10, atol=1e-12)
    lag = rnn.bptt_gradient_norms(Js, grad_last)
    np.testing.assert_allclose(lag, np.linalg.norm(auto, axis=1)[::-1], rtol=1e-10, atol=1e-12)


def test_jacobian_product_norms_match_autograd_jacobian_of_last_state():
    W, U, b, xs, h0 = _random_rnn(seed=6, T=6)
    Js = rnn.hidden_jacobians(W, U, b, xs, h0, "tanh")
    prod = rnn.jacobian_product_norms(Js)
    Wt, Ut, bt = (torch.tensor(a, dtype=torch.float64) for a in (W, U, b))
    X = torch.tensor(xs, dtype=torch.float64)
    hs = rnn.hidden_trajectory(W, U, b, xs, h0, "tanh")
    T = len(Js)
    for k in range(1, T + 1):
        def tail(h, k=k):
            for t in range(T - k, T):
                h = torch.tanh(Wt @ h + Ut @ X[t] + bt)
            return h
        J = torch.autograd.functional.jacobian(tail, torch.tensor(hs[T - k], dtype=torch.float64))
        assert prod[k] == pytest.approx(np.linalg.norm(J.numpy(), 2), rel=1e-10)


def test_lag_profile_linear_equals_power_norms():
    W = rnn.init_recurrent(8, 0.9, "nonnormal", 2)
    np.testing.assert_allclose(rnn.lag_profile(W, 30, activation="linear"),
                               rnn.power_norms(W, 30), rtol=1e-10)
    tanh = rnn.lag_profile(W, 30)
    assert tanh.shape == (31,)
    # |tanh'| <= 1, so tanh cannot amplify more than the worst case of ||W||^k
    assert np.all(tanh <= np.linalg.norm(W, 2) ** np.arange(31) * (1 + 1e-12))


# --- clipping and training ---------------------------------------------------------

def _params_with_grads(scale, seed=0):
    g = torch.Generator().manual_seed(seed)
    ps = [torch.nn.Parameter(torch.randn(4, 3, generator=g, dtype=torch.float64)),
          torch.nn.Parameter(torch.randn(5, generator=g, dtype=torch.float64))]
    for p in ps:
        p.grad = scale * torch.randn(p.shape, generator=g, dtype=torch.float64)
    return ps


@pytest.mark.parametrize("scale", [0.01, 10.0, 1e4])
def test_clip_gradient_norm_matches_torch(scale):
    ps = _params_with_grads(scale)
    ours, norm = rnn.clip_gradient_norm([p.grad for p in ps], 1.0)
    ref_norm = torch.nn.utils.clip_grad_norm_(ps, 1.0)
    assert norm == pytest.approx(float(ref_norm), rel=1e-12)
    for a, p in zip(ours, ps):
        # torch scales by max_norm / (norm + 1e-6); compare loosely for that epsilon
        np.testing.assert_allclose(a.numpy(), p.grad.numpy(), rtol=1e-5)


@pytest.mark.parametrize("scale,max_norm", [(1e3, 0.5), (1e-3, 0.5), (5.0, None)])
def test_clipped_sgd_step_bounds_the_update(scale, max_norm):
    ps = _params_with_grads(scale, seed=1)
    before = torch.cat([p.detach().flatten().clone() for p in ps])
    g = torch.cat([p.grad.flatten() for p in ps])
    lr = 0.1
    gnorm, unorm = rnn.clipped_sgd_step(ps, lr, max_norm)
    after = torch.cat([p.detach().flatten() for p in ps])
    step = (after - before).numpy()
    gn = float(g.norm())
    assert gnorm == pytest.approx(gn, rel=1e-12)
    expected = lr * (gn if max_norm is None else min(gn, max_norm))
    assert np.linalg.norm(step) == pytest.approx(expected, rel=1e-12)
    assert unorm == pytest.approx(expected, rel=1e-12)
    # the step points exactly against the gradient
    np.testing.assert_allclose(step, -expected * g.numpy() / gn, rtol=1e-10, atol=1e-15)


def test_recall_task_shapes_and_target():
    x, y = rnn.recall_task(5, 9, torch.Generator().manual_seed(0))
    assert x.shape == (5, 9, 2) and y.shape == (5, 1)
    np.testing.assert_array_equal(y[:, 0].numpy(), x[:, 0, 0].numpy())
    np.testing.assert_array_equal(x[:, :, 1].sum(1).numpy(), np.ones(5))
    assert torch.all(x[:, 0, 1] == 1)


def test_training_clipping_bounds_updates_and_is_deterministic():
    kw = dict(hidden=16, length=10, steps=60, rho=1.5, lr=0.2, seed=1)
    free = rnn.train_recall(**kw)
    clipped = rnn.train_recall(max_norm=1.0, **kw)
    again = rnn.train_recall(max_norm=1.0, **kw)
    np.testing.assert_array_equal(clipped.losses, again.losses)
    assert clipped.diverged_at is None and clipped.losses.size == 60
    assert np.all(clipped.update_norms <= 0.2 * 1.0 * (1 + 1e-12))
    # without clipping the update is the full gradient step, and it gets large
    n = free.losses.size
    np.testing.assert_allclose(free.update_norms, 0.2 * free.grad_norms[:n], rtol=1e-12)
    # (a margin of almost 4 on this seed: the first steps are not yet chaotic)
    assert free.update_norms.max() > 2 * 0.2
    # both runs see the same first batch from the same weights
    assert free.losses[0] == clipped.losses[0]


def _run(losses, grads, lr=0.1, max_norm=None, diverged_at=None):
    grads = np.asarray(grads, float)
    upd = lr * (grads if max_norm is None else np.minimum(grads, max_norm))
    return rnn.TrainingRun(np.asarray(losses, float), grads, upd, max_norm, lr, diverged_at)


def test_clipping_ensemble_statistics_from_known_runs():
    free = [_run([1.0, 0.5, 0.2], [3.0, 40.0, 7.0]),
            _run([1.0, 9.0], [2.0, 900.0], diverged_at=2)]
    clipped = [_run([1.0, 0.6, 0.4], [3.0, 5.0, 2.0], max_norm=1.0),
               _run([1.0, 0.3, 0.1], [2.0, 8.0, 1.5], max_norm=1.0)]
    ens = rnn.ClippingEnsemble((0, 1), free, clipped, 1.0, 3, tail=2)
    assert ens.diverged("free") == 1 and ens.diverged("clipped") == 0
    np.testing.assert_array_equal(ens.peak_gradient_norms("free"), [40.0, 900.0])
    np.testing.assert_array_equal(ens.peak_gradient_norms("clipped"), [5.0, 8.0])
    # mean of the last two losses; a diverged run has no final loss
    np.testing.assert_allclose(ens.final_losses("free"), [0.35, np.inf])
    np.testing.assert_allclose(ens.final_losses("clipped"), [0.5, 0.2])
    text = ens.summary()
    assert "1/2 diverged" in text and "0/2 diverged" in text and "900" in text
    with pytest.raises(ValueError, match="which must be 'free' or 'clipped'"):
        ens.diverged("both")


def test_clipping_ensemble_pairs_runs_by_seed_and_bounds_clipped_steps():
    ens = rnn.clipping_ensemble(seeds=[3, 4], hidden=8, length=5, steps=20, lr=0.2)
    assert ens.seeds == (3, 4) and len(ens.free) == len(ens.clipped) == 2
    for seed, f, c in zip(ens.seeds, ens.free, ens.clipped):
        assert f.max_norm is None and c.max_norm == 1.0
        # same weights and the same first batch: the first loss is identical
        assert f.losses[0] == c.losses[0]
        assert np.all(c.update_norms <= 0.2 * 1.0 * (1 + 1e-12))
        # and the runs are the ones train_recall gives for that seed
        np.testing.assert_array_equal(
            c.losses, rnn.train_recall(max_norm=1.0, seed=seed, hidden=8, length=5,
                                       steps=20, lr=0.2).losses)


def test_clipping_ensemble_bad_inputs():
    with pytest.raises(ValueError, match="seeds must name at least one seed"):
        rnn.clipping_ensemble(seeds=[])
    with pytest.raises(ValueError, match="seeds="):
        rnn.clipping_ensemble(seed=1)
    with pytest.raises(ValueError, match="max_norm must be a finite real number > 0"):
        rnn.clipping_ensemble(seeds=[0], max_norm=0.0)
    with pytest.raises(ValueError, match="ens must be a ClippingEnsemble"):
        rnn.plot_clipping_ensemble([1, 2])


# --- figures -----------------------------------------------------------------------

def test_plots_return_figures_with_labelled_log_axes():
    W1 = rnn.init_recurrent(8, 0.9, "normal", 0)
    W2 = rnn.init_recurrent(8, 0.9, "nonnormal", 0)
    fig = rnn.plot_power_norms({"normal": W1, "non-normal": W2}, 20)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log" and ax.get_xlabel() and ax.get_ylabel()
    fig = rnn.plot_gelfand({"a": W1}, 50)
    assert fig.axes[0].get_ylabel()
    fig = rnn.plot_gradient_vs_lag({"tanh": rnn.lag_profile(W2, 20)})
    assert fig.axes[0].get_yscale() == "log"
    runs = [rnn.train_recall(hidden=8, length=5, steps=5),
            rnn.train_recall(max_norm=1.0, hidden=8, length=5, steps=5)]
    fig = rnn.plot_clipping_curves(runs)
    assert len(fig.axes) == 2 and all(a.get_yscale() == "log" for a in fig.axes)
    ens = rnn.clipping_ensemble(seeds=[0, 1], hidden=8, length=5, steps=5)
    fig = rnn.plot_clipping_ensemble(ens)
    assert len(fig.axes) == 2 and all(a.get_yscale() == "log" for a in fig.axes)
    assert all(a.get_xlabel() or a.get_xticklabels() for a in fig.axes)
    assert all(a.get_ylabel() for a in fig.axes)


# --- bad input ----------------------------------------------------------------------

def test_bad_inputs():
    W, U, b, xs, h0 = _random_rnn()
    with pytest.raises(ValueError, match=r"W must be .*square.*\(3, 4\)"):
        rnn.spectral_radius(np.ones((3, 4)))
    with pytest.raises(ValueError, match=r"W must be .*square.*\(2, 3\)"):
        rnn.hidden_jacobians(np.ones((2, 3)), U, b, xs, h0)
    with pytest.raises(ValueError, match=r"W must be .*square"):
        rnn.power_norms(np.ones(3), 4)
    with pytest.raises(ValueError, match="finite"):
        rnn.spectral_radius(np.array([[np.nan]]))
    with pytest.raises(ValueError, match=r"U must have shape .*\(5, 3\).*got shape \(5, 2\)"):
        rnn.hidden_jacobians(W, U[:, :2], b, xs, h0)
    with pytest.raises(ValueError, match=r"b must have shape .*\(5,\).*got shape \(4,\)"):
        rnn.hidden_jacobians(W, U, b[:4], xs, h0)
    with pytest.raises(ValueError, match=r"h0 must have shape .*\(5,\).*got shape \(6,\)"):
        rnn.hidden_trajectory(W, U, b, xs, np.zeros(6))
    with pytest.raises(ValueError, match=r"xs must be a 2-D array .*got shape \(7,\)"):
        rnn.hidden_jacobians(W, U, b, xs[:, 0], h0)
    with pytest.raises(ValueError, match="activation must be one of"):
        rnn.hidden_jacobians(W, U, b, xs, h0, "sigmoid")
    with pytest.raises(ValueError, match="activation must be one of"):
        rnn.lag_profile(W, 5, activation="gelu")
    with pytest.raises(ValueError, match="rho must be"):
        rnn.init_recurrent(4, -0.1)
    with pytest.raises(ValueError, match="rho must be"):
        rnn.init_recurrent(4, float("inf"))
    with pytest.raises(ValueError, match="kind must be one of"):
        rnn.init_recurrent(4, 0.5, "orthogonal")
    with pytest.raises(ValueError, match="n must be a positive integer"):
        rnn.init_recurrent(0, 0.5)
    with pytest.raises(ValueError, match="coupling must be"):
        rnn.init_recurrent(4, 0.5, "nonnormal", coupling=-1.0)
    with pytest.raises(ValueError, match="steps must be an integer"):
        rnn.power_norms(W, -1)
    with pytest.raises(ValueError, match="steps must be a positive integer"):
        rnn.gelfand_estimates(W, 0)
    with pytest.raises(ValueError, match=r"grad_last must have shape .*\(5,\).*got shape \(3,\)"):
        rnn.bptt_gradients([W, W], np.ones(3))
    with pytest.raises(ValueError, match=r"jacobians\[1\] has shape \(4, 4\)"):
        rnn.bptt_gradient_norms([W, np.eye(4)], np.ones(5))
    with pytest.raises(ValueError, match="jacobians must contain at least one"):
        rnn.jacobian_product_norms([])
    with pytest.raises(ValueError, match="max_norm must be"):
        rnn.clip_gradient_norm([torch.ones(2)], 0.0)
    with pytest.raises(ValueError, match="lr must be"):
        rnn.clipped_sgd_step([], -1.0)
    with pytest.raises(ValueError, match="lr must be"):
        rnn.train_recall(lr=0.0, steps=1)
    with pytest.raises(ValueError, match="max_norm must be"):
        rnn.train_recall(max_norm=-1.0, steps=1)
    with pytest.raises(ValueError, match="length must be a positive integer"):
        rnn.train_recall(length=0)
    with pytest.raises(ValueError, match="mats must be a non-empty mapping"):
        rnn.plot_power_norms({})
    with pytest.raises(ValueError, match="curves must be a non-empty mapping"):
        rnn.plot_gradient_vs_lag([])
    with pytest.raises(ValueError, match=r"curves\['a'\] must be a 1-D array"):
        rnn.plot_gradient_vs_lag({"a": np.ones((2, 2))})
    with pytest.raises(ValueError, match="runs must be a non-empty sequence"):
        rnn.plot_clipping_curves([])
    with pytest.raises(ValueError, match=r"mats\['x'\] must be .*square.*\(2, 3\)"):
        rnn.plot_power_norms({"x": np.ones((2, 3))})
    with pytest.raises(ValueError, match="T must be a positive integer"):
        rnn.lag_profile(W, 0)
    with pytest.raises(ValueError, match="batch must be a positive integer"):
        rnn.recall_task(0, 5, torch.Generator())
    with pytest.raises(ValueError, match="threads must be a positive integer"):
        rnn.train_recall(steps=1, threads=0)
    with pytest.raises(ValueError, match="max_norm must be"):
        rnn.clipped_sgd_step(_params_with_grads(1.0), 0.1, float("nan"))


# --- the chapter's generalising claims (named in tests/claims_registry.py) ----------

def test_saturation_lowers_the_bound_but_can_enlarge_the_product():
    """Chapter 4: ||J_T ... J_1||_2 <= ||W||_2^k whatever the slopes in (0, 1], yet a
    product with saturated slopes is not always smaller than W^k."""
    W = np.array([[1.0, 1.0], [-1.0, -1.0]])
    assert np.array_equal(W @ W, np.zeros((2, 2)))                    # nilpotent
    WDW = W @ np.diag([1.0, 0.5]) @ W                                  # ((.5, .5), (-.5, -.5))
    assert np.linalg.norm(WDW, 2) == pytest.approx(1.0, rel=1e-12)
    rng = np.random.default_rng(31)
    for _ in range(200):
        n, k = int(rng.integers(2, 7)), int(rng.integers(1, 9))
        W = rng.standard_normal((n, n)) * rng.uniform(0.3, 3.0) / math.sqrt(n)
        P = np.eye(n)
        for _ in range(k):
            P = np.diag(rng.uniform(1e-3, 1.0, n)) @ W @ P
        assert np.linalg.norm(P, 2) <= np.linalg.norm(W, 2) ** k * (1 + 1e-12)


def test_lag_profiles_are_geometric_at_a_rate_other_than_log_rho():
    """Chapter 4, "The tanh RNN": for five Gaussian matrices per rho (32 units, inputs of
    scale 0.5), log ||dh_T/dh_(T-k)|| stays within 2.5 nats of a line over lags 10-80, its
    slope differs from log rho by more than 0.2, and only rho = 2.5 explodes."""
    lags = np.arange(81)
    for rho in (0.8, 1.0, 1.2, 1.6, 2.5):
        for seed in range(5):
            curve = rnn.lag_profile(rnn.init_recurrent(32, rho, "gaussian", seed), 80,
                                    input_scale=0.5)
            rate, start = np.polyfit(lags[10:], np.log(curve[10:]), 1)
            assert np.abs(np.log(curve[10:]) - (start + rate * lags[10:])).max() < 2.5
            assert abs(rate - math.log(rho)) > 0.2, (rho, seed, rate)
            if rho < 2:
                assert rate < 0 and curve[-1] < 1, (rho, seed)
            else:
                assert rate > 0 and curve[-1] > 1e3, (rho, seed)


def test_jordan_transient_grows_with_coupling_and_chain_length():
    """Exercises "A two-by-two transient" and "Gelfand's formula for a triangular matrix":
    for W = a I + c N (N the shift), the peak of ||W^t||_2 and the number of steps with
    ||W^t||_2 > 1 grow with the coupling c and with the size n of the block."""
    def transient(a, c, n, steps=400):
        W = a * np.eye(n) + c * np.eye(n, k=1)
        norms = rnn.power_norms(W, steps)
        return norms.max(), int(np.sum(norms[1:] > 1))

    for n in (2, 3, 4):
        peaks, lengths = zip(*(transient(0.9, c, n) for c in (1.0, 2.0, 4.0)))
        assert np.all(np.diff(peaks) > 0) and np.all(np.diff(lengths) > 0), (n, peaks, lengths)
    for c in (1.0, 2.0, 4.0):
        peaks, lengths = zip(*(transient(0.9, c, n) for n in (2, 3, 4)))
        assert np.all(np.diff(peaks) > 0) and np.all(np.diff(lengths) > 0), (c, peaks, lengths)
    # the 2 x 2 closed form: the corner entry t c a^(t-1) peaks at t = 9 with 9 * 0.9^8
    W = np.array([[0.9, 1.0], [0.0, 0.9]])
    corners = [np.linalg.matrix_power(W, t)[0, 1] for t in range(1, 30)]
    assert int(np.argmax(corners)) + 1 in (9, 10)
    assert max(corners) == pytest.approx(9 * 0.9 ** 8, rel=1e-12)


def test_bptt_step_contributions_short_range_at_small_rho_long_range_at_large():
    """Exercise "Backpropagation through time by hand": 16 units, 40 steps, four draws. At
    rho = 0.8 the contributions of the steps to dL/dW fall off with the lag and the last five
    carry over 90% of their summed norms; at rho = 3 the steps more than 20 back carry over
    half."""
    from lyaplearn.solutions.ch04 import tanh_rnn_bptt

    for seed in range(4):
        for rho in (0.8, 3.0):
            rng = np.random.default_rng(seed)
            n, T = 16, 40
            W = rnn.init_recurrent(n, rho, "gaussian", rng)
            U, xs = 0.5 * rng.standard_normal((n, 3)), rng.standard_normal((T, 3))
            out = tanh_rnn_bptt(W, U, np.zeros(n), xs, np.zeros(n), rng.standard_normal(n))
            by_lag = np.linalg.norm(out["dW_steps"], axis=(1, 2))[::-1]    # lag 0 .. T-1
            if rho < 1:
                lags = np.arange(T - 1)               # the first step reads h_0 = 0
                assert np.polyfit(lags, np.log(by_lag[:-1]), 1)[0] < -0.1
                assert by_lag[:5].sum() > 0.9 * by_lag.sum()
            else:
                assert by_lag[20:].sum() > 0.5 * by_lag.sum()


def test_longer_memory_span_clipped_runs_learn_less():
    """Chapter 4, "Exploding gradients in training": at the chapter's settings (rate 0.2,
    rho 1.5, 400 steps) with four seeds, clipped runs at length 30 do not diverge but end
    with a median loss more than twice that at length 15."""
    final = {}
    for length in (15, 30):
        runs = [rnn.train_recall(max_norm=1.0, seed=s, length=length, lr=0.2, steps=400,
                                 rho=1.5, threads=1) for s in range(4)]
        assert all(r.diverged_at is None for r in runs), length
        final[length] = np.median([r.losses[-50:].mean() for r in runs])
    assert final[30] > 2 * final[15], final
