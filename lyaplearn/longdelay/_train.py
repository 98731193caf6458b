"""Train a small tanh RNN on a delayed task under four conditions (chapter 10).

The conditions differ only in what happens to the recurrent weights before or while the
task is learnt; the task, the network, the optimiser and the number of task steps are the
same for all four:

``"plain"``
    PyTorch's default initialisation, ``U(-1/sqrt(H), 1/sqrt(H))``, then training.
``"orthogonal"``
    Chapter 8's remedy: the recurrent weight is an orthogonal matrix
    (:func:`lyaplearn.remedies.orthogonal_matrix`), every exponent starts near zero.
``"floss_before"``
    The default initialisation, then ``floss_steps`` steps of gradient flossing
    (:func:`lyaplearn.flossing.floss`) on task inputs, then training.
``"floss_during"``
    The default initialisation, and training with :class:`lyaplearn.flossing.Flosser`
    flossing ``floss_steps_each`` steps every ``floss_every`` task steps.

A run succeeds when its accuracy on held-out sequences reaches ``threshold``.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import asdict, dataclass

import torch
from torch import nn

from .._checks import _check_float, _check_int
from ..flossing import ExplodingGradientWarning, Flosser, floss
from ..remedies import orthogonal_matrix
from ._tasks import TASKS, make_batch

CONDITIONS = ("plain", "floss_before", "floss_during", "orthogonal")


@dataclass
class TrainConfig:
    """Everything a run depends on besides the task, the delay, the condition and the seed.

    Attributes
    ----------
    hidden
        Units of the tanh RNN.
    steps, batch, lr
        Task training: Adam steps, sequences per step, learning rate.
    k
        Exponents flossed (the ``k`` largest).
    floss_steps, floss_lr
        Flossing before training: Adam steps on the flossing loss alone, and their rate.
    floss_every, floss_steps_each
        Flossing during training: an episode every ``floss_every`` task steps, of
        ``floss_steps_each`` flossing steps (learning rate ``floss_lr``).
    floss_batch
        Sequences per flossing step.
    truncate
        ``truncate=`` of the differentiable spectrum (how far back each flossing gradient
        reaches; small, since the exact gradient explodes on chaotic networks).
    test_n, threshold
        Held-out sequences, and the accuracy a run must reach to count as a success.
    """

    hidden: int = 32
    steps: int = 300
    batch: int = 64
    lr: float = 3e-3
    k: int = 4
    floss_steps: int = 60
    floss_lr: float = 0.02
    floss_every: int = 50
    floss_steps_each: int = 5
    floss_batch: int = 16
    truncate: int = 4
    test_n: int = 512
    threshold: float = 0.9

    def __post_init__(self):
        for name in ("hidden", "steps", "batch", "k", "floss_steps", "floss_every",
                     "floss_steps_each", "floss_batch", "truncate", "test_n"):
            setattr(self, name, _check_int(getattr(self, name), name, 1))
        for name in ("lr", "floss_lr"):
            setattr(self, name, _check_float(getattr(self, name), name, positive=True))
        self.threshold = _check_float(self.threshold, "threshold", positive=True)
        if self.threshold > 1:
            raise ValueError(f"threshold must be an accuracy in (0, 1], got {self.threshold!r}")


class DelayNet(nn.Module):
    """A tanh ``nn.RNN`` (2 inputs, ``hidden`` units) and a linear read-out of its last state."""

    def __init__(self, hidden: int = 32):
        super().__init__()
        self.rnn = nn.RNN(2, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(x)
        return self.head(out[:, -1]).squeeze(-1)


def accuracy(model: nn.Module, inputs: torch.Tensor, targets: torch.Tensor) -> float:
    """Fraction of sequences whose output has the sign of the target."""
    with torch.no_grad():
        return float((torch.sign(model(inputs)) == targets).float().mean())


def make_model(condition: str, seed: int, hidden: int = 32) -> DelayNet:
    """The network of ``condition`` at initialisation (before any flossing), seeded."""
    if condition not in CONDITIONS:
        raise ValueError(f"condition must be one of {CONDITIONS}, got {condition!r}")
    torch.manual_seed(int(seed))
    model = DelayNet(hidden)
    if condition == "orthogonal":
        with torch.no_grad():
            model.rnn.weight_hh_l0.copy_(orthogonal_matrix(hidden, seed=seed,
                                                           dtype=torch.float32))
    return model


@dataclass
class RunResult:
    """One run: held-out accuracy, success, the loss curve's end, and where time went."""

    task: str
    condition: str
    delay: int
    seed: int
    accuracy: float
    success: bool
    final_loss: float
    train_seconds: float
    floss_seconds: float
    floss_updates: int
    lambda_before: list
    lambda_after_floss: list

    def as_dict(self) -> dict:
        return asdict(self)


def _floss_inputs(task: str, delay: int, cfg: TrainConfig, seed: int):
    def batch(i: int) -> torch.Tensor:
        return make_batch(task, cfg.floss_batch, delay, seed=10_000_000 + 1000 * seed + i).inputs
    return batch


def train_run(task: str, condition: str, delay: int, seed: int,
              cfg: TrainConfig | None = None) -> RunResult:
    """Train one network on ``task`` at ``delay`` under ``condition``; seeded throughout.

    Training batches use the batch seeds ``seed * 100_000 + step``, flossing batches
    ``10_000_000 + 1000 * seed + i`` and the held-out test batch ``2**31 - 1 - seed``: for
    seeds below 100 and fewer than 1000 flossing steps no two of them coincide.

    Examples
    --------
    >>> cfg = TrainConfig(hidden=8, steps=5, batch=8, test_n=16, floss_steps=2)
    >>> r = train_run("copy", "floss_before", 3, 0, cfg)
    >>> r.floss_updates, 0.0 <= r.accuracy <= 1.0, len(r.lambda_before)
    (2, True, 4)
    """
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    cfg = TrainConfig() if cfg is None else cfg
    model = make_model(condition, seed, cfg.hidden)
    finputs = _floss_inputs(task, delay, cfg, seed)
    kw = dict(truncate=cfg.truncate)
    lam_before, lam_after, t_floss, n_floss = [], [], 0.0, 0
    flosser = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExplodingGradientWarning)
        if condition == "floss_before":
            hist = floss(model, finputs, cfg.k, steps=cfg.floss_steps, lr=cfg.floss_lr, **kw)
            lam_before = hist.exponents[0]
            lam_after = hist.exponents[-1]
            t_floss, n_floss = hist.seconds, len(hist.loss)
        elif condition == "floss_during":
            flosser = Flosser(model, finputs, cfg.k, every=cfg.floss_every,
                              steps=cfg.floss_steps_each, lr=cfg.floss_lr, **kw)
        opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
        lossf = nn.BCEWithLogitsLoss()
        t_train = 0.0
        loss = torch.tensor(float("nan"))
        for step in range(cfg.steps):
            b = make_batch(task, cfg.batch, delay, seed=seed * 100_000 + step)
            t0 = time.perf_counter()
            opt.zero_grad()
            loss = lossf(model(b.inputs), (b.targets + 1) / 2)
            loss.backward()
            opt.step()
            t_train += time.perf_counter() - t0
            if flosser is not None:
                flosser.maybe_step(step)
    if flosser is not None:
        hist = flosser.history
        lam_before = hist.exponents[0]
        lam_after = hist.exponents[-1]
        t_floss, n_floss = hist.seconds, len(hist.loss)
    test = make_batch(task, cfg.test_n, delay, seed=2 ** 31 - 1 - seed)
    acc = accuracy(model, test.inputs, test.targets)
    return RunResult(task, condition, delay, seed, acc, acc >= cfg.threshold,
                     float(loss.detach()), t_train, t_floss, n_floss,
                     [float(v) for v in lam_before], [float(v) for v in lam_after])
