"""Where chapter 7's training runs started: their networks rebuilt at initialisation.

Import :func:`initial_lambda_max` from :mod:`lyaplearn.edge`.
"""

from __future__ import annotations

import numpy as np

def initial_lambda_max(results: dict, family: str = "regression", data=None, *,
                       state: str = "full") -> dict:
    """``lambda_max`` of each of chapter 7's networks at initialisation, on its own probe.

    For every run of ``family`` in a results file of :mod:`lyaplearn.experiments`,
    the network is rebuilt from the run's configuration exactly as training
    started it (:func:`lyaplearn.training.make_model`: the same ``p`` and seed,
    no biases) and its largest exponent is computed on the run's own spectrum
    probe of test data (:func:`lyaplearn.training.probe_inputs`, the same warm-up),
    in the ``state`` convention (``"full"``: the LSTM's ``(h, c)`` map, the
    stability exponent; ``"hidden"``: the paper's reduction, which the results
    file already records). ``data`` are the task's splits (default: the paper's,
    :func:`lyaplearn.experiments.default_data`).

    Returns ``{"p", "lambda_max", "loss"}``: arrays over the runs, with the best
    validation loss of each run.
    """
    from dataclasses import replace

    from ..readout import _family, final_losses
    from ..training import RunConfig, make_model, probe_inputs, record_spectrum

    if state not in ("full", "hidden"):
        raise ValueError(f"state must be 'full' or 'hidden', got {state!r}")
    runs = _family(results, family)
    if data is None:
        from ..experiments import default_data
        data = default_data()[runs[0]["config"]["task"]]
    ps, lam = [], []
    for r in runs:
        cfg = replace(RunConfig(**r["config"]), k=1)
        model = make_model(cfg, data)
        _, feats, _ = record_spectrum(model, probe_inputs(model, data.test, cfg), cfg,
                                      state=state)
        ps.append(cfg.p)
        lam.append(feats["max"])
    return {"p": np.array(ps), "lambda_max": np.array(lam),
            "loss": final_losses(results, family)}
