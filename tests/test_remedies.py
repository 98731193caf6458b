"""Tests of lyaplearn.remedies against autograd, closed forms and exact invariances."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from lyaplearn import maps, remedies as R

pytestmark = pytest.mark.fp_sensitive

torch.set_num_threads(1)


def _torch_jac(f, x):
    return torch.autograd.functional.jacobian(f, torch.as_tensor(x, dtype=torch.float64)).numpy()


# --- residual blocks ---------------------------------------------------------

@pytest.mark.parametrize("alpha", [1.0, 0.3])
def test_residual_jacobians_match_autograd(alpha):
    rng = np.random.default_rng(0)
    Ws = [rng.standard_normal((6, 6)) / math.sqrt(6) for _ in range(4)]
    bs = [0.3 * rng.standard_normal(6) for _ in range(4)]
    x = rng.standard_normal(6)
    Js = R.residual_jacobians(Ws, x, alpha=alpha, biases=bs)

    def net(h, upto=4):
        for W, b in list(zip(Ws, bs))[:upto]:
            h = h + alpha * torch.tanh(torch.as_tensor(W) @ h + torch.as_tensor(b))
        return h
    # first layer: I + alpha diag(tanh') W, checked against autograd of the block
    np.testing.assert_allclose(Js[0], _torch_jac(lambda h: net(h, 1), x), atol=1e-12)
    # the product is the input-output Jacobian
    P = Js[0]
    for J in Js[1:]:
        P = J @ P
    np.testing.assert_allclose(P, _torch_jac(net, x), atol=1e-12)


def test_residual_with_zero_branch_is_identity_and_linear_case_closed_form():
    rng = np.random.default_rng(1)
    Ws = [rng.standard_normal((5, 5)) for _ in range(3)]
    for J in R.residual_jacobians(Ws, np.ones(5), alpha=0.0):
        np.testing.assert_array_equal(J, np.eye(5))
    Js = R.residual_jacobians(Ws, np.ones(5), "linear", alpha=0.5)
    for J, W in zip(Js, Ws):
        np.testing.assert_allclose(J, np.eye(5) + 0.5 * W, atol=1e-15)


def test_depth_profile_skip_keeps_product_near_one():
    plain = R.depth_profile(60, 32, 0.8, seed=0)
    res = R.depth_profile(60, 32, 0.8, alpha=1 / math.sqrt(60), seed=0)
    assert R.gradient_loss_depth(plain.grad_norms) is not None
    assert R.gradient_loss_depth(res.grad_norms) is None
    assert np.all(np.abs(res.log_sv) < 3.0) and plain.log_sv[0] < -5.0


def test_gradient_loss_depth():
    assert R.gradient_loss_depth([1e-3, 0.5, 1.0]) == 2      # layer L-2 is 1e-3 of the start
    assert R.gradient_loss_depth([1e-3, 0.001, 1.0]) == 1
    assert R.gradient_loss_depth([1.0, 2.0, 1.0]) is None
    with pytest.raises(ValueError, match="grad_norms must be"):
        R.gradient_loss_depth([1.0])
    with pytest.raises(ValueError, match="threshold must be"):
        R.gradient_loss_depth([1.0, 1.0], threshold=0)


def test_bad_inputs_name_the_argument():
    with pytest.raises(ValueError, match="activation must be one of"):
        R.residual_jacobians([np.eye(2)], np.ones(2), "relu")
    with pytest.raises(ValueError, match="weights must be square"):
        R.residual_jacobians([np.eye(2), np.eye(3)], np.ones(2))
    with pytest.raises(ValueError, match="x must be a finite vector of length 2"):
        R.residual_jacobians([np.eye(2)], np.ones(3))
    with pytest.raises(ValueError, match="biases must have one vector per layer"):
        R.residual_jacobians([np.eye(2)], np.ones(2), biases=[])
    with pytest.raises(ValueError, match="depth must be a positive integer"):
        R.depth_profile(0)


# --- layer norm -----------------------------------------------------------------

@pytest.mark.parametrize("eps", [0.0, 1e-2])
def test_layer_norm_and_its_jacobian_match_torch(eps):
    z = np.random.default_rng(2).standard_normal(7) * 3 + 1
    zt = torch.as_tensor(z)
    np.testing.assert_allclose(R.layer_norm(z, eps),
                               nn.functional.layer_norm(zt, (7,), eps=eps).numpy(), atol=1e-12)
    Ja = _torch_jac(lambda v: nn.functional.layer_norm(v, (7,), eps=eps), z)
    np.testing.assert_allclose(R.layer_norm_jacobian(z, eps), Ja, atol=1e-12)


def test_layer_norm_jacobian_structure():
    z = np.random.default_rng(3).standard_normal(6) * 2 + 0.5
    J = R.layer_norm_jacobian(z)
    s = np.std(z)
    np.testing.assert_allclose(J @ np.ones(6), 0, atol=1e-12)     # shift-invariant
    np.testing.assert_allclose(J @ z, 0, atol=1e-12)              # scale-invariant
    sv = np.linalg.svd(J, compute_uv=False)
    np.testing.assert_allclose(sv[:4], 1 / s, rtol=1e-12)
    np.testing.assert_allclose(sv[4:], 0, atol=1e-12)
    with pytest.raises(ValueError, match="z must not be constant"):
        R.layer_norm(np.ones(4))
    with pytest.raises(ValueError, match="z must be a finite vector"):
        R.layer_norm_jacobian(np.ones((2, 2)))


def test_ln_network_jacobians_match_autograd_and_are_gain_invariant():
    rng = np.random.default_rng(4)
    Ws = [rng.standard_normal((5, 5)) for _ in range(3)]
    x = rng.standard_normal(5)

    def net(h):
        for W in Ws:
            h = torch.tanh(nn.functional.layer_norm(torch.as_tensor(W) @ h, (5,), eps=0.0))
        return h
    Js = R.ln_network_jacobians(Ws, x)
    P = Js[2] @ Js[1] @ Js[0]
    np.testing.assert_allclose(P, _torch_jac(net, x), atol=1e-10)
    Js3 = R.ln_network_jacobians([3.7 * W for W in Ws], x)
    for a, b in zip(Js, Js3):
        np.testing.assert_allclose(a, b, atol=1e-12)


def test_gain_profiles_layer_norm_removes_the_gain():
    gp = R.gain_profiles([0.5, 4.0], depth=20, width=16)
    ln = gp["layer norm"]
    np.testing.assert_allclose(ln[0.5].grad_norms, ln[4.0].grad_norms, rtol=1e-9)
    pl = gp["plain"]
    assert pl[4.0].grad_norms[0] > 1e3 * pl[0.5].grad_norms[0]


def test_cell_with_layer_norm_and_no_input_ignores_the_gain():
    lam = R.cell_lambda_max([1.0, 3.0], norm=True, hidden=8, input_std=0.0, steps=40,
                            warmup=20, batch=2)
    assert abs(lam[0, 0] - lam[1, 0]) < 1e-4          # exact but for eps = 1e-5 in the norm
    # without the norm and without input, small weights let h decay to 0, where the
    # exponent is log of the spectral radius: halving the gain lowers it by log 2
    lam_plain = R.cell_lambda_max([0.5, 0.25], norm=False, hidden=8, input_std=0.0, steps=40,
                                  warmup=20, batch=2)
    assert lam_plain[0, 0] - lam_plain[1, 0] == pytest.approx(math.log(2.0), abs=0.05)


@pytest.mark.parametrize("norm", [False, True])
def test_tanh_cell_matches_its_torch_twin_and_autograd(norm):
    rng = np.random.default_rng(6)
    W, U = rng.standard_normal((5, 5)), rng.standard_normal((5, 2))
    h, x = rng.standard_normal((3, 5)), rng.standard_normal((3, 2))
    cell = R.TanhCell(W, U, norm=norm)
    step = R.rnn_cell_step(torch.as_tensor(W), torch.as_tensor(U), norm=norm)
    np.testing.assert_allclose(cell.step(h, x), step(torch.as_tensor(h), torch.as_tensor(x)).numpy(),
                               atol=1e-12)
    for b in range(3):
        Ja = _torch_jac(lambda v: step(v[None], torch.as_tensor(x[b:b + 1]))[0], h[b])
        np.testing.assert_allclose(cell.jacobian(h, x)[b], Ja, atol=1e-12)
    with pytest.raises(ValueError, match="U must have 5 rows"):
        R.TanhCell(W, U.T)


def test_rnn_cell_step_checks_shapes():
    with pytest.raises(ValueError, match="W must be a square torch matrix"):
        R.rnn_cell_step(torch.zeros(2, 3), torch.zeros(2, 1))
    with pytest.raises(ValueError, match="U must be a torch matrix with 2 rows"):
        R.rnn_cell_step(torch.zeros(2, 2), torch.zeros(3, 1))


# --- orthogonal, unitary, spectral norm --------------------------------------------

def test_skew_orthogonal_closed_form_rotation():
    th = 0.7
    A = torch.tensor([[0.0, -th], [0.0, 0.0]], dtype=torch.float64)   # S = A - A^T
    Q = R.skew_orthogonal(A)
    rot = torch.tensor([[math.cos(th), -math.sin(th)], [math.sin(th), math.cos(th)]],
                       dtype=torch.float64)
    torch.testing.assert_close(Q, rot, rtol=0, atol=1e-14)
    Q5 = R.skew_orthogonal(torch.randn(5, 5, dtype=torch.float64))
    torch.testing.assert_close(Q5.T @ Q5, torch.eye(5, dtype=torch.float64), rtol=0, atol=1e-12)
    assert abs(torch.linalg.det(Q5).item() - 1.0) < 1e-12
    with pytest.raises(ValueError, match="A must be a square"):
        R.skew_orthogonal(torch.zeros(2, 3))


def test_orthogonal_parametrisation_has_unit_singular_values():
    Q = R.orthogonal_matrix(12, seed=3)
    np.testing.assert_allclose(np.linalg.svd(Q.numpy(), compute_uv=False), 1.0, atol=1e-12)


def test_spectral_norm_gives_top_singular_value_one():
    W = torch.randn(10, 10, generator=torch.Generator().manual_seed(0), dtype=torch.float64) * 3
    Wn = R.spectral_normalised(W, n_power_iterations=200)
    s = np.linalg.svd(W.numpy(), compute_uv=False)
    np.testing.assert_allclose(Wn.numpy(), W.numpy() / s[0], rtol=1e-6, atol=1e-8)
    assert abs(np.linalg.svd(Wn.numpy(), compute_uv=False)[0] - 1.0) < 1e-6


def test_procrustes_distance_closed_forms():
    assert R.procrustes_distance(np.eye(4)) == pytest.approx(0.0, abs=1e-14)
    assert R.procrustes_distance(0.5 * np.eye(4)) == pytest.approx(1.0)      # sqrt(4 * 0.25)
    M = np.random.default_rng(5).standard_normal((6, 6))
    U, s, Vt = np.linalg.svd(M)
    assert R.procrustes_distance(M) == pytest.approx(np.linalg.norm(M - U @ Vt))


def test_fit_orthogonal_reaches_but_never_beats_procrustes():
    target = 0.6 * R.orthogonal_matrix(4, seed=1).numpy()        # polar factor has det +1
    losses = R.fit_orthogonal(target, steps=200, lr=0.05)
    bound = R.procrustes_distance(target)                          # = 0.4 * 2 = 0.8
    assert bound == pytest.approx(0.8)
    assert np.all(losses >= bound - 1e-9)
    assert losses[-1] < bound + 1e-3


def test_orthogonal_and_spectral_norm_rnns_cannot_expand():
    sp = R.recurrence_spectra(hidden=12, gain=3.0, steps=60, warmup=20, batch=2)
    for name in ("orthogonal", "spectral norm"):      # ||J|| <= ||W|| = 1: no exponent above 0
        assert sp[name][1].numpy().max() <= 1e-9


# --- gating -------------------------------------------------------------------------

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


# --- compounding error -----------------------------------------------------------

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


# --- figures ------------------------------------------------------------------------

def test_plots_are_labelled_figures():
    prof = {"plain": R.depth_profile(10, 8, 1.0), "res": R.depth_profile(10, 8, 1.0, alpha=0.3)}
    X = np.abs(np.random.default_rng(0).standard_normal((11, 3))) * 1e-6
    figs = [R.plot_residual(prof), R.plot_layer_norm(R.gain_profiles([1.0, 2.0], depth=5, width=6)),
            R.plot_recurrences(R.recurrence_spectra(hidden=6, steps=20, warmup=5, batch=2)),
            R.plot_gating(R.gating_spectra(hidden=4, n_symbols=3, steps=20, warmup=5, batch=2)),
            R.plot_compounding({"model": X}, 0.4, tolerance=0.1),
            R.plot_forcing({"teacher": [np.ones((5, 3))], "scheduled": [np.ones((5, 3))]})]
    for fig in figs:
        for ax in fig.axes:
            assert ax.get_xlabel() and ax.get_ylabel()
    assert "nats per step" in figs[3].axes[0].get_ylabel()
    with pytest.raises(ValueError, match="profiles must"):
        R.plot_residual({})
