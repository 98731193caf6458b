"""The chapter 10 experiment: success rate against delay, spectra, and cost (resumable).

``python -m lyaplearn.longdelay`` writes ``ch10_full.json`` (``--quick``: ``ch10_quick.json``,
under a minute) into ``lyaplearn._paths.results_out_dir()``. The file holds three parts:

``spectra``
    For a few seeds: the full Lyapunov spectrum (:func:`lyaplearn.recurrent.lyapunov_spectrum`)
    and the long-term Jacobian's singular-value rates and condition numbers
    (:func:`jacobian_summary`) of the default-initialised network, before and after
    flossing, and of the orthogonal one.
``costs``
    :func:`lyaplearn.flossing.step_costs` at two delays: a flossing step against a
    training step, side by side.
``runs``
    One record per (task, condition, delay, seed) of :func:`train_run`, seeds outermost,
    so that a run cut short holds complete seeds. The file is rewritten after every run
    and a restarted run skips the records it already holds.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from dataclasses import asdict
from pathlib import Path

import torch

from .._paths import results_file, results_out_dir
from ..flossing import ExplodingGradientWarning, floss, step_costs
from ..recurrent import lyapunov_spectrum
from ._jacobian import jacobian_summary
from ._stats import success_rate
from ._tasks import TASKS, make_batch
from ._train import CONDITIONS, TrainConfig, make_model, train_run

SIZES = {
    "quick": dict(delays=[5, 20], seeds=2, tasks=list(TASKS), spectrum_seeds=1,
                  cost_delays=[20], cost_repeats=3,
                  config=dict(hidden=16, steps=40, floss_steps=10, floss_every=20,
                              floss_steps_each=2, test_n=128)),
    "full": dict(delays=[5, 20, 50, 100], seeds=10, tasks=list(TASKS), spectrum_seeds=3,
                 cost_delays=[20, 100], cost_repeats=7, config={}),
}


def _key(task, condition, delay, seed) -> str:
    return f"{task}/{condition}/{delay}/{seed}"


def _write(path: Path, res: dict) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(res, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def spectra_part(cfg: TrainConfig, seeds: int, delay: int = 50) -> dict:
    """Spectra and long-term Jacobians before and after flossing before training."""
    out = {}
    for seed in range(seeds):
        x = make_batch("copy", 8, 200, seed=5_000 + seed).inputs
        xj = make_batch("copy", 8, 20, seed=6_000 + seed).inputs
        rec = {}
        for name in ("plain", "flossed", "orthogonal"):
            model = make_model("orthogonal" if name == "orthogonal" else "plain", seed,
                               cfg.hidden)
            if name == "flossed":
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ExplodingGradientWarning)
                    floss(model, lambda i: make_batch("copy", cfg.floss_batch, delay,
                                                      seed=7_000_000 + 1000 * seed + i).inputs,
                          cfg.k, steps=cfg.floss_steps, lr=cfg.floss_lr, truncate=cfg.truncate)
            lam = lyapunov_spectrum(model.rnn, x, warmup=50).exponents.mean(0)
            js = jacobian_summary(model.rnn, xj, cfg.k)
            rec[name] = dict(spectrum=[float(v) for v in lam], rates=js.rates.tolist(),
                             log10_cond_k=js.log10_cond_k, log10_cond=js.log10_cond,
                             horizon=js.horizon)
        out[str(seed)] = rec
    return out


def costs_part(cfg: TrainConfig, delays, repeats: int) -> dict:
    """:func:`step_costs` of the default-initialised network on task batches."""
    out = {}
    for d in delays:
        model = make_model("plain", 0, cfg.hidden)
        x = make_batch("copy", cfg.batch, d, seed=8_000 + d).inputs
        c = step_costs(model.rnn, x, cfg.k, repeats=repeats, truncate=cfg.truncate)
        out[str(d)] = dict(train=c.train, floss=c.floss, ratio=c.ratio, ratios=c.ratios)
    return out


def run(size: str = "full", out: str | os.PathLike | None = None, *,
        progress: bool = True) -> dict:
    """Run (or resume) the experiment of ``size`` and write it; returns the results."""
    if size not in SIZES:
        raise ValueError(f"size must be one of {tuple(SIZES)}, got {size!r}")
    s = SIZES[size]
    cfg = TrainConfig(**s["config"])
    path = Path(out) if out is not None else results_out_dir() / f"ch10_{size}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    res = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    if res.get("config", asdict(cfg)) != asdict(cfg):
        raise ValueError(f"{path} holds another configuration; move it away to start afresh")
    res.update(size=size, config=asdict(cfg),
               settings={k: v for k, v in s.items() if k != "config"},
               meta={"python": sys.version.split()[0], "torch": torch.__version__,
                     "threads": torch.get_num_threads()})
    res.setdefault("runs", {})
    res.setdefault("wall_seconds", 0.0)
    t0 = time.perf_counter()
    if "spectra" not in res:
        res["spectra"] = spectra_part(cfg, s["spectrum_seeds"])
        _write(path, res)
    if "costs" not in res:
        res["costs"] = costs_part(cfg, s["cost_delays"], s["cost_repeats"])
        _write(path, res)
    for seed in range(s["seeds"]):
        for task in s["tasks"]:
            for delay in s["delays"]:
                for cond in CONDITIONS:
                    key = _key(task, cond, delay, seed)
                    if key in res["runs"]:
                        continue
                    t1 = time.perf_counter()
                    r = train_run(task, cond, delay, seed, cfg)
                    res["runs"][key] = r.as_dict()
                    res["wall_seconds"] += time.perf_counter() - t0
                    t0 = time.perf_counter()
                    _write(path, res)
                    if progress:
                        print(f"{key}: accuracy {r.accuracy:.3f} "
                              f"({time.perf_counter() - t1:.1f} s)", flush=True)
    res["wall_seconds"] += time.perf_counter() - t0
    _write(path, res)
    return res


def load_results(path: str | os.PathLike | None = None, size: str = "full") -> dict:
    """Read a results file of :func:`run` (the committed full-size one by default)."""
    p = results_file(f"ch10_{size}.json") if path is None else (
        path if hasattr(path, "read_text") else Path(path))
    if not p.is_file():
        raise ValueError(f"path must be a results file of lyaplearn.longdelay.run, got "
                         f"{str(p)!r} (run `python -m lyaplearn.longdelay` to make it)")
    return json.loads(p.read_text(encoding="utf-8"))


def rates_by_delay(res: dict, task: str) -> dict:
    """``{condition: (delays, [Rate, ...])}`` of one task, over the seeds the file holds."""
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    table: dict = {}
    for r in res["runs"].values():
        if r["task"] == task:
            table.setdefault(r["condition"], {}).setdefault(r["delay"], []).append(r["success"])
    out = {}
    for cond in CONDITIONS:
        if cond in table:
            delays = sorted(table[cond])
            out[cond] = (delays, [success_rate(table[cond][d]) for d in delays])
    return out


def longest_bridged(res: dict, task: str, level: float = 0.5) -> dict:
    """Per condition, the reach: the longest delay up to which *every* delay had a success
    rate of at least ``level`` (0 when the shortest did not). A longer delay bridged after a
    shorter one failed does not count."""
    out = {}
    for cond, (delays, rates) in rates_by_delay(res, task).items():
        out[cond] = 0
        for d, r in sorted(zip(delays, rates), key=lambda dr: dr[0]):
            if r.rate < level:
                break
            out[cond] = d
    return out


def main(argv=None) -> int:
    """``python -m lyaplearn.longdelay [--quick] [--out PATH]``."""
    ap = argparse.ArgumentParser(prog="python -m lyaplearn.longdelay",
                                 description="Chapter 10: success rate against delay with and "
                                             "without gradient flossing, written as JSON.")
    ap.add_argument("--quick", action="store_true", help="a check of under a minute")
    ap.add_argument("--out", default=None, help="output path (default ch10_<size>.json in "
                    "lyaplearn/results/ of the checkout, or the user's data folder)")
    ap.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    size = "quick" if args.quick else "full"
    res = run(size, args.out)
    print(f"{len(res['runs'])} runs in {res['wall_seconds']:.0f} s")
    return 0


if __name__ == "__main__":   # pragma: no cover
    sys.exit(main())
