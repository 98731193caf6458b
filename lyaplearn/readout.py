"""Reading chapter 7's results: correlations, settling, early readouts, replayed searches, Table 1.

Everything here is analysis of a results file written by :mod:`lyaplearn.experiments`
(load it with :func:`lyaplearn.experiments.load_results`): cheap and deterministic.
Correlations come with bootstrap confidence intervals (:func:`correlation`), the
prediction of each run's final loss from its spectrum after one or two epochs is made on
held-out runs (:func:`readout_prediction`), and hyperparameter searches by successive
halving are replayed on the recorded curves (:func:`search_replay`), with early stopping
on the spectrum, on the early validation loss, or none. Chapter 7's figures
(``lyaplearn.experiments.plot_*``) are drawn from these functions.
"""

from __future__ import annotations

import math

import numpy as np

from .training import FEATURES, best_val_loss

__all__ = [
    "SIGN_RULE",
    "final_losses",
    "feature_at",
    "correlation",
    "partial_correlation",
    "spearman",
    "best_epochs",
    "loss_summary",
    "headline",
    "reduced_change",
    "power_law_fit",
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


def _family(results: dict, family: str) -> list[dict]:
    runs = [v for k, v in results["runs"].items() if k.split("/")[0] == family]
    if not runs:
        raise ValueError(f"results have no runs of family {family!r}")
    return runs


def final_losses(results: dict, family: str) -> np.ndarray:
    """Best validation loss of every run of a family."""
    return np.array([best_val_loss(r) for r in _family(results, family)])


def feature_at(results: dict, family: str, feature: str, epoch: int | str = -1) -> np.ndarray:
    """A spectrum feature (``max``, ``mean``, ``variance``) or ``val_loss`` at an epoch, per run.

    ``epoch="best"`` takes each run at its own best validation epoch (:func:`best_epochs`),
    the network that early stopping keeps; the default, ``-1``, is the final network.
    """
    if isinstance(epoch, str) and epoch != "best":
        raise ValueError(f"epoch must be an integer or 'best', got {epoch!r}")
    best = best_epochs(results, family) if epoch == "best" else None
    out = []
    for j, r in enumerate(_family(results, family)):
        rec = r["records"][best[j] if best is not None else epoch]
        out.append(rec["val_loss"] if feature == "val_loss" else rec["features"][feature])
    return np.array(out, dtype=float)


def _ranks(x: np.ndarray) -> np.ndarray:
    order = np.argsort(x, kind="stable")
    r = np.empty(len(x))
    r[order] = np.arange(len(x))
    # average ranks of ties
    for v in np.unique(x):
        m = x == v
        if m.sum() > 1:
            r[m] = r[m].mean()
    return r


def spearman(x, y) -> float:
    """Spearman's rank correlation (Pearson correlation of the ranks, ties averaged).

    Examples
    --------
    >>> round(spearman([1, 2, 3, 4], [10, 20, 40, 30]), 6)
    0.8
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    if x.shape != y.shape or x.ndim != 1 or len(x) < 3:
        raise ValueError("x and y must be 1-D arrays of the same length >= 3")
    return float(np.corrcoef(_ranks(x), _ranks(y))[0, 1])


def correlation(x, y, *, method: str = "pearson", n_boot: int = 2000, level: float = 0.95,
                seed: int = 0) -> dict:
    """A correlation coefficient with a bootstrap (percentile) confidence interval over runs.

    Returns ``{"r", "low", "high", "n"}``.
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    if method not in ("pearson", "spearman"):
        raise ValueError(f"method must be 'pearson' or 'spearman', got {method!r}")
    f = spearman if method == "spearman" else (lambda a, b: float(np.corrcoef(a, b)[0, 1]))
    r = f(x, y)
    rng = np.random.default_rng(seed)
    boots = []
    for _ in range(n_boot):
        i = rng.integers(0, len(x), len(x))
        if np.ptp(x[i]) > 0 and np.ptp(y[i]) > 0:
            boots.append(f(x[i], y[i]))
    lo, hi = np.quantile(boots, [(1 - level) / 2, (1 + level) / 2])
    return {"r": r, "low": float(lo), "high": float(hi), "n": len(x)}


def _partial(x: np.ndarray, y: np.ndarray, z: np.ndarray, degree: int = 1,
             ranks: bool = False) -> float:
    """Pearson correlation of the residuals of x and y after least squares on a polynomial in z.

    ``z`` is (n, k): the polynomial has a constant, every column's powers 1 to ``degree`` and,
    for ``degree >= 2`` and ``k > 1``, the products of pairs of columns (a full quadratic).
    With ``ranks`` x, y and every column of z are first replaced by their ranks (a rank-based
    partial correlation). Each column is centred and scaled first, which changes only the fit's
    conditioning.
    """
    if ranks:
        x, y = _ranks(x), _ranks(y)
        z = np.column_stack([_ranks(c) for c in z.T])
    u = (z - z.mean(axis=0)) / z.std(axis=0)
    cols = [np.ones(len(x))] + [u[:, j] ** d for j in range(u.shape[1])
                                for d in range(1, degree + 1)]
    if degree >= 2:
        cols += [u[:, a] * u[:, b] for a in range(u.shape[1]) for b in range(a + 1, u.shape[1])]
    A = np.column_stack(cols)
    rx = x - A @ np.linalg.lstsq(A, x, rcond=None)[0]
    ry = y - A @ np.linalg.lstsq(A, y, rcond=None)[0]
    return float(rx @ ry / math.sqrt((rx @ rx) * (ry @ ry)))


def partial_correlation(x, y, z, *, degree: int = 1, ranks: bool = False, n_boot: int = 2000,
                        level: float = 0.95, seed: int = 0) -> dict:
    """Pearson's correlation of ``x`` and ``y`` with ``z`` held fixed, with a bootstrap interval.

    The correlation of what is left of ``x`` and of ``y`` after a least-squares polynomial of
    degree ``degree`` in ``z`` (for ``degree=1`` and one variable, a line: equal to
    ``(r_xy - r_xz r_yz) / sqrt((1 - r_xz^2)(1 - r_yz^2))``). ``z`` is one variable (1-D) or
    several, as the columns of an (n, k) array: then the polynomial holds each column's
    powers and, from degree 2, the products of pairs of columns. With ``ranks=True`` all are
    replaced by their ranks first (recomputed in every bootstrap sample). Chapter 7 uses it to
    ask whether a spectrum feature says more about the loss than the hyperparameters
    (``z`` = log learning rate and log dropout rate) that move both, and how the answer
    depends on how ``z`` is removed. Returns ``{"r", "low", "high", "n"}`` like
    :func:`correlation` (runs resampled with replacement).

    Examples
    --------
    z, e1 and e2 orthogonal with equal norms; x = z + e1 and y = z + e1 + e2 leave the
    residuals e1 and e1 + e2, whose correlation is 1/sqrt(2):

    >>> z, e1, e2 = np.array([[1., 1, -1, -1], [1, -1, 1, -1], [1, -1, -1, 1]])
    >>> round(partial_correlation(z + e1, z + e1 + e2, z, n_boot=0)["r"] ** 2, 12)
    0.5
    """
    x, y, z = (np.asarray(v, float) for v in (x, y, z))
    if not isinstance(degree, (int, np.integer)) or isinstance(degree, bool) or degree < 1:
        raise ValueError(f"degree must be an integer >= 1, got {degree!r}")
    z2 = z[:, None] if z.ndim == 1 else z
    k = z2.shape[1] if z2.ndim == 2 else 0
    n_terms = 1 + k * degree + (k * (k - 1) // 2 if degree >= 2 else 0)
    if not (x.ndim == y.ndim == 1 and z2.ndim == 2 and k >= 1
            and len(x) == len(y) == len(z2) >= n_terms + 2):
        raise ValueError(f"x and y must be 1-D and z 1-D or (n, k), all of the same length n "
                         f">= {n_terms + 2} (the polynomial's {n_terms} terms + 2), got shapes "
                         f"{x.shape}, {y.shape}, {z.shape}")
    r = _partial(x, y, z2, degree, ranks)
    out = {"r": r, "low": math.nan, "high": math.nan, "n": len(x)}
    rng = np.random.default_rng(seed)
    boots = []
    for _ in range(n_boot):
        i = rng.integers(0, len(x), len(x))
        if (min(np.ptp(x[i]), np.ptp(y[i])) > 0 and len(np.unique(i)) >= n_terms + 2
                and all(len(np.unique(c)) > degree + 1 for c in z2[i].T)):
            boots.append(_partial(x[i], y[i], z2[i], degree, ranks))
    if boots:
        lo, hi = np.quantile(boots, [(1 - level) / 2, (1 + level) / 2])
        out.update(low=float(lo), high=float(hi))
    return out


def best_epochs(results: dict, family: str) -> np.ndarray:
    """The epoch of each run's best validation loss (0 = before training), and its last epoch.

    Returns an integer array, one entry per run; a run that settled has its entry below
    ``config["epochs"]``. Ties go to the earliest epoch.

    Examples
    --------
    >>> runs = {"char/0": {"config": {"epochs": 2}, "records": [{"val_loss": v}
    ...                                                       for v in (3.0, 2.0, 2.5)]}}
    >>> best_epochs({"runs": runs}, "char").tolist()
    [1]
    """
    return np.array([int(np.argmin([rec["val_loss"] for rec in r["records"]]))
                     for r in _family(results, family)])


def loss_summary(results: dict, family: str) -> dict:
    """Did a family's runs learn, and did they settle? Arrays with one entry per run.

    ``loss``: best validation loss; ``best_epoch``: its epoch (:func:`best_epochs`);
    ``epochs``: the run's last epoch; ``start``: the validation loss before training;
    ``last_gain``: how much the last epoch lowered the validation loss (positive: the run
    was still improving when it stopped).

    Examples
    --------
    >>> runs = {"char/0": {"config": {"epochs": 2}, "records": [{"val_loss": v}
    ...                                                       for v in (3.0, 2.5, 2.25)]}}
    >>> out = loss_summary({"runs": runs}, "char")
    >>> out["loss"].tolist(), out["best_epoch"].tolist(), out["last_gain"].tolist()
    ([2.25], [2], [0.25])
    """
    runs = _family(results, family)
    val = [[rec["val_loss"] for rec in r["records"]] for r in runs]
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


def _t_quantile(q: float, df: int) -> float:
    """The q-quantile (q > 0.5) of Student's t with ``df`` degrees of freedom, numerically.

    Bisection on the distribution function, integrated by Simpson's rule from the density.
    """
    c = math.exp(math.lgamma((df + 1) / 2) - math.lgamma(df / 2)) / math.sqrt(df * math.pi)

    def cdf(x: float) -> float:
        u = np.linspace(0.0, x, 4001)
        f = c * (1 + u ** 2 / df) ** (-(df + 1) / 2)
        return 0.5 + (u[1] - u[0]) / 3 * (f[0] + f[-1] + 4 * f[1:-1:2].sum()
                                          + 2 * f[2:-1:2].sum())

    lo, hi = 0.0, 1.0
    while cdf(hi) < q:
        hi *= 2
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if cdf(mid) < q else (lo, mid)
    return (lo + hi) / 2


def power_law_fit(t, y, *, level: float = 0.95) -> dict:
    """Exponent ``a`` of a least-squares fit y ~ C t^(-a) on log-log axes, with its interval.

    The interval is the ordinary least-squares one, ``a`` ± t_(n-2) times its standard
    error: it treats the points' scatter about the line as independent noise. Returns
    ``{"a", "se", "low", "high", "n"}``.

    Examples
    --------
    >>> out = power_law_fit([1, 2, 4, 8], [1.0, 0.5, 0.25, 0.125])   # exactly 1/t
    >>> round(out["a"], 12), round(out["se"], 12)
    (1.0, 0.0)
    """
    t, y = np.asarray(t, float), np.asarray(y, float)
    if t.shape != y.shape or t.ndim != 1 or len(t) < 3 or (t <= 0).any() or (y <= 0).any():
        raise ValueError("t and y must be positive 1-D arrays of the same length >= 3, got "
                         f"shapes {t.shape} and {y.shape}")
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level!r}")
    u, v = np.log(t), np.log(y)
    A = np.column_stack([np.ones(len(u)), u])
    coef, *_ = np.linalg.lstsq(A, v, rcond=None)
    resid = v - A @ coef
    n = len(u)
    se = math.sqrt(float(resid @ resid) / (n - 2) / float(((u - u.mean()) ** 2).sum()))
    half = _t_quantile((1 + level) / 2, n - 2) * se
    a = -float(coef[1])
    return {"a": a, "se": se, "low": a - half, "high": a + half, "n": n}


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
    for r in _family(results, family):
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
    return np.array([r["final_full"]["features"][feature] for r in _family(results, family)])


def pass_fraction(results: dict, family: str, steps_per_pass: float) -> float:
    """One spectrum's time as a fraction of one full pass over the training data.

    ``steps_per_pass`` optimizer steps make a pass; the time per step is taken
    from the runs' recorded training time. The median over runs.
    """
    runs = _family(results, family)
    fr = []
    for r in runs:
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
    recorded spectrum before training). ``kw`` goes to :func:`correlation`.
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
    goes to :func:`correlation`.

    Examples
    --------
    >>> runs = {f"char/{i}": {"config": {"lr": lr}, "records": [{"val_loss": loss}]}
    ...         for i, (lr, loss) in enumerate([(1e-3, 3.0), (1e-2, 2.0), (1e-1, 2.5)])}
    >>> round(hyperparameter_correlation({"runs": runs}, "char", "lr", n_boot=10)["r"], 6)
    -0.5
    """
    runs = _family(results, family)
    try:
        x = np.array([float(r["config"][key]) for r in runs])
    except KeyError:
        raise ValueError(f"key must be a hyperparameter in the runs' config, got {key!r}"
                         ) from None
    if log:
        if np.any(x <= 0):
            raise ValueError(f"log=True needs positive values of {key!r}, got {x.min()!r}")
        x = np.log(x)
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
    runs = _family(results, family)
    task = runs[0]["config"]["task"]
    E = runs[0]["config"]["epochs"]
    if not 1 <= rung < E:
        raise ValueError(f"rung must be in [1, {E - 1}], got {rung!r}")
    if not 0 < keep <= 1:
        raise ValueError(f"keep must be in (0, 1], got {keep!r}")
    n = len(runs)
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
    runs = _family(results, family)

    def diff(sample, s):
        res = {"runs": {f"{family}/{j}": r for j, r in enumerate(sample)}}
        out = search_replay(res, family, rung=rung, keep=keep, n_pools=n_pools, seed=s)
        return out[a]["regret"] - out[b]["regret"]

    rng = np.random.default_rng(seed)
    d = np.array([diff([runs[i] for i in rng.integers(0, len(runs), len(runs))], k)
                  for k in range(n_boot)])
    lo, hi = np.quantile(d, [(1 - level) / 2, (1 + level) / 2])
    return {"diff": diff(runs, seed), "low": float(lo), "high": float(hi),
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
        runs = _family(results, family)
        epoch_s = np.array([r["records"][-1]["train_seconds"] / (len(r["records"]) - 1)
                            for r in runs])
        le_s = np.array([np.mean([rec["spectrum_seconds"] for rec in r["records"]]) for r in runs])
        best_ep = np.array([1 + int(np.argmin([rec["val_loss"] for rec in r["records"][1:]]))
                            for r in runs])
        units = le_s / epoch_s
        frac = units / best_ep
        t = results.get("timing", {}).get(runs[0]["config"]["task"], {})
        ratio = t["full"] / t["hidden"] if t else math.nan
        rows.append({"task": family, "epochs_needed": (best_ep.mean(), best_ep.std()),
                     "le_units": (units.mean(), units.std()),
                     "fraction": (frac.mean(), frac.std()),
                     "full_over_hidden": ratio})
    return rows
