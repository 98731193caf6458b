"""Chapter 7's "learned" recipe (issue 28): the additions to the paper's training and data, each
against a closed form or an independent computation, and the runner's plan and resumption."""

import json

import numpy as np
import pytest
import torch

from lyaplearn import data as D
from lyaplearn import experiments as X
from lyaplearn import mocap as M
from lyaplearn import training as T

pytestmark = pytest.mark.fp_sensitive


def motion(values, channels):
    joints = tuple(dict.fromkeys(c.split(":")[0] for c in channels))
    return M.Motion(joints, tuple(channels), 1 / 120, np.asarray(values, dtype=float))


# --- baselines --------------------------------------------------------------------------------

def test_persistence_is_the_mean_squared_change():
    x = np.array([[0.0, 5.0], [1.0, 5.0], [3.0, 9.0], [2.0, 9.0]])
    # first feature only: changes 1, 2, -1
    assert M.persistence_mse(x, 1) == pytest.approx((1 + 4 + 1) / 3)
    assert M.persistence_mse(x, 2) == pytest.approx((1 + 4 + 1 + 0 + 16 + 0) / 6)
    with pytest.raises(ValueError, match="split"):
        M.persistence_mse(np.zeros(5), 1)


def test_ridge_recovers_an_exact_linear_rule_and_tends_to_persistence():
    rng = np.random.default_rng(0)

    def series(n):   # x_{t+1} = x_t + 0.5 (x_t - x_{t-1}) + 0.1 y_t, y random; x_{-1} = x_0
        x = np.zeros((n, 2))
        x[:, 1] = rng.normal(size=n)
        x[0, 0] = 1.0
        for t in range(n - 1):
            prev = x[t - 1, 0] if t else x[0, 0]
            x[t + 1, 0] = x[t, 0] + 0.5 * (x[t, 0] - prev) + 0.1 * x[t, 1]
        return x

    splits = D.RegressionSplits(("a", "b"), series(400), series(100), series(100),
                                np.zeros(2), np.ones(2), 1)
    v = splits.val
    # the rule is linear in (x_t, x_t - x_{t-1}): an unpenalised fit predicts it exactly
    assert M.ridge_baseline(splits, 0.0) < 1e-20 * M.persistence_mse(v, 1) + 1e-24
    # an infinite penalty predicts no change: persistence
    assert M.ridge_baseline(splits, 1e12) == pytest.approx(M.persistence_mse(v, 1), rel=1e-6)
    with pytest.raises(ValueError, match="lam"):
        M.ridge_baseline(splits, -1.0)
    with pytest.raises(ValueError, match="on"):
        M.ridge_baseline(splits, 1.0, on="validation")
    # the search keeps the exact fit (penalty 0) over penalties that bias it towards persistence
    lam, mse = M.ridge_search(splits, (1e12, 0.0, 10.0))
    assert lam == 0.0 and mse == M.ridge_baseline(splits, 0.0)
    assert M.ridge_search(splits, (1e12,))[1] == pytest.approx(M.persistence_mse(v, 1), rel=1e-6)
    with pytest.raises(ValueError, match="lams"):
        M.ridge_search(splits, ())


def test_residual_network_starts_as_persistence():
    rng = np.random.default_rng(1)
    splits = D.regression_splits(np.cumsum(rng.normal(size=(500, 6)), 0), n_out=3)
    cfg = T.RunConfig(task="regression", hidden=8, p=0.5, residual=True, eval_len=10_000)
    model = T.make_model(cfg, splits)
    assert float(model.head.weight.detach().abs().max()) == 0.0
    assert T.evaluate(model, splits.val, cfg) == pytest.approx(
        M.persistence_mse(splits.val, 3), rel=1e-6)


# --- mirror and the paper's first 20 features ------------------------------------------------

def test_mirror_swaps_sides_and_negates_y_z_rotations_and_x_position():
    ch = ("Hips:Xposition", "Hips:Yposition", "Hips:Yrotation", "LHipJoint:Xrotation",
          "RHipJoint:Xrotation", "LeftLeg:Zrotation", "RightLeg:Zrotation", "LowerBack:Zrotation")
    m = motion([[1, 2, 3, 4, 5, 6, 7, 8]], ch)
    assert M.mirror(m).values.tolist() == [[-1, 2, -3, 5, 4, -7, -6, -8]]
    # a reflection is its own inverse
    v = np.random.default_rng(0).normal(size=(5, len(ch)))
    np.testing.assert_array_equal(M.mirror(M.mirror(motion(v, ch))).values, v)
    with pytest.raises(ValueError, match="twin"):
        M.mirror(motion([[1.0]], ("LeftArm:Xrotation",)))


def test_first_features_and_mirrored_training_part():
    ch = ("Hips:Xposition", "Hips:Yposition", "Hips:Zposition", "LeftLeg:Zrotation",
          "LeftLeg:Xrotation", "RightLeg:Zrotation", "RightLeg:Xrotation")
    t = np.arange(400.0)
    v = np.stack([0.3 * t + 0.001 * t ** 2, 10 + np.sin(t / 9), 0.1 * t, 30 * np.cos(t / 7), 5 * np.sin(t / 5),
                  20 * np.sin(t / 11), 3 * np.cos(t / 4)], axis=1)
    plain = M.mocap_splits([motion(v, ch)], n_out=2)
    r = M.mocap_splits([motion(v, ch)], n_out=2, n_in=4, mirrored=True)
    assert r.columns == plain.columns[:4]
    assert len(r.train) == 2 * len(plain.train)          # the mirrored training part added
    assert (len(r.val), len(r.test)) == (len(plain.val), len(plain.test))
    # held-out parts are the recorded movement, whatever the normalisation
    np.testing.assert_allclose(r.val * r.std + r.mean, (plain.val * plain.std + plain.mean)[:, :4])
    # the second half of the training part is the mirror: its "left leg" is the right leg's
    raw = r.train * r.std + r.mean
    n = len(plain.train)
    assert r.columns[2] == "LeftLeg:Zrotation" and plain.columns[4] == "RightLeg:Zrotation"
    np.testing.assert_allclose(raw[n:, 2], -(plain.train * plain.std + plain.mean)[:, 4])
    with pytest.raises(ValueError, match="n_in"):
        M.mocap_splits([motion(v, ch)], n_out=3, n_in=2)


# --- training additions -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def text_data():
    rng = np.random.default_rng(0)
    return D.text_splits("".join(rng.choice(["the ", "cat ", "sat ", "on ", "a "], 2000)))


def test_evaluate_in_streams_is_the_mean_over_independent_streams(text_data):
    cfg = T.RunConfig(hidden=6, embed=4, eval_len=600, eval_streams=3)
    model = T.make_model(cfg, text_data)
    one = T.RunConfig(hidden=6, embed=4, eval_len=200)
    parts = [T.evaluate(model, text_data.val[200 * i:], one) for i in range(3)]
    assert T.evaluate(model, text_data.val, cfg) == pytest.approx(np.mean(parts), rel=1e-6)


def test_embedding_feeds_the_lstm_and_the_probe_follows_it(text_data):
    cfg = T.RunConfig(hidden=6, embed=4, probe_n=2, probe_warmup=3, probe_steps=5)
    model = T.make_model(cfg, text_data)
    assert model.lstm.input_size == 4 and model.emb.weight.shape == (text_data.n_vocab, 4)
    codes = torch.as_tensor(text_data.test[:8])
    np.testing.assert_array_equal(model.inputs(codes).detach(), model.emb.weight[codes].detach())
    probe = T.probe_inputs(model, text_data.test, cfg)
    assert probe.shape == (8, 2, 4) and not probe.requires_grad
    with torch.no_grad():
        model.emb.weight.mul_(2)
    np.testing.assert_allclose(T.probe_inputs(model, text_data.test, cfg), 2 * probe)


def test_clipping_bounds_every_step_of_adam(text_data):
    cfg = T.RunConfig(hidden=6, embed=4, clip=1e-3)
    model = T.make_model(cfg, text_data)
    x = model.inputs(torch.as_tensor(text_data.train[:30, None]))
    loss = model.loss(model(x)[0], torch.as_tensor(text_data.train[1:31, None]))
    loss.backward()
    total = torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.clip)
    assert float(total) > cfg.clip      # the gradient was larger than the clip ...
    norm = torch.sqrt(sum((p.grad ** 2).sum() for p in model.parameters()))
    # ... and is now the clip: torch scales by clip / (norm + 1e-6)
    assert float(norm) == pytest.approx(cfg.clip * float(total) / (float(total) + 1e-6), rel=1e-5)


def test_new_options_refuse_bad_values():
    with pytest.raises(ValueError, match="embed"):
        T.RunConfig(embed=-1)
    with pytest.raises(ValueError, match="clip"):
        T.RunConfig(clip=-1.0)
    with pytest.raises(ValueError, match="residual"):
        T.RunConfig(task="char", residual=True)
    with pytest.raises(ValueError, match="embed"):
        T.RunConfig(task="regression", embed=8)
    with pytest.raises(ValueError, match="eval_streams"):
        T.RunConfig(eval_streams=0)


# --- the runner -------------------------------------------------------------------------------

def test_learned_plan_keeps_the_paper_families(monkeypatch):
    runs = X.plan("learned")
    s = X.SIZES["learned"]
    fam = [k.split("/")[0] for k in runs]
    assert fam.count("char") == s["n_char"] and fam.count("regression") == s["n_reg"]
    char = [c for k, c in runs.items() if k.startswith("char/")]
    assert all(c.p == 0.08 and c.embed == s["embed"] and c.clip == s["clip"] for c in char)
    assert all(10 ** -3.5 <= c.lr <= 10 ** -1.7 + 1e-9 for c in char)
    assert len({c.lr for c in char}) == len(char)        # a random family, not one setting
    # the paper samples the learning rate uniformly (not its log): a log-uniform draw would put
    # half the runs below 10^-2.6, a uniform one about a tenth
    assert sum(c.lr < 10 ** -2.6 for c in char) < len(char) / 4
    assert all(c.train_len == s["char_train_len"] and c.hidden == s["hidden"] for c in char)
    reg = [c for k, c in runs.items() if k.startswith("regression/")]
    assert all(c.residual and c.seq_len == 25 and c.lr == s["reg_lr"] for c in reg)
    assert all(X.REG_P_RANGE[0] <= c.p <= X.REG_P_RANGE[1] for c in reg)
    assert all(c.hidden == s["reg_hidden"] and c.train_len == 0 for c in reg)
    assert X.plan("learned") == X.plan("learned")
    monkeypatch.setitem(X.SIZES, "tiny-draw", dict(s, lr_draw="unifrom"))
    with pytest.raises(ValueError, match="lr_draw must be 'log' or 'uniform'"):
        X.plan("tiny-draw")


def test_train_len_reads_only_the_start_of_the_training_split():
    """Rows past ``train_len`` are NaN: a run that read them would have a NaN loss."""
    x = np.cumsum(np.random.default_rng(2).normal(size=(400, 3)), 0)
    splits = D.regression_splits(x, n_out=3)
    poisoned = type(splits)(**{**splits.__dict__,
                               "train": np.vstack([splits.train[:100],
                                                   np.full_like(splits.train[100:], np.nan)])})
    cfg = T.RunConfig(task="regression", hidden=4, batch=2, seq_len=10, epochs=2,
                      steps_per_epoch=6, eval_len=20, probe_n=2, probe_warmup=2, probe_steps=5,
                      train_len=100)
    run = T.train_run(cfg, poisoned)
    assert all(np.isfinite(r["train_loss"]) for r in run["records"][1:])
    with pytest.raises(ValueError, match="finite"):    # the whole split reaches the NaN rows
        T.train_run(T.RunConfig(**dict(cfg.to_dict(), train_len=0)), poisoned)
    with pytest.raises(ValueError, match="train_len"):
        T.RunConfig(train_len=-1)


def _tiny_learned(monkeypatch, epochs: int):
    """Random text and a random walk, and a "tiny-learned" size of the recipe (5 runs of
    ``epochs`` epochs each), registered for the test."""
    text = "".join(np.random.default_rng(0).choice(list("ab c"), 3000))
    series = np.cumsum(np.random.default_rng(1).normal(size=(600, 12)), 0)
    data = {"char": D.text_splits(text), "regression": D.regression_splits(series, n_out=4)}
    tiny = dict(X.SIZES["learned-quick"], hidden=4, embed=3, batch=2, char_steps=2,
                char_epochs=epochs, conv_epochs=epochs, conv_ps=(0.1,), n_char=2, n_reg=2,
                reg_epochs=epochs, reg_steps=2, eval_len=100, eval_streams=2, probe_steps=10,
                probe_warmup=5)
    monkeypatch.setitem(X.SIZES, "tiny-learned", tiny)
    return data, tiny


def test_learned_runner_resumes_and_refuses_another_plan(tmp_path, monkeypatch):
    data, tiny = _tiny_learned(monkeypatch, epochs=2)
    out = tmp_path / "r.json"
    res = X.run_experiments("tiny-learned", out, data=data, progress=False)
    assert len(res["runs"]) == 5 and all(r["complete"] for r in res["runs"].values())
    saved = json.loads(out.read_text())
    assert saved["settings"]["recipe"] == "learned"
    assert saved["runs"]["regression/0"]["config"]["residual"] is True

    def boom(*a, **k):
        raise AssertionError("a finished run was trained again")

    monkeypatch.setattr(X, "train_run", boom)
    assert X.run_experiments("tiny-learned", out, data=data, progress=False)["runs"].keys() \
        == res["runs"].keys()
    # a file of another size is not resumed: its runs are trained again (here: boom)
    monkeypatch.setitem(X.SIZES, "tiny-other", dict(tiny, n_char=1))
    with pytest.raises(AssertionError, match="trained again"):
        X.run_experiments("tiny-other", out, data=data, progress=False)


def test_a_changed_recipe_retrains_only_the_runs_it_changes(tmp_path, monkeypatch):
    data, tiny = _tiny_learned(monkeypatch, epochs=1)
    out = tmp_path / "r.json"
    X.run_experiments("tiny-learned", out, data=data, progress=False)
    trained, real = [], X.train_run

    def counting(cfg, *a, **k):
        trained.append(cfg.task)
        return real(cfg, *a, **k)

    monkeypatch.setattr(X, "train_run", counting)
    monkeypatch.setitem(X.SIZES, "tiny-learned", dict(tiny, char_train_len=1001))
    res = X.run_experiments("tiny-learned", out, data=data, progress=False)
    assert sorted(trained) == ["char"] * 3               # two text runs and one convergence run
    assert res["settings"]["char_train_len"] == 1001
    saved = json.loads(out.read_text())["runs"]
    assert {saved[k]["config"]["train_len"] for k in saved if k.startswith("char")} == {1001}


# --- the claim chapter 7 rests on: motion runs of the recipe beat persistence -----------------

@pytest.mark.slow
def test_learned_motion_runs_beat_persistence_on_the_validation_split():
    """Three runs of the recipe's motion family (p across its range) on the installed CMU trials:
    each one's best validation loss is below 97% of persistence's (runs measured for issue 28
    reached 92-95%), while at initialisation each *is* persistence."""
    splits = X.default_data(recipe="learned")["regression"]
    pers = M.persistence_mse(splits.val, splits.n_out)
    base = next(c for k, c in X.plan("learned").items() if k.startswith("regression/"))
    for i, p in enumerate((0.08, 0.25, 0.45)):
        cfg = T.RunConfig(**dict(base.to_dict(), p=p, seed=300 + i, probe_n=2, probe_steps=10))
        run = T.train_run(cfg, splits)
        assert run["records"][0]["val_loss"] == pytest.approx(pers, rel=1e-5)
        assert T.best_val_loss(run) < 0.97 * pers, (p, T.best_val_loss(run) / pers)


def test_shards_fill_one_file_and_keep_each_others_runs(tmp_path, monkeypatch):
    data, _ = _tiny_learned(monkeypatch, epochs=1)
    out = tmp_path / "r.json"
    first = X.run_experiments("tiny-learned", out, data=data, progress=False, shard=(0, 2))
    assert sorted(first["runs"]) == ["char/1", "convergence/0", "regression/1"]  # plan positions 0, 2, 4
    # the second shard read the file before the first wrote? it merges what is on disk
    X._write_merged(out, {**first, "runs": {}})
    assert sorted(json.loads(out.read_text())["runs"]) == sorted(first["runs"])
    both = X.run_experiments("tiny-learned", out, data=data, progress=False, shard=(1, 2))
    assert len(both["runs"]) == 5 and all(r["complete"] for r in both["runs"].values())
    assert len(json.loads(out.read_text())["runs"]) == 5
    for bad in [(2, 2), (0,), (-1, 2), (0, 1, 2)]:
        with pytest.raises(ValueError, match="shard"):
            X.run_experiments("tiny-learned", out, data=data, progress=False, shard=bad)
