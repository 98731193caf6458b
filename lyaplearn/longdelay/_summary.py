"""Summaries of a chapter 10 results file, for the chapter's text and figures."""

from __future__ import annotations

import numpy as np

from ._experiment import rates_by_delay
from ._tasks import TASKS


def complete_seeds(res: dict) -> int:
    """The number of seeds, after checking that every (task, condition, delay) has them all."""
    cells: dict = {}
    for r in res["runs"].values():
        cells.setdefault((r["task"], r["condition"], r["delay"]), set()).add(r["seed"])
    if not cells:
        raise ValueError("res holds no runs")
    seeds = set.union(*cells.values())
    short = [k for k, v in cells.items() if v != seeds]
    if short:
        raise ValueError(f"res is incomplete: {len(short)} cells lack some of the seeds "
                         f"{sorted(seeds)}, e.g. {short[0]}")
    return len(seeds)


def format_rates(res: dict) -> str:
    """Per task a header of delays, then one line per condition: successes/n and the Wilson
    interval at each delay (lines of at most 85 characters for four delays)."""
    lines = []
    for task in TASKS:
        by_cond = rates_by_delay(res, task)
        if not by_cond:
            continue
        ds = next(iter(by_cond.values()))[0]
        lines.append(f"{task:13s}" + "".join(f"{'delay ' + str(d):18s}" for d in ds).rstrip())
        for cond, (_, rs) in by_cond.items():
            cells = " ".join(f"{r.successes:2d}/{r.n:<2d} [{r.lo:.2f},{r.hi:.2f}]" for r in rs)
            lines.append(f"{cond:13s}{cells}")
    return "\n".join(lines)


def spectra_arrays(res: dict) -> dict:
    """``{"plain" | "flossed" | "orthogonal": {field: array over seeds}}`` of the spectra part.

    Fields: ``spectrum`` (S, H) exponents, ``rates`` (S, H) singular-value rates of the
    long-term Jacobian, ``log10_cond_k`` and ``log10_cond`` (S,), ``horizon`` (an int).
    """
    spec = res["spectra"]
    out = {}
    for name in ("plain", "flossed", "orthogonal"):
        recs = [s[name] for s in spec.values()]
        out[name] = {f: np.array([r[f] for r in recs])
                     for f in ("spectrum", "rates", "log10_cond_k", "log10_cond")}
        out[name]["horizon"] = int(recs[0]["horizon"])
    return out


def floss_overhead(res: dict) -> dict:
    """``{condition: {delay: flossing seconds / training seconds}}``, summed over seeds."""
    spent: dict = {}
    for r in res["runs"].values():
        if r["condition"].startswith("floss"):
            s = spent.setdefault(r["condition"], {}).setdefault(r["delay"], [0.0, 0.0])
            s[0] += r["train_seconds"]
            s[1] += r["floss_seconds"]
    return {c: {d: f / t for d, (t, f) in sorted(v.items())} for c, v in spent.items()}
