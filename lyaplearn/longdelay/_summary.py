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
    """One line per task and condition: successes/n and the Wilson interval at each delay."""
    lines = []
    for task in TASKS:
        for cond, (ds, rs) in rates_by_delay(res, task).items():
            cells = "  ".join(f"{d:3d}: {r.successes}/{r.n} [{r.lo:.2f}, {r.hi:.2f}]"
                              for d, r in zip(ds, rs))
            lines.append(f"{task:4s} {cond:12s} {cells}")
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
