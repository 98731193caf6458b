"""Bridging a long delay, with and without gradient flossing (chapter 10).

The experiment of chapter 10: two tasks whose answer lies ``delay`` steps after the cue
(:func:`delayed_copy`, :func:`delayed_xor`), a small tanh RNN trained on them under four
conditions (plain, flossing before training, flossing during training, orthogonal
initialisation; :func:`train_run`), success rates over seeds with Wilson intervals
(:func:`success_rate`), and the long-term Jacobian before and after flossing
(:func:`jacobian_summary`). ``python -m lyaplearn.longdelay`` regenerates the committed
results file; the flossing itself is :mod:`lyaplearn.flossing`.

====================  ===========================================================
file                  what it holds
====================  ===========================================================
``_tasks.py``         the two tasks
``_stats.py``         Wilson intervals and success rates
``_train.py``         the network, the four conditions, one training run
``_jacobian.py``      the long-term Jacobian and its condition numbers
``_experiment.py``    the runner, the results file, rates against delay
``_summary.py``       what the chapter reads from a results file
``_plots.py``         the chapter's figures
====================  ===========================================================

Examples
--------
A delayed XOR batch, and the success rate of three runs out of four with its 95 % Wilson
interval:

>>> from lyaplearn import longdelay as ld
>>> b = ld.delayed_xor(2, 3, seed=0)
>>> tuple(b.inputs.shape), bool((b.targets == -b.bits.prod(1)).all())
((2, 5, 2), True)
>>> r = ld.success_rate([True, True, False, True])
>>> r.rate, round(r.lo, 3), round(r.hi, 3)
(0.75, 0.301, 0.954)
"""

from __future__ import annotations

from ._experiment import SIZES, load_results, longest_bridged, rates_by_delay, run
from ._jacobian import JacobianSummary, jacobian_summary, long_term_jacobian, summarise
from ._plots import (plot_costs, plot_jacobian, plot_spectra, plot_success,
                     plot_success_tasks)
from ._stats import Rate, success_rate, wilson_interval
from ._summary import complete_seeds, floss_overhead, format_rates, spectra_arrays
from ._tasks import TASKS, TaskBatch, delayed_copy, delayed_xor, make_batch
from ._train import CONDITIONS, DelayNet, RunResult, TrainConfig, accuracy, make_model, train_run

__all__ = [
    "TASKS", "TaskBatch", "make_batch", "delayed_copy", "delayed_xor",
    "Rate", "wilson_interval", "success_rate",
    "CONDITIONS", "TrainConfig", "DelayNet", "RunResult", "make_model", "train_run", "accuracy",
    "long_term_jacobian", "summarise", "jacobian_summary", "JacobianSummary",
    "SIZES", "run", "load_results", "rates_by_delay", "longest_bridged",
    "complete_seeds", "format_rates", "spectra_arrays", "floss_overhead",
    "plot_success", "plot_success_tasks", "plot_spectra", "plot_jacobian", "plot_costs",
]
