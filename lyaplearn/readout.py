"""Reading chapter 7's results: correlations, settling, early readouts, replayed searches, Table 1.

Everything here is analysis of a results file written by :mod:`lyaplearn.experiments`
(load it with :func:`lyaplearn.experiments.load_results`): cheap and deterministic.
:func:`runs` and :func:`hyperparameters` pick a family's runs and their settings out of it.
Correlations come with bootstrap confidence intervals (:func:`~lyaplearn.stats.correlation`, from
:mod:`lyaplearn.stats`; its functions can be called from here too), the
prediction of each run's final loss from its spectrum after one or two epochs is made on
held-out runs (:func:`readout_prediction`), and hyperparameter searches by successive
halving are replayed on the recorded curves (:func:`search_replay`), with early stopping
on the spectrum, on the early validation loss, or none. Chapter 7's figures
(``lyaplearn.experiments.plot_*``) are drawn from these functions.
"""

from __future__ import annotations

import math

import numpy as np

# the statistics chapter 7 calls through this module (readout.correlation ...): lyaplearn.stats
from .stats import correlation, partial_correlation, power_law_fit, spearman  # noqa: F401
from .training import FEATURES, best_val_loss

__all__ = [
    "SIGN_RULE",
    "runs",
    "hyperparameters",
    "final_losses",
    "records_at",
    "feature_at",
    "best_epochs",
    "loss_summary",
    "headline",
    "reduced_change",
    "settling",
    "final_full_feature",
    "correlation_table",
    "hyperparameter_correlation",
    "pass_fraction",
    "readout_prediction",
    "search_replay",
    "search_bootstrap",
    "cost_table",
]

SIGN_RULE = {"char": ("max", -1.0), "regression": ("mean", -1.0)}
"""The book's rule built from the paper's correlation signs, per task: the feature the paper
relates to the loss, and the sign that turns its 'larger is better' into a low score."""


def runs(results: dict, family: str) -> list[dict]:
    """The runs of one family (``"char"``, ``"convergence"``, ``"regression"``...), in file order.

    Every per-run array of this module (:func:`final_losses`, :func:`feature_at`,
    :func:`hyperparameters`...) follows this order.
    """
    chosen = [v for k, v in results["runs"].items() if k.split("/")[0] == family]
    if not chosen:
        known = sorted({k.split("/")[0] for k in results["runs"]})
        raise ValueError(f"family must be one of the results' families {known}, got {family!r}")
    return chosen


def hyperparameters(results: dict, family: str, keys=("lr", "dropout"), *,
                    log: bool = False) -> np.ndarray:
    """The runs' settings ``config[key]``, one column per key: an (n_runs, len(keys)) array.

    A single key (a string) gives a 1-D array. With ``log=True`` their natural logarithms:
    chapter 7 holds (log learning rate, log dropout rate) fixed in its partial correlations.

    Examples
    --------
    >>> res = {"runs": {"char/0": {"config": {"lr": 1e-3, "dropout": 0.1}},
    ...                 "char/1": {"config": {"lr": 1e-2, "dropout": 0.01}}}}
    >>> hyperparameters(res, "char").tolist()
    [[0.001, 0.1], [0.01, 0.01]]
    >>> np.round(hyperparameters(res, "char", "lr", log=True) / np.log(10), 6).tolist()
    [-3.0, -2.0]
    """
    one = isinstance(keys, str)
    keys = [keys] if one else list(keys)
    chosen = runs(results, family)
    missing = [k for k in keys if any(k not in r["config"] for r in chosen)]
    if not keys or missing:
        raise ValueError(f"keys must name settings every {family!r} run has in its config "
                         f"(such as {sorted(chosen[0]['config'])}), got {keys!r}")
    try:
        x = np.array([[float(r["config"][k]) for k in keys] for r in chosen])
    except (TypeError, ValueError):
        x = np.array([math.nan])
    if not np.all(np.isfinite(x)):
        raise ValueError(f"keys must name numeric settings (finite numbers), got {keys!r}")
    if log:
        if np.any(x <= 0):
            raise ValueError("log=True needs positive settings, got a minimum of "
                             f"{float(x.min())!r}")
        x = np.log(x)
    return x[:, 0] if one else x


def final_losses(results: dict, family: str) -> np.ndarray:
    """Best validation loss of every run of a family."""
    return np.array([best_val_loss(r) for r in runs(results, family)])


def records_at(results: dict, family: str, epoch: int | str = -1) -> list[dict]:
    """Each run's record at ``epoch``: an integer (0 before training, -1 the final network)
    or ``"best"``, each run at its own best validation epoch (:func:`best_epochs`), the
    network that early stopping keeps.

    Examples
    --------
    >>> rs = {"char/0": {"records": [{"val_loss": v} for v in (3.0, 2.0, 2.5)]}}
    >>> [records_at({"runs": rs}, "char", e)[0]["val_loss"] for e in (0, -1, "best")]
    [3.0, 2.5, 2.0]
    """
    if epoch != "best" and (isinstance(epoch, bool) or not isinstance(epoch, (int, np.integer))):
        raise ValueError(f"epoch must be an integer or 'best', got {epoch!r}")
    chosen = runs(results, family)
    if epoch == "best":
        return [r["records"][b] for r, b in zip(chosen, best_epochs(results, family))]
    n = min(len(r["records"]) for r in chosen)
    if not -n <= epoch < n:
        raise ValueError(f"epoch must index the runs' records (-{n} to {n - 1}), got {epoch!r}")
    return [r["records"][epoch] for r in chosen]


def feature_at(results: dict, family: str, feature: str, epoch: int | str = -1) -> np.ndarray:
    """A spectrum feature (``max``, ``mean``, ``variance``) or ``val_loss`` at an epoch, per run.

    ``epoch`` is read as in :func:`records_at`: ``"best"`` takes each run at its own best
    validation epoch; the default, ``-1``, is the final network.
    """
    recs = records_at(results, family, epoch)
    if feature != "val_loss" and any(feature not in rec["features"] for rec in recs):
        raise ValueError(f"feature must be 'val_loss' or one of {sorted(recs[0]['features'])}, "
                         f"got {feature!r}")
    return np.array([rec["val_loss"] if feature == "val_loss" else rec["features"][feature]
                     for rec in recs], dtype=float)


def best_epochs(results: dict, family: str) -> np.ndarray:
    """The epoch of each run's best validation loss (0 = before training).

    Returns an integer array, one entry per run; a run that settled has its entry below
    ``config["epochs"]``. Ties go to the earliest epoch.

    Examples
    --------
    >>> rs = {"char/0": {"config": {"epochs": 2}, "records": [{"val_loss": v}
    ...                                                       for v in (3.0, 2.0, 2.5)]}}
    >>> best_epochs({"runs": rs}, "char").tolist()
    [1]
    """
    return np.array([int(np.argmin([rec["val_loss"] for rec in r["records"]]))
                     for r in runs(results, family)])


def loss_summary(results: dict, family: str) -> dict:
    """Did a family's runs learn, and did they settle? Arrays with one entry per run.

    ``loss``: best validation loss; ``best_epoch``: its epoch (:func:`best_epochs`);
    ``epochs``: the run's last epoch; ``start``: the validation loss before training;
    ``last_gain``: how much the last epoch lowered the validation loss (positive: the run
    was still improving when it stopped).

    Examples
    --------
    >>> rs = {"char/0": {"config": {"epochs": 2}, "records": [{"val_loss": v}
    ...                                                       for v in (3.0, 2.5, 2.25)]}}
    >>> out = loss_summary({"runs": rs}, "char")
    >>> out["loss"].tolist(), out["best_epoch"].tolist(), out["last_gain"].tolist()
    ([2.25], [2], [0.25])
    """
    chosen = runs(results, family)
    val = [[rec["val_loss"] for rec in r["records"]] for r in chosen]
    return {"loss": np.array([min(v) for v in val]),
            "best_epoch": best_epochs(results, family),
            "epochs": np.array([len(v) - 1 for v in val]),
            "start": np.array([v[0] for v in val]),
            "last_gain": np.array([v[-2] - v[-1] for v in val])}


def headline(results: dict, persistence: float) -> dict:
    """Chapter 7's headline numbers of one results file, to set two recipes side by side.

    ``persistence`` is the motion validation split's persistence loss for the inputs
    those runs read. Correlations and readouts are dicts ``{"r", "low", "high", "n"}``
    (spectrum features at each run's best validation epoch, as the paper selects);
    regrets are percentages of the best motion loss.
    """
    loss = {f: final_losses(results, f) for f in ("char", "regression")}
    text = loss_summary(results, "char")
    srch = search_replay(results, "regression", rung=1, keep=0.25)
    first = readout_prediction(results, "regression", 1)
    best = loss["regression"].min()
    return {
        "text median loss": float(np.median(loss["char"])),
        "text, settled": int(np.sum(text["best_epoch"] < text["epochs"])),
        "motion, beat persistence": int(np.sum(loss["regression"] < persistence)),
        "text, λ_max r": correlation(feature_at(results, "char", "max", "best"), loss["char"]),
        "motion, mean λ r": correlation(feature_at(results, "regression", "mean", "best"),
                                        loss["regression"]),
        "motion ρ, epoch 1, spectrum": first["spectrum"],
        "motion ρ, epoch 1, val. loss": first["val_loss"],
        "motion, sign rule regret %": float(100 * srch["spectrum"]["regret"] / best),
        "motion, random regret %": float(100 * srch["random"]["regret"] / best),
        "text, cost %": float(100 * cost_table(results)[0]["fraction"][0]),
    }


def reduced_change(spectra: np.ndarray) -> np.ndarray:
    """Mean squared change of a spectrum between successive epochs, relative to its mean square.

    ``spectra`` is (epochs + 1, k); returns (epochs,) for t = 1..epochs:
    sum_i (lambda_i(t) - lambda_i(t-1))^2 / sum_i lambda_i(t)^2.
    """
    s = np.asarray(spectra, float)
    return ((s[1:] - s[:-1]) ** 2).sum(1) / (s[1:] ** 2).sum(1)


def settling(results: dict, family: str = "convergence") -> list[dict]:
    """How fast each run's spectrum settles (Fig. 3d): one dict per run.

    ``first_over_later``: the first epoch's relative change divided by the largest
    later one; ``decades``: log10 of the first change over the last; ``power``:
    the exponent ``a`` of a least-squares fit change ~ C t^(-a) over all epochs
    (the paper's reference line is a = 1); ``mean_below``: the fraction of the
    epochs between the first and the last at which the mean exponent lies below
    its final value (1: it approaches from below, as the paper reports); ``p``
    and the best validation loss.
    """
    out = []
    for r in runs(results, family):
        S = np.array([rec["spectrum"] for rec in r["records"]])
        ch = reduced_change(S)
        t = np.arange(1, len(ch) + 1)
        slope = np.polyfit(np.log(t), np.log(ch), 1)[0]
        m = np.array([rec["features"]["mean"] for rec in r["records"]])
        out.append({"p": r["config"]["p"], "first_over_later": float(ch[0] / ch[1:].max()),
                    "decades": float(np.log10(ch[0] / ch[-1])), "power": float(-slope),
                    "mean_below": float(np.mean(m[1:-1] < m[-1])), "loss": best_val_loss(r)})
    return out


def final_full_feature(results: dict, family: str, feature: str) -> np.ndarray:
    """A feature of the full-state (h, c) spectrum of each run's final network (``final_full``)."""
    return np.array([r["final_full"]["features"][feature] for r in runs(results, family)])


def pass_fraction(results: dict, family: str, steps_per_pass: float) -> float:
    """One spectrum's time as a fraction of one full pass over the training data.

    ``steps_per_pass`` optimizer steps make a pass; the time per step is taken
    from the runs' recorded training time. The median over runs.
    """
    chosen = runs(results, family)
    fr = []
    for r in chosen:
        steps = r["config"]["steps_per_epoch"] * (len(r["records"]) - 1)
        per_step = r["records"][-1]["train_seconds"] / steps
        le = np.mean([rec["spectrum_seconds"] for rec in r["records"]])
        fr.append(le / (per_step * steps_per_pass))
    return float(np.median(fr))


def correlation_table(results: dict, families=("char", "regression"), features=FEATURES,
                      *, epoch: int | str = "best", **kw) -> dict:
    """Correlation with the best validation loss of every spectrum feature, four ways.

    Returns ``{(family, feature, kind): correlation(...)}`` for ``kind``
    ``"hidden"`` (the recorded spectrum at ``epoch``: by default each run's best
    validation epoch, the network the paper selects), ``"final"`` (the recorded
    spectrum of the final network), ``"full"`` (the full-state spectrum of the final
    network, ``final_full``, recorded for the final network only) and ``"init"`` (the
    recorded spectrum before training). ``kw`` goes to :func:`lyaplearn.stats.correlation`.
    """
    out = {}
    for family in families:
        loss = final_losses(results, family)
        for feat in features:
            for kind, x in (("hidden", feature_at(results, family, feat, epoch)),
                            ("final", feature_at(results, family, feat, -1)),
                            ("full", final_full_feature(results, family, feat)),
                            ("init", feature_at(results, family, feat, 0))):
                out[family, feat, kind] = correlation(x, loss, **kw)
    return out


def hyperparameter_correlation(results: dict, family: str, key: str, *, log: bool = False,
                               method: str = "spearman", **kw) -> dict:
    """Correlation of one hyperparameter of the runs (``config[key]``) with their best loss.

    With ``log=True`` the hyperparameter's logarithm is used (a learning rate sampled on a
    log scale); rank correlations (the default, Spearman's) do not change under it. ``kw``
    goes to :func:`lyaplearn.stats.correlation`.

    Examples
    --------
    >>> rs = {f"char/{i}": {"config": {"lr": lr}, "records": [{"val_loss": loss}]}
    ...         for i, (lr, loss) in enumerate([(1e-3, 3.0), (1e-2, 2.0), (1e-1, 2.5)])}
    >>> round(hyperparameter_correlation({"runs": rs}, "char", "lr", n_boot=10)["r"], 6)
    -0.5
    """
    x = hyperparameters(results, family, key, log=log)
    return correlation(x, final_losses(results, family), method=method, **kw)


def _fit_predict(X: np.ndarray, y: np.ndarray, fit: np.ndarray, new: np.ndarray) -> np.ndarray:
    """Least squares of ``y`` on the columns of ``X`` (plus a constant) over runs ``fit``; predict ``new``."""
    A = np.column_stack([np.ones(len(y)), X])
    coef, *_ = np.linalg.lstsq(A[fit], y[fit], rcond=None)
    return A[new] @ coef


def _readout_matrix(results: dict, family: str, epoch: int, name: str, features=FEATURES):
    spec = np.column_stack([feature_at(results, family, f, epoch) for f in features])
    val = feature_at(results, family, "val_loss", epoch)[:, None]
    return {"spectrum": spec, "val_loss": val, "both": np.hstack([spec, val])}[name]


def readout_prediction(results: dict, family: str, epoch: int, *, features=FEATURES,
                       n_splits: int = 200, seed: int = 0) -> dict:
    """How well the spectrum after ``epoch`` epochs predicts each run's final (best) loss.

    The runs are split at random into two halves, many times: a least-squares
    line of the final loss on the readout is fitted on one half (the
    calibration runs, as from an earlier search) and predicts the other half
    (the held-out runs), where Spearman's rank correlation of prediction and
    true final loss is measured. Readouts: the spectrum ``features``, the
    validation loss at the same epoch (the obvious baseline), and both.
    Returns, per readout, the median correlation over the splits and the
    2.5 and 97.5 percentiles (``r``, ``low``, ``high``) and ``n`` runs; NaN where the
    readout is the same in every run (no ranking to measure).
    """
    y = final_losses(results, family)
    n = len(y)
    if n < 6:
        raise ValueError(f"need at least 6 runs to split into halves, got {n}")
    rng = np.random.default_rng(seed)
    splits = [rng.permutation(n) for _ in range(n_splits)]
    out = {}
    for name in ("spectrum", "val_loss", "both"):
        X = _readout_matrix(results, family, epoch, name, features)
        rs = []
        for perm in splits:
            fit, held = perm[: n // 2], perm[n // 2:]
            pred = _fit_predict(X, y, fit, held)
            if np.ptp(pred) > 0:
                rs.append(spearman(pred, y[held]))
        # a readout equal in every run (the motion runs' loss before training) ranks nothing
        lo, med, hi = np.quantile(rs, [0.025, 0.5, 0.975]) if rs else (math.nan,) * 3
        out[name] = {"r": float(med), "low": float(lo), "high": float(hi), "n": n}
    return out


def search_replay(results: dict, family: str, *, rung: int = 1, keep: float = 0.25,
                  n_pools: int = 500, seed: int = 0) -> dict:
    """Successive halving replayed on the recorded runs: best loss found and epochs spent.

    Each search takes a random half of the family's runs as its pool of
    configurations, trains all of them for ``rung`` epochs, keeps the best
    fraction ``keep`` by a score and trains those to the end; ``none`` trains
    every configuration to the end. Scores (lower is better): ``spectrum``
    (the sign rule built from the paper's correlation signs: -lambda_max for
    text, -mean exponent for regression), ``spectrum_fit`` (the final loss predicted from the three
    spectrum features by a line fitted on the *other* half of the runs, as if
    calibrated on an earlier search), ``val_loss`` (the validation loss at the
    rung: what a standard pruner uses) and ``random``. Training is seeded, so
    a run stopped at the rung has exactly the first epochs of its full run:
    the replay is what the search would have found. Returns, per strategy,
    the mean best loss, its regret (best found minus the pool's best) with
    its standard error, how often the pool's best was found, and the epochs
    spent, averaged over ``n_pools`` pools.
    """
    chosen = runs(results, family)
    task = chosen[0]["config"]["task"]
    E = chosen[0]["config"]["epochs"]
    if not 1 <= rung < E:
        raise ValueError(f"rung must be in [1, {E - 1}], got {rung!r}")
    if not 0 < keep <= 1:
        raise ValueError(f"keep must be in (0, 1], got {keep!r}")
    n = len(chosen)
    pool = max(2, n // 2)
    final = final_losses(results, family)
    feat, sign = SIGN_RULE[task]
    rule = sign * feature_at(results, family, feat, rung)
    spec = _readout_matrix(results, family, rung, "spectrum")
    val = feature_at(results, family, "val_loss", rung)
    rng = np.random.default_rng(seed)
    names = ("none", "spectrum", "spectrum_fit", "val_loss", "random")
    out = {s: {"best": [], "regret": [], "epochs": []} for s in names}
    n_keep = max(1, int(round(keep * pool)))
    for _ in range(n_pools):
        perm = rng.permutation(n)
        idx, other = perm[:pool], perm[pool:]
        best_pool = final[idx].min()
        for s in names:
            if s == "none":
                kept, spent = idx, pool * E
            else:
                if s == "random":
                    sc = rng.permutation(pool).astype(float)
                elif s == "spectrum":
                    sc = rule[idx]
                elif s == "spectrum_fit":
                    sc = _fit_predict(spec, final, other, idx)
                else:
                    sc = val[idx]
                kept = idx[np.argsort(sc, kind="stable")[:n_keep]]
                spent = pool * rung + n_keep * (E - rung)
            b = final[kept].min()
            out[s]["best"].append(b)
            out[s]["regret"].append(b - best_pool)
            out[s]["epochs"].append(spent)
    summary = {}
    for s, v in out.items():
        reg = np.array(v["regret"])
        summary[s] = {"best": float(np.mean(v["best"])), "regret": float(reg.mean()),
                      "regret_se": float(reg.std(ddof=1) / math.sqrt(len(reg))),
                      "found_best": float(np.mean(reg == 0)), "epochs": float(np.mean(v["epochs"]))}
    summary["settings"] = {"pool": pool, "rung": rung, "keep": keep, "epochs": E, "n_pools": n_pools}
    return summary


def search_bootstrap(results: dict, family: str, rules=("spectrum", "val_loss"), *,
                     n_boot: int = 100, n_pools: int = 100, rung: int = 1,
                     keep: float = 0.25, level: float = 0.95, seed: int = 0) -> dict:
    """How much the difference in regret between two pruning rules owes to the runs drawn.

    :func:`search_replay`'s standard errors only measure which pools were drawn from the same
    runs. Here the runs themselves are resampled with replacement (a run-level bootstrap),
    the search is replayed on each resample (``n_pools`` pools) and the mean regret of
    ``rules[0]`` minus that of ``rules[1]`` is recorded. Returns ``{"diff"`` (on the runs
    themselves), ``"low", "high"`` (the bootstrap percentile interval), ``"frac_not_below"``
    (the share of resamples where ``rules[0]`` is not better), ``"n_boot"}``.
    """
    a, b = rules
    names = ("none", "spectrum", "spectrum_fit", "val_loss", "random")
    if a not in names or b not in names:
        raise ValueError(f"rules must be two of {names}, got {rules!r}")
    chosen = runs(results, family)

    def diff(sample, s):
        res = {"runs": {f"{family}/{j}": r for j, r in enumerate(sample)}}
        out = search_replay(res, family, rung=rung, keep=keep, n_pools=n_pools, seed=s)
        return out[a]["regret"] - out[b]["regret"]

    rng = np.random.default_rng(seed)
    d = np.array([diff([chosen[i] for i in rng.integers(0, len(chosen), len(chosen))], k)
                  for k in range(n_boot)])
    lo, hi = np.quantile(d, [(1 - level) / 2, (1 + level) / 2])
    return {"diff": diff(chosen, seed), "low": float(lo), "high": float(hi),
            "frac_not_below": float(np.mean(d >= 0)), "n_boot": n_boot}


def cost_table(results: dict) -> list[dict]:
    """Table 1: spectrum time in training units and as a fraction of training, per task.

    Training units are epochs of ``steps_per_epoch`` optimizer steps. The
    fraction divides one spectrum's time by the time trained up to each run's
    best epoch (as the paper does), for the hidden-only spectrum that was
    recorded and for a full-state one timed beside it.
    """
    rows = []
    for family in ("char", "regression"):
        chosen = runs(results, family)
        epoch_s = np.array([r["records"][-1]["train_seconds"] / (len(r["records"]) - 1)
                            for r in chosen])
        le_s = np.array([np.mean([rec["spectrum_seconds"] for rec in r["records"]]) for r in chosen])
        best_ep = np.array([1 + int(np.argmin([rec["val_loss"] for rec in r["records"][1:]]))
                            for r in chosen])
        units = le_s / epoch_s
        frac = units / best_ep
        t = results.get("timing", {}).get(chosen[0]["config"]["task"], {})
        ratio = t["full"] / t["hidden"] if t else math.nan
        rows.append({"task": family, "epochs_needed": (best_ep.mean(), best_ep.std()),
                     "le_units": (units.mean(), units.std()),
                     "fraction": (frac.mean(), frac.std()),
                     "full_over_hidden": ratio})
    return rows
