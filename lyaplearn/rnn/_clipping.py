"""Gradient clipping on the recall task (chapter 4)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np
import torch

from .._checks import _check_float, _check_int
from ._matrices import init_recurrent

# ---------------------------------------------------------------------------
# training: a long-memory task with and without gradient-norm clipping
# ---------------------------------------------------------------------------

def recall_task(batch: int, length: int, generator: torch.Generator,
                dtype: torch.dtype = torch.float64):
    """A batch of the *recall* task: report the first input after ``length - 1`` steps.

    Channel 0 carries Gaussian values ``v_1, ..., v_T``; channel 1 marks the
    first step with a 1. The target is ``v_1``, read from the last state. A
    network that remembers nothing predicts 0 and has mean squared error 1
    (the variance of ``v_1``).

    Returns
    -------
    (x, y)
        ``x`` of shape ``(batch, length, 2)`` and ``y`` of shape ``(batch, 1)``.
    """
    batch = _check_int(batch, "batch", 1)
    length = _check_int(length, "length", 1)
    v = torch.randn(batch, length, generator=generator, dtype=dtype)
    marker = torch.zeros(batch, length, dtype=dtype)
    marker[:, 0] = 1.0
    return torch.stack([v, marker], dim=-1), v[:, :1].clone()


def clip_gradient_norm(grads: Sequence[torch.Tensor], max_norm: float | None):
    """Rescale gradients so that their joint Euclidean norm is at most ``max_norm``.

    ``g <- g * min(1, max_norm / ||g||)`` (Pascanu et al., 2013): the direction
    is kept, only the length is capped. ``max_norm=None`` leaves ``g`` alone.

    Returns
    -------
    (clipped, norm)
        New tensors and the norm ``||g||`` before clipping.
    """
    grads = list(grads)
    max_norm = _check_float(max_norm, "max_norm", positive=True, none_ok=True)
    norm = float(torch.sqrt(sum((g.detach() ** 2).sum() for g in grads)))
    scale = 1.0
    if max_norm is not None and norm > max_norm:
        scale = max_norm / norm
    return [g * scale for g in grads], norm


def clipped_sgd_step(params: Iterable[torch.nn.Parameter], lr: float,
                     max_norm: float | None = None) -> tuple[float, float]:
    """One step of gradient descent, optionally with gradient-norm clipping.

    ``theta <- theta - lr * clip(g)`` using the ``.grad`` of each parameter.

    Returns
    -------
    (grad_norm, update_norm)
        ``||g||`` before clipping and the length of the step taken,
        ``lr * min(||g||, max_norm)``.
    """
    lr = _check_float(lr, "lr", positive=True)
    params = [p for p in params if p.grad is not None]
    clipped, norm = clip_gradient_norm([p.grad for p in params], max_norm)
    with torch.no_grad():
        for p, g in zip(params, clipped):
            p -= lr * g
    step = norm if max_norm is None else min(norm, max_norm)
    return norm, lr * step


@dataclass
class TrainingRun:
    """Curves recorded by :func:`train_recall` (one entry per step taken)."""

    #: mean squared error on each training batch, divided by the no-memory error 1
    losses: np.ndarray
    #: gradient norm before clipping
    grad_norms: np.ndarray
    #: length of each parameter update
    update_norms: np.ndarray
    #: clipping threshold (None: no clipping)
    max_norm: float | None
    #: learning rate
    lr: float
    #: step at which the loss became non-finite or exceeded 1000 (None: never)
    diverged_at: int | None

    @property
    def label(self) -> str:
        return "no clipping" if self.max_norm is None else f"clipped at {self.max_norm:g}"


def train_recall(*, max_norm: float | None = None, hidden: int = 32, length: int = 15,
                 rho: float = 1.5, lr: float = 0.1, steps: int = 400, batch: int = 64,
                 seed: int = 0, threads: int | None = 1) -> TrainingRun:
    """Train a tanh RNN on :func:`recall_task` with plain SGD, clipped or not.

    The recurrent matrix starts as ``init_recurrent(hidden, rho, "gaussian")``;
    with ``rho > 1`` the untrained network is expansive and gradients through
    time can explode. Everything (weights, batches) follows from ``seed`` and
    the computation runs in float64, so a run is reproducible.

    Parameters
    ----------
    max_norm
        Gradient-norm clipping threshold, or None for no clipping.
    hidden, length, rho, lr, steps, batch, seed
        Hidden size, sequence length (the memory span), initial spectral
        radius, learning rate, number of SGD steps, batch size and seed. The
        defaults run in about a second; larger ``length`` and ``steps`` show
        the same effect more strongly.
    threads
        Number of torch threads used during the run (restored afterwards).
        The tensors are tiny, so one thread is fastest; None keeps torch's
        setting.

    Returns
    -------
    TrainingRun
        Curves up to the last step taken; training stops early if the loss
        becomes non-finite or exceeds 1000 (recorded in ``diverged_at``).
    """
    hidden = _check_int(hidden, "hidden", 1)
    length = _check_int(length, "length", 1)
    steps = _check_int(steps, "steps", 1)
    batch = _check_int(batch, "batch", 1)
    lr = _check_float(lr, "lr", positive=True)
    max_norm = _check_float(max_norm, "max_norm", positive=True, none_ok=True)
    rng = np.random.default_rng(seed)
    W = init_recurrent(hidden, rho, "gaussian", rng)
    dt = torch.float64
    rnn = torch.nn.RNN(2, hidden, nonlinearity="tanh", batch_first=True, dtype=dt)
    readout = torch.nn.Linear(hidden, 1, dtype=dt)
    with torch.no_grad():
        rnn.weight_hh_l0.copy_(torch.from_numpy(W))
        rnn.weight_ih_l0.copy_(torch.from_numpy(rng.standard_normal((hidden, 2))))
        rnn.bias_ih_l0.zero_()
        rnn.bias_hh_l0.zero_()
        readout.weight.copy_(torch.from_numpy(rng.standard_normal((1, hidden)) / math.sqrt(hidden)))
        readout.bias.zero_()
    params = list(rnn.parameters()) + list(readout.parameters())
    gen = torch.Generator().manual_seed(int(seed))
    losses, gnorms, unorms = [], [], []
    diverged_at = None
    previous_threads = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(_check_int(threads, "threads", 1))
    try:
        for k in range(steps):
            x, y = recall_task(batch, length, gen, dtype=dt)
            out, _ = rnn(x)
            loss = ((readout(out[:, -1]) - y) ** 2).mean()
            value = loss.detach().item()
            if not math.isfinite(value) or value > 1e3:
                diverged_at = k
                break
            for p in params:
                p.grad = None
            loss.backward()
            g, u = clipped_sgd_step(params, lr, max_norm)
            losses.append(value)
            gnorms.append(g)
            unorms.append(u)
    finally:
        torch.set_num_threads(previous_threads)
    return TrainingRun(np.array(losses), np.array(gnorms), np.array(unorms),
                       max_norm, float(lr), diverged_at)


@dataclass
class ClippingEnsemble:
    """Clipped and unclipped training runs from the same seeds (see :func:`clipping_ensemble`).

    ``free[i]`` and ``clipped[i]`` start from the same weights and see the same
    batches (seed ``seeds[i]``); they differ only in the clipping threshold.
    """

    #: the seeds, one pair of runs per seed
    seeds: tuple[int, ...]
    #: runs without clipping
    free: list[TrainingRun]
    #: runs with gradient-norm clipping at ``max_norm``
    clipped: list[TrainingRun]
    #: the clipping threshold of the clipped runs
    max_norm: float
    #: number of SGD steps each run was given
    steps: int
    #: number of final steps averaged by :meth:`final_losses`
    tail: int = 50

    def _runs(self, which: str) -> list[TrainingRun]:
        if which not in ("free", "clipped"):
            raise ValueError(f"which must be 'free' or 'clipped', got {which!r}")
        return self.free if which == "free" else self.clipped

    def diverged(self, which: str) -> int:
        """How many runs of ``which`` (``"free"`` or ``"clipped"``) diverged."""
        return sum(r.diverged_at is not None for r in self._runs(which))

    def peak_gradient_norms(self, which: str) -> np.ndarray:
        """Largest gradient norm (before clipping) seen by each run."""
        return np.array([r.grad_norms.max() if r.grad_norms.size else np.nan
                         for r in self._runs(which)])

    def final_losses(self, which: str) -> np.ndarray:
        """Mean loss over each run's last ``tail`` steps; ``inf`` for a run that diverged."""
        return np.array([np.inf if r.diverged_at is not None else r.losses[-self.tail:].mean()
                         for r in self._runs(which)])

    def summary(self) -> str:
        """One line per kind of run: divergences, peak gradient norms, final losses."""
        lines = []
        for which, name in (("free", "no clipping"), ("clipped", f"clipped at {self.max_norm:g}")):
            peaks = self.peak_gradient_norms(which)
            final = self.final_losses(which)
            ok = final[np.isfinite(final)]
            loss = (f"median final loss {np.median(ok):.2f}" if ok.size
                    else "no run finished")
            lines.append(f"{name}: {self.diverged(which)}/{len(self.seeds)} diverged, "
                         f"peak |g| {peaks.min():.3g} to {peaks.max():.3g}, {loss}")
        return "\n".join(lines)


def clipping_ensemble(seeds: Iterable[int] = range(8), *, max_norm: float = 1.0,
                      **train_kw) -> ClippingEnsemble:
    """Train :func:`train_recall` with and without clipping for each seed.

    What one run does after a few hundred steps of an expansive RNN depends on
    the last digits of the arithmetic (the CPU, the BLAS, torch's kernel path),
    so the book states its clipping results over this ensemble: how many runs
    diverge, and the spread of peak gradient norms and final losses.

    Parameters
    ----------
    seeds
        One pair of runs (unclipped, clipped) per seed; at least one seed.
    max_norm
        Clipping threshold of the clipped runs.
    **train_kw
        Passed to :func:`train_recall` (``hidden``, ``length``, ``rho``,
        ``lr``, ``steps``, ``batch``, ``threads``).
    """
    seeds = tuple(int(s) for s in seeds)
    if not seeds:
        raise ValueError("seeds must name at least one seed")
    if "seed" in train_kw:
        raise ValueError("clipping_ensemble takes seeds=[...], not seed")
    max_norm = _check_float(max_norm, "max_norm", positive=True)
    free = [train_recall(max_norm=None, seed=s, **train_kw) for s in seeds]
    clipped = [train_recall(max_norm=max_norm, seed=s, **train_kw) for s in seeds]
    steps = int(train_kw.get("steps", 400))
    return ClippingEnsemble(seeds, free, clipped, float(max_norm), steps)
