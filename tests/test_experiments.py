"""Chapter 7's experiment driver and analysis, on synthetic records with known answers."""

import json
import math

import numpy as np
import pytest

from lyaplearn import data as D
from lyaplearn import experiments as X
from lyaplearn import readout as RO
from lyaplearn import stats
from lyaplearn import training as T

pytestmark = pytest.mark.fp_sensitive


def fake_results(final, feats, E=4, task="char", family="char"):
    """Runs whose validation loss falls to `final` and whose spectrum features are `feats` at every epoch."""
    runs = {}
    for i, (f, ft) in enumerate(zip(final, feats)):
        recs = [{"epoch": e, "val_loss": f + (E - e) * 0.5, "train_loss": 0.0,
                 "spectrum": [ft, ft - 1], "features": {"max": ft, "mean": ft - 0.5, "variance": 0.25},
                 "train_seconds": float(e), "spectrum_seconds": 0.1} for e in range(E + 1)]
        runs[f"{family}/{i}"] = {"config": {"task": task, "epochs": E}, "records": recs,
                                 "complete": True}
    return {"runs": runs, "timing": {}}


def test_spearman_closed_forms():
    x = np.arange(10.0)
    assert RO.spearman(x, x ** 3) == pytest.approx(1.0)
    assert RO.spearman(x, -np.exp(x)) == pytest.approx(-1.0)
    # one swap of neighbours among n: 1 - 6*2/(n(n^2-1))
    y = x.copy(); y[[3, 4]] = y[[4, 3]]
    assert RO.spearman(x, y) == pytest.approx(1 - 12 / (10 * 99))


def test_correlation_interval_contains_r_and_shrinks_with_n():
    rng = np.random.default_rng(1)
    x = rng.normal(size=400); y = x + rng.normal(size=400)
    big = RO.correlation(x, y, n_boot=300)
    small = RO.correlation(x[:40], y[:40], n_boot=300)
    assert big["low"] < big["r"] < big["high"]
    assert abs(big["r"] - 1 / math.sqrt(2)) < 0.1
    assert big["high"] - big["low"] < small["high"] - small["low"]


def test_reduced_change_closed_form():
    s = np.array([[1.0, 2.0], [2.0, 2.0], [2.0, 4.0]])
    np.testing.assert_allclose(RO.reduced_change(s), [1 / 8, 4 / 20])


def test_search_replay_with_a_perfect_readout():
    final = np.linspace(1, 2, 12)
    # the paper's text readout: larger lambda_max is better; here it orders runs exactly
    res = fake_results(final, -final)
    s = RO.search_replay(res, "char", rung=1, keep=0.25, n_pools=50)
    assert s["settings"]["pool"] == 6
    for name in ("none", "spectrum", "spectrum_fit"):
        assert s[name]["regret"] == 0 and s[name]["found_best"] == 1
    assert s["spectrum"]["epochs"] == 6 * 1 + 2 * 3 and s["none"]["epochs"] == 6 * 4
    assert s["random"]["regret"] > 0
    bad = RO.search_replay(fake_results(final, final), "char", rung=1, keep=0.25, n_pools=50)
    assert bad["spectrum"]["regret"] > s["random"]["regret"] > 0
    assert bad["spectrum_fit"]["regret"] == 0      # a fitted readout learns the sign
    with pytest.raises(ValueError, match="rung"):
        RO.search_replay(res, "char", rung=4)


def test_readout_prediction_of_a_linear_relation_is_perfect():
    rng = np.random.default_rng(0)
    feats = rng.normal(size=15)
    res = fake_results(2.0 - 0.3 * feats, feats)
    out = RO.readout_prediction(res, "char", 1, features=("max",), n_splits=50)
    assert out["spectrum"]["low"] == pytest.approx(1.0)


def test_plan_sizes_and_bad_size():
    p = X.plan("quick")
    s = X.SIZES["quick"]
    assert len(p) == len(s["conv_ps"]) + s["n_char"] + s["n_reg"]
    assert all(c.p == 0.08 for k, c in p.items() if k.startswith("char/"))
    assert X.plan("medium") == X.plan("medium")
    with pytest.raises(ValueError, match="size"):
        X.plan("huge")


def test_run_experiments_writes_and_resumes(tmp_path, monkeypatch):
    text = "".join(np.random.default_rng(0).choice(list("ab c"), 3000))
    rng = np.random.default_rng(1)
    series = np.cumsum(rng.normal(size=(600, 12)), 0)
    data = {"char": D.text_splits(text), "regression": D.regression_splits(series, n_out=4)}
    tiny = dict(hidden=4, batch=2, steps_per_epoch=2, epochs=2, conv_epochs=2, conv_ps=(0.1,),
                n_char=2, n_reg=2, eval_len=100, probe_steps=10, probe_warmup=5)
    monkeypatch.setitem(X.SIZES, "tiny", tiny)
    out = tmp_path / "r.json"
    res = X.run_experiments("tiny", out, data=data, progress=False)
    assert len(res["runs"]) == 5 and all(r["complete"] for r in res["runs"].values())
    assert json.loads(out.read_text())["size"] == "tiny"

    def boom(*a, **k):
        raise AssertionError("a finished run was trained again")

    monkeypatch.setattr(X, "train_run", boom)
    again = X.run_experiments("tiny", out, data=data, progress=False)
    assert again["runs"].keys() == res["runs"].keys()


# A results file ships in the wheel and in every clone, so it must stay small. 3 MB admits
# the learned recipe's files (about 2.3 MB: 54 text runs of 128 units and 21 records, 40 motion
# runs of 64 units, each record holding its spectrum at 5 significant digits, plus the
# full-state spectrum of each final network); rounding further would break the rebuild checks
# of chapter 9, which compare against the recorded spectra to 5e-5.
MAX_RESULTS_BYTES = 3_000_000
LEARNED_FILES = {"ch07_learned.json": X.LEARNED_DATA_NAMES,
                 "ch07_learned_standins.json": X.STANDIN_DATA_NAMES}


@pytest.mark.parametrize("size", ["quick", "medium", "full", "learned"])
def test_committed_results_file_is_small_labelled_and_complete(size):
    path = X.RESULTS_DIR / f"ch07_{size}.json"
    assert path.stat().st_size < MAX_RESULTS_BYTES
    res = X.load_results(path)
    names = X.LEARNED_DATA_NAMES if size == "learned" else X.DATA_NAMES   # the paper's data
    assert res["size"] == size and res["data"] == names
    assert res["settings"] == json.loads(json.dumps(X.SIZES[size]))
    assert set(res["runs"]) == set(X.plan(size))
    assert all(r["complete"] for r in res["runs"].values())
    for run_id, r in res["runs"].items():   # one record before training and one per epoch
        assert len(r["records"]) == r["config"]["epochs"] + 1, run_id
        hidden = r["config"]["hidden"]
        assert len(r["final_full"]["spectrum"]) == 2 * hidden, run_id   # (h, c): 2N exponents


def test_committed_stand_in_results_are_the_old_plan_on_austen_and_chicago():
    path = X.RESULTS_DIR / "ch07_austen_chicago.json"
    assert path.stat().st_size < MAX_RESULTS_BYTES
    res = X.load_results(path)
    assert "data" not in res            # written before the paper's data were installed
    fam = {k.split("/")[0] for k in res["runs"]}
    assert fam == {"convergence", "char", "regression"}
    assert all(r["complete"] for r in res["runs"].values())
    # the Chicago runs read 38 dimensions (20 stations and 18 weather measurements)
    reg = next(r for k, r in res["runs"].items() if k.startswith("regression/"))
    assert reg["config"]["task"] == "regression" and len(reg["records"][0]["spectrum"]) == 64


def test_committed_learned_stand_ins_are_the_learned_plan_on_austen_and_chicago():
    path = X.RESULTS_DIR / "ch07_learned_standins.json"
    if not path.is_file():
        pytest.skip("the learned stand-in runs are not committed yet")
    assert path.stat().st_size < MAX_RESULTS_BYTES
    res = X.load_results(path)
    assert res["size"] == "learned" and res["data"] == X.STANDIN_DATA_NAMES
    assert set(res["runs"]) <= set(X.plan("learned"))
    assert all(r["complete"] for r in res["runs"].values())


def test_analysis_helpers_on_synthetic_records():
    res = fake_results([1.0, 2.0, 3.0], [-0.1, -0.2, -0.3])
    for i, r in enumerate(res["runs"].values()):
        r["config"].update(steps_per_epoch=10, p=0.1)
        r["final_full"] = {"features": {"max": float(i), "mean": -1.0, "variance": 0.0}}
    np.testing.assert_array_equal(RO.final_full_feature(res, "char", "max"), [0, 1, 2])
    # losses 1, 2, 3 (the last epoch's val_loss is the best): full-state max 0, 1, 2 gives r = 1,
    # the recorded max -0.1, -0.2, -0.3 (the same before and after training) r = -1
    t = RO.correlation_table(res, families=("char",), features=("max",), n_boot=20)
    assert t["char", "max", "full"]["r"] == pytest.approx(1.0)
    assert t["char", "max", "hidden"]["r"] == pytest.approx(-1.0)
    assert t["char", "max", "init"]["r"] == pytest.approx(-1.0)
    # runs that overfit: each run's best epoch is 2; there its max is -loss (r = -1), while the
    # final network's max equals the loss (r = +1). "hidden" reads the best epoch, "final" the last
    for i, r in enumerate(res["runs"].values()):
        best = float(i + 1)
        for e, rec in enumerate(r["records"]):
            rec["val_loss"] = best + abs(e - 2)
            rec["features"]["max"] = -best if e == 2 else best
    t = RO.correlation_table(res, families=("char",), features=("max",), n_boot=20)
    assert RO.best_epochs(res, "char").tolist() == [2, 2, 2]
    assert t["char", "max", "hidden"]["r"] == pytest.approx(-1.0)
    assert t["char", "max", "final"]["r"] == pytest.approx(1.0)
    t4 = RO.correlation_table(res, families=("char",), features=("max",), n_boot=20, epoch=4)
    assert t4["char", "max", "hidden"]["r"] == pytest.approx(1.0)
    # 0.1 s per spectrum; 4 epochs of 10 steps in 4 s: 0.1 s per step; a pass of 50 steps
    assert RO.pass_fraction(res, "char", 50) == pytest.approx(0.1 / (0.1 * 50))
    # spectra [2^-e, -1]: a change that shrinks every epoch
    for r in res["runs"].values():
        for e, rec in enumerate(r["records"]):
            rec["spectrum"] = [1.0 * 2.0 ** -e, -1.0]
    recs = res["runs"]["char/0"]["records"]
    row = RO.settling(res, "char")[0]
    ch = RO.reduced_change(np.array([r["spectrum"] for r in recs]))
    assert row["first_over_later"] == pytest.approx(ch[0] / ch[1:].max())
    assert row["decades"] == pytest.approx(np.log10(ch[0] / ch[-1]))


def test_optuna_search_prunes_after_the_rung_and_shares_its_storage(tmp_path):
    pytest.importorskip("optuna")
    text = "".join(np.random.default_rng(0).choice(["the ", "cat ", "sat ", "on ", "a "], 1500))
    d = D.text_splits(text)
    base = T.RunConfig(hidden=6, batch=4, seq_len=20, steps_per_epoch=2, epochs=3, eval_len=150,
                       probe_n=2, probe_warmup=5, probe_steps=20)
    url = f"sqlite:///{tmp_path / 'study.db'}"
    study = X.optuna_search(d, base, n_trials=6, readout="spectrum", storage=url, study_name="s")
    states = [t.state.name for t in study.trials]
    epochs = [t.user_attrs["epochs"] for t in study.trials]
    assert set(states) <= {"COMPLETE", "PRUNED"} and "COMPLETE" in states
    assert all(e == (3 if s == "COMPLETE" else 1) for s, e in zip(states, epochs))
    # a second process pointed at the same storage and study name continues the same study
    again = X.optuna_search(d, base, n_trials=1, readout=None, storage=url, study_name="s")
    assert len(again.trials) == 7
    with pytest.raises(ValueError, match="readout"):
        X.optuna_search(d, base, readout="loss")


def test_hyperparameter_correlation_ranks_a_hyperparameter_against_the_loss():
    # losses fall with the learning rate, exactly: Spearman -1 on lr and on log lr alike
    lrs = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2]
    res = fake_results([3.0, 2.5, 2.2, 2.0, 1.9], [0.0] * 5)
    for r, lr in zip(res["runs"].values(), lrs):
        r["config"].update(lr=lr, dropout=0.1)
    assert RO.hyperparameter_correlation(res, "char", "lr", n_boot=50)["r"] == pytest.approx(-1)
    c = RO.hyperparameter_correlation(res, "char", "lr", log=True, method="pearson", n_boot=50)
    assert -1 < c["r"] < -0.9                      # log lr against the loss: nearly a line
    with pytest.raises(ValueError, match="keys must name settings"):
        RO.hyperparameter_correlation(res, "char", "momentum")
    with pytest.raises(ValueError, match="log=True needs positive settings"):
        res["runs"]["char/0"]["config"]["lr"] = 0.0
        RO.hyperparameter_correlation(res, "char", "lr", log=True)


def test_runs_and_hyperparameters_pick_a_family_in_file_order():
    res = fake_results([3.0, 2.5, 2.2], [0.0] * 3)
    for r, (lr, p) in zip(res["runs"].values(), [(1e-3, 0.5), (1e-2, 0.05), (1e-1, 0.005)]):
        r["config"].update(lr=lr, dropout=p)
    res["runs"]["other/0"] = {"config": {"lr": 7.0, "dropout": 7.0}, "records": []}
    assert [r["config"]["lr"] for r in RO.runs(res, "char")] == [1e-3, 1e-2, 1e-1]
    h = RO.hyperparameters(res, "char", log=True) / np.log(10)
    assert h.shape == (3, 2) and h[:, 0] == pytest.approx([-3, -2, -1])
    assert h[:, 1] == pytest.approx(np.log10([0.5, 0.05, 0.005]))
    assert RO.hyperparameters(res, "char", "lr").tolist() == [1e-3, 1e-2, 1e-1]
    # the order of the per-run arrays: the losses line up with the settings
    assert RO.final_losses(res, "char").tolist() == [3.0, 2.5, 2.2]
    with pytest.raises(ValueError, match=r"family must be one of the results' families \['char', 'other'\]"):
        RO.runs(res, "motion")
    with pytest.raises(ValueError, match="keys must name settings"):
        RO.hyperparameters(res, "char", ())
    res["runs"]["char/1"]["config"]["lr"] = "fast"
    with pytest.raises(ValueError, match="keys must name numeric settings"):
        RO.hyperparameters(res, "char")


def test_correlation_refuses_what_has_no_interval():
    x = np.arange(6.0)
    assert math.isnan(stats.correlation(x, x ** 2, n_boot=0)["low"])
    for bad, match in (({"y": x[:5]}, "same length >= 3"), ({"x": x[:2], "y": x[:2]}, ">= 3"),
                       ({"n_boot": -1}, "n_boot must be"), ({"n_boot": 2.5}, "n_boot must be"),
                       ({"level": 1.5}, "level must be in"), ({"method": "kendall"}, "method")):
        kw = {"x": x, "y": x ** 2, **bad}
        with pytest.raises(ValueError, match=match):
            stats.correlation(kw.pop("x"), kw.pop("y"), **kw)


def test_readout_re_exports_the_statistics():
    for name in ("spearman", "correlation", "partial_correlation", "power_law_fit"):
        assert getattr(RO, name) is getattr(stats, name) and name not in RO.__all__   # one API page


def test_standins_and_data_are_exclusive(tmp_path):
    with pytest.raises(ValueError, match="either data or standins"):
        X.run_experiments("quick", tmp_path / "x.json", data={}, standins=True)


def test_standins_are_named_in_the_results(tmp_path):
    if not (D.data_root() / "austen.txt").is_file():
        pytest.skip("the stand-in data are not installed (scripts/fetch_data.sh)")
    res = X.run_experiments("learned-quick", tmp_path / "s.json", only="regression",
                                      progress=False, standins=True, shard=(0, 6))
    assert res["data"] == {"char": "austen", "regression": "chicago"}
    assert all(r["config"]["residual"] for r in res["runs"].values())


def test_partial_correlation_against_orthogonal_constructions():
    # columns of an 8x8 Sylvester-Hadamard matrix (bar the constant): zero-mean, orthogonal,
    # equal norms; x and y share z and e1, so their residuals on z are e1 and e1 + e2 (or e2)
    H = np.array([[1.0]])
    for _ in range(3):
        H = np.block([[H, H], [H, -H]])
    z, e1, e2 = H[:, 1], H[:, 2], H[:, 3]
    r = RO.partial_correlation(z + e1, z + e1 + e2, z, n_boot=0)
    assert r["r"] == pytest.approx(1 / math.sqrt(2)) and r["n"] == 8
    # the raw correlation is 2/sqrt(6); holding z fixed lowers it to 1/sqrt(2)
    assert np.corrcoef(z + e1, z + e1 + e2)[0, 1] == pytest.approx(2 / math.sqrt(6))
    assert RO.partial_correlation(z + e1, z + e2, z, n_boot=0)["r"] == pytest.approx(0, abs=1e-12)
    # the textbook formula from the three pairwise correlations, on noisy data
    rng = np.random.default_rng(3)
    x, y, w = rng.normal(size=(3, 50))
    y = y + x; w = w + y
    rxy, rxw, ryw = (np.corrcoef(a, b)[0, 1] for a, b in ((x, y), (x, w), (y, w)))
    want = (rxy - rxw * ryw) / math.sqrt((1 - rxw ** 2) * (1 - ryw ** 2))
    got = RO.partial_correlation(x, y, w, n_boot=200)
    assert got["r"] == pytest.approx(want) and got["low"] < got["r"] < got["high"]
    with pytest.raises(ValueError, match="same length"):
        RO.partial_correlation(x, y[:10], w)


def test_best_epochs_counts_from_before_training():
    res = fake_results([1.0, 2.0], [-0.1, -0.2], E=3)   # losses fall to the last epoch
    assert RO.best_epochs(res, "char").tolist() == [3, 3]
    res["runs"]["char/1"]["records"][1]["val_loss"] = 0.0
    assert RO.best_epochs(res, "char").tolist() == [3, 1]


def test_figures_draw_the_baselines_they_are_given():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    res = X.load_results(size="learned")
    lines = {"char": {"bigram": 2.45}, "regression": {"persistence": 0.058, "ridge": 0.052}}

    def levels(ax):      # y of every horizontal line spanning the axes
        return sorted(float(ln.get_ydata()[0]) for ln in ax.get_lines()
                      if list(ln.get_xdata()) == [0, 1] and len(set(ln.get_ydata())) == 1)

    fig = X.plot_fig4(res, baselines=lines)
    assert levels(fig.axes[1]) == [2.45] and levels(fig.axes[3]) == [0.052, 0.058]
    fig7 = X.plot_fig7(res, baselines=lines)
    assert all(levels(ax) == [0.052, 0.058] for ax in fig7.axes[3:6])
    assert levels(X.plot_fig3(res, baselines=lines).axes[5]) == [2.45]
    with pytest.raises(ValueError, match="baselines"):
        X.plot_fig4(res, baselines={"text": {"bigram": 2.45}})
    with pytest.raises(ValueError, match="finite"):
        X.plot_fig4(res, baselines={"char": {"bigram": float("nan")}})
    plt.close("all")


def test_headline_counts_match_a_direct_reading_of_the_results():
    res = X.load_results(size="learned")
    runs = {k: [rec["val_loss"] for rec in r["records"]] for k, r in res["runs"].items()}
    text = [v for k, v in runs.items() if k.startswith("char/")]
    motion = [min(v) for k, v in runs.items() if k.startswith("regression/")]
    persistence = runs["regression/0"][0]           # an untrained motion run is persistence
    h = RO.headline(res, persistence)
    assert h["text median loss"] == pytest.approx(np.median([min(v) for v in text]))
    assert h["text, settled"] == sum(int(np.argmin(v)) < len(v) - 1 for v in text)
    assert h["motion, beat persistence"] == sum(m < persistence for m in motion)
    s = RO.loss_summary(res, "regression")
    assert np.array_equal(s["loss"], motion) and np.all(s["start"] == persistence)


def test_partial_correlation_degree_and_ranks_against_hand_computed_cases():
    # z = -3.5..3.5; P2 = z^2 - mean is orthogonal to 1 and z; e1, e2 are the discrete
    # orthogonal polynomials of degree 3 and 4, normalised: orthogonal to 1, z, z^2 and each
    # other. x = z^2 + e1, y = z^2 + e1 + e2:
    z = np.arange(8.0) - 3.5
    P = np.vander(z, 5, increasing=True)
    Q, _ = np.linalg.qr(P)                     # Gram-Schmidt of 1, z, ..., z^4
    e1, e2 = Q[:, 3], Q[:, 4]
    x, y = z ** 2 + e1, z ** 2 + e1 + e2
    # a quadratic in z leaves e1 and e1 + e2: r = 1/sqrt(2)
    assert RO.partial_correlation(x, y, z, degree=2, n_boot=0)["r"] == pytest.approx(
        1 / math.sqrt(2), abs=1e-12)
    # a line leaves P2 + e1 and P2 + e1 + e2: r = (q + 1) / sqrt((q + 1)(q + 2)), q = |P2|^2
    q = float(((z ** 2 - np.mean(z ** 2)) ** 2).sum())     # 168 for this z
    assert q == pytest.approx(168.0)
    assert RO.partial_correlation(x, y, z, n_boot=0)["r"] == pytest.approx(
        (q + 1) / math.sqrt((q + 1) * (q + 2)), abs=1e-12)
    # ranks: unchanged by monotone maps of x, y and z; on data that are already ranks,
    # the same as the linear partial correlation
    rng = np.random.default_rng(4)
    a, b, c = (rng.permutation(12).astype(float) for _ in range(3))
    lin = RO.partial_correlation(a, b, c, n_boot=0)["r"]
    assert RO.partial_correlation(a, b, c, ranks=True, n_boot=0)["r"] == pytest.approx(lin)
    assert RO.partial_correlation(np.exp(a), b ** 3, c ** 3, ranks=True, n_boot=0)[
        "r"] == pytest.approx(lin)
    with pytest.raises(ValueError, match="degree must be an integer"):
        RO.partial_correlation(x, y, z, degree=0)
    with pytest.raises(ValueError, match="terms \\+ 2"):
        RO.partial_correlation(x, y, z, degree=6)


def test_partial_correlation_holds_several_variables_fixed():
    # Sylvester-Hadamard columns: orthogonal, equal norms; column i times column j is column
    # i XOR j, so z1 z2 (columns 1 and 2) is column 3. x and y share z1, z2, their product and
    # e1 (column 4); y also has e2 (column 5).
    H = np.array([[1.0]])
    for _ in range(3):
        H = np.block([[H, H], [H, -H]])
    z1, z2, prod, e1, e2 = H[:, 1], H[:, 2], H[:, 3], H[:, 4], H[:, 5]
    z = np.column_stack([z1, z2])
    x, y = z1 + z2 + prod + e1, z1 - z2 - prod + e1 + e2
    # a full quadratic removes z1, z2 and z1 z2: residuals e1 and e1 + e2, r = 1/sqrt(2)
    assert RO.partial_correlation(x, y, z, degree=2, n_boot=0)["r"] == pytest.approx(
        1 / math.sqrt(2), abs=1e-12)
    # planes leave the product: residuals prod + e1 and -prod + e1 + e2, r = (-8 + 8) / ... = 0
    assert RO.partial_correlation(x, y, z, n_boot=0)["r"] == pytest.approx(0, abs=1e-12)
    # one variable held fixed is the same as a one-column array
    w = np.random.default_rng(5).normal(size=(3, 30))
    assert RO.partial_correlation(w[0], w[1], w[2], n_boot=0)["r"] == pytest.approx(
        RO.partial_correlation(w[0], w[1], w[2][:, None], n_boot=0)["r"], abs=1e-12)
    with pytest.raises(ValueError, match="same length"):
        RO.partial_correlation(x, y, z[:5])


def test_power_law_fit_interval_against_published_t_quantiles():
    # two-sided 95% quantiles of Student's t (any statistics table)
    for df, want in ((1, 12.706), (2, 4.303), (6, 2.447), (30, 2.042)):
        assert stats.t_quantile(0.975, df) == pytest.approx(want, abs=1e-3)
    # far in the tail, against the closed forms for one and two degrees of freedom
    for q in (0.6, 0.9, 0.999, 0.9999, 0.99999):
        assert stats.t_quantile(q, 1) == pytest.approx(math.tan(math.pi * (q - 0.5)), rel=1e-9)
        a = 2 * q - 1
        assert stats.t_quantile(q, 2) == pytest.approx(a * math.sqrt(2 / (1 - a * a)), rel=1e-9)
    for q, df in ((0.5, 3), (1.0, 3), (0.3, 3)):
        with pytest.raises(ValueError, match="q must be in"):
            stats.t_quantile(q, df)
    for df in (0, 2.5, True):
        with pytest.raises(ValueError, match="df must be an integer"):
            stats.t_quantile(0.975, df)
    t = np.arange(1.0, 9.0)
    exact = RO.power_law_fit(t, 3.0 / t ** 2)
    assert exact["a"] == pytest.approx(2.0) and exact["se"] == pytest.approx(0, abs=1e-12)
    # log y = -a log t + noise: the OLS standard error by hand
    noise = np.array([0.1, -0.1, 0.1, -0.1, 0.1, -0.1, 0.1, -0.1])
    out = RO.power_law_fit(t, t ** -1.5 * np.exp(noise))
    u = np.log(t)
    A = np.column_stack([np.ones(8), u])
    coef = np.linalg.solve(A.T @ A, A.T @ (-1.5 * u + noise))
    res = -1.5 * u + noise - A @ coef
    se = math.sqrt(res @ res / 6 / ((u - u.mean()) ** 2).sum())
    assert out["a"] == pytest.approx(-coef[1]) and out["se"] == pytest.approx(se)
    assert out["high"] - out["a"] == pytest.approx(2.447 * se, rel=1e-3)
    with pytest.raises(ValueError, match="positive 1-D arrays"):
        RO.power_law_fit(t, -t)


def test_search_bootstrap_and_best_epoch_features():
    final = np.linspace(1, 2, 12)
    res = fake_results(final, -final)     # the sign rule orders the runs exactly
    out = RO.search_bootstrap(res, "char", ("spectrum", "random"), n_boot=20, n_pools=20)
    # the sign rule never loses to chance: its regret is 0 on every resample
    assert out["diff"] < 0 and out["high"] <= 0 and out["frac_not_below"] < 0.5
    with pytest.raises(ValueError, match="rules must be two of"):
        RO.search_bootstrap(res, "char", ("spectrum", "loss"))
    # best epochs: the last, except run 1 whose loss is lowest after epoch 1
    res["runs"]["char/1"]["records"][1]["val_loss"] = 0.0
    res["runs"]["char/1"]["records"][1]["features"] = {"max": 9.0, "mean": 0, "variance": 0}
    got = RO.feature_at(res, "char", "max", "best")
    assert got[1] == 9.0 and got[0] == -final[0]
    with pytest.raises(ValueError, match="epoch must be an integer or 'best'"):
        RO.feature_at(res, "char", "max", "last")


def test_records_at_reads_an_epoch_or_each_runs_best_and_refuses_the_rest():
    res = fake_results([2.0, 1.0], [0.5, 0.7], E=4)      # validation loss falls to the end
    runs = list(res["runs"].values())
    runs[1]["records"][1]["val_loss"] = 0.0              # run 1: best at epoch 1
    got = [rec["epoch"] for rec in RO.records_at(res, "char", "best")]
    assert got == [4, 1]
    assert [rec["epoch"] for rec in RO.records_at(res, "char", 0)] == [0, 0]
    assert [rec["epoch"] for rec in RO.records_at(res, "char", np.int64(-2))] == [3, 3]
    assert RO.feature_at(res, "char", "val_loss", "best").tolist() == [2.0, 0.0]
    for bad in ("last", 5, -6, 1.0, True, None):
        with pytest.raises(ValueError, match="epoch must"):
            RO.records_at(res, "char", bad)
    with pytest.raises(ValueError, match="feature must be 'val_loss' or one of"):
        RO.feature_at(res, "char", "maximum")
    runs[0]["config"]["lr"], runs[1]["config"]["lr"] = float("nan"), 1e-3
    with pytest.raises(ValueError, match="keys must name numeric settings"):
        RO.hyperparameters(res, "char", "lr")
