"""Section 5 of Vogt et al. on real data, and the spectrum as an early readout (chapter 7).

Run it as ``python -m lyaplearn.experiments [--size quick|medium|full]`` (default full). It
trains three families of runs with :func:`lyaplearn.training.train_run`, each
recording validation loss and Lyapunov spectrum before training and after every
epoch, and writes everything to one small JSON file (default ``ch07_<size>.json`` in
``lyaplearn/results/`` of the source checkout, where the committed ones are, or in the user's
data folder when the library is installed: ``lyaplearn._paths.results_out_dir()``):

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

The file is rewritten after every run and runs already in it (trained with the plan's
current settings) are skipped, so an interrupted command picks up where it stopped, and a
changed recipe retrains exactly the runs it changes (the run in progress resumes from
its checkpoint in ``ch07-checkpoints/`` of the user's cache folder, ``~/.cache/lyaplearn`` on
Linux). Table 1 (:func:`lyaplearn.readout.cost_table`) comes
from the same runs plus a side-by-side timing of hidden-only and full-state
spectra.

The analysis of the file (correlations, settling, early readouts, replayed searches, Table 1)
is :mod:`lyaplearn.readout`; the figures (``plot_*``, defined in
``lyaplearn/_readout_plots.py``) draw from it. :func:`optuna_search` runs the
search live with Optuna's pruner (the ``tune`` extra).
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

from ._paths import cache_dir, results_dir, results_file, results_out_dir
from ._readout_plots import plot_fig3, plot_fig4, plot_fig7, plot_readout, plot_search
from .readout import SIGN_RULE, cost_table
from .training import RunConfig, best_val_loss, record_spectrum, make_model, train_run

__all__ = [
    "SIZES",
    "REG_P_RANGE",
    "plan",
    "run_experiments",
    "standin_data",
    "load_results",
    "optuna_search",
    "plot_fig3",
    "plot_fig4",
    "plot_fig7",
    "plot_readout",
    "plot_search",
    "RESULTS_DIR",
    "DATA_NAMES",
    "LEARNED_DATA_NAMES",
    "default_data",
]

RESULTS_DIR = results_dir()
"""The committed results shipped in the package (``importlib.resources``; read-only)."""

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
# The "learned" recipe (issue 28): runs that learn, and settle, within two cores' budget. Text: a
# 128-unit LSTM behind a 32-wide embedding, gradient clipping, 2,000 optimiser steps (20 epochs of
# 100) on the first ``char_train_len`` characters of the training text, so that a run passes over
# its text about 67 times and can reach its best validation epoch before the last, as the paper's
# 40 epochs do; the learning rate is cut by ``char_decay`` every epoch after ``char_decay_after``
# (the paper's 0.95 after 10); the paper's random (learning rate, log-dropout) family kept.
# Motion: a 64-unit LSTM reading the paper's first 20 features, left-right mirrored training
# trials, a network that predicts the change from the last frame (head starting at zero:
# persistence), weight decay; the best validation epoch is kept (early stopping), as in the paper.
LEARNED = dict(recipe="learned", hidden=128, embed=32, batch=32, clip=1.0, eval_len=10000,
               eval_streams=40, probe_steps=100, probe_warmup=50,
               char_epochs=20, char_steps=100, char_decay_after=10, char_decay=0.95,
               char_train_len=96_001, lr_draw="uniform",
               conv_epochs=20, conv_ps=(0.04, 0.08, 0.12, 0.16, 0.2, 0.5), n_char=48,
               n_reg=40, reg_hidden=64, reg_epochs=20, reg_steps=25, reg_lr=3e-3,
               reg_weight_decay=1e-3, reg_decay_after=10, reg_decay=0.85)
SIZES["learned"] = LEARNED
SIZES["learned-quick"] = dict(LEARNED, hidden=16, reg_hidden=16, embed=8, batch=16,
                              eval_len=1000, eval_streams=10, probe_steps=40, probe_warmup=20,
                              char_epochs=3, char_steps=4, char_decay_after=1,
                              char_train_len=8001, conv_epochs=3, conv_ps=(0.04, 0.2, 0.5),
                              n_char=6, n_reg=6, reg_epochs=3, reg_steps=4, reg_decay_after=1)


def plan(size: str, seed: int = 0) -> dict:
    """The runs of a size: ``{run_id: RunConfig}``, drawn reproducibly from ``seed``.

    Examples
    --------
    The three families, and the paper's settings that every motion run shares (25-step
    windows, ``p`` drawn from :data:`REG_P_RANGE`):

    >>> runs = plan("quick")
    >>> sorted({key.split("/")[0] for key in runs})
    ['char', 'convergence', 'regression']
    >>> reg = [c for key, c in runs.items() if key.startswith("regression")]
    >>> all(c.seq_len == 25 and REG_P_RANGE[0] <= c.p <= REG_P_RANGE[1] for c in reg)
    True
    """
    if size not in SIZES:
        raise ValueError(f"size must be one of {tuple(SIZES)}, got {size!r}")
    s = SIZES[size]
    if s.get("recipe") == "learned":
        return _plan_learned(s, seed)
    common = dict(hidden=s["hidden"], batch=s["batch"], steps_per_epoch=s["steps_per_epoch"],
                  eval_len=s["eval_len"], probe_steps=s["probe_steps"],
                  probe_warmup=s["probe_warmup"])
    reg = dict(common, eval_len=min(common["eval_len"], 700), probe_warmup=25,
               probe_steps=min(common["probe_steps"], 100), lr=5e-3, seq_len=25,
               epochs=s["epochs"])
    return _families(s, seed, text=common, char_epochs=s["epochs"], reg=reg)


def _plan_learned(s: dict, seed: int) -> dict:
    """The runs of the "learned" recipe: the same three families, drawn as in :func:`plan`."""
    probe = dict(probe_steps=s["probe_steps"], probe_warmup=s["probe_warmup"])
    text = dict(hidden=s["hidden"], embed=s["embed"], batch=s["batch"], clip=s["clip"],
                steps_per_epoch=s["char_steps"], decay_after=s["char_decay_after"],
                decay=s["char_decay"], eval_len=s["eval_len"], eval_streams=s["eval_streams"],
                train_len=s["char_train_len"], **probe)
    reg = dict(hidden=s["reg_hidden"], batch=s["batch"], seq_len=25, lr=s["reg_lr"],
               weight_decay=s["reg_weight_decay"], residual=True, clip=s["clip"],
               epochs=s["reg_epochs"], steps_per_epoch=s["reg_steps"],
               decay_after=s["reg_decay_after"], decay=s["reg_decay"], eval_len=100_000,
               probe_warmup=25, probe_steps=min(s["probe_steps"], 100))
    return _families(s, seed, text=text, char_epochs=s["char_epochs"], reg=reg)


LR_RANGE = (10 ** -3.5, 10 ** -1.7)
"""The interval of the text runs' learning rates."""
LOG10_DROPOUT_RANGE = (-3.0, -0.7)
"""The interval of the text runs' log10 dropout rates (drawn uniformly, as the paper does)."""


def _families(s: dict, seed: int, *, text: dict, char_epochs: int, reg: dict) -> dict:
    """The three families of a size ``s``, each recipe giving its settings (``text``, ``reg``).

    Convergence runs at ``s["conv_ps"]``; the text runs sample learning rate and log-dropout
    with ``p = 0.08``; the motion runs sample ``p`` from :data:`REG_P_RANGE` with the learning
    rate fixed (as the paper does). The paper samples the learning rate uniformly (section
    5.4, "uniformly sampled a fixed range of log-dropout and learning rate"), which the learned
    recipe follows (``lr_draw="uniform"``) in :data:`LR_RANGE`; the earlier sizes drew its
    logarithm uniformly. Either way each run takes one draw from the same generator, so the
    motion runs' ``p`` are the same for every recipe.
    """
    lr_draw = s.get("lr_draw", "log")
    if lr_draw not in ("log", "uniform"):       # a misspelt draw must not become the log draw
        raise ValueError(f"lr_draw must be 'log' or 'uniform', got {lr_draw!r}")
    uniform_lr = lr_draw == "uniform"
    rng = np.random.default_rng(seed)
    runs = {}
    for i, p in enumerate(s["conv_ps"]):
        runs[f"convergence/{i}"] = RunConfig(task="char", p=float(p), lr=3e-3,
                                             epochs=s["conv_epochs"], seed=seed + i, **text)
    for i in range(s["n_char"]):
        lr = float(rng.uniform(*LR_RANGE) if uniform_lr
                   else 10 ** rng.uniform(*np.log10(LR_RANGE)))
        dropout = float(10 ** rng.uniform(*LOG10_DROPOUT_RANGE))
        runs[f"char/{i}"] = RunConfig(task="char", p=0.08, lr=round(lr, 6),
                                      dropout=round(dropout, 4), epochs=char_epochs,
                                      seed=seed + 100 + i, **text)
    for i in range(s["n_reg"]):
        p = float(rng.uniform(*REG_P_RANGE))
        runs[f"regression/{i}"] = RunConfig(task="regression", p=round(p, 4),
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


def load_results(path=None, size: str = "full") -> dict:
    """Read a results file (default: the committed ``lyaplearn/results/ch07_<size>.json``).

    ``path`` is a file name, a ``pathlib.Path`` or a file of :data:`RESULTS_DIR`; without
    it the committed file of ``size`` is read as package data, wherever the package is installed.
    """
    if path is None:
        path = results_file(f"ch07_{size}.json")
    elif not hasattr(path, "read_text"):
        path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no results file {path}: run `python -m lyaplearn.experiments "
                                f"--size {size}` to make it")
    return json.loads(path.read_text(encoding="utf-8"))


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
LEARNED_DATA_NAMES = {"char": "warandpeace", "regression": "cmu-mocap-first20-mirrored"}
"""The same for the "learned" recipe (its motion inputs: the first 20 features, mirrored trials)."""
STANDIN_DATA_NAMES = {"char": "austen", "regression": "chicago"}
"""The stand-in data (Jane Austen's novels, Chicago's ridership), read as :func:`standin_data`."""


def standin_data(root=None) -> dict:
    """The stand-ins: ``{"char": Austen's novels' splits, "regression": Chicago ridership splits}``.

    Both are cut 80/10/10 in order (:func:`lyaplearn.data.text_splits`,
    :func:`lyaplearn.data.regression_splits`); every recipe reads them the same way.
    """
    from . import data as D

    return {"char": D.text_splits(D.load_text(root)), "regression": D.regression_splits(root=root)}


def default_data(root=None, recipe: str = "paper") -> dict:
    """The paper's data: ``{"char": War and Peace splits, "regression": CMU motion capture splits}``.

    ``recipe="learned"`` prepares the motion trials as that recipe reads them
    (:func:`lyaplearn.mocap.mocap_splits` with ``n_in=20, mirrored=True``).
    """
    from . import data as D
    from .mocap import mocap_splits

    if recipe not in ("paper", "learned"):
        raise ValueError(f"recipe must be 'paper' or 'learned', got {recipe!r}")
    kw = dict(n_in=20, mirrored=True) if recipe == "learned" else {}
    return {"char": D.text_splits(root=root), "regression": mocap_splits(root=root, **kw)}


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


def _current(run: dict | None, cfg: RunConfig) -> bool:
    """Whether ``run`` is complete and was trained with ``cfg`` (a changed recipe is retrained)."""
    if not run or not run.get("complete"):
        return False
    try:
        return RunConfig(**run["config"]).to_dict() == cfg.to_dict()
    except (KeyError, TypeError, ValueError):
        return False


def _write_merged(path: Path, results: dict, key: str | None = None, run: dict | None = None,
                  cfgs: dict | None = None):
    """Write ``results`` (with ``run`` under ``key``) after merging the runs another process wrote.

    Several processes (``shard``) may fill one file: under an exclusive lock, runs
    on disk that ``results`` lacks are taken over before the file is replaced (with
    ``cfgs``, the plan, only runs trained with the plan's configuration).
    """
    import hashlib
    # the lock lives in the user's cache, not beside the results (nothing stray in the package)
    lock = cache_dir("locks") / (hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:16]
                                 + ".lock")
    lock.parent.mkdir(parents=True, exist_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "w") as fh:
        try:
            import fcntl
            fcntl.flock(fh, fcntl.LOCK_EX)
        except ImportError:       # no POSIX locks (Windows): one process per file
            pass
        if path.is_file():
            disk = json.loads(path.read_text())
            same = ("size", "seed", "data")
            if all(disk.get(k) == results.get(k) for k in same):
                for k, r in disk["runs"].items():
                    if cfgs is not None and k in cfgs:
                        if _current(r, cfgs[k]) and not _current(results["runs"].get(k),
                                                                 cfgs[k]):
                            results["runs"][k] = r
                    elif r.get("complete") and not results["runs"].get(k, {}).get("complete"):
                        results["runs"][k] = r
        if key is not None:
            results["runs"][key] = run
        _write(path, results)


def run_experiments(size: str = "quick", out: str | os.PathLike | None = None, *,
                    seed: int = 0, only: str | None = None, progress: bool = True,
                    data: dict | None = None, shard: tuple[int, int] | None = None,
                    standins: bool = False) -> dict:
    """Train every run of :func:`plan` not yet in ``out`` and write ``out`` after each.

    ``out`` defaults to ``ch07_<size>.json`` in ``lyaplearn._paths.results_out_dir()`` (the
    checkout's ``lyaplearn/results/``, or the user's data folder when the library is installed).
    ``only`` restricts to one family (``"convergence"``, ``"char"``, ``"regression"``).
    ``data`` maps task to splits (default: the paper's data, *War and Peace* and
    the CMU motion capture trials, see :func:`default_data`). ``shard=(i, n)`` trains
    only the runs at positions ``i, i + n, ...`` of the plan, so that ``n`` processes
    can fill one file side by side (each merges the others' runs when it writes).
    ``standins=True`` trains on :func:`standin_data` instead (Austen, Chicago; default
    file ``ch07_<size>_standins.json``).
    """
    if standins and data is not None:
        raise ValueError("give either data or standins=True, not both")
    if shard is not None:
        i, n = tuple(shard) + (None,) * (2 - len(shard)) if len(shard) <= 2 else (None, None)
        if not (isinstance(i, int) and isinstance(n, int) and 0 <= i < n):
            raise ValueError(f"shard must be (i, n) with 0 <= i < n, got {shard!r}")
    suffix = "_standins" if standins else ""
    path = Path(out) if out is not None else results_out_dir() / f"ch07_{size}{suffix}.json"
    cfgs = plan(size, seed)
    if only is not None:
        cfgs = {k: v for k, v in cfgs.items() if k.split("/")[0] == only}
        if not cfgs:
            raise ValueError(f"only must be 'convergence', 'char' or 'regression', got {only!r}")
    recipe = SIZES[size].get("recipe", "paper")
    default = LEARNED_DATA_NAMES if recipe == "learned" else DATA_NAMES
    names = dict(default) if data is None else {k: "given" for k in DATA_NAMES}
    if standins:
        names, data = dict(STANDIN_DATA_NAMES), standin_data()
    elif data is None:
        data = default_data(recipe=recipe)
    results = {"size": size, "seed": seed, "settings": SIZES[size], "runs": {},
               "timing": {}, "meta": {}, "data": names}
    if path.is_file():
        old = json.loads(path.read_text())
        # resume only a file of the same plan on the same data
        if (old.get("size"), old.get("seed"), old.get("data")) == (size, seed, names):
            results = old
            results["settings"] = SIZES[size]
            # a run of the plan trained with other settings (the recipe changed) is trained again
            results["runs"] = {k: r for k, r in old["runs"].items()
                               if k not in cfgs or _current(r, cfgs[k])}
    ckdir = cache_dir("ch07-checkpoints", size + suffix)
    ckdir.mkdir(parents=True, exist_ok=True)
    todo = [k for j, k in enumerate(cfgs) if not _current(results["runs"].get(k), cfgs[k])
            and (shard is None or j % shard[1] == shard[0])]
    bar = None
    if progress:
        from tqdm.auto import tqdm
        mine = [j for j in range(len(cfgs)) if shard is None or j % shard[1] == shard[0]]
        bar = tqdm(total=len(mine), initial=len(mine) - len(todo), desc=f"ch07 {size}")
    t_start = time.perf_counter()
    for key in todo:
        ck = ckdir / (key.replace("/", "_") + ".pt")
        run = train_run(cfgs[key], data[cfgs[key].task], checkpoint=ck, progress=progress)
        run["final_full"] = _final_full(ck, cfgs[key], data[cfgs[key].task])
        _write_merged(path, results, key, run, cfgs)
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
    _write_merged(path, results, cfgs=cfgs)
    return results


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
# Command line
# ---------------------------------------------------------------------------

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m lyaplearn.experiments",
                                 description="Chapter 7: train the runs of section 5 and record spectra.")
    ap.add_argument("--size", choices=tuple(SIZES), default="full")
    ap.add_argument("--quick", action="store_true", help="same as --size quick")
    ap.add_argument("--out", help="results file (default ch07_<size>.json in lyaplearn/results/ "
                                  "of the checkout, or in the user's data folder when installed)")
    ap.add_argument("--only", choices=("convergence", "char", "regression"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    ap.add_argument("--shard", help="I/N: train only every N-th run of the plan, from the "
                                    "I-th (0-based); N processes can fill one file together")
    ap.add_argument("--standins", action="store_true",
                    help="train on the stand-in data (Austen's novels, Chicago's ridership); "
                         "results in ch07_<size>_standins.json")
    ap.add_argument("--learned", action="store_true",
                    help="the recipe whose runs learn (issue 28): --size learned, or "
                         "learned-quick with --quick; results in ch07_learned[-quick].json")
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    size = "quick" if a.quick else a.size
    if a.learned:
        size = "learned-quick" if a.quick else "learned"
    shard = None
    if a.shard:
        try:
            shard = tuple(int(v) for v in a.shard.split("/"))
        except ValueError:
            ap.error(f"--shard must be I/N, got {a.shard!r}")
    t0 = time.perf_counter()
    res = run_experiments(size, a.out, seed=a.seed, only=a.only, shard=shard,
                          standins=a.standins)
    name = f"ch07_{size}{'_standins' if a.standins else ''}.json"
    print(f"{len(res['runs'])} runs in {a.out or results_out_dir() / name}; "
          f"this invocation took "
          f"{time.perf_counter() - t0:.0f} s")
    for row in cost_table(res) if {"char", "regression"} <= {k.split('/')[0] for k in res["runs"]} else []:
        print(f"{row['task']}: spectrum = {row['le_units'][0]:.3f} epochs, "
              f"{100 * row['fraction'][0]:.1f}% of training to the best epoch")
    return 0


if __name__ == "__main__":
    sys.exit(main())
