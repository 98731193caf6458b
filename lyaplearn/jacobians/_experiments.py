"""Chapter 2's experiments: saturation and the sweep over gains."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .._checks import _check_float, _check_int
from ._network import (
    ACTIVATIONS,
    _check_activation_name,
    activation_derivative,
    delta_norms,
    mlp_forward,
    mlp_jacobians,
    random_mlp,
    spectral_norms,
)

# ---------------------------------------------------------------------------
# experiments behind the figures
# ---------------------------------------------------------------------------

def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def saturation_example(depth: int = 30, width: int = 64, weight_norm: float = 2.0,
                       shift: float = 3.0, seed: int = 0) -> dict[str, dict[str, np.ndarray]]:
    """Expansive weights, four activations: who wins, the weights or the saturation?

    One set of weights ``W_l = weight_norm * Q_l`` (``Q_l`` random orthogonal,
    so :math:`\\lVert W_l\\rVert_2 = \\text{weight\\_norm}` and a linear network
    multiplies every gradient norm by exactly ``weight_norm`` per layer) is run
    with four choices: ``"linear"``, ``"tanh"`` (no bias), ``"tanh, shifted"``
    (every bias equal to ``shift``, which pushes units into tanh's flat tails)
    and ``"sigmoid"`` (:math:`\\sigma' \\le 1/4`).

    Returns
    -------
    dict
        label -> ``{"delta_norms": (depth+1,), "jacobian_norms": (depth,),
        "weight_norms": (depth,), "max_derivative": (depth,),
        "saturated_fraction": (depth,)}`` with
        :math:`\\lVert\\delta^{(L)}\\rVert = 1`; ``saturated_fraction`` is the share of
        each layer's units whose slope :math:`\\sigma'(z)` is below a tenth of the
        activation's largest slope (0 for the linear network).
    """
    depth = _check_int(depth, "depth", 1)
    width = _check_int(width, "width", 1)
    shift = _check_float(shift, "shift")
    rng = np.random.default_rng(seed)
    ws, _ = random_mlp([width] * (depth + 1), weight_norm, init="orthogonal", seed=rng)
    x = rng.standard_normal(width)
    delta_L = _unit(rng.standard_normal(width))
    cases = {"linear": ("linear", 0.0), "tanh": ("tanh", 0.0),
             "tanh, shifted": ("tanh", shift), "sigmoid": ("sigmoid", 0.0)}
    out = {}
    for label, (act, b) in cases.items():
        top = float(activation_derivative(np.zeros(1), act)[0])     # sigma'(0), the largest
        bs = [np.full(width, b) for _ in ws]
        zs, _ = mlp_forward(ws, bs, x, act)
        js = mlp_jacobians(ws, bs, x, act)
        out[label] = {
            "delta_norms": delta_norms(js, delta_L),
            "jacobian_norms": spectral_norms(js),
            "weight_norms": spectral_norms(ws),
            "max_derivative": np.array([activation_derivative(z, act).max() for z in zs]),
            "saturated_fraction": np.array([np.mean(activation_derivative(z, act) < 0.1 * top)
                                            for z in zs]),
        }
    return out


def gain_sweep(gains: Sequence[float], activations: Sequence[str] = ACTIVATIONS,
               depth: int = 20, width: int = 64, seed: int = 0, trials: int = 3,
               ) -> dict[str, np.ndarray]:
    """Gradient growth per layer of random Gaussian MLPs as a function of the gain.

    For each activation and gain, ``trials`` networks (weights
    :math:`\\mathcal{N}(0,\\text{gain}^2/n)`, no biases, standard normal input)
    are built; the return value is the mean over trials of
    :math:`\\frac{1}{L}\\log(\\lVert\\delta^{(0)}\\rVert/\\lVert\\delta^{(L)}\\rVert)`
    in nats per layer (0 means the norm is preserved on average).

    Returns
    -------
    dict
        activation -> array of the same length as ``gains``.
    """
    gains = np.asarray(gains, dtype=float)
    if gains.ndim != 1 or gains.size == 0 or np.any(~np.isfinite(gains)) or np.any(gains <= 0):
        raise ValueError(f"gains must be a non-empty 1-D sequence of positive numbers, "
                         f"got {gains!r}")
    acts = [_check_activation_name(a, "activations") for a in activations]
    trials = _check_int(trials, "trials", 1)
    rng = np.random.default_rng(seed)
    seeds = rng.integers(0, 2**32, size=(len(gains), trials))
    out = {a: np.zeros(len(gains)) for a in acts}
    for gi, g in enumerate(gains):
        for t in range(trials):
            r = np.random.default_rng(seeds[gi, t])
            ws, _ = random_mlp([width] * (depth + 1), g, seed=r)
            x = r.standard_normal(width)
            d = _unit(r.standard_normal(width))
            for a in acts:
                n = delta_norms(mlp_jacobians(ws, None, x, a), d)
                out[a][gi] += np.log(max(n[0], 1e-300)) / depth / trials
    return out
