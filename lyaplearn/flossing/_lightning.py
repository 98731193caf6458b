"""Gradient flossing inside a PyTorch Lightning run (chapter 10).

Lightning is optional: this file imports it when :class:`FlossingCallback` is first used
(``lyaplearn.flossing`` imports this file lazily), and the callback refuses to be made,
with an ``ImportError`` that says what to install, when neither ``lightning`` nor
``pytorch_lightning`` is there.
"""

from __future__ import annotations

from typing import Any

import torch

from .._checks import _check_int
from ._checks import find_rnn
from ._floss import Flosser, floss

try:  # the unified package first, then the standalone one
    from lightning.pytorch.callbacks import Callback as _Base
except ImportError:  # pragma: no cover - depends on what is installed
    try:
        from pytorch_lightning.callbacks import Callback as _Base
    except ImportError:
        _Base = None


class FlossingCallback(_Base or object):
    """Floss before training and every ``every_n_epochs`` epochs of a Lightning run.

    Before the first epoch it makes ``pre_steps`` flossing updates (:func:`floss`); then,
    at the start of epochs ``every_n_epochs, 2 every_n_epochs, ...`` (at most
    ``max_episodes`` times), ``steps`` more (:class:`Flosser`). Only the recurrent
    module's parameters move, with the callback's own Adam optimizer, so the
    ``LightningModule``'s optimizer and its state are untouched. The last flossing loss
    and leading exponent are logged as ``<prefix>/loss`` and ``<prefix>/lambda_1``.

    Parameters
    ----------
    inputs
        Sequences to floss on (moved to the module's device), or a callable
        ``inputs(i) -> batch``.
    k
        How many of the largest exponents to floss (default all).
    pre_steps
        Flossing updates before training (0: none).
    every_n_epochs
        Epochs between flossing episodes during training (``None``: none).
    steps
        Updates per episode during training.
    lr
        Adam's learning rate for flossing.
    max_episodes
        At most this many episodes during training.
    rnn
        Which recurrent module of the ``LightningModule`` (see :func:`find_rnn`).
    prefix
        Prefix of the logged metric names.
    **spectrum_kwargs
        Passed to :func:`differentiable_spectrum` (``truncate``, ``warmup``, ...).

    Attributes
    ----------
    pre
        The :class:`FlossHistory` of the pre-training phase, or ``None``.
    flosser
        The :class:`Flosser` used during training (its ``history.at`` holds epochs).
    """

    def __init__(self, inputs: Any, k: int | None = None, *, pre_steps: int = 0,
                 every_n_epochs: int | None = None, steps: int = 1, lr: float = 1e-3,
                 max_episodes: int | None = None, rnn: Any = None, prefix: str = "floss",
                 **spectrum_kwargs: Any):
        if _Base is None:
            raise ImportError("FlossingCallback needs PyTorch Lightning: "
                              'pip install "lyaplearn[lightning]"')
        super().__init__()
        self.inputs = inputs
        self.k = k
        self.pre_steps = _check_int(pre_steps, "pre_steps", 0)
        self.every_n_epochs = _check_int(every_n_epochs, "every_n_epochs", 1, none_ok=True)
        self.steps = _check_int(steps, "steps", 1)
        self.lr = lr
        self.max_episodes = max_episodes
        self.rnn = rnn
        self.prefix = prefix
        self.kwargs = spectrum_kwargs
        self.pre = None
        self.flosser: Flosser | None = None

    def _inputs(self, device):
        if callable(self.inputs):
            return lambda i: self.inputs(i).to(device)
        return self.inputs.to(device)

    def on_train_start(self, trainer, pl_module) -> None:
        rnn = find_rnn(pl_module, self.rnn)
        device = rnn.weight_hh_l0.device
        with torch.enable_grad():
            if self.pre_steps:
                self.pre = floss(rnn, self._inputs(device), self.k, self.pre_steps, self.lr,
                                 **self.kwargs)
        if self.every_n_epochs is not None:
            self.flosser = Flosser(rnn, self._inputs(device), self.k,
                                   every=self.every_n_epochs, steps=self.steps, lr=self.lr,
                                   start=self.every_n_epochs, max_episodes=self.max_episodes,
                                   **self.kwargs)

    def on_train_epoch_start(self, trainer, pl_module) -> None:
        if self.flosser is None:
            return
        with torch.enable_grad():
            value = self.flosser.maybe_step(trainer.current_epoch)
        if value is not None:
            lam = self.flosser.history.exponents[-1]
            pl_module.log(f"{self.prefix}/loss", value, on_step=False, on_epoch=True)
            pl_module.log(f"{self.prefix}/lambda_1", max(lam), on_step=False, on_epoch=True)
