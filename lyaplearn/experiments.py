"""Section 5 of Vogt et al. on real data, and the spectrum as an early readout (chapter 7).

Run it as ``python -m lyaplearn.experiments [--size quick|medium|full]`` (default full). It
trains three families of runs with :func:`lyaplearn.training.train_run`, each
recording validation loss and Lyapunov spectrum before training and after every
epoch, and writes everything to one small JSON file (default
``lyaplearn/results/ch07_<size>.json``):

``convergence``
    the character task for several initialisation parameters ``p`` (the
    paper's Fig. 3);
``char``
    the character task for random (learning rate, dropout) pairs, ``p`` fixed
    (Fig. 4a,b, Fig. 7);
``regression``
    the motion-capture regression task for random ``p``, learning rate fixed
    (Fig. 4c,d, Fig. 7).

The data are the paper's (:func:`default_data`): *War and Peace* for the
character task and two CMU motion capture trials for the regression task.

The file is rewritten after every run and runs already in it are skipped, so an
interrupted command picks up where it stopped (the run in progress resumes from
its checkpoint in ``.cache/lyaplearn-ch07``). Table 1 (:func:`cost_table`) comes
from the same runs plus a side-by-side timing of hidden-only and full-state
spectra.

Everything after that is analysis of the file, cheap and deterministic:
correlations with bootstrap confidence intervals (:func:`correlation`), the
prediction of each run's final loss from its spectrum after one or two epochs
on held-out runs (:func:`readout_prediction`), and hyperparameter searches by
successive halving replayed on the recorded curves (:func:`search_replay`),
with early stopping on the spectrum, on the early validation loss, or none.
:func:`optuna_search` runs the same idea live with Optuna's pruner (the
``tune`` extra).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from . import style
from .training import FEATURES, RunConfig, best_val_loss, record_spectrum, make_model, train_run

__all__ = [
    "SIZES",
    "REG_P_RANGE",
    "plan",
    "run_experiments",
    "load_results",
    "final_losses",
    "feature_at",
    "correlation",
    "spearman",
    "reduced_change",
    "settling",
    "final_full_feature",
    "correlation_table",
    "pass_fraction",
    "readout_prediction",
    "search_replay",
    "cost_table",
    "optuna_search",
    "plot_fig3",
    "plot_fig4",
    "plot_fig7",
    "plot_readout",
    "plot_search",
    "RESULTS_DIR",
    "DATA_NAMES",
    "default_data",
]

RESULTS_DIR = Path(__file__).resolve().parent / "results"
SIGN_RULE = {"char": ("max", -1.0), "regression": ("mean", -1.0)}
"""The book's rule built from the paper's correlation signs, per task: the feature the paper
relates to the loss, and the sign that turns its 'larger is better' into a low score."""

REG_P_RANGE = (0.05, 0.5)
"""The interval from which the motion family draws the initialisation parameter ``p``
(uniformly, learning rate fixed), the paper's range (Vogt et al. 2022, section 5.4)."""

# Settings of the three sizes. "full" (the committed results of chapter 7) is sized to run in
# well under an hour on one thread of a 2-core machine; the file records its own wall time.
SIZES = {
    "quick": dict(hidden=16, batch=16, steps_per_epoch=4, epochs=3, conv_epochs=3,
                  conv_ps=(0.04, 0.2, 0.5), n_char=6, n_reg=6, eval_len=1000, probe_steps=40,
                  probe_warmup=20),
    "medium": dict(hidden=48, batch=32, steps_per_epoch=25, epochs=8, conv_epochs=10,
                   conv_ps=(0.04, 0.08, 0.16, 0.5), n_char=24, n_reg=20, eval_len=3000,
                   probe_steps=100, probe_warmup=50),
    "full": dict(hidden=64, batch=32, steps_per_epoch=30, epochs=12, conv_epochs=15,
                 conv_ps=(0.04, 0.08, 0.12, 0.16, 0.2, 0.5), n_char=48, n_reg=40, eval_len=3000,
                 probe_steps=100, probe_warmup=50),
}


def plan(size: str, seed: int = 0) -> dict:
    """The runs of a size: ``{run_id: RunConfig}``, drawn reproducibly from ``seed``."""
    if size not in SIZES:
        raise ValueError(f"size must be one of {tuple(SIZES)}, got {size!r}")
    s = SIZES[size]
    common = dict(hidden=s["hidden"], batch=s["batch"], steps_per_epoch=s["steps_per_epoch"],
                  eval_len=s["eval_len"], probe_steps=s["probe_steps"],
                  probe_warmup=s["probe_warmup"])
    rng = np.random.default_rng(seed)
    runs = {}
    for i, p in enumerate(s["conv_ps"]):
        runs[f"convergence/{i}"] = RunConfig(task="char", p=float(p), lr=3e-3,
                                             epochs=s["conv_epochs"], seed=seed + i, **common)
    for i in range(s["n_char"]):   # the paper samples learning rate and log-dropout, p = 0.08
        lr = float(10 ** rng.uniform(-3.5, -1.7))
        dropout = float(10 ** rng.uniform(-3, -0.7))
        runs[f"char/{i}"] = RunConfig(task="char", p=0.08, lr=round(lr, 6),
                                      dropout=round(dropout, 4), epochs=s["epochs"],
                                      seed=seed + 100 + i, **common)
    reg = dict(common, eval_len=min(common["eval_len"], 700), probe_warmup=25,
               probe_steps=min(common["probe_steps"], 100))
    for i in range(s["n_reg"]):    # the paper varies p in [0.05, 0.5], learning rate fixed
        p = float(rng.uniform(*REG_P_RANGE))
        runs[f"regression/{i}"] = RunConfig(task="regression", p=round(p, 4), lr=5e-3,
                                            seq_len=25, epochs=s["epochs"],
                                            seed=seed + 200 + i, **reg)
    return runs


def _round(obj, digits: int = 5):
    if isinstance(obj, float):
        return obj if not math.isfinite(obj) else float(f"{obj:.{digits}g}")
    if isinstance(obj, dict):
        return {k: _round(v, digits) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_round(v, digits) for v in obj]
    return obj


def _write(path: Path, results: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(_round(results), separators=(",", ":")))
    os.replace(tmp, path)


def load_results(path: str | os.PathLike | None = None, size: str = "full") -> dict:
    """Read a results file (default: the committed ``lyaplearn/results/ch07_<size>.json``)."""
    path = Path(path) if path is not None else RESULTS_DIR / f"ch07_{size}.json"
    if not path.is_file():
        raise FileNotFoundError(f"no results file {path}: run `python -m lyaplearn.experiments "
                                f"--size {size}` to make it")
    return json.loads(path.read_text())


def _timing(data: dict, cfgs: dict, repeats: int = 3) -> dict:
    """Seconds of one hidden-only and one full-state spectrum, side by side, per task."""
    out = {}
    for task in ("char", "regression"):
        cfg = next((c for c in cfgs.values() if c.task == task), None)
        if cfg is None:
            continue
        model = make_model(cfg, data[task])
        from .training import probe_inputs
        probe = probe_inputs(model, data[task].test, cfg)
        t = {"hidden": [], "full": []}
        for _ in range(repeats):
            for st in ("hidden", "full"):
                t[st].append(record_spectrum(model, probe, cfg, state=st)[2])
        out[task] = {st: float(np.median(v)) for st, v in t.items()}
    return out


DATA_NAMES = {"char": "warandpeace", "regression": "cmu-mocap"}
"""What the default data of each task are, recorded in every results file."""


def default_data(root=None) -> dict:
    """The paper's data: ``{"char": War and Peace splits, "regression": CMU motion capture splits}``."""
    from . import data as D
    from .mocap import mocap_splits

    return {"char": D.text_splits(root=root), "regression": mocap_splits(root=root)}


def _final_full(checkpoint: Path, cfg: RunConfig, data) -> dict:
    """Features of the full-state (h, c) spectrum of the trained network saved in ``checkpoint``.

    The recorded spectra use ``cfg.state`` (the paper's hidden-only matrix); this
    one extra spectrum per run, of the LSTM's actual map, lets the analysis check
    that a result does not hang on that choice.
    """
    from .training import probe_inputs

    model = make_model(cfg, data)
    model.load_state_dict(torch.load(checkpoint, weights_only=False)["model"])
    model.eval()
    spec, feats, sec = record_spectrum(model, probe_inputs(model, data.test, cfg), cfg,
                                       state="full")
    return {"spectrum": [float(v) for v in spec], "features": feats, "seconds": sec}


def run_experiments(size: str = "quick", out: str | os.PathLike | None = None, *,
                    seed: int = 0, only: str | None = None, progress: bool = True,
                    data: dict | None = None) -> dict:
    """Train every run of :func:`plan` not yet in ``out`` and write ``out`` after each.

    ``only`` restricts to one family (``"convergence"``, ``"char"``, ``"regression"``).
    ``data`` maps task to splits (default: the paper's data, *War and Peace* and
    the CMU motion capture trials, see :func:`default_data`).
    """
    path = Path(out) if out is not None else RESULTS_DIR / f"ch07_{size}.json"
    cfgs = plan(size, seed)
    if only is not None:
        cfgs = {k: v for k, v in cfgs.items() if k.split("/")[0] == only}
        if not cfgs:
            raise ValueError(f"only must be 'convergence', 'char' or 'regression', got {only!r}")
    names = dict(DATA_NAMES) if data is None else {k: "given" for k in DATA_NAMES}
    if data is None:
        data = default_data()
    results = {"size": size, "seed": seed, "settings": SIZES[size], "runs": {},
               "timing": {}, "meta": {}, "data": names}
    if path.is_file():
        old = json.loads(path.read_text())
        # resume only a file of the same plan on the same data
        if (old.get("size"), old.get("seed"), old.get("data")) == (size, seed, names):
            results = old
    ckdir = Path(__file__).resolve().parents[1] / ".cache" / "lyaplearn-ch07" / size
    ckdir.mkdir(parents=True, exist_ok=True)
    todo = [k for k in cfgs if not results["runs"].get(k, {}).get("complete")]
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=len(cfgs), initial=len(cfgs) - len(todo), desc=f"ch07 {size}")
    t_start = time.perf_counter()
    for key in todo:
        ck = ckdir / (key.replace("/", "_") + ".pt")
        run = train_run(cfgs[key], data[cfgs[key].task], checkpoint=ck, progress=progress)
        run["final_full"] = _final_full(ck, cfgs[key], data[cfgs[key].task])
        results["runs"][key] = run
        _write(path, results)
        ck.unlink(missing_ok=True)
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    if todo or not results["timing"]:
        results["timing"] = _timing(data, cfgs)
    results["meta"].update({
        "wall_seconds_last_invocation": time.perf_counter() - t_start,
        "torch": torch.__version__, "threads": torch.get_num_threads(),
        "machine": platform.machine(), "python": platform.python_version()})
    _write(path, results)
    return results


# ---------------------------------------------------------------------------
# Analysis
# ---------------------------------------------------------------------------

def _family(results: dict, family: str) -> list[dict]:
    runs = [v for k, v in results["runs"].items() if k.split("/")[0] == family]
    if not runs:
        raise ValueError(f"results have no runs of family {family!r}")
    return runs


def final_losses(results: dict, family: str) -> np.ndarray:
    """Best validation loss of every run of a family."""
    return np.array([best_val_loss(r) for r in _family(results, family)])


def feature_at(results: dict, family: str, feature: str, epoch: int = -1) -> np.ndarray:
    """A spectrum feature (``max``, ``mean``, ``variance``) or ``val_loss`` at an epoch, per run."""
    out = []
    for r in _family(results, family):
        rec = r["records"][epoch]
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
                      **kw) -> dict:
    """Correlation with the best validation loss of every spectrum feature, three ways.

    Returns ``{(family, feature, kind): correlation(...)}`` for ``kind``
    ``"hidden"`` (the recorded spectrum after training), ``"full"`` (the
    full-state spectrum of the final network, ``final_full``) and ``"init"``
    (the recorded spectrum before training). ``kw`` goes to :func:`correlation`.
    """
    out = {}
    for family in families:
        loss = final_losses(results, family)
        for feat in features:
            out[family, feat, "hidden"] = correlation(feature_at(results, family, feat), loss, **kw)
            out[family, feat, "full"] = correlation(final_full_feature(results, family, feat),
                                                    loss, **kw)
            out[family, feat, "init"] = correlation(feature_at(results, family, feat, 0), loss,
                                                    **kw)
    return out


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
    2.5 and 97.5 percentiles (``r``, ``low``, ``high``) and ``n`` runs.
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
        lo, med, hi = np.quantile(rs, [0.025, 0.5, 0.975])
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


# ---------------------------------------------------------------------------
# Live search with Optuna (optional extra "tune")
# ---------------------------------------------------------------------------

def optuna_search(data, base: RunConfig, n_trials: int = 8, *, readout: str = "spectrum",
                  rung: int = 1, storage: str | None = None, study_name: str = "ch07",
                  seed: int = 0, lr_range=(3e-4, 2e-2), dropout_range=(1e-3, 0.2)):
    """Search learning rate and dropout with Optuna, pruning on the spectrum readout.

    Each trial trains ``base`` with a sampled learning rate and dropout. After
    epoch ``rung`` it reports an intermediate value to Optuna's
    ``MedianPruner``: the paper's spectrum readout (``readout="spectrum"``:
    -lambda_max for text, -mean exponent for regression) or the validation loss
    (``"val_loss"``); ``readout=None`` prunes nothing. The objective is the
    best validation loss. ``storage`` is an Optuna storage URL: ``None`` keeps
    the study in memory; ``"sqlite:///ch07.db"`` keeps it in a file; a
    database server URL such as ``"postgresql://user:pw@host/db"`` shared by
    several machines lets each run this same function with the same
    ``study_name`` and they cooperate on one study (create the study once
    before starting them, e.g. ``optuna create-study``: processes that find an
    empty database at once race to create its tables). Each trial records the
    process that ran it (user attribute ``worker``). Returns the study.
    """
    import optuna

    if readout not in ("spectrum", "val_loss", None):
        raise ValueError(f"readout must be 'spectrum', 'val_loss' or None, got {readout!r}")
    feat, sign = SIGN_RULE[base.task]
    pruner = (optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=0)
              if readout else optuna.pruners.NopPruner())
    study = optuna.create_study(study_name=study_name, storage=storage, load_if_exists=True,
                                sampler=optuna.samplers.TPESampler(seed=seed), pruner=pruner)

    def objective(trial):
        lr = trial.suggest_float("lr", *lr_range, log=True)
        dropout = trial.suggest_float("dropout", *dropout_range, log=True)
        cfg = replace(base, lr=lr, dropout=dropout, seed=base.seed + trial.number)
        # which process ran the trial: several machines can share one study
        trial.set_user_attr("worker", f"{platform.node()}:{os.getpid()}")

        def cb(rec):
            if readout is None or rec["epoch"] != rung:
                return False
            value = sign * rec["features"][feat] if readout == "spectrum" else rec["val_loss"]
            trial.report(value, rec["epoch"])
            return trial.should_prune()

        run = train_run(cfg, data, callback=cb)
        trial.set_user_attr("epochs", len(run["records"]) - 1)
        if not run["complete"]:
            raise optuna.TrialPruned()
        return best_val_loss(run)

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study.optimize(objective, n_trials=n_trials)
    return study


# ---------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------

def _loss_colors(losses):
    import matplotlib as mpl
    norm = mpl.colors.Normalize(vmin=np.min(losses), vmax=np.max(losses))
    cmap = mpl.colormaps["viridis"]
    return cmap, norm


def _index(k: int) -> np.ndarray:
    return np.arange(1, k + 1)


@style.styled
def plot_fig3(results: dict, *, figsize=(13.0, 6.4)):
    """Fig. 3: spectra over training for several p, their change between epochs, the mean's drift."""
    runs = _family(results, "convergence")
    fig, axes = style.figure(2, 3, figsize=figsize)
    E = len(runs[0]["records"]) - 1
    shown = (0, min(E, max(1, E // 3)), E)
    for j, e in enumerate(shown):
        ax = axes[0, j]
        for r in runs:
            s = r["records"][e]["spectrum"]
            ax.plot(_index(len(s)), s, label=f"p = {r['config']['p']:g}")
        ax.set_title(f"({'abc'[j]}) after {e} epochs" if e else "(a) before training")
        ax.set_xlabel("exponent index i")
        ax.set_ylabel(f"λ_i ({style.NATS_PER_STEP})")
    axes[0, 0].legend(fontsize=8)
    ax = axes[1, 0]
    t = np.arange(1, E + 1)
    for r in runs:
        S = np.array([rec["spectrum"] for rec in r["records"]])
        ax.loglog(t, reduced_change(S), marker="o", ms=3, label=f"p = {r['config']['p']:g}")
    ax.loglog(t, 1.0 / t, "k--", label="1/t")
    ax.set_xlabel("epoch t")
    ax.set_ylabel("relative squared change (1)")
    ax.set_title("(d) change between successive epochs")
    ax = axes[1, 1]
    for r in runs:
        m = np.array([rec["features"]["mean"] for rec in r["records"]])
        ax.plot(np.arange(E + 1), m[-1] - m, marker="o", ms=3)
    ax.axhline(0, color="k", lw=0.8)
    ax.set_xlabel("epoch t")
    ax.set_ylabel(f"mean λ(final) − mean λ(t) ({style.NATS_PER_STEP})")
    ax.set_title("(e) drift of the mean exponent")
    ax = axes[1, 2]
    for r in runs:
        ax.plot(np.arange(E + 1), [rec["val_loss"] for rec in r["records"]], marker="o", ms=3)
    ax.set_xlabel("epoch t")
    ax.set_ylabel("validation loss (nats per character)")
    ax.set_title("(f) validation loss")
    return fig


def _corr_label(c: dict) -> str:
    return f"r = {c['r']:.2f} [{c['low']:.2f}, {c['high']:.2f}], n = {c['n']}"


@style.styled
def plot_fig4(results: dict, *, figsize=(11.0, 7.0)):
    """Fig. 4: spectra coloured by validation loss; loss against λ_max (text) and mean λ (regression)."""
    fig, axes = style.figure(2, 2, figsize=figsize)
    units = {"char": "nats per character", "regression": "mean-squared error (1)"}
    for row, family in enumerate(("char", "regression")):
        loss = final_losses(results, family)
        cmap, norm = _loss_colors(loss)
        ax = axes[row, 0]
        for r, l in zip(_family(results, family), loss):
            s = r["records"][-1]["spectrum"]
            ax.plot(_index(len(s)), s, color=cmap(norm(l)), lw=1)
        sm = __import__("matplotlib").cm.ScalarMappable(norm=norm, cmap=cmap)
        fig.colorbar(sm, ax=ax, label=f"best validation loss ({units[family]})")
        ax.set_xlabel("exponent index i")
        ax.set_ylabel(f"λ_i ({style.NATS_PER_STEP})")
        ax.set_title(f"({'ac'[row]}) {family}: spectra after training")
        feat = SIGN_RULE[results['runs'][next(k for k in results['runs'] if k.startswith(family))]['config']['task']][0]
        x = feature_at(results, family, feat)
        c = correlation(x, loss)
        ax = axes[row, 1]
        ax.scatter(x, loss, c=loss, cmap=cmap, norm=norm, s=18)
        ax.set_xlabel(f"{'λ_max' if feat == 'max' else 'mean λ'} ({style.NATS_PER_STEP})")
        ax.set_ylabel(f"best validation loss ({units[family]})")
        ax.set_title(f"({'bd'[row]}) {_corr_label(c)}", fontsize=9)
    return fig


@style.styled
def plot_fig7(results: dict, *, figsize=(12.0, 6.6)):
    """Fig. 7: every spectrum feature after training against the best validation loss."""
    fig, axes = style.figure(2, 3, figsize=figsize)
    names = {"max": "λ_max", "mean": "mean λ", "variance": "variance of λ"}
    units = {"max": style.NATS_PER_STEP, "mean": style.NATS_PER_STEP,
             "variance": "nats² per step²"}
    for row, family in enumerate(("char", "regression")):
        loss = final_losses(results, family)
        for j, f in enumerate(FEATURES):
            x = feature_at(results, family, f)
            c = correlation(x, loss)
            ax = axes[row, j]
            ax.scatter(x, loss, s=14)
            ax.set_xlabel(f"{names[f]} ({units[f]})")
            ax.set_ylabel(f"{family}: best validation loss (1)")
            ax.set_title(_corr_label(c), fontsize=9)
    return fig


@style.styled
def plot_readout(results: dict, *, epochs=None, figsize=(11.0, 3.8)):
    """Held-out rank correlation of predicted and final loss, by the epoch the readout is taken."""
    fig, axes = style.figure(1, 2, figsize=figsize)
    for ax, family in zip(axes, ("char", "regression")):
        E = len(_family(results, family)[0]["records"]) - 1
        ep = list(epochs or range(0, E))
        for j, name in enumerate(("spectrum", "val_loss", "both")):
            cs = [readout_prediction(results, family, e, n_splits=100)[name] for e in ep]
            x = np.array(ep) + (j - 1) * 0.1
            r = np.array([c["r"] for c in cs])
            err = np.array([[c["r"] - c["low"], c["high"] - c["r"]] for c in cs]).T
            ax.errorbar(x, r, yerr=err, marker="o", ms=4, capsize=2,
                        label={"spectrum": "spectrum features", "val_loss": "validation loss",
                               "both": "both"}[name])
        ax.axhline(0, color="k", lw=0.8)
        ax.set_ylim(-1.05, 1.05)
        ax.set_xlabel("epoch of the readout")
        ax.set_ylabel("Spearman ρ on held-out runs (1)")
        ax.set_title(family)
    axes[0].legend(fontsize=8)
    return fig


@style.styled
def plot_search(results: dict, *, rung: int = 1, keep: float = 0.25, figsize=(11.0, 3.8)):
    """Successive halving with and without the spectrum readout: regret against epochs spent."""
    fig, axes = style.figure(1, 2, figsize=figsize)
    labels = {"none": "no early stopping", "spectrum": "spectrum, sign from the paper",
              "spectrum_fit": "spectrum, calibrated readout",
              "val_loss": "validation loss", "random": "random"}
    for ax, family in zip(axes, ("char", "regression")):
        s = search_replay(results, family, rung=rung, keep=keep)
        for name, lab in labels.items():
            v = s[name]
            ax.errorbar(v["epochs"], v["regret"], yerr=2 * v["regret_se"], marker="o",
                        capsize=3, ls="none", label=lab)
        ax.set_xlabel("epochs trained per search (training units)")
        ax.set_ylabel("regret: best found − pool best (loss units)")
        ax.set_title(f"{family}: pools of {s['settings']['pool']}, rung {rung}, keep {keep:g}")
    axes[0].legend(fontsize=8)
    return fig


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m lyaplearn.experiments",
                                 description="Chapter 7: train the runs of section 5 and record spectra.")
    ap.add_argument("--size", choices=tuple(SIZES), default="full")
    ap.add_argument("--quick", action="store_true", help="same as --size quick")
    ap.add_argument("--out", help="results file (default lyaplearn/results/ch07_<size>.json)")
    ap.add_argument("--only", choices=("convergence", "char", "regression"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    size = "quick" if a.quick else a.size
    t0 = time.perf_counter()
    res = run_experiments(size, a.out, seed=a.seed, only=a.only)
    print(f"{len(res['runs'])} runs in the results file; this invocation took "
          f"{time.perf_counter() - t0:.0f} s")
    for row in cost_table(res) if {"char", "regression"} <= {k.split('/')[0] for k in res["runs"]} else []:
        print(f"{row['task']}: spectrum = {row['le_units'][0]:.3f} epochs, "
              f"{100 * row['fraction'][0]:.1f}% of training to the best epoch")
    return 0


if __name__ == "__main__":
    sys.exit(main())
