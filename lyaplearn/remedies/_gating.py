"""Gating: a bias on the gate that keeps the state, and the slow modes it opens (chapter 8,
"Gating: a diagonal path with gain near one")."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .. import recurrent
from .._checks import _check_float


def gated_rnn(arch: str, input_size: int, hidden: int, p: float, *, gate_bias: float = 0.0,
              seed: int = 0) -> nn.Module:
    """:func:`lyaplearn.recurrent.make_rnn` plus a bias on the gate that keeps the state.

    For an LSTM ``gate_bias`` is added to the forget-gate biases (pushing ``f``
    towards 1); for a GRU to the update-gate biases (pushing ``z``, the weight of
    the old state in ``h' = (1 - z) n + z h``, towards 1). A vanilla RNN has no
    gate: ``gate_bias`` must be 0.
    """
    m = recurrent.make_rnn(arch, input_size, hidden, p, seed=seed)
    gate_bias = _check_float(gate_bias, "gate_bias")
    if gate_bias == 0.0:
        return m
    if arch.startswith("rnn"):
        raise ValueError(f"gate_bias must be 0 for arch={arch!r}, which has no gate")
    H = hidden
    block = slice(H, 2 * H)  # LSTM order i, f, g, o; GRU order r, z, n: both the second block
    with torch.no_grad():
        m.bias_hh_l0[block] += gate_bias
    return m


def gating_spectra(*, hidden: int = 32, n_symbols: int = 16, p: float = 0.5,
                   gate_bias: float = 3.0, steps: int = 200, warmup: int = 50, batch: int = 4,
                   seed: int = 0) -> dict[str, recurrent.SpectrumResult]:
    """Spectra of an RNN, a GRU and an LSTM of the same size on the same one-hot inputs.

    Weights U(-p, p) (:func:`lyaplearn.recurrent.make_rnn`); the gated networks
    are shown with ``gate_bias = 0`` and ``gate_bias`` (:func:`gated_rnn`).
    Returns ``{label: SpectrumResult}`` (full state: ``2 * hidden`` exponents
    for the LSTM).
    """
    X = recurrent.one_hot_inputs(warmup + steps, batch, n_symbols, seed=seed + 1)
    out = {"RNN (tanh)": gated_rnn("rnn_tanh", n_symbols, hidden, p, seed=seed)}
    for arch, name in (("gru", "GRU"), ("lstm", "LSTM")):
        out[f"{name}, gate bias 0"] = gated_rnn(arch, n_symbols, hidden, p, seed=seed)
        out[f"{name}, gate bias {gate_bias:g}"] = gated_rnn(arch, n_symbols, hidden, p,
                                                             gate_bias=gate_bias, seed=seed)
    return {k: recurrent.lyapunov_spectrum(m, X, warmup=warmup) for k, m in out.items()}


def slow_modes(exponents, tol: float = 0.1) -> int:
    """Number of exponents within ``tol`` of zero (``|lambda| <= tol``): the slow directions.

    A perturbation along such a direction decays by less than ``e^{-tol}`` per
    step, so it (and the gradient along it) survives about ``1/tol`` steps or more.
    """
    lam = np.asarray(exponents, dtype=float)
    if lam.ndim != 1 or lam.size == 0 or not np.isfinite(lam).all():
        raise ValueError(f"exponents must be a finite non-empty vector, got shape {lam.shape}")
    tol = _check_float(tol, "tol", positive=True)
    return int(np.sum(np.abs(lam) <= tol))
