"""Chapter 9's larger networks: ``lambda_max`` and spectra for several sizes, as a results file.

:func:`run_sizes` writes ``lyaplearn/results/ch09_full.json`` (``python -m
lyaplearn.edge``; ``--quick`` for a check of a few seconds), :func:`load_results` reads it
back and :func:`main` is the command line. Import them from :mod:`lyaplearn.edge`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from .._paths import results_dir, results_file, results_out_dir
from ._measure import positive_band, rnn_lambda_measured, rnn_spectra

RESULTS = results_dir()   # the committed results, package data (read-only)

SIZES = {
    "quick": dict(sizes=[32, 64], gains=[1.5, 2.5], sigmas=[0.0], seeds=2, steps=200,
                  warmup=100, spectrum_sizes=[32, 64], spectrum_steps=150),
    "full": dict(sizes=[32, 64, 128, 256, 512], gains=[0.5, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0],
                 sigmas=[0.0, 0.5, 1.0], seeds=6, steps=1000, warmup=500,
                 spectrum_sizes=[64, 128, 256], spectrum_steps=500, band_size=128),
}


def run_sizes(size: str = "full", out: str | os.PathLike | None = None, *, g_spectrum: float = 2.5,
              seed: int = 0) -> dict:
    """Measure ``lambda_max`` against theory for several ``N``, and full spectra; write JSON.

    ``size="full"`` is what ``lyaplearn/results/ch09_full.json`` holds
    (``python -m lyaplearn.edge``); ``"quick"`` is a check of a few seconds. ``out`` defaults to
    ``ch09_<size>.json`` in ``lyaplearn._paths.results_out_dir()`` (the checkout's
    ``lyaplearn/results/``, or the user's data folder when the library is installed).
    """
    if size not in SIZES:
        raise ValueError(f"size must be one of {tuple(SIZES)}, got {size!r}")
    s = SIZES[size]
    t0 = time.perf_counter()
    lam = {}
    for sigma in s["sigmas"]:
        for n in s["sizes"]:
            for g in s["gains"]:
                v = rnn_lambda_measured(g, sigma, n, seeds=s["seeds"], steps=s["steps"],
                                        warmup=s["warmup"], seed=seed)
                lam[f"{sigma:g}/{n}/{g:g}"] = [round(float(x), 6) for x in v]
    spectra = rnn_spectra(g_spectrum, 0.0, s["spectrum_sizes"], steps=s["spectrum_steps"],
                          warmup=s["warmup"], trajectories=2, seed=seed)
    band = positive_band(n=s["band_size"]) if "band_size" in s else {}
    res = {
        "size": size,
        "settings": dict(s, g_spectrum=g_spectrum, seed=seed),
        "lambda_max": lam,
        "spectra": {str(n): [round(float(x), 6) for x in v] for n, v in spectra.items()},
        "positive_band": {f"{g:g}": counts for g, counts in band.items()},
        "meta": {"wall_seconds": round(time.perf_counter() - t0, 1),
                 "python": sys.version.split()[0], "numpy": np.__version__},
    }
    path = Path(out) if out is not None else results_out_dir() / f"ch09_{size}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(res, indent=1) + "\n", encoding="utf-8")
    return res


def load_results(path: str | os.PathLike | None = None, size: str = "full") -> dict:
    """Read a results file of :func:`run_sizes` (the committed full-size one by default).

    Returns the JSON dictionary with ``lambda_max`` turned into
    ``{(sigma, n, g): array of per-seed exponents}`` and ``spectra`` into
    ``{n: array}``.
    """
    p = results_file(f"ch09_{size}.json") if path is None else (
        path if hasattr(path, "read_text") else Path(path))
    if not p.is_file():
        raise ValueError(f"path must be a results file of run_sizes, got {str(p)!r} (run "
                         "`python -m lyaplearn.edge` to make it)")
    res = json.loads(p.read_text(encoding="utf-8"))
    lam = {}
    for key, v in res["lambda_max"].items():
        sg, n, g = key.split("/")
        lam[(float(sg), int(n), float(g))] = np.array(v)
    res["lambda_max"] = lam
    res["spectra"] = {int(n): np.array(v) for n, v in res["spectra"].items()}
    res["positive_band"] = {float(g): np.array(v) for g, v in res.get("positive_band", {}).items()}
    return res


def main(argv=None) -> int:
    """``python -m lyaplearn.edge [--quick] [--out PATH]``."""
    ap = argparse.ArgumentParser(prog="python -m lyaplearn.edge",
                                 description="Chapter 9: lambda_max and spectra of random tanh "
                                             "RNNs for several sizes, written as JSON.")
    ap.add_argument("--quick", action="store_true", help="a check of a few seconds")
    ap.add_argument("--out", default=None, help="output path (default ch09_<size>.json in "
                    "lyaplearn/results/ of the checkout, or in the user's data folder when installed)")
    args = ap.parse_args(argv)
    size = "quick" if args.quick else "full"
    res = run_sizes(size, args.out)
    print(f"wrote {args.out or results_out_dir() / f'ch09_{size}.json'} in {res['meta']['wall_seconds']} s")
    return 0
