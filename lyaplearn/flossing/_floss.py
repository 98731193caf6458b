"""Gradient flossing: the loss, a pre-training phase, and flossing during training (chapter 10).

Flossing minimises ``sum_i (lambda_i - target)^2`` over the ``k`` largest Lyapunov exponents
of the network's recurrent module, by gradient descent through the differentiable QR
algorithm (:func:`differentiable_spectrum`), so that perturbations of the state, and with
them the gradients through time, neither grow nor shrink exponentially (Engelken, 2023).

References
----------
.. [1] Engelken, R. (2023). Gradient flossing: improving gradient descent through dynamic
   control of Jacobians. NeurIPS 36. arXiv:2312.17306.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from .._checks import _check_float
from .._checks import _check_int
from ._checks import find_rnn
from ._spectrum import differentiable_spectrum


def _loss_and_exponents(rnn: nn.Module, inputs: torch.Tensor, k: int | None, target: float,
                        kwargs: dict) -> tuple[torch.Tensor, torch.Tensor]:
    kwargs = {"ties": "ignore", **kwargs}
    lam = differentiable_spectrum(rnn, inputs, k, **kwargs)
    return ((lam - target) ** 2).sum(-1).mean(), lam


def flossing_loss(rnn: nn.Module, inputs: Any, k: int | None = None, *, target: float = 0.0,
                  **spectrum_kwargs: Any) -> torch.Tensor:
    r"""The flossing loss :math:`\frac1B \sum_b \sum_{i=1}^k (\lambda_i^{(b)} - \mathrm{target})^2`.

    The exponents are those of :func:`differentiable_spectrum` (nats per step), one
    spectrum per input sequence ``b``; the loss averages over the batch and sums over the
    ``k`` largest exponents, so it is zero only when all of them equal ``target`` (0: the
    state's perturbations neither grow nor shrink along ``k`` directions).

    Parameters
    ----------
    rnn
        ``nn.RNN``, ``GRU`` or ``LSTM`` (:func:`find_rnn` finds it in a larger model).
    inputs
        A batch of sequences as the module takes them.
    k
        How many of the largest exponents to floss (default all).
    target
        The value the exponents are pushed to.
    **spectrum_kwargs
        Passed to :func:`differentiable_spectrum` (``warmup``, ``frame_warmup``,
        ``reortho_every``, ``window``, ``truncate``, ``state``, ...). ``ties`` defaults to
        ``"ignore"`` here: the loss is symmetric in the exponents it sums, so ties among
        them leave its gradient well defined (a tie between ``lambda_k`` and the first
        exponent left out does not; choose ``k`` at a gap of the spectrum).

    Returns
    -------
    torch.Tensor
        A scalar with a graph to the module's parameters.

    References
    ----------
    Engelken, R. (2023). Gradient flossing: improving gradient descent through dynamic
    control of Jacobians. NeurIPS 36. arXiv:2312.17306.

    Examples
    --------
    A one-unit linear-at-zero RNN with weight ``a``: ``lambda = ln|a|``, the loss is
    ``ln(a)^2`` and its derivative ``2 ln(a) / a``.

    >>> import math, torch
    >>> rnn = torch.nn.RNN(1, 1, bias=False, dtype=torch.float64)
    >>> with torch.no_grad():
    ...     _ = rnn.weight_hh_l0.fill_(2.0)
    >>> loss = flossing_loss(rnn, torch.zeros(5, 1, 1, dtype=torch.float64))
    >>> loss.backward()
    >>> math.isclose(loss.item(), math.log(2) ** 2)
    True
    >>> math.isclose(rnn.weight_hh_l0.grad.item(), math.log(2))   # 2 ln 2 / 2
    True
    """
    return _loss_and_exponents(rnn, inputs, k, float(target), spectrum_kwargs)[0]


@dataclass
class FlossHistory:
    """What a flossing run did, one entry per flossing step.

    Attributes
    ----------
    loss
        (n,) the flossing loss before each update.
    exponents
        (n, k) the batch-mean exponents before each update (nats per step).
    at
        (n,) the training step (:class:`Flosser`) or the flossing step (:func:`floss`) of
        each entry.
    seconds
        Wall-clock time spent flossing.
    """

    loss: list = field(default_factory=list)
    exponents: list = field(default_factory=list)
    at: list = field(default_factory=list)
    seconds: float = 0.0

    def as_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(loss (n,), exponents (n, k), at (n,))`` as numpy arrays."""
        k = len(self.exponents[0]) if self.exponents else 0
        return (np.asarray(self.loss, dtype=float),
                np.asarray(self.exponents, dtype=float).reshape(-1, k),
                np.asarray(self.at, dtype=int))


def _batch(inputs: Any, i: int) -> torch.Tensor:
    return inputs(i) if callable(inputs) else inputs


def _update(rnn: nn.Module, opt: torch.optim.Optimizer, inputs: torch.Tensor, k, target,
            kwargs: dict, hist: FlossHistory, at: int) -> float:
    """One flossing update; the parameters' ``.grad`` are left as they were found."""
    params = [p for p in rnn.parameters() if p.requires_grad]
    # every parameter the optimizer may step: only the flossing gradient may move them
    stepped = {id(p): p for g in opt.param_groups for p in g["params"]}
    stepped.update({id(p): p for p in params})
    saved = {i: p.grad for i, p in stepped.items()}
    with torch.enable_grad():
        loss, lam = _loss_and_exponents(rnn, inputs, k, target, kwargs)
        grads = torch.autograd.grad(loss, params, allow_unused=True)
    value = float(loss.detach())
    if not math.isfinite(value) or not all(g is None or bool(torch.isfinite(g).all())
                                           for g in grads):
        raise FloatingPointError(f"the flossing loss or its gradient is not finite at step "
                                 f"{at} (loss {value}); lower lr or use truncate=")
    for p in stepped.values():
        p.grad = None
    for p, g in zip(params, grads):
        p.grad = None if g is None else g.to(p.dtype)
    opt.step()
    for i, p in stepped.items():
        p.grad = saved[i]
    hist.loss.append(value)
    hist.exponents.append(lam.detach().mean(0).cpu().tolist())
    hist.at.append(at)
    return value


def _optimizer(rnn: nn.Module, optimizer, lr: float) -> torch.optim.Optimizer:
    if optimizer is not None:
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise ValueError(f"optimizer must be a torch.optim.Optimizer or None, got "
                             f"{type(optimizer).__name__}")
        return optimizer
    lr = _check_float(lr, "lr", positive=True)
    return torch.optim.Adam([p for p in rnn.parameters() if p.requires_grad], lr=lr)


def floss(model: nn.Module, inputs: Any, k: int | None = None, steps: int = 100,
          lr: float = 1e-3, *, rnn: Any = None, optimizer: torch.optim.Optimizer | None = None,
          target: float = 0.0, **spectrum_kwargs: Any) -> FlossHistory:
    """Floss before training: ``steps`` gradient steps on :func:`flossing_loss` alone.

    Only the recurrent module's parameters move (its input and recurrent weights and
    biases, the three that Engelken's public code flosses); a read-out elsewhere in
    ``model`` is untouched.

    On a chaotic network the exact gradient (``truncate=None``) grows like
    ``exp(lambda_1 T)`` and changes direction from one batch to the next (see
    :class:`ExplodingGradientWarning`); pass ``truncate=``. ``tests/test_flossing.py``
    flosses 32-unit tanh RNNs of gain 4 (``lambda_1`` about 0.3) and 0.3 (about -1.2)
    with ``truncate=1``, 40 Adam steps of ``lr=0.02``, and checks that the mean
    ``|lambda_i|`` of the two largest exponents, measured by
    :func:`~lyaplearn.recurrent.lyapunov_spectrum` on other inputs, falls below half its
    value for each of three seeds per gain.

    Parameters
    ----------
    model
        The network, or the ``nn.RNN``/``GRU``/``LSTM`` itself.
    inputs
        A batch of sequences as the recurrent module takes them, or a callable
        ``inputs(step) -> batch`` for a fresh batch at each step.
    k, target, **spectrum_kwargs
        As in :func:`flossing_loss`.
    steps
        Number of updates.
    lr
        Learning rate of the default optimizer, Adam over the recurrent module's
        parameters (ignored when ``optimizer`` is given).
    rnn
        Which recurrent module (see :func:`find_rnn`).
    optimizer
        An optimizer over (some of) the recurrent module's parameters.

    Returns
    -------
    FlossHistory
        The loss and batch-mean exponents before each update.

    Raises
    ------
    FloatingPointError
        If the loss or its gradient becomes non-finite.

    Examples
    --------
    The one-unit RNN of :func:`flossing_loss` with ``a = 2``: flossing drives ``ln a``
    towards 0, i.e. ``a`` towards 1.

    >>> import torch
    >>> rnn = torch.nn.RNN(1, 1, bias=False, dtype=torch.float64)
    >>> with torch.no_grad():
    ...     _ = rnn.weight_hh_l0.fill_(2.0)
    >>> hist = floss(rnn, torch.zeros(5, 1, 1, dtype=torch.float64), steps=200, lr=0.05)
    >>> abs(rnn.weight_hh_l0.item() - 1.0) < 0.05, hist.loss[-1] < 1e-3 < hist.loss[0]
    (True, True)
    """
    rnn = find_rnn(model, rnn)
    steps = _check_int(steps, "steps", 1)
    opt = _optimizer(rnn, optimizer, lr)
    hist = FlossHistory()
    t0 = time.perf_counter()
    for i in range(steps):
        _update(rnn, opt, _batch(inputs, i), k, float(target), spectrum_kwargs, hist, i)
    hist.seconds = time.perf_counter() - t0
    return hist


class Flosser:
    """Flossing during training, from a plain training loop.

    Call :meth:`maybe_step` once per training step (after the optimizer's step, or
    anywhere: it leaves the parameters' ``.grad`` as it found them). At the steps
    ``start, start + every, ...`` (at most ``max_episodes`` times) it makes ``steps``
    flossing updates with its own optimizer. Or add :meth:`loss` to the task's loss to
    floss at every step, with a weight of your choice.

    Parameters
    ----------
    model
        The network, or its recurrent module.
    inputs
        Sequences to floss on, or a callable ``inputs(i) -> batch``, ``i`` counting the
        flossing updates.
    k
        How many of the largest exponents to floss (default all).
    every
        Training steps between flossing episodes.
    steps
        Flossing updates per episode.
    lr, optimizer
        As in :func:`floss` (by default Adam over the recurrent module's parameters).
    start
        The first training step that flosses.
    max_episodes
        Stop flossing after this many episodes (``None``: never stop).
    rnn, target, **spectrum_kwargs
        As in :func:`floss`.

    Attributes
    ----------
    history
        :class:`FlossHistory`, ``at`` being the training step of each update.

    Examples
    --------
    >>> import torch
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <...>
    >>> net = torch.nn.RNN(2, 8, batch_first=True)
    >>> fl = Flosser(net, torch.randn(4, 20, 2), k=2, every=10, steps=3)
    >>> for step in range(25):        # a training loop
    ...     _ = fl.maybe_step(step)  # floss at steps 0, 10 and 20
    >>> fl.history.at
    [0, 0, 0, 10, 10, 10, 20, 20, 20]
    """

    def __init__(self, model: nn.Module, inputs: Any, k: int | None = None, *,
                 every: int = 100, steps: int = 1, lr: float = 1e-3,
                 optimizer: torch.optim.Optimizer | None = None, start: int = 0,
                 max_episodes: int | None = None, rnn: Any = None, target: float = 0.0,
                 **spectrum_kwargs: Any):
        self.rnn = find_rnn(model, rnn)
        self.inputs = inputs
        self.k = k
        self.every = _check_int(every, "every", 1)
        self.steps = _check_int(steps, "steps", 1)
        self.start = _check_int(start, "start", 0)
        self.max_episodes = _check_int(max_episodes, "max_episodes", 0, none_ok=True)
        self.target = float(target)
        self.kwargs = spectrum_kwargs
        self.optimizer = _optimizer(self.rnn, optimizer, lr)
        self.history = FlossHistory()
        self.episodes = 0
        self._n = 0

    def due(self, step_index: int) -> bool:
        """Whether training step ``step_index`` is a flossing step."""
        step_index = _check_int(step_index, "step_index", 0)
        done = self.max_episodes is not None and self.episodes >= self.max_episodes
        return not done and step_index >= self.start and \
            (step_index - self.start) % self.every == 0

    def maybe_step(self, step_index: int) -> float | None:
        """Floss if ``step_index`` is due; returns the last flossing loss, or ``None``."""
        if not self.due(step_index):
            return None
        t0 = time.perf_counter()
        for _ in range(self.steps):
            value = _update(self.rnn, self.optimizer, _batch(self.inputs, self._n), self.k,
                            self.target, self.kwargs, self.history, step_index)
            self._n += 1
        self.episodes += 1
        self.history.seconds += time.perf_counter() - t0
        return value

    def loss(self, inputs: Any = None) -> torch.Tensor:
        """The flossing loss on ``inputs`` (default this flosser's), to add to a task loss."""
        batch = _batch(self.inputs, self._n) if inputs is None else inputs
        return _loss_and_exponents(self.rnn, batch, self.k, self.target, self.kwargs)[0]


