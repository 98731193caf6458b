"""Chapter 9: the edge of chaos measured, beside the mean-field predictions.

Each prediction of :mod:`lyaplearn.meanfield` is measured here with one of the
book's engines, and drawn beside its measurement.

Measurements
    :func:`mlp_growth` (chapter 3's instruments on random tanh MLPs),
    :func:`rnn_lambda_measured` and :func:`rnn_spectra` (chapter 5's engine),
    :func:`annealed_spectrum` (the annealed random-matrix model),
    :func:`gated_lambda_max` (chapter 6's engine on ``nn.RNN``, ``GRU`` and ``LSTM``),
    :func:`zero_crossing`, :func:`initial_lambda_max` (chapter 7's own networks at
    initialisation).
Larger networks
    :func:`run_sizes` writes ``lyaplearn/results/ch09_full.json`` (``python -m
    lyaplearn.edge``; ``--quick`` for a check of a few seconds), read back by
    :func:`load_results`.
Figures
    :func:`plot_phase_diagram`, :func:`plot_rnn_lambda`, :func:`plot_finite_size`,
    :func:`plot_spectrum_collapse`, :func:`plot_gated_edge`, :func:`plot_run_starts`.

All exponents and growth rates are natural-log rates: nats per step (or per layer).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import matplotlib as mpl
import numpy as np

from . import conditioning, lyapunov, maps, style
from ._paths import results_dir, results_file, results_out_dir
from ._checks import _check_int
from .meanfield import (_check_nonneg, _check_pos, _dtanh, chi1, critical_gain,
                        critical_sigma_w, rnn_field_variance,
                        rnn_lambda_max)

__all__ = [
    "MLPGrowth",
    "mlp_growth",
    "rnn_lambda_measured",
    "rnn_spectra",
    "annealed_spectrum",
    "gated_lambda_max",
    "zero_crossing",
    "initial_lambda_max",
    "run_sizes",
    "load_results",
    "plot_phase_diagram",
    "plot_rnn_lambda",
    "plot_finite_size",
    "plot_spectrum_collapse",
    "plot_gated_edge",
    "plot_run_starts",
    "main",
]

RESULTS = results_dir()   # the committed results, package data (read-only)

# ----------------------------------------------------------------------------
# Measurements
# ----------------------------------------------------------------------------

@dataclass
class MLPGrowth:
    """Measured growth rates of random tanh MLPs on a ``(sigma_w, sigma_b)`` grid.

    Attributes
    ----------
    sigma_w, sigma_b
        The grid axes.
    grad_rate
        ``(len(sigma_b), len(sigma_w), seeds)``: growth of the backpropagated
        error's norm per layer, nats per layer (``ln |delta_l| - ln |delta_{l+1}|``
        averaged over the layers after the transient).
    top_sv_rate
        Same shape: the top log singular value of the product of those layer
        Jacobians divided by the number of layers.
    theory
        ``(len(sigma_b), len(sigma_w))``: ``1/2 ln chi_1``, nats per layer.
    depth, width, skip
        The network size and the number of early layers left out.
    """

    sigma_w: np.ndarray
    sigma_b: np.ndarray
    grad_rate: np.ndarray
    top_sv_rate: np.ndarray
    theory: np.ndarray
    depth: int
    width: int
    skip: int


def mlp_growth(sigma_w: Sequence[float], sigma_b: Sequence[float] = (0.0,), *, depth: int = 40,
               width: int = 64, skip: int = 10, seeds: int = 2, seed: int = 0) -> MLPGrowth:
    """Measure how gradients grow through random tanh MLPs, beside ``1/2 ln chi_1``.

    For each ``(sigma_w, sigma_b)`` and seed: a network ``h_l = tanh(W_l h_{l-1} + b_l)``
    with ``W`` entries ``N(0, sigma_w^2 / width)`` (chapter 3's LeCun initialiser
    times a gain) and biases ``N(0, sigma_b^2)``, a standard normal input, layer
    Jacobians from :func:`lyaplearn.conditioning.network_jacobians`, a random unit
    error sent back through them (:func:`~lyaplearn.conditioning.backward_norms`)
    and the log singular values of their product
    (:func:`~lyaplearn.conditioning.product_log_singular_values`). The first
    ``skip`` layers, where the variance is still settling to ``q*``, are left out.
    """
    sw = np.array([_check_pos(s, "sigma_w") for s in np.atleast_1d(sigma_w)])
    sb = np.array([_check_nonneg(s, "sigma_b") for s in np.atleast_1d(sigma_b)])
    depth = _check_int(depth, "depth", 2)
    width = _check_int(width, "width", 1)
    skip = _check_int(skip, "skip", 0)
    if skip >= depth:
        raise ValueError(f"skip must be smaller than depth = {depth}, got {skip}")
    seeds = _check_int(seeds, "seeds", 1)
    rng = np.random.default_rng(seed)
    L = depth - skip
    grad = np.empty((sb.size, sw.size, seeds))
    top = np.empty_like(grad)
    theory = np.empty((sb.size, sw.size))
    for i, b in enumerate(sb):
        for j, w in enumerate(sw):
            theory[i, j] = 0.5 * math.log(chi1(w, b))
            for s in range(seeds):
                Ws, bs = conditioning.random_network(depth, width, "lecun", w, bias_std=b, rng=rng)
                x = rng.standard_normal(width)
                Js = conditioning.network_jacobians(Ws, x, "tanh", bs)[skip:]
                d = rng.standard_normal(width)
                norms = conditioning.backward_norms(Js, d / np.linalg.norm(d))
                grad[i, j, s] = (math.log(norms[0]) - math.log(norms[-1])) / L
                top[i, j, s] = conditioning.product_log_singular_values(Js)[0] / L
    return MLPGrowth(sw, sb, grad, top, theory, depth, width, skip)


def rnn_lambda_measured(g, sigma=0.0, n: int = 64, *, seeds: int = 4, steps: int = 400,
                        warmup: int = 200, trajectories: int = 1, seed: int = 0) -> np.ndarray:
    """Largest Lyapunov exponent of random tanh RNNs, one per weight draw, nats per step.

    Each of ``seeds`` networks ``h_{t+1} = tanh(g W h_t + sigma xi_t)`` has its
    own ``W`` with entries ``N(0, 1/n)`` (:func:`lyaplearn.maps.random_tanh_rnn`)
    and its own input; the exponent is chapter 5's QR algorithm
    (:func:`lyaplearn.lyapunov.rnn_spectrum`, ``k = 1``) averaged over
    ``trajectories`` input realisations. Returns an array of length ``seeds``.
    """
    g = _check_nonneg(g, "g")
    sigma = _check_nonneg(sigma, "sigma")
    n = _check_int(n, "n", 1)
    seeds = _check_int(seeds, "seeds", 1)
    out = np.empty(seeds)
    for s in range(seeds):
        rng = np.random.default_rng([seed, s, n])
        rnn = maps.random_tanh_rnn(n, gain=g, input_std=sigma, weights="gaussian", rng=rng)
        ens = lyapunov.rnn_spectrum(rnn, steps=steps, trajectories=trajectories, warmup=warmup,
                                    k=1, rng=rng)
        out[s] = ens.largest
    return out


def rnn_spectra(g, sigma=0.0, sizes: Sequence[int] = (32, 64, 128), *, steps: int = 300,
                warmup: int = 200, trajectories: int = 2, seed: int = 0) -> dict:
    """Full Lyapunov spectra of one random tanh RNN per size: ``{n: mean spectrum (n,)}``."""
    g = _check_nonneg(g, "g")
    sigma = _check_nonneg(sigma, "sigma")
    out = {}
    for n in sizes:
        n = _check_int(n, "sizes", 2)
        rng = np.random.default_rng([seed, n])
        rnn = maps.random_tanh_rnn(n, gain=g, input_std=sigma, weights="gaussian", rng=rng)
        ens = lyapunov.rnn_spectrum(rnn, steps=steps, trajectories=trajectories, warmup=warmup,
                                    rng=rng)
        out[n] = ens.mean
    return out


def positive_band(gains: Sequence[float] = (1.1, 1.25, 1.5, 2.0, 2.5), n: int = 128, *,
                  networks: int = 3, steps: int = 300, warmup: int = 200) -> dict:
    """How many of the ``n`` exponents are positive, for ``networks`` random tanh RNNs at each gain.

    No input; one trajectory per network (:func:`rnn_spectra` with ``seed`` 0, 1, ...).
    Returns ``{gain: [count per network]}``; chapter 9 reads it from the results file.
    """
    networks = _check_int(networks, "networks", 1)
    return {float(g): [int(np.sum(rnn_spectra(g, 0.0, (n,), steps=steps, warmup=warmup,
                                              trajectories=1, seed=s)[n] > 0))
                       for s in range(networks)] for g in gains}


def annealed_spectrum(g, sigma=0.0, n: int = 64, *, steps: int = 300, seed: int = 0) -> np.ndarray:
    """Spectrum of the *annealed* random-matrix model of the tanh RNN, nats per step.

    The tangent dynamics with every correlation removed: ``J_t = diag(tanh'(a_t)) g W_t``
    with a fresh ``W_t`` (entries ``N(0, 1/n)``) and fresh ``a_t ~ N(0, Delta)``
    at every step, ``Delta`` from :func:`~lyaplearn.meanfield.rnn_field_variance`. Its
    largest exponent tends to :func:`~lyaplearn.meanfield.rnn_lambda_max` as ``n`` grows;
    its whole spectrum is what
    mean-field theory predicts when the network's memory of its own weights is
    ignored. Computed with :func:`lyaplearn.lyapunov.spectrum_from_jacobians`.
    """
    g = _check_nonneg(g, "g")
    n = _check_int(n, "n", 1)
    steps = _check_int(steps, "steps", 1)
    delta = rnn_field_variance(g, sigma)
    rng = np.random.default_rng(seed)
    Js = rng.standard_normal((steps, n, n)) * (g / math.sqrt(n))
    a = math.sqrt(delta) * rng.standard_normal((steps, n))
    Js *= _dtanh(a)[:, :, None]
    return lyapunov.spectrum_from_jacobians(Js)


def _set_gate_bias(rnn, arch: str, gate_bias: float) -> None:
    """Set the bias of the gate that keeps the old state (LSTM forget, GRU update)."""
    import torch

    H = rnn.hidden_size
    idx = {"lstm": 1, "gru": 1}[arch]   # torch's order: LSTM (i, f, g, o); GRU (r, z, n)
    with torch.no_grad():
        for name, prm in rnn.named_parameters():
            if name.startswith("bias_ih"):
                prm[idx * H:(idx + 1) * H] = gate_bias
            elif name.startswith("bias_hh"):
                prm[idx * H:(idx + 1) * H] = 0.0


def gated_lambda_max(arch: str, ps: Sequence[float], *, gate_bias: float | None = None,
                     hidden: int = 32, n_symbols: int = 16, batch: int = 4, steps: int = 200,
                     warmup: int = 100, seeds: int = 2, seed: int = 0) -> np.ndarray:
    """``lambda_max`` of freshly initialised ``nn.GRU``/``LSTM``/``RNN`` against ``p``.

    Every weight is drawn from U(-p, p) (chapter 6's
    :func:`lyaplearn.recurrent.make_rnn`), the network is driven by random
    one-hot sequences (:func:`~lyaplearn.recurrent.one_hot_inputs`) and
    ``lambda_max`` is computed by :func:`~lyaplearn.recurrent.lyapunov_spectrum`
    (``k = 1``, full state). With ``gate_bias`` the bias of the gate that keeps
    the old state (LSTM forget gate, GRU update gate) is set to that value.

    Returns ``(len(ps), seeds)``: the mean over the ``batch`` input sequences for
    each network seed, nats per step.
    """
    from .recurrent import lyapunov_spectrum, make_rnn, one_hot_inputs

    if arch not in ("lstm", "gru", "rnn_tanh"):
        raise ValueError(f"arch must be 'lstm', 'gru' or 'rnn_tanh', got {arch!r}")
    if gate_bias is not None and arch == "rnn_tanh":
        raise ValueError("gate_bias needs a gated arch ('lstm' or 'gru'), got arch='rnn_tanh'")
    ps = [_check_pos(p, "ps") for p in np.atleast_1d(ps)]
    seeds = _check_int(seeds, "seeds", 1)
    out = np.empty((len(ps), seeds))
    for s in range(seeds):
        X = one_hot_inputs(warmup + steps, batch, n_symbols, seed=seed + 1000 + s)
        for i, p in enumerate(ps):
            m = make_rnn(arch, n_symbols, hidden, p, seed=seed + s)
            if gate_bias is not None:
                _set_gate_bias(m, arch, float(gate_bias))
            res = lyapunov_spectrum(m, X, k=1, warmup=warmup)
            out[i, s] = float(res.exponents[:, 0].mean())
    return out


def zero_crossing(x: Sequence[float], y: Sequence[float]) -> float:
    """The first ``x`` where ``y`` crosses zero upwards, by linear interpolation (NaN if none).

    Examples
    --------
    >>> zero_crossing([1, 2, 3], [-1.0, -0.5, 0.5])
    2.5
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.shape != y.shape or x.ndim != 1 or x.size < 2:
        raise ValueError(f"x and y must be 1-D of equal length >= 2, got shapes {x.shape} and {y.shape}")
    for i in range(x.size - 1):
        if y[i] < 0 <= y[i + 1]:
            return float(x[i] + (x[i + 1] - x[i]) * (-y[i]) / (y[i + 1] - y[i]))
    return math.nan


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

    from .readout import _family, final_losses
    from .training import RunConfig, make_model, probe_inputs, record_spectrum

    if state not in ("full", "hidden"):
        raise ValueError(f"state must be 'full' or 'hidden', got {state!r}")
    runs = _family(results, family)
    if data is None:
        from .experiments import default_data
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


# ----------------------------------------------------------------------------
# Larger networks: a results file
# ----------------------------------------------------------------------------

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


# ----------------------------------------------------------------------------
# Figures
# ----------------------------------------------------------------------------

@style.styled
def plot_phase_diagram(growth: MLPGrowth, *, sigma_b_line=None, figsize=(11.0, 3.8)):
    """Measured gradient growth per layer on the ``(sigma_w, sigma_b)`` plane, with ``chi_1 = 1``.

    Left: the measured rate as colour with the theory's order–chaos line. Right:
    measured rates (gradient norm and top singular value) against ``1/2 ln chi_1``.
    """
    fig, axes = style.figure(1, 2, figsize=figsize)
    rate = growth.grad_rate.mean(axis=-1)
    ax = axes[0]
    if growth.sigma_b.size > 1:
        norm = mpl.colors.TwoSlopeNorm(0.0, vmin=min(float(rate.min()), -1e-3),
                                       vmax=max(float(rate.max()), 1e-3))
        mesh = ax.pcolormesh(growth.sigma_w, growth.sigma_b, rate, cmap="RdBu_r", norm=norm,
                             shading="nearest")
        fig.colorbar(mesh, ax=ax, label="measured growth (nats per layer)")
        sb = np.linspace(growth.sigma_b.min(), growth.sigma_b.max(), 40) if sigma_b_line is None \
            else np.asarray(sigma_b_line)
        ax.plot([critical_sigma_w(b) for b in sb], sb, color="black", lw=2,
                label=r"theory: $\chi_1 = 1$")
        ax.set_ylabel(r"bias scale $\sigma_b$")
        ax.legend(loc="upper left")
    else:
        ax.plot(growth.sigma_w, rate, "o", label="measured")
        ax.plot(growth.sigma_w, growth.theory[0], label="theory")
        ax.set_ylabel("growth (nats per layer)")
    ax.set_xlabel(r"weight scale $\sigma_w$")
    ax.set_title("order (blue) and chaos (red)")
    ax = axes[1]
    th = np.broadcast_to(growth.theory[..., None], growth.grad_rate.shape).ravel()
    ax.plot(th, growth.grad_rate.ravel(), "o", ms=3.5, alpha=0.7, label="gradient norm")
    ax.plot(th, growth.top_sv_rate.ravel(), "s", ms=3.0, alpha=0.6, label="top singular value")
    lo, hi = float(th.min()), float(th.max())
    ax.plot([lo, hi], [lo, hi], color="0.3", lw=1, label="measured = theory")
    ax.set_xlabel(r"theory $\frac{1}{2}\ln\chi_1$ (nats per layer)")
    ax.set_ylabel("measured (nats per layer)")
    ax.set_title(f"width {growth.width}, layers {growth.skip + 1}-{growth.depth}")
    ax.legend()
    return fig


@style.styled
def plot_rnn_lambda(gains, measured: dict, *, sigmas=None, figsize=(6.4, 4.0)):
    """Mean-field ``lambda_max(g)`` for each input strength, with measured points.

    ``measured`` maps ``sigma`` to an array ``(len(gains), seeds)`` of measured
    exponents; the curves are :func:`~lyaplearn.meanfield.rnn_lambda_max` and the dotted verticals
    :func:`~lyaplearn.meanfield.critical_gain`.
    """
    fig, ax = style.figure(figsize=figsize)
    gains = np.asarray(gains, dtype=float)
    sigmas = list(measured) if sigmas is None else list(sigmas)
    grid = np.linspace(max(gains.min(), 0.05), gains.max(), 120)
    for i, s in enumerate(sigmas):
        c = style.PALETTE[i % len(style.PALETTE)]
        ax.plot(grid, [rnn_lambda_max(g, s) for g in grid], color=c,
                label=fr"theory, $\sigma$ = {s:g}")
        if s in measured:
            m = np.asarray(measured[s])
            ax.errorbar(gains, m.mean(axis=1), yerr=m.std(axis=1), fmt="o", color=c, ms=4,
                        capsize=2, label=fr"measured, $\sigma$ = {s:g}")
        ax.axvline(critical_gain(s), color=c, ls=":", lw=1)
    ax.axhline(0.0, color="0.4", lw=0.8)
    ax.set_xlabel("gain $g$")
    ax.set_ylabel(rf"$\lambda_{{\max}}$ ({style.NATS_PER_STEP})")
    ax.legend(ncol=2)
    return fig


@style.styled
def plot_finite_size(results: dict, *, sigma: float = 0.0, figsize=(11.0, 3.8)):
    """From a :func:`load_results` dictionary: ``lambda_max(g)`` per ``N`` and the gap to theory.

    Left: measured ``lambda_max`` (mean over seeds) against ``g`` for each ``N``
    with the mean-field curve. Right: ``|measured - theory|`` against ``N`` for
    the chaotic gains, on log axes, with a ``1/N`` guide.
    """
    lam = results["lambda_max"]
    ns = sorted({n for (s, n, g) in lam if s == sigma})
    gains = sorted({g for (s, n, g) in lam if s == sigma})
    if not ns:
        raise ValueError(f"sigma must be one of the input strengths in results, got {sigma!r}")
    fig, axes = style.figure(1, 2, figsize=figsize)
    grid = np.linspace(min(gains), max(gains), 120)
    axes[0].plot(grid, [rnn_lambda_max(g, sigma) for g in grid], color="black", lw=2,
                 label="mean-field theory")
    for i, n in enumerate(ns):
        m = [lam[(sigma, n, g)].mean() for g in gains]
        axes[0].plot(gains, m, "o-", ms=4, lw=1, color=style.PALETTE[i % 7], label=f"N = {n}")
    axes[0].axhline(0.0, color="0.4", lw=0.8)
    axes[0].set_xlabel("gain $g$")
    axes[0].set_ylabel(rf"$\lambda_{{\max}}$ ({style.NATS_PER_STEP})")
    axes[0].set_title(fr"input $\sigma$ = {sigma:g}")
    axes[0].legend()
    chaotic = [g for g in gains if rnn_lambda_max(g, sigma) > 0.05]
    for i, g in enumerate(chaotic):
        gap = [abs(lam[(sigma, n, g)].mean() - rnn_lambda_max(g, sigma)) for n in ns]
        axes[1].loglog(ns, gap, "o-", ms=4, color=style.PALETTE[i % 7], label=f"g = {g:g}")
    ref = np.array(ns, dtype=float)
    axes[1].loglog(ref, 4.0 / ref, color="0.3", ls="--", lw=1, label="4 / N")
    axes[1].set_xticks(ns, [str(n) for n in ns])
    axes[1].xaxis.set_minor_formatter(mpl.ticker.NullFormatter())
    axes[1].set_xlabel("network size $N$")
    axes[1].set_ylabel(f"|measured − theory| ({style.NATS_PER_STEP})")
    axes[1].legend()
    return fig


@style.styled
def plot_spectrum_collapse(spectra: dict, *, annealed: dict | None = None, figsize=(11.0, 3.8)):
    """Spectra of several sizes against ``i / N`` (left) and Kaplan–Yorke dimension against ``N``.

    ``spectra`` maps ``N`` to a spectrum ``(N,)``; ``annealed`` (optional) maps
    ``N`` to the spectrum of :func:`annealed_spectrum`, drawn dashed.
    """
    fig, axes = style.figure(1, 2, figsize=figsize)
    ns = sorted(spectra)
    for i, n in enumerate(ns):
        lam = np.asarray(spectra[n])
        x = np.arange(1, lam.size + 1) / lam.size
        c = style.PALETTE[i % 7]
        axes[0].plot(x, lam, color=c, label=f"N = {n}")
        if annealed and n in annealed:
            axes[0].plot(x, annealed[n], color=c, ls="--", lw=1.2, label=f"annealed, N = {n}")
    axes[0].axhline(0.0, color="0.4", lw=0.8)
    axes[0].set_xlabel("normalised index $i / N$")
    axes[0].set_ylabel(rf"$\lambda_i$ ({style.NATS_PER_STEP})")
    axes[0].legend()
    dky = [lyapunov.kaplan_yorke_dimension(spectra[n]) for n in ns]
    axes[1].plot(ns, dky, "o-", label="Kaplan–Yorke dimension")
    axes[1].plot(ns, ns, color="0.4", ls="--", lw=1, label="N (every direction)")
    axes[1].set_xlabel("network size $N$")
    axes[1].set_ylabel("dimension")
    axes[1].legend()
    return fig


_MARKERS = ("s", "^", "D", "v", "x")


@style.styled
def plot_gated_edge(ps, lam: dict, *, marks: dict | None = None, curves: dict | None = None,
                    figsize=(6.4, 4.0)):
    """``lambda_max`` against the init scale ``p`` for several architectures.

    ``lam`` maps a label to an array ``(len(ps), seeds)``; ``marks`` optionally
    maps a label to ``(p values, y values)`` drawn as unconnected markers, each
    group with its own marker and colour; ``curves`` maps a label to ``(p values,
    y values)`` drawn as dashed lines (e.g. :func:`~lyaplearn.meanfield.uniform_init_lambda`).
    """
    fig, ax = style.figure(figsize=figsize)
    for i, (name, (x, y)) in enumerate((curves or {}).items()):
        ax.plot(x, y, color=["black", "0.5"][i % 2], lw=1, ls="--", label=name)
    for i, (name, v) in enumerate(lam.items()):
        v = np.asarray(v)
        ax.errorbar(ps, v.mean(axis=1), yerr=v.std(axis=1), marker="o", ms=4, capsize=2,
                    color=style.PALETTE[i % 7], label=name)
    for i, (name, (x, y)) in enumerate((marks or {}).items()):
        ax.plot(x, y, ls="none", marker=_MARKERS[i % len(_MARKERS)], ms=7,
                color=style.PALETTE[(len(lam) + i) % 7], label=name)
    ax.axhline(0.0, color="0.4", lw=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("initialisation scale $p$ (weights ~ U(−p, p))")
    ax.set_ylabel(rf"$\lambda_{{\max}}$ ({style.NATS_PER_STEP})")
    ax.legend()
    return fig


@style.styled
def plot_run_starts(p, lambda_max, loss, *, n: int = 5, figsize=(6.4, 4.0)):
    """Where training runs started: ``lambda_max`` at initialisation against ``p``.

    Every run is a grey dot; the ``n`` runs with the lowest ``loss`` are blue
    circles and the ``n`` with the highest vermillion triangles (e.g. from
    :func:`initial_lambda_max`).
    """
    p, lam, loss = (np.asarray(v, dtype=float) for v in (p, lambda_max, loss))
    if not p.shape == lam.shape == loss.shape or p.ndim != 1:
        raise ValueError(f"p, lambda_max and loss must be 1-D of equal length, got shapes "
                         f"{p.shape}, {lam.shape} and {loss.shape}")
    n = _check_int(n, "n", 1)
    if 2 * n > p.size:
        raise ValueError(f"n must be at most half the number of runs ({p.size}), got {n}")
    order = np.argsort(loss, kind="stable")
    best, worst = order[:n], order[-n:]
    fig, ax = style.figure(figsize=figsize)
    ax.plot(p, lam, "o", color="0.6", ms=4, label=f"all {p.size} runs")
    ax.plot(p[best], lam[best], "o", color=style.PALETTE[0], ms=8, mfc="none", mew=2,
            label=f"{n} lowest final loss")
    ax.plot(p[worst], lam[worst], "^", color=style.PALETTE[1], ms=8, mfc="none", mew=2,
            label=f"{n} highest final loss")
    ax.axhline(0.0, color="0.4", lw=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("initialisation scale $p$ (weights ~ U(−p, p))")
    ax.set_ylabel(rf"$\lambda_{{\max}}$ at initialisation ({style.NATS_PER_STEP})")
    ax.legend()
    return fig


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


if __name__ == "__main__":   # pragma: no cover
    sys.exit(main())
