"""Compounding error of autoregressive rollouts, and teacher forcing against scheduled sampling
(chapter 8, "Compounding error in autoregressive rollouts")."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
from torch import nn

from .. import recurrent
from .._checks import _check_float, _check_int


def rollout_divergence(true_map, model_map, x0, steps: int) -> np.ndarray:
    """Distance between a true trajectory and a model's rollout from the same start.

    Both maps are objects with a vectorised ``step`` (e.g.
    :class:`lyaplearn.maps.HenonMap`); ``x0`` is ``(n,)`` or ``(B, n)``.
    Returns ``||x_t - x_hat_t||`` for ``t = 0..steps``, shape ``(steps + 1,)``
    or ``(steps + 1, B)``.
    """
    steps = _check_int(steps, "steps", 1)
    x = np.asarray(x0, dtype=float)
    y = x.copy()
    out = [np.linalg.norm(x - y, axis=-1)]
    for _ in range(steps):
        x, y = true_map.step(x), model_map.step(y)
        out.append(np.linalg.norm(x - y, axis=-1))
    return np.array(out)


def growth_rate(errors, *, lo: float = 1e-9, hi: float = 1e-3) -> float:
    """Slope of ``log(median error)`` against time while it lies in ``(lo, hi)``.

    ``errors`` is ``(T,)`` or ``(T, B)`` (time first). While an error is small it
    obeys the linearised dynamics and grows like ``e^{lambda_max t}``; the median
    over ``B`` trajectories is robust to the few that are still aligning. Uses
    a least-squares line through the points in the window (at least three).
    """
    e = np.asarray(errors, dtype=float)
    if e.ndim == 2:
        e = np.median(e, axis=1)
    if e.ndim != 1:
        raise ValueError(f"errors must have shape (T,) or (T, B), got shape {np.shape(errors)}")
    lo = _check_float(lo, "lo", positive=True)
    hi = _check_float(hi, "hi", positive=True)
    if hi <= lo:
        raise ValueError(f"hi must exceed lo, got lo={lo}, hi={hi}")
    t = np.nonzero((e > lo) & (e < hi))[0]
    if t.size < 3:
        raise ValueError(f"errors must spend at least 3 steps inside ({lo}, {hi}), got {t.size}")
    return float(np.polyfit(t, np.log(e[t]), 1)[0])


def horizon(lambda_max: float, eps: float, tolerance: float) -> float:
    """Predictability horizon ``log(tolerance / eps) / lambda_max`` (steps).

    An initial error ``eps`` growing like ``eps * e^{lambda_max t}`` reaches
    ``tolerance`` after this many steps; in units of ``1/lambda_max`` it is only
    the logarithm of the accuracy ratio, so a thousand times better data buys
    ``log(1000) ≈ 6.9`` Lyapunov times more.
    """
    lam = _check_float(lambda_max, "lambda_max", positive=True)
    eps = _check_float(eps, "eps", positive=True)
    tolerance = _check_float(tolerance, "tolerance", positive=True)
    return math.log(tolerance / eps) / lam


def _henon_torch(x: torch.Tensor, a: float = 1.4, b: float = 0.3) -> torch.Tensor:
    return torch.stack([1 - a * x[..., 0] ** 2 + x[..., 1], b * x[..., 0]], -1)


def henon_sequences(n_seq: int, length: int, *, seed: int = 0, burn_in: int = 100) -> torch.Tensor:
    """Trajectories of the Hénon map on its attractor, shape ``(n_seq, length, 2)`` (float64)."""
    n_seq = _check_int(n_seq, "n_seq", 1)
    length = _check_int(length, "length", 2)
    burn_in = _check_int(burn_in, "burn_in", 0)
    g = torch.Generator().manual_seed(int(seed))
    x = 0.1 * torch.randn(n_seq, 2, generator=g, dtype=torch.float64)
    for _ in range(burn_in):
        x = _henon_torch(x)
    xs = [x]
    for _ in range(length - 1):
        x = _henon_torch(x)
        xs.append(x)
    return torch.stack(xs, 1)


def _predictor(hidden: int, seed: int) -> nn.Module:
    torch.manual_seed(int(seed))
    return nn.Sequential(nn.Linear(2, hidden), nn.Tanh(), nn.Linear(hidden, 2)).to(torch.float64)


@dataclass
class ForcingRun:
    """A one-step predictor ``x_{t+1} = x_t + f(x_t)`` trained by :func:`train_one_step`."""

    mode: str
    seed: int
    model: nn.Module
    losses: np.ndarray

    def step(self, x: torch.Tensor) -> torch.Tensor:
        """One step of the learned map (batched, differentiable)."""
        return x + self.model(x)


def train_one_step(data: torch.Tensor, mode: str = "teacher", *, hidden: int = 16,
                   epochs: int = 200, unroll: int = 4, lr: float = 0.03,
                   seed: int = 0) -> ForcingRun:
    """Train ``x_{t+1} = x_t + MLP(x_t)`` on windows of ``data`` (``(N, T, n)``).

    Every epoch takes one window of ``unroll + 1`` steps from each sequence and
    predicts ``unroll`` steps; the loss is the mean squared error against the
    data at every step. ``mode="teacher"`` (teacher forcing) always feeds the
    true state to the next step; ``mode="scheduled"`` (scheduled sampling,
    Bengio et al., 2015) feeds the model's own (detached) prediction instead
    with probability ``eps``, rising linearly from 0 to 1 over the first 60% of
    the epochs, per sequence and step.
    """
    if mode not in ("teacher", "scheduled"):
        raise ValueError(f"mode must be 'teacher' or 'scheduled', got {mode!r}")
    if not isinstance(data, torch.Tensor) or data.ndim != 3:
        raise ValueError("data must be a tensor (N, T, n), got "
                         f"{getattr(data, 'shape', type(data))}")
    unroll = _check_int(unroll, "unroll", 1)
    epochs = _check_int(epochs, "epochs", 1)
    N, T, n = data.shape
    if T < unroll + 2:
        raise ValueError(f"data must have more than unroll + 1 = {unroll + 1} steps, got {T}")
    model = _predictor(_check_int(hidden, "hidden", 1), seed)
    opt = torch.optim.Adam(model.parameters(), lr=_check_float(lr, "lr", positive=True))
    g = torch.Generator().manual_seed(int(seed) + 1000)
    rows = torch.arange(N)[:, None]
    losses = np.empty(epochs)
    for ep in range(epochs):
        eps = 0.0 if mode == "teacher" else min(1.0, ep / (0.6 * epochs))
        start = torch.randint(0, T - unroll - 1, (N,), generator=g)
        win = data[rows, start[:, None] + torch.arange(unroll + 1)]
        if mode == "teacher":   # every input is data: all steps of the window at once
            pred = win[:, :-1] + model(win[:, :-1])
            loss = ((pred - win[:, 1:]) ** 2).sum(-1).mean()
        else:
            inp, loss = win[:, 0], 0.0
            for k in range(unroll):
                pred = inp + model(inp)
                loss = loss + ((pred - win[:, k + 1]) ** 2).sum(-1).mean()
                own = (torch.rand(N, 1, generator=g) < eps).to(data.dtype)
                inp = own * pred.detach() + (1 - own) * win[:, k + 1]
            loss = loss / unroll
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses[ep] = loss.item()
    return ForcingRun(mode, int(seed), model, losses)


def rollout_errors(run: ForcingRun, data: torch.Tensor, steps: int) -> np.ndarray:
    """``||x_hat_t - x_t||`` of free rollouts from each sequence's first state.

    Returns ``(steps, N)`` for ``t = 1..steps``.
    """
    steps = _check_int(steps, "steps", 1)
    if not isinstance(data, torch.Tensor) or data.ndim != 3 or data.shape[1] <= steps:
        raise ValueError(f"data must be a tensor (N, T > steps={steps}, n), "
                         f"got {getattr(data, 'shape', type(data))}")
    with torch.no_grad():
        x, out = data[:, 0], []
        for t in range(1, steps + 1):
            x = run.step(x)
            out.append((x - data[:, t]).norm(dim=-1))
    return torch.stack(out).numpy()


def model_lambda_max(step: Callable[[torch.Tensor], torch.Tensor], x0: torch.Tensor, *,
                     steps: int = 300, warmup: int = 100, frame_warmup: int = 50) -> float:
    """Largest Lyapunov exponent (batch mean) of an autonomous map ``x -> step(x)``.

    Runs :func:`lyaplearn.recurrent.lyapunov_spectrum_step` on the map with no
    input, from the states ``x0`` (B, n): ``warmup`` steps of the state alone,
    ``frame_warmup`` steps that align the frame, then ``steps`` recorded steps.
    """
    if not callable(step):
        raise ValueError(f"step must be callable, got {type(step).__name__}")
    if not isinstance(x0, torch.Tensor) or x0.ndim != 2:
        raise ValueError(f"x0 must be a tensor (B, n), got {getattr(x0, 'shape', type(x0))}")
    steps = _check_int(steps, "steps", 1)
    warmup = _check_int(warmup, "warmup", 0)
    frame_warmup = _check_int(frame_warmup, "frame_warmup", 0)
    X = torch.zeros(warmup + frame_warmup + steps, x0.shape[0], 1, dtype=x0.dtype)
    with torch.no_grad():
        res = recurrent.lyapunov_spectrum_step(lambda s, _x: step(s), x0.detach(), X, k=1,
                                               warmup=warmup, frame_warmup=frame_warmup)
    return float(res.mean[0])
