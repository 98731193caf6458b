"""Tests for lyaplearn.rnn._clipping: gradient-norm clipping against torch's own, the clipped
step's bound, the recall task, training runs and the ensemble statistics over seeds."""

from __future__ import annotations


import numpy as np
import pytest
import torch

from lyaplearn import rnn
from _helpers.rnn_inputs import params_with_grads as _params_with_grads

pytestmark = pytest.mark.fp_sensitive


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
