"""Where chapter 7's training runs started: their networks rebuilt at initialisation.

A run of :mod:`lyaplearn.experiments` is a function of its configuration and its data, so
its network before the first optimiser step can be rebuilt from the results file alone
(:func:`lyaplearn.training.make_model`: the same ``p``, seed, inputs and, for the "learned"
recipe, the residual head that starts at zero). :func:`initial_spectra` rebuilds them and
computes their spectra on each run's own probe; with the run's own settings that is the
epoch-0 spectrum the training loop recorded, and :func:`rebuild_error` checks the rebuilding
against the file (the spectrum and the untrained validation loss, which the read-out enters).
:func:`initial_lambda_max` asks what the recorded spectra cannot answer: the largest
exponent of the LSTM's full ``(h, c)`` map at initialisation. Import them from
:mod:`lyaplearn.edge`.
"""

from __future__ import annotations

import numpy as np

from .._checks import _check_int


def _run_data(results: dict, task: str):
    """The splits a results file's runs of ``task`` were trained on, read as they read them."""
    from ..experiments import (DATA_NAMES, LEARNED_DATA_NAMES, STANDIN_DATA_NAMES,
                               default_data, standin_data)

    recipe = results.get("settings", {}).get("recipe", "paper")
    name = results.get("data", {}).get(task)
    if name is None:   # a file from before the data were recorded: the paper's data
        name = (LEARNED_DATA_NAMES if recipe == "learned" else DATA_NAMES)[task]
    if name == STANDIN_DATA_NAMES[task]:
        return standin_data()[task]
    for names, rec in ((LEARNED_DATA_NAMES, "learned"), (DATA_NAMES, "paper")):
        if name == names[task]:
            return default_data(recipe=rec)[task]
    raise ValueError(f"data must be given for runs trained on {name!r} (the default data are "
                     f"the paper's, the learned recipe's and the stand-ins)")


def _select(runs: list, which) -> list:
    if which is None:
        return runs
    idx = np.asarray(which)
    if idx.ndim != 1 or idx.dtype.kind not in "iu" or idx.size == 0 or \
            idx.min() < -len(runs) or idx.max() >= len(runs):
        raise ValueError(f"runs must be indices into the {len(runs)} runs of the family, "
                         f"got {which!r}")
    return [runs[i] for i in idx]


def initial_spectra(results: dict, family: str = "regression", data=None, *, runs=None,
                    state: str | None = None, k: int | None = None,
                    seed: int = 0) -> np.ndarray:
    """Spectrum of each run of ``family`` at initialisation, on the run's own probe.

    Each network is rebuilt from the run's configuration as :func:`lyaplearn.training.train_run`
    built it, and its spectrum computed as the training loop recorded it before the first
    step (:func:`lyaplearn.training.record_spectrum` on :func:`~lyaplearn.training.probe_inputs`
    of the test split): the mean over the probe's sequences, descending, nats per step.
    ``state`` (``"hidden"`` or ``"full"``) and ``k`` default to the run's own; ``data`` to
    the splits the results file names (the paper's, the learned recipe's or the stand-ins,
    read as that recipe reads them). ``runs`` picks runs by their index in the family (in the
    file's order); default: all. ``seed`` draws the random starting frame of a partial
    spectrum (``k`` below the state's size; the training loop's is seed 0); a full spectrum
    starts from the identity, whatever the seed.

    Returns ``(runs, k)``; with the defaults, row ``i`` is the epoch-0 ``spectrum`` of the
    ``i``-th run of the family in the file (to the file's rounding and the arithmetic's).
    """
    from dataclasses import replace

    import torch

    from ..readout import runs as family_runs
    from ..recurrent import lyapunov_spectrum
    from ..training import RunConfig, make_model, probe_inputs

    if state not in (None, "full", "hidden"):
        raise ValueError(f"state must be 'full' or 'hidden', got {state!r}")
    k = _check_int(k, "k", 1, none_ok=True)
    seed = _check_int(seed, "seed", 0)
    chosen = _select(family_runs(results, family), runs)
    if data is None:
        data = _run_data(results, chosen[0]["config"]["task"])
    out = []
    for r in chosen:
        cfg = RunConfig(**r["config"])
        cfg = replace(cfg, k=cfg.k if k is None else k, state=state or cfg.state)
        model = make_model(cfg, data)
        # what training.record_spectrum computes, with the frame's seed named
        res = lyapunov_spectrum(model.lstm, probe_inputs(model, data.test, cfg), k=cfg.k,
                                warmup=cfg.probe_warmup, state=cfg.state, seed=seed,
                                dtype=torch.float64)
        out.append(res.numpy().mean(axis=0))
    return np.array(out)


def rebuild_error(results: dict, family: str = "regression", data=None, *, runs=None) -> float:
    """How far the rebuilt networks are from those the training loop recorded before its first step.

    The largest relative difference, over the chosen ``runs`` of ``family``, between the
    rebuilt and the recorded epoch-0 values: every exponent of :func:`initial_spectra` (the
    run's own convention and ``k``) against the file's ``spectrum``, and the rebuilt
    network's validation loss (:func:`lyaplearn.training.evaluate`) against the file's
    ``val_loss``; the loss is where the read-out enters, which the spectrum does not see. A
    results file keeps five significant digits, so an exact rebuild gives at most ``5e-5``; a
    wrong one (other inputs, another seed, ``p`` or read-out) gives far more.
    """
    from ..readout import runs as family_runs
    from ..training import RunConfig, evaluate, make_model

    chosen = _select(family_runs(results, family), runs)
    if data is None:
        data = _run_data(results, chosen[0]["config"]["task"])
    rebuilt = initial_spectra(results, family, data, runs=runs)
    recorded = np.array([r["records"][0]["spectrum"] for r in chosen])
    if rebuilt.shape != recorded.shape:
        raise ValueError(f"results must record every exponent the runs' k asks for: rebuilt "
                         f"{rebuilt.shape}, recorded {recorded.shape}")
    losses = []
    for r in chosen:
        cfg = RunConfig(**r["config"])
        losses.append(evaluate(make_model(cfg, data), data.val, cfg) / r["records"][0]["val_loss"])
    return float(max(np.abs(rebuilt / recorded - 1).max(), np.abs(np.array(losses) - 1).max()))


def initial_lambda_max(results: dict, family: str = "regression", data=None, *,
                       state: str = "full", seed: int = 0) -> dict:
    """``lambda_max`` of each of chapter 7's networks at initialisation, on its own probe.

    :func:`initial_spectra` with ``k = 1`` in the ``state`` convention (``"full"``: the
    LSTM's ``(h, c)`` map, the stability exponent; ``"hidden"``: the paper's reduction,
    which the results file already records), its random starting frame drawn with ``seed``.

    Returns ``{"p", "lambda_max", "loss"}``: arrays over the runs, with the best
    validation loss of each run.
    """
    from ..readout import final_losses, runs as family_runs

    if state not in ("full", "hidden"):
        raise ValueError(f"state must be 'full' or 'hidden', got {state!r}")
    lam = initial_spectra(results, family, data, state=state, k=1, seed=seed)[:, 0]
    ps = np.array([r["config"]["p"] for r in family_runs(results, family)])
    return {"p": ps, "lambda_max": lam, "loss": final_losses(results, family)}


def run_starts(results: dict, family: str = "regression", data=None, *, n: int = 5,
               seeds=(1, 2, 3, 4)) -> dict:
    """Where the runs of ``family`` started and how they ended, with the checks on both.

    :func:`initial_lambda_max` (full state, starting vector seed 0) with, per run, the best,
    last-epoch and untrained (epoch-0) validation loss from the file; ``best`` and
    ``worst``, the indices of the ``n`` runs with the lowest and highest best loss;
    ``rebuild_error`` (:func:`rebuild_error`) over those ``2 n`` runs; ``seed_spread``, the
    largest change of any run's ``lambda_max`` when the starting vector is drawn with one of
    ``seeds`` instead; ``rho``, the Spearman correlation of ``lambda_max`` and the best loss
    with its bootstrap interval (:func:`lyaplearn.stats.correlation`), and ``rho_seeds``,
    the same for each of ``seeds``.
    """
    from .._checks import _check_int
    from ..readout import correlation, feature_at, runs as family_runs

    runs = family_runs(results, family)
    n = _check_int(n, "n", 1)
    if 2 * n > len(runs):
        raise ValueError(f"n must be at most half the number of runs ({len(runs)}), got {n}")
    if data is None:
        data = _run_data(results, runs[0]["config"]["task"])
    out = initial_lambda_max(results, family, data)
    order = np.argsort(out["loss"], kind="stable")
    best, worst = order[:n], order[-n:]
    others = [initial_lambda_max(results, family, data, seed=s)["lambda_max"] for s in seeds]

    def rho(lam):
        return correlation(lam, out["loss"], method="spearman")

    return dict(out, best=best, worst=worst,
                last_loss=feature_at(results, family, "val_loss", -1),
                untrained=feature_at(results, family, "val_loss", 0),
                rebuild_error=rebuild_error(results, family, data, runs=np.r_[best, worst]),
                seed_spread=max((float(np.abs(v - out["lambda_max"]).max()) for v in others),
                                default=0.0),
                rho=rho(out["lambda_max"]), rho_seeds=[rho(v) for v in others])
